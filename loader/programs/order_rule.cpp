// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "programs/order_rule.h"

#include <iostream>

#include "core/error.h"
#include "core/lock.h"
#include "programs/eliminate.h"

namespace dupgre {

OrderRuleKeeper::OrderRuleKeeper() = default;

bool OrderRuleKeeper::run(int64_t now_us, bool readable)
{
	if (readable && watch_.drain())
		check_.event(now_us);
	if (!check_.fire(now_us))
		return false;
	try {
		// Never wait for a command holding the lock: the holder has
		// packets to release. That command leaves the rule as it should
		// be; look again once it is done.
		StateLock lock(StateLock::Mode::exclusive, StateLock::NoWait{});
		if (!lock.held()) {
			check_.event(now_us);
			return false;
		}
		bool restored = EliminateState().ensure_order_rule();
		if (restored)
			std::cerr << "dupgre-ctl hold: the order stage's NFQUEUE rule was gone, a firewall flush: "
				     "put it back ("
				  << nfqueue_rule_where(order_rule).value_or("?") << ")\n";
		failed_.clear();
		return restored;
	} catch (const Error &e) {
		// Every recheck would fail the same way: said once.
		if (failed_ != e.what())
			std::cerr << "dupgre-ctl hold: cannot put the order stage's rule back: " << e.what() << "\n";
		failed_ = e.what();
		return false;
	}
}

}  // namespace dupgre
