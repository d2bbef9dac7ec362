// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "core/pins.h"

#include <dirent.h>

#include <algorithm>

namespace dupgre {

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
