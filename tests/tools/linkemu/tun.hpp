// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// Creating a TUN device inside a named network namespace.
#pragma once

#include <optional>
#include <string>

#include "../common/sys.hpp"

namespace dupgre::tools {

// Creates the L3 TUN device `dev` (IFF_TUN | IFF_NO_PI: raw IP packets, no
// MAC header, like a ppp link) inside the namespace `ns` (a name under
// /var/run/netns, as `ip netns add` makes), sets its MTU if given and brings
// it up. Addresses and routes are left to the caller (`ip -n NS addr add`).
//
// The device is not persistent: it disappears when the returned descriptor
// is closed, i.e. when linkemu exits, however it exits. The descriptor is
// non-blocking. The calling thread returns to its original namespace
// before this returns or throws.
Fd create_tun_in_netns(const std::string &ns, const std::string &dev, std::optional<int> mtu);

} // namespace dupgre::tools
