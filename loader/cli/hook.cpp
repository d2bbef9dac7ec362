// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "cli/hook.h"

#include <syslog.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <iostream>

#include "core/error.h"
#include "core/lock.h"
#include "core/netdev.h"
#include "programs/clone.h"
#include "programs/eliminate.h"
#include "programs/relay.h"
#include "site/reconcile.h"

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

std::string link_device(const std::vector<std::string> &args)
{
	if (!args.empty() && !args[0].empty())
		return args[0];
	for (const char *var : {"IFACE", "DEVICE"})
		if (const char *v = getenv(var); v && *v)
			return v;
	throw Error("no device: pass DEV, or set IFACE (ifupdown, networkd-dispatcher) or DEVICE (netifd)");
}

namespace {

void log_line(int priority, const std::string &msg)
{
	openlog("dupgre", LOG_PID, LOG_DAEMON);
	syslog(priority, "%s", msg.c_str());
	closelog();
	// pppd discards a hook's stderr; a person running the hook sees it.
	std::cerr << "dupgre: " << msg << "\n";
}

void log_problem(const std::string &msg)
{
	log_line(LOG_ERR, msg);
}

// Runs the steps of one hook, each on its own: a failing step is logged
// with what to do about it, and the others still run.
class Steps {
public:
	Steps(const std::string &event, const std::string &dev, const std::string &what)
		: prefix_(event + " " + dev + " (" + what + "): ")
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
	void failed(const std::string &step, const std::string &what)
	{
		problems_++;
		log_problem(prefix_ + step + ": " + what + "; run `dupgre-ctl check` for the fix");
	}
	// Not a problem: what the hook did, or waits for.
	void note(const std::string &msg) { log_line(LOG_NOTICE, prefix_ + msg); }
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

bool remote_in(const std::optional<Cidr> &range, const PppLink &link)
{
	try {
		return range && range->contains(parse_ipv4(link.remote));
	} catch (const Error &) {
		return false;
	}
}

bool wireguard(const Config &c)
{
	return c.tunnel == Tunnel::wireguard;
}

// A secondary's PPP dual connection: MTU and rp_filter where copies arrive.
void ppp_arrival_link_up(Steps &s, const Config &c, const std::string &dev)
{
	s.run("MTU", [&] { set_mtu(dev, link_mtu(c, DualKind::ppp)); });
	if (c.rp_filter)
		s.run("rp_filter", [&] { relax_rp_filter(dev); });
}

// The reconciler (site/reconcile.h) for one link's event: each step it
// took is logged, each that failed as a problem; any order of events ends
// in the state the links up call for.
int apply_for(Steps &s, const Config &c, const ApplyEvent &ev)
{
	for (const StepResult &r : apply_site(c, ev, false))
		if (r.error.empty())
			s.note(r.step.text());
		else
			s.failed(r.step.text(), r.error);
	return s.problems();
}

bool is_ppp_dual(const Config &c, const PppLink &link)
{
	return c.role != Role::secondary && c.dual == DualKind::ppp &&
	       (link.ipparam == c.dual_ipparam || (!c.dual_dev.empty() && link.iface == c.dual_dev));
}

// ip-pre-up, ip-up and ip-down of a PPTP dual link, on a primary and a
// client: pppd names the device (nothing else says which ppp device is the
// dual link). At ip-pre-up it is still down: set up then, nothing arrives
// by it before its duplicates can be dropped (pptp 1.10's reorder queue
// stops delivering when a copy of a packet it holds arrives). At ip-down
// it is still there: the event says it goes.
int ppp_dual_hook(bool up, const std::string &event, const PppLink &link, const Config &c)
{
	Steps s(event, link.iface, "dual link");
	ApplyEvent ev;
	ev.ppp_dual = link.iface;
	ev.ppp_pre_up = event == "ip-pre-up";
	if (!up)
		ev.down.insert(link.iface);
	return apply_for(s, c, ev);
}

int primary_hook(bool up, const std::string &event, const PppLink &link, const Config &c)
{
	if (is_ppp_dual(c, link))
		return ppp_dual_hook(up, event, link, c);
	if (!wireguard(c) && remote_in(c.client_remote, link)) {
		Steps s(event, link.iface, "client connection");
		if (up) {
			s.run("MTU", [&] { set_mtu(link.iface, c.client_mtu); });
			s.run("peer add --dev " + c.wan, [&] {
				CloneState(c.wan).add_peers(require_device(c.wan), {ipparam_address(link)}, c.copy);
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
	Steps s(event, link.iface, "dual connection");
	if (up) {
		ppp_arrival_link_up(s, c, link.iface);
		s.run("relay add --dev " + link.iface, [&] {
			RelayState().add(require_device(link.iface), {IpAddr::from_ipv4(ipparam_address(link))});
		});
	} else {
		s.run("relay del --dev " + link.iface, [&] { RelayState().del(link.iface, {}); });
	}
	return s.problems();
}

int client_hook(bool up, const std::string &event, const PppLink &link, const Config &c)
{
	return is_ppp_dual(c, link) ? ppp_dual_hook(up, event, link, c) : 0;
}

// link-up/link-down of a device the configuration names: the WAN or dual
// link of a primary or client, a relay link of a secondary. At link-down
// (ifupdown's pre-down) the device may still be up: the event says it goes.
int site_link_hook(bool up, const std::string &event, const std::string &dev, const Config &c)
{
	bool relay = std::any_of(c.relay.begin(), c.relay.end(), [&](const RelayLinkConf &l) { return l.dev == dev; });
	bool named = c.role == Role::secondary ? relay : dev == c.wan || dev == c.dual_dev;
	if (!named)
		return 0;
	Steps s(event, dev, c.role == Role::secondary || dev == c.dual_dev ? "dual link" : "WAN");
	ApplyEvent ev;
	if (!up)
		ev.down.insert(dev);
	// Cloning needs both the WAN and the dual link: say which one it waits for.
	if (up && c.role != Role::secondary && c.dual != DualKind::ppp)
		for (const std::string &d : {c.wan, c.dual_dev})
			if (!find_device(d))
				s.note((d == c.wan ? "the WAN " : "the dual link ") + d +
				       " does not exist yet: set up when its link-up runs");
	if (up && relay && !find_device(dev))
		s.note(dev + " does not exist (yet)");
	return apply_for(s, c, ev);
}

}  // namespace

int run_hook(const std::string &event, const PppLink &link, const Config &cfg)
{
	bool up = event == "ip-up";
	try {
		StateLock lock(StateLock::Mode::exclusive);
		if (event == "ip-pre-up")
			return is_ppp_dual(cfg, link) ? ppp_dual_hook(true, event, link, cfg) : 0;
		// A WAN that pppd brings up (PPPoE) matters to a dual link it does not.
		if (cfg.role != Role::secondary && link.iface == cfg.wan)
			return site_link_hook(up, event, link.iface, cfg);
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

int run_link_hook(bool up, const std::string &dev, const Config &cfg)
{
	std::string event = up ? "link-up" : "link-down";
	try {
		StateLock lock(StateLock::Mode::exclusive);
		return site_link_hook(up, event, dev, cfg);
	} catch (const std::exception &e) {
		log_problem(event + " " + dev + ": " + e.what());
	}
	return 1;
}

void hook_command(const std::string &event, const std::vector<std::string> &args,
		  const std::string &config_path) noexcept
{
	std::string where = event;
	try {
		bool ppp = event == "ip-pre-up" || event == "ip-up" || event == "ip-down";
		if (!ppp && event != "link-up" && event != "link-down")
			throw Error("unknown event '" + event + "' (ip-pre-up, ip-up, ip-down, link-up or link-down)");
		PppLink link;
		std::string dev;
		if (ppp) {
			link = ppp_link(args);
			dev = link.iface;
		} else {
			dev = link_device(args);
		}
		where += " " + dev;
		Config cfg;
		try {
			cfg = load_config(config_path);
		} catch (const std::exception &e) {
			throw Error(std::string("nothing done: ") + e.what());
		}
		if (ppp)
			run_hook(event, link, cfg);
		else
			run_link_hook(event == "link-up", dev, cfg);
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
