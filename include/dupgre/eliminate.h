/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Shared by bpf/eliminate.bpf.c and user space: IEEE 802.1CB-style
 * sequence recovery for PPTP streams arriving over several paths.
 */
#ifndef DUPGRE_ELIMINATE_H
#define DUPGRE_ELIMINATE_H

#include <linux/bpf.h>  /* struct bpf_spin_lock */
#include <linux/types.h>

/* Streams tracked at once. Beyond that, the slot allocated longest ago is
 * reused, and its stream starts over (as after a reset).
 */
#define ELIM_MAX_STREAMS 4096
/* Interfaces one receiver eliminates across (the WAN, the secondary link...). */
#define ELIM_MAX_PATHS 4
/* Sequence history: the largest window. */
#define ELIM_HISTORY 64
/* Arrival gap between a packet's copies: log2 buckets of microseconds,
 * bucket b holds gaps in [2^(b-1), 2^b) us (bucket 0: < 1 us), the last one
 * everything longer.
 */
#define ELIM_GAP_BUCKETS 24

/* A PPTP stream: the sender's address and its call ID. */
struct elim_stream_key {
	__u32 saddr;		/* network byte order */
	__u16 call_id;		/* host byte order */
	__u16 pad;
};

/* Counters, per stream and per path; named after 802.1CB's
 * frerCpsSeqRcvy* where one exists.
 */
enum elim_counter {
	ELIM_PASSED,		/* PassedPackets: first copy of a number, handed on */
	ELIM_DISCARDED,		/* DiscardedPackets: a copy of a number already passed */
	ELIM_OUT_OF_ORDER,	/* OutOfOrderPackets: passed, but not last + 1 */
	ELIM_ROGUE,		/* RoguePackets: outside the window. Older: a stale copy,
				 * dropped in drop mode. Newer: passed, and the stream
				 * starts over from it (counted in PASSED too). */
	ELIM_LOST,		/* LostPackets: left the window never seen on any path */
	ELIM_TAGLESS,		/* TaglessPackets: no sequence number; passed */
	ELIM_RESETS,		/* Resets: idle longer than the reset time, next number taken */
	ELIM_FIRST,		/* per path: passed packets whose first copy came this way */
	ELIM_RESCUED,		/* per path: passed this way, no other path's copy in the window */
	ELIM_COUNTER_MAX,
};
/* Row of the per-CPU "stats" array for all paths together (LOST and
 * RESETS belong to no path).
 */
#define ELIM_TOTAL_ROW ELIM_MAX_PATHS

/* One stream's recovery state, in the "streams" array. The lock serialises
 * the two copies of a packet arriving on two CPUs at the same time.
 */
struct elim_slot {
	struct bpf_spin_lock lock;
	struct elim_stream_key owner;	/* the stream using the slot */
	__u32 recov_seq;		/* RecovSeqNum: highest number passed */
	__u8 take_any;			/* TakeAnyFlag */
	__u8 pad[3];
	__u64 last_ns;			/* last packet, for the reset timer */
	__u64 history;			/* bit i: recov_seq - i was passed */
	__u64 valid;			/* bit i: recov_seq - i belongs to this run of the stream */
	__u64 seen[ELIM_MAX_PATHS];	/* bit i: a copy of recov_seq - i came via path p */
	__u32 first_us[ELIM_HISTORY];	/* arrival of the first copy, by number % ELIM_HISTORY */
	__u64 counters[ELIM_COUNTER_MAX];
};

/* User space's record of a path, in the "paths" array. */
struct elim_path {
	char name[16];
	__u32 ifindex;
	__u32 prog_id;
	__u32 window;
	__u32 reset_ms;
	__u8 used;
	__u8 drop;		/* drop mode: duplicates discarded before the stack */
	__u8 l3_device;
	__u8 pad;
};

#endif /* DUPGRE_ELIMINATE_H */
