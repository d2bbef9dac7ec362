// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// `dupgre-ctl apply`: the site made to match its configuration. Level-
// triggered: what the configuration wants, given the links that are up
// now, is compared with what runs (the pins are the record), and the
// difference is the plan; what an older configuration set up and this one
// does not want is undone. Running the plan and then planning again gives
// an empty plan.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/addr.h"
#include "dupgre/clone.h"
#include "programs/eliminate.h"
#include "site/config.h"

namespace dupgre {

// A device as the plan needs it; up is false when it is absent, down, or
// named as going away by the event that runs apply.
struct LinkFacts {
	bool up = false;
	bool ppp = false;
	unsigned mtu = 0;
	int rp_filter = -1;  // effective: 0 off, 1 strict, 2 loose; -1 unknown
};

// What runs now, as far as apply decides on it: read from the pins and
// the devices (read_running), or written by hand in unit tests.
struct RunningSite {
	struct Clone {
		std::string dev, target;
		bool attached = false;
		clone_tunnel tunnel = CLONE_TUNNEL_PPTP;
		std::vector<Ipv4> peers;
		std::vector<Endpoint> endpoints;
		std::optional<std::pair<Ipv4, Ipv4>> snat;  // private, public
	};
	std::vector<Clone> clones;
	std::vector<std::pair<std::string, bool>> elim_paths;  // device, attached
	std::optional<ElimSettings> elim;                     // the paths' settings
	std::vector<std::pair<std::string, std::vector<IpAddr>>> relay;  // attached links, their sites
	std::vector<std::string> dnat;                        // devices running the NAT fix
	std::map<std::string, LinkFacts> links;               // every device named or pinned
	bool holder = false;                                  // beating, as the program sees it

	LinkFacts link(const std::string &dev) const;
	const Clone *clone(const std::string &dev) const;
};

// One change. `action` and `dev` say what, in dupgre-ctl's words
// ("eliminate add", "wan0"); `detail` the rest ("--mode order").
struct PlanStep {
	std::string action, dev, detail;
	std::function<void()> run;
	std::string text() const;  // "eliminate add --dev wan0 --mode order"
};

// The event that runs apply, if any: devices going away (pppd's ip-down and
// ifupdown's if-down run while the device is still up), and the dual link
// pppd just brought up (its name says nothing of its ipparam).
struct ApplyEvent {
	std::set<std::string> down;
	std::string ppp_dual;
};

// The plan: undoing first, then links, elimination, cloning, the holder,
// in the order copies need them (elimination before cloning starts them).
// Pure: reads nothing but its arguments.
std::vector<PlanStep> make_plan(const Config &c, const RunningSite &r, const ApplyEvent &ev = {});

// The site as it runs in this network namespace. The caller holds the
// StateLock.
RunningSite read_running(const Config &c, const ApplyEvent &ev = {});

// The holder's service, started or stopped by the init system that runs
// it (systemd, or OpenWrt's procd); throws Error naming what to do where
// neither runs the holder for this network namespace.
void holder_service(bool start);

}  // namespace dupgre
