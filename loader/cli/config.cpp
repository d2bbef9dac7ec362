// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "cli/config.h"

#include <arpa/inet.h>

#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "core/error.h"
#include "core/netdev.h"

namespace dupgre {

bool Cidr::contains(Ipv4 a) const
{
	uint32_t mask = len == 0 ? 0 : ~0u << (32 - len);
	return (ntohl(a.be) & mask) == (ntohl(addr.be) & mask);
}

std::string Cidr::str() const
{
	return addr.str() + "/" + std::to_string(len);
}

Cidr parse_cidr(const std::string &text)
{
	size_t slash = text.find('/');
	Cidr c;
	c.addr = parse_ipv4(text.substr(0, slash));
	if (slash != std::string::npos) {
		std::string len = text.substr(slash + 1);
		if (len.empty() || len.size() > 2 || len.find_first_not_of("0123456789") != std::string::npos ||
		    std::stoi(len) > 32)
			throw Error("invalid prefix length in '" + text + "'");
		c.len = std::stoi(len);
	}
	return c;
}

namespace {

std::string trim(const std::string &s)
{
	size_t b = s.find_first_not_of(" \t\r"), e = s.find_last_not_of(" \t\r");
	return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

unsigned parse_mtu(const std::string &v)
{
	if (v.empty() || v.size() > 5 || v.find_first_not_of("0123456789") != std::string::npos)
		throw Error("expected an MTU (0 to leave it, else 576-65535)");
	unsigned n = std::stoul(v);
	if (n != 0 && (n < 576 || n > 65535))
		throw Error("expected an MTU (0 to leave it, else 576-65535)");
	return n;
}

bool parse_bool(const std::string &v)
{
	if (v == "yes" || v == "true" || v == "on" || v == "1")
		return true;
	if (v == "no" || v == "false" || v == "off" || v == "0")
		return false;
	throw Error("expected yes or no");
}

using Setter = std::function<void(Config &, const std::string &)>;

const std::map<std::string, Setter> &setters()
{
	static const std::map<std::string, Setter> table = {
		{"role", [](Config &c, const std::string &v) {
			 if (v == "primary")
				 c.role = Role::primary;
			 else if (v == "secondary")
				 c.role = Role::secondary;
			 else if (v == "client")
				 c.role = Role::client;
			 else
				 throw Error("expected primary, secondary or client");
		 }},
		{"wan", [](Config &c, const std::string &v) {
			 validate_ifname(v);
			 c.wan = v;
		 }},
		{"dual_ipparam", [](Config &c, const std::string &v) {
			 if (v.empty() || v.find_first_of(" \t") != std::string::npos)
				 throw Error("expected one word");
			 c.dual_ipparam = v;
		 }},
		{"client_remote", [](Config &c, const std::string &v) { c.client_remote = parse_cidr(v); }},
		{"dual_remote", [](Config &c, const std::string &v) { c.dual_remote = parse_cidr(v); }},
		{"primary", [](Config &c, const std::string &v) {
			 Ipv4 a = parse_ipv4(v);
			 if (!a.is_unicast())
				 throw Error("expected the primary's public unicast address");
			 c.primary = a;
		 }},
		{"snat", [](Config &c, const std::string &v) { c.snat = parse_mapping(v, "PRIVATE=PUBLIC"); }},
		{"dual_mtu", [](Config &c, const std::string &v) { c.dual_mtu = parse_mtu(v); }},
		{"client_mtu", [](Config &c, const std::string &v) { c.client_mtu = parse_mtu(v); }},
		{"eliminate", [](Config &c, const std::string &v) {
			 if (v != "off" && v != "monitor" && v != "drop" && v != "order")
				 throw Error("expected off, monitor, drop or order");
			 c.eliminate = v;
		 }},
		{"rp_filter", [](Config &c, const std::string &v) { c.rp_filter = parse_bool(v); }},
	};
	return table;
}

// The keys a role needs, and the ones that make no sense for it.
void check_role(const Config &c, const std::set<std::string> &seen, const std::string &filename)
{
	auto need = [&](const char *key, bool present) {
		if (!present)
			throw Error(filename + ": " + key + ": required for this role");
	};
	auto refuse = [&](const char *key) {
		if (seen.count(key))
			throw Error(filename + ": " + key + ": not used by this role");
	};
	need("role", seen.count("role"));
	switch (c.role) {
	case Role::primary:
		need("wan", !c.wan.empty());
		need("client_remote", c.client_remote.has_value());
		refuse("dual_remote");
		refuse("primary");
		break;
	case Role::client:
		need("wan", !c.wan.empty());
		need("primary", c.primary.has_value());
		for (const char *k : {"dual_remote", "client_remote", "client_mtu", "snat"})
			refuse(k);
		break;
	case Role::secondary:
		need("dual_remote", c.dual_remote.has_value());
		for (const char *k : {"wan", "primary", "client_remote", "client_mtu", "snat", "eliminate",
				      "dual_ipparam"})
			refuse(k);
		break;
	}
}

}  // namespace

Config parse_config(const std::string &text, const std::string &filename)
{
	Config c;
	std::set<std::string> seen;
	std::istringstream in(text);
	int n = 0;
	for (std::string line; std::getline(in, line);) {
		n++;
		line = trim(line.substr(0, line.find('#')));
		if (line.empty())
			continue;
		std::string where = filename + ":" + std::to_string(n) + ": ";
		size_t eq = line.find('=');
		if (eq == std::string::npos)
			throw Error(where + "expected key = value");
		std::string key = trim(line.substr(0, eq)), value = trim(line.substr(eq + 1));
		auto it = setters().find(key);
		if (it == setters().end())
			throw Error(where + key + ": unknown key");
		if (!seen.insert(key).second)
			throw Error(where + key + ": given twice");
		try {
			it->second(c, value);
		} catch (const Error &e) {
			throw Error(where + key + ": " + e.what());
		}
	}
	check_role(c, seen, filename);
	return c;
}

Config load_config(const std::string &path)
{
	std::ifstream in(path);
	if (!in)
		throw Error(path + ": cannot read the configuration (see dupgre.conf.example)");
	std::stringstream s;
	s << in.rdbuf();
	return parse_config(s.str(), path);
}

}  // namespace dupgre
