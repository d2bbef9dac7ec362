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

// What is attached in this network namespace, then, when `config` names a
// readable file (or must: `config_given`), what its role and link kinds need.
std::vector<CheckResult> run_checks(const std::string &config, bool config_given);

}  // namespace dupgre
