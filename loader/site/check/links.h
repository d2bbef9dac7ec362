// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// check from the configuration: what this site's role and each link kind
// need, and what is wrong, each with its fix. One file a check:
//   links.cpp        the dual links the configuration names, in order
//   device.cpp       each link is there, of its kind, and up
//   mtu.cpp          the MTU arithmetic: room for a copy (no system calls)
//   mtu_devices.cpp  the devices and routes whose MTUs it compares
//   allowed_ips.cpp  WireGuard AllowedIPs
//   routes.cpp       this host's own traffic stays off the dual links
//   rp_filter.cpp    rp_filter where copies arrive
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/addr.h"
#include "core/netdev.h"
#include "core/wgpeers.h"
#include "site/check/check.h"
#include "site/config.h"

namespace dupgre {

// Appends one result per check; `file` names the configuration in fixes.
void check_links(std::vector<CheckResult> &out, const Config &c, const std::string &file);

namespace checks {

// One site at the other end: its public address and what to call it.
struct Site {
	IpAddr addr;
	std::string label;  // "the primary 198.18.0.2"
};

// One dual link device, its kind and the sites whose copies cross it.
struct DualLink {
	std::string dev;
	std::vector<Site> sites;
	DualKind kind = DualKind::ppp;
};

// The device is there, of the configured kind, and up; its WireGuard
// configuration when it is one.
struct LinkState {
	NetDevice dev;
	std::optional<WgDevice> wg;
	DualKind kind;
};

// Where the checks append their results.
struct Ctx {
	std::vector<CheckResult> &out;
	const Config &c;
	const std::string &file;
	void ok(const std::string &what) { out.push_back({true, what, ""}); }
	void fail(const std::string &what, const std::string &fix) { out.push_back({false, what, fix}); }
	void warn(const std::string &what, const std::string &fix) { out.push_back({true, what, fix, true}); }
};

inline std::string kind_name(DualKind k)
{
	return dual_kind_name(k);
}

// The sites across the dual links from a client or primary.
std::vector<Site> remote_sites(const Config &c);

// device.cpp
std::optional<LinkState> check_device(Ctx &x, const DualLink &l);

// mtu.cpp, mtu_devices.cpp
// The largest packet the main tunnel puts on the WAN, and how it was
// found: the tunnel device's MTU plus its outer headers when the device is
// found, else the WAN's MTU.
struct Largest {
	unsigned bytes = 0;
	std::string why;
};
// PPTP's outer packet around a PPP frame of MTU bytes: IPv4 20, enhanced
// GRE with sequence and acknowledgment 16, PPP address/control 2 and
// protocol 2, MPPE's header 2 and the inner protocol 2.
constexpr unsigned pptp_overhead = 44;
// A main WireGuard tunnel's packet from a device of MTU bytes (`dev` names
// it in the reason).
Largest wireguard_largest(const std::string &dev, unsigned mtu, bool ipv6);
// A main PPTP tunnel's packet from a PPP frame of MTU bytes (`what` says
// where that MTU comes from: "client_mtu 1400", "ppp0's MTU 1400").
Largest pptp_largest(const std::string &what, unsigned mtu);
// The WAN carries no larger packet than its MTU.
void cap_by_wan(Largest &l, const NetDevice &wan);
Largest largest_tunnel_packet(const Config &c, const std::vector<DualLink> &links);
// The dual link holds the largest tunnel packet (client, primary).
void check_mtu(Ctx &x, const LinkState &s, const Largest &need);
// Secondary: no dual link smaller than the largest.
void check_relay_mtus(Ctx &x, const std::vector<std::pair<DualLink, LinkState>> &links);
// What a GRE or IPIP transport adds, and the MTU the path under it needs.
void check_underlay_kind(Ctx &x, const LinkState &s);
// WireGuard's packets from the dual link to one peer's endpoint, and
// whether the device under them (`under`) has room.
struct WgUnderlay {
	unsigned header = 0;  // WireGuard's outer headers
	unsigned need = 0;    // the dual link's MTU plus those
	std::string head;     // the result's text up to the verdict
};
WgUnderlay wg_underlay(const std::string &dev, unsigned mtu, const Endpoint &endpoint);
void check_wg_underlay(Ctx &x, const std::string &dev, const WgUnderlay &u, const NetDevice &under);
// No peer has an endpoint yet: what the path will need either way.
void check_wg_underlay_unknown(Ctx &x, const std::string &dev, unsigned mtu);
// What the transport adds, and whether the device under it has room.
void check_underlay(Ctx &x, const LinkState &s);

// allowed_ips.cpp
void check_allowed_ips_site(Ctx &x, const LinkState &s, const DualLink &l);
void check_allowed_ips_relay(Ctx &x, const LinkState &s, const DualLink &l, const std::vector<DualLink> &all);

// routes.cpp
void check_routes(Ctx &x, const std::vector<DualLink> &links);

// rp_filter.cpp
void check_rp_filter(Ctx &x, const DualLink &l);

}  // namespace checks

}  // namespace dupgre
