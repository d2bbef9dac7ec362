// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// pktmix: a deterministic mix of PPTP-like traffic, one "<label> <hex>" line
// per IPv4 packet, labelled with what dupgre must decide for it:
//   gre_data, gre_lcp_echo, pptp_echo   to the peer, cloned
//   no_match                            to the peer, not cloned
//   no_peer                             matching, but to another address
// Every packet has its own IPv4 id (--first-id on, never 0 or 65535); with
// --marker a last gre_data packet with id 65535 tells captures to stop.
#include <iostream>
#include <random>
#include <string>

#include "packet.h"

using namespace pkt;

int main(int argc, char **argv)
{
	std::string src = "198.18.0.1", peer, other = "198.18.9.9";
	long count = 1000, seed = 1, first_id = 1;
	bool marker = false;
	for (int i = 1; i < argc; i++) {
		std::string opt = argv[i];
		if (opt == "--marker") {
			marker = true;
			continue;
		}
		if (i + 1 >= argc) {
			std::cerr << "pktmix: " << opt << " needs a value\n";
			return 1;
		}
		std::string val = argv[++i];
		if (opt == "--src")
			src = val;
		else if (opt == "--peer")
			peer = val;
		else if (opt == "--other")
			other = val;
		else if (opt == "--count")
			count = std::stol(val);
		else if (opt == "--seed")
			seed = std::stol(val);
		else if (opt == "--first-id")
			first_id = std::stol(val);
		else {
			std::cerr << "pktmix: unknown option " << opt << "\n";
			return 1;
		}
	}
	if (peer.empty() || first_id < 1 || first_id + count >= 65535) {
		std::cerr << "usage: pktmix --peer ADDR [--src ADDR] [--other ADDR] [--count N] "
			     "[--seed N] [--first-id N] [--marker]\n";
		return 1;
	}

	std::mt19937 rng(seed);
	auto pick = [&](int n) { return static_cast<int>(rng() % n); };
	const uint32_t words[] = {0x2001880b, 0x3001880b, 0x2081880b, 0x3081880b};
	uint32_t seq = 0;

	auto emit = [&](const char *label, Ipv4 ip, const Bytes &l4) {
		Bytes p = ipv4(ip, l4);
		if (ip.protocol == 6 || ip.protocol == 17)
			set_l4_checksum(p);
		std::cout << label << " " << hex(p) << "\n";
	};
	for (long n = 0; n < count; n++) {
		Ipv4 ip;
		ip.saddr = addr(src.c_str());
		ip.daddr = addr(peer.c_str());
		ip.id = static_cast<uint16_t>(first_id + n);
		Gre g;
		g.word0 = words[pick(4)];
		g.seq = seq++;
		g.ack = seq / 2;
		size_t size = 1 + pick(1400);
		int kind = pick(10);
		if (kind < 4) {
			ip.protocol = 47;
			emit("gre_data", ip, gre(g, pick(2) ? ppp_mppe(std::max<size_t>(size, 4)) :
							      ppp_mppe_full_header(std::max<size_t>(size, 4))));
		} else if (kind == 4) {
			ip.protocol = 47;
			emit("gre_lcp_echo", ip, gre(g, ppp_lcp_echo(9 + pick(2), pick(2))));
		} else if (kind == 5) {
			ip.protocol = 6;
			Tcp t;
			if (pick(2))
				std::swap(t.sport, t.dport);
			emit("pptp_echo", ip, tcp(t, pptp_control(5 + pick(2))));
		} else if (kind == 6) {
			ip.protocol = 47;  // a bare acknowledgement: payload length 0
			g.word0 = 0x2081880b;
			g.payload_len = 0;
			emit("no_match", ip, gre(g, {}));
		} else if (kind == 7) {
			ip.protocol = 17;
			Bytes udp(8 + size % 512);
			put16(udp, 0, 40000);
			put16(udp, 2, 53);
			put16(udp, 4, udp.size());
			emit("no_match", ip, udp);
		} else if (kind == 8) {
			ip.protocol = 47;  // CCP: not a protocol the guide duplicates
			emit("no_match", ip, gre(g, Bytes{0x80, 0xfd, 0x01, 0x01, 0x00, 0x04}));
		} else {
			ip.protocol = 47;
			ip.daddr = addr(other.c_str());
			emit("no_peer", ip, gre(g, ppp_mppe(std::max<size_t>(size, 4))));
		}
	}
	if (marker) {
		Ipv4 ip;
		ip.saddr = addr(src.c_str());
		ip.daddr = addr(peer.c_str());
		ip.id = 65535;
		ip.protocol = 47;
		emit("marker", ip, gre(Gre{}, ppp_mppe(32)));
	}
	return 0;
}
