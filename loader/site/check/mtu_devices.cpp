// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// The facts for check's MTU arithmetic (mtu.cpp): the main tunnel's device,
// the WAN, and the device under each WireGuard peer's endpoint.
#include <net/if.h>

#include <algorithm>
#include <set>

#include "core/error.h"
#include "core/route.h"
#include "core/wgnl.h"
#include "site/check/links.h"

namespace dupgre::checks {

namespace {

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

}  // namespace

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
			if (d)
				l = wireguard_largest(dev, d->mtu, v6);
		}
	} else if (c.role == Role::primary && c.client_mtu) {
		l = pptp_largest("client_mtu " + std::to_string(c.client_mtu), c.client_mtu);
	} else if (c.role == Role::client) {
		std::set<std::string> dual;
		for (const DualLink &d : links)
			dual.insert(d.dev);
		struct if_nameindex *names = if_nameindex();
		for (struct if_nameindex *i = names; names && i->if_index; i++) {
			if (dual.count(i->if_name))
				continue;
			auto d = find_device(i->if_name);
			if (d && d->is_ppp()) {
				Largest p = pptp_largest(d->name + "'s MTU " + std::to_string(d->mtu), d->mtu);
				if (p.bytes > l.bytes)
					l = p;
			}
		}
		if (names)
			if_freenameindex(names);
	}
	if (wan)
		cap_by_wan(l, *wan);
	return l;
}

void check_underlay(Ctx &x, const LinkState &s)
{
	DualKind k = s.kind;
	const std::string &dev = s.dev.name;
	if (k == DualKind::ppp)
		return;
	if (k != DualKind::wireguard || !s.wg) {
		check_underlay_kind(x, s);
		return;
	}
	bool any = false;
	for (const WgPeer &p : s.wg->peers) {
		if (!p.endpoint)
			continue;
		any = true;
		WgUnderlay u = wg_underlay(dev, s.dev.mtu, *p.endpoint);
		std::optional<RouteHit> r;
		try {
			r = route_get(p.endpoint->addr);
		} catch (const Error &e) {
			x.fail(u.head + ", and the route to it cannot be read: " + e.what(),
			       "ip route get " + p.endpoint->addr.str());
			continue;
		}
		auto ul = r && !r->dev.empty() ? find_device(r->dev) : std::nullopt;
		if (!ul) {
			x.fail(u.head + ", and there is no route to " + p.endpoint->addr.str(),
			       "a route to " + p.endpoint->addr.str() + " by the WAN");
			continue;
		}
		check_wg_underlay(x, dev, u, *ul);
	}
	if (!any)
		check_wg_underlay_unknown(x, dev, s.dev.mtu);
}

}  // namespace dupgre::checks
