// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <doctest/doctest.h>

#include "core/kernel.h"

using namespace dupgre;

static std::string parsed(const std::string &release, const std::string &version)
{
	auto v = parse_kernel_version(release, version);
	return v ? v->str() : "none";
}

TEST_CASE("the upstream version behind distribution release strings")
{
	CHECK(parsed("6.18.44-fc-v782", "#1 SMP PREEMPT_DYNAMIC @0") == "6.18.44");
	CHECK(parsed("5.15.150", "#0 SMP Thu Mar 14 2024") == "5.15.150");  // OpenWrt
	CHECK(parsed("6.6", "#1") == "6.6.0");
	// Debian's release is its ABI name; the version string has the truth.
	CHECK(parsed("6.1.0-13-amd64", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.55-1 (2023-09-29)") == "6.1.55");
	CHECK(parsed("6.1.0-9-amd64", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.27-1 (2023-05-08)") == "6.1.27");
	// Ubuntu: /proc/version_signature.
	CHECK(parsed("5.15.0-91-generic", "Ubuntu 5.15.0-91.101-generic 5.15.131") == "5.15.131");
	CHECK(parsed("garbage", "#1") == "none");
}

TEST_CASE("which kernels hand a ppp device a bare IP packet on redirect")
{
	auto fixed = [](int a, int b, int c) { return redirect_strips_ppp_mac_header({a, b, c}); };
	CHECK(fixed(6, 6, 0));
	CHECK(fixed(6, 18, 44));
	CHECK(fixed(7, 0, 0));
	CHECK(fixed(6, 1, 53));
	CHECK_FALSE(fixed(6, 1, 52));
	CHECK_FALSE(fixed(6, 1, 27));  // Debian 12.0
	CHECK(fixed(5, 15, 132));
	CHECK_FALSE(fixed(5, 15, 131));
	CHECK(fixed(5, 10, 195));
	CHECK_FALSE(fixed(5, 10, 194));
	CHECK(fixed(5, 4, 257));
	CHECK(fixed(4, 19, 295));
	CHECK(fixed(6, 5, 3));
	CHECK_FALSE(fixed(6, 5, 2));
	CHECK(fixed(6, 4, 16));
	// Series that ended without the backport.
	CHECK_FALSE(fixed(6, 2, 16));
	CHECK_FALSE(fixed(6, 3, 13));
	CHECK_FALSE(fixed(5, 19, 17));
	CHECK_FALSE(fixed(4, 9, 337));
}
