// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "core/pins.h"

#include <dirent.h>

#include <algorithm>

namespace dupgre {

std::vector<__u32> keys_u32(int map_fd)
{
	std::vector<__u32> keys;
	__u32 key, next;
	for (__u32 *prev = nullptr; bpf_map_get_next_key(map_fd, prev, &next) == 0; prev = &key) {
		key = next;
		keys.push_back(key);
	}
	return keys;
}

size_t count_keys(int map_fd)
{
	return keys_u32(map_fd).size();
}

std::vector<std::string> list_dir(const std::string &path)
{
	std::vector<std::string> names;
	DIR *dir = opendir(path.c_str());
	if (!dir)
		return names;
	while (struct dirent *e = readdir(dir))
		if (e->d_name[0] != '.')
			names.push_back(e->d_name);
	closedir(dir);
	std::sort(names.begin(), names.end());
	return names;
}

}  // namespace dupgre
