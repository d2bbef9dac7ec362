// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// `dupgre-ctl top`: a live view of the rates, refreshed once a second, in
// plain ANSI escapes and termios (no terminfo, no ncurses: it works over
// SSH in any terminal and keeps the router binary small). The screen is a
// pure function of the figures, so the unit tests can read it.
#pragma once

#include <string>
#include <vector>

#include "observe/rates.h"

namespace dupgre {

// The screen: at most height lines of at most width characters.
// second: the figures of the last second (rates); window: over the last
// window_seconds (effective loss, the copy-gap chart); latest: the newest
// snapshot (what is attached). Either figures may be missing at the start.
std::vector<std::string> top_screen(const Report &latest, const Figures *second, const Figures *window,
				    unsigned width, unsigned height);

// A gap bucket's range for people: "8-16ms", "<1us", ">=4.2s".
std::string gap_bucket_label(unsigned bucket);

}  // namespace dupgre
