// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <doctest/doctest.h>

#include <string>

#include "cli/config.h"
#include "core/error.h"

using namespace dupgre;

namespace {

const char primary[] = R"(# the guide's primary
role = primary
wan = eth0
client_remote = 10.66.6.0/24
dual_ipparam = bvpn
dual_mtu = 1448
client_mtu = 1380
snat = 10.123.82.34=34.123.238.192
eliminate = monitor
rp_filter = yes
)";

std::string error_of(const std::string &text)
{
	try {
		parse_config(text, "t.conf");
	} catch (const Error &e) {
		return e.what();
	}
	return "no error";
}

}  // namespace

TEST_CASE("a primary, every key")
{
	Config c = parse_config(primary, "t.conf");
	CHECK(c.role == Role::primary);
	CHECK(c.wan == "eth0");
	CHECK(c.client_remote->str() == "10.66.6.0/24");
	CHECK(c.dual_ipparam == "bvpn");
	CHECK(c.dual_mtu == 1448);
	CHECK(c.client_mtu == 1380);
	CHECK(c.snat->first.str() == "10.123.82.34");
	CHECK(c.snat->second.str() == "34.123.238.192");
	CHECK(c.eliminate == "monitor");
	CHECK(c.rp_filter);
}

TEST_CASE("defaults, comments, blank lines, spaces")
{
	Config c = parse_config("  role=client  # the router\n\n\twan = pppoe-wan\nprimary = 198.18.0.2\n", "t.conf");
	CHECK(c.role == Role::client);
	CHECK(c.wan == "pppoe-wan");
	CHECK(c.primary->str() == "198.18.0.2");
	CHECK(c.dual_ipparam == "bvpn");
	CHECK(c.dual_mtu == 1448);
	CHECK(c.eliminate == "off");
	CHECK(c.rp_filter);
	Config s = parse_config("role = secondary\ndual_remote = 10.66.4.60/30\nrp_filter = no\ndual_mtu = 0\n", "t.conf");
	CHECK(s.role == Role::secondary);
	CHECK(s.dual_remote->contains(parse_ipv4("10.66.4.63")));
	CHECK_FALSE(s.dual_remote->contains(parse_ipv4("10.66.4.64")));
	CHECK_FALSE(s.rp_filter);
	CHECK(s.dual_mtu == 0);
}

TEST_CASE("address ranges")
{
	CHECK(parse_cidr("10.66.6.66").contains(parse_ipv4("10.66.6.66")));
	CHECK_FALSE(parse_cidr("10.66.6.66").contains(parse_ipv4("10.66.6.67")));
	CHECK(parse_cidr("0.0.0.0/0").contains(parse_ipv4("198.18.0.1")));
	for (const char *bad : {"10.66.6.0/33", "10.66.6.0/", "10.66.6.0/x", "10.66.6/24", "10.66.6.0/-1"})
		CHECK_THROWS_AS(parse_cidr(bad), Error);
}

TEST_CASE("every error names the file, the line and the key")
{
	CHECK(error_of("role = primary\nwan eth0\n") == "t.conf:2: expected key = value");
	CHECK(error_of("role = primary\ncolour = blue\n") == "t.conf:2: colour: unknown key");
	CHECK(error_of("role = primary\nrole = client\n") == "t.conf:2: role: given twice");
	CHECK(error_of("role = relay\n") == "t.conf:1: role: expected primary, secondary or client");
	CHECK(error_of("role = primary\nwan = a/b\n") == "t.conf:2: wan: invalid interface name 'a/b'");
	CHECK(error_of("role = primary\ndual_ipparam = b vpn\n") == "t.conf:2: dual_ipparam: expected one word");
	CHECK(error_of("role = primary\nclient_remote = 10.66.6.0/40\n") ==
	      "t.conf:2: client_remote: invalid prefix length in '10.66.6.0/40'");
	CHECK(error_of("role = secondary\ndual_remote = nope\n") ==
	      "t.conf:2: dual_remote: invalid IPv4 address 'nope'");
	CHECK(error_of("role = client\nprimary = 224.0.0.1\n") ==
	      "t.conf:2: primary: expected the primary's public unicast address");
	CHECK(error_of("role = primary\nsnat = 10.0.0.1\n") ==
	      "t.conf:2: snat: invalid mapping '10.0.0.1': expected PRIVATE=PUBLIC");
	CHECK(error_of("role = primary\ndual_mtu = 100\n") ==
	      "t.conf:2: dual_mtu: expected an MTU (0 to leave it, else 576-65535)");
	CHECK(error_of("role = primary\nclient_mtu = big\n") ==
	      "t.conf:2: client_mtu: expected an MTU (0 to leave it, else 576-65535)");
	CHECK(error_of("role = primary\neliminate = sometimes\n") ==
	      "t.conf:2: eliminate: expected off, monitor, drop or order");
	CHECK(error_of("role = primary\nrp_filter = maybe\n") == "t.conf:2: rp_filter: expected yes or no");
}

TEST_CASE("what each role needs, and refuses")
{
	CHECK(error_of("wan = eth0\n") == "t.conf: role: required for this role");
	CHECK(error_of("role = primary\nclient_remote = 10.66.6.0/24\n") == "t.conf: wan: required for this role");
	CHECK(error_of("role = primary\nwan = eth0\n") == "t.conf: client_remote: required for this role");
	CHECK(error_of("role = primary\nwan = eth0\nclient_remote = 10.66.6.0/24\ndual_remote = 10.66.4.0/24\n") ==
	      "t.conf: dual_remote: not used by this role");
	CHECK(error_of("role = client\nwan = eth0\n") == "t.conf: primary: required for this role");
	CHECK(error_of("role = client\nwan = eth0\nprimary = 198.18.0.2\nsnat = 10.0.0.1=198.18.0.9\n") ==
	      "t.conf: snat: not used by this role");
	CHECK(error_of("role = secondary\n") == "t.conf: dual_remote: required for this role");
	CHECK(error_of("role = secondary\ndual_remote = 10.66.4.0/24\nwan = eth0\n") ==
	      "t.conf: wan: not used by this role");
	CHECK(error_of("role = secondary\ndual_remote = 10.66.4.0/24\neliminate = drop\n") ==
	      "t.conf: eliminate: not used by this role");
}

TEST_CASE("the shipped example parses")
{
	CHECK_NOTHROW(load_config(std::string(EXAMPLE_CONFIG)));
}
