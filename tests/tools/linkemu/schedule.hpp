// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// A SPEC that changes over time by itself (linkemu --schedule), so that
// policies can be compared on the same loss that comes and goes: e.g.
// clean for 30 s, then 10 % loss for 30 s, twice.
//
// Text form:  DIR:PHASE;PHASE;...   DIR is a2b or b2a, PHASE is
//   DURATION:SPEC   this SPEC for DURATION (seconds, or with a unit: 500ms)
// and the end is said explicitly, one of:
//   ...;SPEC        a last phase without a duration: held for ever
//   ...;repeat      start again from the first phase, for ever
// Phases are separated by ';' because a SPEC uses ',' and ':' itself.
//
// Phases are numbered from 0 in the order they start, repeats included
// (a 2-phase schedule that repeats runs phases 0, 1, 2, 3, ...; phase k
// uses step k mod 2). The number selects the random streams of the phase
// (LinkDirection), so each phase's decisions depend on the seed, the
// direction, the phase number and the packet's index in the phase only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "link_spec.hpp"

namespace dupgre::tools {

struct Schedule {
	struct Step {
		int64_t duration_ns = 0; // 0 only for a held last step
		LinkSpec spec;
	};
	std::vector<Step> steps;
	bool repeat = false;

	// Where the schedule is `elapsed_ns` after its start.
	struct Position {
		uint64_t phase = 0;                // phases started so far, minus one
		size_t step = 0;                   // index into steps
		std::optional<int64_t> next_ns;    // elapsed time of the next change
	};
	Position at(int64_t elapsed_ns) const;
};

// Parses "DIR:PHASE;..." into the direction (0 = a2b, 1 = b2a) and the
// schedule. Throws SpecError with the whole message.
std::pair<unsigned, Schedule> parse_schedule(std::string_view text);

// Canonical text without the direction: "30s:none;30s:loss=0.1;repeat".
std::string format_schedule(const Schedule &schedule);

} // namespace dupgre::tools
