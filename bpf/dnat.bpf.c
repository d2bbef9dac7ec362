// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* TC ingress on a server's link to the secondary, when the server's public
 * address is 1:1 NAT'ed (EC2 and the like): copies relayed to PUBLIC are
 * rewritten to PRIVATE before the stack and conntrack see them, replacing
 * the guide's xtables-addons RAWDNAT. Stateless, like RAWDNAT.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include "dupgre/dnat.h"
#include "nat.h"
#include "counters.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u32 public_addr = 0;	/* network byte order */
const volatile __u32 private_addr = 0;
const volatile bool l3_device = true;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dnat_counters);
} stats SEC(".maps");

/* Written and read by user space only (see struct dnat_info). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dnat_info);
} info SEC(".maps");

static __always_inline void count(__u32 counter)
{
	count_in(&stats, 0, counter, DNAT_COUNTER_MAX, 1);
}

SEC("tc")
int dupgre_dnat(struct __sk_buff *skb)
{
	struct ipv4_pkt pkt = {};
	__u32 l3;

	count(DNAT_SEEN);
	if (l3_offset(skb, l3_device, &l3) || parse_ipv4(skb, l3, &pkt) != IPV4_OK ||
	    pkt.daddr != public_addr)
		return TC_ACT_UNSPEC;
	if (rewrite_ipv4_addr(skb, &pkt, IPV4_DADDR_OFF, public_addr, private_addr)) {
		count(DNAT_ERRORS);
		return TC_ACT_UNSPEC;
	}
	count(DNAT_REWRITTEN);
	return TC_ACT_UNSPEC;
}
