// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// Copy policies in the clone program (include/dupgre/copy.h): the budget's
// size and rate, the adaptive policy's states and its samples, and what
// every policy leaves alone (keepalives, handshakes, other peers).
// Expectations come from the policy's definition, never from the program.
#include <doctest/doctest.h>

#include <bpf/libbpf.h>
#include <time.h>

#include <cstdint>
#include <string>
#include <vector>

#include "clone_prog.h"

using namespace pkt;

namespace {

int64_t now_ns()
{
	timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

// A GRE data packet (MPPE) of ip_len IP bytes to daddr.
Bytes gre_data(size_t ip_len, const char *daddr = default_peer)
{
	Ipv4 ip;
	ip.daddr = addr(daddr);
	Gre g;
	size_t ppp_len = ip_len - 20 - gre_header_len(g.word0);
	return ipv4(ip, gre(g, ppp_mppe(ppp_len)));
}

Bytes lcp_echo()
{
	return ipv4(Ipv4{}, gre(Gre{}, ppp_lcp_echo(9)));
}

copy_policy budget(uint32_t max_size, uint64_t rate = 0)
{
	copy_policy v{};
	v.mode = COPY_BUDGET;
	v.max_size = max_size;
	if (rate) {
		v.ns_per_byte_q16 = (1000000000ULL << 16) / rate;
		v.burst_ns = 50000000;
		v.chunk = static_cast<__u32>(rate / 1000);
	}
	return v;
}

// An adaptive policy as the report receiver leaves it: the last report
// report_age ago (none: 0), copying for copy_for from now (negative: past).
copy_policy adaptive(int64_t report_age, int64_t copy_for, unsigned sample_shift)
{
	copy_policy v{};
	int64_t now = now_ns();
	v.mode = COPY_ADAPTIVE;
	v.sample_shift = static_cast<__u8>(sample_shift);
	v.stale_ns = 3000000000ULL;
	v.report_ns = report_age == INT64_MIN ? 0 : static_cast<__u64>(now - report_age);
	v.copy_until_ns = static_cast<__u64>(now + copy_for);
	return v;
}

constexpr int64_t ms = 1000000;

}  // namespace

TEST_CASE("copy budget: packets above the size are withheld, keepalives never")
{
	CloneProg p(true);
	p.set_copy(default_peer, budget(300));
	struct Row {
		size_t len;
		bool copied;
	} rows[] = {{60, true}, {299, true}, {300, true}, {301, false}, {1400, false}};
	for (const Row &r : rows) {
		CAPTURE(r.len);
		Counters d = p.run(gre_data(r.len));
		CHECK(d[CLONE_MATCH_GRE_DATA] == 1);
		CHECK(d[CLONE_CLONED] == (r.copied ? 1 : 0));
		CHECK(d[CLONE_TOO_LARGE] == (r.copied ? 0 : 1));
		CHECK(d[CLONE_OVER_BUDGET] == 0);
		// Path A's bytes either way; path B's only when copied.
		CHECK(d[CLONE_MATCHED_BYTES] == r.len);
		CHECK(d[CLONE_CLONED_BYTES] == (r.copied ? d[CLONE_MATCHED_BYTES] : 0));
	}
	p.set_copy(default_peer, budget(20));
	Counters d = p.run(lcp_echo());
	CHECK(d[CLONE_MATCH_GRE_LCP_ECHO] == 1);
	CHECK(d[CLONE_CLONED] == 1);
	CHECK(d[CLONE_TOO_LARGE] == 0);
}

TEST_CASE("copy budget: the rate holds while far more is offered")
{
	CloneProg p(true);
	// 200 kB/s (a 50 ms bucket, 200-byte chunks, so each 1000-byte packet
	// is its own chunk): far below what a run offers even under qemu's
	// emulation without a JIT (s390x, mipsel: ~4 MB/s of test runs).
	const uint64_t rate = 200000;
	p.set_copy(default_peer, budget(0, rate));
	const Bytes packet = gre_data(1000);
	long long copied = 0, withheld = 0, sent = 0;
	int64_t start = now_ns(), elapsed = 0;
	while ((elapsed = now_ns() - start) < 200 * ms) {
		Counters d = p.run(packet);
		copied += d[CLONE_CLONED];
		withheld += d[CLONE_OVER_BUDGET];
		sent++;
	}
	p.clones();
	// What the bucket allows over the run: the rate for its time, a full
	// bucket at the start, and at most one chunk per CPU paid in advance
	// (a chunk is at least the packet), and the packet that crosses.
	double allowed = rate * (elapsed / 1e9 + 0.050) + libbpf_num_possible_cpus() * 1000.0 + 1000;
	double at_least = rate * (elapsed / 1e9) * 0.9;
	CAPTURE(sent);
	CAPTURE(elapsed);
	CHECK(sent > 4 * copied);  // offered far over the rate
	CHECK(copied + withheld == sent);
	CHECK(copied * 1000.0 <= allowed);
	CHECK(copied * 1000.0 >= at_least);
}

TEST_CASE("copy adaptive: each state decides data, never keepalives")
{
	struct Row {
		const char *name;
		copy_policy v;
		clone_counter counter;
		bool copied;
	} rows[] = {
		{"no report yet", adaptive(INT64_MIN, -1 * ms, 31), CLONE_COPY_NO_REPORTS, true},
		{"last report stale (5 s > 3 s)", adaptive(5000 * ms, -1 * ms, 31), CLONE_COPY_NO_REPORTS, true},
		{"loss reported: copying", adaptive(100 * ms, 5000 * ms, 31), CLONE_COPY_LOSS, true},
		{"clean, every packet a sample", adaptive(100 * ms, -1 * ms, 0), CLONE_COPY_SAMPLE, true},
		{"clean, not a sample", adaptive(100 * ms, -1 * ms, 31), CLONE_QUIET, false},
		{"report stamped after the packet's clock", adaptive(-50 * ms, -1 * ms, 31), CLONE_QUIET, false},
	};
	for (const Row &r : rows) {
		CAPTURE(r.name);
		CloneProg p(true);
		p.set_copy(default_peer, r.v);
		Counters d = p.run(gre_data(500));
		for (clone_counter c : {CLONE_COPY_NO_REPORTS, CLONE_COPY_LOSS, CLONE_COPY_SAMPLE, CLONE_QUIET})
			CHECK(d[c] == (c == r.counter ? 1 : 0));
		CHECK(d[CLONE_CLONED] == (r.copied ? 1 : 0));
		d = p.run(lcp_echo());
		CHECK(d[CLONE_CLONED] == 1);
		CHECK(d[r.counter] == 0);
	}
}

TEST_CASE("copy adaptive: while clean, one packet in 2^shift is a sample")
{
	CloneProg p(true);
	p.set_copy(default_peer, adaptive(100 * ms, -1 * ms, 4));
	const int n = 4096;
	long long sampled = 0, quiet = 0;
	for (int i = 0; i < n; i++) {
		Counters d = p.run(gre_data(200));
		sampled += d[CLONE_COPY_SAMPLE];
		quiet += d[CLONE_QUIET];
		if (i % 256 == 255)
			p.clones();  // keep the TUN's queue from filling
	}
	// Binomial(4096, 1/16): mean 256, sd 15.5; 6 sd either side.
	CHECK(sampled + quiet == n);
	CHECK(sampled >= 163);
	CHECK(sampled <= 349);
}

TEST_CASE("copy adaptive: while clean with no samples (copy_sample 0), nothing is copied")
{
	CloneProg p(true);
	p.set_copy(default_peer, adaptive(100 * ms, -1 * ms, COPY_NO_SAMPLES));
	long long quiet = 0, copied = 0;
	for (int i = 0; i < 1024; i++) {
		Counters d = p.run(gre_data(200));
		quiet += d[CLONE_QUIET];
		copied += d[CLONE_CLONED];
	}
	CHECK(quiet == 1024);
	CHECK(copied == 0);
	Counters d = p.run(lcp_echo());  // keepalives still are
	CHECK(d[CLONE_CLONED] == 1);
}

TEST_CASE("copy policies: other peers and WireGuard")
{
	SUBCASE("a policy is the peer's alone")
	{
		CloneProg p(true);
		p.add_peer("198.18.1.2");
		p.set_copy("198.18.1.2", adaptive(100 * ms, -1 * ms, 31));
		Counters d = p.run(gre_data(500));
		CHECK(d[CLONE_CLONED] == 1);
		CHECK(d[CLONE_QUIET] == 0);
		d = p.run(gre_data(500, "198.18.1.2"));
		CHECK(d[CLONE_CLONED] == 0);
		CHECK(d[CLONE_QUIET] == 1);
	}
	SUBCASE("WireGuard: data follows the policy, handshakes are always copied")
	{
		CloneProg p = CloneProg::wireguard(true);
		for (const char *peer : {default_peer, default_peer6}) {
			CAPTURE(peer);
			p.set_copy(peer, budget(200));
			bool v6 = std::string(peer) == default_peer6;
			auto packet = [&](uint8_t type, size_t len) {
				Udp u;
				Bytes l4 = udp(u, wg_message(type, len));
				if (v6) {
					Ipv6 ip;
					ip.nexthdr = 17;
					return ipv6(ip, l4);
				}
				Ipv4 ip;
				ip.protocol = 17;
				return ipv4(ip, l4);
			};
			Counters d = p.run(packet(4, 1000));
			CHECK(d[CLONE_MATCH_WG_DATA] == 1);
			CHECK(d[CLONE_CLONED] == 0);
			CHECK(d[CLONE_TOO_LARGE] == 1);
			d = p.run(packet(4, 64));
			CHECK(d[CLONE_CLONED] == 1);
			d = p.run(packet(1, 148));
			CHECK(d[CLONE_MATCH_WG_INITIATION] == 1);
			CHECK(d[CLONE_CLONED] == 1);
		}
	}
}

TEST_CASE("copy budget: the program only moves the bucket forward")
{
	CloneProg p(true);
	p.set_copy(default_peer, budget(0, 1000000));
	int64_t before = now_ns();
	CHECK(p.run(gre_data(1000))[CLONE_CLONED] == 1);
	copy_policy v = p.copy(default_peer);
	// One chunk (1000 B at 1 MB/s: 1 ms) paid from an empty bucket.
	CHECK(static_cast<int64_t>(v.tat_ns) >= before + 1 * ms);
	CHECK(static_cast<int64_t>(v.tat_ns) <= now_ns() + 1 * ms);
}
