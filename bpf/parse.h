/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Packet parsing for dupgre's TC programs.
 *
 * Every read goes through bpf_skb_load_bytes(): it is bounds-checked by the
 * kernel, works on non-linear skbs (TCP payload often sits in page frags)
 * and never trips the verifier's alignment rules on the strict-alignment
 * CPUs many OpenWrt routers have. "end" is the end of the IPv4 packet, so a
 * read past it is a miss exactly as u32's "word not inside the packet" is.
 */
#ifndef DUPGRE_PARSE_H
#define DUPGRE_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "net_hdr.h"

#define IP_MF		0x2000
#define IP_OFFSET	0x1fff
#define VLAN_HLEN	4

struct ipv4_pkt {
	__u32 l3;	/* offset of the IPv4 header from skb->data */
	__u32 l4;	/* offset of the transport header */
	__u32 end;	/* end of the IPv4 packet: l3 + tot_len, clamped to skb->len */
	__u32 saddr;	/* network byte order */
	__u32 daddr;	/* network byte order */
	__u16 frag_off;	/* host byte order, flags included */
	__u8 protocol;
};

enum ipv4_parse {
	IPV4_OK,
	IPV4_NOT_IPV4,
	IPV4_MALFORMED,
};

/* Reads len bytes at off if [off, off + len) lies inside [0, end). */
static __always_inline int load_in(struct __sk_buff *skb, __u32 off, __u32 end,
				   void *to, __u32 len)
{
	if (off > end || end - off < len)
		return -1;
	return bpf_skb_load_bytes(skb, off, to, len);
}

static __always_inline int load_be32(struct __sk_buff *skb, __u32 off, __u32 end,
				     __u32 *val)
{
	__be32 raw;

	if (load_in(skb, off, end, &raw, sizeof(raw)))
		return -1;
	*val = bpf_ntohl(raw);
	return 0;
}

/* Offset of the network header: 0 on devices without a MAC header (ppp,
 * pppoe-wan, tun), else after Ethernet and up to two 802.1Q/802.1ad tags
 * that are in the packet data (not offloaded to skb->vlan_tci).
 */
static __always_inline int l3_offset(struct __sk_buff *skb, bool l3_device, __u32 *l3)
{
	__be16 proto;
	__u32 off = ETH_HLEN;

	if (l3_device) {
		*l3 = 0;
		return 0;
	}
	if (bpf_skb_load_bytes(skb, offsetof(struct ethhdr, h_proto), &proto, sizeof(proto)))
		return -1;
#pragma unroll
	for (int i = 0; i < 2; i++) {
		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
			break;
		/* The tag's TCI is followed by the encapsulated EtherType. */
		if (bpf_skb_load_bytes(skb, off + 2, &proto, sizeof(proto)))
			return -1;
		off += VLAN_HLEN;
	}
	if (proto != bpf_htons(ETH_P_IP))
		return -1;
	*l3 = off;
	return 0;
}

/* Fills pkt from the IPv4 header at l3. The header length (IHL) and total
 * length are checked on their own: a header the IP stack would reject is
 * IPV4_MALFORMED, never parsed further.
 */
static __always_inline enum ipv4_parse parse_ipv4(struct __sk_buff *skb, __u32 l3,
						  struct ipv4_pkt *pkt)
{
	struct iphdr iph;
	__u32 hlen, tot_len;

	if (bpf_skb_load_bytes(skb, l3, &iph, sizeof(iph))) {
		/* Shorter than an IPv4 header: malformed if it claims to be one. */
		__u8 first;

		if (bpf_skb_load_bytes(skb, l3, &first, 1) || first >> 4 != 4)
			return IPV4_NOT_IPV4;
		return IPV4_MALFORMED;
	}
	if (iph_version(&iph) != 4)
		return IPV4_NOT_IPV4;
	hlen = iph_ihl(&iph) * 4;
	tot_len = bpf_ntohs(iph.tot_len);
	if (hlen < sizeof(iph) || tot_len < hlen)
		return IPV4_MALFORMED;

	pkt->l3 = l3;
	pkt->l4 = l3 + hlen;
	pkt->end = l3 + tot_len;
	if (pkt->end > skb->len)
		pkt->end = skb->len;
	if (pkt->l4 > pkt->end)
		return IPV4_MALFORMED;
	pkt->saddr = iph.saddr;
	pkt->daddr = iph.daddr;
	pkt->frag_off = bpf_ntohs(iph.frag_off);
	pkt->protocol = iph.protocol;
	return IPV4_OK;
}

static __always_inline bool ipv4_is_fragment(const struct ipv4_pkt *pkt)
{
	return pkt->frag_off & (IP_MF | IP_OFFSET);
}

#endif /* DUPGRE_PARSE_H */
