// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "core/addr.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include "core/error.h"

namespace dupgre {

bool Ipv4::operator<(const Ipv4 &o) const
{
	return ntohl(be) < ntohl(o.be);
}

bool Ipv4::is_unicast() const
{
	uint32_t h = ntohl(be);
	return (h >> 24) != 0 && (h >> 24) != 127 && (h >> 28) < 14;
}

std::string Ipv4::str() const
{
	char buf[INET_ADDRSTRLEN];
	struct in_addr a = {be};
	return inet_ntop(AF_INET, &a, buf, sizeof(buf));
}

Ipv4 parse_ipv4(const std::string &text)
{
	struct in_addr a;
	// inet_pton takes exactly four decimal octets, no leading zeros.
	if (inet_pton(AF_INET, text.c_str(), &a) != 1)
		throw UsageError("invalid IPv4 address '" + text + "'");
	return Ipv4{a.s_addr};
}

std::pair<Ipv4, Ipv4> parse_mapping(const std::string &text, const char *form)
{
	size_t eq = text.find('=');
	if (eq == std::string::npos)
		throw UsageError("invalid mapping '" + text + "': expected " + form);
	Ipv4 a = parse_ipv4(text.substr(0, eq)), b = parse_ipv4(text.substr(eq + 1));
	if (!a.is_unicast() || !b.is_unicast() || a == b)
		throw UsageError("invalid mapping '" + text + "': expected " + form +
			    ", two different unicast addresses");
	return {a, b};
}

IpAddr IpAddr::from_ipv4(Ipv4 a)
{
	IpAddr out;
	out.bytes[10] = out.bytes[11] = 0xff;
	memcpy(&out.bytes[12], &a.be, 4);
	return out;
}

std::optional<Ipv4> IpAddr::ipv4() const
{
	if (!is_ipv4())
		return std::nullopt;
	Ipv4 v;
	memcpy(&v.be, &bytes[12], 4);
	return v;
}

bool IpAddr::is_ipv4() const
{
	static const uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	return memcmp(bytes.data(), prefix, sizeof(prefix)) == 0;
}

bool IpAddr::is_unicast() const
{
	if (is_ipv4()) {
		Ipv4 a;
		memcpy(&a.be, &bytes[12], 4);
		return a.is_unicast();
	}
	static const IpAddr unspecified{}, loopback{{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};
	return !(*this == unspecified) && !(*this == loopback) && bytes[0] != 0xff && !is_ipv6_link_local();
}

bool IpAddr::is_ipv6_link_local() const
{
	return bytes[0] == 0xfe && (bytes[1] & 0xc0) == 0x80;
}

std::string IpAddr::str() const
{
	char buf[INET6_ADDRSTRLEN];
	if (is_ipv4())
		return inet_ntop(AF_INET, &bytes[12], buf, sizeof(buf));
	return inet_ntop(AF_INET6, bytes.data(), buf, sizeof(buf));
}

std::string Endpoint::str() const
{
	std::string a = addr.str();
	return (addr.is_ipv4() ? a : "[" + a + "]") + ":" + std::to_string(port);
}

Endpoint parse_endpoint(const std::string &text, uint16_t default_port)
{
	auto bad = [&](const std::string &why) {
		return UsageError("invalid endpoint '" + text + "': " + why);
	};
	std::string host = text, port;
	if (!text.empty() && text[0] == '[') {
		size_t close = text.find(']');
		if (close == std::string::npos)
			throw bad("expected [IPV6]:PORT");
		host = text.substr(1, close - 1);
		if (close + 1 != text.size()) {
			if (text[close + 1] != ':')
				throw bad("expected [IPV6]:PORT");
			port = text.substr(close + 2);
			if (port.empty())
				throw bad("empty port");
		}
		if (host.find(':') == std::string::npos)
			throw bad("brackets are for IPv6 addresses");
	} else if (std::count(text.begin(), text.end(), ':') == 1) {
		size_t colon = text.find(':');
		host = text.substr(0, colon);
		port = text.substr(colon + 1);
		if (port.empty())
			throw bad("empty port");
	}
	Endpoint e;
	struct in_addr a4;
	if (inet_pton(AF_INET, host.c_str(), &a4) == 1)
		e.addr = IpAddr::from_ipv4(Ipv4{a4.s_addr});
	else if (host.find(':') != std::string::npos && inet_pton(AF_INET6, host.c_str(), e.addr.bytes.data()) == 1)
		;
	else
		throw bad("not an IPv4 or IPv6 address");
	if (!e.addr.is_unicast())
		throw bad("not a unicast address");
	e.port = default_port;
	if (!port.empty()) {
		if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos)
			throw bad("the port must be 1 to 65535");
		unsigned long p = std::stoul(port);
		if (p < 1 || p > 65535)
			throw bad("the port must be 1 to 65535");
		e.port = static_cast<uint16_t>(p);
	}
	return e;
}

}  // namespace dupgre
