// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* TC egress: copy the tunnel packets that go to a peer into the secondary
 * tunnel. Two profiles, chosen at load time: PPTP (the guide's TEE rules,
 * IPv4) and WireGuard (its messages to a peer endpoint, IPv4 and IPv6).
 * The original is never dropped or changed, and TC_ACT_UNSPEC (tcx's
 * TCX_NEXT) lets every later program and filter on the hook run.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include "dupgre/clone.h"
#include "dupgre/copy.h"
#include "parse.h"
#include "pptp_match.h"
#include "wg_match.h"
#include "nat.h"
#include "counters.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set by the loader between open and load; retargeting loads a new program
 * and swaps it into the same tc filter, so the verifier sees constants.
 */
const volatile __u32 clone_ifindex = 0;
const volatile __u32 clone_mtu = 0;
const volatile bool l3_device = false;
/* NAT fix for a server behind 1:1 NAT: copies from snat_private leave with
 * source snat_public (network byte order; 0: off). The original never does.
 */
const volatile __u32 snat_private = 0;
const volatile __u32 snat_public = 0;
/* enum dupgre_tunnel. A constant to the verifier: the other profile's code
 * is dead and removed, so each profile costs what it alone would.
 */
const volatile __u32 tunnel = DUPGRE_TUNNEL_PPTP;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DUPGRE_MAX_PEERS);
	__type(key, __u32);	/* IPv4 address, network byte order */
	__type(value, __u8);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} peers SEC(".maps");

/* WireGuard endpoints (see struct wg_peer_key): value 1 for an endpoint,
 * the number of its endpoints for an address's port-0 entry.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 2 * DUPGRE_MAX_PEERS);
	__type(key, struct wg_peer_key);
	__type(value, __u32);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} wg_peers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct clone_counters);
} stats SEC(".maps");

/* Copy policies by peer address (dupgre/copy.h); none: copy every packet. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DUPGRE_MAX_PEERS);
	__type(key, struct copy_key);
	__type(value, struct copy_policy);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} copy SEC(".maps");

/* Each CPU's paid-for bytes of a budget (made with the policy). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, DUPGRE_MAX_PEERS);
	__type(key, struct copy_key);
	__type(value, struct copy_stash);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} copy_stash SEC(".maps");

/* Written and read by user space only (see struct clone_info). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct clone_info);
} info SEC(".maps");

static __always_inline void count(__u32 counter, __u64 n)
{
	count_in(&stats, 0, counter, CLONE_COUNTER_MAX, n);
}

/* budget: within the size, and within the rate from this CPU's stash,
 * refilled a chunk at a time from the shared bucket (dupgre/copy.h).
 */
static __always_inline bool budget_allows(struct copy_policy *p, const struct copy_key *key, __u32 len)
{
	struct copy_stash *stash;
	__u64 now, chunk, due;
	bool paid = false;

	if (p->max_size && len > p->max_size) {
		count(CLONE_TOO_LARGE, 1);
		return false;
	}
	if (!p->ns_per_byte_q16)
		return true;
	stash = bpf_map_lookup_elem(&copy_stash, key);
	if (!stash)
		return true;	/* fails open: user space makes it with the policy */
	if (stash->bytes >= len) {
		stash->bytes -= len;
		return true;
	}
	chunk = p->chunk > len ? p->chunk : len;
	now = bpf_ktime_get_ns();
	bpf_spin_lock(&p->lock);
	due = p->tat_ns > now ? p->tat_ns : now;
	if (due <= now + p->burst_ns) {
		p->tat_ns = due + ((chunk * p->ns_per_byte_q16) >> 16);
		paid = true;
	}
	bpf_spin_unlock(&p->lock);
	if (!paid) {
		count(CLONE_OVER_BUDGET, 1);
		return false;
	}
	stash->bytes += chunk - len;
	return true;
}

/* adaptive: every packet while the receiver reports path A losing, or
 * when it has not reported lately; else a sample.
 */
static __always_inline bool adaptive_allows(const struct copy_policy *p)
{
	__u64 now = bpf_ktime_get_ns();
	__u64 report = p->report_ns;

	/* Signed: a report stamped just after this program read the clock. */
	if (!report || (__s64)(now - report) > (__s64)p->stale_ns) {
		count(CLONE_COPY_NO_REPORTS, 1);
		return true;
	}
	if ((__s64)(p->copy_until_ns - now) > 0) {
		count(CLONE_COPY_LOSS, 1);
		return true;
	}
	if (p->sample_shift < COPY_NO_SAMPLES && !(bpf_get_prandom_u32() & ((1U << p->sample_shift) - 1))) {
		count(CLONE_COPY_SAMPLE, 1);
		return true;
	}
	count(CLONE_QUIET, 1);
	return false;
}

/* Whether the peer's copy policy lets this data packet (len IP bytes) be
 * copied. addr: the peer's address as in struct copy_key.
 */
static __always_inline bool policy_allows(const __be32 addr[4], __u32 len)
{
	struct copy_key key = {};
	struct copy_policy *p;

	__builtin_memcpy(key.addr, addr, sizeof(key.addr));
	p = bpf_map_lookup_elem(&copy, &key);
	if (!p)
		return true;
	switch (p->mode) {
	case COPY_BUDGET:
		return budget_allows(p, &key, len);
	case COPY_ADAPTIVE:
		return adaptive_allows(p);
	default:
		return true;
	}
}

static __always_inline __u32 class_counter(enum pptp_class class)
{
	switch (class) {
	case PPTP_GRE_DATA:
		return CLONE_MATCH_GRE_DATA;
	case PPTP_GRE_LCP_ECHO:
		return CLONE_MATCH_GRE_LCP_ECHO;
	default:
		return CLONE_MATCH_PPTP_ECHO;
	}
}

/* The copy is taken from the packet as it is when bpf_clone_redirect() runs,
 * so the source is rewritten just before and put back just after. Writing
 * to a packet that has been cloned first gives it a private copy of its
 * header (skb_ensure_writable), so the put-back never reaches the copy.
 */
static __always_inline long clone_with_snat(struct __sk_buff *skb, const struct ipv4_pkt *pkt)
{
	struct rewrite_undo undo = {};
	long ret;

	if (save_for_rewrite(skb, pkt, IPV4_SADDR_OFF, &undo))
		return -1;
	if (rewrite_ipv4_addr(skb, pkt, IPV4_SADDR_OFF, snat_private, snat_public)) {
		undo_rewrite(skb, pkt, &undo);
		return -1;
	}
	ret = bpf_clone_redirect(skb, clone_ifindex, 0);
	if (undo_rewrite(skb, pkt, &undo))
		count(CLONE_SNAT_ERRORS, 1);
	if (ret == 0)
		count(CLONE_SNAT, 1);
	return ret;
}

static __always_inline void count_clone(long ret, __u32 len)
{
	if (ret == 0) {
		count(CLONE_CLONED, 1);
		count(CLONE_CLONED_BYTES, len);
	} else if (ret < 0) {
		count(CLONE_ERRORS, 1);
	} else {
		count(CLONE_XMIT_DROPS, 1);
	}
}

static __always_inline void clone_to_target(struct __sk_buff *skb, const struct ipv4_pkt *pkt)
{
	/* The copy leaves without the MAC header: what the target sends. */
	__u32 len = skb->len - pkt->l3;
	long ret;

	if (clone_mtu && len > clone_mtu)
		count(CLONE_OVER_MTU, 1);
	if (snat_private && pkt->saddr == snat_private) {
		ret = clone_with_snat(skb, pkt);
		if (ret == -1) {
			count(CLONE_SNAT_ERRORS, 1);
			return;
		}
	} else {
		ret = bpf_clone_redirect(skb, clone_ifindex, 0);
	}
	count_clone(ret, len);
}

static __always_inline __u32 wg_counter(enum wg_class class)
{
	switch (class) {
	case WG_CLASS_INITIATION:
		return CLONE_MATCH_WG_INITIATION;
	case WG_CLASS_RESPONSE:
		return CLONE_MATCH_WG_RESPONSE;
	case WG_CLASS_COOKIE:
		return CLONE_MATCH_WG_COOKIE;
	default:
		return CLONE_MATCH_WG_DATA;
	}
}

/* The WireGuard profile. A peer is an endpoint: the server's port as the
 * destination port (a client's packets to its server) or as the source
 * port (the server's packets to a client, whose port its NAT chose). The
 * address entry comes first, so other traffic costs one lookup.
 */
static __always_inline int clone_wireguard(struct __sk_buff *skb)
{
	struct wg_peer_key key = {};
	struct ip_pkt pkt = {};
	struct udphdr uh;
	enum wg_class class;
	__u8 version;
	__u32 l3, len;

	if (l3_offset_ip(skb, l3_device, &l3, &version)) {
		count(CLONE_NOT_IP, 1);
		return TC_ACT_UNSPEC;
	}
	switch (parse_ip(skb, l3, version, &pkt)) {
	case IP_OK:
		break;
	case IP_NOT_IP:
		count(CLONE_NOT_IP, 1);
		return TC_ACT_UNSPEC;
	default:
		count(CLONE_MALFORMED, 1);
		return TC_ACT_UNSPEC;
	}
	__builtin_memcpy(key.addr, pkt.daddr, sizeof(key.addr));
	if (!bpf_map_lookup_elem(&wg_peers, &key)) {
		count(CLONE_NO_PEER, 1);
		return TC_ACT_UNSPEC;
	}
	switch (ipv6_skip_ext(skb, &pkt)) {
	case IP_OK:
		break;
	case IP_EXT_LIMIT:
		count(CLONE_NO_MATCH, 1);
		return TC_ACT_UNSPEC;
	default:
		count(CLONE_MALFORMED, 1);
		return TC_ACT_UNSPEC;
	}
	if (pkt.fragment) {
		count(CLONE_FRAGMENT, 1);
		return TC_ACT_UNSPEC;
	}
	if (pkt.protocol != IPPROTO_UDP || wg_udp(skb, &pkt, &uh)) {
		count(CLONE_NO_MATCH, 1);
		return TC_ACT_UNSPEC;
	}
	/* Port 0 is the address entry's key, never an endpoint's. */
	key.port = uh.dest;
	if (!uh.dest || !bpf_map_lookup_elem(&wg_peers, &key)) {
		key.port = uh.source;
		if (!uh.source || !bpf_map_lookup_elem(&wg_peers, &key)) {
			count(CLONE_NO_MATCH, 1);
			return TC_ACT_UNSPEC;
		}
	}
	class = classify_wg(skb, &pkt, &uh);
	if (class == WG_NONE) {
		count(CLONE_NO_MATCH, 1);
		return TC_ACT_UNSPEC;
	}
	if (class == WG_CLASS_MALFORMED) {
		count(CLONE_MALFORMED, 1);
		return TC_ACT_UNSPEC;
	}
	count(wg_counter(class), 1);
	len = skb->len - pkt.l3;
	count(CLONE_MATCHED_BYTES, len);
	if (class == WG_CLASS_DATA && !policy_allows(pkt.daddr, len))
		return TC_ACT_UNSPEC;
	if (clone_mtu && len > clone_mtu)
		count(CLONE_OVER_MTU, 1);
	count_clone(bpf_clone_redirect(skb, clone_ifindex, 0), len);
	return TC_ACT_UNSPEC;
}

SEC("tc")
int dupgre_clone(struct __sk_buff *skb)
{
	struct ipv4_pkt pkt = {};
	enum pptp_class class;
	__u32 l3;

	count(CLONE_SEEN, 1);
	if (tunnel == DUPGRE_TUNNEL_WIREGUARD)
		return clone_wireguard(skb);
	if (l3_offset(skb, l3_device, &l3)) {
		count(CLONE_NOT_IPV4, 1);
		return TC_ACT_UNSPEC;
	}
	switch (parse_ipv4(skb, l3, &pkt)) {
	case IPV4_OK:
		break;
	case IPV4_NOT_IPV4:
		count(CLONE_NOT_IPV4, 1);
		return TC_ACT_UNSPEC;
	default:
		count(CLONE_MALFORMED, 1);
		return TC_ACT_UNSPEC;
	}
	if (!bpf_map_lookup_elem(&peers, &pkt.daddr)) {
		count(CLONE_NO_PEER, 1);
		return TC_ACT_UNSPEC;
	}
	/* The guide tees in mangle OUTPUT, before fragmentation. Here a
	 * fragment means an MTU is too small: count it, never parse it.
	 */
	if (ipv4_is_fragment(&pkt)) {
		count(CLONE_FRAGMENT, 1);
		return TC_ACT_UNSPEC;
	}

	class = classify_pptp(skb, &pkt);
	if (class == PPTP_NONE) {
		count(CLONE_NO_MATCH, 1);
		return TC_ACT_UNSPEC;
	}
	if (class == PPTP_MALFORMED) {
		count(CLONE_MALFORMED, 1);
		return TC_ACT_UNSPEC;
	}
	count(class_counter(class), 1);
	count(CLONE_MATCHED_BYTES, skb->len - pkt.l3);
	if (class == PPTP_GRE_DATA) {
		__be32 mapped[4] = {0, 0, bpf_htonl(0xffff), pkt.daddr};

		if (!policy_allows(mapped, skb->len - pkt.l3))
			return TC_ACT_UNSPEC;
	}
	clone_to_target(skb, &pkt);
	return TC_ACT_UNSPEC;
}
