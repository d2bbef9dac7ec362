// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// The NAT fix: copies leave with the public source, the original never
// changes, and every checksum stays right, recomputed here, not trusted.
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <doctest/doctest.h>
#include <linux/pkt_cls.h>

#include <memory>

#include "clone_prog.h"
#include "dnat.skel.h"
#include "test_run.h"

using namespace pkt;

namespace {

const char *const private_addr = "10.123.82.34";
const char *const public_addr = "198.18.0.2";

Bytes tcp_echo(uint32_t saddr, uint32_t daddr, uint16_t frag_off = 0x4000)
{
	Ipv4 ip;
	ip.saddr = saddr;
	ip.daddr = daddr;
	ip.protocol = 6;
	ip.frag_off = frag_off;
	Tcp t;
	t.sport = 1723;
	Bytes p = ipv4(ip, tcp(t, pptp_control(5)));
	set_l4_checksum(p);
	return p;
}

Bytes gre_data(uint32_t saddr, uint32_t daddr)
{
	Ipv4 ip;
	ip.saddr = saddr;
	ip.daddr = daddr;
	return ipv4(ip, gre(Gre{}, ppp_mppe()));
}

Bytes udp(uint32_t saddr, uint32_t daddr, bool with_checksum)
{
	Ipv4 ip;
	ip.saddr = saddr;
	ip.daddr = daddr;
	ip.protocol = 17;
	Bytes u(8 + 20, 0x5a);
	put16(u, 0, 5000);
	put16(u, 2, 6000);
	put16(u, 4, u.size());
	put16(u, 6, 0);
	Bytes p = ipv4(ip, u);
	if (with_checksum)
		set_l4_checksum(p);
	return p;
}

uint32_t src_of(const Bytes &p)
{
	return (p[12] << 24) | (p[13] << 16) | (p[14] << 8) | p[15];
}

uint32_t dst_of(const Bytes &p)
{
	return (p[16] << 24) | (p[17] << 16) | (p[18] << 8) | p[19];
}

bool ip_checksum_ok(const Bytes &p)
{
	return ((p[10] << 8) | p[11]) == ipv4_checksum(p);
}

}  // namespace

TEST_CASE("SNAT: the copy leaves with the public source, the original unchanged")
{
	CloneProg prog(false, 1500, private_addr, public_addr);
	for (const Bytes &original : {tcp_echo(addr(private_addr), addr(default_peer)),
				      gre_data(addr(private_addr), addr(default_peer))}) {
		Counters d = prog.run(ethernet({}, original));  // checks data_out == data_in
		CHECK(d[CLONE_CLONED] == 1);
		CHECK(d[CLONE_SNAT] == 1);
		CHECK(d[CLONE_SNAT_ERRORS] == 0);
		auto clones = prog.clones();
		REQUIRE(clones.size() == 1);
		const Bytes &copy = clones[0];
		CHECK(src_of(copy) == addr(public_addr));
		CHECK(dst_of(copy) == addr(default_peer));
		CHECK(ip_checksum_ok(copy));
		if (copy[9] == 6)
			CHECK(l4_checksum_ok(copy));
		// Only the source address and checksums differ.
		Bytes a = copy, b = original;
		for (size_t i : {10, 11, 12, 13, 14, 15, 20 + 16, 20 + 17})
			a[i] = b[i] = 0;
		if (copy[9] != 6)
			a[36] = b[36], a[37] = b[37];
		CHECK(a == b);
	}
}

TEST_CASE("SNAT: copies from other sources keep them")
{
	CloneProg prog(false, 1500, private_addr, public_addr);
	Bytes original = tcp_echo(addr("198.18.7.7"), addr(default_peer));
	Counters d = prog.run(ethernet({}, original));
	CHECK(d[CLONE_CLONED] == 1);
	CHECK(d[CLONE_SNAT] == 0);
	auto clones = prog.clones();
	REQUIRE(clones.size() == 1);
	CHECK(clones[0] == original);
}

namespace {

// The DNAT program under BPF_PROG_TEST_RUN.
class DnatProg {
public:
	explicit DnatProg(bool l3_device)
	{
		skel_ = dnat_bpf__open();
		REQUIRE(skel_);
		skel_->rodata->public_addr = htonl(addr(public_addr));
		skel_->rodata->private_addr = htonl(addr(private_addr));
		skel_->rodata->l3_device = l3_device;
		REQUIRE(dnat_bpf__load(skel_) == 0);
		check_jited(skel_->obj);
	}
	~DnatProg() { dnat_bpf__destroy(skel_); }

	Bytes run(const Bytes &in)
	{
		TestRun r = test_run(bpf_program__fd(skel_->progs.dupgre_dnat), in);
		CHECK(r.retval == TC_ACT_UNSPEC);
		return r.out;
	}

private:
	dnat_bpf *skel_;
};

Bytes strip_eth(const Bytes &frame)
{
	return Bytes(frame.begin() + 14, frame.end());
}

}  // namespace

TEST_CASE("DNAT: packets for the public address are rewritten, checksums right")
{
	DnatProg prog(false);
	const Bytes packets[] = {
		tcp_echo(addr("198.18.0.1"), addr(public_addr)),
		gre_data(addr("198.18.0.1"), addr(public_addr)),
		udp(addr("198.18.0.1"), addr(public_addr), true),
	};
	for (const Bytes &in : packets) {
		Bytes out = strip_eth(prog.run(ethernet({}, in)));
		CAPTURE(hex(in));
		CHECK(dst_of(out) == addr(private_addr));
		CHECK(src_of(out) == addr("198.18.0.1"));
		CHECK(ip_checksum_ok(out));
		if (out[9] == 6 || out[9] == 17)
			CHECK(l4_checksum_ok(out));
	}
}

TEST_CASE("DNAT: a UDP packet without checksum keeps none; fragments; other addresses")
{
	DnatProg prog(false);
	Bytes out = strip_eth(prog.run(ethernet({}, udp(addr("198.18.0.1"), addr(public_addr), false))));
	CHECK(dst_of(out) == addr(private_addr));
	CHECK(out[26] == 0);
	CHECK(out[27] == 0);
	CHECK(ip_checksum_ok(out));
	// A later fragment has no transport header: only the IPv4 header changes.
	Bytes frag = tcp_echo(addr("198.18.0.1"), addr(public_addr), 0x0010);
	out = strip_eth(prog.run(ethernet({}, frag)));
	CHECK(dst_of(out) == addr(private_addr));
	CHECK(ip_checksum_ok(out));
	CHECK(Bytes(out.begin() + 20, out.end()) == Bytes(frag.begin() + 20, frag.end()));
	Bytes other = tcp_echo(addr("198.18.0.1"), addr("198.18.0.3"));
	CHECK(strip_eth(prog.run(ethernet({}, other))) == other);
}

TEST_CASE("DNAT on L3 devices")
{
	DnatProg prog(true);
	Bytes out = prog.run(tcp_echo(addr("198.18.0.1"), addr(public_addr)));
	CHECK(dst_of(out) == addr(private_addr));
	CHECK(ip_checksum_ok(out));
	CHECK(l4_checksum_ok(out));
}
