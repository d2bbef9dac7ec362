// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "core/kernel.h"

#include <sys/utsname.h>

#include <fstream>

#include "core/error.h"

namespace dupgre {

std::string KernelVersion::str() const
{
	return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

namespace {

// Digits at s[pos...] as a number, pos moved past them; none if there are
// none or too many for a version number.
std::optional<int> number_at(const std::string &s, size_t &pos)
{
	size_t start = pos;
	int n = 0;
	while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
		if (pos - start == 6)
			return std::nullopt;
		n = n * 10 + (s[pos++] - '0');
	}
	if (pos == start)
		return std::nullopt;
	return n;
}

// "MAJOR.MINOR" or "MAJOR.MINOR.PATCH" at s[pos...]; whatever follows is
// ignored ("6.1.0-13-amd64", "6.1.55-1").
std::optional<KernelVersion> version_at(const std::string &s, size_t pos)
{
	auto major = number_at(s, pos);
	if (!major || pos >= s.size() || s[pos] != '.')
		return std::nullopt;
	auto minor = number_at(s, ++pos);
	if (!minor)
		return std::nullopt;
	KernelVersion v{*major, *minor, 0};
	if (pos < s.size() && s[pos] == '.') {
		if (auto patch = number_at(s, ++pos))
			v.patch = *patch;
	}
	return v;
}

// Debian's version string: "... Debian 6.1.55-1 (2023-09-29)", anywhere.
std::optional<KernelVersion> debian_version(const std::string &version)
{
	static const std::string tag = "Debian ";
	for (size_t at = version.find(tag); at != std::string::npos; at = version.find(tag, at + 1))
		if (auto v = version_at(version, at + tag.size()))
			return v;
	return std::nullopt;
}

// Ubuntu's signature: "Ubuntu 5.15.0-91.101-generic 5.15.131", the second
// word after the first.
std::optional<KernelVersion> ubuntu_version(const std::string &version)
{
	static const std::string tag = "Ubuntu ";
	if (version.compare(0, tag.size(), tag) != 0)
		return std::nullopt;
	size_t space = version.find_first_of(" \t\n\v\f\r", tag.size());
	if (space == tag.size() || space == std::string::npos || version[space] != ' ')
		return std::nullopt;
	return version_at(version, space + 1);
}

}  // namespace

std::optional<KernelVersion> parse_kernel_version(const std::string &release,
						  const std::string &version)
{
	if (auto v = debian_version(version))
		return v;
	if (auto v = ubuntu_version(version))
		return v;
	return version_at(release, 0);
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
// Commit a4f39c9f14a6 ("net: handle ARPHRD_PPP in dev_is_mac_header_xmit()"):
// in mainline since 6.6, and the first release of each stable series that
// carries its backport. The one list: the check and its message use it.
const KernelVersion ppp_fix_mainline = {6, 6, 0};
const KernelVersion ppp_fix_backports[] = {
	{6, 5, 3}, {6, 4, 16}, {6, 1, 53}, {5, 15, 132},
	{5, 10, 195}, {5, 4, 257}, {4, 19, 295}, {4, 14, 326},
};
}  // namespace

bool redirect_strips_ppp_mac_header(const KernelVersion &v)
{
	const KernelVersion &m = ppp_fix_mainline;
	if (v.major > m.major || (v.major == m.major && v.minor >= m.minor))
		return true;
	for (const auto &b : ppp_fix_backports)
		if (v.major == b.major && v.minor == b.minor)
			return v.patch >= b.patch;
	return false;
}

std::string ppp_redirect_requirement()
{
	std::string text = "bpf_redirect() into a ppp device needs Linux >= " +
			   std::to_string(ppp_fix_mainline.major) + "." +
			   std::to_string(ppp_fix_mainline.minor) + ", or ";
	const char *sep = "";
	for (const auto &b : ppp_fix_backports) {
		text += sep + b.str();
		sep = ", ";
	}
	return text + " and later in those series (commit a4f39c9f14a6)";
}

void require_ppp_redirect(const std::string &ppp_device)
{
	KernelVersion k = running_kernel();
	if (!redirect_strips_ppp_mac_header(k))
		throw Error("kernel " + k.str() + " cannot redirect packets into ppp device " +
			    ppp_device + ": " + ppp_redirect_requirement());
}

}  // namespace dupgre
