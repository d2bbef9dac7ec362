/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Shared by bpf/clone.bpf.c and user space: map layouts and counter indices.
 * Plain C with fixed-width types only, so both sides compile the same bytes.
 */
#ifndef DUPGRE_CLONE_H
#define DUPGRE_CLONE_H

#include <linux/types.h>

/* Peers per attached device. The guide adds one OUTPUT rule per connected
 * client; a primary with 10 000 clients must fit, with room to spare.
 */
#define DUPGRE_MAX_PEERS 16384

/* Index into the per-CPU "stats" array; each entry is a __u64 per CPU. */
enum clone_counter {
	CLONE_SEEN,		/* packets the program ran on */
	CLONE_NOT_IPV4,		/* not IPv4 (IPv6, ARP, ...) */
	CLONE_MALFORMED,	/* IPv4 to a peer with a bad IHL/length, or TCP 1723 with data offset < 5 */
	CLONE_NO_PEER,		/* IPv4 whose destination is not a peer */
	CLONE_FRAGMENT,		/* IPv4 fragment to a peer: never parsed, never cloned */
	CLONE_NO_MATCH,		/* to a peer, but not a packet the guide's rules tee */
	CLONE_MATCH_GRE_DATA,	/* GRE carrying FD / FF 03 00 FD (MPPE data) */
	CLONE_MATCH_GRE_LCP_ECHO, /* GRE carrying LCP Echo-Request/Reply */
	CLONE_MATCH_PPTP_ECHO,	/* TCP 1723 PPTP Echo-Request/Reply */
	CLONE_CLONED,		/* copies handed to the clone target */
	CLONE_CLONED_BYTES,	/* their IPv4 bytes */
	CLONE_ERRORS,		/* bpf_clone_redirect() < 0: no copy (e.g. target gone) */
	CLONE_XMIT_DROPS,	/* bpf_clone_redirect() > 0: NET_XMIT_DROP/CN from the target's queue */
	CLONE_OVER_MTU,		/* copies larger than the target's MTU when attached */
	CLONE_SNAT,		/* copies whose source was rewritten PRIVATE -> PUBLIC */
	CLONE_SNAT_ERRORS,	/* rewrite helpers failed: that copy not sent */
	CLONE_COUNTER_MAX,
};

/* What user space records about one attachment, in the pinned "info" map.
 * The program itself never reads it: its configuration is in .rodata.
 */
struct clone_info {
	__u32 ifindex;		/* device the program is attached to (egress) */
	__u32 target_ifindex;	/* clone target when attached */
	__u32 target_mtu;
	__u32 prog_id;
	__u8 attached;		/* 0: peers configured, program not attached */
	__u8 l3_device;		/* device has no MAC header (ppp, tun) */
	__u8 pad[2];
	char target_name[16];	/* IFNAMSIZ */
	__u32 snat_private;	/* network byte order; 0: no NAT fix */
	__u32 snat_public;
};

#endif /* DUPGRE_CLONE_H */
