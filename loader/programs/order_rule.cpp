// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "programs/order_rule.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>

#include <algorithm>
#include <cerrno>
#include <iostream>

#include "core/clock.h"
#include "core/error.h"
#include "core/lock.h"
#include "programs/eliminate.h"

namespace dupgre {

OrderRuleKeeper::OrderRuleKeeper() : wake_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK))
{
	if (!wake_)
		throw Error("eventfd: " + strerror_text(-errno));
	// Signals (SIGTERM: stop) are the holder's loop's to see: the thread
	// starts with them blocked.
	sigset_t all, before;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &before);
	thread_ = std::thread([this] { loop(); });
	pthread_sigmask(SIG_SETMASK, &before, nullptr);
}

OrderRuleKeeper::~OrderRuleKeeper()
{
	uint64_t one = 1;
	if (write(wake_.get(), &one, sizeof(one)) < 0) {
		// An eventfd counter cannot overflow at 1: nothing to do.
	}
	thread_.join();
}

void OrderRuleKeeper::loop()
{
	for (;;) {
		int64_t now = monotonic_us();
		int timeout_ms = static_cast<int>(std::clamp<int64_t>((check_.due() - now + 999) / 1000, 0, 1000));
		pollfd pfd[2] = {{watch_.fd(), POLLIN, 0}, {wake_.get(), POLLIN, 0}};
		int n = poll(pfd, 2, timeout_ms);
		if (n < 0 && errno != EINTR)
			return;  // cannot happen with valid descriptors; the rule stays as it is
		if (n > 0 && pfd[1].revents)
			return;
		now = monotonic_us();
		if (n > 0 && pfd[0].revents && watch_.drain())
			check_.event(now);
		if (check_.fire(now))
			look(now);
	}
}

void OrderRuleKeeper::look(int64_t now_us)
{
	try {
		// A command holding the lock leaves the rule as it should be:
		// look again once it is done, rather than wait for it.
		StateLock lock(StateLock::Mode::exclusive, StateLock::NoWait{});
		if (!lock.held()) {
			check_.event(now_us);
			return;
		}
		bool restored = EliminateState().ensure_order_rule();
		failed_.clear();
		if (!restored)
			return;
		restored_.fetch_add(1, std::memory_order_relaxed);
		std::cerr << "dupgre-ctl hold: the order stage's NFQUEUE rule was gone, a firewall flush: put it back ("
			  << nfqueue_rule_where(order_rule).value_or("?") << ")\n";
	} catch (const std::exception &e) {
		// Every recheck would fail the same way: said once.
		if (failed_ != e.what())
			std::cerr << "dupgre-ctl hold: cannot put the order stage's rule back: " << e.what() << "\n";
		failed_ = e.what();
	}
}

}  // namespace dupgre
