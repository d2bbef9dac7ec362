/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef DUPGRE_COUNTERS_H
#define DUPGRE_COUNTERS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* Adds n to entry key of a per-CPU array of __u64 counters. Per-CPU, so a
 * plain add is race-free: a CPU only touches its own copy, and user space
 * sums them.
 */
static __always_inline void count_in(void *percpu_array, __u32 key, __u64 n)
{
	__u64 *value = bpf_map_lookup_elem(percpu_array, &key);

	if (value)
		*value += n;
}

#endif /* DUPGRE_COUNTERS_H */
