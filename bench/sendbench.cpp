// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// sendbench: CPU time per packet on the send path, for several network
// namespaces ("cells") measured interleaved in one process.
//
//   sendbench --cpu N --rounds R --target-ms T
//             --tun NETNS:TUN ...              hold TUN (a persistent tun) open, never read
//             --cell NAME:NETNS:gre|udp|wg|udp6|wg6:DADDR ...
//             (NETNS "-": the namespace sendbench runs in)
//   sendbench --make-tun NETNS:TUN ...          create persistent TUNs, exit
//             (where there is no `ip tuntap`: busybox, in the mipsel guest)
//   sendbench [--cpu N] --calibrate ITERATIONS   (MIPS only) prints
//             "calibrate INSTRUCTIONS CPU_NS": a loop of exactly 103
//             instructions an iteration, timed by CLOCK_THREAD_CPUTIME_ID:
//             how many instructions a CPU ns is in a qemu -icount guest,
//             whatever rate the guest's kernel calibrated its clock to
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
//
// Other processes' CPU (bench/routercost: a userspace duplicator on the
// sender's CPU; the CPU's ksoftirqd):
//   --helper CELL:PID:COUNTFILE   the cell's packets are duplicated by process
//                                 PID, which raises the 4-byte counter mmap'd
//                                 from COUNTFILE per packet done. The cell
//                                 sends in chunks of 1024 and after each
//                                 sleeps until PID has done them (its queue
//                                 never overflows; the sleep costs no CPU);
//                                 PID's CPU time over the block is added.
//   --extra-cpu PID ...           PID's CPU time over each block is added to
//                                 every cell's (ksoftirqd/CPU: softirq work
//                                 deferred to it belongs to the cell measured).
// With either, a sample line carries three more fields: SENDER_NS HELPER_NS
// EXTRA_NS (CPU_NS is their sum).
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
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
	// --helper: the process that duplicates this cell's packets.
	clockid_t helper_clock = 0;
	const std::atomic<uint32_t> *helper_done = nullptr;  // 32 bits: MIPS32 has no 64-bit atomics
	uint32_t helper_base = 0;  // its counter when the cell's first packet was sent
};
std::vector<clockid_t> extra_clocks;  // --extra-cpu

using pkt::die;
using pkt::split;

// NETNS "-": this namespace (a guest that is its own sandbox, with no
// `ip netns`: bench/routercost's mipsel run).
template <typename F> auto in_netns(const std::string &name, F fn)
{
	return name == "-" ? fn() : pkt::in_netns(name, fn);
}

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

long long now_ns(clockid_t clk)
{
	timespec ts;
	if (clock_gettime(clk, &ts) < 0)
		die("clock_gettime");
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

constexpr long long kHelperChunk = 1024;

// Sleeps until the helper has duplicated every packet the cell sent; 2 s
// without progress means it lost some (its queue overflowed): fatal.
void wait_helper(const Cell &c)
{
	// Modulo 2^32, as the counter wraps.
	uint32_t want = static_cast<uint32_t>(c.total), last = 0;
	long long since = now_ns(CLOCK_MONOTONIC);
	for (;;) {
		uint32_t done = c.helper_done->load(std::memory_order_acquire) - c.helper_base;
		if (static_cast<int32_t>(done - want) >= 0)
			return;
		if (done != last) {
			last = done;
			since = now_ns(CLOCK_MONOTONIC);
		} else if (now_ns(CLOCK_MONOTONIC) - since > 2000000000LL) {
			die(c.name + ": the helper has done " + std::to_string(done) + " of " +
			    std::to_string(c.total) + " packets");
		}
		timespec ts = {0, 20000};
		nanosleep(&ts, nullptr);
	}
}

void send_n(Cell &c, long long n)
{
	iovec iov = {c.payload.data(), c.payload.size()};
	mmsghdr msgs[kBatch] = {};
	for (auto &m : msgs) {
		m.msg_hdr.msg_iov = &iov;
		m.msg_hdr.msg_iovlen = 1;
	}
	long long chunk = 0;
	while (n > 0) {
		unsigned want = n < kBatch ? static_cast<unsigned>(n) : kBatch;
		int sent = sendmmsg(c.fd, msgs, want, 0);
		if (sent <= 0)
			die("sendmmsg in " + c.name);
		n -= sent;
		c.total += sent;
		if (c.helper_done && ((chunk += sent) >= kHelperChunk || n == 0)) {
			wait_helper(c);
			chunk = 0;
		}
	}
}

#if defined(__mips__)
// 100 nops, addiu, bnez and its delay slot: 103 instructions an iteration.
long long calibrate(long long iterations)
{
	long long c0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
	for (long long left = iterations; left > 0; left -= 1000000) {
		unsigned n = static_cast<unsigned>(std::min<long long>(left, 1000000));
		asm volatile(".set push\n.set noreorder\n"
			     "1:\n.rept 100\nnop\n.endr\n"
			     "addiu %0, %0, -1\n"
			     "bnez %0, 1b\n"
			     "nop\n"
			     ".set pop\n"
			     : "+r"(n));
	}
	return now_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
}
#endif

struct Sample {
	long long sender = 0, helper = 0, extra = 0, wall = 0;
	long long cpu() const { return sender + helper + extra; }
};

long long extra_ns()
{
	long long t = 0;
	for (clockid_t clk : extra_clocks)
		t += now_ns(clk);
	return t;
}

// One block: CPU and wall nanoseconds for n packets; the helper's and the
// extra processes' CPU read around it as well.
Sample measure(Cell &c, long long n)
{
	long long h0 = c.helper_done ? now_ns(c.helper_clock) : 0, e0 = extra_ns();
	long long c0 = now_ns(CLOCK_THREAD_CPUTIME_ID), w0 = now_ns(CLOCK_MONOTONIC);
	send_n(c, n);
	Sample s;
	s.sender = now_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
	s.wall = now_ns(CLOCK_MONOTONIC) - w0;
	s.helper = c.helper_done ? now_ns(c.helper_clock) - h0 : 0;
	s.extra = extra_ns() - e0;
	return s;
}

// COUNTFILE's counter, mapped read-only; PID's CPU clock.
void attach_helper(Cell &c, const std::string &pid, const std::string &file)
{
	if (clock_getcpuclockid(std::stoi(pid), &c.helper_clock) != 0)
		die("no CPU clock for pid " + pid);
	int fd = open(file.c_str(), O_RDONLY);
	void *p = fd < 0 ? MAP_FAILED : mmap(nullptr, sizeof(uint32_t), PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("mapping " + file);
	close(fd);
	c.helper_done = static_cast<const std::atomic<uint32_t> *>(p);
	c.helper_base = c.helper_done->load();
}

}  // namespace

int main(int argc, char **argv)
{
	try {
		int cpu = -1, rounds = 10;
		double target_ms = 30;
		std::vector<Cell> cells;
		std::vector<int> tun_fds;
		std::vector<std::vector<std::string>> helpers;
		bool made_tun = false;
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
			} else if (opt == "--calibrate") {
#if defined(__mips__)
				if (cpu >= 0)
					pkt::pin_to_cpu(cpu);
				long long it = std::stoll(val);
				printf("calibrate %lld %lld\n", it * 103, calibrate(it));
				return 0;
#else
				die("--calibrate: MIPS only");
#endif
			} else if (opt == "--make-tun") {
				auto f = split(val, ':');
				if (f.size() != 2)
					die("--make-tun NETNS:TUN");
				int fd = in_netns(f[0], [&] { return pkt::open_tun(f[1]); });
				if (ioctl(fd, TUNSETPERSIST, 1) < 0)
					die("TUNSETPERSIST " + f[1]);
				close(fd);
				made_tun = true;
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
			} else if (opt == "--helper") {
				auto f = split(val, ':', 3);
				if (f.size() != 3)
					die("--helper CELL:PID:COUNTFILE");
				helpers.push_back(f);
			} else if (opt == "--extra-cpu") {
				clockid_t clk;
				if (clock_getcpuclockid(std::stoi(val), &clk) != 0)
					die("no CPU clock for pid " + val);
				extra_clocks.push_back(clk);
			} else {
				die("unknown option " + opt);
			}
		}
		if (cells.empty() && made_tun)
			return 0;
		if (cells.empty())
			die("no --cell");
		if (cpu >= 0)
			pkt::pin_to_cpu(cpu);
		for (Cell &c : cells)
			open_cell(c);
		for (auto &h : helpers) {
			auto it = std::find_if(cells.begin(), cells.end(), [&](const Cell &c) { return c.name == h[0]; });
			if (it == cells.end())
				die("--helper for no cell " + h[0]);
			attach_helper(*it, h[1], h[2]);
		}
		bool more = !helpers.empty() || !extra_clocks.empty();

		// Warm up (fills the TUNs' queues, so that every copy meets the same
		// full queue) and size each cell's block to about target_ms.
		for (Cell &c : cells) {
			send_n(c, 2048);
			long long n = 4096, cpu_ns = 0;
			while ((cpu_ns = measure(c, n).cpu()) < 5000000 && n < (1 << 22))
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
				Sample s = measure(c, c.pkts_per_block);
				printf("sample %s %d %lld %lld %lld", c.name.c_str(), r, c.pkts_per_block, s.cpu(),
				       s.wall);
				if (more)
					printf(" %lld %lld %lld", s.sender, s.helper, s.extra);
				printf("\n");
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
