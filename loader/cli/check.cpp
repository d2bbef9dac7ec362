// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// `dupgre-ctl check`: the site's checks (site/check/), printed as text or JSON.
#include <iostream>

#include "cli/commands.h"
#include "core/lock.h"
#include "observe/report.h"
#include "site/check/check.h"

namespace dupgre {

void cmd_check(const GlobalOptions &g, const CheckOptions &o)
{
	std::vector<CheckResult> results;
	{
		StateLock lock(StateLock::Mode::shared);
		results = run_checks(g.config, g.config_given);
	}
	// Sampled without the lock: hooks must not wait for the interval.
	if (o.live_seconds)
		check_live(results, o.live_seconds);
	bool ok = true;
	Json j = Json::array();
	for (const CheckResult &r : results) {
		ok &= r.ok;
		const char *level = !r.ok ? "fail" : r.warn ? "warn" : "ok";
		Json item = {{"ok", r.ok}, {"level", level}, {"check", r.what}};
		if (!r.fix.empty())
			item["fix"] = r.fix;
		j.push_back(std::move(item));
		if (!g.json)
			std::cout << (!r.ok ? "FAIL  " : r.warn ? "WARN  " : "OK    ") << r.what
				  << (r.fix.empty() ? "" : "\n      fix: " + r.fix) << "\n";
	}
	if (g.json)
		std::cout << j.dump(g.pretty ? 2 : -1) << "\n";
	if (!ok)
		throw CheckFailed();
}

}  // namespace dupgre
