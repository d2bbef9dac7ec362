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
/* IPv6 extension headers followed; one more is IP_EXT_LIMIT. */
#define IPV6_MAX_EXT_HEADERS	6

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

/* The EtherType after Ethernet and up to two 802.1Q/802.1ad tags that are
 * in the packet data (not offloaded to skb->vlan_tci), and its offset.
 */
static __always_inline int eth_payload(struct __sk_buff *skb, __be16 *proto, __u32 *off)
{
	*off = ETH_HLEN;
	if (bpf_skb_load_bytes(skb, offsetof(struct ethhdr, h_proto), proto, sizeof(*proto)))
		return -1;
#pragma unroll
	for (int i = 0; i < 2; i++) {
		if (*proto != bpf_htons(ETH_P_8021Q) && *proto != bpf_htons(ETH_P_8021AD))
			break;
		/* The tag's TCI is followed by the encapsulated EtherType. */
		if (bpf_skb_load_bytes(skb, *off + 2, proto, sizeof(*proto)))
			return -1;
		*off += VLAN_HLEN;
	}
	return 0;
}

/* Offset of the IPv4 header: 0 on devices without a MAC header (ppp,
 * pppoe-wan, tun), else after Ethernet and its tags; -1 if not IPv4.
 */
static __always_inline int l3_offset(struct __sk_buff *skb, bool l3_device, __u32 *l3)
{
	__be16 proto;
	__u32 off;

	if (l3_device) {
		*l3 = 0;
		return 0;
	}
	if (eth_payload(skb, &proto, &off) || proto != bpf_htons(ETH_P_IP))
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

/* IPv4 or IPv6, for the WireGuard profile. Addresses are 16 bytes, IPv4
 * ones IPv4-mapped (::ffff:a.b.c.d), as the maps key them.
 */
struct ip_pkt {
	__u32 l3;
	__u32 l4;		/* the transport header, after any IPv6 extension headers */
	__u32 end;		/* end of the IP packet, clamped to skb->len */
	__be32 saddr[4];
	__be32 daddr[4];
	__u8 version;		/* 4 or 6 */
	__u8 protocol;		/* IPv6: the next header after the fixed header, then the last one */
	bool fragment;		/* IPv4 MF or offset, or an IPv6 fragment header */
};

enum ip_parse {
	IP_OK,
	IP_NOT_IP,
	IP_MALFORMED,
	IP_EXT_LIMIT,		/* IPv6 extension headers beyond IPV6_MAX_EXT_HEADERS */
};

/* Offset of the IP header and its version (4 or 6): on L3 devices from
 * the first nibble, else from the EtherType; -1 if neither.
 */
static __always_inline int l3_offset_ip(struct __sk_buff *skb, bool l3_device, __u32 *l3, __u8 *version)
{
	__be16 proto;
	__u8 first;

	if (l3_device) {
		if (bpf_skb_load_bytes(skb, 0, &first, 1))
			return -1;
		*l3 = 0;
		*version = first >> 4;
		return *version == 4 || *version == 6 ? 0 : -1;
	}
	if (eth_payload(skb, &proto, l3))
		return -1;
	if (proto == bpf_htons(ETH_P_IP))
		*version = 4;
	else if (proto == bpf_htons(ETH_P_IPV6))
		*version = 6;
	else
		return -1;
	return 0;
}

static __always_inline void ipv4_mapped(__be32 *to, __be32 addr)
{
	to[0] = 0;
	to[1] = 0;
	to[2] = bpf_htonl(0x0000ffff);
	to[3] = addr;
}

/* The fixed header only: the extension headers are ipv6_skip_ext()'s. */
static __always_inline enum ip_parse parse_ipv6(struct __sk_buff *skb, __u32 l3, struct ip_pkt *pkt)
{
	struct ipv6hdr ip6;
	__u32 plen;

	if (bpf_skb_load_bytes(skb, l3, &ip6, sizeof(ip6))) {
		__u8 first;

		if (bpf_skb_load_bytes(skb, l3, &first, 1) || first >> 4 != 6)
			return IP_NOT_IP;
		return IP_MALFORMED;
	}
	if (ip6.ver_tc >> 4 != 6)
		return IP_NOT_IP;
	plen = bpf_ntohs(ip6.payload_len);
	/* 0 is a jumbogram's (RFC 2675): never a WireGuard message. */
	if (!plen)
		return IP_MALFORMED;
	pkt->l3 = l3;
	pkt->l4 = l3 + sizeof(ip6);
	pkt->end = pkt->l4 + plen;
	if (pkt->end > skb->len)
		pkt->end = skb->len;
	if (pkt->l4 > pkt->end)
		return IP_MALFORMED;
	__builtin_memcpy(pkt->saddr, ip6.saddr, sizeof(pkt->saddr));
	__builtin_memcpy(pkt->daddr, ip6.daddr, sizeof(pkt->daddr));
	pkt->version = 6;
	pkt->protocol = ip6.nexthdr;
	return IP_OK;
}

static __always_inline enum ip_parse parse_ip(struct __sk_buff *skb, __u32 l3, __u8 version,
					      struct ip_pkt *pkt)
{
	struct ipv4_pkt v4 = {};

	if (version == 6)
		return parse_ipv6(skb, l3, pkt);
	switch (parse_ipv4(skb, l3, &v4)) {
	case IPV4_OK:
		break;
	case IPV4_NOT_IPV4:
		return IP_NOT_IP;
	default:
		return IP_MALFORMED;
	}
	pkt->l3 = v4.l3;
	pkt->l4 = v4.l4;
	pkt->end = v4.end;
	ipv4_mapped(pkt->saddr, v4.saddr);
	ipv4_mapped(pkt->daddr, v4.daddr);
	pkt->version = 4;
	pkt->protocol = v4.protocol;
	pkt->fragment = ipv4_is_fragment(&v4);
	return IP_OK;
}

/* Follows IPv6 hop-by-hop, routing and destination options headers to the
 * transport header (pkt->l4, pkt->protocol); a fragment header stops the
 * walk with pkt->fragment set. A header cut short is malformed; more than
 * IPV6_MAX_EXT_HEADERS is IP_EXT_LIMIT (never guessed at). IPv4: nothing to do.
 */
static __always_inline enum ip_parse ipv6_skip_ext(struct __sk_buff *skb, struct ip_pkt *pkt)
{
	__u32 off = pkt->l4;
	__u8 nh = pkt->protocol, h[2];

	if (pkt->version != 6)
		return IP_OK;
#pragma unroll
	for (int i = 0; i <= IPV6_MAX_EXT_HEADERS; i++) {
		switch (nh) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
			/* Next header, then the length in 8-byte units, not counting the first 8. */
			if (load_in(skb, off, pkt->end, h, sizeof(h)))
				return IP_MALFORMED;
			nh = h[0];
			off += (h[1] + 1) * 8;
			if (off > pkt->end)
				return IP_MALFORMED;
			break;
		case IPPROTO_FRAGMENT:
			pkt->fragment = true;
			pkt->protocol = nh;
			pkt->l4 = off;
			return IP_OK;
		default:
			pkt->protocol = nh;
			pkt->l4 = off;
			return IP_OK;
		}
	}
	return IP_EXT_LIMIT;
}

#endif /* DUPGRE_PARSE_H */
