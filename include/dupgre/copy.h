/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Copy policy per peer, shared by bpf/clone.bpf.c and user space: which
 * matching packets the clone program copies. No entry for a peer: every
 * one (always), as before policies existed.
 *
 *   always    every matching packet is copied.
 *   budget    packets up to max_size IP bytes (0: any), within rate bytes
 *             per second with a burst of burst_ns worth of it.
 *   adaptive  every packet while the receiving site reports that path A
 *             loses (copy_until_ns, set by the report receiver); while it
 *             is clean, one packet in 2^sample_shift (sampling), so path
 *             B's health and the copy gap stay measured, or none from
 *             COPY_NO_SAMPLES up (quiet); every packet when no report
 *             came for stale_ns (fail-safe: no news is not good news).
 *
 * The policy applies to tunnel data (PPTP's MPPE data, WireGuard's
 * transport data); keepalives, echoes and handshakes are always copied:
 * they are few, small, and what keeps path B's tunnel state alive.
 *
 * The budget's bucket is shared by every CPU without a lock or an atomic on
 * the fast path: each CPU spends a private stash of bytes (copy_stash, a
 * per-CPU map) and refills it a chunk at a time from the shared bucket,
 * under the policy's spin lock (GCRA: the bucket is tat_ns, the
 * theoretical arrival time of the next byte; a refill is allowed while
 * tat_ns <= now + burst_ns). Bytes in a stash are paid for, so over any
 * interval T the copies stay within
 *   rate * T + burst + N * chunk   (N CPUs)
 * a CPU's unspent stash being all that it may send beyond one bucket's.
 * A spin lock (Linux 5.1) rather than a compare-and-swap (BPF atomics,
 * 5.12) keeps the clone program's minimum kernel where it was.
 *
 * The adaptive fields are 64-bit and read without the lock: on a 32-bit
 * CPU a read may tear while the report receiver writes. A torn value
 * decides one packet (copied or not); it cannot stop copying for longer.
 */
#ifndef DUPGRE_COPY_H
#define DUPGRE_COPY_H

#include <linux/bpf.h>	/* struct bpf_spin_lock */
#include <linux/types.h>

#include "dupgre/layout.h"

enum copy_mode {
	COPY_ALWAYS = 0,
	COPY_BUDGET = 1,
	COPY_ADAPTIVE = 2,
};

/* sample_shift from this up: no samples while path A is clean. */
#define COPY_NO_SAMPLES 32

/* The stash a CPU takes from the shared bucket at a time, at most: small
 * against a burst, large against a packet.
 */
#define COPY_CHUNK_MAX 16384

/* The key of the "copy" and "copy_stash" maps: the peer's address, an
 * IPv4 one IPv4-mapped (::ffff:a.b.c.d), network byte order.
 */
struct copy_key {
	__be32 addr[4];
};
DUPGRE_ASSERT_SIZE(struct copy_key, 16);

/* The value of the pinned "copy" hash. User space writes the policy; the
 * program writes tat_ns; the report receiver writes report_ns and
 * copy_until_ns (CLOCK_MONOTONIC, bpf_ktime_get_ns()'s clock). Updates go
 * with BPF_F_LOCK. A policy update rewrites the whole value: tat_ns
 * restarts, which at most lets one burst through.
 */
struct copy_policy {
	struct bpf_spin_lock lock;	/* budget: held while refilling a stash */
	__u8 mode;		/* enum copy_mode */
	__u8 sample_shift;	/* adaptive, quiet: copy one packet in 2^shift */
	__u16 pad;
	__u32 max_size;		/* budget: IP bytes; 0: any size */
	__u32 quiet_ms;		/* adaptive: copying goes on this long after a loss report
				 * (the report receiver's; the program never reads it) */
	__u64 rate;		/* budget: bytes per second, as given (user space's record) */
	__u64 ns_per_byte_q16;	/* budget: 1e9 / rate, fixed point (16 bits); 0: no rate */
	__u64 burst_ns;		/* budget: the bucket's depth, in time at the rate */
	__u32 chunk;		/* budget: bytes a CPU takes at a time (<= COPY_CHUNK_MAX) */
	__u32 pad2;
	__u64 tat_ns;		/* budget: when the bytes paid so far fall due (GCRA; program) */
	__u64 stale_ns;		/* adaptive: no report for this long: copy everything */
	__u64 report_ns;	/* adaptive: the last accepted report (receiver) */
	__u64 copy_until_ns;	/* adaptive: copying until then (receiver) */
};
DUPGRE_ASSERT_SIZE(struct copy_policy, 80);
DUPGRE_ASSERT_OFFSET(struct copy_policy, mode, 4);
DUPGRE_ASSERT_OFFSET(struct copy_policy, rate, 16);
DUPGRE_ASSERT_OFFSET(struct copy_policy, ns_per_byte_q16, 24);
DUPGRE_ASSERT_OFFSET(struct copy_policy, tat_ns, 48);
DUPGRE_ASSERT_OFFSET(struct copy_policy, copy_until_ns, 72);

/* A CPU's stash of paid-for bytes, per peer ("copy_stash", per-CPU hash). */
struct copy_stash {
	__u64 bytes;
};
DUPGRE_ASSERT_SIZE(struct copy_stash, 8);

#endif /* DUPGRE_COPY_H */
