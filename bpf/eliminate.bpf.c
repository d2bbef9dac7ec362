// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* TC ingress on every interface where copies of a tunnel's packets arrive:
 * the sequence recovery function of IEEE 802.1CB (vector recovery
 * algorithm), on GRE sequence numbers (PPTP) or the low 32 bits of the
 * WireGuard data message counter. In monitor mode it only counts; in drop mode it
 * discards duplicates and copies older than the window before the stack
 * sees them; order mode drops as drop mode does and hands packets after a
 * gap to the holder, so that the receiver takes them in order (see
 * include/dupgre/eliminate.h; PPTP only: WireGuard's receiver reorders).
 * Packets without a sequence number, and anything not the tunnel's, always
 * pass.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include "dupgre/eliminate.h"
#include "dupgre/hold.h"
#include "dupgre/pptp_gre.h"
#include "parse.h"
#include "wg_match.h"
#include "counters.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u32 path = 0;		/* this interface's index, < ELIM_MAX_PATHS */
const volatile bool l3_device = false;
const volatile bool drop = false;
const volatile __u32 window = ELIM_HISTORY;	/* 2..ELIM_HISTORY */
const volatile __u64 reset_ns = 1000000000ull;
const volatile bool order = false;	/* implies drop */
const volatile __u32 tunnel = DUPGRE_TUNNEL_PPTP;	/* enum dupgre_tunnel */
const volatile __be16 wg_port = 0;	/* WireGuard: the server's port, as source or destination */
const volatile __u64 jump_quiet_ns = ELIM_JUMP_QUIET_NS;	/* the tests shorten it */

/* A plain hash, not an LRU: an LRU may evict a live stream's key. An entry
 * goes when its slot is claimed for another stream; twice the slots leave
 * room for the entries a race can strand.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 2 * ELIM_MAX_STREAMS);
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

/* Where the next claim starts looking, shared by every interface's program. */
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

/* The holder's hand-back, by slot index (see struct elim_order_ack). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ELIM_MAX_STREAMS);
	__type(key, __u32);
	__type(value, struct elim_order_ack);
} order_ack SEC(".maps");

/* The holder's own counters and state, pinned with the rest (include/dupgre/hold.h). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hold_counters);
} hold_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hold_times);
} hold_times SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hold_info);
} hold_info SEC(".maps");

/* WireGuard handshake messages seen lately (struct elim_wg_handshake_key):
 * when each first came. An LRU: forgetting an old one costs nothing. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, ELIM_WG_HANDSHAKES);
	__type(key, struct elim_wg_handshake_key);
	__type(value, __u64);
} wg_handshakes SEC(".maps");

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
	bool restarted;			/* the stream started over from this packet */
	bool stale;			/* ROGUE, older than the window */
	bool out_of_order;
	bool rogue;			/* PASSED, but ahead of the window */
	bool reset;
	bool taken_back;		/* order mode: from a holder that stopped beating */
	__u32 lost;
	__u32 rescued[ELIM_MAX_PATHS];
	__u32 copy_rescued;		/* rescued by paths after the first (copies) */
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
	return a->saddr[0] == b->saddr[0] && a->saddr[1] == b->saddr[1] && a->saddr[2] == b->saddr[2] &&
	       a->saddr[3] == b->saddr[3] && a->id == b->id;
}

/* copy_share's moving average (eliminate.h): a copy came; a new number did. */
static __always_inline void copy_came(struct elim_slot *s)
{
	s->copy_share += (255 - s->copy_share + (1 << ELIM_COPY_SHARE_SHIFT) - 1) >> ELIM_COPY_SHARE_SHIFT;
}

static __always_inline void new_number(struct elim_slot *s)
{
	s->copy_share -= (s->copy_share + (1 << ELIM_COPY_SHARE_SHIFT) - 1) >> ELIM_COPY_SHARE_SHIFT;
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
	s->jump_count = 0;
	out->counter = ELIM_PASSED;
	out->restarted = true;
}

/* A packet newer than the window: a window's worth lost on every path, or
 * the sender renumbered, or a forged packet. The stream moves there only
 * when ELIM_JUMP_CONFIRM such packets come in a row, each within the
 * window after the one before, and nothing came in the window for
 * ELIM_JUMP_QUIET_NS (last_ns moves only for in-window packets): forged
 * packets, however many, cost themselves while the stream's traffic flows.
 */
static __always_inline void jump_ahead(struct elim_slot *s, __u32 seq, __u64 now_ns, struct outcome *out)
{
	__u32 step = seq - s->jump_seq;
	__u64 quiet = reset_ns < jump_quiet_ns ? reset_ns : jump_quiet_ns;

	if (s->jump_count && step && step < window)
		s->jump_count++;
	else
		s->jump_count = 1;
	s->jump_seq = seq;
	if (s->jump_count >= ELIM_JUMP_CONFIRM && (__s64)(now_ns - s->last_ns) >= (__s64)quiet) {
		take_any(s, seq, now_ns / 1000, out);
		out->rogue = true;	/* passed, and counted as rogue too */
		return;
	}
	out->counter = ELIM_ROGUE;
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
		if (p)
			out->copy_rescued += out->rescued[p];
	}
}

/* 802.1CB 7.4.3.4, VectorRecoveryAlgorithm, under the slot's lock: plain
 * arithmetic only (no helper may be called while it is held).
 */
static __always_inline void recover(struct elim_slot *s, __u32 seq, __u64 now_ns, struct outcome *out)
{
	__u64 mask = window >= 64 ? ~0ull : (1ull << window) - 1;
	__u32 now_us = now_ns / 1000;
	__s32 delta;

	if ((__s64)(now_ns - s->last_ns) > (__s64)reset_ns) {
		/* No packet in the window for the reset time: whatever the
		 * stream does now (renumbered, say) is taken. Signed: the clock
		 * is read before the lock, so the copy on the other CPU may have
		 * stored a later time meanwhile.
		 */
		s->take_any = 1;
		s->counters[ELIM_RESETS]++;
		out->reset = true;
	}
	if (s->take_any) {
		s->last_ns = now_ns;
		take_any(s, seq, now_us, out);
		return;
	}

	delta = seq - s->recov_seq;	/* serial number arithmetic: wraps at 2^32 */
	if (delta <= -(__s32)window) {
		/* Older than the window: a stale copy no PPTP receiver takes.
		 * By a path that brought nothing in the window, it is a copy
		 * (path B more than a window behind); by one that did, it may
		 * be the stream's own late packet, which says nothing of
		 * copies (and a duplicated stream is held at every gap).
		 */
		if (!s->seen[path & (ELIM_MAX_PATHS - 1)])
			copy_came(s);
		out->counter = ELIM_ROGUE;
		out->stale = true;
		return;
	}
	if (delta >= (__s32)window) {
		jump_ahead(s, seq, now_ns, out);
		if (out->restarted)
			s->last_ns = now_ns;
		return;
	}
	/* In the window: only these keep the stream from resetting. */
	if ((__s64)(now_ns - s->last_ns) > 0)
		s->last_ns = now_ns;
	s->jump_count = 0;
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
			copy_came(s);
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
	new_number(s);
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

enum order_verdict {
	ORDER_PASS,
	ORDER_DROP,	/* a number the receiver has already taken or skipped */
	ORDER_HOLDER,	/* to the holder */
};

/* What the program knows of the holder and its hand-back when a packet
 * comes (read under their own locks, before the slot's).
 */
struct holder_view {
	__u32 received, next, gen;	/* the hand-back; for the slot's owner only if gen matches */
	__u32 epoch;			/* the run of the holder that beats */
	bool written;
	bool beating;			/* the heartbeat is fresh */
	bool gone;			/* stopped, or no beat for HOLD_GONE_NS */
	bool draining;			/* the holder is stopping: no new gap for it */
};

/* Order mode, under the slot's lock, for a packet recovery did not drop:
 * may it reach the receiver now? While the holder has packets of the
 * stream (or some are on their way to it: queued != received), every
 * packet goes to the holder, in arrival order behind them; once the holder
 * is gone, the stream is taken back at once. Otherwise the stream is the
 * program's: the next number passes, an earlier one is late, a later one
 * opens a gap and goes to the holder (if one beats and takes new gaps).
 */
static __always_inline enum order_verdict order_packet(struct elim_slot *s, struct outcome *out, __u32 seq,
						       const struct holder_view *h)
{
	bool ours = h->written && h->gen == s->gen;	/* a record for another owner says nothing */
	__u32 received = ours ? h->received : 0, next = ours ? h->next : 0;

	if (s->queued != received) {
		if (h->gone || h->epoch != s->holder) {
			/* The holder is gone (or a new run of it beats): what it
			 * held went with its socket, or was released before it
			 * stopped. Nothing at or below the newest number recovery
			 * passed may follow now.
			 */
			s->queued = received;
			s->synced = received;
			s->next = s->recov_seq + 1;
			s->next_valid = 1;
			out->taken_back = true;
			return seq == s->recov_seq ? ORDER_PASS : ORDER_DROP;
		}
		/* The holder publishes its frontier as it goes: a copy below
		 * it is late, and need not take a place in the queue.
		 */
		if (ours && (__s32)(seq - next) < 0)
			return ORDER_DROP;
		s->queued++;
		return ORDER_HOLDER;
	}
	if (s->synced != received) {
		s->synced = received;	/* the holder handed the stream back */
		s->next = next;
		s->next_valid = 1;
	}
	if (out->restarted || !s->next_valid) {
		/* A stream's start, or one that predates order mode: the
		 * receiver has taken up to the newest number recovery passed,
		 * and an older first copy (a gap's fill) is late for it.
		 */
		s->next = s->recov_seq + 1;
		s->next_valid = 1;
		return seq == s->recov_seq ? ORDER_PASS : ORDER_DROP;
	}
	if (seq == s->next) {
		s->next = seq + 1;
		return ORDER_PASS;
	}
	if ((__s32)(seq - s->next) < 0)
		return ORDER_DROP;
	/* A stream without copies now (the dual link's own tunnel, or a
	 * sender whose copy policy has stopped copying) has nothing to wait
	 * for: its gaps do not fill. Nor has one whose holder is gone or
	 * stopping. When copies come again, so do the waits.
	 */
	if (s->copy_share < ELIM_COPY_SHARE_HOLD || !h->beating || h->draining) {
		s->next = seq + 1;
		return ORDER_PASS;
	}
	s->holder = h->epoch;
	s->queued++;
	return ORDER_HOLDER;
}

/* Claims slot index for key if its stream has been idle past the reset
 * time (or it never had one): every field is reset under the lock, and gen
 * moves on, so nothing of the owner before survives. The owner before
 * loses its index entry.
 */
static __always_inline struct elim_slot *claim(const struct elim_stream_key *key, __u32 index, __u64 now)
{
	struct elim_stream_key old;
	struct elim_slot *s = bpf_map_lookup_elem(&streams, &index);
	bool free, had_owner;
	__u32 gen, *idx;

	if (!s)
		return NULL;
	bpf_spin_lock(&s->lock);
	had_owner = s->gen != 0;
	free = !had_owner || (__s64)(now - s->last_ns) > (__s64)reset_ns;
	if (free) {
		old = s->owner;
		gen = s->gen + 1;
		__builtin_memset(&s->owner, 0, sizeof(s->owner));
		__builtin_memset(&s->recov_seq, 0, sizeof(*s) - offsetof(struct elim_slot, recov_seq));
		s->owner = *key;
		s->gen = gen ? gen : 1;
		s->take_any = 1;
		s->last_ns = now;
	}
	bpf_spin_unlock(&s->lock);
	if (!free)
		return NULL;
	if (had_owner) {
		idx = bpf_map_lookup_elem(&stream_index, &old);
		if (idx && *idx == index)
			bpf_map_delete_elem(&stream_index, &old);
	}
	return s;
}

/* The slot of key's stream, claimed on its first packet. NULL when no slot
 * is to be had: every one tried is live (counted), or a race lost.
 */
static __always_inline struct elim_slot *stream_slot(const struct elim_stream_key *key, __u64 now, __u32 *index)
{
	__u32 zero = 0, *cursor, *idx = bpf_map_lookup_elem(&stream_index, key);
	struct elim_slot *s = NULL;
	__u32 slot = 0;

	if (idx) {
		*index = *idx;
		return bpf_map_lookup_elem(&streams, idx);
	}
	cursor = bpf_map_lookup_elem(&alloc, &zero);
	if (!cursor)
		return NULL;
#pragma unroll
	for (int i = 0; i < ELIM_CLAIM_PROBES; i++) {
		slot = __sync_fetch_and_add(cursor, 1) % ELIM_MAX_STREAMS;
		s = claim(key, slot, now);
		if (s)
			break;
	}
	if (!s) {
		count(ELIM_TOTAL_ROW, ELIM_TABLE_FULL, 1);
		return NULL;
	}
	/* The other copy may have claimed a slot too, on another CPU: the
	 * first to record its claim wins, and the other slot is idle again
	 * after the reset time.
	 */
	if (bpf_map_update_elem(&stream_index, key, &slot, BPF_NOEXIST)) {
		idx = bpf_map_lookup_elem(&stream_index, key);
		if (!idx) {
			count(ELIM_TOTAL_ROW, ELIM_TABLE_FULL, 1);
			return NULL;
		}
		slot = *idx;
	}
	*index = slot;
	return bpf_map_lookup_elem(&streams, &slot);
}

/* The kernel's PPTP receiver takes an LCP echo request or reply however
 * late it comes (pptp_rcv_core() in drivers/net/ppp/pptp.c: address and
 * control 0xff 0x03, protocol 0xc021, code 9 or 10): neither drop nor
 * order mode may hold one back as late. payload: the PPP frame's offset.
 */
static __always_inline bool lcp_echo(struct __sk_buff *skb, __u32 payload, __u32 end)
{
	__u8 ppp[5];

	if (load_in(skb, payload, end, ppp, sizeof(ppp)))
		return false;
	return ppp[0] == 0xff && ppp[1] == 0x03 && ppp[2] == 0xc0 && ppp[3] == 0x21 &&
	       (ppp[4] == 9 || ppp[4] == 10);
}

/* The GRE sequence number and stream of a PPTP data packet; -1 if not
 * PPTP GRE, 1 if it carries no sequence number. *echo: an LCP echo (only
 * looked for when something may be dropped).
 */
static __always_inline int pptp_sequence(struct __sk_buff *skb, struct elim_stream_key *key,
					 __u32 *seq, bool *echo)
{
	struct ipv4_pkt pkt = {};
	__u32 l3, word0, word1;

	if (l3_offset(skb, l3_device, &l3) || parse_ipv4(skb, l3, &pkt) != IPV4_OK ||
	    pkt.protocol != IPPROTO_GRE || ipv4_is_fragment(&pkt))
		return -1;
	if (load_be32(skb, pkt.l4, pkt.end, &word0) || load_be32(skb, pkt.l4 + 4, pkt.end, &word1))
		return -1;
	if (!pptp_gre_is_ppp(word0))
		return -1;
	ipv4_mapped(key->saddr, pkt.saddr);
	key->id = word1 & 0xffff;
	if (!(word0 & PPTP_GRE_F_SEQ))
		return 1;
	if (load_be32(skb, pkt.l4 + 8, pkt.end, seq))
		return -1;
	if (drop)
		*echo = lcp_echo(skb, pkt.l4 + pptp_gre_header_len(word0), pkt.end);
	return 0;
}

/* The stream and sequence number of a WireGuard data message to or from
 * the server's port: the receiver index and the low 32 bits of the
 * counter (both little-endian on the wire); the window arithmetic wraps
 * as for GRE. -1 if not WireGuard, 1 for a cookie reply (tagless), 2 for an
 * initiation or a response: hs its sender.
 */
static __always_inline int wg_sequence(struct __sk_buff *skb, struct elim_stream_key *key, __u32 *seq,
				       struct elim_wg_handshake_key *hs)
{
	struct ip_pkt pkt = {};
	struct udphdr uh;
	__u8 version, hdr[8];
	__u32 l3;

	if (l3_offset_ip(skb, l3_device, &l3, &version) || parse_ip(skb, l3, version, &pkt) != IP_OK ||
	    ipv6_skip_ext(skb, &pkt) != IP_OK || pkt.fragment || pkt.protocol != IPPROTO_UDP ||
	    wg_udp(skb, &pkt, &uh) || (uh.source != wg_port && uh.dest != wg_port))
		return -1;
	switch (classify_wg(skb, &pkt, &uh)) {
	case WG_CLASS_DATA:
		break;
	case WG_CLASS_INITIATION:
	case WG_CLASS_RESPONSE:
		if (load_in(skb, pkt.l4 + sizeof(uh), pkt.end, hdr, 8))
			return -1;
		__builtin_memcpy(hs->saddr, pkt.saddr, sizeof(hs->saddr));
		hs->type = hdr[0];
		__builtin_memcpy(&hs->sender, hdr + 4, sizeof(hs->sender));
		return 2;
	case WG_CLASS_COOKIE:
		return 1;
	default:
		return -1;
	}
	/* After the type: receiver index, then the counter's low half. */
	if (load_in(skb, pkt.l4 + sizeof(uh) + 4, pkt.end, hdr, 8))
		return -1;
	__builtin_memcpy(key->saddr, pkt.saddr, sizeof(key->saddr));
	key->id = hdr[0] | hdr[1] << 8 | hdr[2] << 16 | (__u32)hdr[3] << 24;
	*seq = hdr[4] | hdr[5] << 8 | hdr[6] << 16 | (__u32)hdr[7] << 24;
	return 0;
}

/* A WireGuard initiation or response (wg_sequence's 2): the first of its
 * copies passes; another within ELIM_WG_HANDSHAKE_COPY_NS is a copy.
 * BPF_NOEXIST makes one of two copies on two CPUs at once the first.
 */
static __always_inline bool wg_handshake_copy(const struct elim_wg_handshake_key *hs)
{
	__u64 now = bpf_ktime_get_ns(), *first;

	if (!bpf_map_update_elem(&wg_handshakes, hs, &now, BPF_NOEXIST))
		return false;
	first = bpf_map_lookup_elem(&wg_handshakes, hs);
	if (first && (__s64)(now - *first) < (__s64)ELIM_WG_HANDSHAKE_COPY_NS)
		return true;
	/* Seen long ago (or evicted meanwhile): a new message, the time anew. */
	bpf_map_update_elem(&wg_handshakes, hs, &now, BPF_ANY);
	return false;
}

/* Drop mode. PPTP's receivers take nothing out of their window, and one of
 * them (pptp 1.10) stalls on duplicates: everything not passed goes. A
 * WireGuard receiver takes any packet its 8128-packet replay window has not
 * seen, a copy far behind this window or a stream's jump ahead, and drops
 * forged ones by their authentication: only what this window knows to be a
 * duplicate goes, and the rest is WireGuard's to judge.
 */
static __always_inline bool drop_in_drop_mode(const struct outcome *out, bool echo)
{
	if (tunnel == DUPGRE_TUNNEL_WIREGUARD)
		return out->counter == ELIM_DISCARDED;
	return out->counter != ELIM_PASSED && !(echo && out->stale);
}

/* The holder's hand-back of the stream in slot index, and its beat. */
static __always_inline void read_holder(__u32 index, __u64 now, struct holder_view *h)
{
	struct elim_order_ack *ack = bpf_map_lookup_elem(&order_ack, &index);
	struct hold_info *info;
	__u32 zero = 0;

	if (ack) {
		bpf_spin_lock(&ack->lock);
		h->received = ack->received;
		h->next = ack->next;
		h->written = ack->written;
		h->gen = ack->gen;
		bpf_spin_unlock(&ack->lock);
	}
	info = bpf_map_lookup_elem(&hold_info, &zero);
	if (!info) {
		h->gone = true;
		return;
	}
	/* Signed: the holder may have read the clock after us. */
	__u64 beat = info->heartbeat_ns;
	__s64 age = (__s64)(now - beat);

	h->beating = beat && age < (__s64)HOLD_STALE_NS;
	h->gone = !beat || age >= (__s64)HOLD_GONE_NS;
	h->draining = info->draining;
	h->epoch = info->epoch;
}

SEC("tc")
int dupgre_eliminate(struct __sk_buff *skb)
{
	struct elim_stream_key key = {};
	struct elim_wg_handshake_key hs = {};
	enum order_verdict verdict = ORDER_PASS;
	struct holder_view holder = {};
	__u32 index = 0, queued = 0;
	struct outcome out = {};
	struct elim_slot *s;
	bool echo = false;
	__u32 seq = 0;
	__u64 now;
	int ret;

	if (tunnel == DUPGRE_TUNNEL_WIREGUARD)
		ret = wg_sequence(skb, &key, &seq, &hs);
	else
		ret = pptp_sequence(skb, &key, &seq, &echo);
	if (ret < 0)
		return TC_ACT_UNSPEC;
	if (ret == 2 && wg_handshake_copy(&hs)) {
		count(path, ELIM_DISCARDED, 1);
		count(ELIM_TOTAL_ROW, ELIM_DISCARDED, 1);
		return drop ? TC_ACT_SHOT : TC_ACT_UNSPEC;
	}
	if (ret > 0) {
		count(path, ELIM_TAGLESS, 1);
		count(ELIM_TOTAL_ROW, ELIM_TAGLESS, 1);
		return TC_ACT_UNSPEC;
	}
	/* The mark is another tool's (the order mark is set below, after
	 * this hook): ordering would overwrite it.
	 */
	if (order && skb->mark) {
		count(ELIM_TOTAL_ROW, ELIM_FOREIGN_MARK, 1);
		return TC_ACT_UNSPEC;
	}
	now = bpf_ktime_get_ns();
	s = stream_slot(&key, now, &index);
	if (!s)
		return TC_ACT_UNSPEC;
	if (order)
		read_holder(index, now, &holder);	/* one lock at a time */

	bpf_spin_lock(&s->lock);
	if (!same_stream(&s->owner, &key)) {
		/* The slot went to another stream after the lookup (this one
		 * was idle past the reset time): pass, and let the next packet
		 * claim a slot anew.
		 */
		bpf_spin_unlock(&s->lock);
		__u32 *idx = bpf_map_lookup_elem(&stream_index, &key);
		if (idx && *idx == index)
			bpf_map_delete_elem(&stream_index, &key);
		return TC_ACT_UNSPEC;
	}
	recover(s, seq, now, &out);
	/* Duplicates and unconfirmed jumps are dropped; a stale copy goes
	 * to the order logic, which drops it unless the holder still waits
	 * for its number (copies a window or more behind, at high rates).
	 */
	if (order && (out.counter == ELIM_PASSED || out.stale))
		verdict = order_packet(s, &out, seq, &holder);
	queued = s->queued;
	s->counters[out.counter & 3]++;	/* PASSED, DISCARDED or ROGUE */
	if (out.out_of_order)
		s->counters[ELIM_OUT_OF_ORDER]++;
	if (out.rogue)
		s->counters[ELIM_ROGUE]++;
	s->counters[ELIM_LOST] += out.lost;
	s->counters[ELIM_COPY_RESCUED] += out.copy_rescued;
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
	if (out.taken_back)
		count(ELIM_TOTAL_ROW, ELIM_HOLDER_GONE, 1);
	if (out.lost)
		count(ELIM_TOTAL_ROW, ELIM_LOST, out.lost);
	if (out.copy_rescued)
		count(ELIM_TOTAL_ROW, ELIM_COPY_RESCUED, out.copy_rescued);
#pragma unroll
	for (int p = 0; p < ELIM_MAX_PATHS; p++) {
		if (out.rescued[p]) {
			count(p, ELIM_RESCUED, out.rescued[p]);
			count(ELIM_TOTAL_ROW, ELIM_RESCUED, out.rescued[p]);
		}
	}
	if (out.counter == ELIM_DISCARDED)
		count_gap(out.gap_us);
	if (!order)
		return drop && drop_in_drop_mode(&out, echo) ? TC_ACT_SHOT : TC_ACT_UNSPEC;
	if (out.counter != ELIM_PASSED && !out.stale)
		return TC_ACT_SHOT;
	if (verdict == ORDER_DROP) {
		if (echo)
			return TC_ACT_UNSPEC;	/* late, but the receiver takes it */
		count(path, ELIM_LATE, 1);
		count(ELIM_TOTAL_ROW, ELIM_LATE, 1);
		return TC_ACT_SHOT;
	}
	if (verdict == ORDER_HOLDER) {
		/* The index tells the holder what it has received: a packet
		 * the queue let through unheld (full, no holder) is skipped.
		 */
		skb->mark = ELIM_ORDER_MARK | (queued & ~ELIM_ORDER_MARK_MASK);
		count(path, ELIM_TO_HOLDER, 1);
		count(ELIM_TOTAL_ROW, ELIM_TO_HOLDER, 1);
	}
	return TC_ACT_UNSPEC;
}
