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

// The keys of a hash map (Key: the map's key type).
template <typename Key> std::vector<Key> map_keys(int map_fd)
{
	std::vector<Key> keys;
	Key key, next;
	for (Key *prev = nullptr; bpf_map_get_next_key(map_fd, prev, &next) == 0; prev = &key) {
		key = next;
		keys.push_back(key);
	}
	return keys;
}
inline std::vector<__u32> keys_u32(int map_fd)
{
	return map_keys<__u32>(map_fd);
}
size_t count_keys(int map_fd);
// Entries of a directory (sorted, no dot files); empty if it does not exist.
std::vector<std::string> list_dir(const std::string &dir);

// A device's state directory under bpffs, and back. bpffs refuses names with
// a dot (kernel/bpf/inode.c: reserved for its own files), and VLAN devices
// have one (eth0.2, OpenWrt's usual WAN): the directory has ':' for '.',
// which no device name contains (the kernel's dev_valid_name).
std::string device_pin_name(std::string device);
std::string device_from_pin_name(std::string name);
// The devices whose state directories are in dir.
std::vector<std::string> list_device_dirs(const std::string &dir);

}  // namespace dupgre
