// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// Both directions of the link plus the control commands, without I/O, so
// the command language is testable on its own.
//
// Commands (one per control connection):
//   stats                 {"a2b":{counters},"b2a":{counters}}
//   reset-stats           zero the counters -> "ok"
//   set a2b|b2a SPEC      replace one direction's SPEC -> "ok a2b <canonical SPEC>"
//   config                {"a2b":"<SPEC>","b2a":"<SPEC>"}
//   schedule              {"a2b":{"schedule":"<text>","phase":N,"step":I},"b2a":null}
//                         (null: no schedule runs; `set` ends a direction's)
// A failed command replies "error: <message>".
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "link_direction.hpp"

namespace dupgre::tools {

class Emulator {
public:
	Emulator(uint64_t seed, const LinkSpec &a2b, const LinkSpec &b2a);

	LinkDirection &direction(unsigned i) { return dirs_[i]; }

	// Applies the schedules' phase changes due by now_ns.
	void advance(int64_t now_ns);
	// The earliest next phase change of either direction, if any.
	std::optional<int64_t> next_change() const;

	// Runs one control command and returns the reply (without newline).
	std::string handle_command(std::string_view command);

	std::string stats_json() const;
	std::string config_json() const;
	std::string schedule_json() const;

private:
	std::array<LinkDirection, 2> dirs_;
};

} // namespace dupgre::tools
