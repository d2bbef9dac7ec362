// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// The one netfilter rule dupgre needs: order mode hands marked packets to
// the holder's NFQUEUE, letting them through when no holder listens
// (bypass). Two ways to write it, tried in this order:
//  - nft: a chain of dupgre's own (table ip dupgre, chain order, hooked
//    at prerouting priority raw). What OpenWrt's fw4 users expect: fw4
//    rebuilds only its inet fw4 table, and kmod-nft-queue is the only
//    package it needs;
//  - iptables (iptables-nft or legacy): raw PREROUTING, for kernels or
//    systems without nft's queue expression (nft_queue).
#pragma once

#include <cstdint>
#include <istream>
#include <optional>
#include <string>

namespace dupgre {

struct NfqueueRule {
	uint32_t mark, mask;  // matched as --mark mark/mask
	uint16_t queue;
};

// All idempotent; add() returns whether it had to add the rule (by the
// first way that works), remove() takes it out of both and is quiet when it
// (or the tool) is absent, where() names the place it is in, if any. The
// rule's owner calls them (EliminateState::ensure_order_rule), and check.
bool nfqueue_rule_add(const NfqueueRule &rule);
void nfqueue_rule_remove(const NfqueueRule &rule);
std::optional<std::string> nfqueue_rule_where(const NfqueueRule &rule);

// A queue as the kernel counts it: a line of /proc/net/netfilter/
// nfnetlink_queue (net/netfilter/nfnetlink_queue.c, seq_show), which lists
// the queues someone is bound to in the reader's network namespace.
struct NfqueueStats {
	uint32_t portid = 0;        // the bound socket's
	uint32_t total = 0;         // packets waiting for a verdict now
	uint32_t dropped = 0;       // queue_dropped: the queue was full (without fail-open)
	uint32_t user_dropped = 0;  // queue_user_dropped: the socket's buffer was full
	uint32_t id_sequence = 0;   // the last packet id: packets queued since the bind
};
// The queue's line from the file's text; none when nobody is bound to it.
std::optional<NfqueueStats> parse_nfqueue_stats(std::istream &in, uint16_t queue);
// The same, read from /proc; none when the file (nfnetlink_queue not
// loaded) or the queue is absent.
std::optional<NfqueueStats> nfqueue_stats(uint16_t queue);

}  // namespace dupgre
