/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Shared by bpf/dnat.bpf.c and user space. */
#ifndef DUPGRE_DNAT_H
#define DUPGRE_DNAT_H

#include <linux/types.h>

#include "dupgre/layout.h"

/* The NAT fix's inbound counters (see layout.h), in the per-CPU "stats"
 * array: one row, key 0.
 */
#define DNAT_COUNTERS(X) \
	X(DNAT_SEEN, seen, seen_packets, "packets entering from the link") \
	X(DNAT_REWRITTEN, rewritten, packets, "destination PUBLIC rewritten to PRIVATE") \
	X(DNAT_ERRORS, errors, packets, "a rewrite helper failed: packet left unchanged")

#define DNAT_FAMILIES(F) \
	F(seen_packets, "", device, "Packets entering the device the NAT fix runs on.") \
	F(packets, "result", device, \
	  "Packets entering the device whose destination the NAT fix rewrote, or failed to.")

enum dnat_counter {
	DNAT_COUNTERS(DUPGRE_COUNTER_ENUM)
	DNAT_COUNTER_MAX,
};

struct dnat_counters {
	__u64 c[DNAT_COUNTER_MAX];
};

/* The pinned "info" map's value: user space's record of the attachment. */
struct dnat_info {
	__u32 ifindex;
	__u32 public_addr;	/* network byte order */
	__u32 private_addr;
	__u32 prog_id;
	__u8 l3_device;
	__u8 pad[3];
};
DUPGRE_ASSERT_SIZE(struct dnat_info, 20);

#endif /* DUPGRE_DNAT_H */
