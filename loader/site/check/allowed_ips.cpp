// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// check: WireGuard's AllowedIPs on the dual links, which decide the peer a
// copy goes to and the peer it is accepted from.
#include "site/check/links.h"

namespace dupgre::checks {

namespace {

std::string short_key(const std::string &key)
{
	return key.substr(0, 8) + "…";
}

std::string host_prefix(const IpAddr &a)
{
	return a.str() + (a.is_ipv4() ? "/32" : "/128");
}

std::string wg_set(const std::string &dev, const WgPeer &p, const IpAddr &add)
{
	std::string list = p.allowed_ips_str();
	return "wg set " + dev + " peer " + p.public_key + " allowed-ips " + (list.empty() ? "" : list + ",") +
	       host_prefix(add);
}

const char table_off[] = " (wg-quick: add it to the [Peer]'s AllowedIPs, with Table = off)";

}  // namespace

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

}  // namespace dupgre::checks
