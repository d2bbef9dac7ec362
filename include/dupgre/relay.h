/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Shared by bpf/relay.bpf.c and user space. */
#ifndef DUPGRE_RELAY_H
#define DUPGRE_RELAY_H

#include <linux/types.h>

#include "dupgre/layout.h"

/* A secondary serves a few primaries and many clients; each is one peer. */
#define DUPGRE_MAX_RELAY_PEERS 4096
#define DUPGRE_MAX_RELAY_LINKS 1024

/* Value of the "peers" map, keyed by the site's public IPv4 address. */
struct relay_peer {
	__u32 ifindex;	/* the dual link that leads to the site */
};
DUPGRE_ASSERT_SIZE(struct relay_peer, 4);

/* The relay's counters (see layout.h), in the per-CPU "stats" hash: one
 * row per link, keyed by the ifindex of the link the packet entered by.
 */
#define RELAY_COUNTERS(X) \
	X(RELAY_SEEN, seen, seen_packets, "packets entering from the link") \
	X(RELAY_NOT_IPV4, not_ipv4, packets, "not IPv4, or a malformed header: left to the stack") \
	X(RELAY_NO_PEER, no_peer, packets, "to no registered peer: left to the stack") \
	X(RELAY_NO_LINK, no_link, packets, "from a peer to an address with no link: dropped") \
	X(RELAY_LOOP, loop, packets, "to the peer behind this very link: left to the stack") \
	X(RELAY_TTL_EXPIRED, ttl_expired, packets, "TTL <= 1: dropped, as a router would") \
	X(RELAY_RELAYED, relayed, packets, "sent out of the destination's link") \
	X(RELAY_RELAYED_BYTES, relayed_bytes, relayed_bytes, "their bytes") \
	X(RELAY_REDIRECT_ERRORS, redirect_errors, packets, "bpf_redirect() refused: dropped")

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
 * registered link. The program never reads it.
 */
struct relay_link {
	char name[16];		/* IFNAMSIZ */
};
DUPGRE_ASSERT_SIZE(struct relay_link, 16);

#endif /* DUPGRE_RELAY_H */
