// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "site/config.h"

#include <arpa/inet.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "core/error.h"
#include "dupgre/eliminate.h"
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

IpAddr parse_ipaddr(const std::string &text)
{
	IpAddr a;
	struct in_addr a4;
	if (inet_pton(AF_INET, text.c_str(), &a4) == 1)
		a = IpAddr::from_ipv4(Ipv4{a4.s_addr});
	else if (text.find(':') == std::string::npos || inet_pton(AF_INET6, text.c_str(), a.bytes.data()) != 1)
		throw Error("invalid address '" + text + "': expected an IPv4 or IPv6 address");
	// IPv4 addresses are held IPv4-mapped: as IPv6 text, ::ffff:a.b.c.d
	// would silently be the IPv4 site, and no IPv6 packet has it.
	else if (a.is_ipv4())
		throw Error("'" + text + "' is an IPv4-mapped IPv6 address: give the IPv4 address " + a.str() +
			    ", or a real IPv6 one");
	if (!a.is_unicast())
		throw Error("'" + text + "' is not a public unicast address");
	return a;
}

const char *role_name(Role r)
{
	static const char *const names[] = {"primary", "secondary", "client"};
	return names[static_cast<int>(r)];
}



namespace {

std::string trim(const std::string &s)
{
	size_t b = s.find_first_not_of(" \t\r"), e = s.find_last_not_of(" \t\r");
	return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

std::vector<std::string> words(const std::string &v, const char *seps)
{
	std::vector<std::string> out;
	for (size_t b = v.find_first_not_of(seps); b != std::string::npos; b = v.find_first_not_of(seps, b)) {
		size_t e = v.find_first_of(seps, b);
		out.push_back(v.substr(b, e == std::string::npos ? std::string::npos : e - b));
		b = e;
	}
	return out;
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

// A decimal number from lo to hi.
unsigned parse_number(const std::string &v, unsigned lo, unsigned hi, const char *unit)
{
	std::string range = "expected " + std::to_string(lo) + " to " + std::to_string(hi) + " " + unit;
	if (v.empty() || v.size() > 9 || v.find_first_not_of("0123456789") != std::string::npos)
		throw Error(range);
	unsigned long n = std::stoul(v);
	if (n < lo || n > hi)
		throw Error(range);
	return static_cast<unsigned>(n);
}

bool parse_bool(const std::string &v)
{
	if (v == "yes" || v == "true" || v == "on" || v == "1")
		return true;
	if (v == "no" || v == "false" || v == "off" || v == "0")
		return false;
	throw Error("expected yes or no");
}

template <typename E, size_t N>
E parse_enum(const std::string &v, const char *const (&names)[N], const char *expected)
{
	for (size_t i = 0; i < N; i++)
		if (v == names[i])
			return static_cast<E>(i);
	throw Error(std::string("expected ") + expected);
}

// "ADDR ADDR ...", each once; `whose` names them in the error.
std::vector<IpAddr> parse_addrs(const std::string &v, const char *whose)
{
	std::vector<IpAddr> out;
	for (const std::string &w : words(v, " \t,")) {
		IpAddr a = parse_ipaddr(w);
		if (std::find(out.begin(), out.end(), a) != out.end())
			throw Error(a.str() + " given twice");
		out.push_back(a);
	}
	if (out.empty())
		throw Error(std::string("expected ") + whose + " public addresses, ADDR ADDR ...");
	return out;
}

// "wg0=198.18.0.1,2001:db8::1 gre:gre1=198.18.0.5": each link's kind is
// its prefix, or dual (resolved once the whole file is read).
std::vector<RelayLinkConf> parse_relay(const std::string &v)
{
	std::vector<RelayLinkConf> out;
	std::map<IpAddr, std::string> site_dev;
	for (const std::string &item : words(v, " \t")) {
		size_t eq = item.find('=');
		if (eq == std::string::npos || eq == 0 || eq + 1 == item.size())
			throw Error("expected [KIND:]DEV=ADDR[,ADDR] ..., not '" + item + "'");
		RelayLinkConf link;
		link.dev = item.substr(0, eq);
		if (size_t colon = link.dev.find(':'); colon != std::string::npos) {
			std::string kind = link.dev.substr(0, colon);
			auto k = parse_dual_kind(kind);
			if (!k || *k == DualKind::ppp)
				throw Error("'" + kind + "': a relay link's kind is wireguard, gre or ipip (PPP dual "
					    "connections are found by dual_remote)");
			link.kind = *k;
			link.kind_given = true;
			link.dev = link.dev.substr(colon + 1);
		}
		validate_ifname(link.dev);
		for (const RelayLinkConf &l : out)
			if (l.dev == link.dev)
				throw Error("device " + link.dev + " given twice");
		for (const std::string &w : words(item.substr(eq + 1), ",")) {
			IpAddr a = parse_ipaddr(w);
			auto [it, fresh] = site_dev.emplace(a, link.dev);
			if (!fresh)
				throw Error("site " + a.str() + " given for " + it->second +
					    (it->second == link.dev ? " twice" : " and " + link.dev + ": one link leads to a site"));
			link.sites.push_back(a);
		}
		if (link.sites.empty())
			throw Error("expected [KIND:]DEV=ADDR[,ADDR] ..., not '" + item + "'");
		out.push_back(std::move(link));
	}
	if (out.empty())
		throw Error("expected [KIND:]DEV=ADDR[,ADDR] ...");
	return out;
}


using Setter = std::function<void(Config &, const std::string &)>;

const std::map<std::string, Setter> &setters()
{
	static const char *const roles[] = {"primary", "secondary", "client"};
	static const char *const tunnels[] = {"pptp", "wireguard"};
	static const std::map<std::string, Setter> table = {
		{"role", [](Config &c, const std::string &v) {
			 c.role = parse_enum<Role>(v, roles, "primary, secondary or client");
		 }},
		{"wan", [](Config &c, const std::string &v) {
			 validate_ifname(v);
			 c.wan = v;
		 }},
		{"tunnel", [](Config &c, const std::string &v) {
			 c.tunnel = parse_enum<Tunnel>(v, tunnels, "pptp or wireguard");
		 }},
		{"tunnel_port", [](Config &c, const std::string &v) {
			 if (v.empty() || v.size() > 5 || v.find_first_not_of("0123456789") != std::string::npos ||
			     std::stoul(v) < 1 || std::stoul(v) > 65535)
				 throw Error("expected the server's UDP port, 1-65535");
			 c.tunnel_port = static_cast<uint16_t>(std::stoul(v));
		 }},
		{"clients", [](Config &c, const std::string &v) { c.clients = parse_addrs(v, "the clients'"); }},
		{"dual", [](Config &c, const std::string &v) {
			 auto k = parse_dual_kind(v);
			 if (!k)
				 throw Error(std::string("expected ") + dual_kind_names);
			 c.dual = *k;
		 }},
		{"dual_dev", [](Config &c, const std::string &v) {
			 validate_ifname(v);
			 c.dual_dev = v;
		 }},
		{"relay", [](Config &c, const std::string &v) { c.relay = parse_relay(v); }},
		{"dual_ipparam", [](Config &c, const std::string &v) {
			 if (v.empty() || v.find_first_of(" \t") != std::string::npos)
				 throw Error("expected one word");
			 c.dual_ipparam = v;
		 }},
		{"client_remote", [](Config &c, const std::string &v) { c.client_remote = parse_cidr(v); }},
		{"dual_remote", [](Config &c, const std::string &v) { c.dual_remote = parse_cidr(v); }},
		// Several when the server's name has several (IPv4 and IPv6): each cloned.
		{"primary", [](Config &c, const std::string &v) { c.primary = parse_addrs(v, "the primary's"); }},
		{"snat", [](Config &c, const std::string &v) { c.snat = parse_mapping(v, "PRIVATE=PUBLIC"); }},
		{"dual_mtu", [](Config &c, const std::string &v) { c.dual_mtu = parse_mtu(v); }},
		{"client_mtu", [](Config &c, const std::string &v) { c.client_mtu = parse_mtu(v); }},
		{"eliminate", [](Config &c, const std::string &v) {
			 if (v != "off" && v != "monitor" && v != "drop" && v != "order")
				 throw Error("expected off, monitor, drop or order");
			 c.eliminate = v;
		 }},
		{"eliminate_window", [](Config &c, const std::string &v) {
			 c.eliminate_window = parse_number(v, 2, ELIM_HISTORY, "packets");
		 }},
		{"eliminate_reset_ms", [](Config &c, const std::string &v) {
			 c.eliminate_reset_ms = parse_number(v, 1, 3600000, "ms");
		 }},
		{"eliminate_wait", [](Config &c, const std::string &v) {
			 c.eliminate_wait_ms = v == "auto" ? 0 : parse_number(v, 1, 10000, "ms (or auto)");
		 }},
		{"rp_filter", [](Config &c, const std::string &v) { c.rp_filter = parse_bool(v); }},
		{"copy", [](Config &c, const std::string &v) { c.copy.mode = parse_copy_mode(v); }},
		{"copy_rate", [](Config &c, const std::string &v) { c.copy.rate = parse_copy_rate(v); }},
		{"copy_max_size", [](Config &c, const std::string &v) {
			 c.copy.max_size = parse_number(v, 20, 65535, "IP bytes");
		 }},
		{"copy_sample", [](Config &c, const std::string &v) {
			 c.copy.sample = parse_number(v, 0, 1U << 20, "packets (a power of 2, or 0: no samples)");
		 }},
		{"copy_quiet_ms", [](Config &c, const std::string &v) {
			 c.copy.quiet_ms = parse_number(v, 100, 3600000, "ms");
		 }},
		{"copy_stale_ms", [](Config &c, const std::string &v) {
			 c.copy.stale_ms = parse_number(v, 100, 3600000, "ms");
		 }},
		{"copy_reports", [](Config &c, const std::string &v) { c.copy_reports = parse_bool(v); }},
	};
	return table;
}

// Where each key applies: its role, main tunnel and dual link kind. Why a
// key makes no sense for this configuration; empty if it does.
std::string refusal(const std::string &key, const Config &c)
{
	bool secondary = c.role == Role::secondary, wg = c.tunnel == Tunnel::wireguard, ppp = c.dual == DualKind::ppp;
	std::string role = std::string("not used by role = ") + role_name(c.role);
	std::string tunnel = std::string("not used with tunnel = ") + tunnel_name(c.tunnel);
	std::string dual = std::string("not used with dual = ") + dual_kind_name(c.dual);
	if (key == "wan" || key == "tunnel" || key == "eliminate" || key == "eliminate_window" ||
	    key == "eliminate_reset_ms" || key == "eliminate_wait" || key.rfind("copy", 0) == 0)
		return secondary ? role : "";
	if (key == "tunnel_port")
		return secondary ? role : !wg ? tunnel : "";
	if (key == "clients")
		return c.role != Role::primary ? role : !wg ? tunnel + " (client_remote finds the client connections)" : "";
	if (key == "client_remote" || key == "client_mtu")
		return c.role != Role::primary ? role : wg ? tunnel + " (clients lists the clients)" : "";
	if (key == "snat")
		return c.role != Role::primary ? role : wg ? tunnel + " (1:1 NAT is fixed for PPTP only)" : "";
	if (key == "primary")
		return c.role != Role::client ? role : "";
	if (key == "dual_ipparam")
		return secondary ? role : !ppp ? dual + " (dual_dev names the link)" : "";
	if (key == "dual_dev")  // with ppp: a fixed name (pppd's ifname, netifd's pptp-IFACE)
		return secondary ? role + " (relay names the links)" : "";
	// A secondary may have both: PPP dual connections and links the system
	// brings up (moving its sites from one to the other).
	if (key == "dual_remote" || key == "relay")
		return !secondary ? role : "";
	return "";  // role, dual, dual_mtu, rp_filter: every site
}

// The keys this configuration cannot do without; throws for the first missing.
void check_required(const Config &c, const std::map<std::string, int> &seen, const std::string &filename)
{
	auto need = [&](const char *key, bool needed, const std::string &why) {
		if (needed && !seen.count(key))
			throw Error(filename + ": " + key + ": required " + why);
	};
	need("role", true, "(primary, secondary or client)");
	std::string role = std::string("for role = ") + role_name(c.role);
	bool wg = c.tunnel == Tunnel::wireguard, ppp = c.dual == DualKind::ppp;
	switch (c.role) {
	case Role::primary:
		need("wan", true, role);
		need("client_remote", !wg, role + " with tunnel = pptp");
		need("clients", wg, role + " with tunnel = wireguard");
		need("dual_dev", !ppp, std::string("with dual = ") + dual_kind_name(c.dual));
		break;
	case Role::client:
		need("wan", true, role);
		need("primary", true, role);
		need("dual_dev", !ppp, std::string("with dual = ") + dual_kind_name(c.dual));
		break;
	case Role::secondary:
		need("dual_remote", ppp && !seen.count("relay"), role + " with dual = ppp (or relay)");
		need("relay", !ppp, role + std::string(" with dual = ") + dual_kind_name(c.dual));
		break;
	}
}

// Values that are valid alone but not together.
void check_values(const Config &c, const std::map<std::string, int> &seen, const std::string &filename)
{
	auto fail = [&](const char *key, const std::string &why) {
		throw Error(filename + ":" + std::to_string(seen.at(key)) + ": " + key + ": " + why);
	};
	if (c.eliminate_wait_ms && c.eliminate != "order")
		fail("eliminate_wait", "is for eliminate = order (how long a gap is waited for)");
	if (c.tunnel == Tunnel::wireguard && c.eliminate == "order")
		fail("eliminate", "order is for tunnel = pptp (WireGuard's receiver takes packets in any order): "
				  "use drop or monitor");
	if (c.tunnel == Tunnel::pptp &&
	    std::any_of(c.primary.begin(), c.primary.end(), [](const IpAddr &a) { return !a.is_ipv4(); }))
		fail("primary", "PPTP runs over IPv4: expected an IPv4 address (or tunnel = wireguard)");
	if (!c.dual_dev.empty() && c.dual_dev == c.wan)
		fail("dual_dev", "is the wan device: the copies need a link of their own");
	for (const RelayLinkConf &l : c.relay)
		if (!l.kind_given && c.dual == DualKind::ppp)
			fail("relay", l.dev + ": name its kind (wireguard:" + l.dev + "=..., gre:, ipip:): dual = ppp");
	bool budget = c.copy.mode == CopyMode::budget, adaptive = c.copy.mode == CopyMode::adaptive;
	for (const char *key : {"copy_rate", "copy_max_size"})
		if (seen.count(key) && !budget)
			fail(key, "is for copy = budget");
	for (const char *key : {"copy_sample", "copy_quiet_ms", "copy_stale_ms"})
		if (seen.count(key) && !adaptive)
			fail(key, "is for copy = adaptive");
	if (budget && !c.copy.rate && !c.copy.max_size)
		fail("copy", "budget needs copy_rate, copy_max_size or both");
	if (seen.count("copy_sample") && (c.copy.sample & (c.copy.sample - 1)))
		fail("copy_sample", "expected a power of 2 (one packet in N is copied while path A is clean) or 0 (none)");
}

// Each relay link without a prefix is of the site's kind.
void resolve_relay_kinds(Config &c)
{
	for (RelayLinkConf &l : c.relay)
		if (!l.kind_given)
			l.kind = c.dual;
}

}  // namespace

Config parse_config(const std::string &text, const std::string &filename)
{
	Config c;
	std::map<std::string, int> seen;  // key -> its line
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
		if (!seen.emplace(key, n).second)
			throw Error(where + key + ": given twice");
		try {
			it->second(c, value);
		} catch (const Error &e) {
			throw Error(where + key + ": " + e.what());
		}
	}
	// Refusals first, in the file's order: a key in the wrong place often
	// explains a missing one.
	std::vector<std::pair<int, std::string>> by_line;
	for (const auto &[key, line] : seen)
		by_line.emplace_back(line, key);
	std::sort(by_line.begin(), by_line.end());
	if (seen.count("role"))
		for (const auto &[line, key] : by_line) {
			std::string why = refusal(key, c);
			if (!why.empty())
				throw Error(filename + ":" + std::to_string(line) + ": " + key + ": " + why);
		}
	check_required(c, seen, filename);
	check_values(c, seen, filename);
	resolve_relay_kinds(c);
	c.dual_mtu_given = seen.count("dual_mtu") > 0;
	if (!c.dual_mtu_given)
		c.dual_mtu = default_dual_mtu(c.dual);
	return c;
}

unsigned link_mtu(const Config &c, DualKind kind)
{
	return c.dual_mtu_given ? c.dual_mtu : default_dual_mtu(kind);
}

Config load_config(const std::string &path)
{
	std::ifstream in(path);
	if (!in)
		throw UsageError(path + ": cannot read the configuration (see dupgre.conf.example)");
	std::stringstream s;
	s << in.rdbuf();
	try {
		return parse_config(s.str(), path);
	} catch (const Error &e) {
		throw UsageError(e.what());  // a configuration error, whatever part found it
	}
}

std::vector<std::pair<std::string, std::string>> config_lines(const Config &c)
{
	auto join = [](const std::vector<IpAddr> &v, const char *sep) {
		std::string s;
		for (const IpAddr &a : v)
			s += (s.empty() ? "" : sep) + a.str();
		return s;
	};
	std::vector<std::pair<std::string, std::string>> out;
	auto add = [&](const char *key, const std::string &value) {
		if (refusal(key, c).empty())
			out.emplace_back(key, value);
	};
	add("role", role_name(c.role));
	add("wan", c.wan);
	add("tunnel", tunnel_name(c.tunnel));
	add("tunnel_port", std::to_string(c.tunnel_port));
	add("clients", join(c.clients, " "));
	if (c.client_remote)
		add("client_remote", c.client_remote->str());
	if (!c.primary.empty())
		add("primary", join(c.primary, " "));
	if (c.snat)
		add("snat", c.snat->first.str() + "=" + c.snat->second.str());
	add("dual", dual_kind_name(c.dual));
	add("dual_ipparam", c.dual_ipparam);
	if (!c.dual_dev.empty())  // (a PPP dual link is usually named by pppd)
		add("dual_dev", c.dual_dev);
	if (c.dual_remote)
		add("dual_remote", c.dual_remote->str());
	std::string relay;
	for (const RelayLinkConf &l : c.relay)
		relay += (relay.empty() ? "" : " ") + (l.kind != c.dual ? std::string(dual_kind_name(l.kind)) + ":" : "") +
			 l.dev + "=" + join(l.sites, ",");
	if (!c.relay.empty())  // (a secondary with PPP dual links alone has none)
		add("relay", relay);
	add("dual_mtu", std::to_string(c.dual_mtu));
	add("client_mtu", std::to_string(c.client_mtu));
	add("eliminate", c.eliminate);
	if (c.eliminate_window)
		add("eliminate_window", std::to_string(*c.eliminate_window));
	if (c.eliminate_reset_ms)
		add("eliminate_reset_ms", std::to_string(*c.eliminate_reset_ms));
	if (c.eliminate_wait_ms)
		add("eliminate_wait", *c.eliminate_wait_ms ? std::to_string(*c.eliminate_wait_ms) : "auto");
	add("rp_filter", c.rp_filter ? "yes" : "no");
	add("copy", copy_mode_name(c.copy.mode));
	if (c.copy.mode == CopyMode::budget) {
		if (c.copy.rate)
			add("copy_rate", std::to_string(c.copy.rate));
		if (c.copy.max_size)
			add("copy_max_size", std::to_string(c.copy.max_size));
	}
	if (c.copy.mode == CopyMode::adaptive) {
		add("copy_sample", std::to_string(c.copy.sample));
		add("copy_quiet_ms", std::to_string(c.copy.quiet_ms));
		add("copy_stale_ms", std::to_string(c.copy.stale_ms));
	}
	add("copy_reports", c.adapt_runs() ? "yes" : "no");
	return out;
}

}  // namespace dupgre
