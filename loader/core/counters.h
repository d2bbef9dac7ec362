// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// Counters as user space sees them: each program's schema, generated from
// the X-macro lists in its shared header (include/dupgre/layout.h), and the
// one way to read a row of per-CPU counters.
#pragma once

#include <linux/types.h>

#include <string>
#include <vector>

#include "dupgre/layout.h"

namespace dupgre {

struct Counter {
	unsigned id;         // index in the row (the enum value)
	const char *name;    // JSON and text name; Prometheus label value
	const char *family;  // Prometheus metric: dupgre_<program>_<family>_total
	const char *help;
};

struct CounterFamily {
	enum class Scope { device, total };
	const char *name;
	const char *label;  // "" for a family of one counter
	Scope scope;
	const char *help;
};

struct CounterSchema {
	const char *program;  // clone, relay, dnat, eliminate
	std::vector<Counter> counters;  // in enum order
	std::vector<CounterFamily> families;

	size_t size() const { return counters.size(); }
	const char *name(unsigned id) const { return id < counters.size() ? counters[id].name : "unknown"; }
	std::string metric(const CounterFamily &f) const;  // dupgre_<program>_<family>_total
};

#define DUPGRE_SCHEMA_COUNTER(id, name, family, help) {id, #name, #family, help},
#define DUPGRE_SCHEMA_FAMILY(name, label, scope, help) {#name, label, CounterFamily::Scope::scope, help},
// A program's schema from its lists: DUPGRE_SCHEMA("clone", CLONE_COUNTERS, CLONE_FAMILIES).
#define DUPGRE_SCHEMA(program, COUNTERS, FAMILIES) \
	CounterSchema{program, {COUNTERS(DUPGRE_SCHEMA_COUNTER)}, {FAMILIES(DUPGRE_SCHEMA_FAMILY)}}

// One row of n __u64 counters at key in a per-CPU map (array or hash),
// summed over the possible CPUs.
std::vector<__u64> sum_percpu_row(int map_fd, const void *key, unsigned n);
// The same row, zero on every CPU (a new link's, or a reused path's).
void clear_percpu_row(int map_fd, const void *key, unsigned n);

}  // namespace dupgre
