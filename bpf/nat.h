/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Rewriting an IPv4 address in place, for the NAT fix of servers behind 1:1
 * NAT (the guide's xtables-addons RAWSNAT/RAWDNAT, stateless like them).
 */
#ifndef DUPGRE_NAT_BPF_H
#define DUPGRE_NAT_BPF_H

#include <stddef.h>
#include "parse.h"

#define IPV4_SADDR_OFF offsetof(struct iphdr, saddr)
#define IPV4_DADDR_OFF offsetof(struct iphdr, daddr)
#define IPV4_CSUM_OFF offsetof(struct iphdr, check)

/* Where the transport checksum that covers the addresses (through the
 * pseudo-header) is, or 0: other protocols, and fragments after the first,
 * carry none.
 */
static __always_inline __u32 l4_csum_offset(const struct ipv4_pkt *pkt, __u64 *flags)
{
	__u32 off;

	if (pkt->frag_off & IP_OFFSET)
		return 0;
	switch (pkt->protocol) {
	case IPPROTO_TCP:
		off = pkt->l4 + offsetof(struct tcphdr, check);
		break;
	case IPPROTO_UDP:
		off = pkt->l4 + offsetof(struct udphdr, check);
		*flags |= BPF_F_MARK_MANGLED_0;	/* 0: no UDP checksum, keep it */
		break;
	default:
		return 0;
	}
	return off + 2 <= pkt->end ? off : 0;
}

/* Rewrites the address at l3 + addr_off (saddr or daddr) from "from" to
 * "to", with the IPv4 header checksum and the TCP/UDP one kept correct.
 */
static __always_inline int rewrite_ipv4_addr(struct __sk_buff *skb, const struct ipv4_pkt *pkt,
					     __u32 addr_off, __be32 from, __be32 to)
{
	__u64 flags = BPF_F_PSEUDO_HDR | sizeof(to);
	__u32 l4_csum = l4_csum_offset(pkt, &flags);

	if (l4_csum && bpf_l4_csum_replace(skb, l4_csum, from, to, flags))
		return -1;
	if (bpf_l3_csum_replace(skb, pkt->l3 + IPV4_CSUM_OFF, from, to, sizeof(to)))
		return -1;
	return bpf_skb_store_bytes(skb, pkt->l3 + addr_off, &to, sizeof(to), 0);
}

/* The bytes a rewrite changes, to put back afterwards exactly as they were
 * (not by the inverse rewrite, which may turn a 0xffff checksum into 0).
 */
struct rewrite_undo {
	__be32 addr;
	__u16 ip_csum;
	__u16 l4_csum;
	__u32 l4_csum_off;
	__u32 addr_off;
};

static __always_inline int save_for_rewrite(struct __sk_buff *skb, const struct ipv4_pkt *pkt,
					    __u32 addr_off, struct rewrite_undo *undo)
{
	__u64 flags = 0;

	undo->addr_off = addr_off;
	undo->l4_csum_off = l4_csum_offset(pkt, &flags);
	if (bpf_skb_load_bytes(skb, pkt->l3 + addr_off, &undo->addr, 4) ||
	    bpf_skb_load_bytes(skb, pkt->l3 + IPV4_CSUM_OFF, &undo->ip_csum, 2))
		return -1;
	if (undo->l4_csum_off && bpf_skb_load_bytes(skb, undo->l4_csum_off, &undo->l4_csum, 2))
		return -1;
	return 0;
}

static __always_inline int undo_rewrite(struct __sk_buff *skb, const struct ipv4_pkt *pkt,
					const struct rewrite_undo *undo)
{
	int err = bpf_skb_store_bytes(skb, pkt->l3 + undo->addr_off, &undo->addr, 4, 0);

	err |= bpf_skb_store_bytes(skb, pkt->l3 + IPV4_CSUM_OFF, &undo->ip_csum, 2, 0);
	if (undo->l4_csum_off)
		err |= bpf_skb_store_bytes(skb, undo->l4_csum_off, &undo->l4_csum, 2, 0);
	return err;
}

#endif /* DUPGRE_NAT_BPF_H */
