// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// The one percentile of the tools, benches and vmtests' probe
// (tests/pkt/percentile.h): nearest rank.
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "percentile.h"

TEST_CASE("percentile: nearest rank, the smallest sample with at least q at or below it")
{
	std::vector<int64_t> ten = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
	CHECK(pkt::percentile_sorted(ten, 0.0) == 1);
	CHECK(pkt::percentile_sorted(ten, 0.1) == 1);
	CHECK(pkt::percentile_sorted(ten, 0.11) == 2);
	CHECK(pkt::percentile_sorted(ten, 0.5) == 5);
	CHECK(pkt::percentile_sorted(ten, 0.99) == 10);
	CHECK(pkt::percentile_sorted(ten, 1.0) == 10);
	std::vector<int64_t> one = {7};
	CHECK(pkt::percentile_sorted(one, 0.0) == 7);
	CHECK(pkt::percentile_sorted(one, 0.99) == 7);
	// Samples in any order; the caller's vector is left as it was.
	std::vector<double> shuffled = {3.5, 1.5, 2.5, 0.5};
	CHECK(pkt::percentile(shuffled, 0.5) == 1.5);
	CHECK(pkt::percentile(shuffled, 0.75) == 2.5);
	CHECK(pkt::percentile(shuffled, 1.0) == 3.5);
	CHECK(shuffled.front() == 3.5);
	// 100 samples: p99 is the 99th.
	std::vector<int> hundred;
	for (int i = 1; i <= 100; i++)
		hundred.push_back(i);
	CHECK(pkt::percentile_sorted(hundred, 0.99) == 99);
}
