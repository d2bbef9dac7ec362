// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// Where dupgre keeps its pins.
//
// Pins always go to a bpffs that outlives the command: `ip netns exec` gives
// a command a private /sys, where a bpffs mounted on the fly would vanish
// with it, so from there the bpffs is reached through the nearest ancestor
// process that sees one at /sys/fs/bpf (/proc/PID/root/sys/fs/bpf; the
// shell that ran `ip netns exec`). Device names are per network namespace,
// so each namespace other than the host's gets its own subtree:
//   /sys/fs/bpf/dupgre/clone/DEV/...                  host namespace
//   /sys/fs/bpf/dupgre/netns/NAME/clone/DEV/...       `ip netns` NAME
#pragma once

#include <string>

namespace dupgre {

// The dupgre directory for this network namespace (may not exist yet). Mounts
// bpffs on /sys/fs/bpf when nothing is mounted there; throws when that is
// impossible.
std::string state_root();
// The same path as a user would type it on the host.
std::string display_path(const std::string &path);

bool path_exists(const std::string &path);
void make_dirs(const std::string &path);
// Removes path and its parents while they are empty, up to the dupgre root.
void remove_empty_dirs(const std::string &path);

}  // namespace dupgre
