// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// /etc/dupgre/dupgre.conf: what the pppd hooks do for this site. One
// "key = value" per line, '#' starts a comment; see dupgre.conf.example.
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "core/addr.h"

namespace dupgre {

struct Cidr {
	Ipv4 addr;
	unsigned len = 32;
	bool contains(Ipv4 a) const;
	std::string str() const;
};
// "10.66.4.0/24" or a single address.
Cidr parse_cidr(const std::string &text);

enum class Role { primary, secondary, client };

struct Config {
	Role role = Role::primary;
	std::string wan;                         // primary, client: where the tunnel's GRE leaves
	std::string dual_ipparam = "bvpn";       // primary, client: pppd ipparam of the dual link
	std::optional<Cidr> client_remote;       // primary: remote addresses of client connections
	std::optional<Cidr> dual_remote;         // secondary: remote addresses of dual connections
	std::optional<Ipv4> primary;             // client: the primary's public address
	std::optional<std::pair<Ipv4, Ipv4>> snat;  // primary behind 1:1 NAT: PRIVATE=PUBLIC
	unsigned dual_mtu = 1448;                // 0: leave the MTU alone
	unsigned client_mtu = 1380;
	std::string eliminate = "off";           // off, monitor or drop
	bool rp_filter = true;                   // loosen rp_filter where copies arrive
};

// Throws Error("FILE:LINE: KEY: what is wrong") or Error("FILE: ...").
Config parse_config(const std::string &text, const std::string &filename);
Config load_config(const std::string &path);

inline constexpr char default_config_path[] = "/etc/dupgre/dupgre.conf";

}  // namespace dupgre
