// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// The main tunnel as user space names it: one type for clone, eliminate and
// the configuration, with the values the programs and the pins use
// (include/dupgre/tunnel.h).
#pragma once

#include <linux/types.h>

#include <string>

#include "dupgre/tunnel.h"

namespace dupgre {

enum class Tunnel : __u8 { pptp = DUPGRE_TUNNEL_PPTP, wireguard = DUPGRE_TUNNEL_WIREGUARD };

const char *tunnel_name(Tunnel t);  // "pptp", "wireguard"
// --tunnel's value; a UsageError names the choices.
Tunnel parse_tunnel(const std::string &text);

}  // namespace dupgre
