// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// /etc/dupgre/dupgre.conf: what the hooks do for this site, whatever its
// link kinds. One "key = value" per line, '#' starts a comment; see
// scripts/dupgre.conf.example and docs/setup.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/addr.h"
#include "core/tunnel.h"
#include "programs/copy_policy.h"
#include "site/link_kind.h"

namespace dupgre {

struct Cidr {
	Ipv4 addr;
	unsigned len = 32;
	bool contains(Ipv4 a) const;
	std::string str() const;
};
// "10.66.4.0/24" or a single address.
Cidr parse_cidr(const std::string &text);
// One public unicast address, IPv4 or IPv6 (no port, no brackets).
IpAddr parse_ipaddr(const std::string &text);

enum class Role { primary, secondary, client };
const char *role_name(Role r);

// A secondary's dual link that the system brings up: "[KIND:]DEV=ADDR,...".
struct RelayLinkConf {
	std::string dev;
	DualKind kind = DualKind::wireguard;  // KIND:, else dual
	bool kind_given = false;
	std::vector<IpAddr> sites;
};

struct Config {
	Role role = Role::primary;
	std::string wan;                         // primary, client: where the tunnel's packets leave
	Tunnel tunnel = Tunnel::pptp;            // primary, client: the main tunnel
	uint16_t tunnel_port = 51820;            // tunnel = wireguard: the server's UDP port
	std::vector<IpAddr> clients;             // primary, wireguard: the clients' public addresses
	std::optional<Cidr> client_remote;       // primary, pptp: remote addresses of client connections
	std::vector<IpAddr> primary;             // client: the primary's public addresses (pptp: IPv4), one or more
	std::optional<std::pair<Ipv4, Ipv4>> snat;  // primary, pptp, behind 1:1 NAT: PRIVATE=PUBLIC
	DualKind dual = DualKind::ppp;           // every role: the kind of dual link
	std::string dual_ipparam = "bvpn";       // primary, client, dual = ppp: pppd ipparam of the dual link
	std::string dual_dev;                    // primary, client: the dual link's device (ppp: only if its name is fixed)
	std::optional<Cidr> dual_remote;         // secondary, dual = ppp: remote addresses of dual connections
	// secondary: each dual link device the system brings up, its kind and
	// the sites behind it, in the file's order. With dual_remote beside
	// it, a secondary moves its sites from PPP dual links one at a time.
	std::vector<RelayLinkConf> relay;
	unsigned dual_mtu = 1448;                // 0: leave the MTU alone; default by kind
	bool dual_mtu_given = false;             // in the file; else each link's kind's default
	unsigned client_mtu = 1380;              // primary, pptp
	std::string eliminate = "off";           // off, monitor, drop or order (pptp only)
	// primary, client: eliminate's settings (eliminate add --window,
	// --reset-ms, --wait); unset: its defaults. wait: 0 is auto (order only).
	std::optional<unsigned> eliminate_window, eliminate_reset_ms, eliminate_wait_ms;
	bool rp_filter = true;                   // loosen rp_filter where copies arrive
	// primary, client: the copy policy of every peer (copy, copy_rate,
	// copy_max_size, copy_sample, copy_quiet_ms, copy_stale_ms).
	CopyPolicy copy;
	// primary, client: run `dupgre-ctl adapt` to report to peers that copy
	// adaptively even where this site copies otherwise (copy = adaptive
	// runs it anyway).
	bool copy_reports = false;
	bool adapt_runs() const { return role != Role::secondary && (copy_reports || copy.mode == CopyMode::adaptive); }
};

// The MTU apply sets on a dual link of that kind: dual_mtu if the file
// gives it (0: none), else the kind's default.
unsigned link_mtu(const Config &c, DualKind kind);

// Throws Error("FILE:LINE: KEY: what is wrong"), or Error("FILE: KEY:
// required ...") for a key that is missing.
Config parse_config(const std::string &text, const std::string &filename);
Config load_config(const std::string &path);

// The configuration as `key = value` lines, every key that applies with its
// effective value (defaults included): what `dupgre-ctl config` prints.
std::vector<std::pair<std::string, std::string>> config_lines(const Config &c);

// Where the file is unless --config or $DUPGRE_CONFIG says: a build setting
// (DUPGRE_CONFIG_PATH), since OpenWrt's package writes it from UCI at
// /var/run/dupgre/dupgre.conf and the router's `check` must find it.
#ifndef DUPGRE_CONFIG_PATH
#define DUPGRE_CONFIG_PATH "/etc/dupgre/dupgre.conf"
#endif
inline constexpr char default_config_path[] = DUPGRE_CONFIG_PATH;

}  // namespace dupgre
