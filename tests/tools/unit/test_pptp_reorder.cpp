// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// The PPTP receive-side sequencing, driven by scripted arrivals and a
// scripted clock: each script states the exact delivered order and the
// delivered/lost/duplicate/late counts.
#include <doctest/doctest.h>

#include <random>
#include <vector>

#include "pptp_reorder.hpp"

using namespace dupgre::tools;

namespace {

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kTimeout = 300 * kMs; // pptp's default --timeout 0.3

struct Delivery {
	uint32_t seq;
	int64_t at;
};

// A PptpReorder that records what it delivers.
struct Harness {
	explicit Harness(PptpReorder::Options options = {})
		: reorder(options, [this](uint32_t seq, uint64_t cookie, int64_t now) {
			  CHECK(cookie == seq); // the cookie travels with its packet
			  out.push_back({seq, now});
		  })
	{
	}

	Arrival in(uint32_t seq, int64_t at) { return reorder.on_packet(seq, seq, at); }

	std::vector<uint32_t> seqs() const
	{
		std::vector<uint32_t> s;
		for (const Delivery &d : out)
			s.push_back(d.seq);
		return s;
	}

	void check(uint64_t delivered, uint64_t lost, uint64_t duplicate, uint64_t late) const
	{
		const ReorderStats &s = reorder.stats();
		CHECK(s.delivered == delivered);
		CHECK(s.lost == lost);
		CHECK(s.duplicate == duplicate);
		CHECK(s.late == late);
		CHECK(s.received == s.delivered + s.duplicate + s.late + reorder.buffered());
	}

	std::vector<Delivery> out;
	PptpReorder reorder;
};

PptpReorder::Options starting_at(uint32_t first, bool nobuffer = false)
{
	PptpReorder::Options o;
	o.timeout_ns = kTimeout;
	o.first_seq = first;
	o.nobuffer = nobuffer;
	return o;
}

using Seqs = std::vector<uint32_t>;

} // namespace

TEST_CASE("in order: everything delivered on arrival")
{
	Harness h(starting_at(0));
	for (uint32_t s = 0; s < 10; s++)
		CHECK(h.in(s, s * kMs) == Arrival::delivered);
	CHECK(h.seqs() == Seqs{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
	CHECK(h.out[9].at == 9 * kMs);
	CHECK(!h.reorder.next_deadline());
	h.check(10, 0, 0, 0);
}

TEST_CASE("loss: the gap is given up when the packet after it expires")
{
	Harness h(starting_at(0));
	h.in(0, 0);
	h.in(1, 1 * kMs);
	CHECK(h.in(3, 3 * kMs) == Arrival::buffered);
	CHECK(h.in(4, 4 * kMs) == Arrival::buffered);
	CHECK(h.reorder.next_deadline() == 3 * kMs + kTimeout);
	h.reorder.on_timer(3 * kMs + kTimeout - 1);
	CHECK(h.seqs() == Seqs{0, 1}); // not yet
	h.reorder.on_timer(3 * kMs + kTimeout);
	CHECK(h.seqs() == Seqs{0, 1, 3, 4});
	CHECK(h.out[2].at == 3 * kMs + kTimeout);
	h.check(4, 1, 0, 0);
}

TEST_CASE("duplicates: of delivered and of buffered packets")
{
	Harness h(starting_at(0));
	h.in(0, 0);
	h.in(1, 1);
	CHECK(h.in(1, 2) == Arrival::duplicate);
	CHECK(h.in(0, 3) == Arrival::duplicate);
	CHECK(h.in(3, 4) == Arrival::buffered);
	CHECK(h.in(3, 5) == Arrival::duplicate); // already buffered
	h.in(2, 6);
	CHECK(h.in(3, 7) == Arrival::duplicate);
	CHECK(h.seqs() == Seqs{0, 1, 2, 3});
	h.check(4, 0, 4, 0);
}

TEST_CASE("reordering within the window is repaired")
{
	Harness h(starting_at(0));
	h.in(0, 0);
	h.in(2, 10 * kMs);
	h.in(3, 20 * kMs);
	CHECK(h.in(1, 250 * kMs) == Arrival::delivered); // before 2 expires
	CHECK(h.seqs() == Seqs{0, 1, 2, 3});
	CHECK(h.out[2].at == 250 * kMs); // 2 and 3 waited for 1
	CHECK(h.out[3].at == 250 * kMs);
	h.check(4, 0, 0, 0);
}

TEST_CASE("a packet later than the window is lost, and counted late when it comes")
{
	// The dual-PPTP case of a second path 400 ms slower than the first:
	// its copy of a lost packet comes after the gap was given up.
	Harness h(starting_at(0));
	h.in(0, 0);
	h.in(2, 1 * kMs);
	h.reorder.on_timer(1 * kMs + kTimeout);
	CHECK(h.seqs() == Seqs{0, 2});
	CHECK(h.in(1, 400 * kMs) == Arrival::late);
	CHECK(h.in(2, 401 * kMs) == Arrival::duplicate);
	h.check(2, 1, 1, 1);
}

TEST_CASE("only the head's expiry counts, as in pptp-linux")
{
	Harness h(starting_at(1));
	h.in(5, 0);          // expires at 300 ms, but it is not the head for long
	h.in(3, 200 * kMs);  // the new head, expires at 500 ms
	h.reorder.on_timer(400 * kMs);
	CHECK(h.seqs().empty());
	h.reorder.on_timer(500 * kMs);
	CHECK(h.seqs() == Seqs{3, 5});
	h.check(2, 3, 0, 0); // 1, 2 and 4
}

TEST_CASE("an arrival also releases an expired head")
{
	Harness h(starting_at(0));
	h.in(0, 0);
	h.in(2, 0);
	h.in(9, 301 * kMs); // the event loop had not looked at the timer yet
	CHECK(h.seqs() == Seqs{0, 2});
	h.check(2, 1, 0, 0);
}

TEST_CASE("sequence numbers wrap at 2^32")
{
	SUBCASE("in order across the wrap")
	{
		Harness h(starting_at(4294967294u));
		for (uint32_t s : {4294967294u, 4294967295u, 0u, 1u})
			CHECK(h.in(s, 0) == Arrival::delivered);
		h.check(4, 0, 0, 0);
	}
	SUBCASE("reordered across the wrap")
	{
		Harness h(starting_at(4294967294u));
		h.in(4294967294u, 0);
		CHECK(h.in(0u, 1) == Arrival::buffered);
		CHECK(h.in(1u, 2) == Arrival::buffered);
		h.in(4294967295u, 3);
		CHECK(h.seqs() == Seqs{4294967294u, 4294967295u, 0u, 1u});
		h.check(4, 0, 0, 0);
	}
	SUBCASE("loss and duplicates across the wrap")
	{
		Harness h(starting_at(4294967295u));
		h.in(4294967295u, 0);
		h.in(1u, 1);
		h.reorder.on_timer(1 + kTimeout);
		CHECK(h.in(4294967295u, 2 * kTimeout) == Arrival::duplicate);
		CHECK(h.in(0u, 2 * kTimeout) == Arrival::late);
		CHECK(h.seqs() == Seqs{4294967295u, 1u});
		h.check(2, 1, 1, 1);
	}
}

TEST_CASE("nobuffer: newer is delivered at once, older is dropped")
{
	Harness h(starting_at(0, true));
	CHECK(h.in(0, 0) == Arrival::delivered);
	CHECK(h.in(2, 1) == Arrival::delivered); // 1 given up at once
	CHECK(h.in(1, 2) == Arrival::late);
	CHECK(h.in(3, 3) == Arrival::delivered);
	CHECK(h.in(3, 4) == Arrival::duplicate);
	CHECK(h.in(2, 5) == Arrival::duplicate);
	CHECK(!h.reorder.next_deadline());
	CHECK(h.seqs() == Seqs{0, 2, 3});
	h.check(3, 1, 2, 1);
}

TEST_CASE("any_order: every number delivered on its first arrival, gaps filled late")
{
	PptpReorder::Options o = starting_at(0);
	o.any_order = true;
	Harness h(o);
	CHECK(h.in(0, 0) == Arrival::delivered);
	CHECK(h.in(2, 1) == Arrival::delivered); // 1 counted lost for now
	CHECK(h.in(3, 2) == Arrival::delivered);
	h.check(3, 1, 0, 0);
	CHECK(h.reorder.accounted() == 3); // 1 may still come
	CHECK(h.in(1, 3) == Arrival::delivered); // the gap filled, late: no wait
	CHECK(h.out.back().at == 3);
	CHECK(h.in(1, 4) == Arrival::duplicate);
	CHECK(h.in(3, 5) == Arrival::duplicate);
	CHECK(!h.reorder.next_deadline());
	h.reorder.finish(6, 5); // 4 and 5 never came
	CHECK(h.seqs() == Seqs{0, 2, 3, 1});
	h.check(4, 2, 2, 0);
}

TEST_CASE("any_order: nothing before the first number counts")
{
	PptpReorder::Options o;
	o.any_order = true;
	Harness h(o); // no first_seq: the first arrival starts the count
	CHECK(h.in(100, 0) == Arrival::delivered);
	CHECK(h.in(99, 1) == Arrival::late);
	CHECK(h.in(102, 2) == Arrival::delivered);
	CHECK(h.in(101, 3) == Arrival::delivered);
	h.check(3, 0, 0, 1);
}

TEST_CASE("without first_seq the first arrival is accepted, like pptp-linux")
{
	Harness h; // no first_seq
	CHECK(h.in(100, 0) == Arrival::delivered);
	CHECK(h.in(99, 1) == Arrival::late); // sent before, arrived after
	CHECK(h.in(101, 2) == Arrival::delivered);
	h.check(2, 0, 0, 1);
}

TEST_CASE("with first_seq a loss of the first packets counts")
{
	Harness h(starting_at(10));
	h.in(12, 0);
	h.reorder.on_timer(kTimeout);
	CHECK(h.seqs() == Seqs{12});
	h.check(1, 2, 0, 0);
}

TEST_CASE("finish flushes the buffer and counts the lost tail")
{
	Harness h(starting_at(0));
	h.in(0, 0);
	h.in(2, 1);
	h.in(4, 2);
	h.reorder.finish(5, 7u); // the sender's last number was 7
	CHECK(h.seqs() == Seqs{0, 2, 4});
	CHECK(h.out[1].at == 5);
	h.check(3, 5, 0, 0); // 1, 3, 5, 6, 7
	CHECK(h.reorder.accounted() == 8);
	CHECK(h.in(6, 6) == Arrival::late);
}

TEST_CASE("random permutations with copies: invariants hold")
{
	// Two copies of each of 2000 numbers, some missing, arrivals shuffled
	// within a 50-packet horizon, 1 ms apart: nothing is delivered twice,
	// delivery is in increasing order, and the counts add up.
	std::mt19937_64 rng(2024);
	std::vector<uint32_t> arrivals;
	const uint32_t first = 4294966000u; // wraps half way
	for (uint32_t i = 0; i < 2000; i++) {
		for (int copy = 0; copy < 2; copy++) {
			if (rng() % 10 != 0)
				arrivals.push_back(first + i);
		}
	}
	for (size_t i = 0; i < arrivals.size(); i++)
		std::swap(arrivals[i], arrivals[std::min(arrivals.size() - 1, i + rng() % 50)]);

	Harness h(starting_at(first));
	int64_t t = 0;
	for (uint32_t s : arrivals) {
		h.reorder.on_timer(t);
		h.in(s, t);
		t += kMs;
	}
	h.reorder.finish(t, first + 1999);

	std::vector<uint32_t> got = h.seqs();
	for (size_t i = 1; i < got.size(); i++)
		CHECK(int32_t(got[i] - got[i - 1]) > 0);
	const ReorderStats &s = h.reorder.stats();
	CHECK(s.received == arrivals.size());
	CHECK(s.received == s.delivered + s.duplicate + s.late);
	CHECK(s.delivered + s.lost == 2000);
	CHECK(s.lost >= 1); // ~1 % of numbers lost both copies
}
