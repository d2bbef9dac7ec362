/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Shared by bpf/relay.bpf.c and user space. */
#ifndef DUPGRE_RELAY_H
#define DUPGRE_RELAY_H

#include <linux/types.h>

/* A secondary serves a few primaries and many clients; each is one peer. */
#define DUPGRE_MAX_RELAY_PEERS 4096
#define DUPGRE_MAX_RELAY_LINKS 1024

/* Value of the "peers" map, keyed by the site's public IPv4 address. */
struct relay_peer {
	__u32 ifindex;	/* the dual link that leads to the site */
};

enum relay_counter {
	RELAY_SEEN,		/* packets entering from the link */
	RELAY_NOT_IPV4,		/* not IPv4, or a malformed header: left to the stack */
	RELAY_NO_PEER,		/* to no registered peer: left to the stack */
	RELAY_NO_LINK,		/* from a peer to an address with no link: dropped */
	RELAY_LOOP,		/* to the peer behind this very link: left to the stack */
	RELAY_TTL_EXPIRED,	/* TTL <= 1: dropped, as a router would */
	RELAY_RELAYED,		/* sent out of the destination's link */
	RELAY_RELAYED_BYTES,
	RELAY_REDIRECT_ERRORS,	/* bpf_redirect() refused: dropped */
	RELAY_COUNTER_MAX,
};

/* Value of the per-CPU "stats" hash, keyed by the ingress link's ifindex. */
struct relay_counters {
	__u64 c[RELAY_COUNTER_MAX];
};

/* Value of the "links" hash, keyed by ifindex: user space's record of a
 * registered link. The program never reads it.
 */
struct relay_link {
	char name[16];		/* IFNAMSIZ */
};

#endif /* DUPGRE_RELAY_H */
