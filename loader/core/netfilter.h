// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// The one netfilter rule dupgre needs: order mode hands marked packets to
// the holder's NFQUEUE. Managed with the iptables command (iptables-nft
// or legacy, whichever the system has), the interface both Debian and
// OpenWrt (package iptables-nft, iptables-mod-nfqueue) ship; its
// --queue-bypass lets packets through when no holder listens.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace dupgre {

struct NfqueueRule {
	uint32_t mark, mask;  // matched as --mark mark/mask
	uint16_t queue;
};

// Both idempotent; remove() is quiet when the rule (or iptables) is absent.
void nfqueue_rule_add(const NfqueueRule &rule);
void nfqueue_rule_remove(const NfqueueRule &rule);
bool nfqueue_rule_present(const NfqueueRule &rule);

// A queue as the kernel accounts for it (/proc/net/netfilter/nfnetlink_queue,
// this network namespace's): nullopt while no socket is bound to it.
struct NfqueueStatus {
	uint32_t portid = 0;         // the bound socket
	uint64_t waiting = 0;        // queue_total: packets waiting for a verdict now
	uint64_t queue_dropped = 0;  // the queue was full (with fail-open: passed instead)
	uint64_t user_dropped = 0;   // the socket's buffer was full
	uint64_t id_sequence = 0;    // packet ids handed out so far
};
std::optional<NfqueueStatus> nfqueue_status(uint16_t queue);
// The same from the file's text (tests).
std::optional<NfqueueStatus> parse_nfqueue_status(const std::string &text, uint16_t queue);

}  // namespace dupgre
