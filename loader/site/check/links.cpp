// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// check from the configuration: the dual links it names and the sites
// behind them, then each check (links.h) over them, in order.
#include <algorithm>

#include "programs/clone.h"
#include "programs/relay.h"
#include "site/check/links.h"

namespace dupgre {

namespace checks {

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

namespace {

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

}  // namespace

}  // namespace checks

void check_links(std::vector<CheckResult> &out, const Config &c, const std::string &file)
{
	using namespace checks;
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
