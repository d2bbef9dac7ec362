// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// relaybench: CPU time per packet entering a dual link on the secondary,
// for several network namespaces ("cells") measured interleaved in one
// process, as sendbench does for the send path.
//
//   relaybench --cpu N --rounds R --target-ms T
//              --tun NETNS:TUN ...                  hold TUN (a persistent tun) open, never read
//              --cell NAME:NETNS:TUN:v4|v6 ...      write packets into TUN (it receives them)
//              --pair NAME=BASE ...                 report NAME against BASE, round by round
//
// Writing a packet into a TUN is that device receiving it: tun_get_user()
// hands it to the stack in the writing syscall (netif_receive_skb, no
// backlog), and what the stack or TC does with it runs there too, on this
// thread's CPU: TC ingress, the relay's bpf_redirect() and the transmit
// into the outgoing TUN, or the kernel's IP forwarding to the same TUN. The
// outgoing TUN is held open and never read: after the warm-up its queue
// is full, and each packet is dropped there, synchronously (what a real
// tunnel does after its queue is not counted, for either).
//
// Packets: 512 bytes, IPv4 (GRE data, the PPTP tunnel's, from 198.18.10.1
// to 198.18.20.1) or IPv6 (UDP carrying a WireGuard data message, from
// 2001:db8:10::1 to 2001:db8:20::1), TTL/hop limit 64.
//
// Output (stdout): "sample CELL ROUND PKTS CPU_NS" per block; per cell
// "total CELL PKTS" (warm-up included); per pair "pair NAME BASE
// p25 p50 p75 (of the difference, ns) r25 r50 r75 (of the ratio)"; per cell
// "cell NAME p50 p99 (of ns per packet over rounds)".
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "packet.h"
#include "percentile.h"
#include "sys.h"

namespace {

constexpr size_t kIpLen = 512;

struct Cell {
	std::string name, netns, tun, family;
	int fd = -1;
	pkt::Bytes packet;
	long long pkts_per_block = 0, total = 0;
	std::vector<double> ns_per_pkt;  // one per round
};

using pkt::die;
using pkt::in_netns;
using pkt::split;

pkt::Bytes make_packet(const std::string &family)
{
	if (family == "v4") {
		pkt::Ipv4 ip;
		ip.saddr = pkt::addr("198.18.10.1");
		ip.daddr = pkt::addr("198.18.20.1");
		pkt::Gre g;
		return pkt::ipv4(ip, pkt::gre(g, pkt::ppp_mppe(kIpLen - 20 - pkt::gre_header_len(g.word0))));
	}
	if (family == "v6") {
		pkt::Ipv6 ip;
		ip.saddr = "2001:db8:10::1";
		ip.daddr = "2001:db8:20::1";
		return pkt::ipv6(ip, pkt::udp({}, pkt::wg_message(4, kIpLen - 40 - 8)));
	}
	die("family must be v4 or v6: " + family);
}

void write_n(Cell &c, long long n)
{
	for (long long i = 0; i < n; i++) {
		if (write(c.fd, c.packet.data(), c.packet.size()) != static_cast<ssize_t>(c.packet.size()))
			die("write into " + c.tun + " for " + c.name);
		c.total++;
	}
}

long long now_ns(clockid_t clk)
{
	timespec ts;
	clock_gettime(clk, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

long long measure(Cell &c, long long n)
{
	long long c0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
	write_n(c, n);
	return now_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
}

// Percentile p (0 to 100) of v, nearest rank (tests/pkt/percentile.h).
double pct(const std::vector<double> &v, double p)
{
	return pkt::percentile(v, p / 100.0);
}

}  // namespace

int main(int argc, char **argv)
{
	try {
		int cpu = -1, rounds = 10;
		double target_ms = 20;
		std::vector<Cell> cells;
		std::vector<std::pair<std::string, std::string>> pairs;
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
				auto f = split(val, ':');
				if (f.size() != 4)
					die("--cell NAME:NETNS:TUN:v4|v6");
				Cell c;
				c.name = f[0];
				c.netns = f[1];
				c.tun = f[2];
				c.family = f[3];
				cells.push_back(c);
			} else if (opt == "--pair") {
				auto f = split(val, '=');
				if (f.size() != 2)
					die("--pair NAME=BASE");
				pairs.emplace_back(f[0], f[1]);
			} else {
				die("unknown option " + opt);
			}
		}
		if (cells.empty())
			die("no --cell");
		if (cpu >= 0)
			pkt::pin_to_cpu(cpu);
		std::map<std::string, size_t> index;
		for (size_t i = 0; i < cells.size(); i++) {
			Cell &c = cells[i];
			c.fd = in_netns(c.netns, [&] { return pkt::open_tun(c.tun); });
			c.packet = make_packet(c.family);
			index[c.name] = i;
		}
		for (auto &[name, base] : pairs)
			if (!index.count(name) || !index.count(base))
				die("--pair names an unknown cell: " + name + "=" + base);

		// Warm up (fills the outgoing TUNs' queues, so that every packet
		// meets the same full queue) and size each block to about target_ms.
		for (Cell &c : cells) {
			write_n(c, 4096);
			long long n = 4096, cpu_ns = 0;
			while ((cpu_ns = measure(c, n)) < 5000000 && n < (1 << 22))
				n *= 2;
			c.pkts_per_block = std::max<long long>(256, static_cast<long long>(n * target_ms * 1e6 / cpu_ns));
		}

		std::mt19937 rng(12345);
		std::vector<size_t> order(cells.size());
		for (size_t i = 0; i < order.size(); i++)
			order[i] = i;
		for (int r = 0; r < rounds; r++) {
			std::shuffle(order.begin(), order.end(), rng);
			for (size_t i : order) {
				Cell &c = cells[i];
				long long cpu_ns = measure(c, c.pkts_per_block);
				c.ns_per_pkt.push_back(static_cast<double>(cpu_ns) / c.pkts_per_block);
				printf("sample %s %d %lld %lld\n", c.name.c_str(), r, c.pkts_per_block, cpu_ns);
			}
			fflush(stdout);
		}
		for (Cell &c : cells)
			printf("total %s %lld\n", c.name.c_str(), c.total);
		for (Cell &c : cells)
			printf("cell %s %.1f %.1f\n", c.name.c_str(), pct(c.ns_per_pkt, 50), pct(c.ns_per_pkt, 99));
		// Paired by round: both measured within the same round, so what the
		// machine's other load does to one it mostly does to the other.
		for (auto &[name, base] : pairs) {
			const Cell &a = cells[index[name]], &b = cells[index[base]];
			std::vector<double> diff, ratio;
			for (int r = 0; r < rounds; r++) {
				diff.push_back(a.ns_per_pkt[r] - b.ns_per_pkt[r]);
				ratio.push_back(a.ns_per_pkt[r] / b.ns_per_pkt[r]);
			}
			printf("pair %s %s %.1f %.1f %.1f %.3f %.3f %.3f\n", name.c_str(), base.c_str(), pct(diff, 25),
			       pct(diff, 50), pct(diff, 75), pct(ratio, 25), pct(ratio, 50), pct(ratio, 75));
		}
		for (Cell &c : cells)
			close(c.fd);
		for (int fd : tun_fds)
			close(fd);
		return 0;
	} catch (const std::exception &e) {
		fprintf(stderr, "relaybench: %s\n", e.what());
		return 1;
	}
}
