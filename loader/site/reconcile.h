// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// `dupgre-ctl apply`: the site made to match its configuration. Level-
// triggered: what the configuration wants, given the links that are there
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
#include "dupgre/site.h"
#include "programs/eliminate.h"
#include "site/config.h"

namespace dupgre {

// A device as the plan needs it. Present: it exists and the event that
// runs apply does not say it is going away. Not "up": ifupdown's pre-up and
// pppd's ip-pre-up run while the device is still down, so that nothing
// arrives by it before its copies can be dropped.
struct LinkFacts {
	bool present = false;
	int ifindex = 0;
	int own_rp = -1;  // the device's own rp_filter value
	bool l3 = false;  // no MAC header: ppp, or TUN (a ppp link's stand-in), WireGuard, GRE...
	unsigned mtu = 0;
	int rp_filter = -1;  // effective: 0 off, 1 strict, 2 loose; -1 unknown
};

// What runs now, as far as apply decides on it: read from the pins and
// the devices (read_running), or written by hand in unit tests.
struct RunningSite {
	struct Clone {
		std::string dev, target;
		bool attached = false;
		Tunnel tunnel = Tunnel::pptp;
		std::vector<Ipv4> peers;
		std::vector<Endpoint> endpoints;
		std::optional<std::pair<Ipv4, Ipv4>> snat;  // private, public
		std::map<IpAddr, CopyPolicy> copy;  // the peers' copy policies other than always
	};
	std::vector<Clone> clones;
	std::vector<std::pair<std::string, bool>> elim_paths;  // device, attached
	std::optional<ElimSettings> elim;                     // the paths' settings
	std::vector<std::pair<std::string, std::vector<IpAddr>>> relay;  // attached links, their sites
	std::vector<std::string> dnat;                        // devices running the NAT fix
	std::map<std::string, LinkFacts> links;               // every device named or pinned
	bool holder = false;                                  // beating, as the program sees it
	bool adapt = false;                                   // dupgre-ctl adapt runs here
	std::map<std::string, site_link> changed;             // what apply set on devices (site/link_record.h)

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
	// pppd's ip-pre-up of ppp_dual: elimination only, cloning at ip-up
	// (copies into a link that is not up yet would be dropped).
	bool ppp_pre_up = false;
};

// The plan: undoing first, then links, elimination, cloning, the holder,
// in the order copies need them (elimination before cloning starts them).
// Pure: reads nothing but its arguments.
std::vector<PlanStep> make_plan(const Config &c, const RunningSite &r, const ApplyEvent &ev = {});

// The site as it runs in this network namespace. The caller holds the
// StateLock.
RunningSite read_running(const Config &c, const ApplyEvent &ev = {});

// What apply did with one step: empty error when it was done.
struct StepResult {
	PlanStep step;
	std::string error;
};
// The plan for this namespace as it runs now, carried out (unless dry_run)
// step by step: one that fails is recorded with its error, and the rest
// still run. The caller holds the StateLock.
std::vector<StepResult> apply_site(const Config &c, const ApplyEvent &ev, bool dry_run);

// The holder's service, started or stopped by the init system that runs
// it (systemd, or OpenWrt's procd); throws Error naming what to do where
// neither runs the holder for this network namespace.
void holder_service(bool start);
// The same for `dupgre-ctl adapt` (dupgre-adapt).
void adapt_service(bool start);

}  // namespace dupgre
