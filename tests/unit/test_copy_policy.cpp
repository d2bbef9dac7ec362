// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// Copy policies in user space (programs/copy_policy.h): the command line's
// values, and the map value the clone program reads.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "programs/copy_policy.h"

using namespace dupgre;

TEST_CASE("copy rate: bytes per second, with k, M and G")
{
	CHECK(parse_copy_rate("125000") == 125000);
	CHECK(parse_copy_rate("64k") == 64000);
	CHECK(parse_copy_rate("2M") == 2000000);
	CHECK(parse_copy_rate("1G") == 1000000000);
	for (const char *bad : {"", "0", "k", "1.5M", "10Mbit", "-5", "1m", "9999999999999"})
		CHECK_THROWS_AS(parse_copy_rate(bad), UsageError);
}

TEST_CASE("copy policy: what goes together")
{
	CopyPolicy p;
	CHECK_NOTHROW(validate(p));
	p.rate = 1000;
	CHECK_THROWS_AS(validate(p), UsageError);  // a rate for always
	p.mode = CopyMode::budget;
	CHECK_NOTHROW(validate(p));
	p.rate = 0;
	CHECK_THROWS_AS(validate(p), UsageError);  // budget of nothing
	p.max_size = 200;
	CHECK_NOTHROW(validate(p));
	p.mode = CopyMode::adaptive;
	p.max_size = 0;
	for (uint32_t s : {0u, 1u, 2u, 16u, 1024u})
		CHECK_NOTHROW(validate([&] { CopyPolicy q = p; q.sample = s; return q; }()));
	for (uint32_t s : {3u, 10u, 1u << 21})
		CHECK_THROWS_AS(validate([&] { CopyPolicy q = p; q.sample = s; return q; }()), UsageError);
}

TEST_CASE("copy policy: the map value, and back")
{
	for (uint64_t rate : {1000ULL, 125000ULL, 12500000ULL, 1250000000ULL}) {
		CAPTURE(rate);
		CopyPolicy p;
		p.mode = CopyMode::budget;
		p.rate = rate;
		p.max_size = 300;
		copy_policy v = encode(p);
		CHECK(v.mode == COPY_BUDGET);
		CHECK(v.max_size == 300);
		// The program's rate, 1e9 * 65536 / ns_per_byte_q16, within 0.01 %.
		double program_rate = 1e9 * 65536.0 / static_cast<double>(v.ns_per_byte_q16);
		CHECK(std::fabs(program_rate - rate) / rate < 1e-4);
		CHECK(v.burst_ns == 50000000);
		CHECK(v.chunk <= COPY_CHUNK_MAX);
		CHECK(v.chunk == std::min<uint64_t>(rate / 1000, COPY_CHUNK_MAX));
		CHECK(decode(v) == p);
	}
	CopyPolicy a;
	a.mode = CopyMode::adaptive;
	a.sample = 64;
	a.quiet_ms = 5000;
	a.stale_ms = 2000;
	copy_policy v = encode(a);
	CHECK(v.sample_shift == 6);
	CHECK(v.stale_ns == 2000000000ULL);
	CHECK(v.quiet_ms == 5000);
	CHECK(v.ns_per_byte_q16 == 0);
	CHECK(decode(v) == a);
}

TEST_CASE("copy policy: an adaptive peer's state")
{
	CopyPolicy a;
	a.mode = CopyMode::adaptive;
	copy_policy v = encode(a);
	const int64_t now = 100'000'000'000;
	CHECK(copy_state(v, now) == "no reports");
	v.report_ns = now - 1'000'000'000;
	CHECK(copy_state(v, now) == "sampling");
	a.sample = 0;  // no samples: quiet
	copy_policy none = encode(a);
	none.report_ns = v.report_ns;
	CHECK(none.sample_shift == COPY_NO_SAMPLES);
	CHECK(decode(none).sample == 0);
	CHECK(copy_state(none, now) == "quiet");
	v.copy_until_ns = now + 1;
	CHECK(copy_state(v, now) == "copying");
	v.report_ns = now - 4'000'000'000;  // older than stale_ms (3 s)
	CHECK(copy_state(v, now) == "no reports");
	CHECK(copy_state(encode(CopyPolicy{}), now) == "always");
}

TEST_CASE("copy policy: copy_states lists every state copy_state gives, for each mode")
{
	using States = std::vector<std::string>;
	CHECK(copy_states(CopyMode::adaptive) == States{"copying", "sampling", "quiet", "no reports"});
	CHECK(copy_states(CopyMode::budget) == States{"budget"});
	CHECK(copy_states(CopyMode::always) == States{"always"});
	CopyPolicy a;
	a.mode = CopyMode::adaptive;
	copy_policy v = encode(a);
	const int64_t now = 100'000'000'000;
	States adaptive = copy_states(CopyMode::adaptive);
	auto listed = [&](const std::string &st) {
		return std::find(adaptive.begin(), adaptive.end(), st) != adaptive.end();
	};
	CHECK(listed(copy_state(v, now)));
	v.report_ns = now - 1;
	CHECK(listed(copy_state(v, now)));
	v.copy_until_ns = now + 1;
	CHECK(listed(copy_state(v, now)));
	CopyPolicy b;
	b.mode = CopyMode::budget;
	b.rate = 1000;
	CHECK(copy_state(encode(b), now) == copy_states(CopyMode::budget)[0]);
}
