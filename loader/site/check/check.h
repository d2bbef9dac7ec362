// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// The site's diagnosis, as `dupgre-ctl check` prints it: every precondition
// dupgre can test, each with its fix. The checks produce results; printing
// them is the command line's (cli/check.cpp).
#pragma once

#include <string>
#include <vector>

namespace dupgre {

struct CheckResult {
	bool ok;
	std::string what;
	std::string fix;    // empty when ok
	bool warn = false;  // ok, but worth knowing (WARN): check still passes
};

// What is attached in this network namespace, then, when `config` names a
// readable file (or must: `config_given`), what its role and link kinds need.
std::vector<CheckResult> run_checks(const std::string &config, bool config_given);

// The datapath at work (check --live SECONDS): the counters sampled over
// that interval, failing on clone copies failing, a clone that copies
// nothing while packets leave, a relay dropping its sites' copies.
void check_live(std::vector<CheckResult> &out, unsigned seconds);

}  // namespace dupgre
