// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// pktsend: send IPv4 packets given as hex lines on stdin, one per line
// (with --dev, IPv6 ones too: the version nibble picks the protocol).
//   pktsend               through the IP stack (raw socket, IP_HDRINCL):
//                         OUTPUT hooks, routing; the kernel sets tot_len,
//                         the checksum, and an id if it is 0
//   pktsend --dev DEV     straight onto DEV (packet socket): tc egress only,
//                         bytes untouched, so malformed headers stay malformed
//   --pps N               pace to N packets per second (absolute deadlines)
// Prints the number of packets sent on stderr; exits non-zero on any error.
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <cstring>
#include <iostream>
#include <string>

#include "packet.h"

static int fail(const std::string &msg)
{
	std::cerr << "pktsend: " << msg << "\n";
	return 1;
}

int main(int argc, char **argv)
{
	std::string dev;
	long pps = 0;
	for (int i = 1; i < argc; i += 2) {
		std::string opt = argv[i];
		if (i + 1 >= argc || (opt != "--dev" && opt != "--pps"))
			return fail("usage: pktsend [--dev DEV] [--pps N] < hex-lines");
		if (opt == "--dev")
			dev = argv[i + 1];
		else
			pps = std::stol(argv[i + 1]);
	}
	struct timespec next;
	clock_gettime(CLOCK_MONOTONIC, &next);

	int fd;
	struct sockaddr_ll ll = {};
	if (dev.empty()) {
		fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	} else {
		fd = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_IP));
		ll.sll_family = AF_PACKET;
		ll.sll_protocol = htons(ETH_P_IP);
		ll.sll_ifindex = if_nametoindex(dev.c_str());
		ll.sll_halen = ETH_ALEN;
		memset(ll.sll_addr, 0xff, ETH_ALEN);  // broadcast: any peer takes it
		if (!ll.sll_ifindex)
			return fail("unknown device " + dev);
	}
	if (fd < 0)
		return fail(std::string("socket: ") + strerror(errno));

	size_t sent = 0;
	for (std::string line; std::getline(std::cin, line);) {
		if (line.empty() || line[0] == '#')
			continue;
		pkt::Bytes p = pkt::unhex(line);
		if (pps > 0) {
			next.tv_nsec += 1000000000L / pps;
			if (next.tv_nsec >= 1000000000L) {
				next.tv_sec++;
				next.tv_nsec -= 1000000000L;
			}
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, nullptr);
		}
		ssize_t n;
		if (dev.empty()) {
			if (p.size() < 20)
				return fail("line " + std::to_string(sent + 1) + ": shorter than an IPv4 header");
			struct sockaddr_in to = {};
			to.sin_family = AF_INET;
			memcpy(&to.sin_addr, &p[16], 4);
			n = sendto(fd, p.data(), p.size(), 0, reinterpret_cast<sockaddr *>(&to), sizeof(to));
		} else {
			ll.sll_protocol = htons(!p.empty() && p[0] >> 4 == 6 ? ETH_P_IPV6 : ETH_P_IP);
			n = sendto(fd, p.data(), p.size(), 0, reinterpret_cast<sockaddr *>(&ll), sizeof(ll));
		}
		if (n != static_cast<ssize_t>(p.size()))
			return fail("send of packet " + std::to_string(sent + 1) + ": " + strerror(errno));
		sent++;
	}
	std::cerr << "pktsend: sent " << sent << "\n";
	close(fd);
	return 0;
}
