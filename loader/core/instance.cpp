// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "core/instance.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "core/error.h"

namespace dupgre {

namespace {

std::string lock_path(const std::string &name)
{
	struct stat ns {};
	stat("/proc/self/ns/net", &ns);
	return "/run/dupgre/" + name + "." + std::to_string(ns.st_ino) + ".lock";
}

}  // namespace

Fd claim_instance(const std::string &name)
{
	mkdir("/run/dupgre", 0755);
	std::string path = lock_path(name);
	Fd fd(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
	if (fd.get() < 0)
		throw Error(path + ": " + strerror_text(errno));
	// instance_running() takes the lock shared for a moment to test it: a
	// daemon starting at that moment (apply checks, then starts it) would
	// find it taken. A running daemon holds it for good; a test lets go
	// within microseconds: retry for 200 ms before saying one runs.
	for (int tries = 0;; tries++) {
		if (flock(fd.get(), LOCK_EX | LOCK_NB) == 0)
			return fd;
		if (errno != EWOULDBLOCK)
			throw Error(path + ": " + strerror_text(errno));
		if (tries == 20)
			throw Error("dupgre-ctl " + name + " already runs in this network namespace");
		usleep(10000);
	}
}

bool instance_running(const std::string &name)
{
	Fd fd(open(lock_path(name).c_str(), O_RDONLY | O_CLOEXEC));
	if (fd.get() < 0)
		return false;
	return flock(fd.get(), LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
}

}  // namespace dupgre
