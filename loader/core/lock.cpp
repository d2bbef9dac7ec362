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

StateLock::StateLock(Mode mode)
{
	fd_ = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd_ < 0)
		throw Error(std::string("cannot open lock ") + lock_path + ": " + strerror(errno));
	int op = mode == Mode::exclusive ? LOCK_EX : LOCK_SH;
	while (flock(fd_, op) < 0) {
		if (errno == EINTR)
			continue;
		int err = errno;
		close(fd_);
		throw Error(std::string("cannot lock ") + lock_path + ": " + strerror(err));
	}
}

StateLock::~StateLock()
{
	close(fd_);  // releases the flock
}

}  // namespace dupgre
