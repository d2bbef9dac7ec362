// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// A WireGuard device's peers as its implementation reports them, read as
// `wg show` reads them (never by running it): userspace implementations
// (wireguard-go, boringtun) through their UAPI socket
// /var/run/wireguard/DEV.sock, the kernel's through generic netlink (family
// "wireguard", WG_CMD_GET_DEVICE). Only what `check` needs: no keys but the
// public ones.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/addr.h"

namespace dupgre {

struct WgAllowedIp {
	IpAddr addr;
	unsigned cidr = 0;  // of its own family: 0-32 for IPv4, 0-128 for IPv6
	bool contains(const IpAddr &a) const;
	std::string str() const;  // "198.18.0.2/32"
};

struct WgPeer {
	std::string public_key;  // base64, as wg shows it
	std::optional<Endpoint> endpoint;
	std::vector<WgAllowedIp> allowed_ips;
	std::string allowed_ips_str() const;  // "a/32,b/24", as `wg set ... allowed-ips` takes them
};

struct WgDevice {
	std::string name;
	std::string source;  // "kernel" or "userspace"
	uint16_t listen_port = 0;
	std::vector<WgPeer> peers;
	// The peer WireGuard hands a packet for `dst` to, and whose packets with
	// inner source `dst` it accepts: the longest AllowedIPs match
	// (wg_allowedips_lookup_dst/src). nullptr when none holds it.
	const WgPeer *peer_for(const IpAddr &dst) const;
};

// DEV's configuration; nullopt when DEV is not a WireGuard device (no
// userspace socket for it, and the kernel has no "wireguard" family or does
// not know DEV as one). Throws Error naming DEV when a reply cannot be read.
std::optional<WgDevice> read_wireguard(const std::string &dev);

// The UAPI's "get=1" reply (key=value lines); exposed for tests.
WgDevice parse_wg_uapi(const std::string &dev, const std::string &reply);

}  // namespace dupgre
