// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// check: rp_filter on a dual link, where copies from the other sites'
// addresses arrive.
#include "core/netdev.h"
#include "site/check/links.h"

namespace dupgre::checks {

void check_rp_filter(Ctx &x, const DualLink &l)
{
	bool ipv4 = x.c.tunnel == Tunnel::pptp;
	for (const Site &s : l.sites)
		ipv4 |= s.addr.is_ipv4();
	if (!ipv4)
		return;  // IPv6 has no rp_filter
	int rp = effective_rp_filter(l.dev);
	std::string what = "rp_filter on " + l.dev + " (dual link, where copies arrive)";
	if (rp < 0) {
		x.fail(what + ": cannot read it", "is the device there?");
		return;
	}
	if (rp != 1) {
		x.ok(what + ": " + std::to_string(rp) + (rp == 0 ? " (off)" : " (loose)"));
		return;
	}
	x.fail(what + ": 1 (strict): copies from the other sites' addresses arrive there and are dropped",
	       "sysctl -w net.ipv4.conf." + l.dev + ".rp_filter=2" +
		       (x.c.rp_filter ? " (rp_filter = yes in " + x.file + " does it at link-up)"
				      : ", or rp_filter = yes in " + x.file));
}

}  // namespace dupgre::checks
