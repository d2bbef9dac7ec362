// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "observe/rates.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace dupgre {

__u64 counter_delta(__u64 before, __u64 after)
{
	return after >= before ? after - before : after;
}

std::optional<double> gap_quantile(const GapBuckets &buckets, double q)
{
	__u64 total = 0;
	for (__u64 b : buckets)
		total += b;
	if (total == 0 || std::isnan(q))
		return std::nullopt;
	q = std::clamp(q, 0.0, 1.0);
	double rank = q * static_cast<double>(total);
	__u64 below = 0;
	for (unsigned b = 0; b < ELIM_GAP_BUCKETS; b++) {
		double lower = b == 0 ? 0 : static_cast<double>(1ull << (b - 1)) / 1e6;
		if (b + 1 == ELIM_GAP_BUCKETS)
			return lower;  // the open bucket: its lower bound
		double upper = static_cast<double>(1ull << b) / 1e6;
		if (buckets[b] > 0 && static_cast<double>(below + buckets[b]) >= rank)
			return lower + (upper - lower) * (rank - static_cast<double>(below)) /
					       static_cast<double>(buckets[b]);
		below += buckets[b];
	}
	return std::nullopt;  // not reached
}

namespace {

template <size_t N>
RowRates row_rates(const std::string &device, const std::array<__u64, N> &before,
		   const std::array<__u64, N> &after, double interval)
{
	RowRates r{device, std::vector<double>(N)};
	for (size_t i = 0; i < N; i++)
		r.per_second[i] = interval > 0 ? static_cast<double>(counter_delta(before[i], after[i])) / interval : 0;
	return r;
}

// Rates of every item present in both snapshots, in after's order.
template <typename Items, typename Name, typename Values>
std::vector<RowRates> rates_of(const Items &before, const Items &after, double interval, Name name,
			       Values values)
{
	std::vector<RowRates> out;
	for (const auto &a : after)
		for (const auto &b : before)
			if (name(a) == name(b)) {
				out.push_back(row_rates(name(a), values(b), values(a), interval));
				break;
			}
	return out;
}

}  // namespace

Figures derive(const Snapshot &before, const Snapshot &after)
{
	Figures f;
	f.interval = after.time - before.time;
	const Report &b = before.report, &a = after.report;
	f.clone = rates_of(b.clone, a.clone, f.interval, [](const CloneReport &r) { return r.status.device; },
			   [](const CloneReport &r) { return r.counters; });
	f.relay = rates_of(b.relay, a.relay, f.interval, [](const RelayLink &l) { return l.name; },
			   [](const RelayLink &l) { return l.counters; });
	f.dnat = rates_of(b.dnat, a.dnat, f.interval, [](const DnatStatus &d) { return d.device; },
			  [](const DnatStatus &d) { return d.counters; });
	for (const ElimPath &pa : a.eliminate)
		for (const ElimPath &pb : b.eliminate) {
			if (pa.name != pb.name)
				continue;
			PathFigures p;
			p.device = pa.name;
			p.rates = row_rates(pa.name, pb.counters, pa.counters, f.interval);
			for (unsigned i = 0; i < ELIM_GAP_BUCKETS; i++) {
				p.gaps[i] = counter_delta(pb.gaps[i], pa.gaps[i]);
				p.gap_count += p.gaps[i];
			}
			p.p50 = gap_quantile(p.gaps, 0.5);
			p.p90 = gap_quantile(p.gaps, 0.9);
			p.p99 = gap_quantile(p.gaps, 0.99);
			f.paths.push_back(std::move(p));
			break;
		}
	f.elim_totals = row_rates("", b.elim_totals, a.elim_totals, f.interval);
	f.passed = counter_delta(b.elim_totals[ELIM_PASSED], a.elim_totals[ELIM_PASSED]);
	f.lost = counter_delta(b.elim_totals[ELIM_LOST], a.elim_totals[ELIM_LOST]);
	if (!a.eliminate.empty() && f.passed + f.lost > 0)
		f.effective_loss = static_cast<double>(f.lost) / static_cast<double>(f.passed + f.lost);
	return f;
}

void SlidingWindow::add(Snapshot s)
{
	samples_.push_back(std::move(s));
	double newest = samples_.back().time;
	// Keep the newest snapshot that is at least window_ old as the base.
	while (samples_.size() > 2 && newest - samples_[1].time >= window_)
		samples_.pop_front();
}

std::optional<Figures> SlidingWindow::figures() const
{
	if (samples_.size() < 2)
		return std::nullopt;
	return derive(samples_.front(), samples_.back());
}

namespace {

std::string label_escape(const std::string &v)
{
	std::string out;
	for (char c : v) {
		if (c == '\n') {
			out += "\\n";
			continue;
		}
		if (c == '\\' || c == '"')
			out += '\\';
		out += c;
	}
	return out;
}

void gauge_head(std::ostringstream &o, const char *name, const char *help)
{
	o << "# HELP " << name << " " << help << "\n# TYPE " << name << " gauge\n";
}

}  // namespace

std::string figures_prometheus(const Figures &f)
{
	std::ostringstream o;
	o.precision(9);
	gauge_head(o, "dupgre_derived_window_seconds",
		   "Seconds between the two samples the other derived gauges compare (the sliding window).");
	o << "dupgre_derived_window_seconds " << f.interval << "\n";
	gauge_head(o, "dupgre_eliminate_rescued_packets_per_second",
		   "Packets per second only this path delivered within the window, over the sliding window.");
	for (const PathFigures &p : f.paths)
		o << "dupgre_eliminate_rescued_packets_per_second{device=\"" << label_escape(p.device) << "\"} "
		  << p.rates[ELIM_RESCUED] << "\n";
	gauge_head(o, "dupgre_eliminate_effective_loss_ratio",
		   "Packets lost on every path over packets passed or lost, over the sliding window "
		   "(absent while none passed).");
	if (f.effective_loss)
		o << "dupgre_eliminate_effective_loss_ratio " << *f.effective_loss << "\n";
	gauge_head(o, "dupgre_eliminate_copy_gap_percentile_seconds",
		   "Percentiles of how much later the second copy came by this path, interpolated in the "
		   "log2 histogram as histogram_quantile() does, over the sliding window.");
	for (const PathFigures &p : f.paths) {
		std::pair<const char *, const std::optional<double> *> ps[] = {
			{"50", &p.p50}, {"90", &p.p90}, {"99", &p.p99}};
		for (const auto &[pct, value] : ps)
			if (*value)
				o << "dupgre_eliminate_copy_gap_percentile_seconds{device=\"" << label_escape(p.device)
				  << "\",percentile=\"" << pct << "\"} " << **value << "\n";
	}
	return o.str();
}

}  // namespace dupgre
