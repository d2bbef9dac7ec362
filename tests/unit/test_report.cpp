// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <doctest/doctest.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "core/json.h"
#include "cli/report.h"

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

}  // namespace

TEST_CASE("every counter has a distinct name")
{
	std::set<std::string> names;
	for (unsigned i = 0; i < CLONE_COUNTER_MAX; i++)
		names.insert(clone_counter_name(i));
	CHECK(names.size() == CLONE_COUNTER_MAX);
	CHECK(names.count("unknown") == 0);
	names.clear();
	for (unsigned i = 0; i < RELAY_COUNTER_MAX; i++)
		names.insert(relay_counter_name(i));
	CHECK(names.size() == RELAY_COUNTER_MAX);
	CHECK(names.count("unknown") == 0);
}

TEST_CASE("Prometheus exposition matches the golden file")
{
	Report r;
	r.clone = {report("eth0", true, 100), report("we\"ird\\dev", false, 0)};
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
	Json j;
	Report r;
	r.clone = {report("eth0", true, 7)};
	stats_json(j, r);
	for (unsigned i = 0; i < CLONE_COUNTER_MAX; i++)
		CHECK(j.str().find(std::string("\"") + clone_counter_name(i) + "\":" + std::to_string(7 + i)) !=
		      std::string::npos);
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
