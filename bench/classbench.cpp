// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// classbench: the clone classifier's cost per packet class, through
// BPF_PROG_TEST_RUN (the kernel runs the program `repeat` times on one skb
// and reports the mean duration in ns).
//
//   classbench --cpu N --reps R --repeat K
//
// Runs in a throwaway network namespace of its own (unshare), where it
// creates a TUN, holds it open and never reads it: bpf_clone_redirect()
// really copies and transmits into it, and once its queue is full (after
// txqueuelen copies) every further copy is dropped by the queue, so nothing
// leaves and the cost of a real copy is measured. A second instance of the
// program clones to an ifindex that does not exist (the helper fails before
// copying): the classification alone. An empty program on the same packet
// gives the harness' own cost, which the figures include.
//
// The WireGuard profile (tunnel = DUPGRE_TUNNEL_WIREGUARD) is loaded the same
// two ways, with one IPv4 and one IPv6 endpoint on port 51820, and measured
// in the same rounds as PPTP: data messages to a peer over IPv4 and IPv6
// (cloned), to a non-peer, and to a peer's address on another port.
//
// Output: "sample CASE REP NS" lines, then "check ..." lines; exit 1 if the
// program's counters do not show exactly the expected decisions.
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/pkt_cls.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "clone.skel.h"
#include "core/counters.h"
#include "dupgre/clone.h"
#include "packet.h"
#include "sys.h"

namespace {

const char *const kPeer = "198.19.0.1";
const char *const kOther = "198.19.255.1";
const char *const kPeer6 = "2001:db8:1::1";
const char *const kOther6 = "2001:db8:ff::1";
constexpr size_t kIpLen = 512;
constexpr uint16_t kWgPort = 51820;

using pkt::die;

int make_tun(const char *name, int *ifindex)
{
	int fd = pkt::open_tun(name);
	*ifindex = pkt::link_up(name);
	return fd;
}

// A WireGuard endpoint: its address entry (port 0: how many ports) and
// the endpoint itself, as `peer add` writes them.
void add_wg_peer(clone_bpf *skel, const char *address, uint16_t port)
{
	wg_peer_key key = {};
	if (strchr(address, ':')) {
		if (inet_pton(AF_INET6, address, key.addr) != 1)
			die(std::string("bad address ") + address);
	} else {
		key.addr[2] = htonl(0xffff);
		key.addr[3] = htonl(pkt::addr(address));
	}
	__u32 one = 1;
	if (bpf_map__update_elem(skel->maps.wg_peers, &key, sizeof(key), &one, sizeof(one), BPF_ANY))
		die("wg peer");
	key.port = htons(port);
	if (bpf_map__update_elem(skel->maps.wg_peers, &key, sizeof(key), &one, sizeof(one), BPF_ANY))
		die("wg peer");
}

clone_bpf *load(unsigned clone_ifindex, __u32 tunnel = DUPGRE_TUNNEL_PPTP)
{
	clone_bpf *skel = clone_bpf__open();
	if (!skel)
		die("clone_bpf__open");
	skel->rodata->clone_ifindex = clone_ifindex;
	skel->rodata->clone_mtu = 1500;
	skel->rodata->l3_device = false;
	skel->rodata->tunnel = tunnel;
	if (clone_bpf__load(skel))
		die("clone_bpf__load");
	if (tunnel == DUPGRE_TUNNEL_WIREGUARD) {
		add_wg_peer(skel, kPeer, kWgPort);
		add_wg_peer(skel, kPeer6, kWgPort);
		return skel;
	}
	__u32 key = htonl(pkt::addr(kPeer));
	__u8 one = 1;
	if (bpf_map__update_elem(skel->maps.peers, &key, sizeof(key), &one, 1, BPF_ANY))
		die("peer");
	return skel;
}

// r0 = TC_ACT_UNSPEC; exit: what BPF_PROG_TEST_RUN costs by itself.
int load_empty()
{
	struct bpf_insn insns[] = {
		{BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, TC_ACT_UNSPEC},
		{BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "bench_empty", "GPL", insns, 2, nullptr);
	if (fd < 0)
		die("empty program");
	return fd;
}

std::array<long long, CLONE_COUNTER_MAX> counters(clone_bpf *skel)
{
	std::array<long long, CLONE_COUNTER_MAX> c{};
	__u32 key = 0;
	auto row = dupgre::sum_percpu_row(bpf_map__fd(skel->maps.stats), &key, CLONE_COUNTER_MAX);
	std::copy(row.begin(), row.end(), c.begin());
	return c;
}

pkt::Bytes ipv4_to(const char *daddr, uint8_t protocol, const pkt::Bytes &l4)
{
	pkt::Ipv4 ip;
	ip.daddr = pkt::addr(daddr);
	ip.protocol = protocol;
	return pkt::ethernet({}, pkt::ipv4(ip, l4));
}

// A WireGuard data message to daddr:dport, kIpLen bytes of IP packet.
pkt::Bytes wg_to(const char *daddr, uint16_t dport)
{
	pkt::Udp u;
	u.dport = dport;
	if (strchr(daddr, ':')) {
		pkt::Ipv6 ip;
		ip.daddr = daddr;
		return pkt::ethernet({{}, 0x86dd}, pkt::ipv6(ip, pkt::udp(u, pkt::wg_message(4, kIpLen - 48))));
	}
	pkt::Ipv4 ip;
	ip.daddr = pkt::addr(daddr);
	ip.protocol = 17;
	return pkt::ethernet({}, pkt::ipv4(ip, pkt::udp(u, pkt::wg_message(4, kIpLen - 28))));
}

struct Case {
	std::string name;
	int prog_fd;
	pkt::Bytes frame;
	long long runs = 0;
};

}  // namespace

int main(int argc, char **argv)
{
	try {
		int cpu = -1, reps = 7;
		unsigned repeat = 100000;
		for (int i = 1; i + 1 < argc; i += 2) {
			std::string opt = argv[i];
			int v = std::stoi(argv[i + 1]);
			if (opt == "--cpu")
				cpu = v;
			else if (opt == "--reps")
				reps = v;
			else if (opt == "--repeat")
				repeat = v;
			else
				throw std::runtime_error("usage: classbench --cpu N --reps R --repeat K");
		}
		if (cpu >= 0)
			pkt::pin_to_cpu(cpu);
		if (unshare(CLONE_NEWNET) < 0)
			die("unshare(CLONE_NEWNET)");
		int tun_ifindex;
		int tun_fd = make_tun("bench0", &tun_ifindex);
		clone_bpf *to_tun = load(tun_ifindex);
		clone_bpf *to_nowhere = load(0x7fffff00);  // no such device
		clone_bpf *big = load(tun_ifindex);          // with 10 000 peers
		for (__u32 i = 1; i < 10000; i++) {
			__u32 key = htonl(pkt::addr("198.19.1.0") + i);
			__u8 one = 1;
			if (bpf_map__update_elem(big->maps.peers, &key, sizeof(key), &one, 1, BPF_ANY))
				die("peer");
		}
		clone_bpf *wg_to_tun = load(tun_ifindex, DUPGRE_TUNNEL_WIREGUARD);
		clone_bpf *wg_to_nowhere = load(0x7fffff00, DUPGRE_TUNNEL_WIREGUARD);
		int empty = load_empty();
		int fd_tun = bpf_program__fd(to_tun->progs.dupgre_clone);
		int fd_nowhere = bpf_program__fd(to_nowhere->progs.dupgre_clone);
		int fd_wg = bpf_program__fd(wg_to_tun->progs.dupgre_clone);
		int fd_wg_nowhere = bpf_program__fd(wg_to_nowhere->progs.dupgre_clone);

		pkt::Gre g;  // K, S, MPPE data: what a PPTP tunnel carries
		pkt::Bytes gre = pkt::gre(g, pkt::ppp_mppe(kIpLen - 20 - pkt::gre_header_len(g.word0)));
		pkt::Bytes udp(kIpLen - 20, 0x5a);
		pkt::put16(udp, 0, 40000);
		pkt::put16(udp, 2, 9);
		pkt::put16(udp, 4, udp.size());
		pkt::Bytes echo = pkt::tcp({}, pkt::pptp_control(5));
		pkt::Bytes ipv6 = pkt::ethernet({{}, 0x86dd}, pkt::Bytes(kIpLen, 0x60));

		std::vector<Case> cases = {
			{"empty_program", empty, ipv4_to(kPeer, 47, gre)},
			{"match_clone", fd_tun, ipv4_to(kPeer, 47, gre)},
			{"match_clone_no_target", fd_nowhere, ipv4_to(kPeer, 47, gre)},
			{"match_clone_10000_peers", bpf_program__fd(big->progs.dupgre_clone),
			 ipv4_to(kPeer, 47, gre)},
			{"gre_no_peer_10000_peers", bpf_program__fd(big->progs.dupgre_clone),
			 ipv4_to(kOther, 47, gre)},
			{"match_pptp_echo_clone", fd_tun, ipv4_to(kPeer, 6, echo)},
			{"gre_no_peer", fd_tun, ipv4_to(kOther, 47, gre)},
			{"udp_to_peer", fd_tun, ipv4_to(kPeer, 17, udp)},
			{"not_ipv4", fd_tun, ipv6},
			{"wg4_data_clone", fd_wg, wg_to(kPeer, kWgPort)},
			{"wg6_data_clone", fd_wg, wg_to(kPeer6, kWgPort)},
			{"wg4_data_no_target", fd_wg_nowhere, wg_to(kPeer, kWgPort)},
			{"wg6_data_no_target", fd_wg_nowhere, wg_to(kPeer6, kWgPort)},
			{"wg4_no_peer", fd_wg, wg_to(kOther, kWgPort)},
			{"wg6_no_peer", fd_wg, wg_to(kOther6, kWgPort)},
			{"wg4_peer_other_port", fd_wg, wg_to(kPeer, 9)},
			{"wg6_peer_other_port", fd_wg, wg_to(kPeer6, 9)},
		};
		auto before = counters(to_tun);
		auto wg_before = counters(wg_to_tun);
		std::mt19937 rng(4);
		std::vector<size_t> order(cases.size());
		for (size_t i = 0; i < order.size(); i++)
			order[i] = i;
		for (int r = 0; r < reps; r++) {
			std::shuffle(order.begin(), order.end(), rng);
			for (size_t i : order) {
				Case &c = cases[i];
				bpf_test_run_opts opts{};
				opts.sz = sizeof(opts);
				opts.data_in = c.frame.data();
				opts.data_size_in = c.frame.size();
				opts.repeat = repeat;
				if (bpf_prog_test_run_opts(c.prog_fd, &opts))
					die("BPF_PROG_TEST_RUN " + c.name);
				if (static_cast<int>(opts.retval) != TC_ACT_UNSPEC)
					throw std::runtime_error(c.name + ": verdict " + std::to_string(opts.retval));
				c.runs += repeat;
				printf("sample %s %d %u\n", c.name.c_str(), r, opts.duration);
			}
			fflush(stdout);
		}

		// Every run of a case must have taken the expected path.
		auto after = counters(to_tun);
		auto d = [&](int k) { return after[k] - before[k]; };
		auto wg_after = counters(wg_to_tun);
		auto wd = [&](int k) { return wg_after[k] - wg_before[k]; };
		std::map<std::string, long long> runs;
		for (const Case &c : cases)
			runs[c.name] = c.runs;
		long long copies = d(CLONE_CLONED) + d(CLONE_XMIT_DROPS);
		long long want_copies = runs["match_clone"] + runs["match_pptp_echo_clone"];
		struct {
			const char *what;
			long long got, want;
		} checks[] = {
			{"copies (cloned + dropped by the full TUN queue)", copies, want_copies},
			{"clone_errors", d(CLONE_ERRORS), 0},
			{"no_peer", d(CLONE_NO_PEER), runs["gre_no_peer"]},
			{"no_match", d(CLONE_NO_MATCH), runs["udp_to_peer"]},
			{"not_ipv4", d(CLONE_NOT_IPV4), runs["not_ipv4"]},
			{"no-target instance: clone_errors", counters(to_nowhere)[CLONE_ERRORS],
			 runs["match_clone_no_target"]},
			{"wireguard copies (cloned + dropped by the full TUN queue)",
			 wd(CLONE_CLONED) + wd(CLONE_XMIT_DROPS), runs["wg4_data_clone"] + runs["wg6_data_clone"]},
			{"wireguard wg_data", wd(CLONE_MATCH_WG_DATA), runs["wg4_data_clone"] + runs["wg6_data_clone"]},
			{"wireguard clone_errors", wd(CLONE_ERRORS), 0},
			{"wireguard no_peer", wd(CLONE_NO_PEER), runs["wg4_no_peer"] + runs["wg6_no_peer"]},
			{"wireguard no_match", wd(CLONE_NO_MATCH),
			 runs["wg4_peer_other_port"] + runs["wg6_peer_other_port"]},
			{"wireguard no-target instance: clone_errors", counters(wg_to_nowhere)[CLONE_ERRORS],
			 runs["wg4_data_no_target"] + runs["wg6_data_no_target"]},
		};
		int rc = 0;
		for (auto &c : checks) {
			printf("check %s: %lld (want %lld) %s\n", c.what, c.got, c.want,
			       c.got == c.want ? "ok" : "FAIL");
			rc |= c.got != c.want;
		}
		printf("check cloned_into_tun_queue %lld\n", d(CLONE_CLONED));
		clone_bpf__destroy(to_tun);
		clone_bpf__destroy(to_nowhere);
		clone_bpf__destroy(big);
		clone_bpf__destroy(wg_to_tun);
		clone_bpf__destroy(wg_to_nowhere);
		close(empty);
		close(tun_fd);
		return rc;
	} catch (const std::exception &e) {
		fprintf(stderr, "classbench: %s\n", e.what());
		return 1;
	}
}
