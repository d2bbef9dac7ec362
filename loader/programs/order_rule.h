// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// The running holder keeps the order stage's NFQUEUE rule in place: a
// firewall flush (nft flush ruleset, iptables -t raw -F, OpenWrt's
// firewall stop, which deletes every nft table) removes it,
// and without it packets after a gap pass unordered while the holder
// waits for them in vain.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

#include "core/debounce.h"
#include "core/fd.h"
#include "core/nfwatch.h"

namespace dupgre {

// Watches and repairs on a thread of its own: each look runs nft or
// iptables, whole processes that take a small router (or a loaded one)
// hundreds of milliseconds, and the holder's loop must not wait for them:
// its verdicts and its beat are due every few milliseconds, and a beat
// late by HOLD_STALE_NS makes the program take its streams back.
class OrderRuleKeeper {
public:
	OrderRuleKeeper();  // starts watching; throws Error when it cannot watch netfilter
	~OrderRuleKeeper();  // stops and joins the thread
	OrderRuleKeeper(const OrderRuleKeeper &) = delete;
	OrderRuleKeeper &operator=(const OrderRuleKeeper &) = delete;

	// How often the rule was missing and put back (each said on stderr,
	// one line, for the journal or procd's log).
	uint64_t restored() const { return restored_.load(std::memory_order_relaxed); }

	// A flush arrives as a burst; the rule is looked at once it settled.
	static constexpr int64_t settle_us = 200000;
	// Legacy iptables tells no one of its changes: looked at this often
	// anyway (each look runs `nft list` and perhaps `iptables -C`).
	static constexpr int64_t recheck_us = 10000000;

private:
	void loop();
	void look(int64_t now_us);

	NetfilterWatch watch_;
	Debounce check_{settle_us, recheck_us};
	std::string failed_;  // the last error, said once
	Fd wake_;             // an eventfd: the destructor's "stop"
	std::atomic<uint64_t> restored_{0};
	std::thread thread_;  // last: starts once everything above is made
};

}  // namespace dupgre
