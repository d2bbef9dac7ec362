/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The main tunnel a program follows, one list for clone and eliminate:
 * their .rodata "tunnel", clone_info.tunnel and elim_path.tunnel. These
 * values are pinned in maps: never renumber them.
 */
#ifndef DUPGRE_TUNNEL_H
#define DUPGRE_TUNNEL_H

enum dupgre_tunnel {
	DUPGRE_TUNNEL_PPTP = 0,		/* PPTP's GRE, IPv4: peers in clone's "peers" */
	DUPGRE_TUNNEL_WIREGUARD = 1,	/* WireGuard's UDP messages, IPv4 and IPv6: "wg_peers" */
};

#endif
