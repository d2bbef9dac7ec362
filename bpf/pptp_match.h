/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The guide's 18 u32 rules (see docs/guide.md, "Which packets are copied:
 * TEE and u32"), as one decision. u32 reads whole 32-bit words and a word
 * not entirely inside the packet is no match; load_be32() has the same rule,
 * so every test below reads exactly the words its u32 rule reads.
 */
#ifndef DUPGRE_PPTP_MATCH_H
#define DUPGRE_PPTP_MATCH_H

#include "dupgre/pptp_gre.h"
#include "parse.h"

#define PPTP_CTRL_PORT		1723
#define PPTP_CONTROL_MESSAGE	1
#define PPTP_ECHO_REQUEST	5
#define PPTP_ECHO_REPLY		6
#define LCP_ECHO_REQUEST	0x09
#define LCP_ECHO_REPLY		0x0a

enum pptp_class {
	PPTP_NONE,
	PPTP_GRE_DATA,
	PPTP_GRE_LCP_ECHO,
	PPTP_CTRL_ECHO,
	PPTP_MALFORMED,
};

/* Where the PPP frame starts, from the GRE header's first word; 0 for any
 * other flags/version/protocol combination (the guide matches only these 4).
 */
static __always_inline __u32 gre_ppp_offset(__u32 word0)
{
	const __u32 base = PPTP_GRE_F_KEY | PPTP_GRE_VERSION | PPTP_GRE_PROTO_PPP;

	switch (word0) {
	case base:
	case base | PPTP_GRE_F_SEQ:
	case base | PPTP_GRE_F_ACK:
	case base | PPTP_GRE_F_SEQ | PPTP_GRE_F_ACK:
		return pptp_gre_header_len(word0);
	default:
		return 0;
	}
}

static __always_inline enum pptp_class classify_gre(struct __sk_buff *skb,
						    const struct ipv4_pkt *pkt)
{
	__u32 gre = pkt->l4, word0, word1, ppp_off, ppp, lcp_code;

	if (load_be32(skb, gre, pkt->end, &word0) ||
	    load_be32(skb, gre + 4, pkt->end, &word1))
		return PPTP_NONE;
	ppp_off = gre_ppp_offset(word0);
	/* Payload length >= 1: bare acknowledgements are never cloned. */
	if (!ppp_off || (word1 >> 16) == 0)
		return PPTP_NONE;
	if (load_be32(skb, gre + ppp_off, pkt->end, &ppp))
		return PPTP_NONE;

	if ((ppp >> 24) == 0xfd || ppp == 0xff0300fd)
		return PPTP_GRE_DATA;
	if ((ppp >> 8) == 0xc02109 || (ppp >> 8) == 0xc0210a)
		return PPTP_GRE_LCP_ECHO;
	if (ppp == 0xff03c021 &&
	    !load_be32(skb, gre + ppp_off + 4, pkt->end, &lcp_code)) {
		lcp_code >>= 24;
		if (lcp_code == LCP_ECHO_REQUEST || lcp_code == LCP_ECHO_REPLY)
			return PPTP_GRE_LCP_ECHO;
	}
	return PPTP_NONE;
}

/* PPTP control connection: Echo-Request/Reply in either direction. */
static __always_inline enum pptp_class classify_tcp(struct __sk_buff *skb,
						    const struct ipv4_pkt *pkt)
{
	struct tcphdr th;
	__u32 payload, msg_type, ctrl_type;

	/* -p tcp needs the whole 20-byte header, else no rule matches. */
	if (load_in(skb, pkt->l4, pkt->end, &th, sizeof(th)))
		return PPTP_NONE;
	if (th.source != bpf_htons(PPTP_CTRL_PORT) && th.dest != bpf_htons(PPTP_CTRL_PORT))
		return PPTP_NONE;
	/* u32 would apply any data offset; below 5 words it points into the
	 * header itself, which no TCP stack sends.
	 */
	if (tcph_doff(&th) < 5)
		return PPTP_MALFORMED;
	payload = pkt->l4 + tcph_doff(&th) * 4;
	/* Bytes 2-3: PPTP message type; bytes 8-9: control message type. */
	if (load_be32(skb, payload + 2, pkt->end, &msg_type) ||
	    load_be32(skb, payload + 8, pkt->end, &ctrl_type))
		return PPTP_NONE;
	msg_type >>= 16;
	ctrl_type >>= 16;
	if (msg_type == PPTP_CONTROL_MESSAGE &&
	    (ctrl_type == PPTP_ECHO_REQUEST || ctrl_type == PPTP_ECHO_REPLY))
		return PPTP_CTRL_ECHO;
	return PPTP_NONE;
}

static __always_inline enum pptp_class classify_pptp(struct __sk_buff *skb,
						     const struct ipv4_pkt *pkt)
{
	switch (pkt->protocol) {
	case IPPROTO_GRE:
		return classify_gre(skb, pkt);
	case IPPROTO_TCP:
		return classify_tcp(skb, pkt);
	default:
		return PPTP_NONE;
	}
}

#endif /* DUPGRE_PPTP_MATCH_H */
