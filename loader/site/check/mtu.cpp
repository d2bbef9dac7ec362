// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// check's MTU arithmetic: whether a dual link has room for a copy of the
// largest tunnel packet, and the path under it for the link's own headers.
// Facts in, results out: no system calls, so unit tests have all of it
// (tests/unit/test_check_mtu.cpp); mtu_devices.cpp finds the facts.
#include <net/if_arp.h>

#include <algorithm>

#include "site/check/links.h"

// glibc's <net/if_arp.h> lags the kernel's list.
#ifndef ARPHRD_IP6GRE
#define ARPHRD_IP6GRE 823
#endif

namespace dupgre::checks {

Largest wireguard_largest(const std::string &dev, unsigned mtu, bool ipv6)
{
	unsigned h = transport_header(DualKind::wireguard, ipv6);
	return {mtu + h, dev + "'s MTU " + std::to_string(mtu) + " + WireGuard's " + std::to_string(h) + " B over " +
				 (ipv6 ? "IPv6" : "IPv4")};
}

Largest pptp_largest(const std::string &what, unsigned mtu)
{
	return {mtu + pptp_overhead, what + " + PPTP's " + std::to_string(pptp_overhead) + " B"};
}

void cap_by_wan(Largest &l, const NetDevice &wan)
{
	if (l.bytes == 0 || wan.mtu < l.bytes)
		l = {wan.mtu, "the MTU of " + wan.name + ", the WAN"};
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

// A copy enters by one dual link and leaves by another, so no link may be
// smaller than the largest.
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

void check_underlay_kind(Ctx &x, const LinkState &s)
{
	DualKind k = s.kind;
	unsigned mtu = s.dev.mtu;
	bool v6 = s.dev.type == ARPHRD_IP6GRE || s.dev.type == ARPHRD_TUNNEL6;
	unsigned h = transport_header(k, v6);
	x.ok(kind_name(k) + " over " + (v6 ? "IPv6" : "IPv4") + " adds " + std::to_string(h) + " B: the path under " +
	     s.dev.name + " needs MTU " + std::to_string(mtu + h) + " for " + std::to_string(mtu) +
	     " B copies to cross it unfragmented");
}

WgUnderlay wg_underlay(const std::string &dev, unsigned mtu, const Endpoint &endpoint)
{
	bool v6 = !endpoint.addr.is_ipv4();
	WgUnderlay u;
	u.header = transport_header(DualKind::wireguard, v6);
	u.need = mtu + u.header;
	u.head = "WireGuard over " + std::string(v6 ? "IPv6" : "IPv4") + " adds " + std::to_string(u.header) + " B: " +
		 dev + "'s " + std::to_string(mtu) + " B packets to " + endpoint.str() + " need " +
		 std::to_string(u.need);
	return u;
}

void check_wg_underlay(Ctx &x, const std::string &dev, const WgUnderlay &u, const NetDevice &under)
{
	if (under.mtu < u.need)
		x.fail(u.head + ", more than the MTU of " + under.name + " under it, " + std::to_string(under.mtu) +
			       ": they leave in fragments",
		       "ip link set dev " + under.name + " mtu " + std::to_string(u.need) +
			       " if the path carries it; if not, ip link set dev " + dev + " mtu " +
			       std::to_string(under.mtu - u.header) + " and a main tunnel whose packets fit it");
	else
		x.ok(u.head + ": " + under.name + " under it has MTU " + std::to_string(under.mtu));
}

void check_wg_underlay_unknown(Ctx &x, const std::string &dev, unsigned mtu)
{
	unsigned v4 = transport_header(DualKind::wireguard, false), v6 = transport_header(DualKind::wireguard, true);
	x.ok("WireGuard adds " + std::to_string(v4) + " B over IPv4, " + std::to_string(v6) + " over IPv6: the path under " +
	     dev + " needs MTU " + std::to_string(mtu + v4) + " (" + std::to_string(mtu + v6) +
	     ") (no peer endpoint known yet)");
}

}  // namespace dupgre::checks
