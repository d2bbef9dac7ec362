// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// A WireGuard device's peers as its implementation reports them, read as
// `wg show` reads them (never by running it): userspace implementations
// (wireguard-go, boringtun) through their UAPI socket
// /var/run/wireguard/DEV.sock, the kernel's through generic netlink (family
// "wireguard", WG_CMD_GET_DEVICE). Only what `check` needs: no keys but the
// public ones.
#pragma once

#include <optional>
#include <string>

#include "core/wgpeers.h"

namespace dupgre {

// DEV's configuration; nullopt when DEV is not a WireGuard device (no
// userspace socket for it, and the kernel has no "wireguard" family or does
// not know DEV as one). Throws Error naming DEV when a reply cannot be read.
std::optional<WgDevice> read_wireguard(const std::string &dev);


}  // namespace dupgre
