// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// When to act on a burst of events: a firewall reload is hundreds of
// netlink messages, and acting on the first would see it half done.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>

namespace dupgre {

// Due `settle_us` after the last event, and at least every `every_us`
// anyway (for changes that send no event). Due at once when made. Times
// are CLOCK_MONOTONIC microseconds.
class Debounce {
public:
	Debounce(int64_t settle_us, int64_t every_us) : settle_us_(settle_us), every_us_(every_us) {}

	void event(int64_t now_us) { event_due_ = now_us + settle_us_; }
	int64_t due() const { return std::min(event_due_, last_ + every_us_); }
	// True once when due (then counted as done).
	bool fire(int64_t now_us)
	{
		if (now_us < due())
			return false;
		last_ = now_us;
		event_due_ = never;
		return true;
	}

private:
	static constexpr int64_t never = std::numeric_limits<int64_t>::max();
	int64_t settle_us_, every_us_;
	int64_t event_due_ = std::numeric_limits<int64_t>::min();
	int64_t last_ = 0;
};

}  // namespace dupgre
