// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// The order stage's decision (programs/reorder.h) on scripted and random
// arrivals: never a number released twice or after a higher one, every
// packet exactly one verdict.
#include <doctest/doctest.h>

#include <map>
#include <random>
#include <set>

#include "programs/reorder.h"

using namespace dupgre;

namespace {

// Feeds arrivals; keeps what the receiver got, in order.
struct Bench {
	explicit Bench(uint32_t next) : r(next) {}
	Reorder r;
	HoldStats st;
	std::vector<Verdict> out;
	std::map<uint32_t, uint32_t> seq_of;  // packet id -> its number
	std::vector<uint32_t> delivered;      // numbers, in the order released
	std::set<uint32_t> verdicted;
	uint32_t next_id = 1;

	void arrive(uint32_t seq, int64_t now_us)
	{
		seq_of[next_id] = seq;
		r.arrive(next_id++, seq, now_us, out, st);
		drain();
	}
	void expire(int64_t now_us, int64_t wait_us)
	{
		r.expire(now_us, wait_us, out, st);
		drain();
	}
	void drain()
	{
		for (const Verdict &v : out) {
			CHECK(verdicted.insert(v.id).second);  // one verdict per packet
			if (v.accept)
				delivered.push_back(seq_of.at(v.id));
		}
		out.clear();
	}
};

}  // namespace

TEST_CASE("in order: released at once, nothing held")
{
	Bench b(10);
	for (uint32_t s = 10; s < 20; s++)
		b.arrive(s, s);
	CHECK(b.delivered == std::vector<uint32_t>{10, 11, 12, 13, 14, 15, 16, 17, 18, 19});
	CHECK(b.r.held() == 0);
	CHECK(b.st.c[HOLD_PASSED] == 10);
}

TEST_CASE("a gap holds what follows until it fills, then releases in order")
{
	Bench b(1);
	b.arrive(1, 0);
	b.arrive(3, 10);
	b.arrive(4, 20);
	CHECK(b.delivered == std::vector<uint32_t>{1});
	CHECK(b.r.held() == 2);
	b.arrive(2, 110);  // the other path's copy, 100 us after 3 came
	CHECK(b.delivered == std::vector<uint32_t>{1, 2, 3, 4});
	CHECK(b.st.c[HOLD_RELEASED_IN_ORDER] == 2);
	REQUIRE(b.st.fills_us.size() == 1);
	CHECK(b.st.fills_us.back().second == 100);
	b.arrive(3, 120);  // its duplicate: dropped
	CHECK(b.st.c[HOLD_DISCARDED] == 1);
}

TEST_CASE("the wait runs out: the gap is skipped, the late copy dropped")
{
	Bench b(1);
	b.arrive(1, 0);
	b.arrive(3, 1000);
	b.arrive(5, 2000);
	b.expire(1000 + 299, 300);
	CHECK(b.delivered == std::vector<uint32_t>{1});
	b.expire(1000 + 300, 300);  // 2 skipped; 3 released; 4 missing, 5 waits since 2000
	CHECK(b.delivered == std::vector<uint32_t>{1, 3});
	b.expire(2000 + 300, 300);
	CHECK(b.delivered == std::vector<uint32_t>{1, 3, 5});
	CHECK(b.st.c[HOLD_GAPS_SKIPPED] == 2);
	CHECK(b.st.c[HOLD_NUMBERS_SKIPPED] == 2);
	b.arrive(2, 2400);
	CHECK(b.delivered.back() == 5);
	CHECK(b.st.c[HOLD_DISCARDED] == 1);
}

TEST_CASE("the wait runs from the packet held longest, not from the first after the gap")
{
	Bench b(1);
	b.arrive(1, 0);
	b.arrive(4, 100);   // path A: 2 and 3 lost there
	b.arrive(3, 200);   // path B's copy of 3; 2 is lost on both
	b.expire(100 + 300, 300);
	CHECK(b.delivered == std::vector<uint32_t>{1, 3, 4});
}

TEST_CASE("a copy that comes after its gap was skipped says how long the wait should have been")
{
	Bench b(1);
	b.arrive(1, 0);
	b.arrive(3, 1000);
	b.expire(1000 + 300, 300);  // 2 skipped
	b.arrive(2, 1000 + 450);    // path B's copy, 450 us after the gap opened
	CHECK(b.delivered == std::vector<uint32_t>{1, 3});
	REQUIRE(b.st.fills_us.size() == 1);
	CHECK(b.st.fills_us.back().second == 450);
	// What the holder publishes: the skipped 2 for a second, then next.
	CHECK(b.r.lowest_wanted(1000 + 500) == 2);
	CHECK(b.r.lowest_wanted(1000 + 300 + 1000000) == 4);
}

TEST_CASE("packets far ahead never move a stream whose own packets flow, however many in a row")
{
	Bench b(1);
	b.arrive(1, 0);
	b.arrive(100000, 1);
	b.arrive(2, 2);
	CHECK(b.delivered == std::vector<uint32_t>{1, 2});
	CHECK(b.st.c[HOLD_ROGUE] == 1);
	b.arrive(4, 3);  // held behind the gap at 3
	for (uint32_t i = 0; i < 100; i++)  // a forged run, each near the one before
		b.arrive(200000 + i, 4 + i);
	CHECK(b.delivered == std::vector<uint32_t>{1, 2});
	CHECK(b.st.c[HOLD_ROGUE] == 101);
	b.arrive(3, 200);  // the stream's own gap fills: it goes on where it was
	CHECK(b.delivered == std::vector<uint32_t>{1, 2, 3, 4});
}

TEST_CASE("a genuine jump: nothing near for the quiet time, then three in a row move the stream")
{
	Bench b(1);
	b.arrive(1, 0);
	b.arrive(2, 1);
	b.arrive(4, 2);  // held behind the gap at 3
	int64_t t = 2 + Reorder::jump_quiet_us;  // both paths out since
	b.arrive(200000, t);
	b.arrive(200001, t + 1);
	CHECK(b.delivered == std::vector<uint32_t>{1, 2});
	b.arrive(200002, t + 2);  // confirmed: 4 goes first, then the stream is out there
	CHECK(b.delivered == std::vector<uint32_t>{1, 2, 4, 200002});
	b.arrive(200003, t + 3);
	CHECK(b.delivered.back() == 200003);
}

TEST_CASE("copies that mostly come after the longest wait: the wait gives up, and comes back")
{
	std::vector<int64_t> fills(20, 400000);  // path B 400 ms behind: beyond 333 ms
	CHECK(copies_too_late(fills.data(), 7) == false);  // too few to say
	CHECK(copies_too_late(fills.data(), fills.size()));
	for (size_t i = 0; i < 10; i++)
		fills[i] = 100000;  // half in time: still worth waiting
	CHECK_FALSE(copies_too_late(fills.data(), fills.size()));
	fills[10] = 100000;
	CHECK_FALSE(copies_too_late(fills.data(), fills.size()));
}

TEST_CASE("release_all: everything held goes, in order, once")
{
	Bench b(1);
	b.arrive(1, 0);
	b.arrive(5, 1);
	b.arrive(3, 2);
	b.arrive(9, 3);
	b.r.release_all(4, b.out, b.st);
	b.drain();
	CHECK(b.delivered == std::vector<uint32_t>{1, 3, 5, 9});
	CHECK(b.r.held() == 0);
	CHECK(b.r.next() == 10);
}

TEST_CASE("sequence numbers wrap around at 2^32")
{
	Bench b(0xfffffffeu);
	b.arrive(0xfffffffeu, 0);
	b.arrive(0u, 1);  // 0xffffffff missing
	CHECK(b.r.held() == 1);
	b.arrive(0xffffffffu, 2);
	CHECK(b.delivered == std::vector<uint32_t>{0xfffffffeu, 0xffffffffu, 0u});
}

TEST_CASE("random arrivals over two paths: never twice, never after a higher number")
{
	for (unsigned seed = 1; seed <= 20; seed++) {
		CAPTURE(seed);
		std::mt19937 rng(seed);
		std::bernoulli_distribution lose_a(0.1), lose_b(0.1);
		std::uniform_int_distribution<int> jitter(0, 3000);
		// (arrival time, number): path A 150 ms, path B 250 ms, jitter.
		std::multimap<int64_t, uint32_t> arrivals;
		uint32_t first = 0xffffff00u;  // and across the wrap
		for (uint32_t i = 0; i < 3000; i++) {
			uint32_t s = first + i;
			int64_t sent = i * 4000;
			if (!lose_a(rng))
				arrivals.emplace(sent + 150000 + jitter(rng), s);
			if (!lose_b(rng))
				arrivals.emplace(sent + 250000 + jitter(rng), s);
		}
		Bench b(first);
		for (const auto &[t, s] : arrivals) {
			b.expire(t, 120000);
			b.arrive(s, t);
		}
		b.expire(INT64_MAX / 2, 120000);
		CHECK(b.verdicted.size() == arrivals.size());
		for (size_t i = 1; i < b.delivered.size(); i++)
			CHECK(static_cast<int32_t>(b.delivered[i] - b.delivered[i - 1]) > 0);
		// Lost: numbers both paths lost (~1 %), nothing else.
		CHECK(b.delivered.size() > 3000 * 0.97);
		CHECK(b.r.held() == 0);
	}
}

TEST_CASE("auto wait: from the copy gap's or the fills' 99th percentile, bounded")
{
	uint64_t gaps[24] = {};
	CHECK(auto_wait_us(gaps, 24, nullptr, 0, 300000) == 300000);  // nothing measured
	gaps[17] = 100;  // [65536, 131072) us
	int64_t w = auto_wait_us(gaps, 24, nullptr, 0, 300000);
	CHECK(w > 1.25 * 65536);
	CHECK(w <= 1.25 * 131072 + 5000);
	std::vector<int64_t> fills(100, 200000);
	CHECK(auto_wait_us(gaps, 24, fills.data(), fills.size(), 300000) == 255000);
	fills.assign(100, 2000000);
	CHECK(auto_wait_us(gaps, 24, fills.data(), fills.size(), 300000) == 333000);  // at most the guide's
	uint64_t tiny[24] = {};
	tiny[1] = 50;
	CHECK(auto_wait_us(tiny, 24, nullptr, 0, 300000) == 10000);  // at least 10 ms
}
