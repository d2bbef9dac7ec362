// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// pktcap: print the IPv4 packets arriving on a device as hex lines.
//   pktcap --tun NAME   create TUN device NAME (no MAC header, like ppp) and
//                       print what the kernel transmits into it
//   pktcap --dev NAME   packets NAME receives (packet socket, link header
//                       stripped; outgoing ones skipped): IPv4, or with
//                       --proto ipv6 IPv6, --proto all both
// Prints "ready" on stderr once listening. Stops after --count N packets,
// after a packet whose IPv4 id is --until-id ID (printed too), after
// --idle-ms MS without a packet, or on SIGTERM/SIGINT.
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <iostream>
#include <string>

#include "packet.h"
#include "sys.h"

static volatile sig_atomic_t stop;

static int fail(const std::string &msg)
{
	std::cerr << "pktcap: " << msg << "\n";
	return 1;
}

static int open_tun(const std::string &name)
{
	try {
		return pkt::open_tun(name, false);
	} catch (const std::exception &) {
		return -1;
	}
}

static int open_packet(const std::string &name, uint16_t proto)
{
	int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(proto));
	if (fd < 0)
		return -1;
	struct sockaddr_ll ll = {};
	ll.sll_family = AF_PACKET;
	ll.sll_protocol = htons(proto);
	ll.sll_ifindex = if_nametoindex(name.c_str());
	// Tests send bursts of thousands of packets: a default-sized buffer
	// would overflow (see the drop report at exit).
	int rcvbuf = 64 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	if (!ll.sll_ifindex || bind(fd, reinterpret_cast<sockaddr *>(&ll), sizeof(ll)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	std::string tun, dev, proto = "ipv4";
	long count = -1, until_id = -1, idle_ms = -1;
	for (int i = 1; i + 1 < argc; i += 2) {
		std::string opt = argv[i], val = argv[i + 1];
		if (opt == "--tun")
			tun = val;
		else if (opt == "--dev")
			dev = val;
		else if (opt == "--count")
			count = std::stol(val);
		else if (opt == "--until-id")
			until_id = std::stol(val);
		else if (opt == "--idle-ms")
			idle_ms = std::stol(val);
		else if (opt == "--proto" && (val == "ipv4" || val == "ipv6" || val == "all"))
			proto = val;
		else
			return fail("unknown option " + opt);
	}
	if (argc % 2 == 0 || tun.empty() == dev.empty())
		return fail("usage: pktcap --tun NAME|--dev NAME [--proto ipv4|ipv6|all] [--count N] [--until-id ID] [--idle-ms MS]");

	struct sigaction sa = {};
	sa.sa_handler = [](int) { stop = 1; };
	sigaction(SIGTERM, &sa, nullptr);
	sigaction(SIGINT, &sa, nullptr);

	uint16_t eth_p = proto == "ipv4" ? ETH_P_IP : proto == "ipv6" ? ETH_P_IPV6 : ETH_P_ALL;
	int fd = tun.empty() ? open_packet(dev, eth_p) : open_tun(tun);
	if (fd < 0)
		return fail("cannot open " + (tun.empty() ? dev : tun) + ": " + strerror(errno));
	std::cerr << "ready" << std::endl;

	uint8_t buf[65536];
	for (long seen = 0; !stop && seen != count;) {
		struct pollfd pfd = {fd, POLLIN, 0};
		int r = poll(&pfd, 1, idle_ms < 0 ? -1 : static_cast<int>(idle_ms));
		if (r == 0)
			break;
		if (r < 0)
			continue;  // EINTR: the loop condition decides
		struct sockaddr_ll from = {};
		socklen_t fromlen = sizeof(from);
		// A TUN fd is not a socket: read() it.
		ssize_t n = tun.empty() ? recvfrom(fd, buf, sizeof(buf), 0,
						   reinterpret_cast<sockaddr *>(&from), &fromlen)
					: read(fd, buf, sizeof(buf));
		if (n < 0 && errno != EINTR && errno != EAGAIN)
			return fail(std::string("read: ") + strerror(errno));
		if (n <= 0 || (!dev.empty() && from.sll_pkttype == PACKET_OUTGOING))
			continue;
		std::cout << pkt::hex(pkt::Bytes(buf, buf + n)) << std::endl;
		seen++;
		if (until_id >= 0 && n >= 6 && ((buf[4] << 8) | buf[5]) == until_id)
			break;
	}
	if (!dev.empty()) {
		struct tpacket_stats st = {};
		socklen_t len = sizeof(st);
		if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0 && st.tp_drops)
			return fail("the socket dropped " + std::to_string(st.tp_drops) + " packets");
	}
	close(fd);
	return 0;
}
