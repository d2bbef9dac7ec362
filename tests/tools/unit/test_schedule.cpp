// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// Schedules: the text form, where a schedule is at a given time, and one
// link direction following it on a scripted clock (no real time).
#include <doctest/doctest.h>

#include <vector>

#include "emulator.hpp"
#include "schedule.hpp"

using namespace dupgre::tools;

namespace {

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kS = 1'000'000'000;

Schedule sched(const char *text)
{
	return parse_schedule(text).second;
}

// Submits one packet at t and says whether the link lost it.
bool lost_at(LinkDirection &dir, int64_t t)
{
	uint64_t before = dir.counters.lost_packets;
	dir.submit(Packet(100, 0), t);
	while (dir.pop_due(INT64_MAX)) {
	}
	return dir.counters.lost_packets != before;
}

std::string error_of(const char *text)
{
	try {
		parse_schedule(text);
	} catch (const SpecError &e) {
		return e.what();
	}
	return "no error";
}

} // namespace

TEST_CASE("schedule text: phases, the end, canonical form")
{
	auto [dir, s] = parse_schedule("a2b:30:none;30s:loss=10%;repeat");
	CHECK(dir == 0);
	REQUIRE(s.steps.size() == 2);
	CHECK(s.repeat);
	CHECK(s.steps[0].duration_ns == 30 * kS);
	CHECK(s.steps[1].spec.loss == 0.1);
	CHECK(format_schedule(s) == "30s:none;30s:loss=0.1;repeat");

	// ge= has colons of its own, in a timed and in the held phase.
	auto [dir2, h] = parse_schedule("b2a:500ms:ge=0.01:0.1;1.5:loss=1;ge=0.1:0.2");
	CHECK(dir2 == 1);
	REQUIRE(h.steps.size() == 3);
	CHECK_FALSE(h.repeat);
	CHECK(h.steps[0].duration_ns == 500 * kMs);
	CHECK(h.steps[0].spec.ge->r == 0.1);
	CHECK(h.steps[1].duration_ns == 1500 * kMs);
	CHECK(h.steps[2].duration_ns == 0);
	CHECK(format_schedule(h) == "500ms:ge=0.01:0.1:0:1;1500ms:loss=1;ge=0.1:0.2:0:1");
	CHECK(format_schedule(sched(("b2a:" + format_schedule(h)).c_str())) == format_schedule(h));
}

TEST_CASE("schedule text: errors say what is wrong")
{
	CHECK(error_of("30:none;repeat") ==
	      "bad schedule '30:none;repeat': must start with a2b: or b2a:");
	CHECK(error_of("a2b:30:none;30:loss=1") ==
	      "bad schedule 'a2b:30:none;30:loss=1': say how it ends: a last SPEC "
	      "without a duration (held) or ';repeat'");
	CHECK(error_of("a2b:none;30:loss=1;none").find("needs a duration") != std::string::npos);
	CHECK(error_of("a2b:0:none;repeat").find("duration '0' must be more than 0") !=
	      std::string::npos);
	CHECK(error_of("a2b:3x:none;repeat").find("duration '3x'") != std::string::npos);
	CHECK(error_of("a2b:1:loss=2;none").find("loss must be in [0,1]") != std::string::npos);
	CHECK(error_of("a2b:1:none;;none").find("an empty phase") != std::string::npos);
	CHECK(error_of("a2b:repeat").find("repeat needs a phase") != std::string::npos);
}

TEST_CASE("where a held schedule is: each phase from its start, the last for ever")
{
	Schedule s = sched("a2b:10ms:none;20ms:loss=1;loss=0.5");
	auto at = [&](int64_t t) { return s.at(t); };
	CHECK(at(0).phase == 0);
	CHECK(at(0).next_ns == 10 * kMs);
	CHECK(at(10 * kMs - 1).step == 0);
	CHECK(at(10 * kMs).phase == 1);
	CHECK(at(10 * kMs).next_ns == 30 * kMs);
	CHECK(at(30 * kMs - 1).step == 1);
	CHECK(at(30 * kMs).step == 2);
	CHECK(at(30 * kMs).phase == 2);
	CHECK_FALSE(at(30 * kMs).next_ns);
	CHECK(at(1000 * kS).phase == 2);
	CHECK(at(-5).phase == 0); // before the start: the first phase
}

TEST_CASE("where a repeating schedule is: phases keep counting across cycles")
{
	Schedule s = sched("a2b:10ms:none;20ms:loss=1;repeat");
	CHECK(s.at(29 * kMs).phase == 1);
	CHECK(s.at(30 * kMs).phase == 2);
	CHECK(s.at(30 * kMs).step == 0);
	CHECK(s.at(30 * kMs).next_ns == 40 * kMs);
	CHECK(s.at(75 * kMs).phase == 5); // cycle 2 (60-90 ms), second step (70-90)
	CHECK(s.at(75 * kMs).step == 1);
	CHECK(s.at(75 * kMs).next_ns == 90 * kMs);
	CHECK(s.at(65 * kMs).phase == 4);
}

TEST_CASE("a direction follows its schedule on the packets' arrival times")
{
	// Clean 10 ms, lossy (100 %) 10 ms, repeated, from t0 = 1 s: one packet
	// a millisecond, plus one just either side of each change.
	const int64_t t0 = 1 * kS;
	LinkDirection dir(1, 0, LinkSpec{});
	dir.set_schedule(sched("a2b:10ms:none;10ms:loss=1;repeat"), t0);
	CHECK(dir.next_change() == t0 + 10 * kMs);
	for (int64_t ms = 0; ms < 50; ms++) {
		bool lossy = (ms / 10) % 2 == 1;
		CAPTURE(ms);
		CHECK(lost_at(dir, t0 + ms * kMs) == lossy);
	}
	CHECK(dir.position().phase == 4);
	// The exact change times: the last nanosecond of a phase, its first.
	CHECK_FALSE(lost_at(dir, t0 + 50 * kMs - 1));
	CHECK(lost_at(dir, t0 + 50 * kMs));
	CHECK(lost_at(dir, t0 + 60 * kMs - 1));
	CHECK_FALSE(lost_at(dir, t0 + 60 * kMs));
}

TEST_CASE("the event loop's timer moves the phase on without packets")
{
	LinkDirection dir(1, 0, LinkSpec{});
	dir.set_schedule(sched("a2b:2s:none;1s:loss=1;delay=5ms"), 0);
	CHECK(dir.spec() == LinkSpec{});
	dir.advance(2 * kS - 1);
	CHECK(dir.position().phase == 0);
	CHECK(dir.next_change() == 2 * kS);
	dir.advance(2 * kS);
	CHECK(dir.position().phase == 1);
	CHECK(dir.spec().loss == 1);
	CHECK(dir.next_change() == 3 * kS);
	// A loop that slept through a change lands in the phase of its clock.
	dir.advance(100 * kS);
	CHECK(dir.position().phase == 2);
	CHECK(dir.spec().delay_ns == 5 * kMs);
	CHECK_FALSE(dir.next_change()); // held for ever
}

TEST_CASE("a phase repeats its losses whatever the phases before it saw")
{
	// The same seed, the same phase-1 packets; phase 0 saw 100 packets in
	// one run and 37 in the other (a policy that sends less). Phase 1 must
	// lose the same packets; with streams that ran on from phase 0 it would
	// not.
	auto phase1 = [](uint64_t seed, int phase0_packets, const char *text) {
		LinkDirection dir(seed, 0, LinkSpec{});
		dir.set_schedule(sched(text), 0);
		for (int i = 0; i < phase0_packets; i++)
			lost_at(dir, i * kMs);
		std::vector<bool> lost;
		for (int i = 0; i < 2000; i++)
			lost.push_back(lost_at(dir, kS + i * kMs));
		return lost;
	};
	for (const char *text : {"a2b:1s:loss=0.5;loss=0.3", "a2b:1s:loss=0.5;ge=0.05:0.2"}) {
		CAPTURE(text);
		CHECK(phase1(7, 100, text) == phase1(7, 37, text));
		CHECK(phase1(7, 100, text) != phase1(8, 100, text));
	}
	// Two directions with one seed draw differently.
	LinkDirection a(7, 0, LinkSpec{}), b(7, 1, LinkSpec{});
	a.set_schedule(sched("a2b:loss=0.5"), 0);
	b.set_schedule(sched("b2a:loss=0.5"), 0);
	std::vector<bool> la, lb;
	for (int i = 0; i < 200; i++) {
		la.push_back(lost_at(a, i));
		lb.push_back(lost_at(b, i));
	}
	CHECK(la != lb);
}

TEST_CASE("set ends the schedule; the control channel shows where it is")
{
	Emulator emu(1, LinkSpec{}, LinkSpec{});
	CHECK(emu.handle_command("schedule") == R"({"a2b":null,"b2a":null})");
	emu.direction(0).set_schedule(sched("a2b:30:none;30:loss=0.1;repeat"), 0);
	emu.advance(45 * kS);
	CHECK(emu.handle_command("schedule") ==
	      R"({"a2b":{"schedule":"30s:none;30s:loss=0.1;repeat","phase":1,"step":1},"b2a":null})");
	CHECK(emu.handle_command("config") == R"({"a2b":"loss=0.1","b2a":"none"})");
	CHECK(emu.next_change() == 60 * kS);
	CHECK(emu.handle_command("set a2b delay=1ms") == "ok a2b delay=1ms");
	CHECK(emu.handle_command("schedule") == R"({"a2b":null,"b2a":null})");
	CHECK_FALSE(emu.next_change());
	emu.advance(100 * kS); // nothing comes back
	CHECK(emu.direction(0).spec().delay_ns == kMs);
}
