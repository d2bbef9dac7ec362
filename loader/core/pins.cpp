// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "core/pins.h"

#include <bpf/libbpf.h>
#include <dirent.h>

#include <algorithm>

namespace dupgre {

std::vector<__u64> sum_percpu_value(int map_fd, const void *key, unsigned n)
{
	int ncpus = check(libbpf_num_possible_cpus(), "counting CPUs");
	std::vector<__u64> percpu(static_cast<size_t>(ncpus) * n), sums(n);
	check(bpf_map_lookup_elem(map_fd, key, percpu.data()), "reading counters");
	for (int cpu = 0; cpu < ncpus; cpu++)
		for (unsigned i = 0; i < n; i++)
			sums[i] += percpu[cpu * n + i];
	return sums;
}

std::vector<__u64> sum_percpu_counters(const std::string &pin, unsigned n)
{
	Fd map = open_pinned(pin);
	std::vector<__u64> sums(n);
	for (__u32 key = 0; key < n; key++)
		sums[key] = sum_percpu_value(map.get(), &key, 1)[0];
	return sums;
}

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
