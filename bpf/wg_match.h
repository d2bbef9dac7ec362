/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* WireGuard's messages as its receiver takes them (drivers/net/wireguard/
 * receive.c, prepare_skb_header and the message sizes in messages.h): the
 * UDP length must fit in the packet, the first 32-bit word is the type
 * (1-4, little-endian, the 3 reserved bytes zero), and handshake messages
 * have exact sizes. Used by the clone program's WireGuard profile and by
 * eliminate; every read goes through load_in(), bounded by the IP packet.
 */
#ifndef DUPGRE_WG_MATCH_H
#define DUPGRE_WG_MATCH_H

#include "parse.h"

#define WG_INITIATION		1
#define WG_RESPONSE		2
#define WG_COOKIE		3
#define WG_DATA			4
#define WG_INITIATION_LEN	148
#define WG_RESPONSE_LEN		92
#define WG_COOKIE_LEN		64
/* Header (16 bytes) and an empty payload's authentication tag (16). */
#define WG_DATA_MIN_LEN		32

enum wg_class {
	WG_NONE,
	WG_CLASS_INITIATION,
	WG_CLASS_RESPONSE,
	WG_CLASS_COOKIE,
	WG_CLASS_DATA,
	WG_CLASS_MALFORMED,	/* the UDP length does not fit the packet */
};

/* The UDP header at pkt->l4; -1 if it is not all there. */
static __always_inline int wg_udp(struct __sk_buff *skb, const struct ip_pkt *pkt, struct udphdr *uh)
{
	return load_in(skb, pkt->l4, pkt->end, uh, sizeof(*uh));
}

/* The message in a UDP datagram whose header is uh. */
static __always_inline enum wg_class classify_wg(struct __sk_buff *skb, const struct ip_pkt *pkt,
						 const struct udphdr *uh)
{
	__u32 ulen = bpf_ntohs(uh->len), len;
	__u8 type[4];

	/* As the receiver: a length below the header or past the packet is
	 * dropped there, so it is not cloned here.
	 */
	if (ulen < sizeof(*uh) || ulen > pkt->end - pkt->l4)
		return WG_CLASS_MALFORMED;
	len = ulen - sizeof(*uh);
	if (load_in(skb, pkt->l4 + sizeof(*uh), pkt->end, type, sizeof(type)) || type[1] | type[2] | type[3])
		return WG_NONE;
	switch (type[0]) {
	case WG_INITIATION:
		return len == WG_INITIATION_LEN ? WG_CLASS_INITIATION : WG_NONE;
	case WG_RESPONSE:
		return len == WG_RESPONSE_LEN ? WG_CLASS_RESPONSE : WG_NONE;
	case WG_COOKIE:
		return len == WG_COOKIE_LEN ? WG_CLASS_COOKIE : WG_NONE;
	case WG_DATA:
		return len >= WG_DATA_MIN_LEN ? WG_CLASS_DATA : WG_NONE;
	default:
		return WG_NONE;
	}
}

#endif /* DUPGRE_WG_MATCH_H */
