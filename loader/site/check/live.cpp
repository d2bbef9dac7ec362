// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// check --live SECONDS: what the configuration and the pins cannot show,
// the datapath at work, from the programs' own counters sampled twice.
#include <unistd.h>

#include <map>
#include <string>

#include "site/check/check.h"
#include "programs/clone.h"
#include "programs/relay.h"

namespace dupgre {

namespace {

struct Sample {
	std::map<std::string, CloneCounters> clone;  // attached devices
	std::map<std::string, RelayCounters> relay;  // attached links
};

Sample sample()
{
	Sample s;
	for (const std::string &dev : CloneState::devices()) {
		CloneState st(dev);
		if (st.status().state() == "attached")
			s.clone[dev] = st.counters();
	}
	for (const RelayLink &l : RelayState().links())
		if (l.attached)
			s.relay[l.name] = l.counters;
	return s;
}

// Fewer packets than this in the interval say nothing about a clone that
// copies none (keepalives of an idle tunnel are enough to pass it).
constexpr __u64 min_seen = 10;

}  // namespace

void check_live(std::vector<CheckResult> &out, unsigned seconds)
{
	Sample a = sample();
	sleep(seconds);
	Sample b = sample();
	std::string in = " in " + std::to_string(seconds) + " s";
	for (const auto &entry : b.clone) {
		const std::string &dev = entry.first;
		const CloneCounters &after = entry.second;
		auto it = a.clone.find(dev);
		if (it == a.clone.end())
			continue;  // attached meanwhile: next time
		const CloneCounters &before = it->second;
		auto d = [&](unsigned i) { return after[i] - before[i]; };
		std::string name = "live: clone on " + dev;
		__u64 failed = d(CLONE_ERRORS) + d(CLONE_XMIT_DROPS);
		if (failed)
			out.push_back({false,
				       name + ": " + std::to_string(failed) + " of " +
					       std::to_string(d(CLONE_CLONED) + d(CLONE_ERRORS)) + " copies failed" + in +
					       " (errors " + std::to_string(d(CLONE_ERRORS)) + ", xmit_drops " +
					       std::to_string(d(CLONE_XMIT_DROPS)) + ")",
				       "the dual link drops them: is it up, with carrier (ip link show; dupgre-ctl "
				       "status shows the target)?"});
		else if (d(CLONE_SEEN) >= min_seen && d(CLONE_CLONED) == 0)
			out.push_back({false,
				       name + ": " + std::to_string(d(CLONE_SEEN)) + " packets left" + in +
					       ", none copied (" + std::to_string(d(CLONE_NO_PEER)) + " not for a peer)",
				       "are the peers the tunnel's server or clients? dupgre-ctl peer list --dev " + dev});
		else
			out.push_back({true, name + ": " + std::to_string(d(CLONE_CLONED)) + " copies" + in + ", none failed",
				       ""});
	}
	for (const auto &entry : b.relay) {
		const std::string &link = entry.first;
		const RelayCounters &after = entry.second;
		auto it = a.relay.find(link);
		if (it == a.relay.end())
			continue;
		const RelayCounters &before = it->second;
		auto d = [&](unsigned i) { return after[i] - before[i]; };
		std::string name = "live: relay on " + link;
		if (d(RELAY_NO_LINK) || d(RELAY_REDIRECT_ERRORS))
			out.push_back({false,
				       name + ": dropped " + std::to_string(d(RELAY_NO_LINK)) +
					       " copies from its sites for an address with no link, " +
					       std::to_string(d(RELAY_REDIRECT_ERRORS)) + " it could not send" + in,
				       "is the destination site's link up and its address registered? dupgre-ctl relay "
				       "list; dupgre-ctl relay add --dev LINK --peer ADDR"});
		else
			out.push_back({true, name + ": " + std::to_string(d(RELAY_RELAYED)) + " relayed" + in + ", none dropped",
				       ""});
	}
	if (b.clone.empty() && b.relay.empty())
		out.push_back({true, "live: nothing attached to watch", "", true});
}

}  // namespace dupgre
