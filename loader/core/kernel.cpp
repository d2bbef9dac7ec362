// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "core/kernel.h"

#include <sys/utsname.h>

#include <cstdio>
#include <fstream>
#include <regex>

#include "core/error.h"

namespace dupgre {

std::string KernelVersion::str() const
{
	return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

static std::optional<KernelVersion> first_version(const std::string &s, const std::regex &re)
{
	std::smatch m;
	if (!std::regex_search(s, m, re))
		return std::nullopt;
	KernelVersion v;
	v.major = std::stoi(m[1]);
	v.minor = std::stoi(m[2]);
	v.patch = m[3].matched ? std::stoi(m[3]) : 0;
	return v;
}

std::optional<KernelVersion> parse_kernel_version(const std::string &release,
						  const std::string &version)
{
	static const std::regex debian(R"(Debian (\d+)\.(\d+)(?:\.(\d+))?)");
	static const std::regex ubuntu(R"(^Ubuntu \S+ (\d+)\.(\d+)(?:\.(\d+))?)");
	static const std::regex plain(R"(^(\d+)\.(\d+)(?:\.(\d+))?)");

	if (auto v = first_version(version, debian))
		return v;
	if (auto v = first_version(version, ubuntu))
		return v;
	return first_version(release, plain);
}

KernelVersion running_kernel()
{
	struct utsname u;
	std::string signature;

	uname(&u);
	std::ifstream ubuntu("/proc/version_signature");
	if (std::getline(ubuntu, signature))
		return parse_kernel_version(u.release, signature).value_or(KernelVersion{});
	return parse_kernel_version(u.release, u.version).value_or(KernelVersion{});
}

namespace {
// First release of each stable series that carries a4f39c9f14a6.
struct Backport {
	int major, minor, patch;
};
const Backport ppp_fix_backports[] = {
	{4, 14, 326}, {4, 19, 295}, {5, 4, 257}, {5, 10, 195},
	{5, 15, 132}, {6, 1, 53}, {6, 4, 16}, {6, 5, 3},
};
}  // namespace

bool redirect_strips_ppp_mac_header(const KernelVersion &v)
{
	if (v.major > 6 || (v.major == 6 && v.minor >= 6))
		return true;
	for (const auto &b : ppp_fix_backports)
		if (v.major == b.major && v.minor == b.minor)
			return v.patch >= b.patch;
	return false;
}

std::string ppp_redirect_requirement()
{
	return "bpf_redirect() to a ppp device needs Linux >= 6.6, 6.1.53, 5.15.132 or "
	       "5.10.195 (commit a4f39c9f14a6)";
}

void require_ppp_redirect(const std::string &ppp_device)
{
	KernelVersion k = running_kernel();
	if (!redirect_strips_ppp_mac_header(k))
		throw Error("kernel " + k.str() + " cannot redirect packets into ppp device " +
			    ppp_device + ": " + ppp_redirect_requirement());
}

}  // namespace dupgre
