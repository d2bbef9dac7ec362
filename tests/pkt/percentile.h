// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// The one percentile of the test tools, benches and vmtests' probe (header
// only: the probe is built alone, with g++, for the guest).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace pkt {

// Nearest rank: the smallest sample with at least q (0 to 1) of them at or
// below it; q = 0 gives the smallest. `sorted` ascending, not empty.
template <typename T> T percentile_sorted(const std::vector<T> &sorted, double q)
{
	size_t rank = size_t(std::ceil(q * double(sorted.size())));
	return sorted[std::min(std::max<size_t>(rank, 1), sorted.size()) - 1];
}

// The same of samples in any order (a copy is sorted). `v` not empty.
template <typename T> T percentile(std::vector<T> v, double q)
{
	std::sort(v.begin(), v.end());
	return percentile_sorted(v, q);
}

}  // namespace pkt
