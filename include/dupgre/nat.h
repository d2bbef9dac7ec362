/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Shared by bpf/dnat.bpf.c and user space. */
#ifndef DUPGRE_NAT_H
#define DUPGRE_NAT_H

#include <linux/types.h>

enum dnat_counter {
	DNAT_SEEN,		/* packets entering from the link */
	DNAT_REWRITTEN,		/* destination PUBLIC rewritten to PRIVATE */
	DNAT_ERRORS,		/* a rewrite helper failed: packet left unchanged */
	DNAT_COUNTER_MAX,
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

#endif /* DUPGRE_NAT_H */
