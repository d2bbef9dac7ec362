// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#pragma once

#include <cstdint>
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

}  // namespace dupgre
