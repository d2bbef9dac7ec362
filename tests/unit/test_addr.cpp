// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <doctest/doctest.h>

#include <algorithm>

#include "core/addr.h"
#include "core/error.h"
#include "core/netdev.h"

using namespace dupgre;

TEST_CASE("peer addresses: dotted quads only")
{
	CHECK(parse_ipv4("198.18.0.1").str() == "198.18.0.1");
	CHECK(parse_ipv4("255.255.255.254").str() == "255.255.255.254");
	for (const char *bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.4/32",
				" 1.2.3.4", "1.2.3.4 ", "::1", "example.com", "0x01020304"}) {
		CAPTURE(bad);
		CHECK_THROWS_AS(parse_ipv4(bad), Error);
	}
	CHECK_THROWS_WITH(parse_ipv4("1.2.3"), "invalid IPv4 address '1.2.3'");
}

TEST_CASE("only unicast addresses can be peers")
{
	CHECK(parse_ipv4("198.18.0.1").is_unicast());
	CHECK(parse_ipv4("10.66.6.66").is_unicast());
	CHECK(parse_ipv4("223.255.255.255").is_unicast());
	for (const char *bad : {"0.0.0.0", "0.1.2.3", "127.0.0.1", "224.0.0.1", "239.1.1.1",
				"240.0.0.1", "255.255.255.255"})
		CHECK_FALSE(parse_ipv4(bad).is_unicast());
}

TEST_CASE("addresses sort numerically")
{
	CHECK(parse_ipv4("9.0.0.1") < parse_ipv4("10.0.0.1"));
	CHECK_FALSE(parse_ipv4("10.0.0.1") < parse_ipv4("9.0.0.1"));
}

TEST_CASE("interface names the kernel could never accept are rejected")
{
	CHECK_NOTHROW(validate_ifname("eth0"));
	CHECK_NOTHROW(validate_ifname("pppoe-wan"));
	CHECK_NOTHROW(validate_ifname("a23456789012345"));  // IFNAMSIZ - 1
	for (const char *bad : {"", "a234567890123456", "a/b", "a b", "a:b", ".", ".."})
		CHECK_THROWS_AS(validate_ifname(bad), Error);
}

TEST_CASE("NAT mappings: two different unicast addresses")
{
	auto [a, b] = parse_mapping("10.0.0.5=198.18.0.9", "PRIVATE=PUBLIC");
	CHECK(a.str() == "10.0.0.5");
	CHECK(b.str() == "198.18.0.9");
	for (const char *bad : {"", "10.0.0.5", "10.0.0.5=", "=10.0.0.5", "10.0.0.5=10.0.0.5",
				"10.0.0.5=224.0.0.1", "10.0.0.5:198.18.0.9", "10.0.0.5=198.18.0.9=1.2.3.4"}) {
		CAPTURE(bad);
		CHECK_THROWS_AS(parse_mapping(bad, "PRIVATE=PUBLIC"), Error);
	}
}

TEST_CASE("WireGuard endpoints: ADDR[:PORT], IPV6, [IPV6]:PORT")
{
	CHECK(parse_endpoint("198.18.0.1", 51820).str() == "198.18.0.1:51820");
	CHECK(parse_endpoint("198.18.0.1:443", 51820).str() == "198.18.0.1:443");
	CHECK(parse_endpoint("198.18.0.1:65535", 51820).port == 65535);
	CHECK(parse_endpoint("198.18.0.1", 51820).addr.is_ipv4());
	CHECK(parse_endpoint("2001:db8::1", 51820).str() == "[2001:db8::1]:51820");
	CHECK(parse_endpoint("[2001:db8::1]:1", 51820).str() == "[2001:db8::1]:1");
	CHECK(parse_endpoint("[2001:DB8:0::1]", 51820).str() == "[2001:db8::1]:51820");
	CHECK(parse_endpoint("fd00::2", 51820).str() == "[fd00::2]:51820");
	// IPv4-mapped is IPv4, keyed as the program keys an IPv4 packet.
	CHECK(parse_endpoint("::ffff:198.18.0.1", 51820) == parse_endpoint("198.18.0.1", 51820));
	auto v4 = parse_endpoint("198.18.0.1", 1).addr.bytes;
	const uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 198, 18, 0, 1};
	CHECK(std::equal(v4.begin(), v4.end(), mapped));
	for (const char *bad : {"", "198.18.0.1:", "198.18.0.1:0", "198.18.0.1:65536", "198.18.0.1:-1",
				"198.18.0.1:51820x", "198.18.0.1:0x10", "[198.18.0.1]:51820", "[2001:db8::1",
				"[2001:db8::1]51820", "[2001:db8::1]:", "2001:db8::1:51820:", "example.com:51820",
				"1.2.3:51820", "0.0.0.0", "127.0.0.1", "224.0.0.1:5", "::", "::1", "ff02::1",
				"[fe80::1]:51820", "198.18.0.1:123456"}) {
		CAPTURE(bad);
		CHECK_THROWS_AS(parse_endpoint(bad, 51820), Error);
	}
	CHECK_THROWS_WITH(parse_endpoint("198.18.0.1:0", 51820),
			  "invalid endpoint '198.18.0.1:0': the port must be 1 to 65535");
}

TEST_CASE("endpoints sort IPv4 first, then by address and port")
{
	CHECK(parse_endpoint("198.18.0.1:2", 1) < parse_endpoint("198.18.0.2:1", 1));
	CHECK(parse_endpoint("198.18.0.1:1", 1) < parse_endpoint("198.18.0.1:2", 1));
	CHECK(parse_endpoint("223.0.0.1", 1) < parse_endpoint("2001:db8::1", 1));
}
