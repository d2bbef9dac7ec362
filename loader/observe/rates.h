// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// Figures a counter cannot say by itself, from two Report snapshots taken
// some seconds apart: rates per device and counter, per path the packets
// only that path delivered (rescued) per second, the effective loss after
// elimination, and the copy-gap percentiles. Shared by `serve` (gauges over
// a sliding window) and `top` (the last second).
#pragma once

#include <array>
#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "observe/report.h"

namespace dupgre {

// A Report and when it was taken (seconds on a monotonic clock).
struct Snapshot {
	Report report;
	double time = 0;
};

// One device's counters as per-second rates, indexed by the schema's enum.
struct RowRates {
	std::string device;
	std::vector<double> per_second;
	double operator[](unsigned id) const { return id < per_second.size() ? per_second[id] : 0; }
};

using GapBuckets = std::array<__u64, ELIM_GAP_BUCKETS>;

struct PathFigures {
	std::string device;
	RowRates rates;        // every eliminate counter of the path
	GapBuckets gaps{};     // second copies that came this way in the interval
	__u64 gap_count = 0;
	// Copy-gap percentiles in seconds, empty when no second copy came.
	std::optional<double> p50, p90, p99;
};

struct Figures {
	double interval = 0;  // seconds between the snapshots
	std::vector<RowRates> clone, relay, dnat;
	std::vector<PathFigures> paths;
	RowRates elim_totals;
	__u64 passed = 0, lost = 0;  // in the interval, all paths
	// lost / (passed + lost) in the interval; empty when neither happened.
	std::optional<double> effective_loss;
};

// A counter's increase from before to after; a counter that went down was
// reset (its state recreated), and counts from zero, as Prometheus's rate().
__u64 counter_delta(__u64 before, __u64 after);

// The q-quantile (0..1) of a log2 copy-gap histogram, in seconds, by linear
// interpolation inside the bucket that holds it, exactly as Prometheus's
// histogram_quantile() does on dupgre_eliminate_copy_gap_seconds: bucket b
// spans [2^(b-1), 2^b) us (bucket 0 [0, 1) us); in the last, open bucket
// the answer is its lower bound. Empty for an empty histogram.
std::optional<double> gap_quantile(const GapBuckets &buckets, double q);

// Figures over [before.time, after.time]. Devices are matched by name; one
// present in only one snapshot has no rates yet.
Figures derive(const Snapshot &before, const Snapshot &after);

// Snapshots over a sliding window: add one a second, figures between the
// oldest kept (at most `window` seconds old) and the newest.
class SlidingWindow {
public:
	explicit SlidingWindow(double window_seconds) : window_(window_seconds) {}
	void add(Snapshot s);
	// Empty until two snapshots are in.
	std::optional<Figures> figures() const;
	const Snapshot *latest() const { return samples_.empty() ? nullptr : &samples_.back(); }
	size_t size() const { return samples_.size(); }

private:
	double window_;
	std::deque<Snapshot> samples_;
};

// The figures as Prometheus gauges (text exposition 0.0.4), HELP and TYPE
// once each: dupgre_derived_window_seconds,
// dupgre_eliminate_rescued_packets_per_second{device},
// dupgre_eliminate_effective_loss_ratio,
// dupgre_eliminate_copy_gap_percentile_seconds{device,percentile}.
std::string figures_prometheus(const Figures &f);

}  // namespace dupgre
