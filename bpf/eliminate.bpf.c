// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* TC ingress on every interface where copies of a PPTP stream arrive: the
 * sequence recovery function of IEEE 802.1CB (vector recovery algorithm),
 * on GRE sequence numbers. In monitor mode it only counts; in drop mode it
 * discards duplicates and copies older than the window before the stack
 * sees them. Packets without a sequence number, and anything not PPTP GRE,
 * always pass.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include "dupgre/eliminate.h"
#include "parse.h"
#include "counters.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u32 path = 0;		/* this interface's index, < ELIM_MAX_PATHS */
const volatile bool l3_device = false;
const volatile bool drop = false;
const volatile __u32 window = ELIM_HISTORY;	/* 2..ELIM_HISTORY */
const volatile __u64 reset_ns = 1000000000ull;

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, ELIM_MAX_STREAMS);
	__type(key, struct elim_stream_key);
	__type(value, __u32);	/* index into streams */
} stream_index SEC(".maps");

/* Arrays hold spin locks; LRU hashes cannot, hence the index above. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ELIM_MAX_STREAMS);
	__type(key, __u32);
	__type(value, struct elim_slot);
} streams SEC(".maps");

/* Next slot to hand out, shared by every interface's program. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} alloc SEC(".maps");

/* Counter rows: one per path, then ELIM_TOTAL_ROW for all of them. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ELIM_MAX_PATHS + 1);
	__type(key, __u32);
	__type(value, struct elim_counters);
} stats SEC(".maps");

/* Copy gap histogram rows, one per path. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ELIM_MAX_PATHS);
	__type(key, __u32);
	__type(value, struct elim_gaps);
} gaps SEC(".maps");

/* Written and read by user space only (see struct elim_path). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ELIM_MAX_PATHS);
	__type(key, __u32);
	__type(value, struct elim_path);
} paths SEC(".maps");

/* What one packet did to its stream, counted after the lock is released. */
struct outcome {
	__u32 counter;			/* PASSED, DISCARDED or ROGUE */
	bool out_of_order;
	bool rogue;			/* PASSED, but ahead of the window */
	bool reset;
	__u32 lost;
	__u32 rescued[ELIM_MAX_PATHS];
	__u32 gap_us;			/* for DISCARDED: since the first copy */
};

static __always_inline void count(__u32 row, __u32 counter, __u64 n)
{
	count_in(&stats, row, counter, ELIM_COUNTER_MAX, n);
}

static __always_inline void count_gap(__u32 gap_us)
{
	__u32 bucket = 0;

#pragma unroll
	for (int i = 0; i < ELIM_GAP_BUCKETS - 1; i++)
		if (gap_us >> i)
			bucket = i + 1;
	count_in(&gaps, path, bucket, ELIM_GAP_ROW_LEN, 1);
	count_in(&gaps, path, ELIM_GAP_BUCKETS, ELIM_GAP_ROW_LEN, gap_us);
}

static __always_inline __u32 popcount(__u64 x)
{
	return __builtin_popcountll(x);
}

static __always_inline bool same_stream(const struct elim_stream_key *a,
					const struct elim_stream_key *b)
{
	return a->saddr == b->saddr && a->call_id == b->call_id;
}

static __always_inline void take_any(struct elim_slot *s, __u32 seq, __u32 now_us,
				     struct outcome *out)
{
	s->take_any = 0;
	s->recov_seq = seq;
	s->history = 1;
	s->valid = 1;
#pragma unroll
	for (int p = 0; p < ELIM_MAX_PATHS; p++)
		s->seen[p] = (__u32)p == path;
	s->first_us[seq % ELIM_HISTORY] = now_us;
	out->counter = ELIM_PASSED;
}

/* Numbers leaving the window: lost if never passed; "rescued" by the one
 * path whose copy was the only one to come.
 */
static __always_inline void leave_window(struct elim_slot *s, __u64 leaving, struct outcome *out)
{
	__u64 gone = s->valid & leaving;

	out->lost = popcount(gone & ~s->history);
	gone &= s->history;
#pragma unroll
	for (int p = 0; p < ELIM_MAX_PATHS; p++) {
		__u64 only = s->seen[p] & gone;
#pragma unroll
		for (int q = 0; q < ELIM_MAX_PATHS; q++)
			if (q != p)
				only &= ~s->seen[q];
		out->rescued[p] = popcount(only);
	}
}

/* 802.1CB 7.4.3.4, VectorRecoveryAlgorithm, under the slot's lock: plain
 * arithmetic only (no helper may be called while it is held).
 */
static __always_inline void recover(struct elim_slot *s, const struct elim_stream_key *key,
				    __u32 seq, __u64 now_ns, struct outcome *out)
{
	__u64 mask = window >= 64 ? ~0ull : (1ull << window) - 1;
	__u32 now_us = now_ns / 1000;
	__s32 delta;

	if (!same_stream(&s->owner, key)) {
		/* A new stream, or its slot went to another one meanwhile. */
		__builtin_memset(s->counters, 0, sizeof(s->counters));
		s->owner = *key;
		s->take_any = 1;
	} else if ((__s64)(now_ns - s->last_ns) > (__s64)reset_ns) {
		/* Signed: the clock is read before the lock, so the copy on the
		 * other CPU may have stored a later time meanwhile.
		 */
		s->take_any = 1;
		s->counters[ELIM_RESETS]++;
		out->reset = true;
	}
	if ((__s64)(now_ns - s->last_ns) > 0)
		s->last_ns = now_ns;
	if (s->take_any) {
		take_any(s, seq, now_us, out);
		return;
	}

	delta = seq - s->recov_seq;	/* serial number arithmetic: wraps at 2^32 */
	if (delta <= -(__s32)window) {
		/* Older than the window: a stale copy no PPTP receiver takes. */
		out->counter = ELIM_ROGUE;
		return;
	}
	if (delta >= (__s32)window) {
		/* Newer than the window: a window's worth lost on every path,
		 * or the sender renumbered. Dropping it would blackhole the
		 * stream until it idles; start over from it instead.
		 */
		take_any(s, seq, now_us, out);
		out->rogue = true;
		return;
	}
	if (delta <= 0) {
		__u64 bit = 1ull << (-delta & 63);

		s->seen[path & (ELIM_MAX_PATHS - 1)] |= bit;
		if (s->history & bit) {
			/* Signed, clamped: the first copy, on another CPU, may have
			 * read the clock after this one.
			 */
			__s32 gap = now_us - s->first_us[seq % ELIM_HISTORY];

			out->counter = ELIM_DISCARDED;
			out->gap_us = gap > 0 ? gap : 0;
			return;
		}
		s->history |= bit;
		s->valid |= bit;
		s->first_us[seq % ELIM_HISTORY] = now_us;
		out->counter = ELIM_PASSED;
		out->out_of_order = true;
		return;
	}

	/* Newer: the window slides by delta (0 < delta < window <= 64). */
	leave_window(s, mask & ~(mask >> delta), out);
	s->history = ((s->history << delta) & mask) | 1;
	s->valid = ((s->valid << delta) | ((1ull << delta) - 1)) & mask;
#pragma unroll
	for (int p = 0; p < ELIM_MAX_PATHS; p++)
		s->seen[p] = ((s->seen[p] << delta) & mask) | ((__u32)p == path);
	s->recov_seq = seq;
	s->first_us[seq % ELIM_HISTORY] = now_us;
	out->counter = ELIM_PASSED;
	out->out_of_order = delta != 1;
}

static __always_inline struct elim_slot *stream_slot(const struct elim_stream_key *key)
{
	__u32 zero = 0, *next, *idx = bpf_map_lookup_elem(&stream_index, key);

	if (!idx) {
		next = bpf_map_lookup_elem(&alloc, &zero);
		if (!next)
			return NULL;
		__u32 slot = __sync_fetch_and_add(next, 1) % ELIM_MAX_STREAMS;
		/* The other copy may have won the race on another CPU: use its. */
		bpf_map_update_elem(&stream_index, key, &slot, BPF_NOEXIST);
		idx = bpf_map_lookup_elem(&stream_index, key);
		if (!idx)
			return NULL;
	}
	return bpf_map_lookup_elem(&streams, idx);
}

/* The GRE sequence number and stream of a PPTP data packet; -1 if not
 * PPTP GRE, 1 if it carries no sequence number.
 */
static __always_inline int pptp_sequence(struct __sk_buff *skb, struct elim_stream_key *key,
					 __u32 *seq)
{
	struct ipv4_pkt pkt = {};
	__u32 l3, word0, word1;

	if (l3_offset(skb, l3_device, &l3) || parse_ipv4(skb, l3, &pkt) != IPV4_OK ||
	    pkt.protocol != IPPROTO_GRE || ipv4_is_fragment(&pkt))
		return -1;
	if (load_be32(skb, pkt.l4, pkt.end, &word0) || load_be32(skb, pkt.l4 + 4, pkt.end, &word1))
		return -1;
	/* Enhanced GRE: version 1, protocol PPP. */
	if ((word0 & 0x00070000) != 0x00010000 || (word0 & 0xffff) != 0x880b)
		return -1;
	key->saddr = pkt.saddr;
	key->call_id = word1 & 0xffff;
	if (!(word0 & 0x10000000))
		return 1;
	return load_be32(skb, pkt.l4 + 8, pkt.end, seq) ? -1 : 0;
}

SEC("tc")
int dupgre_eliminate(struct __sk_buff *skb)
{
	struct elim_stream_key key = {};
	struct outcome out = {};
	struct elim_slot *s;
	__u32 seq = 0;
	__u64 now;
	int ret;

	ret = pptp_sequence(skb, &key, &seq);
	if (ret < 0)
		return TC_ACT_UNSPEC;
	if (ret > 0) {
		count(path, ELIM_TAGLESS, 1);
		count(ELIM_TOTAL_ROW, ELIM_TAGLESS, 1);
		return TC_ACT_UNSPEC;
	}
	now = bpf_ktime_get_ns();
	s = stream_slot(&key);
	if (!s)
		return TC_ACT_UNSPEC;

	bpf_spin_lock(&s->lock);
	recover(s, &key, seq, now, &out);
	s->counters[out.counter]++;
	if (out.out_of_order)
		s->counters[ELIM_OUT_OF_ORDER]++;
	if (out.rogue)
		s->counters[ELIM_ROGUE]++;
	s->counters[ELIM_LOST] += out.lost;
	bpf_spin_unlock(&s->lock);

	count(path, out.counter, 1);
	count(ELIM_TOTAL_ROW, out.counter, 1);
	if (out.counter == ELIM_PASSED)
		count(path, ELIM_FIRST, 1);
	if (out.out_of_order) {
		count(path, ELIM_OUT_OF_ORDER, 1);
		count(ELIM_TOTAL_ROW, ELIM_OUT_OF_ORDER, 1);
	}
	if (out.rogue) {
		count(path, ELIM_ROGUE, 1);
		count(ELIM_TOTAL_ROW, ELIM_ROGUE, 1);
	}
	if (out.reset)
		count(ELIM_TOTAL_ROW, ELIM_RESETS, 1);
	if (out.lost)
		count(ELIM_TOTAL_ROW, ELIM_LOST, out.lost);
#pragma unroll
	for (int p = 0; p < ELIM_MAX_PATHS; p++) {
		if (out.rescued[p]) {
			count(p, ELIM_RESCUED, out.rescued[p]);
			count(ELIM_TOTAL_ROW, ELIM_RESCUED, out.rescued[p]);
		}
	}
	if (out.counter == ELIM_DISCARDED)
		count_gap(out.gap_us);
	if (drop && out.counter != ELIM_PASSED)
		return TC_ACT_SHOT;
	return TC_ACT_UNSPEC;
}
