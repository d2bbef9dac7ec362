// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// One device's clone state, pinned under <state_root>/clone/DEV:
//   peers, wg_peers, stats, info   maps, created together (by `peer add` or `attach`)
//   copy, copy_stash     the peers' copy policies (programs/copy_policy.h)
//   prog                 the program, once attached
// Peers and counters outlive retargeting: a new program reuses the pinned
// maps and replaces the old one in the same tc filter.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "core/addr.h"
#include "core/counters.h"
#include "core/netdev.h"
#include "core/tc.h"
#include "core/tunnel.h"
#include "dupgre/clone.h"
#include "programs/copy_policy.h"

namespace dupgre {

using CloneCounters = std::array<__u64, CLONE_COUNTER_MAX>;
const CounterSchema &clone_schema();

struct CloneStatus {
	std::string device;
	clone_info info{};
	bool device_present = false;  // the name still resolves to info.ifindex
	bool filter_present = false;  // and our tc filter or tcx link runs the recorded program
	std::optional<AttachMode> attach_mode;  // which of them, while present
	bool target_present = false;
	bool created_qdisc = false;   // dupgre created the device's clsact qdisc
	size_t peers = 0;             // of the device's tunnel: addresses (PPTP) or endpoints (WireGuard)

	// "attached", "detached" (peers only), or "stale" (attached to a device
	// instance or filter that is gone, e.g. a ppp link that went down).
	std::string state() const;
};

class CloneState {
public:
	explicit CloneState(const std::string &device);

	// Devices that have clone state in this network namespace, sorted.
	static std::vector<std::string> devices();

	bool exists() const;
	std::optional<clone_info> info() const;
	CloneStatus status() const;
	std::vector<Ipv4> peers() const;
	std::vector<Endpoint> endpoints() const;  // WireGuard peers
	// The tunnel recorded for the device (its peers' kind), if it has state.
	std::optional<Tunnel> tunnel() const;
	CloneCounters counters() const;

	// Attaches to dev's egress cloning into target, or retargets in place.
	// With snat, copies from snat->first leave with source snat->second.
	// The tunnel may change only while the device has no peers.
	void attach(const NetDevice &dev, const NetDevice &target,
		    const std::optional<std::pair<Ipv4, Ipv4>> &snat, Tunnel tunnel = Tunnel::pptp);
	// Removes the filter (and a clsact qdisc dupgre created and nothing else
	// uses) and every pin. False if there was no state. With keep_peers,
	// the peers stay for the next attach (the primary's dual link went down
	// while clients stay connected); state with no peer left goes all the same.
	bool detach(bool keep_peers = false);
	// Adds all or none, each with copy policy `copy` (peers already there
	// take it too). Creates the state (not attached) if needed.
	void add_peers(const NetDevice &dev, const std::vector<Ipv4> &addrs, const CopyPolicy &copy);
	// Absent peers are ignored. State that is neither attached nor has peers
	// left is removed.
	void del_peers(const std::vector<Ipv4> &addrs);
	// The same for WireGuard endpoints (the device's tunnel must be
	// WireGuard); the policy is per address, whatever its ports.
	void add_endpoints(const NetDevice &dev, const std::vector<Endpoint> &eps, const CopyPolicy &copy);
	void del_endpoints(const std::vector<Endpoint> &eps);
	// The peers' copy policies (addresses; IPv4-mapped for IPv4).
	CopyPolicies copy_policies() const { return CopyPolicies(dir_); }
	// Gives the peers at addrs (present ones) copy policy `copy`.
	void set_copy_policy(const std::vector<IpAddr> &addrs, const CopyPolicy &copy);

private:
	std::string pin(const char *name) const { return dir_ + "/" + name; }
	void create_maps(const NetDevice &dev, Tunnel tunnel);
	// Counters pinned by an older dupgre (fewer of them) are made anew; the
	// new maps (copy policies) are made by the next load.
	void replace_outdated_pins();
	// Throws unless the device's state (if any) clones tunnel.
	void require_tunnel(Tunnel tunnel) const;
	size_t peer_count(const clone_info &inf) const;

	std::string device_;
	std::string dir_;
};

}  // namespace dupgre
