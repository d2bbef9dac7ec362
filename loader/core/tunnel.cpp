// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "core/tunnel.h"

#include "core/error.h"

namespace dupgre {

const char *tunnel_name(Tunnel t)
{
	return t == Tunnel::wireguard ? "wireguard" : "pptp";
}

Tunnel parse_tunnel(const std::string &text)
{
	for (Tunnel t : {Tunnel::pptp, Tunnel::wireguard})
		if (text == tunnel_name(t))
			return t;
	throw UsageError("--tunnel must be pptp or wireguard, not '" + text + "'");
}

}  // namespace dupgre
