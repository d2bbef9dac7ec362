// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// Reading and writing dupgre's pinned maps.
#pragma once

#include <bpf/bpf.h>

#include <string>
#include <vector>

#include "core/bpf_util.h"
#include "core/bpffs.h"
#include "core/error.h"

namespace dupgre {

// Entry 0 of a pinned one-entry array (the "info" maps).
template <typename T> T read_info(const std::string &pin)
{
	Fd map = open_pinned(pin);
	T value{};
	__u32 key = 0;
	check(bpf_map_lookup_elem(map.get(), &key, &value), "reading " + display_path(pin));
	return value;
}

template <typename T> void write_info(const std::string &pin, const T &value)
{
	Fd map = open_pinned(pin);
	__u32 key = 0;
	check(bpf_map_update_elem(map.get(), &key, &value, BPF_ANY), "writing " + display_path(pin));
}

size_t count_keys(int map_fd);
// The __u32 keys of a hash map.
std::vector<__u32> keys_u32(int map_fd);
// Entries of a directory (sorted, no dot files); empty if it does not exist.
std::vector<std::string> list_dir(const std::string &dir);

}  // namespace dupgre
