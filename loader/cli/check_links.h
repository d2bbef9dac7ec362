// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// `dupgre-ctl check` from the configuration: what this site's role and each
// link kind need, and what is wrong (MTU room for a copy, WireGuard
// AllowedIPs, routes into the dual link, rp_filter), each with its fix.
#pragma once

#include <vector>

#include "cli/check.h"
#include "site/config.h"

namespace dupgre {

// Appends one result per check; `file` names the configuration in fixes.
void check_links(std::vector<CheckResult> &out, const Config &c, const std::string &file);

}  // namespace dupgre
