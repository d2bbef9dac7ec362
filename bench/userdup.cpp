// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// userdup: a userspace duplicator built the way engarde is, for
// bench/routercost (issue 24): the yardstick dupgre's in-kernel clone is
// set against.
//
//   userdup --listen ADDR:PORT --path DEV:SADDR --path DEV:SADDR --to ADDR:PORT
//           [--cpu N] [--count FILE]
//
// engarde's design: the tunnel (WireGuard) sends its UDP datagrams to a
// local port; one socket receives them there, and each datagram is sent
// once on each path, through a UDP socket per path bound to that path's
// interface (SO_BINDTODEVICE) and source address, to the far end's
// endpoint. That is the whole job: no reordering, no state per packet.
//
// This is the strongest form of that design we know how to write:
//   * batched both ways: recvmmsg takes up to 64 datagrams per syscall and
//     each path gets all of them in one sendmmsg, so a batch of n packets
//     costs 3 syscalls, not 3n (engarde: one read and one write per path
//     per packet);
//   * no copy in user space: the path sends point at the receive buffers;
//   * pinned to one CPU (--cpu), blocking in recvmmsg when idle (no
//     polling that would burn CPU the measurement would have to count);
//   * C++ without allocation, locking or logging on the packet path.
// What it cannot avoid is the design itself: every packet crosses into
// user space and back, the tunnel's send goes through loopback, and each
// path's copy is a separate send through the whole UDP/IP output path.
//
// --count FILE: a shared 4-byte counter (mmap'd; 32 bits: 32-bit MIPS has
// no 64-bit atomics without libatomic) that userdup raises by each batch
// once both paths have sent it, so the bench knows when the packets it
// sent have been duplicated.  SIGTERM/SIGINT end it; the last
// line on stderr is "userdup: received R sent A B".
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "sys.h"

namespace {

using pkt::die;

constexpr unsigned kBatch = 64;
constexpr size_t kMaxDatagram = 65536;

volatile sig_atomic_t stop = 0;

sockaddr_in parse_addr(const std::string &s)
{
	auto f = pkt::split(s, ':');
	sockaddr_in sin = {};
	sin.sin_family = AF_INET;
	if (f.size() > 2 || inet_pton(AF_INET, f[0].c_str(), &sin.sin_addr) != 1)
		die("bad address " + s);
	sin.sin_port = htons(f.size() == 2 ? static_cast<uint16_t>(std::stoi(f[1])) : 0);
	return sin;
}

// A path: a UDP socket bound to DEV and SADDR, connected to the far end
// (connected: the route is looked up once, not per send).
int open_path(const std::string &spec, const sockaddr_in &to)
{
	auto f = pkt::split(spec, ':');
	if (f.size() != 2)
		die("--path DEV:SADDR");
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	sockaddr_in src = parse_addr(f[1]);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, f[0].c_str(), f[0].size()) < 0 ||
	    bind(fd, reinterpret_cast<sockaddr *>(&src), sizeof(src)) < 0 ||
	    connect(fd, reinterpret_cast<const sockaddr *>(&to), sizeof(to)) < 0)
		die("path " + spec);
	return fd;
}

// Sends msgs[0..n) on fd; a send that fails (a full queue downstream) is
// counted as sent, as the kernel counts a dropped copy: the path is
// unreliable by design and the duplicator does not retry.
long long send_all(int fd, mmsghdr *msgs, unsigned n)
{
	unsigned done = 0;
	while (done < n) {
		int r = sendmmsg(fd, msgs + done, n - done, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno != ENOBUFS && errno != EAGAIN)
				die("sendmmsg");
			r = 1;  // the datagram at msgs[done] was dropped
		}
		done += static_cast<unsigned>(r);
	}
	return n;
}

}  // namespace

int main(int argc, char **argv)
{
	try {
		std::string listen, to, count_file;
		std::vector<std::string> paths;
		int cpu = -1;
		for (int i = 1; i + 1 < argc; i += 2) {
			std::string opt = argv[i], val = argv[i + 1];
			if (opt == "--listen")
				listen = val;
			else if (opt == "--path")
				paths.push_back(val);
			else if (opt == "--to")
				to = val;
			else if (opt == "--cpu")
				cpu = std::stoi(val);
			else if (opt == "--count")
				count_file = val;
			else
				die("unknown option " + opt);
		}
		if (listen.empty() || to.empty() || paths.size() != 2)
			die("usage: userdup --listen ADDR:PORT --path DEV:SADDR --path DEV:SADDR --to ADDR:PORT [--cpu N] [--count FILE]");
		if (cpu >= 0)
			pkt::pin_to_cpu(cpu);

		std::atomic<uint32_t> *count = nullptr;
		if (!count_file.empty()) {
			int fd = open(count_file.c_str(), O_RDWR | O_CREAT, 0600);
			if (fd < 0 || ftruncate(fd, sizeof(uint32_t)) < 0)
				die("open " + count_file);
			void *p = mmap(nullptr, sizeof(uint32_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
			if (p == MAP_FAILED)
				die("mmap " + count_file);
			close(fd);
			count = new (p) std::atomic<uint32_t>(0);
		}

		sockaddr_in lsin = parse_addr(listen), tsin = parse_addr(to);
		int in = socket(AF_INET, SOCK_DGRAM, 0);
		// A deep receive queue, as one would configure it: a burst the
		// tunnel sends while userdup waits for the CPU must not be lost.
		int rcvbuf = 32 << 20;
		if (in < 0 || setsockopt(in, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0 ||
		    bind(in, reinterpret_cast<sockaddr *>(&lsin), sizeof(lsin)) < 0)
			die("listen " + listen);
		int out[2] = {open_path(paths[0], tsin), open_path(paths[1], tsin)};

		struct sigaction sa = {};
		sa.sa_handler = [](int) { stop = 1; };  // no SA_RESTART: recvmmsg returns EINTR
		sigaction(SIGTERM, &sa, nullptr);
		sigaction(SIGINT, &sa, nullptr);

		// One set of buffers; recvmmsg fills them and both paths' sendmmsg
		// send from them (msg_len of a send is the bytes sent, so the
		// send side has its own iovecs with the received lengths).
		std::vector<uint8_t> buf(kBatch * kMaxDatagram);
		iovec rx_iov[kBatch], tx_iov[kBatch];
		mmsghdr rx[kBatch] = {}, tx[kBatch] = {};
		for (unsigned i = 0; i < kBatch; i++) {
			rx_iov[i] = {buf.data() + i * kMaxDatagram, kMaxDatagram};
			rx[i].msg_hdr.msg_iov = &rx_iov[i];
			rx[i].msg_hdr.msg_iovlen = 1;
			tx[i].msg_hdr.msg_iov = &tx_iov[i];
			tx[i].msg_hdr.msg_iovlen = 1;
		}
		fprintf(stderr, "userdup: ready\n");
		long long received = 0, sent[2] = {0, 0};
		while (!stop) {
			// Blocks for the first datagram, then takes whatever else is
			// queued (MSG_WAITFORONE): a batch is what arrived meanwhile.
			int n = recvmmsg(in, rx, kBatch, MSG_WAITFORONE, nullptr);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				die("recvmmsg");
			}
			for (int i = 0; i < n; i++)
				tx_iov[i] = {rx_iov[i].iov_base, rx[i].msg_len};
			received += n;
			sent[0] += send_all(out[0], tx, static_cast<unsigned>(n));
			sent[1] += send_all(out[1], tx, static_cast<unsigned>(n));
			if (count)
				count->fetch_add(static_cast<uint32_t>(n), std::memory_order_release);
		}
		fprintf(stderr, "userdup: received %lld sent %lld %lld\n", received, sent[0], sent[1]);
		return 0;
	} catch (const std::exception &e) {
		fprintf(stderr, "userdup: %s\n", e.what());
		return 1;
	}
}
