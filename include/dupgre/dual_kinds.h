/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The kinds of dual link (path B between a site and the secondary), one
 * row each, the one place their facts live:
 *   X(kind, transport header over IPv4, over IPv6, default MTU,
 *     ARPHRD over IPv4, over IPv6)
 * The header is what the link adds around a copy (WireGuard: UDP 8, its
 * data header and tag 32; GRE 4; IPIP none; ppp: PPTP's, which the main
 * tunnel's arithmetic counts). The default MTU leaves room for a whole
 * copy on a 1500-byte path: the largest PPTP packet of a client_mtu 1380
 * tunnel (1424 B) or WireGuard packet fits (WireGuard over IPv6 needs 80:
 * dual_mtu = 1420). WireGuard has no device type of its own (ARPHRD_NONE,
 * as TUN): it is told by its netlink family; 0 here. */
#ifndef DUPGRE_DUAL_KINDS_H
#define DUPGRE_DUAL_KINDS_H

#define DUPGRE_DUAL_KINDS(X)                                   \
	X(ppp, 0, 0, 1448, ARPHRD_PPP, ARPHRD_PPP)             \
	X(wireguard, 20 + 8 + 32, 40 + 8 + 32, 1440, 0, 0)     \
	X(gre, 20 + 4, 40 + 4, 1476, ARPHRD_IPGRE, ARPHRD_IP6GRE) \
	X(ipip, 20, 40, 1480, ARPHRD_TUNNEL, ARPHRD_TUNNEL6)

#endif /* DUPGRE_DUAL_KINDS_H */
