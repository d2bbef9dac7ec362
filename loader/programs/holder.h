// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// The order stage's user-space half, `dupgre-ctl hold`: it takes the
// packets eliminate.bpf.c marks in order mode from NFQUEUE, keeps them in
// the kernel (only their headers are copied up), and gives the verdicts in
// sequence order (programs/reorder.h). It hands each stream back to the
// program as soon as it holds nothing of it. Fail-open by construction:
// without it the rule's --queue-bypass passes every packet; a full queue
// passes them too (NFQA_CFG_F_FAIL_OPEN). Its heartbeat tells the program
// it lives: stopped (SIGTERM) it releases everything, in order, before it
// closes the queue; dead, it loses what the kernel had queued, and the
// program takes its streams back within HOLD_GONE_NS.
#pragma once

#include <csignal>
#include <cstdint>

namespace dupgre {

struct HolderOptions {
	unsigned max_streams = 4096;       // streams known at once (the program's slots, ELIM_MAX_STREAMS)
	unsigned queue_len = 8192;         // packets the kernel queues for the holder at most
	unsigned max_held_stream = 2048;   // held per stream before its gap is skipped (the guide's ring)
	unsigned max_held = 8192;          // held in all
	unsigned default_wait_ms = 300;    // --wait auto before anything was measured (pptp-linux's)
};

// Runs until stop becomes non-zero (SIGTERM, SIGINT); throws on setup errors.
void run_holder(const HolderOptions &o, const volatile sig_atomic_t &stop);

}  // namespace dupgre
