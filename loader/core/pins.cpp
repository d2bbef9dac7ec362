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

std::string device_pin_name(std::string device)
{
	std::replace(device.begin(), device.end(), '.', ':');
	return device;
}

std::string device_from_pin_name(std::string name)
{
	std::replace(name.begin(), name.end(), ':', '.');
	return name;
}

std::vector<std::string> list_device_dirs(const std::string &dir)
{
	std::vector<std::string> devices;
	for (const std::string &name : list_dir(dir))
		devices.push_back(device_from_pin_name(name));
	std::sort(devices.begin(), devices.end());
	return devices;
}

}  // namespace dupgre
