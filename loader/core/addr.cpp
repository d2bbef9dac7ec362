// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "core/addr.h"

#include <arpa/inet.h>

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
		throw Error("invalid IPv4 address '" + text + "'");
	return Ipv4{a.s_addr};
}

std::pair<Ipv4, Ipv4> parse_mapping(const std::string &text, const char *form)
{
	size_t eq = text.find('=');
	if (eq == std::string::npos)
		throw Error("invalid mapping '" + text + "': expected " + form);
	Ipv4 a = parse_ipv4(text.substr(0, eq)), b = parse_ipv4(text.substr(eq + 1));
	if (!a.is_unicast() || !b.is_unicast() || a == b)
		throw Error("invalid mapping '" + text + "': expected " + form +
			    ", two different unicast addresses");
	return {a, b};
}

}  // namespace dupgre
