// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// check's MTU arithmetic (site/check/mtu.cpp): the largest tunnel packet,
// whether a dual link holds a copy of it, and the path under the link for
// the link's own headers, for each dual link kind over IPv4 and IPv6, on
// each side of the boundary. Facts in, results out: no devices.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <net/if_arp.h>

#include <string>
#include <vector>

#include "site/check/links.h"

#ifndef ARPHRD_IP6GRE
#define ARPHRD_IP6GRE 823
#endif

using namespace dupgre;
using namespace dupgre::checks;

namespace {

const std::string file = "t.conf";

// The results of one call of a check, against a configuration.
struct Run {
	Config c;
	std::vector<CheckResult> out;
	Ctx ctx() { return Ctx{out, c, file}; }
};

NetDevice dev(const std::string &name, unsigned mtu, unsigned type = 0)
{
	NetDevice d;
	d.name = name;
	d.mtu = mtu;
	d.type = type;
	d.up = d.running = true;
	return d;
}

LinkState link(const std::string &name, unsigned mtu, DualKind k, unsigned type = 0)
{
	return {dev(name, mtu, type), std::nullopt, k};
}

Endpoint endpoint(const char *text)
{
	return parse_endpoint(text, 51820);
}

// No MTU check warns: each passes or fails.
void no_warn(const std::vector<CheckResult> &out)
{
	for (const CheckResult &r : out)
		CHECK_FALSE(r.warn);
}

}  // namespace

TEST_CASE("the largest tunnel packet: PPTP's 44 B, WireGuard's 60 or 80, at most the WAN's MTU")
{
	Largest p = pptp_largest("client_mtu 1380", 1380);
	CHECK(p.bytes == 1424);
	CHECK(p.why == "client_mtu 1380 + PPTP's 44 B");

	Largest w4 = wireguard_largest("wg0", 1420, false);
	CHECK(w4.bytes == 1480);
	CHECK(w4.why == "wg0's MTU 1420 + WireGuard's 60 B over IPv4");
	Largest w6 = wireguard_largest("wg0", 1420, true);
	CHECK(w6.bytes == 1500);
	CHECK(w6.why == "wg0's MTU 1420 + WireGuard's 80 B over IPv6");

	// A WAN smaller than the tunnel's packets bounds them; one as large
	// or larger does not; with no tunnel device found, the WAN's MTU.
	Largest l = w6;
	cap_by_wan(l, dev("eth0", 1499));
	CHECK(l.bytes == 1499);
	CHECK(l.why == "the MTU of eth0, the WAN");
	l = w6;
	cap_by_wan(l, dev("eth0", 1500));
	CHECK(l.bytes == 1500);
	CHECK(l.why == w6.why);
	l = {};
	cap_by_wan(l, dev("eth0", 1492));
	CHECK(l.bytes == 1492);
}

TEST_CASE("the dual link holds the largest tunnel packet: passes at it, fails one byte below")
{
	Largest need = pptp_largest("client_mtu 1380", 1380);  // 1424
	for (DualKind k : {DualKind::ppp, DualKind::wireguard, DualKind::gre, DualKind::ipip}) {
		CAPTURE(dual_kind_name(k));
		Run at;
		at.c.dual = k;
		at.c.dual_mtu = 0;
		Ctx x = at.ctx();
		check_mtu(x, link("dual0", 1424, k), need);
		REQUIRE(at.out.size() == 1);
		CHECK(at.out[0].ok);
		CHECK(at.out[0].what ==
		      "MTU of dual0 (dual link): 1424 holds the largest tunnel packet, 1424 B (client_mtu 1380 + PPTP's 44 B)");
		no_warn(at.out);

		Run below;
		below.c.dual = k;
		below.c.dual_mtu = 0;
		Ctx y = below.ctx();
		check_mtu(y, link("dual0", 1423, k), need);
		REQUIRE(below.out.size() == 1);
		CHECK_FALSE(below.out[0].ok);
		CHECK(below.out[0].what ==
		      "MTU of dual0 (dual link): 1423 is smaller than the largest tunnel packet, 1424 B (client_mtu 1380 + "
		      "PPTP's 44 B): larger copies are dropped");
		CHECK(below.out[0].fix == std::string("ip link set dev dual0 mtu 1424") +
						  (k == DualKind::wireguard ? " (wg-quick: MTU = 1424)" : ""));
		no_warn(below.out);
	}
}

TEST_CASE("dual_mtu in the file: the fix sets the larger; one below the largest packet fails even when the link holds it")
{
	Largest need = wireguard_largest("wg0", 1420, false);  // 1480
	Run high;
	high.c.dual = DualKind::wireguard;
	high.c.dual_mtu = 1500;
	Ctx x = high.ctx();
	check_mtu(x, link("wgdual", 1440, DualKind::wireguard), need);
	REQUIRE(high.out.size() == 1);
	CHECK_FALSE(high.out[0].ok);
	CHECK(high.out[0].fix == "ip link set dev wgdual mtu 1500 (wg-quick: MTU = 1500)");

	Run low;
	low.c.dual = DualKind::gre;
	low.c.dual_mtu = 1479;
	Ctx y = low.ctx();
	check_mtu(y, link("gre1", 1480, DualKind::gre), need);
	REQUIRE(low.out.size() == 2);
	CHECK(low.out[0].ok);
	CHECK_FALSE(low.out[1].ok);
	CHECK(low.out[1].what ==
	      "dual_mtu = 1479 in t.conf is smaller than the largest tunnel packet, 1480 B (wg0's MTU 1420 + "
	      "WireGuard's 60 B over IPv4): the next link-up sets gre1 to it");
	CHECK(low.out[1].fix == "dual_mtu = 1480 in t.conf (or 0 to leave the MTU alone)");
	no_warn(low.out);

	// dual_mtu at the largest packet: nothing to say.
	Run same;
	same.c.dual_mtu = 1480;
	Ctx z = same.ctx();
	check_mtu(z, link("gre1", 1480, DualKind::gre), need);
	REQUIRE(same.out.size() == 1);
	CHECK(same.out[0].ok);

	// Both low: the fix names both.
	Run both;
	both.c.dual = DualKind::gre;
	both.c.dual_mtu = 1400;
	Ctx w = both.ctx();
	check_mtu(w, link("gre1", 1476, DualKind::gre), need);
	REQUIRE(both.out.size() == 1);
	CHECK_FALSE(both.out[0].ok);
	CHECK(both.out[0].fix == "ip link set dev gre1 mtu 1480, and dual_mtu = 1480 in t.conf");
}

TEST_CASE("GRE and IPIP over IPv4 and IPv6: what the path under the link needs")
{
	struct Row {
		DualKind k;
		unsigned type;
		const char *text;
	} rows[] = {
		{DualKind::gre, ARPHRD_IPGRE,
		 "gre over IPv4 adds 24 B: the path under d needs MTU 1500 for 1476 B copies to cross it unfragmented"},
		{DualKind::gre, ARPHRD_IP6GRE,
		 "gre over IPv6 adds 44 B: the path under d needs MTU 1520 for 1476 B copies to cross it unfragmented"},
		{DualKind::ipip, ARPHRD_TUNNEL,
		 "ipip over IPv4 adds 20 B: the path under d needs MTU 1496 for 1476 B copies to cross it unfragmented"},
		{DualKind::ipip, ARPHRD_TUNNEL6,
		 "ipip over IPv6 adds 40 B: the path under d needs MTU 1516 for 1476 B copies to cross it unfragmented"},
	};
	for (const Row &r : rows) {
		Run run;
		Ctx x = run.ctx();
		check_underlay_kind(x, link("d", 1476, r.k, r.type));
		REQUIRE(run.out.size() == 1);
		CHECK(run.out[0].ok);
		CHECK(run.out[0].what == r.text);
		no_warn(run.out);
	}
	// Each kind's default MTU is a whole copy on a 1500-byte IPv4 path.
	for (DualKind k : {DualKind::wireguard, DualKind::gre, DualKind::ipip}) {
		CAPTURE(dual_kind_name(k));
		CHECK(default_dual_mtu(k) + transport_header(k, false) == 1500);
	}
	CHECK(transport_header(DualKind::ppp, false) == 0);
	CHECK(transport_header(DualKind::ppp, true) == 0);
}

TEST_CASE("WireGuard over IPv4 and IPv6: the device under a peer's endpoint, passing at the need, failing below")
{
	struct Row {
		const char *endpoint;
		unsigned header;
		const char *family;
	} rows[] = {{"198.18.0.3:51820", 60, "IPv4"}, {"[2001:db8::3]:51820", 80, "IPv6"}};
	for (const Row &r : rows) {
		CAPTURE(r.family);
		WgUnderlay u = wg_underlay("wgdual", 1420, endpoint(r.endpoint));
		CHECK(u.header == r.header);
		CHECK(u.need == 1420 + r.header);
		CHECK(u.head == "WireGuard over " + std::string(r.family) + " adds " + std::to_string(r.header) +
					" B: wgdual's 1420 B packets to " + r.endpoint + " need " +
					std::to_string(1420 + r.header));

		Run at;
		Ctx x = at.ctx();
		check_wg_underlay(x, "wgdual", u, dev("eth0", u.need));
		REQUIRE(at.out.size() == 1);
		CHECK(at.out[0].ok);
		CHECK(at.out[0].what == u.head + ": eth0 under it has MTU " + std::to_string(u.need));
		no_warn(at.out);

		Run below;
		Ctx y = below.ctx();
		check_wg_underlay(y, "wgdual", u, dev("eth0", u.need - 1));
		REQUIRE(below.out.size() == 1);
		CHECK_FALSE(below.out[0].ok);
		CHECK(below.out[0].what == u.head + ", more than the MTU of eth0 under it, " + std::to_string(u.need - 1) +
						   ": they leave in fragments");
		// The smaller fix: the dual link's MTU that fits the path.
		CHECK(below.out[0].fix == "ip link set dev eth0 mtu " + std::to_string(u.need) +
						  " if the path carries it; if not, ip link set dev wgdual mtu 1419"
						  " and a main tunnel whose packets fit it");
		no_warn(below.out);
	}
	Run unknown;
	Ctx z = unknown.ctx();
	check_wg_underlay_unknown(z, "wgdual", 1440);
	REQUIRE(unknown.out.size() == 1);
	CHECK(unknown.out[0].ok);
	CHECK(unknown.out[0].what == "WireGuard adds 60 B over IPv4, 80 over IPv6: the path under wgdual needs MTU 1500 "
				     "(1520) (no peer endpoint known yet)");
	no_warn(unknown.out);
}

TEST_CASE("the secondary's dual links: each as large as the largest, one byte less fails")
{
	auto pair = [](const std::string &name, unsigned mtu) {
		return std::make_pair(DualLink{name, {}, DualKind::wireguard}, link(name, mtu, DualKind::wireguard));
	};
	Run same;
	Ctx x = same.ctx();
	check_relay_mtus(x, {pair("wg1", 1440), pair("gre1", 1440)});
	REQUIRE(same.out.size() == 2);
	CHECK(same.out[0].ok);
	CHECK(same.out[1].ok);
	CHECK(same.out[1].what == "MTU of gre1 (dual link): 1440 holds copies from every other dual link");

	Run one_less;
	Ctx y = one_less.ctx();
	check_relay_mtus(y, {pair("wg1", 1440), pair("gre1", 1439)});
	REQUIRE(one_less.out.size() == 2);
	CHECK(one_less.out[0].ok);
	CHECK_FALSE(one_less.out[1].ok);
	CHECK(one_less.out[1].what ==
	      "MTU of gre1 (dual link): 1439, smaller than wg1's 1440: larger copies from there are dropped here");
	CHECK(one_less.out[1].fix == "ip link set dev gre1 mtu 1440");
	no_warn(one_less.out);
}
