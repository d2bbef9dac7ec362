// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// One direction of the emulated link, without any I/O: it decides the fate
// of each packet (loss, duplication, reordering) and when each surviving
// copy is due at the far end. The event loop feeds it packets and the clock.
//
// Model of a packet arriving at time t (all times CLOCK_MONOTONIC ns):
//  1. loss:      lost with the loss model's probability -> lost_packets
//  2. dup:       a survivor is copied with probability dup -> duplicated;
//                each copy then goes through steps 3-5 on its own
//  3. reorder:   with probability reorder the copy is due at t, skipping
//                delay and rate (netem's "reorder") -> reordered
//  4. rate:      a FIFO serializer: transmission starts when the previous
//                one ends, takes bytes*8/rate; at most `limit` packets may
//                wait for it, more are dropped -> queue_drops
//  5. delay:     due = end of transmission + delay + uniform(-jitter, +jitter),
//                but never before the previous copy's due time, so jitter
//                does not reorder (the rate queue is FIFO as well).
//
// Unlike netem, `limit` bounds only the packets waiting for the serializer,
// not those "in flight" in the propagation delay: a WAN path with 500 ms of
// delay does not drop packets just because many are in flight.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <random>
#include <utility>
#include <vector>

#include "link_spec.hpp"
#include "loss_model.hpp"
#include "schedule.hpp"

namespace dupgre::tools {

using Packet = std::vector<uint8_t>;

struct DirectionCounters {
	uint64_t rx_packets = 0;        // read from the sending side
	uint64_t rx_bytes = 0;
	uint64_t delivered_packets = 0; // written to the receiving side
	uint64_t delivered_bytes = 0;
	uint64_t lost_packets = 0;      // random loss (loss= or ge=)
	uint64_t queue_drops = 0;       // serializer queue (limit=) overflow
	uint64_t reordered = 0;         // copies that skipped delay and rate
	uint64_t duplicated = 0;        // extra copies made by dup=
	uint64_t tx_errors = 0;         // writes to the receiving side that failed
};

class LinkDirection {
public:
	// `direction` (0 = a2b, 1 = b2a) selects independent random streams.
	LinkDirection(uint64_t seed, unsigned direction, const LinkSpec &spec);

	// Replaces the configuration and ends any schedule (an operator's
	// `set` takes over). Queued packets keep their due times and the random
	// streams continue (a Gilbert-Elliott chain restarts in the good
	// state); new packets may overtake queued ones if the delay shrinks, as
	// they would after a route change.
	void set_spec(const LinkSpec &spec);
	const LinkSpec &spec() const { return spec_; }

	// Follows `schedule` from start_ns on: the phase due at start_ns now,
	// the others as advance() or submit() reach their start times. Each
	// phase is applied as set_spec does, except that the random streams
	// start afresh from (seed, direction, phase number): the fate of the
	// i-th packet of phase k does not depend on what came before phase k.
	void set_schedule(Schedule schedule, int64_t start_ns);
	// Applies the phase due at now_ns, if it is not the current one. The
	// event loop calls it on its timer (next_change()); submit() calls it
	// too, so a packet always meets the phase of its arrival time.
	void advance(int64_t now_ns);
	// When the next phase starts, if a schedule runs and a change is ahead.
	std::optional<int64_t> next_change() const;
	const std::optional<Schedule> &active_schedule() const { return schedule_; }
	const Schedule::Position &position() const { return position_; }

	// Decides the fate of a packet that arrived at now_ns.
	void submit(Packet packet, int64_t now_ns);

	// Due time of the next packet to deliver, if any is queued.
	std::optional<int64_t> next_due() const;

	// Removes and returns the next packet if it is due at now_ns.
	std::optional<Packet> pop_due(int64_t now_ns);

	size_t queued() const { return queue_.size(); }

	DirectionCounters counters;

private:
	// Due time of a copy of `bytes` bytes that takes the normal path.
	// Returns nullopt if the serializer queue is full.
	std::optional<int64_t> schedule(size_t bytes, int64_t now_ns);
	void enqueue(Packet packet, int64_t now_ns);
	// Restarts every random stream at `phase` of this seed and direction.
	void reseed(uint64_t phase);
	// Makes the schedule's phase at `position` the current SPEC.
	void enter(const Schedule::Position &position);

	// A cap on everything queued, to bound memory whatever the spec says.
	static constexpr size_t kMaxQueued = 200'000;

	uint64_t seed_;
	unsigned direction_;
	LinkSpec spec_;
	LossModel loss_model_;
	std::optional<Schedule> schedule_;
	int64_t schedule_start_ns_ = 0;
	Schedule::Position position_;     // of the phase applied last
	std::mt19937_64 loss_rng_, dup_rng_, reorder_rng_, jitter_rng_;

	// Ordered by (due time, arrival order): equal due times stay FIFO.
	std::map<std::pair<int64_t, uint64_t>, Packet> queue_;
	uint64_t order_ = 0;

	int64_t serializer_free_ns_ = 0;     // when the last transmission ends
	std::deque<int64_t> serializer_ends_; // end times of transmissions not yet over
	int64_t last_due_ns_ = 0;            // due time of the last normal copy
};

} // namespace dupgre::tools
