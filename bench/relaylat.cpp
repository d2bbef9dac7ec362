// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// relaylat: one-way latency of packets sent onto one device and received
// on another, on one machine (one clock), for bench/relaywg.
//
//   relaylat --tx NETNS:DEV --rx NETNS:DEV --family v4|v6 --count N --pps R
//
// Sends N packets onto DEV in NETNS (a packet socket: as the clone program
// puts copies onto the dual link), from 198.18.0.2 to 198.18.0.1 (v4,
// protocol 253) or 2001:db8:2::2 to 2001:db8:1::1 (v6, no next header),
// each carrying its sequence number and CLOCK_MONOTONIC send time, paced at
// R per second; a thread receives on the other device (packet socket,
// incoming only). Prints one line per packet received, the latency in ns,
// and on stderr "relaylat: received K of N".
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "packet.h"
#include "sys.h"

namespace {

constexpr uint32_t kMagic = 0x64757072;  // "dupr"

using pkt::die;

long long now_ns()
{
	timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

// A packet socket bound to DEV in network namespace NETNS.
int packet_socket(const std::string &spec, uint16_t proto)
{
	size_t colon = spec.find(':');
	if (colon == std::string::npos)
		die("expected NETNS:DEV, got " + spec);
	std::string netns = spec.substr(0, colon), dev = spec.substr(colon + 1);
	return pkt::in_netns(netns, [&] {
		int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(proto));
		sockaddr_ll ll = {};
		ll.sll_family = AF_PACKET;
		ll.sll_protocol = htons(proto);
		ll.sll_ifindex = static_cast<int>(if_nametoindex(dev.c_str()));
		if (fd < 0 || !ll.sll_ifindex || bind(fd, reinterpret_cast<sockaddr *>(&ll), sizeof(ll)) < 0)
			die("packet socket on " + spec);
		int rcvbuf = 16 << 20;
		setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
		return fd;
	});
}

}  // namespace

int main(int argc, char **argv)
{
	try {
		std::string tx, rx, family = "v4";
		long count = 100, pps = 100;
		for (int i = 1; i + 1 < argc; i += 2) {
			std::string opt = argv[i], val = argv[i + 1];
			if (opt == "--tx")
				tx = val;
			else if (opt == "--rx")
				rx = val;
			else if (opt == "--family")
				family = val;
			else if (opt == "--count")
				count = std::stol(val);
			else if (opt == "--pps")
				pps = std::stol(val);
			else
				die("unknown option " + opt);
		}
		bool v6 = family == "v6";
		uint16_t proto = v6 ? ETH_P_IPV6 : ETH_P_IP;
		pkt::Bytes payload(32, 0);
		pkt::Bytes packet;
		size_t off;
		if (v6) {
			pkt::Ipv6 ip;
			ip.saddr = "2001:db8:2::2";
			ip.daddr = "2001:db8:1::1";
			ip.nexthdr = 59;
			packet = pkt::ipv6(ip, payload);
			off = 40;
		} else {
			pkt::Ipv4 ip;
			ip.saddr = pkt::addr("198.18.0.2");
			ip.daddr = pkt::addr("198.18.0.1");
			ip.protocol = 253;
			packet = pkt::ipv4(ip, payload);
			off = 20;
		}
		int rfd = packet_socket(rx, proto), tfd = packet_socket(tx, proto);

		std::vector<long long> lat(static_cast<size_t>(count), -1);
		std::atomic<bool> sent_all{false};
		std::atomic<long long> last_sent{0};
		std::thread receiver([&] {
			uint8_t buf[2048];
			for (;;) {
				pollfd p = {rfd, POLLIN, 0};
				if (poll(&p, 1, 100) == 0) {
					// Done 1 s after the last packet was sent.
					if (sent_all && now_ns() - last_sent > 1000000000LL)
						return;
					continue;
				}
				sockaddr_ll from = {};
				socklen_t len = sizeof(from);
				ssize_t n = recvfrom(rfd, buf, sizeof(buf), 0, reinterpret_cast<sockaddr *>(&from), &len);
				long long t = now_ns();
				if (n < static_cast<ssize_t>(off + 16) || from.sll_pkttype == PACKET_OUTGOING)
					continue;
				uint32_t magic, seq;
				long long ts;
				memcpy(&magic, buf + off, 4);
				memcpy(&seq, buf + off + 4, 4);
				memcpy(&ts, buf + off + 8, 8);
				if (magic == kMagic && seq < lat.size() && lat[seq] < 0)
					lat[seq] = t - ts;
			}
		});
		long long next = now_ns();
		for (long i = 0; i < count; i++) {
			next += 1000000000LL / pps;
			while (now_ns() < next) {
				timespec d = {0, 50000};
				nanosleep(&d, nullptr);
			}
			uint32_t magic = kMagic, seq = static_cast<uint32_t>(i);
			long long ts = now_ns();
			memcpy(&packet[off], &magic, 4);
			memcpy(&packet[off + 4], &seq, 4);
			memcpy(&packet[off + 8], &ts, 8);
			// Bound to the device: no address needed (the receiver thread
			// cannot outlive a throw here, so fail at once).
			if (send(tfd, packet.data(), packet.size(), 0) < 0) {
				fprintf(stderr, "relaylat: send: %s\n", strerror(errno));
				_exit(1);
			}
			last_sent = now_ns();
		}
		sent_all = true;
		receiver.join();
		long got = 0;
		for (long long l : lat)
			if (l >= 0) {
				printf("%lld\n", l);
				got++;
			}
		fprintf(stderr, "relaylat: received %ld of %ld\n", got, count);
		return 0;
	} catch (const std::exception &e) {
		fprintf(stderr, "relaylat: %s\n", e.what());
		return 1;
	}
}
