// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// The one netfilter rule dupgre needs: order mode hands marked packets to
// the holder's NFQUEUE. Managed with the iptables command (iptables-nft
// or legacy, whichever the system has), the interface both Debian and
// OpenWrt (package iptables-nft, iptables-mod-nfqueue) ship; its
// --queue-bypass lets packets through when no holder listens.
#pragma once

#include <cstdint>

namespace dupgre {

struct NfqueueRule {
	uint32_t mark, mask;  // matched as --mark mark/mask
	uint16_t queue;
};

// Both idempotent; add() returns whether it had to add the rule, remove()
// is quiet when the rule (or iptables) is absent. The rule's owner calls
// them (EliminateState::ensure_order_rule), nobody else.
bool nfqueue_rule_add(const NfqueueRule &rule);
void nfqueue_rule_remove(const NfqueueRule &rule);
bool nfqueue_rule_present(const NfqueueRule &rule);

}  // namespace dupgre
