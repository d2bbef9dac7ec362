// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* TC ingress on the secondary's dual links: a copy from a site behind this
 * link, addressed to another registered site, leaves straight out of that
 * site's link, source untouched (the receiving tunnel matches its session by
 * source address). This replaces the guide's fwmark + "ip rule" + routing
 * table. The destination's link may be the very link the copy came by: one
 * WireGuard device leads to several sites, and WireGuard picks the peer by
 * the inner destination.
 *
 * A dual link is a door into the secondary, so nothing else goes through:
 * a packet for a site from anyone but a site registered on this link, a
 * site's copy for an address with no link, and whatever else the stack would
 * route onwards are dropped and counted. What the stack would not forward
 * (for this host, or forwarding off: the kernel's own route lookup tells,
 * with user space's record of the IPv6 rule) goes on to it unchanged. The
 * relay decides every IP packet itself: one it cannot read (malformed, or an
 * IPv4-mapped IPv6 address) is dropped, never left to a stack that would
 * trim or route it. Only what the link did not deliver as IP goes on to the
 * stack unread, as IP never sees it.
 *
 * Dual links are L3 devices (ppp, tun, wireguard, gre, ipip): the IPv4 or
 * IPv6 header is at offset 0, and skb->protocol says which of them it is.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include "dupgre/relay.h"
#include "parse.h"

#ifndef AF_INET
#define AF_INET		2
#endif
#ifndef AF_INET6
#define AF_INET6	10
#endif

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DUPGRE_MAX_RELAY_PEERS);
	__type(key, struct relay_site);
	__type(value, struct relay_peer);
} peers SEC(".maps");

/* Per-CPU: each CPU increments only its own copy, no atomics needed. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, DUPGRE_MAX_RELAY_LINKS);
	__type(key, __u32);	/* ifindex of the link the packet entered by */
	__type(value, struct relay_counters);
} stats SEC(".maps");

/* Written by user space; the program reads ipv6_forwards (see struct relay_link). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DUPGRE_MAX_RELAY_LINKS);
	__type(key, __u32);
	__type(value, struct relay_link);
} links SEC(".maps");

/* TTL and protocol share one 16-bit word of the header checksum. */
static __always_inline int decrement_ttl(struct __sk_buff *skb, __u8 ttl, __u8 protocol)
{
	__be16 old = bpf_htons(ttl << 8 | protocol);
	__be16 new = bpf_htons((ttl - 1) << 8 | protocol);
	__u8 new_ttl = ttl - 1;

	if (bpf_l3_csum_replace(skb, offsetof(struct iphdr, check), old, new, sizeof(new)))
		return -1;
	return bpf_skb_store_bytes(skb, offsetof(struct iphdr, ttl), &new_ttl, 1, 0);
}

/* Shorter than its header says: the stack drops it (ip_rcv_core, ipv6_rcv),
 * so relaying it would only carry it further to be dropped there. The parser
 * clamps the end to the packet; this reads the length as declared. Longer
 * than declared is the link's padding: the stack trims it and takes the
 * packet, and a relayed copy carries it to the site, whose stack does the
 * same.
 */
static __always_inline bool cut_short(struct __sk_buff *skb, const struct ip_pkt *pkt)
{
	__u32 off = pkt->version == 4 ? offsetof(struct iphdr, tot_len) : offsetof(struct ipv6hdr, payload_len);
	__u32 declared;
	__be16 len;

	if (bpf_skb_load_bytes(skb, off, &len, sizeof(len)))
		return true;
	declared = bpf_ntohs(len);
	if (pkt->version == 6)
		declared += sizeof(struct ipv6hdr);
	return declared > skb->len;
}

/* The IP version the link delivered: skb->protocol, not the first nibble,
 * since the stack hands a packet to IP by it (ip_rcv and ipv6_rcv are the
 * ETH_P_IP and ETH_P_IPV6 handlers) and to nobody else's routing. A ppp,
 * gre or tun (with its packet information header) link can deliver IP
 * bytes as ARP or MPLS; 0 for anything but IPv4 and IPv6.
 */
static __always_inline __u8 link_ip_version(__be16 protocol)
{
	if (protocol == bpf_htons(ETH_P_IP))
		return 4;
	if (protocol == bpf_htons(ETH_P_IPV6))
		return 6;
	return 0;
}

/* ::ffff:0:0/96. Sites are keyed by 16 bytes, IPv4 ones in this form, so an
 * IPv6 packet's mapped address would match an IPv4 site. No IPv6 packet
 * carries one on the wire (RFC 4291 2.5.5.2: they stand for IPv4 nodes in
 * IPv6 sockets); the stack drops a mapped source (ip6_rcv_core) but would
 * route a mapped destination onwards.
 */
static __always_inline bool v4_mapped(const __be32 *a)
{
	return a[0] == 0 && a[1] == 0 && a[2] == bpf_htonl(0x0000ffff);
}

static __always_inline bool same_addr(const __be32 *a, const __be32 *b)
{
	return a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && a[3] == b[3];
}

/* Multicast (224.0.0.0/4, ff00::/8): the stack forwards it only with a
 * multicast routing daemon, and routing protocols on the links use it.
 */
static __always_inline bool is_multicast(const struct ip_pkt *pkt)
{
	if (pkt->version == 4)
		return (bpf_ntohl(pkt->daddr[3]) >> 28) == 0xe;
	return (bpf_ntohl(pkt->daddr[0]) >> 24) == 0xff;
}

/* bpf_fib_lookup() said FWD_DISABLED: forwarding is off on the ingress
 * link, and it looked no further. Does the stack forward from this link all
 * the same? IPv4: no. ip_route_input_slow() checks the ingress device's
 * forwarding (IN_DEV_FORWARD), as the lookup does. IPv6: the device's own
 * forwarding decides nothing there; ip6_forward() follows all.forwarding, or
 * from 6.17 the ingress device's force_forwarding. The program cannot read
 * those, so user space records the rule in the link's record whenever a link
 * is registered. No record (a link being registered or unregistered right
 * now): assume it forwards. A record goes stale, unsafely, only if the
 * rule changes after registration while the link's own forwarding stays
 * off (all.forwarding on, then the link's off; force_forwarding on): the
 * design notes say to register again after that.
 */
static __always_inline bool stack_forwards(const struct ip_pkt *pkt, __u32 ifindex)
{
	const struct relay_link *link;

	if (pkt->version == 4)
		return false;
	link = bpf_map_lookup_elem(&links, &ifindex);
	return !link || link->ipv6_forwards;
}

/* A packet for no site: would the stack forward it? The kernel's own
 * lookup, as for a packet entering by this link. NOT_FWDED (local,
 * broadcast...) means it would not, and FWD_DISABLED too if the stack's rule
 * agrees (stack_forwards). Anything else (a route, none, a reject route)
 * means it would leave by a route or be refused: the relay refuses it first.
 * So does FWD_DISABLED where the stack forwards IPv6 anyway: the lookup
 * never ran, so even this host's own address cannot be told from another's,
 * and a packet for it is dropped too (turning the link's IPv6 forwarding on
 * lets the lookup run, and changes nothing of what the stack forwards).
 */
static __always_inline enum relay_counter unrelayed(struct __sk_buff *skb, const struct ip_pkt *pkt,
						     __u32 ifindex, bool from_site)
{
	struct bpf_fib_lookup fib = {};
	long ret;

	if (is_multicast(pkt))
		return RELAY_TO_HOST;
	fib.ifindex = ifindex;
	if (pkt->version == 4) {
		fib.family = AF_INET;
		fib.ipv4_src = pkt->saddr[3];
		fib.ipv4_dst = pkt->daddr[3];
	} else {
		fib.family = AF_INET6;
		__builtin_memcpy(fib.ipv6_src, pkt->saddr, sizeof(fib.ipv6_src));
		__builtin_memcpy(fib.ipv6_dst, pkt->daddr, sizeof(fib.ipv6_dst));
	}
	fib.l4_protocol = pkt->protocol;
	ret = bpf_fib_lookup(skb, &fib, sizeof(fib), 0);
	if (ret < 0)
		return RELAY_LOOKUP_FAILED;
	if (ret == BPF_FIB_LKUP_RET_NOT_FWDED)
		return RELAY_TO_HOST;
	if (ret == BPF_FIB_LKUP_RET_FWD_DISABLED && !stack_forwards(pkt, ifindex))
		return RELAY_TO_HOST;
	return from_site ? RELAY_NO_LINK : RELAY_STRANGER;
}

/* The verdict for a packet from a site on this link to the site behind dst. */
static __always_inline enum relay_counter relay(struct __sk_buff *skb, const struct ip_pkt *pkt,
						 const struct relay_peer *dst)
{
	__u8 hops;

	if (same_addr(pkt->saddr, pkt->daddr))
		return RELAY_LOOP;
	if (pkt->version == 4) {
		if (bpf_skb_load_bytes(skb, offsetof(struct iphdr, ttl), &hops, 1) || hops <= 1)
			return RELAY_TTL_EXPIRED;
		if (decrement_ttl(skb, hops, pkt->protocol))
			return RELAY_REDIRECT_ERRORS;
	} else {
		/* No header checksum in IPv6. */
		if (bpf_skb_load_bytes(skb, offsetof(struct ipv6hdr, hop_limit), &hops, 1) || hops <= 1)
			return RELAY_TTL_EXPIRED;
		hops--;
		if (bpf_skb_store_bytes(skb, offsetof(struct ipv6hdr, hop_limit), &hops, 1, 0))
			return RELAY_REDIRECT_ERRORS;
	}
	if (bpf_redirect(dst->ifindex, 0) != TC_ACT_REDIRECT)
		return RELAY_REDIRECT_ERRORS;
	return RELAY_RELAYED;
}

/* The verdict for one packet that the link delivered as protocol (in the
 * program, skb->protocol).
 */
static __always_inline int relay_decide(struct __sk_buff *skb, __be16 protocol)
{
	__u32 ifindex = skb->ingress_ifindex;
	struct relay_counters *c = bpf_map_lookup_elem(&stats, &ifindex);
	struct relay_peer *src, *dst;
	struct ip_pkt pkt = {};
	enum relay_counter what;
	bool from_site;
	__u8 version;

	if (!c)
		return TC_ACT_UNSPEC;	/* a link being unregistered right now */
	c->c[RELAY_SEEN]++;
	version = link_ip_version(protocol);
	if (!version) {
		/* Not IP to the stack either: it goes to its own protocol's
		 * handler (ARP ignores NOARP tunnels, MPLS routes only where
		 * net.mpls.conf.<link>.input is on, the rest has none).
		 */
		c->c[RELAY_NOT_IP]++;
		return TC_ACT_UNSPEC;
	}
	/* Left to the stack, a malformed packet is not always dropped: an
	 * IPv6 payload length of 0 (a jumbogram's, RFC 2675, which needs a
	 * link MTU above 65575 that no dual link has) makes ipv6_rcv trim the
	 * packet to its header and route it on. The relay decides: dropped.
	 */
	if (parse_ip(skb, 0, version, &pkt) != IP_OK || cut_short(skb, &pkt)) {
		c->c[RELAY_MALFORMED]++;
		return TC_ACT_SHOT;
	}
	if (version == 6 && (v4_mapped(pkt.saddr) || v4_mapped(pkt.daddr))) {
		c->c[RELAY_V4_MAPPED]++;
		return TC_ACT_SHOT;
	}
	/* Both keys are 16 bytes, as struct relay_site. */
	src = bpf_map_lookup_elem(&peers, pkt.saddr);
	dst = bpf_map_lookup_elem(&peers, pkt.daddr);
	from_site = src && src->ifindex == ifindex;
	if (from_site && dst)
		what = relay(skb, &pkt, dst);
	else if (dst)
		/* For a site, from anyone else: someone on this link (another
		 * WireGuard peer, or a GRE/IPIP sender, unauthenticated) posing
		 * as a site, or a site's address arriving by the wrong link.
		 */
		what = RELAY_STRANGER;
	else
		/* For no site. Routed, a site's copy would leave by this
		 * server's WAN with another site's source address and, where no
		 * provider filters that, reach a receiver that detached its
		 * duplicate elimination with the link; a stranger's packet
		 * would use the secondary as an open router.
		 */
		what = unrelayed(skb, &pkt, ifindex, from_site);
	c->c[what]++;
	switch (what) {
	case RELAY_RELAYED:
		c->c[RELAY_RELAYED_BYTES] += skb->len;
		return TC_ACT_REDIRECT;
	case RELAY_TO_HOST:
	case RELAY_LOOKUP_FAILED:
		return TC_ACT_UNSPEC;
	default:
		return TC_ACT_SHOT;
	}
}

SEC("tc")
int dupgre_relay(struct __sk_buff *skb)
{
	return relay_decide(skb, skb->protocol);
}
