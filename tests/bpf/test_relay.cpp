// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// The relay (bpf/relay.bpf.c) through BPF_PROG_TEST_RUN: one table of
// {description, packet, setup, verdict, packet after, counter}, played for
// IPv4 and for IPv6 site addresses.
//
//   site A ---\                                     /--- wan (default route:
//   site C ----- link A (rly_a, one WireGuard        |     where strangers'
//              device, two peers)   +- secondary --+       packets would go)
//   site B ----- link B (rly_b) ----+  10.66.4.1, fd00:66::1 on link A
//
// Copies arrive on a dual link (an L3 device: the IP header at offset 0)
// and the program tells where they go. Under BPF_PROG_TEST_RUN bpf_redirect()
// only records its target: the program returns TC_ACT_REDIRECT and the run's
// data_out is the packet as it would leave; which link it leaves by is the
// namespace tests' job (test-relay-sites, test-relay-wireguard). The ingress
// link is __sk_buff's ingress_ifindex in the run's context.
//
// Packets for no site go through the kernel's route lookup (bpf_fib_lookup)
// as if they entered by that link, so the links are real: TUN devices in a
// network namespace of this process's own, with the secondary's addresses
// and routes, entered for each test and left after it.
//
// The link's protocol (skb->protocol: IPv4, IPv6, or ARP, MPLS...) is the
// row's, given in cb[0] to an entry of tests/bpf/relay_test.bpf.c, since
// BPF_PROG_TEST_RUN takes skb->protocol from bytes 12-13 of the packet. The
// program's own entry, dupgre_relay, runs on a real TUN link that delivers
// the protocol given ("the link's protocol" below).
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <bpf/libbpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "sys.h"
#include "core/counters.h"
#include "core/netdev.h"
#include "dupgre/relay.h"
#include "packet.h"
#include "relay_test.skel.h"
#include "test_run.h"

using namespace pkt;

namespace {

void sh(const std::string &cmd)
{
	INFO(cmd);
	REQUIRE(std::system((cmd + " >/dev/null").c_str()) == 0);
}

// The secondary's network: a namespace of this process's own while it lives.
class Secondary {
public:
	Secondary()
	{
		orig_ = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		REQUIRE(orig_ >= 0);
		REQUIRE(unshare(CLONE_NEWNET) == 0);
		sh("sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0");
		link_a = tun("rly_a").ifindex;
		Tun b = tun("rly_b");
		link_b = b.ifindex;
		fd_b = b.fd;
		tun("rly_wan");
		sh("ip link set lo up");
		sh("ip addr add 10.66.4.1/32 dev rly_a");
		// No duplicate address detection (TUN is NOARP anyway): the
		// address is usable at once. Not "nodad": busybox ip (the s390x
		// guest's) does not know it.
		sh("echo 0 >/proc/sys/net/ipv6/conf/rly_a/accept_dad");
		sh("ip -6 addr add fd00:66::1/128 dev rly_a");
		sh("ip route add default dev rly_wan");
		sh("ip -6 route add default dev rly_wan");
		forwarding(true);
	}
	~Secondary()
	{
		for (int fd : fds_)
			close(fd);
		// Back to where the other tests run; the namespace goes with its
		// last reference.
		CHECK(setns(orig_, CLONE_NEWNET) == 0);
		close(orig_);
	}
	Secondary(const Secondary &) = delete;
	Secondary &operator=(const Secondary &) = delete;

	void forwarding(bool on)
	{
		std::string v = on ? "1" : "0";
		sh("sysctl -qw net.ipv4.ip_forward=" + v + " net.ipv6.conf.all.forwarding=" + v);
	}

	__u32 link_a = 0, link_b = 0;
	int fd_b = -1;  // what leaves by link B

	struct Tun {
		__u32 ifindex;
		int fd;
	};
	// A TUN device held open (with a reader, it has carrier), up. With pi,
	// each packet written starts with struct tun_pi, whose proto becomes
	// skb->protocol: a link that delivers IP bytes as anything.
	Tun tun(const char *name, bool pi = false)
	{
		int fd = pkt::open_tun(name, false, pi);
		fds_.push_back(fd);
		return {static_cast<__u32>(pkt::link_up(name)), fd};
	}

private:
	int orig_ = -1;
	std::vector<int> fds_;
};

enum Link { A, B };

struct Peer {
	std::string site;
	Link link;
};

// A site's address as the peers map keys it: 16 bytes, IPv4 ones IPv4-mapped.
relay_site site_key(const std::string &text)
{
	relay_site k = {};
	unsigned char *b = reinterpret_cast<unsigned char *>(k.addr);
	in_addr a4;
	if (inet_pton(AF_INET, text.c_str(), &a4) == 1) {
		b[10] = b[11] = 0xff;
		memcpy(b + 12, &a4, 4);
	} else {
		REQUIRE(inet_pton(AF_INET6, text.c_str(), b) == 1);
	}
	return k;
}

// What a link delivers IP as: the version's protocol (4: ETH_P_IP, 6:
// ETH_P_IPV6). Other first nibbles come as IPv4, as a ppp link delivers
// whatever its IPv4 protocol number carries.
uint16_t protocol_of(const Bytes &p)
{
	return !p.empty() && p[0] >> 4 == 6 ? ETH_P_IPV6 : ETH_P_IP;
}

class Relay {
public:
	// Registers links A and B (their records, as user space writes them,
	// and counter rows) and the peers.
	Relay(const Secondary &net, const std::vector<Peer> &peers) : net_(net)
	{
		skel_ = relay_test_bpf__open_and_load();
		REQUIRE(skel_);
		check_jited(skel_->obj);
		add_link(net.link_a, "rly_a");
		add_link(net.link_b, "rly_b");
		for (const Peer &p : peers)
			add_peer(p.site, ifindex(p.link));
	}
	~Relay() { relay_test_bpf__destroy(skel_); }
	Relay(const Relay &) = delete;
	Relay &operator=(const Relay &) = delete;

	__u32 ifindex(Link l) const { return l == A ? net_.link_a : net_.link_b; }

	void add_link(__u32 link, const char *name)
	{
		relay_link record = {};
		strncpy(record.name, name, sizeof(record.name) - 1);
		record.ipv6_forwards = dupgre::ipv6_forwards_from(name);
		REQUIRE(bpf_map__update_elem(skel_->maps.links, &link, sizeof(link), &record, sizeof(record),
					     BPF_ANY) == 0);
		dupgre::clear_percpu_row(bpf_map__fd(skel_->maps.stats), &link, RELAY_COUNTER_MAX);
	}
	void forget_record(Link l)
	{
		__u32 link = ifindex(l);
		REQUIRE(bpf_map__delete_elem(skel_->maps.links, &link, sizeof(link), 0) == 0);
	}
	void add_peer(const std::string &site, __u32 link)
	{
		relay_site key = site_key(site);
		relay_peer value = {link};
		REQUIRE(bpf_map__update_elem(skel_->maps.peers, &key, sizeof(key), &value, sizeof(value),
					     BPF_ANY) == 0);
	}
	// The program itself (dupgre_relay, reading skb->protocol) on link's
	// ingress; the namespace takes it away with the link.
	void attach(__u32 link)
	{
		bpf_tc_hook hook = {};
		hook.sz = sizeof(hook);
		hook.ifindex = static_cast<int>(link);
		hook.attach_point = BPF_TC_INGRESS;
		REQUIRE(bpf_tc_hook_create(&hook) == 0);
		bpf_tc_opts opts = {};
		opts.sz = sizeof(opts);
		opts.prog_fd = bpf_program__fd(skel_->progs.dupgre_relay);
		REQUIRE(bpf_tc_attach(&hook, &opts) == 0);
	}

	void detach(__u32 link)
	{
		bpf_tc_hook hook = {};
		hook.sz = sizeof(hook);
		hook.ifindex = static_cast<int>(link);
		hook.attach_point = static_cast<bpf_tc_attach_point>(BPF_TC_INGRESS | BPF_TC_EGRESS);
		REQUIRE(bpf_tc_hook_destroy(&hook) == 0);
	}

	struct Run {
		int verdict;
		Bytes out;
	};
	// One packet arriving by ingress_ifindex, delivered as protocol (0: as
	// protocol_of says).
	Run run(const Bytes &in, __u32 ingress_ifindex, uint16_t protocol = 0)
	{
		Bytes out(in.size() + 64);
		__sk_buff ctx = {};
		ctx.ingress_ifindex = ingress_ifindex;
		ctx.cb[0] = htons(protocol ? protocol : protocol_of(in));
		bpf_test_run_opts opts = {};
		opts.sz = sizeof(opts);
		opts.data_in = in.data();
		opts.data_size_in = in.size();
		opts.data_out = out.data();
		opts.data_size_out = out.size();
		opts.ctx_in = &ctx;
		opts.ctx_size_in = sizeof(ctx);
		opts.repeat = 1;
		REQUIRE(bpf_prog_test_run_opts(bpf_program__fd(skel_->progs.relay_protocol_from_cb), &opts) == 0);
		out.resize(opts.data_size_out);
		return {static_cast<int>(opts.retval), out};
	}
	Run run(const Bytes &in, Link l, uint16_t protocol = 0) { return run(in, ifindex(l), protocol); }

	// The one place counters are read: link's row, summed over the CPUs.
	std::vector<__u64> counters(__u32 ifindex)
	{
		return dupgre::sum_percpu_row(bpf_map__fd(skel_->maps.stats), &ifindex, RELAY_COUNTER_MAX);
	}
	std::vector<__u64> counters(Link l) { return counters(ifindex(l)); }
	bool has_counters(__u32 ifindex)
	{
		std::vector<__u64> row(static_cast<size_t>(libbpf_num_possible_cpus()) * RELAY_COUNTER_MAX);
		return bpf_map__lookup_elem(skel_->maps.stats, &ifindex, sizeof(ifindex), row.data(),
					    row.size() * sizeof(__u64), 0) == 0;
	}

private:
	const Secondary &net_;
	relay_test_bpf *skel_ = nullptr;
};

// The addresses of one family's table.
struct Family {
	const char *name;
	std::string site_a, site_b, site_c;  // A and C behind link A, B behind link B
	std::string nowhere;                  // routed onwards, no site
	std::string stranger, stranger2;      // no site, routed onwards
	std::string host;                     // the secondary's own, on link A
	std::string multicast;
	// A copy from one address to another with this TTL or hop limit.
	Bytes (*copy)(const std::string &from, const std::string &to, uint8_t hops);
};

// IPv4: the PPTP tunnel's GRE data, as the guide's sites send it.
Bytes gre_copy(const std::string &from, const std::string &to, uint8_t ttl, Bytes options = {})
{
	Ipv4 ip;
	ip.saddr = addr(from.c_str());
	ip.daddr = addr(to.c_str());
	ip.ttl = ttl;
	ip.options = std::move(options);
	Gre g;
	g.seq = 77;
	return ipv4(ip, gre(g, ppp_mppe()));
}
Bytes gre_copy3(const std::string &from, const std::string &to, uint8_t ttl)
{
	return gre_copy(from, to, ttl);
}

// IPv6: a WireGuard data message.
Bytes wg6_copy(const std::string &from, const std::string &to, uint8_t hop_limit)
{
	Ipv6 ip;
	ip.saddr = from;
	ip.daddr = to;
	ip.hop_limit = hop_limit;
	return ipv6(ip, udp({}, wg_message(4, 96)));
}

const Family v4 = {"IPv4",        "198.18.10.1", "198.18.20.1", "198.18.30.1", "198.18.40.1",
		   "198.18.99.9", "198.18.99.10", "10.66.4.1", "224.0.0.5", gre_copy3};
const Family v6 = {"IPv6",          "2001:db8:10::1", "2001:db8:20::1", "2001:db8:30::1", "2001:db8:40::1",
		   "2001:db8:99::9", "2001:db8:99::a", "fd00:66::1",   "ff02::5",       wg6_copy};

std::vector<Peer> three_sites(const Family &f)
{
	return {{f.site_a, A}, {f.site_c, A}, {f.site_b, B}};
}

Bytes with_byte(Bytes p, size_t off, uint8_t v)
{
	p.at(off) = v;
	return p;
}

// The IPv4 header checksum verified from scratch (RFC 1071): the one's
// complement sum of the whole header, checksum included, is 0xffff.
bool header_checksum_ok(const Bytes &p)
{
	size_t hlen = p.empty() ? 0 : (p[0] & 0x0f) * 4;
	if (hlen < 20 || hlen > p.size())
		return false;
	uint32_t sum = 0;
	for (size_t i = 0; i < hlen; i += 2)
		sum += uint32_t(p.at(i)) << 8 | p.at(i + 1);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

struct Case {
	std::string description;
	Bytes in;
	std::vector<Peer> peers;
	Link ingress;
	int verdict;
	Bytes out;              // the packet after the program
	relay_counter counter;  // what counts it, besides RELAY_SEEN
	uint16_t protocol = 0;  // what the link delivered it as; 0: protocol_of(in)
};

// Every decision, for one family's addresses.
std::vector<Case> cases(const Family &f)
{
	auto c = [&f](const std::string &from, const std::string &to, uint8_t hops = 64) { return f.copy(from, to, hops); };
	auto sites = three_sites(f);
	std::vector<Case> out = {
		{"a site's copy for another site leaves by its link, one hop less",
		 c(f.site_a, f.site_b, 64), sites, A, TC_ACT_REDIRECT, c(f.site_a, f.site_b, 63), RELAY_RELAYED},
		{"the other way round",
		 c(f.site_b, f.site_a, 128), sites, B, TC_ACT_REDIRECT, c(f.site_b, f.site_a, 127), RELAY_RELAYED},
		{"hairpin: for another site behind the link it came by (one WireGuard device, two peers)",
		 c(f.site_a, f.site_c, 64), sites, A, TC_ACT_REDIRECT, c(f.site_a, f.site_c, 63), RELAY_RELAYED},
		{"hairpin the other way",
		 c(f.site_c, f.site_a, 64), sites, A, TC_ACT_REDIRECT, c(f.site_c, f.site_a, 63), RELAY_RELAYED},
		{"2 hops left: relayed with 1",
		 c(f.site_a, f.site_b, 2), sites, A, TC_ACT_REDIRECT, c(f.site_a, f.site_b, 1), RELAY_RELAYED},
		{"1 hop left: dropped, as a router would",
		 c(f.site_a, f.site_b, 1), sites, A, TC_ACT_SHOT, c(f.site_a, f.site_b, 1), RELAY_TTL_EXPIRED},
		{"0 hops left: dropped",
		 c(f.site_a, f.site_b, 0), sites, A, TC_ACT_SHOT, c(f.site_a, f.site_b, 0), RELAY_TTL_EXPIRED},
		{"1 hop left on a hairpin: dropped",
		 c(f.site_a, f.site_c, 1), sites, A, TC_ACT_SHOT, c(f.site_a, f.site_c, 1), RELAY_TTL_EXPIRED},
		{"loop: a site's packet for its own address is dropped",
		 c(f.site_a, f.site_a), sites, A, TC_ACT_SHOT, c(f.site_a, f.site_a), RELAY_LOOP},
		{"a stranger's packet for a site: dropped",
		 c(f.stranger, f.site_b), sites, A, TC_ACT_SHOT, c(f.stranger, f.site_b), RELAY_STRANGER},
		{"a stranger's packet for a site behind its own link: dropped",
		 c(f.stranger, f.site_c), sites, A, TC_ACT_SHOT, c(f.stranger, f.site_c), RELAY_STRANGER},
		{"a site's address on another site's link, for a site: dropped",
		 c(f.site_b, f.site_a), sites, A, TC_ACT_SHOT, c(f.site_b, f.site_a), RELAY_STRANGER},
		{"a site's address on another site's link, for no site: dropped",
		 c(f.site_b, f.stranger2), sites, A, TC_ACT_SHOT, c(f.site_b, f.stranger2), RELAY_STRANGER},
		{"a site's copy for a site with no link: dropped",
		 c(f.site_a, f.nowhere), sites, A, TC_ACT_SHOT, c(f.site_a, f.nowhere), RELAY_NO_LINK},
		{"the same once the destination's link is gone: dropped",
		 c(f.site_a, f.site_b), {{f.site_a, A}}, A, TC_ACT_SHOT, c(f.site_a, f.site_b), RELAY_NO_LINK},
		{"a site's packet for this host: left to the stack",
		 c(f.site_a, f.host), sites, A, TC_ACT_UNSPEC, c(f.site_a, f.host), RELAY_TO_HOST},
		{"a stranger's packet for this host: left to the stack",
		 c(f.stranger, f.host), sites, A, TC_ACT_UNSPEC, c(f.stranger, f.host), RELAY_TO_HOST},
		{"a stranger's packet that this host would route onwards: dropped",
		 c(f.stranger, f.stranger2), sites, A, TC_ACT_SHOT, c(f.stranger, f.stranger2), RELAY_STRANGER},
		{"no sites registered: what this host would route onwards is dropped",
		 c(f.site_a, f.site_b), {}, A, TC_ACT_SHOT, c(f.site_a, f.site_b), RELAY_STRANGER},
		{"multicast (routing protocols on the link): left to the stack",
		 c(f.stranger, f.multicast), sites, A, TC_ACT_UNSPEC, c(f.stranger, f.multicast), RELAY_TO_HOST},
		{"a site's multicast: left to the stack",
		 c(f.site_a, f.multicast), sites, A, TC_ACT_UNSPEC, c(f.site_a, f.multicast), RELAY_TO_HOST},
		{"version 5, delivered as IPv4: dropped",
		 with_byte(c(f.site_a, f.site_b, 64), 0, 0x50), sites, A, TC_ACT_SHOT,
		 with_byte(c(f.site_a, f.site_b, 64), 0, 0x50), RELAY_MALFORMED, ETH_P_IP},
		{"version 0, delivered as IPv6: dropped",
		 with_byte(c(f.site_a, f.site_b, 64), 0, 0x05), sites, A, TC_ACT_SHOT,
		 with_byte(c(f.site_a, f.site_b, 64), 0, 0x05), RELAY_MALFORMED, ETH_P_IPV6},
		// The link's protocol, not the first nibble, says what the stack
		// hands the packet to: IP bytes delivered as anything else never
		// reach IP, and are never relayed.
		{"a site's copy delivered as ARP: not IP, left to the stack",
		 c(f.site_a, f.site_b), sites, A, TC_ACT_UNSPEC, c(f.site_a, f.site_b), RELAY_NOT_IP, ETH_P_ARP},
		{"a site's copy delivered as MPLS: not IP, left to the stack",
		 c(f.site_a, f.site_b), sites, A, TC_ACT_UNSPEC, c(f.site_a, f.site_b), RELAY_NOT_IP, ETH_P_MPLS_UC},
		{"a site's copy delivered as ethertype 0x88b5: not IP, left to the stack",
		 c(f.site_a, f.site_b), sites, A, TC_ACT_UNSPEC, c(f.site_a, f.site_b), RELAY_NOT_IP, 0x88b5},
		{"a stranger's packet to be routed onwards, delivered as ARP: left to the stack",
		 c(f.stranger, f.stranger2), sites, A, TC_ACT_UNSPEC, c(f.stranger, f.stranger2), RELAY_NOT_IP,
		 ETH_P_ARP},
		{"a site's copy delivered as the other IP version: dropped",
		 c(f.site_a, f.site_b), sites, A, TC_ACT_SHOT, c(f.site_a, f.site_b), RELAY_MALFORMED,
		 static_cast<uint16_t>(protocol_of(c(f.site_a, f.site_b)) == ETH_P_IP ? ETH_P_IPV6 : ETH_P_IP)},
	};
	for (Case &k : out)
		k.description = std::string(f.name) + ": " + k.description;
	return out;
}

// What only one family has: IPv4 options and header fields, IPv6's length.
std::vector<Case> family_cases()
{
	const Family &f = v4;
	auto sites = three_sites(f);
	Bytes opts = {0x94, 0x04, 0x00, 0x00};  // Router Alert: a 24-byte header
	Bytes good = gre_copy(f.site_a, f.site_b, 64);
	// 28 bytes whose header claims 60 (IHL 15) and whose total length agrees.
	Ipv4 short_ip;
	short_ip.saddr = addr(f.site_a.c_str());
	short_ip.daddr = addr(f.site_b.c_str());
	Bytes beyond = ipv4(short_ip, Bytes(8, 0x5a));
	beyond[0] = 0x4f;
	put16(beyond, 2, 60);
	Bytes padded = good + Bytes(6, 0);  // the link's padding after the packet
	Bytes padded_out = gre_copy(f.site_a, f.site_b, 63) + Bytes(6, 0);
	Bytes six = wg6_copy(v6.site_a, v6.site_b, 64);
	Bytes jumbo = six;
	put16(jumbo, 4, 0);
	// Payload length 0 that the stack would trim to the header and route
	// on: a stranger's, to an address beyond the WAN.
	Bytes jumbo_routed = wg6_copy(v6.stranger, v6.stranger2, 64);
	put16(jumbo_routed, 4, 0);
	Bytes six_padded = six + Bytes(6, 0);
	Bytes six_padded_out = with_byte(six_padded, 7, 63);
	// IPv4-mapped: the IPv4 sites' keys, in an IPv6 header.
	const std::string mapped_a = "::ffff:" + v4.site_a, mapped_b = "::ffff:" + v4.site_b;
	std::vector<Peer> both = three_sites(v4), six_sites = three_sites(v6);
	both.insert(both.end(), six_sites.begin(), six_sites.end());
	return {
		{"IPv4: with IP options, TTL and checksum at the same offsets",
		 gre_copy(f.site_a, f.site_b, 64, opts), sites, A, TC_ACT_REDIRECT,
		 gre_copy(f.site_a, f.site_b, 63, opts), RELAY_RELAYED},
		{"IPv4: padding after the total length is carried along",
		 padded, sites, A, TC_ACT_REDIRECT, padded_out, RELAY_RELAYED},
		{"IPv4: header length 16 (IHL 4): dropped",
		 with_byte(good, 0, 0x44), sites, A, TC_ACT_SHOT, with_byte(good, 0, 0x44), RELAY_MALFORMED},
		{"IPv4: total length below the header's: dropped",
		 with_byte(good, 3, 19), sites, A, TC_ACT_SHOT, with_byte(good, 3, 19), RELAY_MALFORMED},
		{"IPv4: total length one beyond the packet: dropped",
		 with_byte(good, 3, good[3] + 1), sites, A, TC_ACT_SHOT, with_byte(good, 3, good[3] + 1),
		 RELAY_MALFORMED},
		{"IPv4: header longer than the packet (IHL 15): dropped",
		 beyond, sites, A, TC_ACT_SHOT, beyond, RELAY_MALFORMED},
		{"IPv6: payload length 0 (a jumbogram's, which no dual link carries): dropped",
		 jumbo, three_sites(v6), A, TC_ACT_SHOT, jumbo, RELAY_MALFORMED},
		{"IPv6: payload length 0, to be routed onwards (the stack would trim and route it): dropped",
		 jumbo_routed, three_sites(v6), A, TC_ACT_SHOT, jumbo_routed, RELAY_MALFORMED},
		{"IPv6: payload length one beyond the packet: dropped",
		 with_byte(six, 5, six[5] + 1), three_sites(v6), A, TC_ACT_SHOT, with_byte(six, 5, six[5] + 1),
		 RELAY_MALFORMED},
		{"IPv6: padding after the payload length is carried along",
		 six_padded, three_sites(v6), A, TC_ACT_REDIRECT, six_padded_out, RELAY_RELAYED},
		{"IPv6 between IPv4-mapped sites' addresses: no IPv4 site matches, dropped",
		 wg6_copy(mapped_a, mapped_b, 64), three_sites(v4), A, TC_ACT_SHOT, wg6_copy(mapped_a, mapped_b, 64),
		 RELAY_V4_MAPPED},
		{"IPv6 from a site to an IPv4-mapped site's address: dropped",
		 wg6_copy(v6.site_a, mapped_b, 64), both, A, TC_ACT_SHOT, wg6_copy(v6.site_a, mapped_b, 64),
		 RELAY_V4_MAPPED},
		{"IPv6 from an IPv4-mapped site's address to a site: dropped",
		 wg6_copy(mapped_a, v6.site_b, 64), both, A, TC_ACT_SHOT, wg6_copy(mapped_a, v6.site_b, 64),
		 RELAY_V4_MAPPED},
		{"IPv6 from an IPv4-mapped address to no site (would be routed onwards): dropped",
		 wg6_copy("::ffff:198.18.99.9", v6.stranger2, 64), both, A, TC_ACT_SHOT,
		 wg6_copy("::ffff:198.18.99.9", v6.stranger2, 64), RELAY_V4_MAPPED},
		{"IPv4 packet, only IPv6 sites registered: no IPv4-mapped key matches",
		 gre_copy("198.18.10.1", "198.18.20.1", 64), three_sites(v6), A, TC_ACT_SHOT,
		 gre_copy("198.18.10.1", "198.18.20.1", 64), RELAY_STRANGER},
	};
}

std::string counter_name(unsigned c)
{
	static const char *const names[] = {
#define RELAY_COUNTER_NAME(id, name, family, help) #id,
		RELAY_COUNTERS(RELAY_COUNTER_NAME)
#undef RELAY_COUNTER_NAME
	};
	return c < std::size(names) ? names[c] : "?";
}

// The counters after one packet: seen, the one result, and bytes if relayed.
void check_counted(Relay &relay, Link ingress, relay_counter counter, size_t bytes)
{
	std::vector<__u64> want(RELAY_COUNTER_MAX, 0);
	want[RELAY_SEEN] = 1;
	want[counter] = 1;
	if (counter == RELAY_RELAYED)
		want[RELAY_RELAYED_BYTES] = bytes;
	std::vector<__u64> got = relay.counters(ingress);
	for (unsigned i = 0; i < RELAY_COUNTER_MAX; i++) {
		CAPTURE(counter_name(i));
		CHECK(got.at(i) == want[i]);
	}
	CHECK(relay.counters(ingress == A ? B : A) == std::vector<__u64>(RELAY_COUNTER_MAX, 0));
}

}  // namespace

TEST_CASE("relay: the verdict, the packet after and the one counter, case by case, IPv4 and IPv6")
{
	Secondary net;
	std::vector<Case> all = cases(v4), six = cases(v6), more = family_cases();
	all.insert(all.end(), six.begin(), six.end());
	all.insert(all.end(), more.begin(), more.end());
	for (const Case &c : all) {
		const std::string what = c.description;
		CAPTURE(what);
		Relay relay(net, c.peers);
		Relay::Run r = relay.run(c.in, c.ingress, c.protocol);
		CHECK(r.verdict == c.verdict);
		CHECK(hex(r.out) == hex(c.out));
		if (!c.in.empty() && c.in[0] >> 4 == 4)
			CHECK(header_checksum_ok(r.out) == header_checksum_ok(c.in));
		check_counted(relay, c.ingress, c.counter, c.in.size());
	}
}

TEST_CASE("relay: cut short at every byte, the packet is dropped untouched and counted malformed")
{
	Secondary net;
	for (const Family *f : {&v4, &v6}) {
		Relay relay(net, three_sites(*f));
		Bytes whole = f->copy(f->site_a, f->site_b, 64);
		REQUIRE(relay.run(whole, A).verdict == TC_ACT_REDIRECT);
		// BPF_PROG_TEST_RUN takes no less than an Ethernet header, 14 bytes.
		for (size_t n = 14; n < whole.size(); n++) {
			Bytes in(whole.begin(), whole.begin() + static_cast<long>(n));
			CAPTURE(f->name);
			CAPTURE(n);
			Relay::Run r = relay.run(in, A);
			CHECK(r.verdict == TC_ACT_SHOT);
			CHECK(hex(r.out) == hex(in));
		}
		std::vector<__u64> got = relay.counters(A);
		CHECK(got.at(RELAY_SEEN) == whole.size() - 14 + 1);
		CHECK(got.at(RELAY_MALFORMED) == whole.size() - 14);
		CHECK(got.at(RELAY_RELAYED) == 1);
	}
}

TEST_CASE("relay: forwarding off, the stack cannot route a stranger's packet: left to it")
{
	Secondary net;
	net.forwarding(false);
	for (const Family *f : {&v4, &v6}) {
		CAPTURE(f->name);
		{
			Relay relay(net, three_sites(*f));
			Bytes in = f->copy(f->stranger, f->stranger2, 64);
			Relay::Run r = relay.run(in, A);
			CHECK(r.verdict == TC_ACT_UNSPEC);
			check_counted(relay, A, RELAY_TO_HOST, in.size());
		}
		{
			// The relay's own decisions do not depend on forwarding.
			Relay relay(net, three_sites(*f));
			Bytes in = f->copy(f->stranger, f->site_b, 64);
			CHECK(relay.run(in, A).verdict == TC_ACT_SHOT);
			check_counted(relay, A, RELAY_STRANGER, in.size());
		}
		{
			Relay relay(net, three_sites(*f));
			Bytes in = f->copy(f->site_a, f->site_b, 64);
			CHECK(relay.run(in, A).verdict == TC_ACT_REDIRECT);
			check_counted(relay, A, RELAY_RELAYED, in.size());
		}
	}
}

// Forwarding set on the link against the global setting. IPv4 forwards by
// the ingress device's own setting, which the lookup reads; IPv6 by
// all.forwarding (or the link's force_forwarding, Linux >= 6.17), which it
// does not: user space's record of the link carries that.
TEST_CASE("relay: forwarding off on the link alone: IPv4 left to the stack, IPv6 still refused")
{
	Secondary net;  // all.forwarding and ip_forward on
	sh("sysctl -qw net.ipv4.conf.rly_a.forwarding=0 net.ipv6.conf.rly_a.forwarding=0");
	struct Row {
		const Family *f;
		std::string from, to;
		int verdict;
		relay_counter counter;
	};
	const Row rows[] = {
		{&v4, v4.stranger, v4.stranger2, TC_ACT_UNSPEC, RELAY_TO_HOST},
		{&v4, v4.site_a, v4.nowhere, TC_ACT_UNSPEC, RELAY_TO_HOST},
		{&v6, v6.stranger, v6.stranger2, TC_ACT_SHOT, RELAY_STRANGER},
		{&v6, v6.site_a, v6.nowhere, TC_ACT_SHOT, RELAY_NO_LINK},
		// The lookup never ran: this host's own address is not told
		// apart (the price of this setting, see unrelayed()).
		{&v6, v6.stranger, v6.host, TC_ACT_SHOT, RELAY_STRANGER},
		{&v6, v6.stranger, v6.multicast, TC_ACT_UNSPEC, RELAY_TO_HOST},
		{&v6, v6.site_a, v6.site_b, TC_ACT_REDIRECT, RELAY_RELAYED},
	};
	for (const Row &row : rows) {
		CAPTURE(row.from);
		CAPTURE(row.to);
		Relay relay(net, three_sites(*row.f));
		Bytes in = row.f->copy(row.from, row.to, 64);
		CHECK(relay.run(in, A).verdict == row.verdict);
		check_counted(relay, A, row.counter, in.size());
	}
}

TEST_CASE("relay: IPv6 with forwarding off everywhere, the link's record decides; none: refused")
{
	Secondary net;
	net.forwarding(false);
	Bytes in = wg6_copy(v6.stranger, v6.stranger2, 64);
	{
		Relay relay(net, three_sites(v6));
		CHECK(relay.run(in, A).verdict == TC_ACT_UNSPEC);
		check_counted(relay, A, RELAY_TO_HOST, in.size());
	}
	{
		// A link being registered or unregistered: assume the stack forwards.
		Relay relay(net, three_sites(v6));
		relay.forget_record(A);
		CHECK(relay.run(in, A).verdict == TC_ACT_SHOT);
		check_counted(relay, A, RELAY_STRANGER, in.size());
	}
	if (access("/proc/sys/net/ipv6/conf/rly_a/force_forwarding", F_OK) != 0) {
		MESSAGE("no force_forwarding (Linux < 6.17): not tested");
		return;
	}
	// Linux >= 6.17: forwarding from this link only, whatever all.forwarding says.
	sh("sysctl -qw net.ipv6.conf.rly_a.force_forwarding=1");
	REQUIRE(dupgre::ipv6_forwards_from("rly_a"));
	CHECK_FALSE(dupgre::ipv6_forwards_from("rly_b"));
	Relay relay(net, three_sites(v6));
	CHECK(relay.run(in, A).verdict == TC_ACT_SHOT);
	check_counted(relay, A, RELAY_STRANGER, in.size());
}

// The next packet that left by a TUN link, waiting at most 5 s for it;
// the link's own IPv6 multicast (router solicitations, MLD) skipped.
Bytes read_packet(int fd)
{
	for (;;) {
		pollfd p = {fd, POLLIN, 0};
		REQUIRE(poll(&p, 1, 5000) == 1);
		Bytes b(4096);
		ssize_t n = read(fd, b.data(), b.size());
		REQUIRE(n > 0);
		b.resize(static_cast<size_t>(n));
		if (!(b[0] >> 4 == 6 && b.size() >= 40 && b[24] == 0xff))
			return b;
	}
}

// Writes a packet into a TUN link with packet information: it enters the
// secondary as protocol, its TC ingress and the stack run before write returns.
void write_as(int fd, uint16_t protocol, const Bytes &p)
{
	Bytes b = {0, 0, 0, 0};
	put16(b, 2, protocol);
	b = b + p;
	REQUIRE(write(fd, b.data(), b.size()) == static_cast<ssize_t>(b.size()));
}

// A counter of this namespace's IP stack: name from /proc/net/snmp's "Ip:"
// lines (IPv4) or from an snmp6 file ("Ip6..." lines, /proc/net/snmp6 or a
// device's /proc/net/dev_snmp6/DEV).
__u64 snmp(const std::string &name, const std::string &file = "/proc/net/snmp")
{
	std::ifstream in(file);
	REQUIRE(in.good());
	std::vector<std::string> names;
	for (std::string line; std::getline(in, line);) {
		std::istringstream words(line);
		std::string first, w;
		words >> first;
		if (first == name) {
			__u64 v = 0;
			words >> v;
			return v;
		}
		if (first != "Ip:")
			continue;
		std::vector<std::string> row;
		while (words >> w)
			row.push_back(w);
		if (names.empty()) {
			names = row;
			continue;
		}
		for (size_t i = 0; i < names.size() && i < row.size(); i++)
			if (names[i] == name)
				return std::stoull(row[i]);
	}
	FAIL("no counter " << name << " in " << file);
	return 0;
}

// The program itself (dupgre_relay) reads skb->protocol, which BPF_PROG_TEST_RUN
// cannot set: here a TUN link with packet information delivers IP bytes as
// ARP, MPLS or the other IP version, and the stack's own counters tell what
// it did with what the relay left to it.
TEST_CASE("relay: the link's protocol, on a real link: only what it delivers as IP is relayed")
{
	Secondary net;
	for (const Family *f : {&v4, &v6}) {
		CAPTURE(f->name);
		const bool six = f == &v6;
		Secondary::Tun link = net.tun(six ? "rly_p6" : "rly_p4", true);
		Relay relay(net, {{f->site_b, B}});
		relay.add_link(link.ifindex, six ? "rly_p6" : "rly_p4");
		relay.add_peer(f->site_a, link.ifindex);
		relay.attach(link.ifindex);
		const uint16_t own = six ? ETH_P_IPV6 : ETH_P_IP, other = six ? ETH_P_IP : ETH_P_IPV6;
		const std::string stats = six ? std::string("/proc/net/dev_snmp6/rly_p6") : "/proc/net/snmp";
		const char *received = six ? "Ip6InReceives" : "InReceives";
		__u64 in0 = snmp(received, stats);
		// Copies for site B told apart by their hop limit: the first one
		// to leave by link B must be the last one written.
		write_as(link.fd, ETH_P_ARP, f->copy(f->site_a, f->site_b, 61));
		write_as(link.fd, ETH_P_MPLS_UC, f->copy(f->site_a, f->site_b, 62));
		write_as(link.fd, other, f->copy(f->site_a, f->site_b, 63));
		write_as(link.fd, own, f->copy(f->site_a, f->site_b, 64));
		CHECK(hex(read_packet(net.fd_b)) == hex(f->copy(f->site_a, f->site_b, 63)));
		std::vector<__u64> got = relay.counters(link.ifindex);
		CHECK(got.at(RELAY_SEEN) == 4);
		CHECK(got.at(RELAY_NOT_IP) == 2);
		CHECK(got.at(RELAY_MALFORMED) == 1);
		CHECK(got.at(RELAY_RELAYED) == 1);
		// What went on to the stack as ARP and MPLS never reached IP.
		CHECK(snmp(received, stats) == in0);
	}
}

// What the relay leaves to the stack, the stack must not forward: the
// kernel's own count of forwarded packets, on real links, for what the
// stack used to get and route on (a payload length of 0 trimmed away;
// IPv6 with forwarding off on the link but on in the stack).
TEST_CASE("relay: on a real link, the stack forwards nothing the relay refused")
{
	Secondary net;
	Secondary::Tun link = net.tun("rly_p", true);
	sh("sysctl -qw net.ipv6.conf.rly_p.forwarding=0 net.ipv4.conf.rly_p.forwarding=0");
	Relay relay(net, three_sites(v6));
	relay.add_link(link.ifindex, "rly_p");
	relay.attach(link.ifindex);
	__u64 fwd6 = snmp("Ip6OutForwDatagrams", "/proc/net/snmp6"), fwd4 = snmp("ForwDatagrams");
	__u64 in6 = snmp("Ip6InReceives", "/proc/net/dev_snmp6/rly_p");
	Bytes routed = wg6_copy(v6.stranger, v6.stranger2, 64), jumbo = routed;
	put16(jumbo, 4, 0);
	write_as(link.fd, ETH_P_IPV6, routed);
	write_as(link.fd, ETH_P_IPV6, jumbo);
	// IPv4 goes by the link's own forwarding: left to the stack, not forwarded.
	write_as(link.fd, ETH_P_IP, gre_copy(v4.stranger, v4.stranger2, 64));
	std::vector<__u64> got = relay.counters(link.ifindex);
	CHECK(got.at(RELAY_SEEN) == 3);
	CHECK(got.at(RELAY_STRANGER) == 1);
	CHECK(got.at(RELAY_MALFORMED) == 1);
	CHECK(got.at(RELAY_TO_HOST) == 1);
	CHECK(snmp("Ip6InReceives", "/proc/net/dev_snmp6/rly_p") == in6);
	CHECK(snmp("Ip6OutForwDatagrams", "/proc/net/snmp6") == fwd6);
	CHECK(snmp("ForwDatagrams") == fwd4);
	// Without the relay the same packets show what was at stake: the IPv6
	// stack forwards both (the second trimmed to its header), whatever
	// the link's own forwarding says; the IPv4 one it does not.
	relay.detach(link.ifindex);
	write_as(link.fd, ETH_P_IPV6, routed);
	write_as(link.fd, ETH_P_IPV6, jumbo);
	write_as(link.fd, ETH_P_IP, gre_copy(v4.stranger, v4.stranger2, 64));
	CHECK(snmp("Ip6OutForwDatagrams", "/proc/net/snmp6") == fwd6 + 2);
	CHECK(snmp("ForwDatagrams") == fwd4);
}

TEST_CASE("relay: the IPv4 header checksum is right after every TTL decrement")
{
	Secondary net;
	Relay relay(net, three_sites(v4));
	size_t relayed = 0;
	for (unsigned ttl = 2; ttl <= 255; ttl++) {
		for (uint16_t id : {0x0000, 0x0001, 0x7fff, 0xfeff, 0xffff}) {
			Ipv4 ip;
			ip.saddr = addr(v4.site_a.c_str());
			ip.daddr = addr(v4.site_b.c_str());
			ip.ttl = static_cast<uint8_t>(ttl);
			ip.id = id;
			Bytes in = ipv4(ip, gre(Gre{}, ppp_mppe()));
			REQUIRE(header_checksum_ok(in));
			Relay::Run r = relay.run(in, A);
			CAPTURE(ttl);
			CAPTURE(id);
			REQUIRE(r.verdict == TC_ACT_REDIRECT);
			REQUIRE(r.out.size() == in.size());
			CHECK(r.out[8] == ttl - 1);
			CHECK(header_checksum_ok(r.out));
			// Nothing but the TTL and the checksum changed.
			Bytes masked_in = in, masked_out = r.out;
			for (size_t off : {8, 10, 11})
				masked_in[off] = masked_out[off] = 0;
			CHECK(masked_in == masked_out);
			relayed++;
		}
	}
	std::vector<__u64> got = relay.counters(A);
	CHECK(got.at(RELAY_SEEN) == relayed);
	CHECK(got.at(RELAY_RELAYED) == relayed);
	CHECK(got.at(RELAY_REDIRECT_ERRORS) == 0);
}

TEST_CASE("relay: every IPv6 hop limit, only that byte changes")
{
	Secondary net;
	Relay relay(net, three_sites(v6));
	for (unsigned hops = 2; hops <= 255; hops++) {
		Bytes in = wg6_copy(v6.site_a, v6.site_b, static_cast<uint8_t>(hops));
		Relay::Run r = relay.run(in, A);
		CAPTURE(hops);
		REQUIRE(r.verdict == TC_ACT_REDIRECT);
		CHECK(r.out == with_byte(in, 7, static_cast<uint8_t>(hops - 1)));
	}
	CHECK(relay.counters(A).at(RELAY_RELAYED) == 254);
}

TEST_CASE("relay: a link not registered (no counter row) is left alone and not counted")
{
	Secondary net;
	Relay relay(net, three_sites(v4));
	const __u32 unregistered = 999;
	Bytes in = gre_copy(v4.site_a, v4.site_b, 64);
	Relay::Run r = relay.run(in, unregistered);
	CHECK(r.verdict == TC_ACT_UNSPEC);
	CHECK(hex(r.out) == hex(in));
	CHECK_FALSE(relay.has_counters(unregistered));
	CHECK(relay.counters(A) == std::vector<__u64>(RELAY_COUNTER_MAX, 0));
}
