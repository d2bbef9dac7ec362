// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// Running the system's own tools (nft, iptables, systemctl, an init
// script): no shell, fixed arguments.
#pragma once

#include <string>
#include <vector>

namespace dupgre {

// Runs args[0] (looked up in PATH) and returns its exit status, or -1 when
// it cannot be run at all. Its stdout goes to *out if given, else nowhere;
// its stderr goes nowhere: its own messages would break dupgre-ctl's
// one-line errors.
int run_tool(std::vector<std::string> args, std::string *out = nullptr);

}  // namespace dupgre
