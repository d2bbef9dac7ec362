// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// core/fd.h, the one owning file descriptor of dupgre-ctl and the tools.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "../common/sys.hpp"

using dupgre::tools::Fd;

namespace {

bool is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0 || errno != EBADF;
}

int open_null()
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	REQUIRE(fd >= 0);
	return fd;
}

}  // namespace

TEST_CASE("Fd closes what it holds, once")
{
	int raw = open_null();
	{
		Fd fd(raw);
		CHECK(fd);
		CHECK(fd.get() == raw);
	}
	CHECK_FALSE(is_open(raw));
	CHECK_FALSE(Fd());
	CHECK(Fd().get() == -1);
}

TEST_CASE("a move leaves the source empty and closes what the target held")
{
	int a = open_null(), b = open_null();
	Fd first(a);
	Fd second(std::move(first));
	CHECK(first.get() == -1);
	CHECK(second.get() == a);

	Fd third(b);
	third = std::move(second);
	CHECK(second.get() == -1);
	CHECK(third.get() == a);
	CHECK_FALSE(is_open(b));  // the target's old descriptor
	CHECK(is_open(a));

	third = std::move(third);  // self-move keeps it
	CHECK(third.get() == a);
	CHECK(is_open(a));
}

TEST_CASE("release gives the descriptor up, reset replaces it")
{
	int a = open_null(), b = open_null();
	int released;
	{
		Fd fd(a);
		released = fd.release();
		CHECK(fd.get() == -1);
	}
	CHECK(released == a);
	CHECK(is_open(a));

	Fd fd(a);
	fd.reset(b);
	CHECK_FALSE(is_open(a));
	CHECK(fd.get() == b);
	fd.reset();
	CHECK_FALSE(is_open(b));
	CHECK(fd.get() == -1);
}
