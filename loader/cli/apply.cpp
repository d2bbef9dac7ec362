// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// `dupgre-ctl apply`: the command line of the site reconciler
// (site/reconcile.h): the plan, printed or carried out.
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "core/error.h"
#include "core/lock.h"
#include "site/reconcile.h"

namespace dupgre {

void cmd_apply(const GlobalOptions &g, const ApplyOptions &o)
{
	Config cfg = load_config(g.config);
	ApplyEvent ev;
	for (const std::string &dev : o.down) {
		validate_ifname(dev);
		ev.down.insert(dev);
	}
	StateLock lock(StateLock::Mode::exclusive);
	std::vector<StepResult> results = apply_site(cfg, ev, o.dry_run);
	nlohmann::json steps = nlohmann::json::array();
	int failed = 0;
	for (const StepResult &r : results) {
		const PlanStep &s = r.step;
		failed += !r.error.empty();
		nlohmann::json j = {{"action", s.action}, {"device", s.dev}, {"detail", s.detail},
				    {"result", o.dry_run ? "planned" : r.error.empty() ? "done" : "failed"}};
		if (!r.error.empty())
			j["error"] = r.error;
		if (!g.json)
			std::cout << (o.dry_run ? "plan: " : r.error.empty() ? "done: " : "FAIL: ") << s.text()
				  << (r.error.empty() ? "" : ": " + r.error) << "\n";
		steps.push_back(std::move(j));
	}
	if (g.json)
		std::cout << nlohmann::json{{"dry_run", o.dry_run}, {"steps", steps}, {"failed", failed}}.dump(g.pretty ? 2 : -1)
			  << "\n";
	else if (results.empty())
		std::cout << "nothing to do: the site matches " << g.config << "\n";
	if (failed)
		throw CheckFailed();  // said above, step by step
}

}  // namespace dupgre
