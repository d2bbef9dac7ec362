// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// The running holder keeps the order stage's NFQUEUE rule in place: a
// firewall flush (nft flush ruleset, iptables -t raw -F, OpenWrt's
// firewall stop, which deletes every nft table) removes it,
// and without it packets after a gap pass unordered while the holder
// waits for them in vain.
#pragma once

#include <cstdint>
#include <string>

#include "core/debounce.h"
#include "core/nfwatch.h"

namespace dupgre {

class OrderRuleKeeper {
public:
	OrderRuleKeeper();  // throws Error when it cannot watch netfilter
	int fd() const { return watch_.fd(); }  // poll for POLLIN
	int64_t due_us() const { return check_.due(); }  // CLOCK_MONOTONIC us
	// After each poll (readable: fd() had POLLIN): reads the changes and,
	// when a check is due, puts the rule back if it is missing. True when
	// it did (said on stderr, one line, for the journal or procd's log).
	bool run(int64_t now_us, bool readable);

	// A flush arrives as a burst; the rule is looked at once it settled.
	static constexpr int64_t settle_us = 200000;
	// Legacy iptables tells no one of its changes: looked at this often
	// anyway (each look runs `iptables -C`, a few milliseconds).
	static constexpr int64_t recheck_us = 10000000;

private:
	NetfilterWatch watch_;
	Debounce check_{settle_us, recheck_us};
	std::string failed_;  // the last error, said once
};

}  // namespace dupgre
