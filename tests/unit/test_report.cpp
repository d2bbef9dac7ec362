// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <doctest/doctest.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "core/clock.h"
#include "observe/report.h"

using namespace dupgre;

namespace {

// UPDATE_GOLDEN=1 rewrites the file from the output; review the diff.
std::string golden(const char *name, const std::string &actual)
{
	if (getenv("UPDATE_GOLDEN"))
		std::ofstream(std::string(GOLDEN_DIR) + "/" + name) << actual;
	std::ifstream in(std::string(GOLDEN_DIR) + "/" + name);
	REQUIRE_MESSAGE(in.good(), "missing golden file " << name);
	std::stringstream s;
	s << in.rdbuf();
	return s.str();
}

CloneReport report(const char *dev, bool attached, __u64 base)
{
	CloneReport r;
	r.status.device = dev;
	r.status.info.attached = attached;
	r.status.device_present = attached;
	r.status.filter_present = attached;
	r.status.peers = 3;
	strcpy(r.status.info.target_name, "ppp1");
	for (unsigned i = 0; i < CLONE_COUNTER_MAX; i++)
		r.counters[i] = base + i;
	return r;
}

// A copy policy as the pinned map holds it.
copy_policy policy(CopyMode mode, uint64_t rate = 0, uint32_t max_size = 0)
{
	CopyPolicy p;
	p.mode = mode;
	p.rate = rate;
	p.max_size = max_size;
	return encode(p);
}

}  // namespace

TEST_CASE("every schema: one counter per enum value, distinct names, every family known and used")
{
	struct Case {
		const CounterSchema &schema;
		unsigned max;
	};
	for (const Case &c : {Case{clone_schema(), CLONE_COUNTER_MAX}, Case{relay_schema(), RELAY_COUNTER_MAX},
			      Case{dnat_schema(), DNAT_COUNTER_MAX}, Case{elim_schema(), ELIM_COUNTER_MAX},
			      Case{hold_schema(), HOLD_COUNTER_MAX}}) {
		CAPTURE(c.schema.program);
		REQUIRE(c.schema.size() == c.max);
		std::set<std::string> names, families, used;
		for (unsigned i = 0; i < c.max; i++) {
			CHECK(c.schema.counters[i].id == i);
			names.insert(c.schema.name(i));
			used.insert(c.schema.counters[i].family);
		}
		CHECK(names.size() == c.max);
		CHECK(names.count("unknown") == 0);
		for (const CounterFamily &f : c.schema.families) {
			CHECK(families.insert(f.name).second);
			// A family of several counters tells them apart by a label.
			size_t members = 0;
			for (const Counter &k : c.schema.counters)
				members += std::string(k.family) == f.name;
			CHECK(members >= 1);
			CHECK((members > 1) <= (*f.label != 0));
		}
		CHECK(families == used);
	}
}

TEST_CASE("text stats: a counter name longer than the column still gets a space")
{
	Report r;
	r.clone = {report("eth0", true, 5)};
	std::string out = stats_text(r);
	CHECK(out.find("  snat_errors       " + std::to_string(5 + CLONE_SNAT_ERRORS) + "\n") != std::string::npos);
	CHECK(out.find("  gre_lcp_echo      " + std::to_string(5 + CLONE_MATCH_GRE_LCP_ECHO) + "\n") != std::string::npos);
}

TEST_CASE("Prometheus exposition matches the golden file")
{
	Report r;
	r.clone = {report("eth0", true, 100), report("we\"ird\\dev", false, 0)};
	// No report ever came for the adaptive ones: "no reports" at any time.
	r.clone[0].copy = {{parse_endpoint("198.18.0.2", 1).addr, policy(CopyMode::budget, 125000, 200)},
			   {parse_endpoint("198.18.0.3", 1).addr, policy(CopyMode::adaptive)},
			   {parse_endpoint("2001:db8::3", 1).addr, policy(CopyMode::adaptive)}};
	RelayLink link;
	link.name = "ppp3";
	for (unsigned i = 0; i < RELAY_COUNTER_MAX; i++)
		link.counters[i] = 200 + i;
	r.relay = {link};
	DnatStatus dnat;
	dnat.device = "ppp4";
	dnat.counters = {300, 301, 302};
	r.dnat = {dnat};
	std::string out = stats_prometheus(r);
	CHECK(out == golden("stats.prom", out));
}

TEST_CASE("holder: the kernel's queue in stats and status, text, JSON and Prometheus; zeros while none is bound")
{
	Report r;
	r.hold = HoldReport{};
	r.hold->running = true;
	r.hold->info.pid = 4242;
	r.hold->counters[HOLD_RULE_RESTORED] = 3;
	r.hold->queue = NfqueueStats{};
	r.hold->queue->total = 5;
	r.hold->queue->dropped = 6;
	r.hold->queue->user_dropped = 7;
	std::string text = stats_text(r);
	CHECK(text.find("  rule_restored     3\n") != std::string::npos);
	CHECK(text.find("queue 13: 5 waiting, queue_dropped 6 (queue full), user_dropped 7") != std::string::npos);
	CHECK(status_text(r).find("holder: running, pid 4242; queue 13: 5 waiting") != std::string::npos);
	Json q = stats_json(r)["eliminate"]["hold"]["queue"];
	CHECK(q == Json{{"number", 13}, {"bound", true}, {"queue_total", 5}, {"queue_dropped", 6}, {"user_dropped", 7}});
	CHECK(status_json(r, "/x")["hold"]["queue"] == q);
	CHECK(stats_json(r)["eliminate"]["hold"]["counters"]["rule_restored"] == 3);
	std::string prom = stats_prometheus(r);
	CHECK(prom.find("\ndupgre_hold_rule_restores_total 3\n") != std::string::npos);
	CHECK(prom.find("\ndupgre_hold_queue_packets 5\n") != std::string::npos);
	CHECK(prom.find("\ndupgre_hold_queue_dropped_packets_total 6\n") != std::string::npos);
	CHECK(prom.find("\ndupgre_hold_queue_user_dropped_packets_total 7\n") != std::string::npos);

	r.hold->running = false;
	r.hold->queue.reset();
	CHECK(status_text(r).find("holder: not running: packets after a gap pass unordered (start it: systemctl start "
				  "dupgre-hold, or dupgre-ctl hold); queue 13: no holder bound") != std::string::npos);
	CHECK(stats_json(r)["eliminate"]["hold"]["queue"]["bound"] == false);
	CHECK(stats_json(r)["eliminate"]["hold"]["queue"]["queue_dropped"] == 0);
	CHECK(stats_prometheus(r).find("\ndupgre_hold_queue_dropped_packets_total 0\n") != std::string::npos);
}

TEST_CASE("Prometheus: HELP and TYPE once per metric, _total only on counters")
{
	Report r;
	r.clone = {report("eth0", true, 1), report("eth1", true, 2)};
	r.relay.resize(1);
	r.dnat.resize(1);
	std::istringstream in(stats_prometheus(r));
	std::set<std::string> helped, typed;
	for (std::string line; std::getline(in, line);) {
		std::istringstream words(line);
		std::string hash, kind, name, type;
		words >> hash >> kind >> name >> type;
		if (hash != "#")
			continue;
		if (kind == "HELP")
			CHECK(helped.insert(name).second);
		if (kind == "TYPE") {
			CHECK(typed.insert(name).second);
			bool total = name.size() > 6 && name.compare(name.size() - 6, 6, "_total") == 0;
			CHECK((type == "counter") == total);
			CHECK(name.rfind("dupgre_", 0) == 0);
		}
	}
	CHECK(helped == typed);
}

TEST_CASE("JSON stats name every counter")
{
	Report r;
	r.clone = {report("eth0", true, 7)};
	Json j = stats_json(r);
	for (unsigned i = 0; i < CLONE_COUNTER_MAX; i++)
		CHECK(j["clone"][0]["counters"][clone_schema().name(i)] == 7 + i);
}

TEST_CASE("Prometheus label values are the JSON counter names")
{
	Report r;
	r.clone = {report("eth0", true, 1)};
	std::string out = stats_prometheus(r);
	for (const Counter &c : clone_schema().counters) {
		CAPTURE(c.name);
		bool labelled = out.find(std::string("=\"") + c.name + "\"}") != std::string::npos;
		bool own_metric = out.find(std::string("dupgre_clone_") + c.family + "_total{device=\"eth0\"} ") !=
				  std::string::npos;
		CHECK((labelled || own_metric));
	}
}

TEST_CASE("state names")
{
	CloneStatus st;
	CHECK(st.state() == "detached");
	st.info.attached = 1;
	CHECK(st.state() == "stale");
	st.device_present = st.filter_present = true;
	CHECK(st.state() == "attached");
}

TEST_CASE("Prometheus: an idle site still answers, with the build and nothing attached")
{
	Report idle;
	std::string prom = stats_prometheus(idle);
	CHECK(prom.find("\ndupgre_build_info{version=\"" DUPGRE_VERSION "\"} 1\n") != std::string::npos);
	for (const char *program : {"clone", "relay", "dnat", "eliminate"})
		CHECK(prom.find(std::string("\ndupgre_program_attached{program=\"") + program + "\"} 0\n") !=
		      std::string::npos);
}

TEST_CASE("Prometheus: each peer's copy policy as a state set, 1 for what it does now")
{
	Report r;
	r.clone = {report("wan0", true, 0)};
	const int64_t now = monotonic_ns();
	copy_policy quiet = policy(CopyMode::adaptive), copying = quiet;
	quiet.report_ns = static_cast<__u64>(now);
	copying.report_ns = static_cast<__u64>(now);
	copying.copy_until_ns = static_cast<__u64>(now + 60'000'000'000);
	r.clone[0].copy = {{parse_endpoint("198.18.0.2", 1).addr, quiet},
			   {parse_endpoint("198.18.0.3", 1).addr, copying},
			   {parse_endpoint("198.18.0.4", 1).addr, policy(CopyMode::adaptive)},
			   {parse_endpoint("198.18.0.5", 1).addr, policy(CopyMode::budget, 1000)}};
	std::string prom = stats_prometheus(r);
	auto value = [&](const char *peer, const char *policy, const char *state) {
		std::string series = std::string("\ndupgre_clone_copy_policy_state{device=\"wan0\",peer=\"") + peer +
				     "\",policy=\"" + policy + "\",state=\"" + state + "\"} ";
		size_t at = prom.find(series);
		return at == std::string::npos ? std::string("missing") : prom.substr(at + series.size(), 1);
	};
	CHECK(value("198.18.0.2", "adaptive", "sampling") == "1");
	CHECK(value("198.18.0.2", "adaptive", "quiet") == "0");
	CHECK(value("198.18.0.2", "adaptive", "copying") == "0");
	CHECK(value("198.18.0.2", "adaptive", "no_reports") == "0");
	CHECK(value("198.18.0.3", "adaptive", "copying") == "1");
	CHECK(value("198.18.0.3", "adaptive", "sampling") == "0");
	CHECK(value("198.18.0.4", "adaptive", "no_reports") == "1");
	CHECK(value("198.18.0.4", "adaptive", "copying") == "0");
	CHECK(value("198.18.0.5", "budget", "budget") == "1");
	// One series per state of the peer's policy: 4 + 4 + 4 + 1.
	size_t series = 0;
	for (size_t at = 0; (at = prom.find("\ndupgre_clone_copy_policy_state{", at)) != std::string::npos; at++)
		series++;
	CHECK(series == 13);
	// Without policies: the family is there, no sample.
	r.clone[0].copy.clear();
	prom = stats_prometheus(r);
	CHECK(prom.find("# TYPE dupgre_clone_copy_policy_state gauge\n") != std::string::npos);
	CHECK(prom.find("\ndupgre_clone_copy_policy_state{") == std::string::npos);
}
