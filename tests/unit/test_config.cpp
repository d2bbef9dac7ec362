// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "site/config.h"
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
	REQUIRE(c.primary.size() == 1);
	CHECK(c.primary[0].str() == "198.18.0.2");
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
	      "t.conf:2: primary: '224.0.0.1' is not a public unicast address");
	CHECK(error_of("role = client\nprimary = ff02::1\n") ==
	      "t.conf:2: primary: 'ff02::1' is not a public unicast address");
	CHECK(error_of("role = client\nprimary = 198.18.0.2:51820\n") ==
	      "t.conf:2: primary: invalid address '198.18.0.2:51820': expected an IPv4 or IPv6 address");
	CHECK(error_of("role = primary\nsnat = 10.0.0.1\n") ==
	      "t.conf:2: snat: invalid mapping '10.0.0.1': expected PRIVATE=PUBLIC");
	CHECK(error_of("role = primary\ndual_mtu = 100\n") ==
	      "t.conf:2: dual_mtu: expected an MTU (0 to leave it, else 576-65535)");
	CHECK(error_of("role = primary\nclient_mtu = big\n") ==
	      "t.conf:2: client_mtu: expected an MTU (0 to leave it, else 576-65535)");
	CHECK(error_of("role = primary\neliminate = sometimes\n") ==
	      "t.conf:2: eliminate: expected off, monitor, drop or order");
	CHECK(error_of("role = primary\nrp_filter = maybe\n") == "t.conf:2: rp_filter: expected yes or no");
	CHECK(error_of("role = primary\ntunnel = openvpn\n") == "t.conf:2: tunnel: expected pptp or wireguard");
	for (const char *port : {"0", "65536", "", "51820x", "-1", "123456"})
		CHECK(error_of(std::string("role = primary\ntunnel_port = ") + port + "\n") ==
		      "t.conf:2: tunnel_port: expected the server's UDP port, 1-65535");
	CHECK(error_of("role = primary\ndual = vxlan\n") == "t.conf:2: dual: expected ppp, wireguard, gre or ipip");
	CHECK(error_of("role = primary\ndual_dev = wg/0\n") == "t.conf:2: dual_dev: invalid interface name 'wg/0'");
}

TEST_CASE("clients: public addresses, IPv4 and IPv6, each once")
{
	const std::string head = "role = primary\nwan = eth0\ntunnel = wireguard\ndual = wireguard\ndual_dev = wg1\n";
	Config c = parse_config(head + "clients = 198.18.1.1 2001:db8::7,198.18.1.2\n", "t.conf");
	REQUIRE(c.clients.size() == 3);
	CHECK(c.clients[0].str() == "198.18.1.1");
	CHECK(c.clients[0].is_ipv4());
	CHECK(c.clients[1].str() == "2001:db8::7");
	CHECK_FALSE(c.clients[1].is_ipv4());
	CHECK(error_of(head + "clients =\n") == "t.conf:6: clients: expected the clients' public addresses, ADDR ADDR ...");
	CHECK(error_of(head + "clients = 198.18.1.1 198.18.1.1\n") == "t.conf:6: clients: 198.18.1.1 given twice");
	CHECK(error_of(head + "clients = 2001:db8::7 2001:DB8:0::7\n") == "t.conf:6: clients: 2001:db8::7 given twice");
	CHECK(error_of(head + "clients = 198.18.1.1 127.0.0.1\n") ==
	      "t.conf:6: clients: '127.0.0.1' is not a public unicast address");
	CHECK(error_of(head + "clients = fe80::1\n") == "t.conf:6: clients: 'fe80::1' is not a public unicast address");
	CHECK(error_of(head + "clients = [2001:db8::7]\n") ==
	      "t.conf:6: clients: invalid address '[2001:db8::7]': expected an IPv4 or IPv6 address");
	CHECK(error_of(head + "clients = 198.18.1\n") ==
	      "t.conf:6: clients: invalid address '198.18.1': expected an IPv4 or IPv6 address");
}

TEST_CASE("relay: each device and the sites behind it")
{
	const std::string head = "role = secondary\ndual = wireguard\n";
	Config c = parse_config(head + "relay = wg0=198.18.0.1,2001:db8::1 gre1=198.18.0.5\n", "t.conf");
	REQUIRE(c.relay.size() == 2);
	CHECK(c.relay[0].dev == "wg0");
	CHECK(c.relay[0].kind == DualKind::wireguard);
	REQUIRE(c.relay[0].sites.size() == 2);
	CHECK(c.relay[0].sites[0].str() == "198.18.0.1");
	CHECK(c.relay[0].sites[1].str() == "2001:db8::1");
	CHECK(c.relay[1].dev == "gre1");
	CHECK(c.relay[1].sites.at(0).str() == "198.18.0.5");
	CHECK(error_of(head + "relay =\n") == "t.conf:3: relay: expected [KIND:]DEV=ADDR[,ADDR] ...");
	for (const char *bad : {"wg0", "=198.18.0.1", "wg0=", "wg0=,"})
		CHECK(error_of(head + "relay = " + bad + "\n") ==
		      std::string("t.conf:3: relay: expected [KIND:]DEV=ADDR[,ADDR] ..., not '") + bad + "'");
	CHECK(error_of(head + "relay = wg0=198.18.0.1 wg0=198.18.0.2\n") == "t.conf:3: relay: device wg0 given twice");
	CHECK(error_of(head + "relay = wg0=198.18.0.1 gre1=198.18.0.1\n") ==
	      "t.conf:3: relay: site 198.18.0.1 given for wg0 and gre1: one link leads to a site");
	CHECK(error_of(head + "relay = wg0=198.18.0.1,198.18.0.1\n") ==
	      "t.conf:3: relay: site 198.18.0.1 given for wg0 twice");
	CHECK(error_of(head + "relay = a/b=198.18.0.1\n") == "t.conf:3: relay: invalid interface name 'a/b'");
	CHECK(error_of(head + "relay = wg0=10.0.0\n") ==
	      "t.conf:3: relay: invalid address '10.0.0': expected an IPv4 or IPv6 address");
	CHECK(error_of(head + "relay = wg0=0.0.0.0\n") == "t.conf:3: relay: '0.0.0.0' is not a public unicast address");
	// The IPv4 site's key: no IPv6 packet may match it (the program drops
	// IPv6 with a mapped address), and as IPv6 text it would be the IPv4 site.
	CHECK(error_of(head + "relay = wg0=::ffff:198.18.0.1\n") ==
	      "t.conf:3: relay: '::ffff:198.18.0.1' is an IPv4-mapped IPv6 address: give the IPv4 address "
	      "198.18.0.1, or a real IPv6 one");
	CHECK_THROWS_AS(parse_ipaddr("::ffff:c612:1"), Error);
}

TEST_CASE("what each role needs, and refuses")
{
	CHECK(error_of("wan = eth0\n") == "t.conf: role: required (primary, secondary or client)");
	CHECK(error_of("role = primary\nclient_remote = 10.66.6.0/24\n") ==
	      "t.conf: wan: required for role = primary");
	CHECK(error_of("role = primary\nwan = eth0\n") ==
	      "t.conf: client_remote: required for role = primary with tunnel = pptp");
	CHECK(error_of("role = primary\nwan = eth0\nclient_remote = 10.66.6.0/24\ndual_remote = 10.66.4.0/24\n") ==
	      "t.conf:4: dual_remote: not used by role = primary");
	CHECK(error_of("role = client\nwan = eth0\n") == "t.conf: primary: required for role = client");
	CHECK(error_of("role = client\nwan = eth0\nprimary = 198.18.0.2\nsnat = 10.0.0.1=198.18.0.9\n") ==
	      "t.conf:4: snat: not used by role = client");
	CHECK(error_of("role = secondary\ndual_remote = 10.66.4.0/24\nwan = eth0\n") ==
	      "t.conf:3: wan: not used by role = secondary");
	CHECK(error_of("role = secondary\ndual_remote = 10.66.4.0/24\neliminate = drop\n") ==
	      "t.conf:3: eliminate: not used by role = secondary");
	// The first refusal in the file's order, before anything missing.
	CHECK(error_of("snat = 10.0.0.1=198.18.0.9\nrole = client\ndual_remote = 10.66.4.0/24\n") ==
	      "t.conf:1: snat: not used by role = client");
}

TEST_CASE("what each tunnel and dual link kind needs, and refuses")
{
	CHECK(error_of("role = primary\nwan = eth0\ntunnel = wireguard\nclient_remote = 10.66.6.0/24\n") ==
	      "t.conf:4: client_remote: not used with tunnel = wireguard (clients lists the clients)");
	CHECK(error_of("role = primary\nwan = eth0\ntunnel = wireguard\n") ==
	      "t.conf: clients: required for role = primary with tunnel = wireguard");
	CHECK(error_of("role = primary\nwan = eth0\nclient_remote = 10.66.6.0/24\nclients = 198.18.1.1\n") ==
	      "t.conf:4: clients: not used with tunnel = pptp (client_remote finds the client connections)");
	CHECK(error_of("role = primary\nwan = eth0\nclient_remote = 10.66.6.0/24\ntunnel_port = 4500\n") ==
	      "t.conf:4: tunnel_port: not used with tunnel = pptp");
	CHECK(error_of("role = primary\nwan = eth0\ntunnel = wireguard\nclients = 198.18.1.1\nsnat = 10.0.0.1=198.18.0.9\n") ==
	      "t.conf:5: snat: not used with tunnel = wireguard (1:1 NAT is fixed for PPTP only)");
	CHECK(error_of("role = client\nwan = eth0\nprimary = 198.18.0.2\ndual = gre\n") ==
	      "t.conf: dual_dev: required with dual = gre");
	CHECK(error_of("role = client\nwan = eth0\nprimary = 198.18.0.2\ndual = ipip\ndual_dev = tun1\ndual_ipparam = bvpn\n") ==
	      "t.conf:6: dual_ipparam: not used with dual = ipip (dual_dev names the link)");
	// A PPP dual link with a fixed name (pppd's ifname, netifd's pptp-IFACE).
	CHECK(parse_config("role = client\nwan = eth0\nprimary = 198.18.0.2\ndual_dev = pptp-vpn2\n", "t.conf").dual_dev ==
	      "pptp-vpn2");
	CHECK(error_of("role = secondary\ndual = wireguard\n") ==
	      "t.conf: relay: required for role = secondary with dual = wireguard");
	// A secondary moving its sites from PPP dual links: both, each relay
	// link with its kind.
	Config mixed = parse_config("role = secondary\ndual_remote = 10.66.4.0/24\nrelay = wireguard:wg0=198.18.0.1 "
				    "gre:gre1=198.18.0.2\n", "t.conf");
	CHECK(mixed.dual == DualKind::ppp);
	CHECK(mixed.relay.at(0).kind == DualKind::wireguard);
	CHECK(mixed.relay.at(1).kind == DualKind::gre);
	CHECK(link_mtu(mixed, DualKind::wireguard) == 1440);
	CHECK(link_mtu(mixed, DualKind::ppp) == 1448);
	CHECK(error_of("role = secondary\ndual_remote = 10.66.4.0/24\nrelay = gre1=198.18.0.1\n") ==
	      "t.conf:3: relay: gre1: name its kind (wireguard:gre1=..., gre:, ipip:): dual = ppp");
	CHECK(error_of("role = secondary\ndual = gre\nrelay = ppp:ppp0=198.18.0.1\n") ==
	      "t.conf:3: relay: 'ppp': a relay link's kind is wireguard, gre or ipip (PPP dual connections are found "
	      "by dual_remote)");
	CHECK(error_of("role = secondary\n") == "t.conf: dual_remote: required for role = secondary with dual = ppp "
						 "(or relay)");
	CHECK(error_of("role = secondary\ndual = wireguard\nrelay = wg0=198.18.0.1\ndual_dev = wg0\n") ==
	      "t.conf:4: dual_dev: not used by role = secondary (relay names the links)");
	// Values that are fine alone, not together.
	CHECK(error_of("role = client\nwan = eth0\nprimary = 2001:db8::2\n") ==
	      "t.conf:3: primary: PPTP runs over IPv4: expected an IPv4 address (or tunnel = wireguard)");
	CHECK(error_of("role = client\nwan = eth0\nprimary = 198.18.0.2\ntunnel = wireguard\neliminate = order\n") ==
	      "t.conf:5: eliminate: order is for tunnel = pptp (WireGuard's receiver takes packets in any order): "
	      "use drop or monitor");
	CHECK(error_of("role = client\nwan = eth0\nprimary = 198.18.0.2\ndual = wireguard\ndual_dev = eth0\n") ==
	      "t.conf:5: dual_dev: is the wan device: the copies need a link of their own");
}

namespace {

// The specification, kept apart from the parser: where each key applies
// and when it is required.
struct Site {
	Role role;
	Tunnel tunnel;
	DualKind dual;
};

bool applies(const std::string &key, const Site &s)
{
	bool sec = s.role == Role::secondary, pri = s.role == Role::primary, wg = s.tunnel == Tunnel::wireguard;
	bool ppp = s.dual == DualKind::ppp;
	if (key == "wan" || key == "tunnel" || key == "eliminate" || key == "eliminate_window" || key == "eliminate_reset_ms")
		return !sec;
	if (key == "tunnel_port")
		return !sec && wg;
	if (key == "clients")
		return pri && wg;
	if (key == "client_remote" || key == "client_mtu" || key == "snat")
		return pri && !wg;
	if (key == "primary")
		return s.role == Role::client;
	if (key == "dual_ipparam")
		return !sec && ppp;
	if (key == "dual_dev")
		return !sec;
	// A secondary may have both (moving its sites from PPP dual links).
	if (key == "dual_remote" || key == "relay")
		return sec;
	return true;  // role, dual, dual_mtu, rp_filter
}

bool required(const std::string &key, const Site &s)
{
	bool sec = s.role == Role::secondary, wg = s.tunnel == Tunnel::wireguard, ppp = s.dual == DualKind::ppp;
	if (key == "role")
		return true;
	if (key == "wan")
		return !sec;
	if (key == "client_remote" || key == "clients")
		return s.role == Role::primary && (key == "clients") == wg;
	if (key == "primary")
		return s.role == Role::client;
	if (key == "dual_dev")
		return !sec && !ppp;
	if (key == "dual_remote")
		return sec && ppp;  // unless relay is given
	if (key == "relay")
		return sec && !ppp;
	return false;
}

const std::vector<std::pair<std::string, std::string>> valid_values = {
	{"role", ""}, {"wan", "eth0"}, {"tunnel", ""}, {"tunnel_port", "51821"},
	{"clients", "198.18.1.1 2001:db8::1"}, {"client_remote", "10.66.6.0/24"}, {"primary", "198.18.0.2"},
	{"snat", "10.0.0.1=198.18.0.9"}, {"dual", ""}, {"dual_ipparam", "bvpn"}, {"dual_dev", "wg1"},
	{"dual_remote", "10.66.4.60/30"}, {"relay", "wireguard:wg1=198.18.0.1,2001:db8::2"}, {"dual_mtu", "1420"},
	{"client_mtu", "1380"}, {"eliminate", "drop"}, {"eliminate_window", "16"}, {"eliminate_reset_ms", "500"},
	{"rp_filter", "no"},
};

std::string value_for(const std::string &key, const Site &s)
{
	static const char *const roles[] = {"primary", "secondary", "client"};
	static const char *const tunnels[] = {"pptp", "wireguard"};
	static const char *const duals[] = {"ppp", "wireguard", "gre", "ipip"};
	if (key == "role")
		return roles[static_cast<int>(s.role)];
	if (key == "tunnel")
		return tunnels[static_cast<int>(s.tunnel)];
	if (key == "dual")
		return duals[static_cast<int>(s.dual)];
	for (const auto &[k, v] : valid_values)
		if (k == key)
			return v;
	FAIL("no value for " << key);
	return "";
}

}  // namespace

TEST_CASE("every role x tunnel x dual kind: the keys it needs, takes and refuses")
{
	for (Role role : {Role::primary, Role::secondary, Role::client})
		for (Tunnel tunnel : {Tunnel::pptp, Tunnel::wireguard})
			for (DualKind dual : {DualKind::ppp, DualKind::wireguard, DualKind::gre, DualKind::ipip}) {
				Site site{role, tunnel, dual};
				if (role == Role::secondary && tunnel == Tunnel::wireguard)
					continue;  // a secondary has no tunnel of its own
				// The smallest valid file: the required keys, and the
				// tunnel and dual kind when they are not the default.
				std::vector<std::string> base;
				for (const auto &[key, v] : valid_values)
					if (required(key, site) || (key == "tunnel" && tunnel != Tunnel::pptp) ||
					    (key == "dual" && dual != DualKind::ppp))
						base.push_back(key);
				auto text = [&](const std::vector<std::string> &keys) {
					std::string t;
					for (const std::string &k : keys)
						t += k + " = " + value_for(k, site) + "\n";
					return t;
				};
				std::string file = text(base);
				INFO(file);
				Config c;
				REQUIRE_NOTHROW(c = parse_config(file, "t.conf"));
				CHECK(c.role == role);
				CHECK(c.tunnel == tunnel);
				CHECK(c.dual == dual);
				// Each required key, left out.
				for (size_t i = 0; i < base.size(); i++) {
					if (!required(base[i], site))
						continue;
					std::vector<std::string> less = base;
					less.erase(less.begin() + i);
					std::string err = error_of(text(less));
					INFO("without " << base[i]);
					CHECK(err.rfind("t.conf: " + base[i] + ": required ", 0) == 0);
				}
				// Each other key, added: taken if it applies, else refused
				// on its line, by name.
				for (const auto &kv : valid_values) {
					const std::string &key = kv.first;  // INFO captures it: no structured binding in C++17
					if (std::find(base.begin(), base.end(), key) != base.end())
						continue;
					std::vector<std::string> more = base;
					more.push_back(key);
					INFO("with " << key);
					std::string err = error_of(text(more));
					if (applies(key, site))
						CHECK(err == "no error");
					else
						CHECK(err.rfind("t.conf:" + std::to_string(more.size()) + ": " + key +
								  ": not used ",
							  0) == 0);
				}
			}
}

TEST_CASE("what `config` shows parses back to the same configuration")
{
	const char *files[] = {
		primary,
		"role = client\nwan = eth0\ntunnel = wireguard\ntunnel_port = 4500\nprimary = 2001:db8::2\n"
		"dual = gre\ndual_dev = gre1\neliminate = drop\n",
		"role = primary\nwan = eth0\ntunnel = wireguard\nclients = 198.18.1.1 2001:db8::7\ndual = wireguard\n"
		"dual_dev = wg1\ndual_mtu = 1420\n",
		"role = secondary\ndual = wireguard\nrelay = wg0=198.18.0.1,2001:db8::1 gre1=198.18.0.5\nrp_filter = no\n",
		"role = secondary\ndual_remote = 10.66.4.60/30\n",
	};
	for (const char *f : files) {
		auto lines = config_lines(parse_config(f, "t.conf"));
		std::string back;
		for (const auto &[k, v] : lines)
			back += k + " = " + v + "\n";
		INFO(back);
		CHECK(config_lines(parse_config(back, "t.conf")) == lines);
	}
	auto lines = config_lines(parse_config(files[3], "t.conf"));
	CHECK(std::find(lines.begin(), lines.end(),
			std::pair<std::string, std::string>("relay", "wg0=198.18.0.1,2001:db8::1 gre1=198.18.0.5")) !=
	      lines.end());
	for (const auto &[k, v] : lines)
		CHECK(k != "wan");
}

TEST_CASE("the shipped example parses")
{
	CHECK_NOTHROW(load_config(std::string(EXAMPLE_CONFIG)));
}

TEST_CASE("dual_mtu defaults to what a copy can have over the dual link's kind")
{
	const std::string client = "role = client\nwan = eth0\nprimary = 198.18.0.2\n";
	CHECK(parse_config(client, "t.conf").dual_mtu == 1448);
	CHECK(parse_config(client + "dual = wireguard\ndual_dev = wg1\n", "t.conf").dual_mtu == 1440);
	CHECK(parse_config(client + "dual = gre\ndual_dev = gre1\n", "t.conf").dual_mtu == 1476);
	CHECK(parse_config(client + "dual = ipip\ndual_dev = ipip1\n", "t.conf").dual_mtu == 1480);
	CHECK(parse_config(client + "dual = wireguard\ndual_dev = wg1\ndual_mtu = 1420\n", "t.conf").dual_mtu == 1420);
	CHECK(parse_config(client + "dual = gre\ndual_dev = gre1\ndual_mtu = 0\n", "t.conf").dual_mtu == 0);
}

TEST_CASE("eliminate's settings: window, reset and wait, each in its range")
{
	const std::string head = "role = client\nwan = eth0\nprimary = 198.18.0.2\neliminate = order\n";
	Config c = parse_config(head + "eliminate_window = 16\neliminate_reset_ms = 500\neliminate_wait = 250\n", "t.conf");
	CHECK(c.eliminate_window == 16u);
	CHECK(c.eliminate_reset_ms == 500u);
	CHECK(c.eliminate_wait_ms == 250u);
	CHECK(parse_config(head + "eliminate_wait = auto\n", "t.conf").eliminate_wait_ms == 0u);
	CHECK(error_of(head + "eliminate_window = 65\n") == "t.conf:5: eliminate_window: expected 2 to 64 packets");
	CHECK(error_of(head + "eliminate_reset_ms = 0\n") == "t.conf:5: eliminate_reset_ms: expected 1 to 3600000 ms");
	CHECK(error_of(head + "eliminate_wait = soon\n") == "t.conf:5: eliminate_wait: expected 1 to 10000 ms (or auto)");
	CHECK(error_of("role = client\nwan = eth0\nprimary = 198.18.0.2\neliminate = drop\neliminate_wait = 100\n") ==
	      "t.conf:5: eliminate_wait: is for eliminate = order (how long a gap is waited for)");
	CHECK(error_of("role = secondary\ndual_remote = 10.66.4.0/24\neliminate_window = 8\n") ==
	      "t.conf:3: eliminate_window: not used by role = secondary");
}

TEST_CASE("primary: one address or several, IPv4 only under PPTP")
{
	Config c = parse_config("role = client\nwan = eth0\ntunnel = wireguard\nprimary = 198.18.0.2 2001:db8::2\n", "t.conf");
	REQUIRE(c.primary.size() == 2);
	CHECK(c.primary[1].str() == "2001:db8::2");
	CHECK(error_of("role = client\nwan = eth0\nprimary = 198.18.0.2 2001:db8::2\n") ==
	      "t.conf:3: primary: PPTP runs over IPv4: expected an IPv4 address (or tunnel = wireguard)");
	CHECK(error_of("role = client\nwan = eth0\nprimary = 198.18.0.2 198.18.0.2\n") ==
	      "t.conf:3: primary: 198.18.0.2 given twice");
}

TEST_CASE("copy policy keys: values, where they apply, what goes together")
{
	const std::string client = "role = client\nwan = eth0\nprimary = 198.18.0.2\n";
	Config c = parse_config(client, "t.conf");
	CHECK(c.copy == CopyPolicy{});
	c = parse_config(client + "copy = budget\ncopy_rate = 2M\ncopy_max_size = 200\n", "t.conf");
	CHECK(c.copy.mode == CopyMode::budget);
	CHECK(c.copy.rate == 2000000);
	CHECK(c.copy.max_size == 200);
	c = parse_config(client + "copy = adaptive\ncopy_sample = 64\ncopy_quiet_ms = 5000\ncopy_stale_ms = 2000\n",
			 "t.conf");
	CHECK(c.copy.mode == CopyMode::adaptive);
	CHECK(c.copy.sample == 64);
	CHECK(c.copy.quiet_ms == 5000);
	CHECK(c.copy.stale_ms == 2000);
	CHECK(error_of(client + "copy = sometimes\n") == "t.conf:4: copy: copy policy 'sometimes': always, budget or adaptive");
	CHECK(error_of(client + "copy = budget\n") == "t.conf:4: copy: budget needs copy_rate, copy_max_size or both");
	CHECK(error_of(client + "copy_rate = 1M\n") == "t.conf:4: copy_rate: is for copy = budget");
	CHECK(error_of(client + "copy = budget\ncopy_rate = fast\n") ==
	      "t.conf:5: copy_rate: copy rate 'fast': bytes per second, digits with an optional k, M or G");
	CHECK(parse_config(client + "copy = adaptive\ncopy_sample = 0\n", "t.conf").copy.sample == 0);
	CHECK(error_of(client + "copy = adaptive\ncopy_sample = 10\n") ==
	      "t.conf:5: copy_sample: expected a power of 2 (one packet in N is copied while path A is clean) or 0 (none)");
	CHECK(error_of(client + "copy = budget\ncopy_max_size = 10\ncopy_sample = 4\n").find("copy_max_size") !=
	      std::string::npos);
	CHECK(error_of("role = secondary\ndual_remote = 10.66.4.0/24\ncopy = adaptive\n") ==
	      "t.conf:3: copy: not used by role = secondary");
}
