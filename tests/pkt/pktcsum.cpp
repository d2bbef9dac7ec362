// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// pktcsum: for each hex IPv4 packet on stdin, recompute its checksums, the
// independent witness for anything that rewrites addresses. Prints one line
// per packet: "<src> <dst> ttl=N ip=ok|bad l4=ok|bad|none".
// Exits 1 if any checksum is wrong.
#include <arpa/inet.h>

#include <iostream>
#include <string>

#include "packet.h"

int main()
{
	int bad = 0;
	for (std::string line; std::getline(std::cin, line);) {
		if (line.empty())
			continue;
		pkt::Bytes p = pkt::unhex(line);
		if (p.size() < 20) {
			std::cout << "short\n";
			bad++;
			continue;
		}
		bool ip_ok = ((p[10] << 8) | p[11]) == pkt::ipv4_checksum(p);
		std::string l4 = "none";
		if (p[9] == 6 || p[9] == 17)
			l4 = pkt::l4_checksum_ok(p) ? "ok" : "bad";
		char src[INET_ADDRSTRLEN], dst[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &p[12], src, sizeof(src));
		inet_ntop(AF_INET, &p[16], dst, sizeof(dst));
		std::cout << src << " " << dst << " ttl=" << int(p[8]) << " ip=" << (ip_ok ? "ok" : "bad")
			  << " l4=" << l4 << "\n";
		bad += !ip_ok || l4 == "bad";
	}
	return bad ? 1 : 0;
}
