/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Shared by bpf/eliminate.bpf.c and user space: IEEE 802.1CB-style
 * sequence recovery for PPTP and WireGuard streams arriving over several
 * paths.
 */
#ifndef DUPGRE_ELIMINATE_H
#define DUPGRE_ELIMINATE_H

#include <linux/bpf.h>  /* struct bpf_spin_lock */
#include <linux/types.h>

#include "dupgre/layout.h"
#include "dupgre/tunnel.h"

/* Streams tracked at once. A new stream takes a slot whose stream has been
 * idle past the reset time (or never used); when every slot it tries is
 * live, the new stream is not tracked (stream_table_full): its packets pass
 * as without dupgre, and no live call loses its slot.
 */
#define ELIM_MAX_STREAMS 4096
/* Slots a new stream tries, from the allocation cursor on. */
#define ELIM_CLAIM_PROBES 8
/* Interfaces one receiver eliminates across (the WAN, the secondary link...). */
#define ELIM_MAX_PATHS 4
/* Sequence history: the largest window. */
#define ELIM_HISTORY 64
/* Arrival gap between a packet's copies: log2 buckets of microseconds,
 * bucket b holds gaps in [2^(b-1), 2^b) us (bucket 0: < 1 us), the last one
 * everything longer.
 */
#define ELIM_GAP_BUCKETS 24

/* A stream: the sender's address and the tunnel's identifier, the PPTP
 * call ID or the WireGuard receiver index. The address is 16 bytes, an
 * IPv4 one IPv4-mapped (::ffff:a.b.c.d).
 */
struct elim_stream_key {
	__be32 saddr[4];	/* network byte order */
	__u32 id;		/* host byte order: call ID (16 bits) or receiver index */
};
DUPGRE_ASSERT_SIZE(struct elim_stream_key, 20);
DUPGRE_ASSERT_OFFSET(struct elim_stream_key, id, 16);

/* Counters (see layout.h), named after 802.1CB's frerCpsSeqRcvy* where
 * one exists. Per stream (in its slot, the first ELIM_STREAM_COUNTERS) and
 * per path, in the per-CPU "stats" array: a row per path, and row
 * ELIM_TOTAL_ROW for all paths together (LOST, RESETS and COPY_RESCUED
 * belong to no path).
 */
#define ELIM_COUNTERS(X) \
	X(ELIM_PASSED, passed, packets, "PassedPackets: first copy of a number, handed on") \
	X(ELIM_DISCARDED, discarded, packets, \
	  "DiscardedPackets: a copy of a number already passed (WireGuard: or of a handshake message)") \
	X(ELIM_OUT_OF_ORDER, out_of_order, out_of_order_packets, \
	  "OutOfOrderPackets: passed, but not last + 1") \
	X(ELIM_ROGUE, rogue, packets, \
	  "RoguePackets: outside the window. Older: a stale copy, dropped in drop mode (PPTP; WireGuard judges its own). " \
	  "Newer: passed, and the stream starts over from it (counted in passed too)") \
	X(ELIM_LOST, lost, lost_packets, "LostPackets: left the window never seen on any path") \
	X(ELIM_TAGLESS, tagless, packets, \
	  "TaglessPackets: no sequence number (GRE without S, WireGuard handshakes); passed") \
	X(ELIM_RESETS, resets, resets, "Resets: idle longer than the reset time, next number taken") \
	X(ELIM_COPY_RESCUED, copy_rescued, copy_rescued_packets, \
	  "numbers only a path after the first delivered: the first (path A) lost them, a copy saved them") \
	X(ELIM_FIRST, first, first_packets, "per path: passed packets whose first copy came this way") \
	X(ELIM_RESCUED, rescued, rescued_packets, \
	  "per path: passed this way, no other path's copy in the window") \
	X(ELIM_LATE, late, order_packets, \
	  "order mode: came after the receiver took a later number (the gap was skipped): dropped") \
	X(ELIM_TO_HOLDER, to_holder, order_packets, \
	  "order mode: a gap before it, or packets held: handed to the holder") \
	X(ELIM_TABLE_FULL, stream_table_full, untracked_packets, \
	  "a new stream found no slot idle past the reset time: passed untracked") \
	X(ELIM_FOREIGN_MARK, foreign_mark, untracked_packets, \
	  "order mode: the packet carried another tool's mark: passed unordered, its mark kept") \
	X(ELIM_HOLDER_GONE, holder_gone, takebacks, \
	  "order mode: streams taken back from a holder whose heartbeat stopped")

#define ELIM_FAMILIES(F) \
	F(packets, "result", device, \
	  "Tunnel data packets (PPTP GRE, WireGuard) arriving by a path, by what sequence recovery did: passed (first copy), " \
	  "discarded (duplicate), rogue (outside the window, passed), tagless (no sequence number).") \
	F(out_of_order_packets, "", device, "Passed packets whose number was not the last passed + 1.") \
	F(first_packets, "", device, "Passed packets whose first copy came by this path.") \
	F(rescued_packets, "", device, \
	  "Packets only this path delivered within the window: the other path lost them or was later.") \
	F(lost_packets, "", total, "Sequence numbers that left the window never seen on any path.") \
	F(resets, "", total, "Streams idle longer than the reset time.") \
	F(copy_rescued_packets, "", total, \
	  "Sequence numbers only a path after the first delivered: path A lost them and a copy saved them " \
	  "(per stream too: what the adaptive copy policy's reports carry).") \
	F(order_packets, "result", device, \
	  "Order mode: packets handed to the holder, and packets that came after a later number was " \
	  "delivered (dropped).") \
	F(untracked_packets, "reason", total, \
	  "Tunnel data packets passed without sequence recovery or ordering, by why: no free stream slot, " \
	  "or another tool's mark.") \
	F(takebacks, "", total, "Order mode: streams the program took back from a holder that stopped beating.")

enum elim_counter {
	ELIM_COUNTERS(DUPGRE_COUNTER_ENUM)
	ELIM_COUNTER_MAX,
};
/* A stream's own counters: those up to the per-path ones. */
#define ELIM_STREAM_COUNTERS ELIM_FIRST
/* Packets ahead of the window move the stream there only when this many
 * come in a row, each within the window of the one before, and no packet
 * came in the window for ELIM_JUMP_QUIET_NS: while the stream's own
 * traffic flows, no run of forged packets moves it, however long. A
 * genuine jump (both paths out for longer than the window) resumes within
 * that time; a stream idle that long takes a jump as the kernel's receiver
 * alone would.
 */
#define ELIM_JUMP_CONFIRM 3
#define ELIM_JUMP_QUIET_NS 200000000ull

/* Whether a stream is duplicated now, for the order stage: a gap is worth
 * waiting for only while copies come. copy_share is a moving average, out
 * of 255, of copies per new number: each new number passed takes 1/8 of it
 * away, each copy (a duplicate, or a stale copy by another path) adds 1/8
 * of what is left to 255. A copy of every number holds it near 127, one
 * in 16 (a sender's adaptive policy, sampling) near 15: it reaches 255 * f /
 * (1 + f) for a share f of numbers copied. Gaps are held from
 * ELIM_COPY_SHARE_HOLD (f of a third) up: three copies in a row from
 * nothing, and six numbers without one from full copying, switch it.
 */
#define ELIM_COPY_SHARE_HOLD 64
#define ELIM_COPY_SHARE_SHIFT 3

/* WireGuard handshake messages (initiation, response) by their sender:
 * the source address, the sender index (the message's second word) and
 * the type. A message with the same key within ELIM_WG_HANDSHAKE_COPY_NS
 * is the other path's copy of it: WireGuard would refuse it as a replay,
 * but checks that under a read lock, so two copies handled at once on two
 * CPUs both pass and each makes its own keys, and the initiator's next
 * data is decrypted with the wrong ones until the next handshake. Counted
 * as discarded; dropped in drop mode. A retry has a new sender index.
 */
struct elim_wg_handshake_key {
	__be32 saddr[4];
	__u32 sender;		/* little-endian on the wire, taken as is */
	__u32 type;
};
DUPGRE_ASSERT_SIZE(struct elim_wg_handshake_key, 24);
#define ELIM_WG_HANDSHAKES 4096
#define ELIM_WG_HANDSHAKE_COPY_NS 2000000000ull

struct elim_counters {
	__u64 c[ELIM_COUNTER_MAX];
};
#define ELIM_TOTAL_ROW ELIM_MAX_PATHS

/* The copy gap histogram of a path, a row of the per-CPU "gaps" array. */
struct elim_gaps {
	__u64 bucket[ELIM_GAP_BUCKETS];
	__u64 sum_us;		/* sum of the gaps counted, in microseconds */
};
#define ELIM_GAP_ROW_LEN (ELIM_GAP_BUCKETS + 1)

/* One stream's recovery state, in the "streams" array. The lock serialises
 * the two copies of a packet arriving on two CPUs at the same time. The
 * slot is claimed under its lock (stream_slot() in eliminate.bpf.c), which
 * resets every field but the lock and bumps gen: nothing of the owner
 * before survives, the order state and the holder's hand-back included.
 */
struct elim_slot {
	struct bpf_spin_lock lock;
	struct elim_stream_key owner;	/* the stream using the slot */
	__u32 recov_seq;		/* RecovSeqNum: highest number passed */
	__u8 take_any;			/* TakeAnyFlag */
	__u8 copy_share;		/* how many of its numbers come twice, lately (ELIM_COPY_SHARE_HOLD) */
	__u8 next_valid;		/* next was set in order mode (the stream may predate it) */
	__u8 pad;
	__u64 last_ns;			/* last packet in the window: the reset and jump timers */
	__u64 history;			/* bit i: recov_seq - i was passed */
	__u64 valid;			/* bit i: recov_seq - i belongs to this run of the stream */
	__u64 seen[ELIM_MAX_PATHS];	/* bit i: a copy of recov_seq - i came via path p */
	__u32 first_us[ELIM_HISTORY];	/* arrival of the first copy, by number % ELIM_HISTORY */
	__u32 jump_seq;			/* the last packet outside the window */
	__u32 jump_count;		/* how many came in a row, each near the one before */
	/* Order mode (see struct elim_order_ack): */
	__u32 next;			/* the number the receiver takes next, while nothing is held */
	__u32 queued;			/* index of the last packet handed to the holder */
	__u32 synced;			/* the holder's "received" when it last handed back */
	__u32 gen;			/* owners the slot has had: a hand-back names the one it is for */
	__u32 holder;			/* the epoch of the holder the stream was handed to */
	__u32 pad2;
	__u64 counters[ELIM_STREAM_COUNTERS];
};
DUPGRE_ASSERT_OFFSET(struct elim_slot, owner, 4);
DUPGRE_ASSERT_OFFSET(struct elim_slot, recov_seq, 24);
DUPGRE_ASSERT_OFFSET(struct elim_slot, last_ns, 32);
DUPGRE_ASSERT_OFFSET(struct elim_slot, seen, 56);
DUPGRE_ASSERT_OFFSET(struct elim_slot, jump_seq, 344);
DUPGRE_ASSERT_OFFSET(struct elim_slot, next, 352);
DUPGRE_ASSERT_OFFSET(struct elim_slot, gen, 364);
DUPGRE_ASSERT_OFFSET(struct elim_slot, holder, 368);
DUPGRE_ASSERT_OFFSET(struct elim_slot, counters, 376);
DUPGRE_ASSERT_SIZE(struct elim_slot, 376 + 8 * ELIM_STREAM_COUNTERS);
DUPGRE_ASSERT(ELIM_STREAM_COUNTERS == 8, "a stream's counters: PASSED to COPY_RESCUED");

/* Order mode. A receiver like the kernel's PPTP (drivers/net/ppp/pptp.c)
 * drops every packet numbered at or below the newest it took, so a copy
 * that fills a gap must reach it before anything after the gap. While a
 * stream has no gap, its packets pass in order at no cost. A packet after a
 * gap is marked (skb->mark = ELIM_ORDER_MARK | index) and a netfilter rule
 * (prerouting at raw priority, NFQUEUE ELIM_ORDER_QUEUE with bypass) hands it to the
 * holder, `dupgre-ctl hold`, which keeps it in the kernel and gives the
 * verdicts in sequence order: at once when the gap fills, or when the wait
 * has passed. Every later packet of the stream goes the same way until the
 * holder has received every packet handed to it (index) and holds nothing:
 * it then writes this record, and the program takes the stream back with
 * the holder's frontier. The holder beats (hold_info.heartbeat_ns, the
 * clock bpf_ktime_get_ns reads) ten times a second: when the beat is older
 * than HOLD_STALE_NS, or the holder says it is draining, no new gap is
 * handed over; with no beat for HOLD_GONE_NS (or a beat of 0), or another
 * run of the holder beating (a restart), the program takes the streams it
 * had handed over back at once, from what recovery passed (a dead holder's
 * queue is gone with its socket).
 * Without a holder, the rule's bypass lets marked packets through
 * unordered, as without dupgre. A packet that already carries a mark
 * (another tool's) is never ordered: its mark is kept.
 */
#define ELIM_ORDER_MARK 0xd06e0000u
#define ELIM_ORDER_MARK_MASK 0xffff0000u
#define ELIM_ORDER_QUEUE 13

/* The holder's hand-back of a stream, in the "order_ack" array at the
 * stream's slot index. Written by user space with BPF_F_LOCK; the program
 * reads it only while gen is the slot's, so a record left for the slot's
 * previous owner says nothing about the new one.
 */
struct elim_order_ack {
	struct bpf_spin_lock lock;
	__u32 received;		/* index of the last packet the holder received */
	__u32 next;		/* the number the receiver takes next: the holder's frontier */
	__u32 written;		/* the holder wrote this record (an empty one says nothing) */
	__u32 gen;		/* the slot's gen when the holder took the stream */
};
DUPGRE_ASSERT_SIZE(struct elim_order_ack, 20);

/* User space's record of a path, in the "paths" array. */
struct elim_path {
	char name[16];
	__u32 ifindex;
	__u32 prog_id;
	__u32 window;
	__u32 reset_ms;
	__u8 used;
	__u8 drop;		/* drop (and order) mode: duplicates discarded before the stack */
	__u8 l3_device;
	__u8 order;		/* order mode: packets after a gap go to the holder */
	__u32 wait_ms;		/* order mode: how long a gap is waited for; 0: auto */
	__u8 tunnel;		/* enum dupgre_tunnel */
	__u8 pad;
	__u16 port;		/* WireGuard: the server's port, host byte order */
};
DUPGRE_ASSERT_SIZE(struct elim_path, 44);
DUPGRE_ASSERT_OFFSET(struct elim_path, port, 42);

#endif /* DUPGRE_ELIMINATE_H */
