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
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/pkt_cls.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "core/counters.h"
#include "dupgre/relay.h"
#include "packet.h"
#include "relay.skel.h"

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
		link_a = tun("rly_a");
		link_b = tun("rly_b");
		tun("rly_wan");
		sh("ip link set lo up");
		for (const char *dev : {"rly_a", "rly_b", "rly_wan"})
			sh(std::string("ip link set ") + dev + " up");
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

private:
	// A TUN device held open (with a reader, it has carrier); its ifindex.
	__u32 tun(const char *name)
	{
		int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
		REQUIRE(fd >= 0);
		fds_.push_back(fd);
		ifreq ifr = {};
		ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
		strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
		REQUIRE(ioctl(fd, TUNSETIFF, &ifr) == 0);
		__u32 ifindex = if_nametoindex(name);
		REQUIRE(ifindex != 0);
		return ifindex;
	}

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

class Relay {
public:
	// Registers links A and B (their counter rows) and the peers.
	Relay(const Secondary &net, const std::vector<Peer> &peers) : net_(net)
	{
		skel_ = relay_bpf__open_and_load();
		REQUIRE(skel_);
		for (__u32 link : {net.link_a, net.link_b})
			dupgre::clear_percpu_row(bpf_map__fd(skel_->maps.stats), &link, RELAY_COUNTER_MAX);
		for (const Peer &p : peers) {
			relay_site key = site_key(p.site);
			relay_peer value = {ifindex(p.link)};
			REQUIRE(bpf_map__update_elem(skel_->maps.peers, &key, sizeof(key), &value,
						     sizeof(value), BPF_ANY) == 0);
		}
	}
	~Relay() { relay_bpf__destroy(skel_); }
	Relay(const Relay &) = delete;
	Relay &operator=(const Relay &) = delete;

	__u32 ifindex(Link l) const { return l == A ? net_.link_a : net_.link_b; }

	struct Run {
		int verdict;
		Bytes out;
	};
	// One packet arriving by ingress_ifindex.
	Run run(const Bytes &in, __u32 ingress_ifindex)
	{
		Bytes out(in.size() + 64);
		__sk_buff ctx = {};
		ctx.ingress_ifindex = ingress_ifindex;
		bpf_test_run_opts opts = {};
		opts.sz = sizeof(opts);
		opts.data_in = in.data();
		opts.data_size_in = in.size();
		opts.data_out = out.data();
		opts.data_size_out = out.size();
		opts.ctx_in = &ctx;
		opts.ctx_size_in = sizeof(ctx);
		opts.repeat = 1;
		REQUIRE(bpf_prog_test_run_opts(bpf_program__fd(skel_->progs.dupgre_relay), &opts) == 0);
		out.resize(opts.data_size_out);
		return {static_cast<int>(opts.retval), out};
	}
	Run run(const Bytes &in, Link l) { return run(in, ifindex(l)); }

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
	relay_bpf *skel_ = nullptr;
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
		{"version 5: left to the stack",
		 with_byte(c(f.site_a, f.site_b, 64), 0, 0x50), sites, A, TC_ACT_UNSPEC,
		 with_byte(c(f.site_a, f.site_b, 64), 0, 0x50), RELAY_NOT_IP},
		{"version 0: left to the stack",
		 with_byte(c(f.site_a, f.site_b, 64), 0, 0x05), sites, A, TC_ACT_UNSPEC,
		 with_byte(c(f.site_a, f.site_b, 64), 0, 0x05), RELAY_NOT_IP},
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
	return {
		{"IPv4: with IP options, TTL and checksum at the same offsets",
		 gre_copy(f.site_a, f.site_b, 64, opts), sites, A, TC_ACT_REDIRECT,
		 gre_copy(f.site_a, f.site_b, 63, opts), RELAY_RELAYED},
		{"IPv4: padding after the total length is carried along",
		 padded, sites, A, TC_ACT_REDIRECT, padded_out, RELAY_RELAYED},
		{"IPv4: header length 16 (IHL 4): left to the stack",
		 with_byte(good, 0, 0x44), sites, A, TC_ACT_UNSPEC, with_byte(good, 0, 0x44), RELAY_NOT_IP},
		{"IPv4: total length below the header's: left to the stack",
		 with_byte(good, 3, 19), sites, A, TC_ACT_UNSPEC, with_byte(good, 3, 19), RELAY_NOT_IP},
		{"IPv4: total length one beyond the packet: left to the stack",
		 with_byte(good, 3, good[3] + 1), sites, A, TC_ACT_UNSPEC, with_byte(good, 3, good[3] + 1),
		 RELAY_NOT_IP},
		{"IPv4: header longer than the packet (IHL 15): left to the stack",
		 beyond, sites, A, TC_ACT_UNSPEC, beyond, RELAY_NOT_IP},
		{"IPv6: payload length 0 (jumbogram): left to the stack",
		 jumbo, three_sites(v6), A, TC_ACT_UNSPEC, jumbo, RELAY_NOT_IP},
		{"IPv6: payload length one beyond the packet: left to the stack",
		 with_byte(six, 5, six[5] + 1), three_sites(v6), A, TC_ACT_UNSPEC, with_byte(six, 5, six[5] + 1),
		 RELAY_NOT_IP},
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
		Relay::Run r = relay.run(c.in, c.ingress);
		CHECK(r.verdict == c.verdict);
		CHECK(hex(r.out) == hex(c.out));
		if (!c.in.empty() && c.in[0] >> 4 == 4)
			CHECK(header_checksum_ok(r.out) == header_checksum_ok(c.in));
		check_counted(relay, c.ingress, c.counter, c.in.size());
	}
}

TEST_CASE("relay: cut short at every byte, the packet is left to the stack untouched")
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
			CHECK(r.verdict == TC_ACT_UNSPEC);
			CHECK(hex(r.out) == hex(in));
		}
		std::vector<__u64> got = relay.counters(A);
		CHECK(got.at(RELAY_SEEN) == whole.size() - 14 + 1);
		CHECK(got.at(RELAY_NOT_IP) == whole.size() - 14);
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
