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

// check_mtu's results for a link of that kind and MTU, with dual and
// dual_mtu so in the configuration.
std::vector<CheckResult> mtu_results(const LinkState &s, const Largest &need, DualKind dual, unsigned dual_mtu)
{
	Run r;
	r.c.dual = dual;
	r.c.dual_mtu = dual_mtu;
	Ctx x = r.ctx();
	check_mtu(x, s, need);
	no_warn(r.out);
	return r.out;
}

std::vector<CheckResult> wg_results(const WgUnderlay &u, const NetDevice &under)
{
	Run r;
	Ctx x = r.ctx();
	check_wg_underlay(x, "wgdual", u, under);
	no_warn(r.out);
	return r.out;
}

std::vector<CheckResult> relay_results(const std::vector<std::pair<std::string, unsigned>> &mtus)
{
	std::vector<std::pair<DualLink, LinkState>> links;
	for (const auto &[name, mtu] : mtus)
		links.emplace_back(DualLink{name, {}, DualKind::wireguard}, link(name, mtu, DualKind::wireguard));
	Run r;
	Ctx x = r.ctx();
	check_relay_mtus(x, links);
	no_warn(r.out);
	return r.out;
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
		auto at = mtu_results(link("dual0", 1424, k), need, k, 0);
		REQUIRE(at.size() == 1);
		CHECK(at[0].ok);
		CHECK(at[0].what ==
		      "MTU of dual0 (dual link): 1424 holds the largest tunnel packet, 1424 B (client_mtu 1380 + PPTP's 44 B)");

		auto below = mtu_results(link("dual0", 1423, k), need, k, 0);
		REQUIRE(below.size() == 1);
		CHECK_FALSE(below[0].ok);
		CHECK(below[0].what ==
		      "MTU of dual0 (dual link): 1423 is smaller than the largest tunnel packet, 1424 B (client_mtu 1380 + "
		      "PPTP's 44 B): larger copies are dropped");
		CHECK(below[0].fix == std::string("ip link set dev dual0 mtu 1424") +
					      (k == DualKind::wireguard ? " (wg-quick: MTU = 1424)" : ""));
	}
}

TEST_CASE("dual_mtu in the file: the fix sets the larger; one below the largest packet fails even when the link holds it")
{
	Largest need = wireguard_largest("wg0", 1420, false);  // 1480
	auto high = mtu_results(link("wgdual", 1440, DualKind::wireguard), need, DualKind::wireguard, 1500);
	REQUIRE(high.size() == 1);
	CHECK_FALSE(high[0].ok);
	CHECK(high[0].fix == "ip link set dev wgdual mtu 1500 (wg-quick: MTU = 1500)");

	auto low = mtu_results(link("gre1", 1480, DualKind::gre), need, DualKind::gre, 1479);
	REQUIRE(low.size() == 2);
	CHECK(low[0].ok);
	CHECK_FALSE(low[1].ok);
	CHECK(low[1].what ==
	      "dual_mtu = 1479 in t.conf is smaller than the largest tunnel packet, 1480 B (wg0's MTU 1420 + "
	      "WireGuard's 60 B over IPv4): the next link-up sets gre1 to it");
	CHECK(low[1].fix == "dual_mtu = 1480 in t.conf (or 0 to leave the MTU alone)");

	// dual_mtu at the largest packet: nothing to say.
	auto same = mtu_results(link("gre1", 1480, DualKind::gre), need, DualKind::gre, 1480);
	REQUIRE(same.size() == 1);
	CHECK(same[0].ok);

	// Both low: the fix names both.
	auto both = mtu_results(link("gre1", 1476, DualKind::gre), need, DualKind::gre, 1400);
	REQUIRE(both.size() == 1);
	CHECK_FALSE(both[0].ok);
	CHECK(both[0].fix == "ip link set dev gre1 mtu 1480, and dual_mtu = 1480 in t.conf");
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

		auto at = wg_results(u, dev("eth0", u.need));
		REQUIRE(at.size() == 1);
		CHECK(at[0].ok);
		CHECK(at[0].what == u.head + ": eth0 under it has MTU " + std::to_string(u.need));

		auto below = wg_results(u, dev("eth0", u.need - 1));
		REQUIRE(below.size() == 1);
		CHECK_FALSE(below[0].ok);
		CHECK(below[0].what == u.head + ", more than the MTU of eth0 under it, " + std::to_string(u.need - 1) +
					       ": they leave in fragments");
		// The smaller fix: the dual link's MTU that fits the path.
		CHECK(below[0].fix == "ip link set dev eth0 mtu " + std::to_string(u.need) +
					      " if the path carries it; if not, ip link set dev wgdual mtu 1419"
					      " and a main tunnel whose packets fit it");
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
	auto same = relay_results({{"wg1", 1440}, {"gre1", 1440}});
	REQUIRE(same.size() == 2);
	CHECK(same[0].ok);
	CHECK(same[1].ok);
	CHECK(same[1].what == "MTU of gre1 (dual link): 1440 holds copies from every other dual link");

	auto one_less = relay_results({{"wg1", 1440}, {"gre1", 1439}});
	REQUIRE(one_less.size() == 2);
	CHECK(one_less[0].ok);
	CHECK_FALSE(one_less[1].ok);
	CHECK(one_less[1].what ==
	      "MTU of gre1 (dual link): 1439, smaller than wg1's 1440: larger copies from there are dropped here");
	CHECK(one_less[1].fix == "ip link set dev gre1 mtu 1440");
}
