// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <doctest/doctest.h>

#include "core/bpffs.h"
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

TEST_CASE("Debian, Ubuntu and plain version strings, edge by edge")
{
	// Debian: the first "Debian X.Y[.Z]" anywhere in the version string wins
	// over the release.
	CHECK(parsed("6.1.0-13-amd64", "Debian 6.1.55-1") == "6.1.55");
	CHECK(parsed("5.10.0-26-amd64", "#1 SMP Debian 5.10.197-1 (2023-09-29)") == "5.10.197");
	CHECK(parsed("6.1.0-13-amd64", "#1 Debian 6.1") == "6.1.0");
	CHECK(parsed("6.1.0-13-amd64", "#1 Debian 6.1.x") == "6.1.0");
	CHECK(parsed("6.1.0-13-amd64", "#1 Debian bookworm Debian 6.1.66-1") == "6.1.66");
	CHECK(parsed("6.1.0-13-amd64", "#1 Debian 6") == "6.1.0");     // no version: the release
	CHECK(parsed("6.1.0-13-amd64", "#1 Debian6.1.55") == "6.1.0");  // no space: the release
	CHECK(parsed("6.1.0-13-amd64", "#1 debian 6.1.55") == "6.1.0");
	CHECK(parsed("6.1.0-13-amd64", "#1 Debian  6.1.55") == "6.1.0");
	// Ubuntu: only at the start, the second word after "Ubuntu".
	CHECK(parsed("6.5.0-14-generic", "Ubuntu 6.5.0-14.14~22.04.1-generic 6.5.3") == "6.5.3");
	CHECK(parsed("5.4.0-1-generic", "Ubuntu 5.4.0-1.2-generic 5.4") == "5.4.0");
	CHECK(parsed("5.4.0-1-generic", "#1 Ubuntu 5.4.0-1.2-generic 5.4.257") == "5.4.0");
	CHECK(parsed("5.4.0-1-generic", "Ubuntu  5.4.257") == "5.4.0");
	CHECK(parsed("5.4.0-1-generic", "Ubuntu 5.4.0-1.2-generic") == "5.4.0");
	CHECK(parsed("5.4.0-1-generic", "Ubuntu 5.4.0-1.2-generic\t5.4.257") == "5.4.0");
	// Plain: the release's leading MAJOR.MINOR[.PATCH].
	CHECK(parsed("4.19.295", "") == "4.19.295");
	CHECK(parsed("6.6-rc1", "") == "6.6.0");
	CHECK(parsed("6.6.", "") == "6.6.0");
	CHECK(parsed("6.", "") == "none");
	CHECK(parsed("6", "") == "none");
	CHECK(parsed(".6.1", "") == "none");
	CHECK(parsed(" 6.6.1", "") == "none");
	CHECK(parsed("", "") == "none");
	CHECK(parsed("99999999999999999999.1", "") == "none");  // not a number to trust
}

TEST_CASE("pins reached through /proc/PID/root are shown as the host sees them")
{
	CHECK(display_path("/proc/1234/root/sys/fs/bpf/dupgre") == "/sys/fs/bpf/dupgre");
	CHECK(display_path("/proc/1/root/") == "/");
	CHECK(display_path("/sys/fs/bpf/dupgre/clone/eth0") == "/sys/fs/bpf/dupgre/clone/eth0");
	CHECK(display_path("/proc/1234/root") == "/proc/1234/root");
	CHECK(display_path("/proc/self/root/sys/fs/bpf") == "/proc/self/root/sys/fs/bpf");
	CHECK(display_path("/proc//root/sys/fs/bpf") == "/proc//root/sys/fs/bpf");
	CHECK(display_path("/proc/12a/root/sys") == "/proc/12a/root/sys");
	CHECK(display_path("/proc/12/rootfs/sys") == "/proc/12/rootfs/sys");
	CHECK(display_path("/x/proc/12/root/sys") == "/x/proc/12/root/sys");
	CHECK(display_path("") == "");
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

TEST_CASE("the refusal names every kernel with the fix, from the same table")
{
	const std::string text = ppp_redirect_requirement();
	CHECK(text ==
	      "bpf_redirect() into a ppp device needs Linux >= 6.6, or 6.5.3, 6.4.16, 6.1.53, "
	      "5.15.132, 5.10.195, 5.4.257, 4.19.295, 4.14.326 and later in those series "
	      "(commit a4f39c9f14a6)");
	// The check agrees: each release named is the first of its series.
	for (const KernelVersion v : {KernelVersion{6, 5, 3}, {6, 4, 16}, {6, 1, 53}, {5, 15, 132},
				      {5, 10, 195}, {5, 4, 257}, {4, 19, 295}, {4, 14, 326}}) {
		CAPTURE(v.str());
		CHECK(redirect_strips_ppp_mac_header(v));
		CHECK_FALSE(redirect_strips_ppp_mac_header({v.major, v.minor, v.patch - 1}));
	}
}
