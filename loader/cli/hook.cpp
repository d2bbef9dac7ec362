// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "cli/hook.h"

#include <syslog.h>

#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>

#include "core/error.h"
#include "core/lock.h"
#include "core/netdev.h"
#include "programs/clone.h"
#include "programs/dnat.h"
#include "programs/eliminate.h"
#include "programs/relay.h"

namespace dupgre {

PppLink ppp_link(const std::vector<std::string> &args)
{
	const char *vars[] = {"PPP_IFACE", "PPP_TTY", "PPP_SPEED", "PPP_LOCAL", "PPP_REMOTE", "PPP_IPPARAM"};
	std::string PppLink::*fields[] = {&PppLink::iface, &PppLink::tty, &PppLink::speed,
					  &PppLink::local, &PppLink::remote, &PppLink::ipparam};
	PppLink link;
	for (size_t i = 0; i < std::size(fields); i++) {
		const char *env = getenv(vars[i]);
		link.*fields[i] = i < args.size() ? args[i] : env ? env : "";
	}
	if (link.iface.empty())
		throw Error("hook: no interface: pass pppd's arguments or set PPP_IFACE");
	validate_ifname(link.iface);
	return link;
}

namespace {

void log_problem(const std::string &msg)
{
	openlog("dupgre", LOG_PID, LOG_DAEMON);
	syslog(LOG_ERR, "%s", msg.c_str());
	closelog();
	// pppd discards a hook's stderr; a person running the hook sees it.
	std::cerr << "dupgre: " << msg << "\n";
}

// Runs the steps of one hook, each on its own: a failing step is logged
// with what to do about it, and the others still run.
class Steps {
public:
	Steps(const std::string &event, const PppLink &link, const std::string &what)
		: prefix_(event + " " + link.iface + " (" + what + "): ")
	{
	}
	void run(const std::string &step, const std::function<void()> &fn)
	{
		try {
			fn();
		} catch (const std::exception &e) {
			problems_++;
			log_problem(prefix_ + step + ": " + e.what() + "; run `dupgre-ctl check` for the fix");
		}
	}
	int problems() const { return problems_; }

private:
	std::string prefix_;
	int problems_ = 0;
};

Ipv4 ipparam_address(const PppLink &link)
{
	try {
		return parse_ipv4(link.ipparam);
	} catch (const Error &) {
		throw Error("ipparam '" + link.ipparam + "' is not the peer's public address "
			    "(pptpd passes it; for pppd, set ipparam to the peer's address)");
	}
}

// PPTP peers are IPv4 in today's maps.
Ipv4 ipv4_of(const IpAddr &a)
{
	if (!a.is_ipv4())
		throw Error(a.str() + " is IPv6: PPTP peers are IPv4");
	Ipv4 v;
	std::memcpy(&v.be, a.bytes.data() + 12, 4);
	return v;
}

bool remote_in(const std::optional<Cidr> &range, const PppLink &link)
{
	try {
		return range && range->contains(parse_ipv4(link.remote));
	} catch (const Error &) {
		return false;
	}
}

// Eliminate, MTU and rp_filter on a dual link, in the order they go.
void dual_link_up(Steps &s, const Config &c, const PppLink &link)
{
	s.run("MTU", [&] { set_mtu(link.iface, c.dual_mtu); });
	if (c.rp_filter)
		s.run("rp_filter", [&] { relax_rp_filter(link.iface); });
}

void eliminate_up(Steps &s, const Config &c, const PppLink &link)
{
	if (c.eliminate == "off")
		return;
	for (const std::string &dev : {c.wan, link.iface})
		s.run("eliminate add --dev " + dev, [&] {
			EliminateState().add(require_device(dev), parse_mode(c.eliminate), std::nullopt, std::nullopt,
					     std::nullopt);
		});
}

void eliminate_down(Steps &s, const Config &c, const PppLink &link)
{
	if (c.eliminate == "off")
		return;
	for (const std::string &dev : {link.iface, c.wan})
		s.run("eliminate del --dev " + dev, [&] { EliminateState().del(dev); });
}

// ip-pre-up of a dual link: the link is not up yet, so nothing arrives by it
// before its duplicates can be dropped (pptp 1.10's reorder queue stops
// delivering when a copy of a packet it holds arrives).
int pre_up_hook(const std::string &event, const PppLink &link, const Config &c)
{
	if (c.role == Role::secondary || link.ipparam != c.dual_ipparam)
		return 0;
	Steps s(event, link, "dual link");
	eliminate_up(s, c, link);
	return s.problems();
}

int primary_hook(bool up, const std::string &event, const PppLink &link, const Config &c)
{
	if (link.ipparam == c.dual_ipparam) {
		Steps s(event, link, "dual link");
		if (up) {
			dual_link_up(s, c, link);
			s.run("attach --dev " + c.wan + " --clone-to " + link.iface, [&] {
				CloneState(c.wan).attach(require_device(c.wan), require_device(link.iface), c.snat);
			});
			if (c.snat)
				s.run("dnat --dev " + link.iface, [&] {
					DnatState(link.iface).attach(require_device(link.iface), c.snat->second, c.snat->first);
				});
			eliminate_up(s, c, link);
		} else {
			// The clients stay connected: their peers wait for the link.
			s.run("detach --keep-peers --dev " + c.wan, [&] { CloneState(c.wan).detach(true); });
			s.run("dnat del --dev " + link.iface, [&] { DnatState(link.iface).detach(); });
			eliminate_down(s, c, link);
		}
		return s.problems();
	}
	if (remote_in(c.client_remote, link)) {
		Steps s(event, link, "client connection");
		if (up) {
			s.run("MTU", [&] { set_mtu(link.iface, c.client_mtu); });
			s.run("peer add --dev " + c.wan, [&] {
				CloneState(c.wan).add_peers(require_device(c.wan), {ipparam_address(link)});
			});
		} else {
			s.run("peer del --dev " + c.wan, [&] { CloneState(c.wan).del_peers({ipparam_address(link)}); });
		}
		return s.problems();
	}
	return 0;  // neither: not dupgre's link
}

int secondary_hook(bool up, const std::string &event, const PppLink &link, const Config &c)
{
	if (!remote_in(c.dual_remote, link))
		return 0;
	Steps s(event, link, "dual connection");
	if (up) {
		dual_link_up(s, c, link);
		s.run("relay add --dev " + link.iface, [&] {
			RelayState().add(require_device(link.iface), {ipparam_address(link)});
		});
	} else {
		s.run("relay del --dev " + link.iface, [&] { RelayState().del(link.iface, {}); });
	}
	return s.problems();
}

int client_hook(bool up, const std::string &event, const PppLink &link, const Config &c)
{
	if (link.ipparam != c.dual_ipparam)
		return 0;
	Steps s(event, link, "dual link");
	if (up) {
		dual_link_up(s, c, link);
		s.run("attach --dev " + c.wan + " --clone-to " + link.iface, [&] {
			CloneState(c.wan).attach(require_device(c.wan), require_device(link.iface), std::nullopt);
		});
		s.run("peer add --dev " + c.wan, [&] {
			CloneState(c.wan).add_peers(require_device(c.wan), {ipv4_of(*c.primary)});
		});
		eliminate_up(s, c, link);
	} else {
		s.run("detach --dev " + c.wan, [&] { CloneState(c.wan).detach(); });
		eliminate_down(s, c, link);
	}
	return s.problems();
}

}  // namespace

int run_hook(const std::string &event, const PppLink &link, const Config &cfg)
{
	bool up = event == "ip-up";
	try {
		StateLock lock(StateLock::Mode::exclusive);
		if (event == "ip-pre-up")
			return pre_up_hook(event, link, cfg);
		switch (cfg.role) {
		case Role::primary:
			return primary_hook(up, event, link, cfg);
		case Role::secondary:
			return secondary_hook(up, event, link, cfg);
		case Role::client:
			return client_hook(up, event, link, cfg);
		}
	} catch (const std::exception &e) {
		log_problem(event + " " + link.iface + ": " + e.what());
	}
	return 1;
}

void hook_command(const std::string &event, const std::vector<std::string> &pppd_args,
		  const std::string &config_path) noexcept
{
	std::string where = event;
	try {
		if (event != "ip-pre-up" && event != "ip-up" && event != "ip-down")
			throw Error("unknown event '" + event + "' (ip-pre-up, ip-up or ip-down)");
		PppLink link = ppp_link(pppd_args);
		where += " " + link.iface;
		Config cfg;
		try {
			cfg = load_config(config_path);
		} catch (const std::exception &e) {
			throw Error(std::string("nothing done: ") + e.what());
		}
		run_hook(event, link, cfg);
	} catch (const std::exception &e) {
		try {
			log_problem(where + ": " + e.what());
		} catch (...) {
			syslog(LOG_DAEMON | LOG_ERR, "dupgre: %s: out of memory", event.c_str());
		}
	} catch (...) {
		syslog(LOG_DAEMON | LOG_ERR, "dupgre: %s: unexpected error", event.c_str());
	}
}

}  // namespace dupgre
