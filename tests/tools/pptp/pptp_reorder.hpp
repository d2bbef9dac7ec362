// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// The receive-side sequencing of a PPTP stack, without I/O: fed with
// (sequence number, arrival time) events and the clock, it decides what is
// delivered when, and counts what is lost, duplicated or late.
//
// Default mode follows pptp-linux (pptp_gre.c decaps_gre/dequeue_gre and
// pqueue.c):
//  * the next expected number (last delivered + 1) is delivered at once,
//    and so is every buffered packet that follows it consecutively;
//  * a packet ahead of the next expected one is buffered (sorted by
//    number; a second copy of a buffered number is a duplicate), with an
//    expiry time of arrival + timeout (pptp --timeout, default 0.3 s);
//  * whenever the head of the buffer (lowest number) has expired, the gap
//    before it is given up (counted lost) and it is delivered, then the
//    consecutive ones after it. Only the head's expiry is looked at, as in
//    pptp-linux.
//  * a packet at or behind the last delivered number is dropped: it is a
//    "duplicate" if that number was delivered, "late" if its gap had
//    already been given up (or it predates the first packet).
// nobuffer mode follows pptp --nobuffer and the kernel PPTP module
// (drivers/net/ppp/pptp.c): anything newer than the last delivered number
// is delivered at once (the gap counted lost), anything else dropped.
// any_order mode is an application behind WireGuard, whose receiver takes
// packets in any order and drops only duplicates (its replay window): every
// number is delivered the first time it arrives, however late; a gap is
// counted lost until its number comes (within the last kHistory numbers).
//
// Differences from pptp-linux, on purpose: sequence numbers are compared
// modulo 2^32 (serial number arithmetic; pptp-linux's WRAPPED() only
// catches a wrap in the last 256 numbers), and its optional
// --missing-window check (off by default) is not modelled.
#pragma once

#include <bitset>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>

namespace dupgre::tools {

struct ReorderStats {
	uint64_t received = 0;  // packets fed in (every copy)
	uint64_t delivered = 0; // handed to PPP, each number at most once
	uint64_t lost = 0;      // numbers given up (never delivered)
	uint64_t duplicate = 0; // copies of a number already delivered or buffered
	uint64_t late = 0;      // arrived after their number was given up
};

enum class Arrival { delivered, buffered, duplicate, late };

class PptpReorder {
public:
	struct Options {
		int64_t timeout_ns = 300'000'000;
		bool nobuffer = false;
		bool any_order = false;
		// The number the sender starts with. Unset, the first packet to
		// arrive is accepted whatever its number, like pptp-linux; set,
		// a loss of the very first packets is counted too.
		std::optional<uint32_t> first_seq;
	};
	// Called for every delivered packet, in delivery order.
	using Deliver = std::function<void(uint32_t seq, uint64_t cookie, int64_t now_ns)>;

	PptpReorder(const Options &options, Deliver deliver);

	// One packet arrives at now_ns; `cookie` is handed back on delivery.
	Arrival on_packet(uint32_t seq, uint64_t cookie, int64_t now_ns);

	// Gives up on expired gaps; call at next_deadline() (or any time).
	void on_timer(int64_t now_ns);

	// When the head of the buffer expires, if anything is buffered.
	std::optional<int64_t> next_deadline() const;

	// End of the run: delivers everything buffered, giving up every gap;
	// with `last_seq` (the sender's last number) also counts the numbers
	// after the last delivered one up to it as lost.
	void finish(int64_t now_ns, std::optional<uint32_t> last_seq);

	const ReorderStats &stats() const { return stats_; }
	// At or below the newest number taken: too late for any receiver.
	bool behind(uint32_t seq) const { return started_ && unwrap(seq) <= last_; }
	size_t buffered() const { return buffer_.size(); }
	// Numbers whose fate is settled: delivered or lost (any_order: a gap
	// may still fill, so only what was delivered).
	uint64_t accounted() const
	{
		return options_.any_order ? stats_.delivered : stats_.delivered + stats_.lost;
	}

private:
	struct Entry {
		uint64_t cookie;
		int64_t expires_ns;
	};

	// Sequence numbers are widened to 64 bits relative to the last
	// delivered one, so that all further arithmetic is plain.
	int64_t unwrap(uint32_t seq) const;
	void deliver(int64_t ext, uint64_t cookie, int64_t now_ns);
	void dequeue(int64_t now_ns);

	// Which of the last kHistory numbers were delivered, to tell a duplicate
	// from a late packet.
	static constexpr int64_t kHistory = 65536;

	Options options_;
	Deliver deliver_;
	bool started_ = false;
	int64_t last_ = 0; // extended number of the last delivered (or given up) packet
	int64_t first_ = 0; // extended number of the first that counts
	std::map<int64_t, Entry> buffer_;
	std::bitset<kHistory> delivered_;
	ReorderStats stats_;
};

} // namespace dupgre::tools
