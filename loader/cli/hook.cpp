// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "cli/hook.h"

#include <syslog.h>

#include <algorithm>
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
	// Not a problem: what the hook waits for.
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

// PPTP peers are IPv4 (config refuses an IPv6 primary with PPTP).
Ipv4 ipv4_of(const IpAddr &a)
{
	if (auto v = a.ipv4())
		return *v;
	throw Error(a.str() + " is IPv6: PPTP peers are IPv4 only");
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

// The endpoints whose WireGuard packets are cloned: the client's server,
// the server's clients, always at the server's port.
std::vector<Endpoint> wg_endpoints(const Config &c)
{
	std::vector<Endpoint> eps;
	if (c.role == Role::client)
		eps.push_back({*c.primary, c.tunnel_port});
	else
		for (const IpAddr &a : c.clients)
			eps.push_back({a, c.tunnel_port});
	return eps;
}

// MTU and rp_filter on a link where copies arrive.
void arrival_link_up(Steps &s, const Config &c, const std::string &dev)
{
	s.run("MTU", [&] { set_mtu(dev, c.dual_mtu); });
	if (c.rp_filter)
		s.run("rp_filter", [&] { relax_rp_filter(dev); });
}

void eliminate_up(Steps &s, const Config &c, const std::string &dual)
{
	if (c.eliminate == "off")
		return;
	std::optional<ElimTunnel> tunnel = wireguard(c) ? ElimTunnel::wireguard : ElimTunnel::pptp;
	std::optional<unsigned> port;
	if (wireguard(c))
		port = c.tunnel_port;
	for (const std::string &dev : {c.wan, dual})
		s.run("eliminate add --dev " + dev, [&] {
			EliminateState().add(require_device(dev), parse_mode(c.eliminate), std::nullopt, std::nullopt,
					     std::nullopt, tunnel, port);
		});
}

void eliminate_down(Steps &s, const Config &c, const std::string &dual)
{
	if (c.eliminate == "off")
		return;
	for (const std::string &dev : {dual, c.wan})
		s.run("eliminate del --dev " + dev, [&] { EliminateState().del(dev); });
}

// Cloning WAN -> dual link with the tunnel's profile and peers. The peers
// the configuration names (the client's primary; a WireGuard primary's
// clients) are made exactly those: an edited file converges at the next up.
// A PPTP primary's peers come and go with its client connections.
void clone_up(Steps &s, const Config &c, const std::string &dual)
{
	clone_tunnel tunnel = wireguard(c) ? CLONE_TUNNEL_WIREGUARD : CLONE_TUNNEL_PPTP;
	s.run("attach --dev " + c.wan + " --clone-to " + dual + " --tunnel " + tunnel_name(c.tunnel), [&] {
		CloneState st(c.wan);
		// The tunnel changed in the file: the old tunnel's peers mean nothing.
		if (auto have = st.tunnel(); have && *have != tunnel)
			st.detach();
		st.attach(require_device(c.wan), require_device(dual), c.snat, tunnel);
	});
	if (wireguard(c)) {
		s.run("peer add --dev " + c.wan + " --tunnel wireguard", [&] {
			CloneState st(c.wan);
			std::vector<Endpoint> want = wg_endpoints(c), stale;
			for (const Endpoint &e : st.endpoints())
				if (std::find(want.begin(), want.end(), e) == want.end())
					stale.push_back(e);
			if (!stale.empty())
				st.del_endpoints(stale);
			st.add_endpoints(require_device(c.wan), want);
		});
	} else if (c.role == Role::client) {
		s.run("peer add --dev " + c.wan, [&] {
			CloneState st(c.wan);
			Ipv4 primary = ipv4_of(*c.primary);
			std::vector<Ipv4> stale;
			for (const Ipv4 &p : st.peers())
				if (!(p == primary))
					stale.push_back(p);
			if (!stale.empty())
				st.del_peers(stale);
			st.add_peers(require_device(c.wan), {primary});
		});
	}
	if (c.snat)
		s.run("dnat --dev " + dual, [&] {
			DnatState(dual).attach(require_device(dual), c.snat->second, c.snat->first);
		});
}

// A primary's or client's dual link, up: everything, in the order copies
// need it (elimination before cloning starts the copies).
void dual_up(Steps &s, const Config &c, const std::string &dual)
{
	arrival_link_up(s, c, dual);
	eliminate_up(s, c, dual);
	clone_up(s, c, dual);
}

void dual_down(Steps &s, const Config &c, const std::string &dual)
{
	if (c.role == Role::primary)
		// The clients stay connected: their peers wait for the link.
		s.run("detach --keep-peers --dev " + c.wan, [&] { CloneState(c.wan).detach(true); });
	else
		s.run("detach --dev " + c.wan, [&] { CloneState(c.wan).detach(); });
	if (c.snat)
		s.run("dnat del --dev " + dual, [&] { DnatState(dual).detach(); });
	eliminate_down(s, c, dual);
}

bool is_ppp_dual(const Config &c, const PppLink &link)
{
	return c.role != Role::secondary && c.dual == DualKind::ppp && link.ipparam == c.dual_ipparam;
}

// ip-pre-up of a dual link: the link is not up yet, so nothing arrives by it
// before its duplicates can be dropped (pptp 1.10's reorder queue stops
// delivering when a copy of a packet it holds arrives).
int pre_up_hook(const std::string &event, const PppLink &link, const Config &c)
{
	if (!is_ppp_dual(c, link))
		return 0;
	Steps s(event, link.iface, "dual link");
	eliminate_up(s, c, link.iface);
	return s.problems();
}

// ip-up/ip-down of a PPTP dual link: the same steps on a primary and a client.
int ppp_dual_hook(bool up, const std::string &event, const PppLink &link, const Config &c)
{
	Steps s(event, link.iface, "dual link");
	if (up)
		dual_up(s, c, link.iface);
	else
		dual_down(s, c, link.iface);
	return s.problems();
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
	if (c.dual != DualKind::ppp || !remote_in(c.dual_remote, link))
		return 0;
	Steps s(event, link.iface, "dual connection");
	if (up) {
		arrival_link_up(s, c, link.iface);
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

int relay_link_hook(bool up, const std::string &event, const std::string &dev, const Config &c)
{
	for (const auto &link : c.relay) {
		// Not a structured binding: C++17 lambdas cannot capture one.
		const std::vector<IpAddr> &sites = link.second;
		if (link.first != dev)
			continue;
		Steps s(event, dev, "dual link");
		if (!up) {
			s.run("relay del --dev " + dev, [&] { RelayState().del(dev, {}); });
			return s.problems();
		}
		if (!find_device(dev)) {
			s.note(dev + " does not exist (yet): nothing done");
			return 0;
		}
		arrival_link_up(s, c, dev);
		s.run("relay add --dev " + dev, [&] { RelayState().add(require_device(dev), sites); });
		return s.problems();
	}
	return 0;
}

// The dual link (dual_dev) or the WAN of a primary or client.
int site_link_hook(bool up, const std::string &event, const std::string &dev, const Config &c)
{
	if (c.dual == DualKind::ppp || (dev != c.dual_dev && dev != c.wan))
		return 0;
	Steps s(event, dev, dev == c.dual_dev ? "dual link" : "WAN");
	if (!up) {
		dual_down(s, c, c.dual_dev);
		return s.problems();
	}
	// Cloning needs both: whichever comes up second sets it all up.
	for (const std::string &d : {c.wan, c.dual_dev})
		if (!find_device(d)) {
			s.note((d == c.wan ? "the WAN " : "the dual link ") + d +
			       " does not exist yet: set up when its link-up runs");
			return 0;
		}
	dual_up(s, c, c.dual_dev);
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
		// A WAN that pppd brings up (PPPoE) matters to a dual link it does not.
		if (cfg.role != Role::secondary && cfg.dual != DualKind::ppp && link.iface == cfg.wan)
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
		if (cfg.role == Role::secondary)
			return relay_link_hook(up, event, dev, cfg);
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
