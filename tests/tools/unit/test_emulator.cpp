// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// linkemu's control command language.
#include <doctest/doctest.h>

#include "emulator.hpp"

using namespace dupgre::tools;

TEST_CASE("set replaces one direction and echoes the canonical spec")
{
	Emulator emu(1, LinkSpec{}, LinkSpec{});
	CHECK(emu.handle_command("set a2b loss=0.1 delay=150ms") == "ok a2b loss=0.1,delay=150ms");
	CHECK(emu.handle_command("set b2a delay=250ms") == "ok b2a delay=250ms");
	CHECK(emu.direction(0).spec().delay_ns == 150'000'000);
	CHECK(emu.handle_command("config") ==
	      R"({"a2b":"loss=0.1,delay=150ms","b2a":"delay=250ms"})");
	CHECK(emu.handle_command("set a2b") == "ok a2b none");
}

TEST_CASE("errors are one line starting with 'error: '")
{
	Emulator emu(1, LinkSpec{}, LinkSpec{});
	CHECK(emu.handle_command("set a2b loss=2") ==
	      "error: bad spec 'loss=2': loss must be in [0,1]");
	CHECK(emu.handle_command("set c2d loss=0.1") ==
	      "error: set needs a direction, a2b or b2a");
	CHECK(emu.handle_command("frobnicate") ==
	      "error: unknown command 'frobnicate' (stats, reset-stats, config, schedule [DIR:PHASES], set a2b|b2a SPEC)");
	CHECK(emu.handle_command("stats now").rfind("error: ", 0) == 0);
	// A failed set leaves the old spec in place.
	CHECK(emu.direction(0).spec() == LinkSpec{});
	// A schedule started over the control socket: refused whole, or started.
	CHECK(emu.handle_command("schedule a2b:5:none;loss=2").rfind("error: bad schedule", 0) == 0);
	CHECK(!emu.direction(0).active_schedule());
	CHECK(emu.handle_command("schedule a2b:5:none;loss=1").rfind("ok a2b start_ns ", 0) == 0);
	CHECK(emu.direction(0).active_schedule());
}

TEST_CASE("stats and reset-stats")
{
	Emulator emu(1, parse_spec("loss=1"), LinkSpec{});
	emu.direction(0).submit(Packet(60, 0), 0);
	emu.direction(1).submit(Packet(40, 0), 0);
	CHECK(emu.handle_command("stats") ==
	      R"({"a2b":{"rx_packets":1,"rx_bytes":60,"delivered_packets":0,"delivered_bytes":0,)"
	      R"("lost_packets":1,"queue_drops":0,"reordered":0,"duplicated":0,"tx_errors":0,"queued":0},)"
	      R"("b2a":{"rx_packets":1,"rx_bytes":40,"delivered_packets":0,"delivered_bytes":0,)"
	      R"("lost_packets":0,"queue_drops":0,"reordered":0,"duplicated":0,"tx_errors":0,"queued":1}})");
	CHECK(emu.handle_command("reset-stats") == "ok");
	CHECK(emu.direction(0).counters.rx_packets == 0);
	CHECK(emu.direction(0).counters.lost_packets == 0);
	CHECK(emu.direction(1).queued() == 1); // resetting counters drops nothing
}
