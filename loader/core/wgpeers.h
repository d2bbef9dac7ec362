// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// A WireGuard device's peers as `check` sees them: public keys, endpoints,
// AllowedIPs, and the lookup WireGuard does over them. Reading them from a
// device is core/wgnl's; this part needs no socket, so unit tests have it.
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

// A userspace implementation's reply to "get=1" on its UAPI socket
// (key=value lines, ending with errno=0 and an empty line); public keys
// come as hex and are kept as base64, as wg shows them. Throws Error naming
// DEV for a reply it cannot read.
WgDevice parse_wg_uapi(const std::string &dev, const std::string &reply);

// 32 bytes as WireGuard's keys are written (base64, 44 characters).
std::string wg_key_base64(const uint8_t *key, size_t len);

}  // namespace dupgre
