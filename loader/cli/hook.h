// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// `dupgre-ctl hook ip-pre-up|ip-up|ip-down`: what the guide's hand-written pppd
// scripts did, for each role, driven by the configuration.
#pragma once

#include <string>
#include <vector>

#include "cli/config.h"

namespace dupgre {

// One pppd link: ip-up's arguments (interface, tty, speed, local address,
// remote address, ipparam), or, as Debian's /etc/ppp/ip-up passes them to
// ip-up.d, the variables PPP_IFACE, PPP_TTY, PPP_SPEED, PPP_LOCAL,
// PPP_REMOTE and PPP_IPPARAM.
struct PppLink {
	std::string iface, tty, speed, local, remote, ipparam;
};
PppLink ppp_link(const std::vector<std::string> &args);

// Does this link's part for the event ("ip-pre-up", "ip-up" or "ip-down").
// ip-pre-up runs while the new link is still down: duplicate elimination is
// attached then, so that no copy reaches the PPTP stack unfiltered. Never fails a
// pppd connection: every problem is logged (syslog and stderr) with its
// fix, and the other steps still run. Returns the number of problems.
int run_hook(const std::string &event, const PppLink &link, const Config &cfg);

// `dupgre-ctl hook EVENT [pppd args]` as pppd runs it, whose stderr pppd
// discards: reads the link (ppp_link) and the configuration, then run_hook.
// Never throws; every problem, a missing interface or a configuration that
// does not parse included, goes to syslog (LOG_DAEMON, ident "dupgre") and
// stderr. The command exits 0 whatever happens here.
void hook_command(const std::string &event, const std::vector<std::string> &pppd_args,
		  const std::string &config_path) noexcept;

}  // namespace dupgre
