// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// How status and counters are shown: text for people, JSON for scripts,
// Prometheus text exposition for monitoring.
#pragma once

#include <string>
#include <vector>

#include "programs/clone.h"
#include "programs/dnat.h"
#include "programs/eliminate.h"
#include "core/json.h"
#include "programs/relay.h"

namespace dupgre {

// Stable names of the clone counters (JSON keys), indexed by enum clone_counter.
const char *clone_counter_name(unsigned counter);

const char *relay_counter_name(unsigned counter);
const char *elim_counter_name(unsigned counter);

struct CloneReport {
	CloneStatus status;
	CloneCounters counters{};
};

// Everything dupgre has in this network namespace.
struct Report {
	std::vector<CloneReport> clone;
	std::vector<RelayLink> relay;
	std::vector<DnatStatus> dnat;
	std::vector<ElimPath> eliminate;
	ElimCounters elim_totals{};
	std::vector<ElimStream> elim_streams;
};

std::string status_text(const Report &r);
void status_json(Json &out, const Report &r, const std::string &state_dir);
std::string stats_text(const Report &r);
void stats_json(Json &out, const Report &r);
std::string stats_prometheus(const Report &r);

}  // namespace dupgre
