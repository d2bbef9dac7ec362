// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// `dupgre-ctl hold`: in the binary only, with the holder and the NFQUEUE
// libraries it needs (the tests link the rest of the commands).
#include <csignal>

#include "cli/commands.h"
#include "programs/holder.h"

namespace dupgre {

namespace {
volatile sig_atomic_t hold_stop = 0;
}

void cmd_hold(const GlobalOptions &, const HoldOptions &o)
{
	struct sigaction sa = {};
	sa.sa_handler = [](int) { hold_stop = 1; };  // no SA_RESTART: poll() returns
	sigaction(SIGTERM, &sa, nullptr);
	sigaction(SIGINT, &sa, nullptr);
	HolderOptions h;
	h.queue_len = o.queue_len;
	h.max_held_stream = o.max_held_stream;
	h.max_held = o.max_held;
	run_holder(h, hold_stop);
}

}  // namespace dupgre
