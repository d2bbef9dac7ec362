// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// Small POSIX helpers shared by the test tools: an owning file descriptor,
// errno-to-exception conversion and the monotonic clock.
#pragma once

#include <cerrno>
#include <cstdint>
#include <ctime>
#include <string>
#include <system_error>

#include <unistd.h>

#include "core/fd.h"

namespace dupgre::tools {

// dupgre-ctl's owning file descriptor: move-only, a move leaves the source
// empty.
using Fd = dupgre::Fd;

// Setup errors are exceptions, caught once at each tool's main().
[[noreturn]] inline void throw_errno(const std::string &what)
{
	throw std::system_error(errno, std::generic_category(), what);
}

// CLOCK_MONOTONIC in nanoseconds. It is the same clock in every network
// namespace of one host, so a sender's timestamp can be compared with a
// receiver's clock in another namespace.
inline int64_t monotonic_ns()
{
	timespec ts{};
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

inline timespec to_timespec(int64_t ns)
{
	timespec ts{};
	ts.tv_sec = ns / 1'000'000'000;
	ts.tv_nsec = ns % 1'000'000'000;
	return ts;
}

} // namespace dupgre::tools
