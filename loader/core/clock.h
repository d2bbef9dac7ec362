// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// CLOCK_MONOTONIC, the clock bpf_ktime_get_ns() reads: the holder's beat,
// its timers, the rule keeper's debounce and `status`'s look at the beat
// all count in it.
#pragma once

#include <time.h>

#include <cstdint>

namespace dupgre {

inline int64_t monotonic_ns()
{
	timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

inline int64_t monotonic_us()
{
	return monotonic_ns() / 1000;
}

}  // namespace dupgre
