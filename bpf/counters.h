/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef DUPGRE_COUNTERS_H
#define DUPGRE_COUNTERS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* Adds n to counter of row key in a per-CPU map of counter rows (see
 * include/dupgre/layout.h): each CPU adds to its own copy, so a plain add
 * is race-free, and user space sums the copies. ncounters bounds the index
 * for the verifier; with a constant counter the check compiles away.
 */
static __always_inline void count_in(void *rows, __u32 key, __u32 counter, __u32 ncounters, __u64 n)
{
	__u64 *row;

	if (counter >= ncounters)
		return;
	row = bpf_map_lookup_elem(rows, &key);
	if (row)
		row[counter] += n;
}

#endif /* DUPGRE_COUNTERS_H */
