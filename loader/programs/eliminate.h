// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// The receiver's duplicate elimination: one program per interface where
// copies arrive, all sharing the stream state, pinned under
// <state_root>/eliminate/: stream_index, streams, alloc, stats, gaps, paths.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "core/addr.h"
#include "core/bpf_util.h"
#include "core/counters.h"
#include "core/netdev.h"
#include "core/netfilter.h"
#include "core/tc.h"
#include "core/tunnel.h"
#include "dupgre/eliminate.h"
#include "dupgre/hold.h"

namespace dupgre {

using ElimCounters = std::array<__u64, ELIM_COUNTER_MAX>;
const CounterSchema &elim_schema();

enum class ElimMode { monitor, drop, order };
const char *mode_name(ElimMode m);
ElimMode parse_mode(const std::string &text);  // throws on anything else

inline constexpr unsigned wg_default_port = 51820;

struct ElimSettings {
	ElimMode mode = ElimMode::monitor;
	unsigned window = ELIM_HISTORY;
	unsigned reset_ms = 1000;
	unsigned wait_ms = 0;  // order: how long a gap is waited for; 0: auto
	Tunnel tunnel = Tunnel::pptp;
	unsigned port = 0;  // wireguard: the server's port

	bool operator==(const ElimSettings &o) const
	{
		return mode == o.mode && window == o.window && reset_ms == o.reset_ms && wait_ms == o.wait_ms &&
		       tunnel == o.tunnel && port == o.port;
	}
};

// The order stage's netfilter rule, as eliminate.bpf.c marks packets.
extern const NfqueueRule order_rule;

struct ElimPath {
	std::string name;
	unsigned index = 0;
	elim_path info{};
	bool attached = false;  // the device is there and runs our filter
	std::optional<AttachMode> attach_mode;  // by a tcx link or a tc filter, while attached
	ElimCounters counters{};
	std::array<__u64, ELIM_GAP_BUCKETS> gaps{};
	__u64 gap_sum_us = 0;
};

const CounterSchema &hold_schema();

// The order stage's holder, as it last recorded itself.
struct HoldReport {
	hold_info info{};
	bool running = false;  // its heartbeat is recent
	std::array<__u64, HOLD_COUNTER_MAX> counters{};
	std::array<__u64, HOLD_TIME_BUCKETS> times{};
	__u64 time_sum_us = 0;
	// The kernel's side of NFQUEUE ELIM_ORDER_QUEUE (its drops, what
	// waits); none while no holder is bound to it.
	std::optional<NfqueueStats> queue;
};

struct ElimStream {
	IpAddr saddr;
	Tunnel tunnel = Tunnel::pptp;
	__u32 id = 0;  // PPTP call ID or WireGuard receiver index
	__u32 recov_seq = 0;
	ElimCounters counters{};
};

class EliminateState {
public:
	EliminateState();

	bool exists() const;
	// Adds dev as a path (or re-adds it after it came back with a new
	// ifindex). Settings not given keep the running ones; new ones apply to
	// every path, since all share the streams.
	// With mode order, the holder's NFQUEUE rule is put in place; it goes
	// with the last path in order mode.
	// The tunnel is a setting too (WireGuard: monitor and drop only).
	void add(const NetDevice &dev, std::optional<ElimMode> mode, std::optional<unsigned> window,
		 std::optional<unsigned> reset_ms, std::optional<unsigned> wait_ms,
		 std::optional<Tunnel> tunnel = std::nullopt, std::optional<unsigned> port = std::nullopt);
	bool del(const std::string &dev);
	std::optional<ElimSettings> settings() const;
	std::vector<ElimPath> paths() const;
	ElimCounters totals() const;
	std::vector<ElimStream> streams() const;
	HoldReport hold() const;
	// The order stage's NFQUEUE rule has one owner, this: while eliminate
	// is in order mode it adds the rule when it is missing (a firewall
	// flush removed it) and returns true when it had to; otherwise it does
	// nothing. Idempotent. The caller holds the StateLock exclusively, so
	// two callers never both see the rule missing and add it twice.
	bool ensure_order_rule() const;

private:
	std::string pin(const char *name) const { return dir_ + "/" + name; }
	void replace_outdated_pins();
	// The same for the mode about to be in effect (add() sets the rule up
	// before the programs that mark packets).
	bool ensure_order_rule(ElimMode mode) const;
	__u32 load_path(unsigned index, const NetDevice &dev, const ElimSettings &want, Rollback &rollback,
			bool replacing);

	std::string dir_;
};

}  // namespace dupgre
