/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Shared by the holder (`dupgre-ctl hold`, the order stage's user-space
 * half) and everything that reads its counters. The maps are declared by
 * bpf/eliminate.bpf.c, so they are pinned with the rest of eliminate's
 * state; only the holder writes them.
 */
#ifndef DUPGRE_HOLD_H
#define DUPGRE_HOLD_H

#include <linux/types.h>

#include "dupgre/layout.h"

/* The holder's counters (see layout.h), in the per-CPU "hold_stats" array:
 * one row, key 0 (the holder is one thread: it writes CPU 0's copy).
 */
#define HOLD_COUNTERS(X) \
	X(HOLD_RECEIVED, received, received_packets, "packets the holder received from the queue") \
	X(HOLD_PASSED, passed, packets, "released at once: the next number, nothing held before it") \
	X(HOLD_HELD, held, packets, "held: a gap before it") \
	X(HOLD_RELEASED_IN_ORDER, released_in_order, packets, "held, released in order when the gap filled") \
	X(HOLD_RELEASED_BY_WAIT, released_by_wait, packets, "held, released when the wait for a gap ran out") \
	X(HOLD_DISCARDED, discarded, packets, "a duplicate, or a number already delivered or skipped: dropped") \
	X(HOLD_ROGUE, rogue, packets, "far ahead of the stream and not confirmed by the next ones: dropped") \
	X(HOLD_GAPS_SKIPPED, gaps_skipped, gaps, "gaps the wait ran out on") \
	X(HOLD_NUMBERS_SKIPPED, numbers_skipped, skipped_numbers, "numbers in those gaps, lost") \
	X(HOLD_OVERFLOW, overflow, overflows, "a stream or the holder held the most it may: the gap was skipped early") \
	X(HOLD_HANDBACKS, handbacks, handbacks, "streams handed back to the program: nothing held, nothing in flight") \
	X(HOLD_WAIT_GAVE_UP, wait_gave_up, wait_give_ups, \
	  "the auto wait gave up: most copies came after the longest wait would have skipped their gap") \
	X(HOLD_VERDICT_ERRORS, verdict_errors, verdict_errors, \
	  "verdict batches the kernel refused: their packets wait until the holder stops") \
	X(HOLD_RULE_RESTORED, rule_restored, rule_restores, \
	  "the order stage's NFQUEUE rule was gone (a firewall flush): put back")

#define HOLD_FAMILIES(F) \
	F(received_packets, "", total, "Packets the holder received from the kernel's queue.") \
	F(packets, "result", total, \
	  "Packets the holder gave a verdict on, by what it did: passed at once, held, released in " \
	  "order, released by the wait, discarded, rogue.") \
	F(gaps, "", total, "Gaps the holder stopped waiting for.") \
	F(skipped_numbers, "", total, "Sequence numbers in the gaps skipped: lost.") \
	F(overflows, "", total, "Times the holder reached a limit and skipped a gap early.") \
	F(handbacks, "", total, "Streams the holder handed back to the fast path.") \
	F(wait_give_ups, "", total, \
	  "Times the auto wait stopped waiting for copies that came too late to help (it resumes when they come in time).") \
	F(verdict_errors, "", total, "Verdict batches the kernel refused.") \
	F(rule_restores, "", total, \
	  "Times the holder put the order stage's NFQUEUE rule back after a firewall flush removed it.")

enum hold_counter {
	HOLD_COUNTERS(DUPGRE_COUNTER_ENUM)
	HOLD_COUNTER_MAX,
};

struct hold_counters {
	__u64 c[HOLD_COUNTER_MAX];
};

/* How long held packets were held: log2 buckets of microseconds, as the
 * copy gap histogram (bucket b: [2^(b-1), 2^b) us), in the per-CPU
 * "hold_times" array, key 0.
 */
#define HOLD_TIME_BUCKETS 24
struct hold_times {
	__u64 bucket[HOLD_TIME_BUCKETS];
	__u64 sum_us;
};
#define HOLD_TIME_ROW_LEN (HOLD_TIME_BUCKETS + 1)

/* The holder's state now, in the "hold_info" array, key 0. The program
 * reads heartbeat_ns and draining for every packet it might hand over.
 */
struct hold_info {
	__u64 heartbeat_ns;	/* CLOCK_MONOTONIC of the holder's last loop; 0: never ran, or stopped */
	__u32 pid;
	__u32 wait_us;		/* the wait for a gap in use */
	__u32 held;		/* packets held now */
	__u32 streams;		/* streams with packets held now */
	__u32 draining;		/* stopping: hand over no new gap, only what the holder has */
	__u32 epoch;		/* this run of the holder (random, not 0): what an earlier run had is not its */
	__u32 gave_up;		/* auto wait: copies mostly come after the longest wait, so none is waited for */
	__u32 pad;
};
DUPGRE_ASSERT_SIZE(struct hold_info, 40);

/* The holder beats every HOLD_BEAT_NS. A beat older than HOLD_STALE_NS
 * means it may be stuck: the program hands it no new gap. One older than
 * HOLD_GONE_NS (or a beat of 0: stopped) means it is gone, and the program
 * takes back the streams it had. A holder that only stalled (a loaded
 * router, a descheduled VM) keeps them: what it holds would be lost
 * behind packets passed on without it. A dead one's queue went with its
 * socket, and the rule's bypass passes what is marked meanwhile.
 */
#define HOLD_BEAT_NS 100000000ull
#define HOLD_STALE_NS 500000000ull
#define HOLD_GONE_NS 2000000000ull

#endif /* DUPGRE_HOLD_H */
