// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// How status and counters are shown: text for people, JSON for scripts,
// Prometheus text exposition for monitoring.
#pragma once

#include <string>
#include <vector>

#include "clone_state.h"
#include "json.h"

namespace dupgre {

// Stable names of the clone counters (JSON keys), indexed by enum clone_counter.
const char *clone_counter_name(unsigned counter);

struct CloneReport {
	CloneStatus status;
	CloneCounters counters{};
};

std::string status_text(const std::vector<CloneStatus> &clone);
void status_json(Json &out, const std::vector<CloneStatus> &clone, const std::string &state_dir);
std::string stats_text(const std::vector<CloneReport> &clone);
void stats_json(Json &out, const std::vector<CloneReport> &clone);
std::string stats_prometheus(const std::vector<CloneReport> &clone);

}  // namespace dupgre
