// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// The NAT fix's inbound half on one device, pinned under
// <state_root>/dnat/DEV/: prog, stats, info.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "core/addr.h"
#include "core/counters.h"
#include "core/netdev.h"
#include "core/tc.h"
#include "dupgre/dnat.h"

namespace dupgre {

const CounterSchema &dnat_schema();

struct DnatStatus {
	std::string device;
	dnat_info info{};
	bool attached = false;  // the device is there and runs our filter
	std::optional<AttachMode> attach_mode;  // by a tcx link or a tc filter, while attached
	std::array<__u64, DNAT_COUNTER_MAX> counters{};
};

class DnatState {
public:
	explicit DnatState(const std::string &device);
	static std::vector<std::string> devices();

	bool exists() const;
	// Rewrites packets entering dev addressed to pub to priv; replaces an
	// earlier mapping on dev in place.
	void attach(const NetDevice &dev, Ipv4 pub, Ipv4 priv);
	bool detach();
	DnatStatus status() const;

private:
	std::string pin(const char *name) const { return dir_ + "/" + name; }

	std::string device_;
	std::string dir_;
};

}  // namespace dupgre
