/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Shared by bpf/clone.bpf.c and user space: map layouts and counter indices.
 * Plain C with fixed-width types only, so both sides compile the same bytes.
 */
#ifndef DUPGRE_CLONE_H
#define DUPGRE_CLONE_H

#include <linux/types.h>

#include "dupgre/layout.h"
#include "dupgre/tunnel.h"

/* Peers per attached device. The guide adds one OUTPUT rule per connected
 * client; a primary with 10 000 clients must fit, with room to spare.
 */
#define DUPGRE_MAX_PEERS 16384

/* The clone program's counters (see layout.h), in the per-CPU "stats"
 * array: one row, key 0.
 */
#define CLONE_COUNTERS(X) \
	X(CLONE_SEEN, seen, seen_packets, "packets the program ran on") \
	X(CLONE_NOT_IPV4, not_ipv4, skipped_packets, "PPTP profile: not IPv4 (IPv6, ARP, ...)") \
	X(CLONE_MALFORMED, malformed, skipped_packets, \
	  "IP header with a bad IHL/length, TCP 1723 with data offset < 5, or UDP to a WireGuard peer " \
	  "with a bad length") \
	X(CLONE_NO_PEER, no_peer, skipped_packets, "destination address is not a peer's") \
	X(CLONE_FRAGMENT, fragment, skipped_packets, \
	  "IPv4 fragment or IPv6 fragment header, to a peer: never parsed, never cloned") \
	X(CLONE_NO_MATCH, no_match, skipped_packets, \
	  "to a peer, but not a packet the profile's rules clone (PPTP: the guide's; WireGuard: a message " \
	  "to the peer's port, of a known type and size; more than 6 IPv6 extension " \
	  "headers)") \
	X(CLONE_NOT_IP, not_ip, skipped_packets, "WireGuard profile: neither IPv4 nor IPv6") \
	X(CLONE_MATCH_GRE_DATA, gre_data, matched_packets, "GRE carrying FD / FF 03 00 FD (MPPE data)") \
	X(CLONE_MATCH_GRE_LCP_ECHO, gre_lcp_echo, matched_packets, "GRE carrying LCP Echo-Request/Reply") \
	X(CLONE_MATCH_PPTP_ECHO, pptp_echo, matched_packets, "TCP 1723 PPTP Echo-Request/Reply") \
	X(CLONE_MATCH_WG_INITIATION, wg_initiation, matched_packets, "WireGuard handshake initiation (type 1, 148 bytes)") \
	X(CLONE_MATCH_WG_RESPONSE, wg_response, matched_packets, "WireGuard handshake response (type 2, 92 bytes)") \
	X(CLONE_MATCH_WG_COOKIE, wg_cookie, matched_packets, "WireGuard cookie reply (type 3, 64 bytes)") \
	X(CLONE_MATCH_WG_DATA, wg_data, matched_packets, "WireGuard transport data (type 4, >= 32 bytes)") \
	X(CLONE_MATCHED_BYTES, matched_bytes, matched_bytes, \
	  "IP bytes of the matching packets: what path A carries (against cloned_bytes: path B's share)") \
	X(CLONE_CLONED, cloned, cloned_packets, "copies handed to the clone target") \
	X(CLONE_CLONED_BYTES, cloned_bytes, cloned_bytes, "their IP bytes (IPv4 or IPv6 header on)") \
	X(CLONE_ERRORS, errors, failed_packets, "bpf_clone_redirect() < 0: no copy (e.g. target gone)") \
	X(CLONE_XMIT_DROPS, xmit_drops, failed_packets, \
	  "bpf_clone_redirect() > 0: NET_XMIT_DROP/CN from the target's queue") \
	X(CLONE_OVER_MTU, over_mtu, over_mtu_packets, "copies larger than the target's MTU when attached") \
	X(CLONE_SNAT, snat, snat_packets, "copies whose source was rewritten PRIVATE -> PUBLIC") \
	X(CLONE_SNAT_ERRORS, snat_errors, snat_packets, "rewrite helpers failed: that copy not sent") \
	X(CLONE_TOO_LARGE, too_large, withheld_packets, "copy policy budget: larger than its max size") \
	X(CLONE_OVER_BUDGET, over_budget, withheld_packets, "copy policy budget: over its rate") \
	X(CLONE_QUIET, quiet, withheld_packets, "copy policy adaptive: path A reported clean, not a sample") \
	X(CLONE_COPY_LOSS, loss, adaptive_copies, "copy policy adaptive: path A reported losing") \
	X(CLONE_COPY_SAMPLE, sample, adaptive_copies, "copy policy adaptive: a sample while path A is clean") \
	X(CLONE_COPY_NO_REPORTS, no_reports, adaptive_copies, \
	  "copy policy adaptive: no fresh report from the receiver, so every packet (fail-safe)")

#define CLONE_FAMILIES(F) \
	F(seen_packets, "", device, "Packets the clone program saw on the device's egress.") \
	F(skipped_packets, "reason", device, "Packets not cloned, by reason.") \
	F(matched_packets, "class", device, \
	  "Packets to a peer that match the profile's rules (PPTP: the guide's; WireGuard: its messages), " \
	  "by class.") \
	F(matched_bytes, "", device, \
	  "IP bytes of the matching packets, copied or not (path A's): cloned_bytes over it is the share path B " \
	  "carried, which copy policies lower.") \
	F(cloned_packets, "", device, "Copies handed to the clone target.") \
	F(cloned_bytes, "", device, "IP bytes of the copies handed to the clone target.") \
	F(failed_packets, "reason", device, \
	  "Matching packets whose copy failed: errors (no copy made, e.g. target gone) or " \
	  "xmit_drops (dropped by the target's queue).") \
	F(over_mtu_packets, "", device, "Copies larger than the clone target's MTU when attached.") \
	F(snat_packets, "result", device, "Copies whose source the NAT fix rewrote, and rewrites that failed.") \
	F(withheld_packets, "reason", device, "Tunnel data packets a peer's copy policy did not copy, by reason.") \
	F(adaptive_copies, "reason", device, \
	  "Tunnel data packets the adaptive copy policy copied, by why: loss reported, a sample, no reports.")

enum clone_counter {
	CLONE_COUNTERS(DUPGRE_COUNTER_ENUM)
	CLONE_COUNTER_MAX,
};

struct clone_counters {
	__u64 c[CLONE_COUNTER_MAX];
};

/* The default WireGuard port, when `peer add` names none. */
#define WG_DEFAULT_PORT 51820

/* A WireGuard peer endpoint, the key of "wg_peers". IPv4 addresses are
 * IPv4-mapped (::ffff:a.b.c.d), so one map holds both families. Every
 * address also has an entry with port 0 (value: how many ports it has),
 * so that traffic to any other address costs one lookup, and fragments
 * (no ports) to a peer's address are counted as such.
 *
 * The port is the server's WireGuard port, matched as the destination port
 * (on a client: ADDR is the server) or as the source port (on the server:
 * ADDR is a client, whose port is whatever its NAT chose).
 */
struct wg_peer_key {
	__be32 addr[4];		/* network byte order */
	__be16 port;		/* network byte order; 0: the address entry */
	__u16 pad;
};
DUPGRE_ASSERT_SIZE(struct wg_peer_key, 20);
DUPGRE_ASSERT_OFFSET(struct wg_peer_key, port, 16);

/* What user space records about one attachment, in the pinned "info" map.
 * The program itself never reads it: its configuration is in .rodata.
 */
struct clone_info {
	__u32 ifindex;		/* device the program is attached to (egress) */
	__u32 target_ifindex;	/* clone target when attached */
	__u32 target_mtu;
	__u32 prog_id;
	__u8 attached;		/* 0: peers configured, program not attached */
	__u8 l3_device;		/* device has no MAC header (ppp, tun) */
	__u8 tunnel;		/* enum dupgre_tunnel: which peers map is used */
	__u8 pad;
	char target_name[16];	/* IFNAMSIZ */
	__u32 snat_private;	/* network byte order; 0: no NAT fix */
	__u32 snat_public;
};
DUPGRE_ASSERT_SIZE(struct clone_info, 44);
DUPGRE_ASSERT_OFFSET(struct clone_info, target_name, 20);
DUPGRE_ASSERT_OFFSET(struct clone_info, snat_private, 36);

#endif /* DUPGRE_CLONE_H */
