/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* PPTP's enhanced GRE header (RFC 2637, 4.1), the one description of it for
 * the programs (clone's guide match, eliminate's sequence numbers) and user
 * space (the holder, the test packets). Its first 32-bit word, in host
 * order: C R K S s Recur | A Flags Ver | Protocol Type.
 *
 *   word0  flags, version 1, protocol PPP (0x880b)
 *   word1  payload length (16 bits), call ID (16 bits)
 *   [seq]  if S: the sequence number
 *   [ack]  if A: the acknowledgment number
 */
#ifndef DUPGRE_PPTP_GRE_H
#define DUPGRE_PPTP_GRE_H

#include <linux/types.h>

#define PPTP_GRE_PROTO_PPP	0x880b
#define PPTP_GRE_F_KEY		0x20000000u	/* K: payload length and call ID (always set) */
#define PPTP_GRE_F_SEQ		0x10000000u	/* S: a sequence number follows */
#define PPTP_GRE_F_ACK		0x00800000u	/* A: an acknowledgment number follows */
#define PPTP_GRE_VERSION_MASK	0x00070000u
#define PPTP_GRE_VERSION	0x00010000u	/* version 1: enhanced GRE */

/* Version 1 carrying PPP: PPTP's, whatever the flags. */
static inline __attribute__((always_inline)) int pptp_gre_is_ppp(__u32 word0)
{
	return (word0 & PPTP_GRE_VERSION_MASK) == PPTP_GRE_VERSION && (word0 & 0xffff) == PPTP_GRE_PROTO_PPP;
}

/* The header's length: 8, and 4 more for each of the sequence and the
 * acknowledgment numbers present. The PPP frame starts there.
 */
static inline __attribute__((always_inline)) __u32 pptp_gre_header_len(__u32 word0)
{
	return 8 + (word0 & PPTP_GRE_F_SEQ ? 4 : 0) + (word0 & PPTP_GRE_F_ACK ? 4 : 0);
}

#endif /* DUPGRE_PPTP_GRE_H */
