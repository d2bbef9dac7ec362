// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// The one owner of a file descriptor, for dupgre-ctl and the test tools
// alike (header-only, no dependency beyond POSIX).
#pragma once

#include <unistd.h>

#include <utility>

namespace dupgre {

// Owns one file descriptor and closes it exactly once. Move-only; a move
// leaves the source empty (-1), so a moved-from Fd closes nothing.
class Fd {
public:
	Fd() = default;
	explicit Fd(int fd) : fd_(fd) {}
	Fd(Fd &&other) noexcept : fd_(other.release()) {}
	Fd &operator=(Fd &&other) noexcept
	{
		if (this != &other)
			reset(other.release());
		return *this;
	}
	Fd(const Fd &) = delete;
	Fd &operator=(const Fd &) = delete;
	~Fd() { reset(); }

	int get() const { return fd_; }
	explicit operator bool() const { return fd_ >= 0; }
	// Gives the descriptor up without closing it.
	int release() { return std::exchange(fd_, -1); }
	// Closes the descriptor held, if any, and holds fd instead.
	void reset(int fd = -1)
	{
		if (fd_ >= 0)
			::close(fd_);
		fd_ = fd;
	}

private:
	int fd_ = -1;
};

}  // namespace dupgre
