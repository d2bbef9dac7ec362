// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// `dupgre-ctl hook EVENT`: what the guide's hand-written pppd scripts did,
// for each role, driven by the configuration; and the same for dual links
// that pppd does not bring up (WireGuard, GRE, IPIP), from ifupdown,
// systemd, networkd-dispatcher or netifd.
#pragma once

#include <string>
#include <vector>

#include "site/config.h"

namespace dupgre {

// One pppd link: ip-up's arguments (interface, tty, speed, local address,
// remote address, ipparam), or, as Debian's /etc/ppp/ip-up passes them to
// ip-up.d, the variables PPP_IFACE, PPP_TTY, PPP_SPEED, PPP_LOCAL,
// PPP_REMOTE and PPP_IPPARAM.
struct PppLink {
	std::string iface, tty, speed, local, remote, ipparam;
};
PppLink ppp_link(const std::vector<std::string> &args);

// Does this pppd link's part for the event ("ip-pre-up", "ip-up" or
// "ip-down"). ip-pre-up runs while the new link is still down: duplicate
// elimination is attached then, so that no copy reaches the PPTP stack
// unfiltered. Never fails a pppd connection: every problem is logged
// (syslog and stderr) with its fix, and the other steps still run. Returns
// the number of problems.
int run_hook(const std::string &event, const PppLink &link, const Config &cfg);

// link-up / link-down of a device the system manages (dual != ppp). On a
// primary or client, the dual link (dual_dev) and the WAN: the dual link's
// MTU and rp_filter, elimination on both, cloning WAN -> dual link with the
// tunnel's peers; whichever of the two comes up second sets it all up, and
// either going down takes it down (a primary keeps its peers). On a
// secondary, a device named in `relay`: its sites relayed. Any other
// device: nothing. Idempotent, and any order of events ends in the state
// the devices present call for. Same logging as run_hook.
int run_link_hook(bool up, const std::string &dev, const Config &cfg);

// link-up/link-down's device: the argument, else $IFACE (ifupdown,
// networkd-dispatcher), else $DEVICE (OpenWrt netifd hotplug).
std::string link_device(const std::vector<std::string> &args);

// `dupgre-ctl hook EVENT [ARGS]` as pppd, ifupdown or systemd run it:
// reads the link (ppp_link or link_device) and the configuration, then
// run_hook or run_link_hook. Never throws; every problem, a missing
// interface or a configuration that does not parse included, goes to
// syslog (LOG_DAEMON, ident "dupgre") and stderr. The command exits 0
// whatever happens here.
void hook_command(const std::string &event, const std::vector<std::string> &args,
		  const std::string &config_path) noexcept;

}  // namespace dupgre
