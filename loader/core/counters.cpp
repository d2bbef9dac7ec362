// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "core/counters.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "core/error.h"

namespace dupgre {

std::string CounterSchema::metric(const CounterFamily &f) const
{
	return std::string("dupgre_") + program + "_" + f.name + "_total";
}

std::vector<__u64> sum_percpu_row(int map_fd, const void *key, unsigned n)
{
	auto ncpus = static_cast<unsigned>(check(libbpf_num_possible_cpus(), "counting CPUs"));
	std::vector<__u64> percpu(static_cast<size_t>(ncpus) * n), sums(n);
	check(bpf_map_lookup_elem(map_fd, key, percpu.data()), "reading counters");
	for (unsigned cpu = 0; cpu < ncpus; cpu++)
		for (unsigned i = 0; i < n; i++)
			sums[i] += percpu[cpu * n + i];
	return sums;
}

void clear_percpu_row(int map_fd, const void *key, unsigned n)
{
	auto ncpus = static_cast<unsigned>(check(libbpf_num_possible_cpus(), "counting CPUs"));
	std::vector<__u64> zero(static_cast<size_t>(ncpus) * n);
	check(bpf_map_update_elem(map_fd, key, zero.data(), BPF_ANY), "clearing counters");
}

}  // namespace dupgre
