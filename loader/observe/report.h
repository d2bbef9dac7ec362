// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// How status and counters are shown: text for people, JSON for scripts,
// Prometheus text exposition for monitoring. Counter names, metric names,
// labels and HELP all come from each program's counter schema.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "programs/clone.h"
#include "programs/dnat.h"
#include "programs/eliminate.h"
#include "programs/relay.h"

namespace dupgre {

// Keys in the order they are written, as people read them.
using Json = nlohmann::ordered_json;

struct CloneReport {
	CloneStatus status;
	CloneCounters counters{};
	std::vector<std::pair<IpAddr, copy_policy>> copy;  // peers' policies other than always
};

// Everything dupgre has in this network namespace.
struct Report {
	std::vector<CloneReport> clone;
	std::vector<RelayLink> relay;
	std::vector<DnatStatus> dnat;
	std::vector<ElimPath> eliminate;
	ElimCounters elim_totals{};
	std::vector<ElimStream> elim_streams;
	std::optional<HoldReport> hold;  // when a path is in order mode

	bool empty() const { return clone.empty() && relay.empty() && dnat.empty() && eliminate.empty(); }
};

// Everything in this network namespace, or what concerns dev (status,
// stats, serve, top); throws Error when dev has no state.
Report gather(const std::string &dev);

std::string status_text(const Report &r);
Json status_json(const Report &r, const std::string &state_dir);
std::string stats_text(const Report &r);
Json stats_json(const Report &r);
std::string stats_prometheus(const Report &r);

// A schema's counters as a JSON object {name: value}.
Json counters_json(const CounterSchema &schema, const __u64 *values, unsigned n);

}  // namespace dupgre
