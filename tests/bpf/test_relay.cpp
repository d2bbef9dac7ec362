// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// The relay (bpf/relay.bpf.c) through BPF_PROG_TEST_RUN: one table of
// {description, packet, setup, verdict, packet after, counter}.
//
//   site A 198.18.10.1 ---- link A (ifindex 11) --+
//                                                 +-- secondary: relay on
//   site B 198.18.20.1 ---- link B (ifindex 12) --+   links A and B
//
// Copies arrive on a dual link (ppp: the IPv4 header at offset 0) and the
// program tells where they go. Under BPF_PROG_TEST_RUN bpf_redirect() only
// records its target: the program returns TC_ACT_REDIRECT and the run's
// data_out is the packet as it would leave; which link it leaves by is
// test-relay-sites' job (netns). The ingress link is __sk_buff's
// ingress_ifindex in the run's context.
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <doctest/doctest.h>
#include <linux/pkt_cls.h>

#include <string>
#include <vector>

#include "core/counters.h"
#include "dupgre/relay.h"
#include "packet.h"
#include "relay.skel.h"

using namespace pkt;

namespace {

constexpr __u32 link_a = 11, link_b = 12;
const char *const site_a = "198.18.10.1";
const char *const site_b = "198.18.20.1";
const char *const nowhere = "198.18.40.1";    // a site with no link
const char *const stranger = "198.18.99.9";   // not a site at all
const char *const stranger2 = "198.18.99.10";

struct Peer {
	const char *site;
	__u32 link;
};
// The setup of most cases: two sites, each behind its link.
const std::vector<Peer> two_sites = {{site_a, link_a}, {site_b, link_b}};

class Relay {
public:
	// Registers links A and B (their counter rows) and the peers.
	explicit Relay(const std::vector<Peer> &peers)
	{
		skel_ = relay_bpf__open_and_load();
		REQUIRE(skel_);
		for (__u32 link : {link_a, link_b})
			dupgre::clear_percpu_row(bpf_map__fd(skel_->maps.stats), &link, RELAY_COUNTER_MAX);
		for (const Peer &p : peers) {
			__u32 key = htonl(addr(p.site));
			relay_peer value = {p.link};
			REQUIRE(bpf_map__update_elem(skel_->maps.peers, &key, sizeof(key), &value,
						     sizeof(value), BPF_ANY) == 0);
		}
	}
	~Relay() { relay_bpf__destroy(skel_); }
	Relay(const Relay &) = delete;
	Relay &operator=(const Relay &) = delete;

	struct Run {
		int verdict;
		Bytes out;
	};
	// One packet arriving by ingress_link.
	Run run(const Bytes &in, __u32 ingress_link)
	{
		Bytes out(in.size() + 64);
		__sk_buff ctx = {};
		ctx.ingress_ifindex = ingress_link;
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

	// The one place counters are read: link's row, summed over the CPUs.
	std::vector<__u64> counters(__u32 link)
	{
		return dupgre::sum_percpu_row(bpf_map__fd(skel_->maps.stats), &link, RELAY_COUNTER_MAX);
	}
	bool has_counters(__u32 link)
	{
		std::vector<__u64> row(static_cast<size_t>(libbpf_num_possible_cpus()) * RELAY_COUNTER_MAX);
		return bpf_map__lookup_elem(skel_->maps.stats, &link, sizeof(link), row.data(),
					    row.size() * sizeof(__u64), 0) == 0;
	}

private:
	relay_bpf *skel_ = nullptr;
};

Bytes gre_copy(const char *from, const char *to, uint8_t ttl = 64, Bytes options = {})
{
	Ipv4 ip;
	ip.saddr = addr(from);
	ip.daddr = addr(to);
	ip.ttl = ttl;
	ip.options = std::move(options);
	Gre g;
	g.seq = 77;
	return ipv4(ip, gre(g, ppp_mppe()));
}

// A header of 16 bytes that says it is IPv4 (shorter than any).
Bytes truncated_ipv4()
{
	Bytes p = gre_copy(site_a, site_b);
	p.resize(16);
	return p;
}

Bytes with_byte(Bytes p, size_t off, uint8_t v)
{
	p.at(off) = v;
	return p;
}

// 28 bytes whose header claims 60 (IHL 15) and whose total length agrees.
Bytes header_beyond_packet()
{
	Ipv4 ip;
	ip.saddr = addr(site_a);
	ip.daddr = addr(site_b);
	Bytes p = ipv4(ip, Bytes(8, 0x5a));
	p[0] = 0x4f;
	put16(p, 2, 60);
	return p;
}

Bytes ipv6_packet()
{
	Bytes p(40 + 16, 0);
	p[0] = 0x60;
	put16(p, 4, 16);
	p[6] = 47;   // next header GRE
	p[7] = 64;   // hop limit
	p[8] = 0x20; // 2001:db8::/32 (IPv6 documentation addresses)
	p[9] = 0x01;
	p[10] = 0x0d;
	p[11] = 0xb8;
	p[24] = 0x20;
	p[25] = 0x01;
	p[26] = 0x0d;
	p[27] = 0xb8;
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
	const char *description;
	Bytes in;
	std::vector<Peer> peers;
	__u32 ingress;
	int verdict;
	Bytes out;             // the packet after the program
	relay_counter counter;  // what counts it, besides RELAY_SEEN
};

std::vector<Case> cases()
{
	Bytes opts = {0x94, 0x04, 0x00, 0x00};  // Router Alert: a 24-byte header
	return {
		{"a site's copy for another site leaves by its link, TTL one less",
		 gre_copy(site_a, site_b), two_sites, link_a, TC_ACT_REDIRECT,
		 gre_copy(site_a, site_b, 63), RELAY_RELAYED},
		{"the other way round",
		 gre_copy(site_b, site_a, 128), two_sites, link_b, TC_ACT_REDIRECT,
		 gre_copy(site_b, site_a, 127), RELAY_RELAYED},
		{"with IP options: TTL and checksum at the same offsets",
		 gre_copy(site_a, site_b, 64, opts), two_sites, link_a, TC_ACT_REDIRECT,
		 gre_copy(site_a, site_b, 63, opts), RELAY_RELAYED},
		{"a stranger's packet for a site is relayed too (the source is not checked)",
		 gre_copy(stranger, site_b), two_sites, link_a, TC_ACT_REDIRECT,
		 gre_copy(stranger, site_b, 63), RELAY_RELAYED},
		{"TTL 2: relayed with TTL 1",
		 gre_copy(site_a, site_b, 2), two_sites, link_a, TC_ACT_REDIRECT,
		 gre_copy(site_a, site_b, 1), RELAY_RELAYED},
		{"TTL 1: dropped, as a router would",
		 gre_copy(site_a, site_b, 1), two_sites, link_a, TC_ACT_SHOT,
		 gre_copy(site_a, site_b, 1), RELAY_TTL_EXPIRED},
		{"TTL 0: dropped",
		 gre_copy(site_a, site_b, 0), two_sites, link_a, TC_ACT_SHOT,
		 gre_copy(site_a, site_b, 0), RELAY_TTL_EXPIRED},
		{"loop: for the site behind the very link it came by, left to the stack",
		 gre_copy(site_b, site_a), two_sites, link_a, TC_ACT_UNSPEC,
		 gre_copy(site_b, site_a), RELAY_LOOP},
		{"a site's copy for a site with no link: dropped",
		 gre_copy(site_a, nowhere), two_sites, link_a, TC_ACT_SHOT,
		 gre_copy(site_a, nowhere), RELAY_NO_LINK},
		{"the same once the site's link is gone: dropped",
		 gre_copy(site_a, site_b), {{site_a, link_a}}, link_a, TC_ACT_SHOT,
		 gre_copy(site_a, site_b), RELAY_NO_LINK},
		{"a stranger's packet for no site: left to the stack",
		 gre_copy(stranger, stranger2), two_sites, link_a, TC_ACT_UNSPEC,
		 gre_copy(stranger, stranger2), RELAY_NO_PEER},
		{"no sites registered at all: left to the stack",
		 gre_copy(site_a, site_b), {}, link_a, TC_ACT_UNSPEC,
		 gre_copy(site_a, site_b), RELAY_NO_PEER},
		{"not IPv4 (IPv6): left to the stack",
		 ipv6_packet(), two_sites, link_a, TC_ACT_UNSPEC, ipv6_packet(), RELAY_NOT_IPV4},
		{"IPv4 shorter than its header: left to the stack",
		 truncated_ipv4(), two_sites, link_a, TC_ACT_UNSPEC, truncated_ipv4(), RELAY_NOT_IPV4},
		{"header length 16 (IHL 4): left to the stack",
		 with_byte(gre_copy(site_a, site_b), 0, 0x44), two_sites, link_a, TC_ACT_UNSPEC,
		 with_byte(gre_copy(site_a, site_b), 0, 0x44), RELAY_NOT_IPV4},
		{"total length below the header's: left to the stack",
		 with_byte(gre_copy(site_a, site_b), 3, 19), two_sites, link_a, TC_ACT_UNSPEC,
		 with_byte(gre_copy(site_a, site_b), 3, 19), RELAY_NOT_IPV4},
		{"header longer than the packet (IHL 15): left to the stack",
		 header_beyond_packet(), two_sites, link_a, TC_ACT_UNSPEC, header_beyond_packet(),
		 RELAY_NOT_IPV4},
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

}  // namespace

TEST_CASE("relay: the verdict, the packet after and the one counter, case by case")
{
	for (const Case &c : cases()) {
		const std::string what = c.description;
		CAPTURE(what);
		Relay relay(c.peers);
		Relay::Run r = relay.run(c.in, c.ingress);
		CHECK(r.verdict == c.verdict);
		CHECK(hex(r.out) == hex(c.out));
		CHECK(header_checksum_ok(r.out) == header_checksum_ok(c.in));

		std::vector<__u64> want(RELAY_COUNTER_MAX, 0);
		want[RELAY_SEEN] = 1;
		want[c.counter] = 1;
		if (c.counter == RELAY_RELAYED)
			want[RELAY_RELAYED_BYTES] = c.in.size();
		std::vector<__u64> got = relay.counters(c.ingress);
		for (unsigned i = 0; i < RELAY_COUNTER_MAX; i++) {
			CAPTURE(counter_name(i));
			CHECK(got.at(i) == want[i]);
		}
		__u32 other = c.ingress == link_a ? link_b : link_a;
		CHECK(relay.counters(other) == std::vector<__u64>(RELAY_COUNTER_MAX, 0));
	}
}

TEST_CASE("relay: the header checksum is right after every TTL decrement")
{
	Relay relay(two_sites);
	size_t relayed = 0;
	for (unsigned ttl = 2; ttl <= 255; ttl++) {
		for (uint16_t id : {0x0000, 0x0001, 0x7fff, 0xfeff, 0xffff}) {
			Ipv4 ip;
			ip.saddr = addr(site_a);
			ip.daddr = addr(site_b);
			ip.ttl = static_cast<uint8_t>(ttl);
			ip.id = id;
			Bytes in = ipv4(ip, gre(Gre{}, ppp_mppe()));
			REQUIRE(header_checksum_ok(in));
			Relay::Run r = relay.run(in, link_a);
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
	std::vector<__u64> got = relay.counters(link_a);
	CHECK(got.at(RELAY_SEEN) == relayed);
	CHECK(got.at(RELAY_RELAYED) == relayed);
	CHECK(got.at(RELAY_REDIRECT_ERRORS) == 0);
}

TEST_CASE("relay: a link not registered (no counter row) is left alone and not counted")
{
	Relay relay(two_sites);
	const __u32 unregistered = 13;
	Bytes in = gre_copy(site_a, site_b);
	Relay::Run r = relay.run(in, unregistered);
	CHECK(r.verdict == TC_ACT_UNSPEC);
	CHECK(hex(r.out) == hex(in));
	CHECK_FALSE(relay.has_counters(unregistered));
	CHECK(relay.counters(link_a) == std::vector<__u64>(RELAY_COUNTER_MAX, 0));
}
