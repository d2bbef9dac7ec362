// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// The secondary's relay: one program on the ingress of every registered dual
// link, state pinned under <state_root>/relay/:
//   peers   site address (16 bytes, IPv4-mapped or IPv6) -> the link that
//           leads to it (read by the program)
//   stats   per-link per-CPU counters
//   links   user space's record of the registered links, and whether
//           the stack forwards IPv6 from each (read by the program)
//   prog    the program
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "core/addr.h"
#include "core/counters.h"
#include "core/netdev.h"
#include "core/tc.h"
#include "dupgre/relay.h"

namespace dupgre {

using RelayCounters = std::array<__u64, RELAY_COUNTER_MAX>;
const CounterSchema &relay_schema();

struct RelayLink {
	std::string name;
	__u32 ifindex = 0;
	bool present = false;   // the name still resolves to ifindex
	bool attached = false;  // and the relay filter is on its ingress
	std::optional<AttachMode> attach_mode;  // by a tcx link or a tc filter, while attached
	bool created_qdisc = false;
	std::vector<IpAddr> peers;  // IPv4 first, then IPv6
	RelayCounters counters{};
};

class RelayState {
public:
	RelayState();

	bool exists() const;
	// Registers that dual link dev leads to the sites at addrs, and puts the
	// relay on its ingress. Idempotent; a link that came back under the same
	// name with a new ifindex replaces its old registration, and an address
	// registered on another link moves to this one.
	void add(const NetDevice &dev, const std::vector<IpAddr> &addrs);
	// Unregisters addrs (all of the link's if empty). A link left without
	// peers loses the relay; with no link left, the state is removed.
	// False if the link had no registration.
	bool del(const std::string &dev, const std::vector<IpAddr> &addrs);
	std::vector<RelayLink> links() const;

private:
	std::string pin(const char *name) const { return dir_ + "/" + name; }
	void create();
	void unregister_link(__u32 ifindex, bool detach);
	void replace_outdated_pins();

	std::string dir_;
};

}  // namespace dupgre
