// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "link_direction.hpp"

#include <algorithm>
#include <cmath>

namespace dupgre::tools {
namespace {

// Purposes of the random streams of one direction (see make_stream).
enum Stream : unsigned { kLossStream, kDupStream, kReorderStream, kJitterStream };

} // namespace

LinkDirection::LinkDirection(uint64_t seed, unsigned direction, const LinkSpec &spec)
	: seed_(seed), direction_(direction), spec_(spec), loss_model_(spec)
{
	reseed(0);
}

void LinkDirection::reseed(uint64_t phase)
{
	loss_rng_ = make_stream(seed_, direction_, kLossStream, phase);
	dup_rng_ = make_stream(seed_, direction_, kDupStream, phase);
	reorder_rng_ = make_stream(seed_, direction_, kReorderStream, phase);
	jitter_rng_ = make_stream(seed_, direction_, kJitterStream, phase);
}

void LinkDirection::set_spec(const LinkSpec &spec)
{
	schedule_.reset();
	position_ = Schedule::Position{};
	spec_ = spec;
	loss_model_ = LossModel(spec);
	last_due_ns_ = 0;
}

void LinkDirection::set_schedule(Schedule schedule, int64_t start_ns)
{
	schedule_ = std::move(schedule);
	schedule_start_ns_ = start_ns;
	enter(schedule_->at(0));
}

void LinkDirection::advance(int64_t now_ns)
{
	if (!schedule_ || !position_.next_ns ||
	    now_ns - schedule_start_ns_ < *position_.next_ns)
		return;
	// Phases the loop slept through are skipped but keep their numbers:
	// the numbering (and so the streams) follows the clock only.
	enter(schedule_->at(now_ns - schedule_start_ns_));
}

void LinkDirection::enter(const Schedule::Position &position)
{
	position_ = position;
	spec_ = schedule_->steps[position.step].spec;
	loss_model_ = LossModel(spec_);
	last_due_ns_ = 0;
	reseed(position.phase);
}

std::optional<int64_t> LinkDirection::next_change() const
{
	if (!schedule_ || !position_.next_ns)
		return std::nullopt;
	return schedule_start_ns_ + *position_.next_ns;
}

void LinkDirection::submit(Packet packet, int64_t now_ns)
{
	advance(now_ns);
	counters.rx_packets++;
	counters.rx_bytes += packet.size();

	if (loss_model_.lose(loss_rng_)) {
		counters.lost_packets++;
		return;
	}
	if (unit_draw(dup_rng_) < spec_.dup) {
		counters.duplicated++;
		enqueue(packet, now_ns); // the copy; the original follows
	}
	enqueue(std::move(packet), now_ns);
}

void LinkDirection::enqueue(Packet packet, int64_t now_ns)
{
	if (queue_.size() >= kMaxQueued) {
		counters.queue_drops++;
		return;
	}
	int64_t due;
	if (unit_draw(reorder_rng_) < spec_.reorder) {
		counters.reordered++;
		due = now_ns;
	} else {
		std::optional<int64_t> when = schedule(packet.size(), now_ns);
		if (!when) {
			counters.queue_drops++;
			return;
		}
		due = *when;
	}
	queue_.emplace(std::make_pair(due, order_++), std::move(packet));
}

std::optional<int64_t> LinkDirection::schedule(size_t bytes, int64_t now_ns)
{
	int64_t sent_ns = now_ns; // when the last bit is on the wire
	if (spec_.rate_bps > 0) {
		while (!serializer_ends_.empty() && serializer_ends_.front() <= now_ns)
			serializer_ends_.pop_front();
		if (serializer_ends_.size() >= spec_.limit)
			return std::nullopt;
		int64_t start = std::max(now_ns, serializer_free_ns_);
		auto tx_ns = int64_t(std::llround(double(bytes) * 8e9 / double(spec_.rate_bps)));
		serializer_free_ns_ = start + tx_ns;
		serializer_ends_.push_back(serializer_free_ns_);
		sent_ns = serializer_free_ns_;
	}

	// Always one jitter draw per scheduled copy, so the stream position
	// does not depend on whether jitter is configured.
	double u = unit_draw(jitter_rng_) * 2 - 1; // [-1, 1)
	int64_t delay = spec_.delay_ns + int64_t(std::llround(u * double(spec_.jitter_ns)));
	int64_t due = sent_ns + std::max<int64_t>(delay, 0);

	due = std::max(due, last_due_ns_); // jitter never reorders
	last_due_ns_ = due;
	return due;
}

std::optional<int64_t> LinkDirection::next_due() const
{
	if (queue_.empty())
		return std::nullopt;
	return queue_.begin()->first.first;
}

std::optional<Packet> LinkDirection::pop_due(int64_t now_ns)
{
	if (queue_.empty() || queue_.begin()->first.first > now_ns)
		return std::nullopt;
	// extract() hands over the node, so the packet moves out without a copy.
	auto node = queue_.extract(queue_.begin());
	return std::move(node.mapped());
}

} // namespace dupgre::tools
