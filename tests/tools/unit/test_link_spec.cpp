// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// SPEC parsing: every key, units, canonical form, and one exact error
// message per kind of mistake.
#include <doctest/doctest.h>

#include "link_spec.hpp"

using namespace dupgre::tools;

TEST_CASE("empty and 'none' specs are a perfect link")
{
	CHECK(parse_spec("") == LinkSpec{});
	CHECK(parse_spec("none") == LinkSpec{});
	CHECK(format_spec(LinkSpec{}) == "none");
}

TEST_CASE("every key parses")
{
	LinkSpec s = parse_spec("loss=0.1,delay=150ms,jitter=10ms,rate=10mbit,limit=50,"
				"reorder=0.25,dup=1%");
	CHECK(s.loss == 0.1);
	CHECK(!s.ge);
	CHECK(s.delay_ns == 150'000'000);
	CHECK(s.jitter_ns == 10'000'000);
	CHECK(s.rate_bps == 10'000'000);
	CHECK(s.limit == 50);
	CHECK(s.reorder == 0.25);
	CHECK(s.dup == doctest::Approx(0.01));
}

TEST_CASE("items may be separated by spaces, as in 'set a2b loss=0.1 delay=150ms'")
{
	CHECK(parse_spec("loss=0.1 delay=150ms") == parse_spec("loss=0.1,delay=150ms"));
	CHECK(parse_spec(" loss=0.1 ,  delay=150ms ") == parse_spec("loss=0.1,delay=150ms"));
}

TEST_CASE("Gilbert-Elliott: p:r with optional good and bad loss")
{
	LinkSpec s = parse_spec("ge=0.01:0.2");
	REQUIRE(s.ge);
	CHECK(s.ge->p == 0.01);
	CHECK(s.ge->r == 0.2);
	CHECK(s.ge->loss_bad == 1);
	CHECK(s.ge->loss_good == 0);

	s = parse_spec("ge=1%:20%:0.001:0.5");
	REQUIRE(s.ge);
	CHECK(s.ge->p == doctest::Approx(0.01));
	CHECK(s.ge->r == doctest::Approx(0.2));
	CHECK(s.ge->loss_good == 0.001);
	CHECK(s.ge->loss_bad == 0.5);

	s = parse_spec("ge=0.01:0.2:0.02");
	REQUIRE(s.ge);
	CHECK(s.ge->loss_good == 0.02);
	CHECK(s.ge->loss_bad == 1);
}

TEST_CASE("units")
{
	CHECK(parse_duration_ns("250us") == 250'000);
	CHECK(parse_duration_ns("1.5ms") == 1'500'000);
	CHECK(parse_duration_ns("2s") == 2'000'000'000);
	CHECK(parse_duration_ns("7ns") == 7);
	CHECK(parse_duration_ns("0ms") == 0);
	CHECK(parse_rate_bps("64kbit") == 64'000);
	CHECK(parse_rate_bps("1gbit") == 1'000'000'000);
	CHECK(parse_rate_bps("100bit") == 100);
	CHECK(parse_rate_bps("1mbps") == 8'000'000); // bytes per second, as in tc
	CHECK(parse_rate_bps("10Mbit") == 10'000'000);
	CHECK(parse_rate_bps("0") == 0);
	CHECK(parse_probability("1") == 1);
	CHECK(parse_probability("0") == 0);
	CHECK(parse_probability("100%") == 1);
}

TEST_CASE("format_spec gives canonical text that parses back")
{
	const char *specs[] = {
		"loss=0.1,delay=150ms",
		"ge=0.01:0.2:0:1,delay=250ms,jitter=1500us",
		"rate=2500kbit,limit=10,reorder=0.05,dup=0.001",
		"delay=1s,rate=64kbit",
		"loss=1",
	};
	for (const char *text : specs) {
		CAPTURE(text);
		LinkSpec s = parse_spec(text);
		CHECK(format_spec(s) == text);
		CHECK(parse_spec(format_spec(s)) == s);
	}
}

TEST_CASE("bad specs fail with one clear message")
{
	struct {
		const char *spec;
		const char *message;
	} cases[] = {
		{"loss=2", "bad spec 'loss=2': loss must be in [0,1]"},
		{"loss=-0.1", "bad spec 'loss=-0.1': loss must not be negative"},
		{"loss=abc", "bad spec 'loss=abc': loss is not a number"},
		{"loss=0.1x", "bad spec 'loss=0.1x': loss must be a number in [0,1] or a percentage"},
		{"loss=nan", "bad spec 'loss=nan': loss is not a number"},
		{"delay=5", "bad spec 'delay=5': delay needs a unit (ns, us, ms, s)"},
		{"delay=5min", "bad spec 'delay=5min': delay has an unknown unit 'min' (ns, us, ms, s)"},
		{"delay=2h", "bad spec 'delay=2h': delay has an unknown unit 'h' (ns, us, ms, s)"},
		{"delay=3601s", "bad spec 'delay=3601s': delay must be at most 3600s"},
		{"jitter=", "bad spec 'jitter=': jitter is not a number"},
		{"rate=10", "bad spec 'rate=10': rate needs a unit (bit, kbit, mbit, gbit, bps, kbps, mbps, gbps)"},
		{"limit=0", "bad spec 'limit=0': limit must be an integer in [1,1000000]"},
		{"limit=1.5", "bad spec 'limit=1.5': limit must be an integer in [1,1000000]"},
		{"ge=0.1", "bad spec 'ge=0.1': ge must be p:r[:loss_good[:loss_bad]]"},
		{"ge=0.1:2", "bad spec 'ge=0.1:2': ge must be in [0,1]"},
		{"ge=0.1:0.2:1:0:9", "bad spec 'ge=0.1:0.2:1:0:9': ge must be p:r[:loss_good[:loss_bad]]"},
		{"delay=1ms,loss", "bad spec 'loss': expected key=value"},
		{"speed=1", "bad spec 'speed=1': unknown key 'speed' (known: loss, ge, delay, jitter, rate, limit, reorder, dup)"},
		{"loss=0.1,loss=0.2", "bad spec 'loss=0.2': loss given twice"},
		{"loss=0.1,ge=0.1:0.5", "bad spec 'loss=0.1,ge=0.1:0.5': loss and ge are alternatives, give one"},
		{"reorder=1.01", "bad spec 'reorder=1.01': reorder must be in [0,1]"},
		{"dup=200%", "bad spec 'dup=200%': dup must be in [0,1]"},
	};
	for (const auto &c : cases) {
		CAPTURE(c.spec);
		std::string message;
		try {
			parse_spec(c.spec);
		} catch (const SpecError &e) {
			message = e.what();
		}
		CHECK(message == c.message);
	}
}
