// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// sendbench: CPU time per packet on the send path, for several network
// namespaces ("cells") measured interleaved in one process.
//
//   sendbench --cpu N --rounds R --target-ms T
//             --tun NETNS:TUN ...              hold TUN (a persistent tun) open, never read
//             --cell NAME:NETNS:gre|udp|wg|udp6|wg6:DADDR ...
//
// A socket is opened in each cell's namespace (setns), so switching cells
// costs nothing and every round measures every cell once, in a shuffled
// order. gre: a raw IPPROTO_GRE socket, as the userspace pptp client sends
// (enhanced GRE, K+S, PPP frame FD = MPPE data); udp: a connected UDP socket
// (port 9); wg: a connected UDP socket to port 51820 sending WireGuard data
// messages (type 4, as wireguard-go sends them); udp6, wg6: the same over
// IPv6 (DADDR the rest of the argument, colons included). All send 512-byte
// IP packets (IPv4 or IPv6 total length) with sendmmsg, 64 at a time, from a thread
// pinned to one CPU. Each sample is CLOCK_THREAD_CPUTIME_ID (user + sys: the
// stack, netfilter and TC egress all run in the sending syscall) and wall
// time over a block sized to take about T ms.
//
// Output (stdout), one line per sample:  sample CELL ROUND PKTS CPU_NS WALL_NS
// and per cell at the end:               total CELL PKTS_SENT_INCLUDING_WARMUP
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "packet.h"
#include "sys.h"

namespace {

constexpr size_t kIpLen = 512;  // IPv4 total length of every packet sent
constexpr unsigned kBatch = 64;

struct Cell {
	std::string name, netns, kind, daddr;
	int fd = -1;
	pkt::Bytes payload;
	long long pkts_per_block = 0, total = 0;
};

using pkt::die;
using pkt::in_netns;
using pkt::split;

constexpr uint16_t kWgPort = 51820;

void open_cell6(Cell &c)
{
	sockaddr_in6 sin6 = {};
	sin6.sin6_family = AF_INET6;
	if (inet_pton(AF_INET6, c.daddr.c_str(), &sin6.sin6_addr) != 1)
		die("bad address " + c.daddr);
	c.fd = in_netns(c.netns, [] { return socket(AF_INET6, SOCK_DGRAM, 0); });
	size_t len = kIpLen - 40 - 8;
	if (c.kind == "wg6") {
		sin6.sin6_port = htons(kWgPort);
		c.payload = pkt::wg_message(4, len);
	} else {
		sin6.sin6_port = htons(9);
		c.payload.assign(len, 0x5a);
	}
	if (c.fd < 0 || connect(c.fd, reinterpret_cast<sockaddr *>(&sin6), sizeof(sin6)) < 0)
		die("socket for " + c.name);
}

void open_cell(Cell &c)
{
	if (c.kind == "udp6" || c.kind == "wg6")
		return open_cell6(c);
	sockaddr_in sin = {};
	sin.sin_family = AF_INET;
	if (inet_pton(AF_INET, c.daddr.c_str(), &sin.sin_addr) != 1)
		die("bad address " + c.daddr);
	if (c.kind == "gre") {
		c.fd = in_netns(c.netns, [] { return socket(AF_INET, SOCK_RAW, IPPROTO_GRE); });
		pkt::Gre g;  // word0 0x3001880b: K, S; call id, seq
		c.payload = pkt::gre(g, pkt::ppp_mppe(kIpLen - 20 - pkt::gre_header_len(g.word0)));
	} else if (c.kind == "udp") {
		c.fd = in_netns(c.netns, [] { return socket(AF_INET, SOCK_DGRAM, 0); });
		sin.sin_port = htons(9);
		c.payload.assign(kIpLen - 28, 0x5a);
	} else if (c.kind == "wg") {
		c.fd = in_netns(c.netns, [] { return socket(AF_INET, SOCK_DGRAM, 0); });
		sin.sin_port = htons(kWgPort);
		c.payload = pkt::wg_message(4, kIpLen - 28);
	} else {
		die("kind must be gre, udp, wg, udp6 or wg6: " + c.kind);
	}
	if (c.fd < 0 || connect(c.fd, reinterpret_cast<sockaddr *>(&sin), sizeof(sin)) < 0)
		die("socket for " + c.name);
}

void send_n(Cell &c, long long n)
{
	iovec iov = {c.payload.data(), c.payload.size()};
	mmsghdr msgs[kBatch] = {};
	for (auto &m : msgs) {
		m.msg_hdr.msg_iov = &iov;
		m.msg_hdr.msg_iovlen = 1;
	}
	while (n > 0) {
		unsigned want = n < kBatch ? static_cast<unsigned>(n) : kBatch;
		int sent = sendmmsg(c.fd, msgs, want, 0);
		if (sent <= 0)
			die("sendmmsg in " + c.name);
		n -= sent;
		c.total += sent;
	}
}

long long now_ns(clockid_t clk)
{
	timespec ts;
	clock_gettime(clk, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

// One block: CPU and wall nanoseconds for n packets.
std::pair<long long, long long> measure(Cell &c, long long n)
{
	long long c0 = now_ns(CLOCK_THREAD_CPUTIME_ID), w0 = now_ns(CLOCK_MONOTONIC);
	send_n(c, n);
	return {now_ns(CLOCK_THREAD_CPUTIME_ID) - c0, now_ns(CLOCK_MONOTONIC) - w0};
}

}  // namespace

int main(int argc, char **argv)
{
	try {
		int cpu = -1, rounds = 10;
		double target_ms = 30;
		std::vector<Cell> cells;
		std::vector<int> tun_fds;
		for (int i = 1; i + 1 < argc; i += 2) {
			std::string opt = argv[i], val = argv[i + 1];
			if (opt == "--cpu") {
				cpu = std::stoi(val);
			} else if (opt == "--rounds") {
				rounds = std::stoi(val);
			} else if (opt == "--target-ms") {
				target_ms = std::stod(val);
			} else if (opt == "--tun") {
				auto f = split(val, ':');
				if (f.size() != 2)
					die("--tun NETNS:TUN");
				tun_fds.push_back(in_netns(f[0], [&] { return pkt::open_tun(f[1]); }));
			} else if (opt == "--cell") {
				auto f = split(val, ':', 4);
				if (f.size() != 4)
					die("--cell NAME:NETNS:KIND:DADDR");
				Cell c;
				c.name = f[0];
				c.netns = f[1];
				c.kind = f[2];
				c.daddr = f[3];
				cells.push_back(c);
			} else {
				die("unknown option " + opt);
			}
		}
		if (cells.empty())
			die("no --cell");
		if (cpu >= 0)
			pkt::pin_to_cpu(cpu);
		for (Cell &c : cells)
			open_cell(c);

		// Warm up (fills the TUNs' queues, so that every copy meets the same
		// full queue) and size each cell's block to about target_ms.
		for (Cell &c : cells) {
			send_n(c, 2048);
			long long n = 4096, cpu_ns = 0;
			while ((cpu_ns = measure(c, n).first) < 5000000 && n < (1 << 22))
				n *= 2;
			long long per_block = static_cast<long long>(n * target_ms * 1e6 / cpu_ns);
			c.pkts_per_block = std::max<long long>(kBatch, per_block / kBatch * kBatch);
		}

		std::mt19937 rng(12345);
		std::vector<size_t> order(cells.size());
		for (size_t i = 0; i < order.size(); i++)
			order[i] = i;
		for (int r = 0; r < rounds; r++) {
			std::shuffle(order.begin(), order.end(), rng);
			for (size_t i : order) {
				Cell &c = cells[i];
				auto [cpu_ns, wall_ns] = measure(c, c.pkts_per_block);
				printf("sample %s %d %lld %lld %lld\n", c.name.c_str(), r, c.pkts_per_block,
				       cpu_ns, wall_ns);
			}
			fflush(stdout);
		}
		for (Cell &c : cells)
			printf("total %s %lld\n", c.name.c_str(), c.total);
		for (Cell &c : cells)
			close(c.fd);
		for (int fd : tun_fds)
			close(fd);
		return 0;
	} catch (const std::exception &e) {
		fprintf(stderr, "sendbench: %s\n", e.what());
		return 1;
	}
}
