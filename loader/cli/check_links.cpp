// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "cli/check_links.h"

#include <net/if.h>
#include <net/if_arp.h>

#include <algorithm>
#include <set>

#include "core/error.h"
#include "core/netdev.h"
#include "core/route.h"
#include "core/wgnl.h"
#include "programs/clone.h"
#include "programs/relay.h"

// glibc's <net/if_arp.h> lags the kernel's list.
#ifndef ARPHRD_IP6GRE
#define ARPHRD_IP6GRE 823
#endif

namespace dupgre {

namespace {

// PPTP's outer packet around a PPP frame of MTU bytes: IPv4 20, enhanced
// GRE with sequence and acknowledgment 16, PPP address/control 2 and
// protocol 2, MPPE's header 2 and the inner protocol 2.
constexpr unsigned pptp_overhead = 44;

// One site at the other end: its public address and what to call it.
struct Site {
	IpAddr addr;
	std::string label;  // "the primary 198.18.0.2"
};

// One dual link device, its kind and the sites whose copies cross it.
struct DualLink {
	std::string dev;
	std::vector<Site> sites;
	DualKind kind = DualKind::ppp;
};

struct Ctx {
	std::vector<CheckResult> &out;
	const Config &c;
	const std::string &file;
	void ok(const std::string &what) { out.push_back({true, what, ""}); }
	void fail(const std::string &what, const std::string &fix) { out.push_back({false, what, fix}); }
	void warn(const std::string &what, const std::string &fix) { out.push_back({true, what, fix, true}); }
};

std::string kind_name(DualKind k)
{
	return dual_kind_name(k);
}

std::string short_key(const std::string &key)
{
	return key.substr(0, 8) + "…";
}

std::string host_prefix(const IpAddr &a)
{
	return a.str() + (a.is_ipv4() ? "/32" : "/128");
}

std::vector<Site> remote_sites(const Config &c)
{
	std::vector<Site> s;
	if (c.role == Role::client)
		for (const IpAddr &a : c.primary)
			s.push_back({a, "the primary " + a.str()});
	if (c.role == Role::primary)
		for (const IpAddr &a : c.clients)
			s.push_back({a, "the client " + a.str()});
	return s;
}

// The dual links this site's configuration names, with the sites behind
// each. ppp links get their names from pppd: the attached clone target
// (client, primary) or the relay's registered links (secondary).
std::vector<DualLink> dual_links(const Config &c)
{
	std::vector<DualLink> links;
	if (c.role == Role::secondary) {
		for (const RelayLinkConf &r : c.relay) {
			DualLink l{r.dev, {}, r.kind};
			for (const IpAddr &a : r.sites)
				l.sites.push_back({a, "the site " + a.str()});
			links.push_back(std::move(l));
		}
		// PPP dual connections: the links their ip-up registered.
		if (c.dual_remote)
			for (const RelayLink &r : RelayState().links()) {
				if (std::any_of(c.relay.begin(), c.relay.end(),
						[&](const RelayLinkConf &l) { return l.dev == r.name; }))
					continue;
				DualLink l{r.name, {}, DualKind::ppp};
				for (const IpAddr &a : r.peers)
					l.sites.push_back({a, "the site " + a.str()});
				links.push_back(std::move(l));
			}
		return links;
	}
	if (!c.dual_dev.empty()) {
		links.push_back({c.dual_dev, remote_sites(c), c.dual});
	} else if (!c.wan.empty()) {
		CloneStatus st = CloneState(c.wan).status();
		if (st.info.attached)
			links.push_back({st.info.target_name, remote_sites(c), DualKind::ppp});
	}
	return links;
}

// The device is there, of the configured kind, and up; its WireGuard
// configuration when it is one.
struct LinkState {
	NetDevice dev;
	std::optional<WgDevice> wg;
	DualKind kind;
};

std::optional<LinkState> check_device(Ctx &x, const DualLink &l)
{
	const std::string &name = l.dev;
	DualKind k = l.kind;
	std::string what = "dual link " + name + " (" + kind_name(k) + ")";
	std::optional<NetDevice> d;
	try {
		d = find_device(name);
	} catch (const Error &e) {
		x.fail(what + ": " + e.what(), "name the device in dual_dev or relay in " + x.file);
		return std::nullopt;
	}
	if (!d) {
		x.fail(what + ": no such device: no copies cross it", bring_up_fix(k, name));
		return std::nullopt;
	}
	LinkState s{*d, std::nullopt, k};
	if (k == DualKind::wireguard) {
		try {
			s.wg = read_wireguard(name);
		} catch (const Error &e) {
			x.fail(what + ": " + e.what(), "is its WireGuard implementation running? (wg show " + name + ")");
			return std::nullopt;
		}
	}
	if (!kind_matches(k, s.dev, s.wg.has_value())) {
		// ARPHRD_NONE: an L3 device with no link header, TUN's and WireGuard's.
		std::string is = s.dev.type == ARPHRD_NONE ? "a TUN or WireGuard device" : "a " + s.dev.type_name() + " device";
		x.fail(what + ": " + name + " is not a " + kind_name(k) + " device (" +
			       (k == DualKind::wireguard ? "neither the kernel nor a userspace WireGuard knows it"
							 : "it is " + is) + ")",
		       "dual = <its kind> in " + x.file + ", or point dual_dev/relay at the right device");
		return std::nullopt;
	}
	if (!s.dev.up) {
		x.fail(what + ": down", "ip link set dev " + name + " up");
		return s;
	}
	x.ok(what + ": up, MTU " + std::to_string(s.dev.mtu) +
	     (s.wg ? ", " + std::to_string(s.wg->peers.size()) + " WireGuard peer(s) (" + s.wg->source + ")" : ""));
	return s;
}

// The largest packet the main tunnel puts on the WAN, and how it was
// found: the tunnel device's MTU plus its outer headers when the device is
// found, else the WAN's MTU.
struct Largest {
	unsigned bytes = 0;
	std::string why;
};

std::optional<WgDevice> find_main_wireguard(const Config &c, std::string &mtu_dev)
{
	struct if_nameindex *names = if_nameindex();
	if (!names)
		return std::nullopt;
	std::optional<WgDevice> found;
	for (struct if_nameindex *i = names; i->if_index && !found; i++) {
		std::string n = i->if_name;
		if (n == c.dual_dev || n == c.wan || n == "lo")
			continue;
		std::optional<WgDevice> wg;
		try {
			wg = read_wireguard(n);
		} catch (const Error &) {
			continue;
		}
		if (!wg)
			continue;
		bool match = false;
		if (c.role == Role::primary)
			match = wg->listen_port == c.tunnel_port;
		else
			for (const WgPeer &p : wg->peers)
				match |= p.endpoint && p.endpoint->port == c.tunnel_port &&
					 std::find(c.primary.begin(), c.primary.end(), p.endpoint->addr) != c.primary.end();
		if (match) {
			found = wg;
			mtu_dev = n;
		}
	}
	if_freenameindex(names);
	return found;
}

Largest largest_tunnel_packet(const Config &c, const std::vector<DualLink> &links)
{
	Largest l;
	std::optional<NetDevice> wan;
	try {
		wan = find_device(c.wan);
	} catch (const Error &) {
	}
	if (c.tunnel == Tunnel::wireguard) {
		std::string dev;
		if (find_main_wireguard(c, dev)) {
			auto d = find_device(dev);
			bool v6 = false;
			for (const Site &s : remote_sites(c))
				v6 |= !s.addr.is_ipv4();
			unsigned h = v6 ? 80 : 60;
			if (d) {
				l.bytes = d->mtu + h;
				l.why = dev + "'s MTU " + std::to_string(d->mtu) + " + WireGuard's " + std::to_string(h) +
					" B over " + (v6 ? "IPv6" : "IPv4");
			}
		}
	} else if (c.role == Role::primary && c.client_mtu) {
		l.bytes = c.client_mtu + pptp_overhead;
		l.why = "client_mtu " + std::to_string(c.client_mtu) + " + PPTP's " + std::to_string(pptp_overhead) + " B";
	} else if (c.role == Role::client) {
		std::set<std::string> dual;
		for (const DualLink &d : links)
			dual.insert(d.dev);
		struct if_nameindex *names = if_nameindex();
		for (struct if_nameindex *i = names; names && i->if_index; i++) {
			if (dual.count(i->if_name))
				continue;
			auto d = find_device(i->if_name);
			if (d && d->is_ppp() && d->mtu + pptp_overhead > l.bytes) {
				l.bytes = d->mtu + pptp_overhead;
				l.why = d->name + "'s MTU " + std::to_string(d->mtu) + " + PPTP's " +
					std::to_string(pptp_overhead) + " B";
			}
		}
		if (names)
			if_freenameindex(names);
	}
	if (wan && (l.bytes == 0 || wan->mtu < l.bytes)) {
		l.bytes = wan->mtu;
		l.why = "the MTU of " + wan->name + ", the WAN";
	}
	return l;
}

void check_mtu(Ctx &x, const LinkState &s, const Largest &need)
{
	const std::string &dev = s.dev.name;
	std::string what = "MTU of " + dev + " (dual link): " + std::to_string(s.dev.mtu);
	std::string largest = std::to_string(need.bytes) + " B (" + need.why + ")";
	unsigned want = std::max(need.bytes, x.c.dual_mtu);
	bool conf_low = x.c.dual_mtu && x.c.dual_mtu < need.bytes;
	std::string conf_fix = conf_low ? ", and dual_mtu = " + std::to_string(need.bytes) + " in " + x.file : "";
	if (s.dev.mtu < need.bytes) {
		x.fail(what + " is smaller than the largest tunnel packet, " + largest +
			       ": larger copies are dropped",
		       "ip link set dev " + dev + " mtu " + std::to_string(want) + conf_fix +
			       (x.c.dual == DualKind::wireguard ? " (wg-quick: MTU = " + std::to_string(want) + ")" : ""));
		return;
	}
	x.ok(what + " holds the largest tunnel packet, " + largest);
	if (conf_low)
		x.fail("dual_mtu = " + std::to_string(x.c.dual_mtu) + " in " + x.file +
			       " is smaller than the largest tunnel packet, " + largest +
			       ": the next link-up sets " + dev + " to it",
		       "dual_mtu = " + std::to_string(need.bytes) + " in " + x.file + " (or 0 to leave the MTU alone)");
}

// What the transport adds, and whether the device under it has room.
void check_underlay(Ctx &x, const LinkState &s)
{
	DualKind k = s.kind;
	const std::string &dev = s.dev.name;
	unsigned mtu = s.dev.mtu;
	if (k == DualKind::ppp)
		return;
	if (k != DualKind::wireguard || !s.wg) {
		bool v6 = s.dev.type == ARPHRD_IP6GRE || s.dev.type == ARPHRD_TUNNEL6;
		unsigned h = transport_header(k, v6);
		x.ok(kind_name(k) + " over " + (v6 ? "IPv6" : "IPv4") + " adds " + std::to_string(h) + " B: the path under " +
		     dev + " needs MTU " + std::to_string(mtu + h) + " for " + std::to_string(mtu) +
		     " B copies to cross it unfragmented");
		return;
	}
	bool any = false;
	for (const WgPeer &p : s.wg->peers) {
		if (!p.endpoint)
			continue;
		any = true;
		bool v6 = !p.endpoint->addr.is_ipv4();
		unsigned h = transport_header(k, v6), need = mtu + h;
		std::string head = "WireGuard over " + std::string(v6 ? "IPv6" : "IPv4") + " adds " + std::to_string(h) +
				   " B: " + dev + "'s " + std::to_string(mtu) + " B packets to " + p.endpoint->str() +
				   " need " + std::to_string(need);
		std::optional<RouteHit> r;
		try {
			r = route_get(p.endpoint->addr);
		} catch (const Error &e) {
			x.fail(head + ", and the route to it cannot be read: " + e.what(), "ip route get " + p.endpoint->addr.str());
			continue;
		}
		auto ul = r && !r->dev.empty() ? find_device(r->dev) : std::nullopt;
		if (!ul) {
			x.fail(head + ", and there is no route to " + p.endpoint->addr.str(),
			       "a route to " + p.endpoint->addr.str() + " by the WAN");
			continue;
		}
		if (ul->mtu < need)
			x.fail(head + ", more than the MTU of " + ul->name + " under it, " + std::to_string(ul->mtu) +
				       ": they leave in fragments",
			       "ip link set dev " + ul->name + " mtu " + std::to_string(need) +
				       " if the path carries it; if not, ip link set dev " + dev + " mtu " +
				       std::to_string(ul->mtu - h) + " and a main tunnel whose packets fit it");
		else
			x.ok(head + ": " + ul->name + " under it has MTU " + std::to_string(ul->mtu));
	}
	if (!any)
		x.ok("WireGuard adds 60 B over IPv4, 80 over IPv6: the path under " + dev + " needs MTU " +
		     std::to_string(mtu + 60) + " (" + std::to_string(mtu + 80) + ") (no peer endpoint known yet)");
}

// Secondary: a copy enters by one dual link and leaves by another, so no
// link may be smaller than the largest.
void check_relay_mtus(Ctx &x, const std::vector<std::pair<DualLink, LinkState>> &links)
{
	const LinkState *largest = nullptr;
	for (const auto &[l, s] : links)
		if (!largest || s.dev.mtu > largest->dev.mtu)
			largest = &s;
	for (const auto &[l, s] : links) {
		std::string what = "MTU of " + s.dev.name + " (dual link): " + std::to_string(s.dev.mtu);
		if (s.dev.mtu < largest->dev.mtu)
			x.fail(what + ", smaller than " + largest->dev.name + "'s " + std::to_string(largest->dev.mtu) +
				       ": larger copies from there are dropped here",
			       "ip link set dev " + s.dev.name + " mtu " + std::to_string(largest->dev.mtu));
		else
			x.ok(what + " holds copies from every other dual link");
	}
}

std::string wg_set(const std::string &dev, const WgPeer &p, const IpAddr &add)
{
	std::string list = p.allowed_ips_str();
	return "wg set " + dev + " peer " + p.public_key + " allowed-ips " + (list.empty() ? "" : list + ",") +
	       host_prefix(add);
}

const char table_off[] = " (wg-quick: add it to the [Peer]'s AllowedIPs, with Table = off)";

// Client, primary: WireGuard sends a copy for a site to the peer whose
// AllowedIPs hold it, and accepts one from that site only from that peer.
void check_allowed_ips_site(Ctx &x, const LinkState &s, const DualLink &l)
{
	const WgDevice &wg = *s.wg;
	for (const Site &site : l.sites) {
		std::string what = "AllowedIPs of " + wg.name + " for " + site.label;
		const WgPeer *p = wg.peer_for(site.addr);
		if (p) {
			x.ok(what + ": peer " + short_key(p->public_key));
			continue;
		}
		std::string fix = wg.peers.size() == 1
					  ? wg_set(wg.name, wg.peers[0], site.addr) + table_off
					  : "add " + host_prefix(site.addr) + " to the AllowedIPs of the secondary's peer on " +
						    wg.name + table_off;
		x.fail(what + ": no peer holds it: WireGuard drops the copies to it and from it", fix);
	}
}

// Secondary: each site's address in exactly the AllowedIPs of the peer
// behind it: the peer whose endpoint is that address (a site's dual link
// leaves by its public address, or its NAT's). A peer whose endpoint is
// another registered site is that site's.
void check_allowed_ips_relay(Ctx &x, const LinkState &s, const DualLink &l, const std::vector<DualLink> &all)
{
	const WgDevice &wg = *s.wg;
	auto site_at = [&](const WgPeer *q) -> const Site * {
		for (const DualLink &o : all)
			for (const Site &site : o.sites)
				if (q && q->endpoint && q->endpoint->addr == site.addr)
					return &site;
		return nullptr;
	};
	for (const Site &site : l.sites) {
		std::string what = "AllowedIPs of " + wg.name + " for " + site.label;
		const WgPeer *p = wg.peer_for(site.addr), *behind = nullptr;
		for (const WgPeer &q : wg.peers)
			if (q.endpoint && q.endpoint->addr == site.addr)
				behind = &q;
		std::string add = behind ? wg_set(wg.name, *behind, site.addr)
					 : "add " + host_prefix(site.addr) + " to the AllowedIPs of that site's peer on " +
						   wg.name;
		if (!p) {
			x.fail(what + ": no peer holds it: its copies are dropped as coming from a source "
				      "their peer may not use, and copies for it have no peer",
			       add + table_off);
			continue;
		}
		const Site *other = site_at(p);
		// Under the peer whose endpoint is another site, and no peer's
		// endpoint is this address: one host with two addresses (IPv4 and
		// IPv6, as docs/setup.md's primary) looks the same as a site filed
		// under the wrong one. A peer is one host, so copies go there.
		if (!behind && other && !(other->addr == site.addr)) {
			x.warn(what + ": it is under peer " + short_key(p->public_key) +
				       (p->endpoint ? " (endpoint " + p->endpoint->str() + ")" : "") + ", " + other->label +
				       "'s: right if it is that host's other address, wrong if it is another site (its copies "
				       "would go to " + other->label + ")",
			       "if it is another site: " + add + " (moves it from " + short_key(p->public_key) + ")");
			continue;
		}
		if ((behind && behind != p) || (other && !(other->addr == site.addr))) {
			x.fail(what + ": it is under peer " + short_key(p->public_key) +
				       (p->endpoint ? " (endpoint " + p->endpoint->str() + ")" : "") +
				       (behind ? ", not under the site's own peer " + short_key(behind->public_key) +
							 " (endpoint " + behind->endpoint->str() + ")"
					       : ", " + other->label + "'s") +
				       ": copies for it go to the wrong site, and its own are dropped",
			       add + " (moves it from " + short_key(p->public_key) + ")");
			continue;
		}
		x.ok(what + ": peer " + short_key(p->public_key) +
		     (behind ? ", whose endpoint it is" : " (no peer's endpoint is it yet: the peer cannot be confirmed)"));
	}
}

// This host's own packets to a site, and its tunnel's, must take the WAN:
// a route into the dual link (wg-quick's Table = auto makes one for every
// AllowedIPs prefix) sends them where only copies belong.
void check_routes(Ctx &x, const std::vector<DualLink> &links)
{
	std::set<std::string> dual;
	for (const DualLink &l : links)
		dual.insert(l.dev);
	std::set<IpAddr> seen;
	for (const DualLink &l : links)
		for (const Site &site : l.sites) {
			if (!seen.insert(site.addr).second)
				continue;
			std::string what = "route to " + site.label;
			std::optional<RouteHit> r;
			try {
				r = route_get(site.addr);
			} catch (const Error &e) {
				x.fail(what + ": " + e.what(), "ip route get " + site.addr.str());
				continue;
			}
			if (!r) {
				x.fail(what + ": none: this host's own packets to it go nowhere",
				       "a route to " + site.addr.str() + " by the WAN");
				continue;
			}
			if (!dual.count(r->dev)) {
				x.ok(what + ": by " + (r->dev.empty() ? "no device" : r->dev));
				continue;
			}
			std::string fix = "ip route del " + r->prefix + " dev " + r->dev + r->table_arg();
			if (x.c.dual == DualKind::wireguard)
				fix += " (wg-quick: Table = off in " + r->dev + "'s [Interface])";
			x.fail(what + ": by " + r->dev + ", the dual link (route " + r->prefix + r->table_arg() +
				       "): this host's own traffic to it, its tunnel's too, goes into the dual link",
			       fix);
		}
}

void check_rp_filter(Ctx &x, const DualLink &l)
{
	bool ipv4 = x.c.tunnel == Tunnel::pptp;
	for (const Site &s : l.sites)
		ipv4 |= s.addr.is_ipv4();
	if (!ipv4)
		return;  // IPv6 has no rp_filter
	int rp = effective_rp_filter(l.dev);
	std::string what = "rp_filter on " + l.dev + " (dual link, where copies arrive)";
	if (rp < 0) {
		x.fail(what + ": cannot read it", "is the device there?");
		return;
	}
	if (rp != 1) {
		x.ok(what + ": " + std::to_string(rp) + (rp == 0 ? " (off)" : " (loose)"));
		return;
	}
	x.fail(what + ": 1 (strict): copies from the other sites' addresses arrive there and are dropped",
	       "sysctl -w net.ipv4.conf." + l.dev + ".rp_filter=2" +
		       (x.c.rp_filter ? " (rp_filter = yes in " + x.file + " does it at link-up)"
				      : ", or rp_filter = yes in " + x.file));
}

}  // namespace

void check_links(std::vector<CheckResult> &out, const Config &c, const std::string &file)
{
	Ctx x{out, c, file};
	std::vector<DualLink> links = dual_links(c);
	std::string role = role_name(c.role);
	x.ok(file + ": " + role + ", dual links of kind " + kind_name(c.dual) +
	     (c.role == Role::secondary ? "" : ", main tunnel " + std::string(tunnel_name(c.tunnel))));
	if (links.empty()) {
		x.ok("no dual link is up yet (ppp: pppd names it at ip-up)");
		return;
	}
	for (DualKind k : {DualKind::gre, DualKind::ipip})
		if (std::any_of(links.begin(), links.end(), [&](const DualLink &l) { return l.kind == k; }))
			x.warn(kind_name(k) + " neither authenticates nor encrypts: anyone on the path can inject copies",
			       "WireGuard dual links do both (dual = wireguard)");

	std::vector<std::pair<DualLink, LinkState>> up;
	for (const DualLink &l : links)
		if (auto s = check_device(x, l))
			up.emplace_back(l, *s);
	if (c.role == Role::secondary) {
		check_relay_mtus(x, up);
	} else {
		Largest need = largest_tunnel_packet(c, links);
		for (const auto &[l, s] : up)
			if (need.bytes)
				check_mtu(x, s, need);
	}
	for (const auto &[l, s] : up)
		check_underlay(x, s);
	for (const auto &[l, s] : up)
		if (s.wg) {
			if (c.role == Role::secondary)
				check_allowed_ips_relay(x, s, l, links);
			else
				check_allowed_ips_site(x, s, l);
		}
	check_routes(x, links);
	if (c.role != Role::secondary)
		for (const auto &[l, s] : up)
			check_rp_filter(x, l);
}

}  // namespace dupgre
