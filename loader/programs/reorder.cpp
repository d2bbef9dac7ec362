// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "programs/reorder.h"

#include <algorithm>
#include <vector>


namespace dupgre {

void HoldStats::held_for(int64_t us)
{
	unsigned bucket = 0;
	auto v = static_cast<uint64_t>(us > 0 ? us : 0);
	while (bucket + 1 < HOLD_TIME_BUCKETS && (v >> bucket))
		bucket++;
	times[bucket]++;
	times[HOLD_TIME_BUCKETS] += v;
}

void HoldStats::filled_after(int64_t now_us, int64_t us)
{
	fills_us.emplace_back(now_us, us);
	if (fills_us.size() > 256)
		fills_us.pop_front();
}

void Reorder::release_run(int64_t now_us, unsigned counter, std::vector<Verdict> &out, HoldStats &st)
{
	while (!held_.empty() && held_.begin()->first == next_) {
		const Held &h = held_.begin()->second;
		out.push_back({h.id, true});
		st.c[counter]++;
		st.held_for(now_us - h.arrived_us);
		arrivals_.erase(h.arrival);
		held_.erase(held_.begin());
		next_++;
	}
}

void Reorder::arrive(uint32_t id, uint32_t seq, int64_t now_us, std::vector<Verdict> &out, HoldStats &st)
{
	int64_t n = unwrap(seq);
	if (n < next_)
		for (unsigned i = 0; i < skipped_count_; i++)
			if (n >= skipped(i).first && n < skipped(i).end)
				st.filled_after(now_us, now_us - skipped(i).since_us);  // too late: how late
	if (n < next_ || held_.count(n)) {
		out.push_back({id, false});  // delivered, skipped, or held already
		st.c[HOLD_DISCARDED]++;
		return;
	}
	if (n - next_ > max_ahead) {
		bool near = jump_count_ && n > jump_seq_ && n - jump_seq_ < 64;
		jump_count_ = near ? jump_count_ + 1 : 1;
		jump_seq_ = n;
		if (jump_count_ < jump_confirm || now_us - near_us_ < jump_quiet_us) {
			out.push_back({id, false});
			st.c[HOLD_ROGUE]++;
			return;
		}
		// The stream did move: whatever is held goes first, in order.
		while (!held_.empty())
			skip_gap(now_us, out, st);
		st.c[HOLD_GAPS_SKIPPED]++;
		st.c[HOLD_NUMBERS_SKIPPED] += n - next_;
		next_ = n;
	}
	jump_count_ = 0;
	near_us_ = now_us;
	if (n == next_) {
		if (!held_.empty())
			st.filled_after(now_us, now_us - waiting_since());
		out.push_back({id, true});
		st.c[HOLD_PASSED]++;
		next_++;
		release_run(now_us, HOLD_RELEASED_IN_ORDER, out, st);
		return;
	}
	held_.emplace(n, Held{id, now_us, arrivals_.insert(now_us)});
	st.c[HOLD_HELD]++;
}

void Reorder::skip_gap(int64_t now_us, std::vector<Verdict> &out, HoldStats &st)
{
	if (held_.empty())
		return;
	st.c[HOLD_GAPS_SKIPPED]++;
	st.c[HOLD_NUMBERS_SKIPPED] += held_.begin()->first - next_;
	skipped_[skipped_next_] = {next_, held_.begin()->first, waiting_since()};
	skipped_next_ = (skipped_next_ + 1) % skipped_max;
	skipped_count_ = std::min(skipped_count_ + 1, skipped_max);
	next_ = held_.begin()->first;
	release_run(now_us, HOLD_RELEASED_BY_WAIT, out, st);
}

void Reorder::release_all(int64_t now_us, std::vector<Verdict> &out, HoldStats &st)
{
	while (!held_.empty())
		skip_gap(now_us, out, st);
}

uint32_t Reorder::lowest_wanted(int64_t now_us) const
{
	for (unsigned i = 0; i < skipped_count_; i++)  // oldest first
		if (now_us - skipped(i).since_us < 1000000)
			return static_cast<uint32_t>(skipped(i).first);
	return next();
}

void Reorder::expire(int64_t now_us, int64_t wait_us, std::vector<Verdict> &out, HoldStats &st)
{
	while (!held_.empty() && now_us - waiting_since() >= wait_us)
		skip_gap(now_us, out, st);
}

namespace {

// The q-quantile of a log2 histogram (bucket b: [2^(b-1), 2^b) us),
// interpolated within its bucket.
double log2_quantile(const uint64_t *buckets, unsigned n, double q, uint64_t total)
{
	double want = q * static_cast<double>(total), seen = 0;
	for (unsigned b = 0; b < n; b++) {
		if (!buckets[b])
			continue;
		if (seen + static_cast<double>(buckets[b]) >= want) {
			double lo = b ? static_cast<double>(1ull << (b - 1)) : 0, hi = static_cast<double>(1ull << b);
			return lo + (hi - lo) * (want - seen) / static_cast<double>(buckets[b]);
		}
		seen += static_cast<double>(buckets[b]);
	}
	return static_cast<double>(1ull << (n - 1));
}

}  // namespace

bool copies_too_late(const int64_t *fills_us, size_t nfills)
{
	constexpr size_t enough = 8;
	if (nfills < enough)
		return false;
	size_t late = static_cast<size_t>(
		std::count_if(fills_us, fills_us + nfills, [](int64_t us) { return us > auto_wait_max_us; }));
	return 2 * late > nfills;
}

int64_t auto_wait_us(const uint64_t *gap_buckets, unsigned nbuckets, const int64_t *fills_us, size_t nfills,
		     int64_t fallback_us)
{
	constexpr size_t enough = 8;
	double p99 = -1;
	uint64_t total = 0;
	for (unsigned b = 0; b < nbuckets; b++)
		total += gap_buckets[b];
	if (total >= enough)
		p99 = log2_quantile(gap_buckets, nbuckets, 0.99, total);
	if (nfills >= enough) {
		std::vector<int64_t> f(fills_us, fills_us + nfills);
		size_t k = std::min(f.size() - 1, static_cast<size_t>(0.99 * static_cast<double>(f.size())));
		std::nth_element(f.begin(), f.begin() + static_cast<long>(k), f.end());
		p99 = std::max(p99, static_cast<double>(f[k]));
	}
	if (p99 < 0)
		return fallback_us;
	return std::clamp<int64_t>(static_cast<int64_t>(1.25 * p99) + 5000, auto_wait_min_us, auto_wait_max_us);
}

}  // namespace dupgre
