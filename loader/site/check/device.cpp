// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// check: each dual link the configuration names is there, of its kind
// (include/dupgre/dual_kinds.h's facts), and up.
#include <net/if_arp.h>

#include "core/error.h"
#include "core/wgnl.h"
#include "site/check/links.h"

namespace dupgre::checks {

std::optional<LinkState> check_device(Ctx &x, const DualLink &l)
{
	const std::string &name = l.dev;
	DualKind k = l.kind;
	std::string what = "dual link " + name + " (" + kind_name(k) + ")";
	std::optional<NetDevice> d;
	try {
		d = find_device(name);
	} catch (const Error &e) {
		x.fail(what + ": " + e.what(), "name the device in dual_dev or relay in " + x.file);
		return std::nullopt;
	}
	if (!d) {
		x.fail(what + ": no such device: no copies cross it", bring_up_fix(k, name));
		return std::nullopt;
	}
	LinkState s{*d, std::nullopt, k};
	if (k == DualKind::wireguard) {
		try {
			s.wg = read_wireguard(name);
		} catch (const Error &e) {
			x.fail(what + ": " + e.what(), "is its WireGuard implementation running? (wg show " + name + ")");
			return std::nullopt;
		}
	}
	if (!kind_matches(k, s.dev, s.wg.has_value())) {
		// ARPHRD_NONE: an L3 device with no link header, TUN's and WireGuard's.
		std::string is = s.dev.type == ARPHRD_NONE ? "a TUN or WireGuard device" : "a " + s.dev.type_name() + " device";
		x.fail(what + ": " + name + " is not a " + kind_name(k) + " device (" +
			       (k == DualKind::wireguard ? "neither the kernel nor a userspace WireGuard knows it"
							 : "it is " + is) + ")",
		       "dual = <its kind> in " + x.file + ", or point dual_dev/relay at the right device");
		return std::nullopt;
	}
	if (!s.dev.up) {
		x.fail(what + ": down", "ip link set dev " + name + " up");
		return s;
	}
	x.ok(what + ": up, MTU " + std::to_string(s.dev.mtu) +
	     (s.wg ? ", " + std::to_string(s.wg->peers.size()) + " WireGuard peer(s) (" + s.wg->source + ")" : ""));
	return s;
}

}  // namespace dupgre::checks
