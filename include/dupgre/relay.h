/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Shared by bpf/relay.bpf.c and user space. */
#ifndef DUPGRE_RELAY_H
#define DUPGRE_RELAY_H

#include <linux/types.h>

#include "dupgre/layout.h"

/* A secondary serves a few primaries and many clients; each is one peer. */
#define DUPGRE_MAX_RELAY_PEERS 4096
#define DUPGRE_MAX_RELAY_LINKS 1024

/* Key of the "peers" map: a site's public address, IPv4 or IPv6, 16 bytes
 * in network byte order, an IPv4 one IPv4-mapped (::ffff:a.b.c.d) as
 * eliminate's stream key and the loader's IpAddr hold it. One address is
 * one site.
 */
struct relay_site {
	__be32 addr[4];
};
DUPGRE_ASSERT_SIZE(struct relay_site, 16);

/* Value of the "peers" map. */
struct relay_peer {
	__u32 ifindex;	/* the dual link that leads to the site */
};
DUPGRE_ASSERT_SIZE(struct relay_peer, 4);

/* The relay's counters (see layout.h), in the per-CPU "stats" hash: one
 * row per link, keyed by the ifindex of the link the packet entered by.
 * Each packet counts in seen and in exactly one of the results (relayed
 * ones also in relayed_bytes), decided in this order: not_ip (by the link's
 * protocol, skb->protocol); malformed; v4_mapped; a site registered on this
 * link to a registered site: loop, ttl_expired, redirect_errors or relayed;
 * anything else for a registered site: stranger; then the kernel's route
 * lookup: to_host, lookup_failed, and what would be routed onwards, no_link
 * (from a site on this link) or stranger.
 */
#define RELAY_COUNTERS(X) \
	X(RELAY_SEEN, seen, seen_packets, "packets entering from the link") \
	X(RELAY_NOT_IP, not_ip, packets, \
	  "the link delivered neither IPv4 nor IPv6 (ARP, MPLS...), never handed to IP: left to the stack") \
	X(RELAY_MALFORMED, malformed, packets, \
	  "IP by the link's protocol, but another version, a bad header, a length beyond the packet, or IPv6 payload length 0: dropped") \
	X(RELAY_V4_MAPPED, v4_mapped, packets, \
	  "IPv6 with an IPv4-mapped address (::ffff:0:0/96), which no site has: dropped") \
	X(RELAY_TO_HOST, to_host, packets, \
	  "for no site, and the stack would not forward it (for this host, or forwarding off): left to the stack") \
	X(RELAY_STRANGER, stranger, packets, \
	  "not from a site registered on this link, for a site or to be routed onwards: dropped") \
	X(RELAY_NO_LINK, no_link, packets, \
	  "from a site on this link to an address with no link, not this host: dropped") \
	X(RELAY_LOOP, loop, packets, "from a site to its own address: dropped") \
	X(RELAY_TTL_EXPIRED, ttl_expired, packets, "TTL or hop limit <= 1: dropped, as a router would") \
	X(RELAY_RELAYED, relayed, packets, "sent out of the destination's link (the same one for another site behind it)") \
	X(RELAY_RELAYED_BYTES, relayed_bytes, relayed_bytes, "their bytes") \
	X(RELAY_REDIRECT_ERRORS, redirect_errors, packets, "bpf_redirect() or the TTL rewrite failed: dropped") \
	X(RELAY_LOOKUP_FAILED, lookup_failed, packets, "for no site, bpf_fib_lookup() failed: left to the stack")

#define RELAY_FAMILIES(F) \
	F(seen_packets, "", device, "Packets entering a dual link the relay runs on.") \
	F(packets, "result", device, "Packets entering a dual link, by what the relay did with them.") \
	F(relayed_bytes, "", device, "Bytes the relay sent out of their destination's link.")

enum relay_counter {
	RELAY_COUNTERS(DUPGRE_COUNTER_ENUM)
	RELAY_COUNTER_MAX,
};

struct relay_counters {
	__u64 c[RELAY_COUNTER_MAX];
};

/* Value of the "links" hash, keyed by ifindex: user space's record of a
 * registered link. The program reads ipv6_forwards only.
 *
 * ipv6_forwards: whether the stack forwards IPv6 that enters by this link,
 * by the kernel's own rule (ip6_forward): net.ipv6.conf.all.forwarding, or
 * (Linux >= 6.17) the link's force_forwarding. The link's own
 * net.ipv6.conf.<link>.forwarding, which bpf_fib_lookup() checks, does not
 * decide that. User space writes it whenever a link is registered, for every
 * registered link (see RelayState::add).
 */
struct relay_link {
	char name[16];		/* IFNAMSIZ */
	__u32 ipv6_forwards;	/* 0 or 1 */
};
DUPGRE_ASSERT_SIZE(struct relay_link, 20);
DUPGRE_ASSERT_OFFSET(struct relay_link, ipv6_forwards, 16);

#endif /* DUPGRE_RELAY_H */
