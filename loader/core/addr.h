// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace dupgre {

// An IPv4 address in network byte order, as the BPF maps key it.
struct Ipv4 {
	uint32_t be = 0;
	bool operator==(const Ipv4 &o) const { return be == o.be; }
	bool operator<(const Ipv4 &o) const;
	// Could be a peer's address: not 0/8, 127/8, multicast or 240/4 (reserved,
	// broadcast).
	bool is_unicast() const;
	std::string str() const;
};

// Dotted quad only ("198.18.0.1"); throws Error naming the bad text.
Ipv4 parse_ipv4(const std::string &text);
// "A=B", two unicast addresses; `form` names the expected shape in errors.
std::pair<Ipv4, Ipv4> parse_mapping(const std::string &text, const char *form);

// An IPv4 or IPv6 address as the 16-byte map keys hold it: IPv4 ones
// IPv4-mapped (::ffff:a.b.c.d), network byte order.
struct IpAddr {
	std::array<uint8_t, 16> bytes{};
	static IpAddr from_ipv4(Ipv4 a);
	bool is_ipv4() const;  // IPv4-mapped
	std::optional<Ipv4> ipv4() const;  // the IPv4 address, if it is one
	// Could be a peer's address: IPv4 as Ipv4::is_unicast; IPv6 not ::,
	// ::1, multicast (ff00::/8) or link-local (fe80::/10, needs a zone).
	bool is_unicast() const;
	bool is_ipv6_link_local() const;  // fe80::/10
	bool operator==(const IpAddr &o) const { return bytes == o.bytes; }
	bool operator<(const IpAddr &o) const { return bytes < o.bytes; }  // IPv4 before IPv6
	std::string str() const;  // dotted quad for IPv4, RFC 5952 text for IPv6
};

// A WireGuard endpoint: address and UDP port (host byte order).
struct Endpoint {
	IpAddr addr;
	uint16_t port = 0;
	bool operator==(const Endpoint &o) const { return addr == o.addr && port == o.port; }
	bool operator<(const Endpoint &o) const { return addr < o.addr || (addr == o.addr && port < o.port); }
	std::string str() const;  // "198.18.0.1:51820", "[2001:db8::1]:51820"
};

// "ADDR", "ADDR:PORT" (IPv4), "IPV6" or "[IPV6]:PORT"; the port 1-65535,
// default_port when none is given. Unicast addresses only; throws Error
// naming the bad text.
Endpoint parse_endpoint(const std::string &text, uint16_t default_port);

}  // namespace dupgre
