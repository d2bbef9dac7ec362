// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// What check reads of a WireGuard device: the UAPI reply, and the lookup
// WireGuard does over AllowedIPs (longest prefix, per address family).
#include <arpa/inet.h>
#include <doctest/doctest.h>

#include "core/error.h"
#include "core/wgpeers.h"

using namespace dupgre;

namespace {

IpAddr ip(const char *text)
{
	IpAddr a;
	struct in_addr v4;
	if (inet_pton(AF_INET, text, &v4) == 1)
		return IpAddr::from_ipv4(Ipv4{v4.s_addr});
	REQUIRE(inet_pton(AF_INET6, text, a.bytes.data()) == 1);
	return a;
}

// Two peers as wireguard-go answers "get=1" (keys in hex).
const char reply[] =
	"private_key=e84b5a6d2717c1003a13b431570353dbaca9146cf150c5f8575680feba52027a\n"
	"listen_port=51821\n"
	"public_key=b85996fecc9c7f1390ba284190cea0d4fc6c3d75e7a2cf75e7a2cf75e7a2cf75\n"
	"endpoint=198.18.0.1:51822\n"
	"allowed_ip=10.66.4.66/32\n"
	"allowed_ip=198.18.0.0/15\n"
	"public_key=58402e7f4b9d5f6a0e2c3f2b1f6c8d4e5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d\n"
	"endpoint=[2001:db8::2]:51823\n"
	"allowed_ip=198.18.0.2/32\n"
	"allowed_ip=2001:db8::/32\n"
	"allowed_ip=fd00::/8\n"
	"errno=0\n"
	"\n";

}  // namespace

TEST_CASE("the UAPI reply: peers, endpoints, AllowedIPs, keys as wg shows them")
{
	WgDevice d = parse_wg_uapi("wg0", reply);
	CHECK(d.listen_port == 51821);
	CHECK(d.source == "userspace");
	REQUIRE(d.peers.size() == 2);
	CHECK(d.peers[0].public_key == "uFmW/sycfxOQuihBkM6g1PxsPXXnos9156LPdeeiz3U=");
	CHECK(d.peers[0].endpoint->str() == "198.18.0.1:51822");
	CHECK(d.peers[0].allowed_ips_str() == "10.66.4.66/32,198.18.0.0/15");
	CHECK(d.peers[1].endpoint->str() == "[2001:db8::2]:51823");
	CHECK(d.peers[1].allowed_ips_str() == "198.18.0.2/32,2001:db8::/32,fd00::/8");
}

TEST_CASE("the UAPI reply: what cannot be read is an error naming the device")
{
	CHECK_THROWS_WITH_AS(parse_wg_uapi("wg0", "listen_port=1\n"), "wg0: WireGuard's UAPI reply ended early", Error);
	CHECK_THROWS_WITH_AS(parse_wg_uapi("wg0", "errno=19\n\n"), "wg0: WireGuard's UAPI answered errno 19", Error);
	CHECK_THROWS_AS(parse_wg_uapi("wg0", "public_key=abcd\nerrno=0\n\n"), Error);
	CHECK_THROWS_AS(parse_wg_uapi("wg0", "listen_port=x\nerrno=0\n\n"), Error);
	std::string key = "public_key=" + std::string(64, 'a') + "\n";
	CHECK_THROWS_AS(parse_wg_uapi("wg0", key + "allowed_ip=198.18.0.1/33\nerrno=0\n\n"), Error);
	CHECK_THROWS_AS(parse_wg_uapi("wg0", key + "allowed_ip=198.18.0.1\nerrno=0\n\n"), Error);
	CHECK_THROWS_AS(parse_wg_uapi("wg0", key + "allowed_ip=2001:db8::/129\nerrno=0\n\n"), Error);
	CHECK_THROWS_AS(parse_wg_uapi("wg0", key + "endpoint=nowhere\nerrno=0\n\n"), Error);
	CHECK_THROWS_AS(parse_wg_uapi("wg0", "no equals sign\nerrno=0\n\n"), Error);
}

TEST_CASE("AllowedIPs: the longest prefix wins, and families never mix")
{
	WgDevice d = parse_wg_uapi("wg0", reply);
	const WgPeer *a = &d.peers[0], *b = &d.peers[1];
	CHECK(d.peer_for(ip("198.18.0.1")) == a);   // in a's /15
	CHECK(d.peer_for(ip("198.19.255.255")) == a);
	CHECK(d.peer_for(ip("198.18.0.2")) == b);   // b's /32 beats a's /15
	CHECK(d.peer_for(ip("198.20.0.1")) == nullptr);
	CHECK(d.peer_for(ip("10.66.4.66")) == a);
	CHECK(d.peer_for(ip("10.66.4.67")) == nullptr);
	CHECK(d.peer_for(ip("2001:db8:ffff::1")) == b);
	CHECK(d.peer_for(ip("2001:db9::1")) == nullptr);
	CHECK(d.peer_for(ip("fd12:3456::1")) == b);
	// ::ffff:198.18.0.1 is how IPv4 is kept; an IPv6 /0 holds no IPv4 address.
	WgAllowedIp v6_any{ip("2001:db8::"), 0};
	CHECK_FALSE(v6_any.contains(ip("198.18.0.1")));
	CHECK(v6_any.contains(ip("2001:db8::1")));
	WgAllowedIp v4_any{ip("0.0.0.0"), 0};
	CHECK(v4_any.contains(ip("198.18.0.1")));
	CHECK_FALSE(v4_any.contains(ip("2001:db8::1")));
	WgAllowedIp odd{ip("198.18.0.128"), 25};
	CHECK(odd.contains(ip("198.18.0.255")));
	CHECK_FALSE(odd.contains(ip("198.18.0.127")));
}
