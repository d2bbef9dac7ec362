// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// The scheduler of one link direction: due times under delay, rate, jitter,
// the queue limit, reorder and dup, with a scripted clock.
#include <doctest/doctest.h>

#include <vector>

#include "link_direction.hpp"

using namespace dupgre::tools;

namespace {

constexpr int64_t kMs = 1'000'000;

// A packet of `bytes` bytes whose first byte tags it.
Packet packet(uint8_t tag, size_t bytes = 100)
{
	Packet p(bytes, 0);
	p[0] = tag;
	return p;
}

struct Out {
	uint8_t tag;
	int64_t due;
};

// Pops everything, each at its own due time, in delivery order.
std::vector<Out> drain(LinkDirection &dir)
{
	std::vector<Out> out;
	while (std::optional<int64_t> due = dir.next_due()) {
		// Nothing may come out before it is due.
		REQUIRE(!dir.pop_due(*due - 1));
		std::optional<Packet> p = dir.pop_due(*due);
		REQUIRE(p);
		out.push_back({(*p)[0], *due});
	}
	return out;
}

LinkDirection make(const char *spec, uint64_t seed = 1)
{
	return LinkDirection(seed, 0, parse_spec(spec));
}

} // namespace

TEST_CASE("a perfect link delivers at once, in order")
{
	LinkDirection dir = make("none");
	dir.submit(packet(1), 5 * kMs);
	dir.submit(packet(2), 5 * kMs);
	std::vector<Out> out = drain(dir);
	REQUIRE(out.size() == 2);
	CHECK(out[0].tag == 1);
	CHECK(out[0].due == 5 * kMs);
	CHECK(out[1].tag == 2);
	CHECK(out[1].due == 5 * kMs);
}

TEST_CASE("delay: due = arrival + delay")
{
	LinkDirection dir = make("delay=50ms");
	dir.submit(packet(1), 0);
	dir.submit(packet(2), 1 * kMs);
	dir.submit(packet(3), 2 * kMs);
	std::vector<Out> out = drain(dir);
	REQUIRE(out.size() == 3);
	CHECK(out[0].due == 50 * kMs);
	CHECK(out[1].due == 51 * kMs);
	CHECK(out[2].due == 52 * kMs);
	CHECK(dir.counters.rx_packets == 3);
	CHECK(dir.counters.rx_bytes == 300);
}

TEST_CASE("rate: a FIFO serializer, then the delay")
{
	// 1250 bytes at 10 Mbit/s take exactly 1 ms.
	LinkDirection dir = make("rate=10mbit,delay=10ms");
	dir.submit(packet(1, 1250), 0);
	dir.submit(packet(2, 1250), 0);
	dir.submit(packet(3, 1250), 0);
	dir.submit(packet(4, 1250), 20 * kMs); // the link is idle again by then
	std::vector<Out> out = drain(dir);
	REQUIRE(out.size() == 4);
	CHECK(out[0].due == 11 * kMs);
	CHECK(out[1].due == 12 * kMs);
	CHECK(out[2].due == 13 * kMs);
	CHECK(out[3].due == 31 * kMs);
}

TEST_CASE("limit: packets waiting for the serializer beyond it are dropped")
{
	LinkDirection dir = make("rate=10mbit,limit=2");
	for (uint8_t i = 0; i < 5; i++)
		dir.submit(packet(i, 1250), 0); // 2 fit, 3 dropped
	CHECK(dir.counters.queue_drops == 3);
	CHECK(dir.queued() == 2);
	// At 1 ms the first transmission is over: room for one more.
	dir.submit(packet(9, 1250), 1 * kMs);
	CHECK(dir.counters.queue_drops == 3);
	std::vector<Out> out = drain(dir);
	REQUIRE(out.size() == 3);
	CHECK(out[2].tag == 9);
	CHECK(out[2].due == 3 * kMs);
}

TEST_CASE("limit does not apply to packets in flight in the delay")
{
	LinkDirection dir = make("delay=500ms,limit=10");
	for (int i = 0; i < 100; i++)
		dir.submit(packet(uint8_t(i)), i * kMs);
	CHECK(dir.counters.queue_drops == 0);
	CHECK(dir.queued() == 100);
}

TEST_CASE("jitter spreads due times but never reorders")
{
	LinkDirection dir = make("delay=50ms,jitter=20ms");
	const int n = 2000;
	for (int i = 0; i < n; i++)
		dir.submit(packet(uint8_t(i)), i * kMs / 10); // 10 000 packets/s
	std::vector<Out> out = drain(dir);
	REQUIRE(out.size() == size_t(n));
	int64_t min_delay = INT64_MAX, max_delay = 0;
	for (int i = 0; i < n; i++) {
		CHECK(out[size_t(i)].tag == uint8_t(i)); // FIFO
		if (i > 0)
			CHECK(out[size_t(i)].due >= out[size_t(i) - 1].due);
		int64_t delay = out[size_t(i)].due - i * kMs / 10;
		min_delay = std::min(min_delay, delay);
		max_delay = std::max(max_delay, delay);
	}
	CHECK(min_delay >= 30 * kMs);
	CHECK(max_delay <= 70 * kMs);
	CHECK(max_delay - min_delay > 20 * kMs); // it does jitter
}

TEST_CASE("reorder: chosen packets skip the delay and overtake")
{
	LinkDirection dir = make("delay=100ms,reorder=1");
	dir.submit(packet(1), 0);
	dir.submit(packet(2), 1 * kMs);
	std::vector<Out> out = drain(dir);
	REQUIRE(out.size() == 2);
	CHECK(out[0].due == 0);
	CHECK(out[1].due == 1 * kMs);
	CHECK(dir.counters.reordered == 2);

	LinkDirection half = make("delay=100ms,reorder=0.5");
	for (int i = 0; i < 1000; i++)
		half.submit(packet(uint8_t(i)), i * kMs);
	int overtakes = 0;
	std::vector<Out> h = drain(half);
	for (size_t i = 1; i < h.size(); i++)
		overtakes += uint8_t(h[i].tag - h[i - 1].tag) > 128;
	CHECK(half.counters.reordered > 400);
	CHECK(half.counters.reordered < 600);
	CHECK(overtakes > 0);
}

TEST_CASE("dup: each surviving packet goes out twice")
{
	LinkDirection dir = make("dup=1,delay=5ms");
	dir.submit(packet(1), 0);
	dir.submit(packet(2), 1 * kMs);
	std::vector<Out> out = drain(dir);
	REQUIRE(out.size() == 4);
	CHECK(out[0].tag == 1);
	CHECK(out[1].tag == 1);
	CHECK(out[2].tag == 2);
	CHECK(out[3].tag == 2);
	CHECK(dir.counters.duplicated == 2);
}

TEST_CASE("loss=1 delivers nothing and counts every packet lost")
{
	LinkDirection dir = make("loss=1,delay=10ms");
	for (int i = 0; i < 50; i++)
		dir.submit(packet(uint8_t(i)), i);
	CHECK(dir.queued() == 0);
	CHECK(!dir.next_due());
	CHECK(dir.counters.lost_packets == 50);
}

TEST_CASE("the loss pattern does not depend on delay, jitter or rate")
{
	auto survivors = [](const char *spec) {
		LinkDirection dir = make(spec, 99);
		for (int i = 0; i < 3000; i++)
			dir.submit(packet(uint8_t(i % 251)), int64_t(i) * kMs);
		std::vector<uint8_t> tags;
		for (const Out &o : drain(dir))
			tags.push_back(o.tag);
		return tags;
	};
	std::vector<uint8_t> plain = survivors("loss=0.1");
	CHECK(plain.size() < 3000);
	CHECK(plain == survivors("loss=0.1,delay=150ms,jitter=10ms"));
	CHECK(plain == survivors("loss=0.1,rate=100mbit,delay=1ms"));
}

TEST_CASE("set_spec: new packets may overtake ones already in flight")
{
	LinkDirection dir = make("delay=100ms");
	dir.submit(packet(1), 0);
	dir.set_spec(parse_spec("delay=10ms"));
	dir.submit(packet(2), 1 * kMs);
	std::vector<Out> out = drain(dir);
	REQUIRE(out.size() == 2);
	CHECK(out[0].tag == 2);
	CHECK(out[0].due == 11 * kMs);
	CHECK(out[1].tag == 1);
	CHECK(out[1].due == 100 * kMs);
}
