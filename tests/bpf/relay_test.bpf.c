// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The relay as BPF_PROG_TEST_RUN can run it, for tests only: every map and
 * both programs of bpf/relay.bpf.c, and one more entry that takes the link's
 * protocol from cb[0] instead of skb->protocol.
 *
 * Why: BPF_PROG_TEST_RUN sets skb->protocol with eth_type_trans(), from
 * bytes 12-13 of the data, which in an L3 packet are part of the source
 * address; no field of its context sets it. The table gives each row's link
 * protocol in cb[0] (network byte order). dupgre_relay itself, reading
 * skb->protocol, is tested on real TUN links that deliver the protocol a
 * row gives (tests/bpf/test_relay.cpp, "the link's protocol").
 */
#include "relay.bpf.c"

SEC("tc")
int relay_protocol_from_cb(struct __sk_buff *skb)
{
	return relay_decide(skb, (__be16)skb->cb[0]);
}
