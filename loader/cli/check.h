// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// `dupgre-ctl check`: every precondition dupgre can test, each with its fix.
#pragma once

#include <string>
#include <vector>

namespace dupgre {

struct CheckResult {
	bool ok;
	std::string what;
	std::string fix;  // empty when ok
};

std::vector<CheckResult> run_checks();

// Reverse-path filtering as the kernel applies it: the larger of
// net.ipv4.conf.all.rp_filter and the device's own value (0 off, 1 strict,
// 2 loose); -1 if unreadable.
int effective_rp_filter(const std::string &dev);
// Copies arrive on an interface that is not the route back to their source:
// strict mode drops them. Sets the device's own value to 2 (loose) when the
// effective value is strict; never touches "all". Returns the new effective
// value.
int relax_rp_filter(const std::string &dev);

}  // namespace dupgre
