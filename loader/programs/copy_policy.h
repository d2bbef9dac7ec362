// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// Copy policies per peer (include/dupgre/copy.h): what `peer add --copy`
// and the configuration's `copy` keys ask for, in the clone state's pinned
// "copy" and "copy_stash" maps. No entry: every packet is copied (always).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/addr.h"
#include "dupgre/copy.h"

namespace dupgre {

enum class CopyMode { always = COPY_ALWAYS, budget = COPY_BUDGET, adaptive = COPY_ADAPTIVE };

struct CopyPolicy {
	CopyMode mode = CopyMode::always;
	uint64_t rate = 0;        // budget: bytes per second; 0: no rate
	uint32_t max_size = 0;    // budget: IP bytes; 0: any size
	uint32_t sample = 16;     // adaptive, quiet: one packet in sample (a power of 2)
	uint32_t stale_ms = 3000; // adaptive: no report for this long: copy everything
	uint32_t quiet_ms = 10000;  // adaptive: copying goes on this long after a loss report

	bool operator==(const CopyPolicy &o) const;
	bool operator!=(const CopyPolicy &o) const { return !(*this == o); }
	// "always", "budget 125000 B/s max 200 B", "adaptive"
	std::string str() const;
};

const char *copy_mode_name(CopyMode m);
// Throws UsageError naming what is wrong.
CopyMode parse_copy_mode(const std::string &text);
// Bytes per second: digits with an optional k, M or G (x1000).
uint64_t parse_copy_rate(const std::string &text);
// Throws UsageError when the options do not go together (a rate for
// always, no rate nor size for budget, a sample that is not a power of 2).
void validate(const CopyPolicy &p);

// The map value for p (its budget's fixed-point rate, burst and chunk).
copy_policy encode(const CopyPolicy &p);
CopyPolicy decode(const copy_policy &v);
copy_key copy_key_of(const IpAddr &addr);

// What an adaptive policy does now: "copying" (loss reported), "sampling"
// (path A clean: one packet in sample), "quiet" (path A clean, sample 0:
// none), "no reports" (fail-safe: every packet); the mode's name for the
// others.
std::string copy_state(const copy_policy &v, int64_t now_ns);
// Every state copy_state gives for a policy of mode m, in a fixed order.
std::vector<std::string> copy_states(CopyMode m);

// The policies pinned under a clone state's directory.
class CopyPolicies {
public:
	explicit CopyPolicies(std::string dir) : dir_(std::move(dir)) {}
	// Sets addr's policy (always: removes it). Keeps what the report
	// receiver wrote when the policy itself does not change.
	void set(const IpAddr &addr, const CopyPolicy &p) const;
	void erase(const IpAddr &addr) const;
	std::vector<std::pair<IpAddr, copy_policy>> list() const;
	std::optional<copy_policy> get(const IpAddr &addr) const;
	// What the report receiver writes: fn changes addr's adaptive policy
	// (its report and copy times); false when addr has none.
	bool update(const IpAddr &addr, const std::function<void(copy_policy &)> &fn) const;

private:
	std::string dir_;
};

}  // namespace dupgre
