// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// benchctl: the four dupgre-ctl commands bench/routercost-guest.sh runs in
// the 32-bit MIPS guest, calling the functions dupgre-ctl calls, without
// its parser. Why not dupgre-ctl itself: the guest needs static binaries,
// and Debian's mipsel packages have no static libp11-kit, libunistring,
// libmnl or libnfnetlink, which dupgre-ctl's serve (libmicrohttpd, gnutls)
// and holder (NFQUEUE) link; these four commands need neither.
//
//   benchctl attach DEV CLONE_TO [pptp|wireguard]
//   benchctl peer-add DEV ADDR...
//   benchctl stats DEV        (JSON, as dupgre-ctl -j stats --dev DEV)
//   benchctl status DEV       (JSON, as dupgre-ctl -j status --dev DEV)
#include <cstdio>
#include <exception>
#include <string>

#include "cli/commands.h"

int main(int argc, char **argv)
{
	using namespace dupgre;
	try {
		std::string cmd = argc > 2 ? argv[1] : "";
		GlobalOptions g;
		if (cmd == "attach" && (argc == 4 || argc == 5)) {
			AttachOptions o;
			o.dev = argv[2];
			o.clone_to = argv[3];
			if (argc == 5)
				o.tunnel = argv[4];
			cmd_attach(g, o);
		} else if (cmd == "peer-add" && argc >= 4) {
			PeerOptions o;
			o.dev = argv[2];
			o.addrs.assign(argv + 3, argv + argc);
			cmd_peer_add(g, o);
		} else if ((cmd == "stats" || cmd == "status") && argc == 3) {
			g.json = true;
			DevOptions o;
			o.dev = argv[2];
			cmd == "stats" ? cmd_stats(g, o) : cmd_status(g, o);
		} else {
			fprintf(stderr, "usage: benchctl attach DEV CLONE_TO [TUNNEL] | peer-add DEV ADDR... | stats DEV | status DEV\n");
			return 2;
		}
		return 0;
	} catch (const std::exception &e) {
		fprintf(stderr, "benchctl: %s\n", e.what());
		return 1;
	}
}
