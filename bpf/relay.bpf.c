// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* TC ingress on the secondary's dual links: a copy addressed to a registered
 * peer leaves straight out of that peer's link, source untouched (the
 * receiving PPTP stack matches the call by source address). This replaces
 * the guide's fwmark + "ip rule" + routing table. A copy for a site with no
 * link is dropped, where the guide's routing falls back to the main table.
 * Anything else on the link goes on to the stack unchanged.
 *
 * Dual links are ppp (or tun) devices: the IPv4 header is at offset 0.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include "dupgre/relay.h"
#include "parse.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DUPGRE_MAX_RELAY_PEERS);
	__type(key, __u32);	/* IPv4 address, network byte order */
	__type(value, struct relay_peer);
} peers SEC(".maps");

/* Per-CPU: each CPU increments only its own copy, no atomics needed. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, DUPGRE_MAX_RELAY_LINKS);
	__type(key, __u32);	/* ifindex of the link the packet entered by */
	__type(value, struct relay_counters);
} stats SEC(".maps");

/* Written and read by user space only (see struct relay_link). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DUPGRE_MAX_RELAY_LINKS);
	__type(key, __u32);
	__type(value, struct relay_link);
} links SEC(".maps");

/* TTL and protocol share one 16-bit word of the header checksum. */
static __always_inline int decrement_ttl(struct __sk_buff *skb, __u8 ttl, __u8 protocol)
{
	__be16 old = bpf_htons(ttl << 8 | protocol);
	__be16 new = bpf_htons((ttl - 1) << 8 | protocol);
	__u8 new_ttl = ttl - 1;

	if (bpf_l3_csum_replace(skb, offsetof(struct iphdr, check), old, new, sizeof(new)))
		return -1;
	return bpf_skb_store_bytes(skb, offsetof(struct iphdr, ttl), &new_ttl, 1, 0);
}

SEC("tc")
int dupgre_relay(struct __sk_buff *skb)
{
	__u32 ifindex = skb->ingress_ifindex;
	struct relay_counters *c = bpf_map_lookup_elem(&stats, &ifindex);
	struct ipv4_pkt pkt = {};
	struct relay_peer *peer;
	__u8 ttl;
	long ret;

	if (!c)
		return TC_ACT_UNSPEC;	/* a link being unregistered right now */
	c->c[RELAY_SEEN]++;
	if (parse_ipv4(skb, 0, &pkt) != IPV4_OK) {
		c->c[RELAY_NOT_IPV4]++;
		return TC_ACT_UNSPEC;
	}
	peer = bpf_map_lookup_elem(&peers, &pkt.daddr);
	if (!peer) {
		/* A site's copy for a site whose link is down. Routed, it would
		 * leave by this server's WAN with another site's source address
		 * and, where no provider filters that, reach a receiver that
		 * detached its duplicate elimination with the link.
		 */
		if (bpf_map_lookup_elem(&peers, &pkt.saddr)) {
			c->c[RELAY_NO_LINK]++;
			return TC_ACT_SHOT;
		}
		c->c[RELAY_NO_PEER]++;
		return TC_ACT_UNSPEC;
	}
	if (peer->ifindex == ifindex) {
		c->c[RELAY_LOOP]++;
		return TC_ACT_UNSPEC;
	}
	if (bpf_skb_load_bytes(skb, offsetof(struct iphdr, ttl), &ttl, 1) || ttl <= 1) {
		c->c[RELAY_TTL_EXPIRED]++;
		return TC_ACT_SHOT;
	}
	if (decrement_ttl(skb, ttl, pkt.protocol)) {
		c->c[RELAY_REDIRECT_ERRORS]++;
		return TC_ACT_SHOT;
	}
	ret = bpf_redirect(peer->ifindex, 0);
	if (ret != TC_ACT_REDIRECT) {
		c->c[RELAY_REDIRECT_ERRORS]++;
		return TC_ACT_SHOT;
	}
	c->c[RELAY_RELAYED]++;
	c->c[RELAY_RELAYED_BYTES] += skb->len;
	return ret;
}
