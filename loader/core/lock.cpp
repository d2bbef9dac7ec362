// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "core/lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "core/error.h"

namespace dupgre {

// /run is tmpfs: the lock file never outlives a boot. OpenWrt links /var/run
// there too.
static const char lock_path[] = "/run/dupgre.lock";

namespace {

// The lock's descriptor, locked; -1 when nonblocking and someone else holds it.
int take(StateLock::Mode mode, bool wait)
{
	int fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		throw Error(std::string("cannot open lock ") + lock_path + ": " + strerror(errno));
	int op = (mode == StateLock::Mode::exclusive ? LOCK_EX : LOCK_SH) | (wait ? 0 : LOCK_NB);
	while (flock(fd, op) < 0) {
		if (errno == EINTR)
			continue;
		int err = errno;
		close(fd);
		if (err == EWOULDBLOCK && !wait)
			return -1;
		throw Error(std::string("cannot lock ") + lock_path + ": " + strerror(err));
	}
	return fd;
}

}  // namespace

StateLock::StateLock(Mode mode) : fd_(take(mode, true)) {}

StateLock::StateLock(Mode mode, NoWait) : fd_(take(mode, false)) {}

StateLock::~StateLock()
{
	if (fd_ >= 0)
		close(fd_);  // releases the flock
}

}  // namespace dupgre
