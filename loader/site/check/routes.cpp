// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// check: this host's own packets to the other sites leave by the WAN.
#include <set>

#include "core/error.h"
#include "core/route.h"
#include "site/check/links.h"

namespace dupgre::checks {

// This host's own packets to a site, and its tunnel's, must take the WAN:
// a route into the dual link (wg-quick's Table = auto makes one for every
// AllowedIPs prefix) sends them where only copies belong.
void check_routes(Ctx &x, const std::vector<DualLink> &links)
{
	std::set<std::string> dual;
	for (const DualLink &l : links)
		dual.insert(l.dev);
	std::set<IpAddr> seen;
	for (const DualLink &l : links)
		for (const Site &site : l.sites) {
			if (!seen.insert(site.addr).second)
				continue;
			std::string what = "route to " + site.label;
			std::optional<RouteHit> r;
			try {
				r = route_get(site.addr);
			} catch (const Error &e) {
				x.fail(what + ": " + e.what(), "ip route get " + site.addr.str());
				continue;
			}
			if (!r) {
				x.fail(what + ": none: this host's own packets to it go nowhere",
				       "a route to " + site.addr.str() + " by the WAN");
				continue;
			}
			if (!dual.count(r->dev)) {
				x.ok(what + ": by " + (r->dev.empty() ? "no device" : r->dev));
				continue;
			}
			std::string fix = "ip route del " + r->prefix + " dev " + r->dev + r->table_arg();
			if (x.c.dual == DualKind::wireguard)
				fix += " (wg-quick: Table = off in " + r->dev + "'s [Interface])";
			x.fail(what + ": by " + r->dev + ", the dual link (route " + r->prefix + r->table_arg() +
				       "): this host's own traffic to it, its tunnel's too, goes into the dual link",
			       fix);
		}
}

}  // namespace dupgre::checks
