// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// The order stage's decision for one stream, without any I/O: which
// packets to release, in which order, and which to drop. The holder
// (programs/holder.cpp) feeds it what the queue delivers and gives the
// verdicts it returns, in that order. Its promise: no number is released
// twice, and no number after a higher one.
#pragma once

#include <array>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <utility>
#include <set>
#include <vector>

#include "dupgre/hold.h"

namespace dupgre {

struct Verdict {
	uint32_t id;  // the queue's packet id
	bool accept;
};

// What the holder counts, over all streams.
struct HoldStats {
	uint64_t c[HOLD_COUNTER_MAX] = {};
	uint64_t times[HOLD_TIME_ROW_LEN] = {};  // how long released packets were held, log2 us
	// The latest waits for a gap that filled: (when, how long), newest last.
	std::deque<std::pair<int64_t, int64_t>> fills_us;

	void held_for(int64_t us);
	void filled_after(int64_t now_us, int64_t us);
};

class Reorder {
public:
	// next: the number the receiver takes next.
	explicit Reorder(uint32_t next) : next_(next) {}

	// A packet of the stream, numbered seq, arrived at now_us: its verdict,
	// and those of the held packets it releases, go to out in order.
	void arrive(uint32_t id, uint32_t seq, int64_t now_us, std::vector<Verdict> &out, HoldStats &st);
	// Skips every gap whose first waiting packet has waited wait_us.
	void expire(int64_t now_us, int64_t wait_us, std::vector<Verdict> &out, HoldStats &st);
	// Skips the first gap now (a limit was reached).
	void skip_gap(int64_t now_us, std::vector<Verdict> &out, HoldStats &st);
	// Releases everything held, in order, skipping every gap (stopping).
	void release_all(int64_t now_us, std::vector<Verdict> &out, HoldStats &st);

	uint32_t next() const { return static_cast<uint32_t>(next_); }
	// The lowest number whose copy still interests the holder: next, or
	// the first of a gap skipped in the last second (its late copy tells
	// how long the wait should have been).
	uint32_t lowest_wanted(int64_t now_us) const;
	size_t held() const { return held_.size(); }
	// When the packet held longest arrived (the wait for the first gap
	// runs from there: a copy that filled a later hole may have come after
	// packets behind it); only if held().
	int64_t waiting_since() const { return *arrivals_.begin(); }

	// A packet this far ahead of next is not held: it would cut the stream
	// if it were forged. Three in a row, each near the one before, move
	// it, and only once nothing nearer came for jump_quiet_us: while the
	// stream's own packets flow, no forged run moves it (the program's
	// ELIM_JUMP_QUIET_NS rule, include/dupgre/eliminate.h).
	static constexpr int64_t max_ahead = 4096;
	static constexpr unsigned jump_confirm = 3;
	static constexpr int64_t jump_quiet_us = 200000;

private:
	struct Held {
		uint32_t id;
		int64_t arrived_us;
		std::multiset<int64_t>::iterator arrival;  // in arrivals_
	};
	int64_t unwrap(uint32_t seq) const { return next_ + static_cast<int32_t>(seq - static_cast<uint32_t>(next_)); }
	void release_run(int64_t now_us, unsigned counter, std::vector<Verdict> &out, HoldStats &st);

	// Gaps skipped lately: a copy that comes for one after all says how
	// long the wait should have been (so the wait can grow, not only shrink).
	struct Skipped {
		int64_t first, end;  // numbers [first, end)
		int64_t since_us;    // when the wait for it began
	};
	// The last 16, in a fixed ring: a deque allocates ~600 B even empty,
	// and the holder keeps one Reorder per stream (4096 at most).
	static constexpr unsigned skipped_max = 16;
	std::array<Skipped, skipped_max> skipped_{};
	unsigned skipped_next_ = 0, skipped_count_ = 0;
	const Skipped &skipped(unsigned i) const  // i-th oldest
	{
		return skipped_[(skipped_next_ + skipped_max - skipped_count_ + i) % skipped_max];
	}

	int64_t next_;                  // sequence numbers unwrapped to 64 bits
	std::map<int64_t, Held> held_;  // by number, all > next_
	std::multiset<int64_t> arrivals_;  // the held packets' arrival times
	int64_t jump_seq_ = 0;
	unsigned jump_count_ = 0;
	int64_t near_us_ = INT64_MIN / 2;  // the last packet within max_ahead
};

// The wait auto picks: 1.25 times the larger of the copy gap's and the
// gap fills' 99th percentile, plus 5 ms, within auto_wait_min_us and
// auto_wait_max_us: at most the guide's kernel patch's 333 ms, since a
// copy later than that costs every packet behind a gap that long (a
// longer wait is `--wait MS`); fallback_us
// when neither has 8 samples.
inline constexpr int64_t auto_wait_min_us = 10000, auto_wait_max_us = 333000;
int64_t auto_wait_us(const uint64_t *gap_buckets, unsigned nbuckets, const int64_t *fills_us, size_t nfills,
		     int64_t fallback_us);
// Whether the copies come too late to help: of the last fills (at least
// 8: how long after a gap opened its copy came, in time or after it was
// skipped), more than half came after auto_wait_max_us. Waiting then only
// delays what follows each gap (path B far behind, the guide's row 4):
// the auto wait gives up, and resumes as soon as the fills say copies come
// in time again (the late ones are still measured while nothing waits).
bool copies_too_late(const int64_t *fills_us, size_t nfills);

}  // namespace dupgre
