// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// One running instance of a daemon per network namespace, and whether one
// runs: an flock on /run/dupgre/NAME.NETNS.lock (NETNS: the namespace's
// inode), held for the process's life. The kernel drops it when the
// process dies, however it dies: no stale pid files.
#pragma once

#include <string>

#include "core/fd.h"

namespace dupgre {

// Takes the lock; throws Error naming the daemon when one already runs here.
Fd claim_instance(const std::string &name);
// Whether a process holds it now.
bool instance_running(const std::string &name);

}  // namespace dupgre
