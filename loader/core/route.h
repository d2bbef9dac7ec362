// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// Route lookups as `ip route get` does them (RTM_GETROUTE over rtnetlink,
// policy rules included), in the caller's network namespace: which device
// this host's own packets to an address leave by, and by which route.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/addr.h"

namespace dupgre {

struct RouteHit {
	int oif = 0;
	std::string dev;     // empty for a route without a device
	std::string prefix;  // the matching route, as `ip route get fibmatch`: "198.18.0.0/15"
	uint32_t table = 0;  // RT_TABLE_MAIN is 254
	std::string table_arg() const;  // "" for main, else " table N" (for a printed command)
};

// nullopt when the kernel has no route (unreachable, prohibit, blackhole).
// Throws Error for any other failure.
std::optional<RouteHit> route_get(const IpAddr &dst);

}  // namespace dupgre
