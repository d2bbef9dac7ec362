/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The IPv4, TCP and UDP headers and protocol numbers the programs read,
 * declared here instead of taken from <linux/in.h>, <linux/ip.h>,
 * <linux/tcp.h> and <linux/udp.h>.
 *
 * Why: those UAPI headers include <asm/byteorder.h> to pick the byte order
 * of their bit-fields (iphdr's ihl/version, tcphdr's doff and flags). The
 * OpenWrt SDK compiles BPF with -target bpfel/bpfeb against a MIPS kernel's
 * UAPI headers for every target (bpf.mk's BPF_KARCH), whose asm/byteorder.h
 * stops with "#error MIPS, but neither __MIPSEB__, nor __MIPSEL__???" as no
 * MIPS compiler macro is set for a BPF target. Defining __MIPSEB__ or
 * __MIPSEL__ from __BYTE_ORDER__ would work for MIPS headers only, and the
 * bit-field order would still depend on the headers' arch guessing ours.
 * Declared here, the layouts are plain bytes: the same for bpfel and bpfeb,
 * with whatever arch's UAPI headers (only <linux/types.h> and friends are
 * needed, which are byte-order free). The offsets are the wire format's and
 * the kernel's (asserted below), so offsetof() works as with the UAPI ones.
 */
#ifndef DUPGRE_NET_HDR_H
#define DUPGRE_NET_HDR_H

#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* These names would clash with the UAPI headers' ones: include one or the
 * other (and the UAPI ones do not build in the OpenWrt SDK, see above).
 */
#if defined(_LINUX_IP_H) || defined(_UAPI_LINUX_IP_H) || defined(_LINUX_TCP_H) || \
	defined(_UAPI_LINUX_TCP_H) || defined(_LINUX_IN_H) || defined(_UAPI_LINUX_IN_H) || \
	defined(_IPV6_H) || defined(_UAPI_IPV6_H)
#error "net_hdr.h replaces <linux/in.h>, <linux/ip.h>, <linux/ipv6.h> and <linux/tcp.h>: include only one"
#endif

#define IPPROTO_TCP	6
#define IPPROTO_UDP	17
#define IPPROTO_GRE	47
/* IPv6 extension headers the WireGuard classifier follows. */
#define IPPROTO_HOPOPTS		0
#define IPPROTO_ROUTING		43
#define IPPROTO_FRAGMENT	44
#define IPPROTO_DSTOPTS		60

struct iphdr {
	__u8 ver_ihl;	/* version in the high nibble, header length in words in the low */
	__u8 tos;
	__be16 tot_len;
	__be16 id;
	__be16 frag_off;
	__u8 ttl;
	__u8 protocol;
	__sum16 check;
	__be32 saddr;
	__be32 daddr;
};

static __always_inline __u8 iph_version(const struct iphdr *iph)
{
	return iph->ver_ihl >> 4;
}

/* In 32-bit words, as on the wire. */
static __always_inline __u8 iph_ihl(const struct iphdr *iph)
{
	return iph->ver_ihl & 0x0f;
}

/* The fixed IPv6 header; the version is the high nibble of the first byte. */
struct ipv6hdr {
	__u8 ver_tc;
	__u8 tc_flow;
	__be16 flow_lbl;
	__be16 payload_len;
	__u8 nexthdr;
	__u8 hop_limit;
	__be32 saddr[4];
	__be32 daddr[4];
};

struct tcphdr {
	__be16 source;
	__be16 dest;
	__be32 seq;
	__be32 ack_seq;
	__u8 doff_res;	/* data offset in words in the high nibble */
	__u8 flags;
	__be16 window;
	__sum16 check;
	__be16 urg_ptr;
};

/* In 32-bit words, as on the wire. */
static __always_inline __u8 tcph_doff(const struct tcphdr *th)
{
	return th->doff_res >> 4;
}

struct udphdr {
	__be16 source;
	__be16 dest;
	__be16 len;
	__sum16 check;
};

_Static_assert(sizeof(struct iphdr) == 20, "IPv4 header without options");
_Static_assert(__builtin_offsetof(struct iphdr, ttl) == 8, "iphdr.ttl");
_Static_assert(__builtin_offsetof(struct iphdr, check) == 10, "iphdr.check");
_Static_assert(__builtin_offsetof(struct iphdr, saddr) == 12, "iphdr.saddr");
_Static_assert(__builtin_offsetof(struct iphdr, daddr) == 16, "iphdr.daddr");
_Static_assert(sizeof(struct ipv6hdr) == 40, "IPv6 header");
_Static_assert(__builtin_offsetof(struct ipv6hdr, nexthdr) == 6, "ipv6hdr.nexthdr");
_Static_assert(__builtin_offsetof(struct ipv6hdr, saddr) == 8, "ipv6hdr.saddr");
_Static_assert(__builtin_offsetof(struct ipv6hdr, daddr) == 24, "ipv6hdr.daddr");
_Static_assert(sizeof(struct tcphdr) == 20, "TCP header without options");
_Static_assert(__builtin_offsetof(struct tcphdr, doff_res) == 12, "tcphdr data offset");
_Static_assert(__builtin_offsetof(struct tcphdr, check) == 16, "tcphdr.check");
_Static_assert(sizeof(struct udphdr) == 8, "UDP header");
_Static_assert(__builtin_offsetof(struct udphdr, check) == 6, "udphdr.check");

#endif /* DUPGRE_NET_HDR_H */
