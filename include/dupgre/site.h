/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* What `dupgre-ctl apply` changed on a device outside its programs, kept in
 * a pinned hash (STATE_ROOT/site/links, key: the device's name, 16 bytes
 * with its NUL), so that it can be put back when the device is no longer a
 * dual link of this site's configuration. The pins are apply's record:
 * no state file elsewhere. User space only; pinned, so one layout on every
 * CPU like the BPF-shared structs. */
#ifndef DUPGRE_SITE_H
#define DUPGRE_SITE_H

#include <linux/types.h>

#include "dupgre/layout.h"

#define SITE_MAX_LINKS 256

struct site_link {
	__u32 ifindex;     /* the device instance the values belong to */
	__u32 orig_mtu;    /* before apply set it; 0: apply did not set it */
	__u32 set_mtu;     /* what apply set */
	__s8 orig_rp;      /* the device's own rp_filter before; -1: not set */
	__s8 set_rp;
	__u8 pad[2];
};
DUPGRE_ASSERT_SIZE(struct site_link, 16);
DUPGRE_ASSERT_OFFSET(struct site_link, orig_rp, 12);

#endif /* DUPGRE_SITE_H */
