// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// The derived figures (rates, effective loss, copy-gap percentiles), the
// OpenMetrics form and content negotiation of serve, top's screen, and the
// textfile writer.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <sstream>

#include "observe/rates.h"
#include "observe/serve.h"
#include "observe/textfile.h"
#include "cli/top.h"
#include "core/clock.h"
#include "core/error.h"

using namespace dupgre;

namespace {

ElimPath path(const char *name, __u64 passed, __u64 rescued)
{
	ElimPath p;
	p.name = name;
	p.counters[ELIM_PASSED] = passed;
	p.counters[ELIM_RESCUED] = rescued;
	return p;
}

Snapshot snap(double t, __u64 passed, __u64 lost, __u64 rescued_b)
{
	Snapshot s;
	s.time = t;
	s.report.eliminate = {path("wan0", passed, 0), path("bvpn", 0, rescued_b)};
	s.report.elim_totals[ELIM_PASSED] = passed;
	s.report.elim_totals[ELIM_LOST] = lost;
	CloneReport c;
	c.status.device = "wan0";
	c.counters[CLONE_CLONED] = passed * 2;
	s.report.clone = {c};
	return s;
}

}  // namespace

TEST_CASE("counter_delta: an increase, or from zero after a reset")
{
	CHECK(counter_delta(10, 25) == 15);
	CHECK(counter_delta(25, 25) == 0);
	CHECK(counter_delta(1000, 7) == 7);
}

TEST_CASE("gap_quantile interpolates inside log2 buckets as histogram_quantile does")
{
	GapBuckets b{};
	CHECK_FALSE(gap_quantile(b, 0.5));
	// Everything in [8192, 16384) us: the median halfway, p90 at 90 %.
	b[14] = 100;
	CHECK(*gap_quantile(b, 0.5) == doctest::Approx(0.012288));
	CHECK(*gap_quantile(b, 0.9) == doctest::Approx(0.008192 + 0.9 * 0.008192));
	CHECK(*gap_quantile(b, 0) == doctest::Approx(0.008192));
	// Two buckets: 10 in [1, 2) us, 30 in [2, 4) us. Rank 20 is the 10th
	// of 30 in the second bucket.
	GapBuckets two{};
	two[1] = 10;
	two[2] = 30;
	CHECK(*gap_quantile(two, 0.5) == doctest::Approx((2 + 2 * 10.0 / 30) / 1e6));
	CHECK(*gap_quantile(two, 0.25) == doctest::Approx(2e-6));
	// Bucket 0 starts at zero.
	GapBuckets zero{};
	zero[0] = 4;
	CHECK(*gap_quantile(zero, 0.5) == doctest::Approx(0.5e-6));
	// In the open bucket the answer is its lower bound, 2^22 us.
	GapBuckets open{};
	open[ELIM_GAP_BUCKETS - 1] = 5;
	CHECK(*gap_quantile(open, 0.99) == doctest::Approx(4.194304));
}

TEST_CASE("derive: rates, rescued per second, effective loss, per-path percentiles")
{
	Snapshot a = snap(100, 1000, 10, 50), b = snap(110, 1990, 20, 80);
	b.report.eliminate[1].gaps[13] = 40;  // path B's copies 4-8 ms behind
	Figures f = derive(a, b);
	CHECK(f.interval == doctest::Approx(10));
	REQUIRE(f.paths.size() == 2);
	CHECK(f.paths[1].device == "bvpn");
	CHECK(f.paths[1].rates[ELIM_RESCUED] == doctest::Approx(3.0));
	CHECK(f.paths[0].rates[ELIM_PASSED] == doctest::Approx(99.0));
	CHECK(f.passed == 990);
	CHECK(f.lost == 10);
	REQUIRE(f.effective_loss);
	CHECK(*f.effective_loss == doctest::Approx(10.0 / 1000));
	CHECK_FALSE(f.paths[0].p50);
	REQUIRE(f.paths[1].p50);
	CHECK(*f.paths[1].p50 == doctest::Approx(0.006144));
	REQUIRE(f.clone.size() == 1);
	CHECK(f.clone[0][CLONE_CLONED] == doctest::Approx(198.0));
}

TEST_CASE("derive: no traffic, no loss figure; a device in one snapshot only has no rates")
{
	Snapshot a = snap(0, 5, 0, 0), b = snap(1, 5, 0, 0);
	CHECK_FALSE(derive(a, b).effective_loss);
	b.report.eliminate.push_back(path("ppp9", 7, 7));
	b.report.clone.clear();
	Figures f = derive(a, b);
	CHECK(f.paths.size() == 2);
	CHECK(f.clone.empty());
	// Counters recreated (a path deleted and added again): no negative rate.
	Snapshot c = snap(2, 3, 0, 0);
	CHECK(derive(b, c).paths[0].rates[ELIM_PASSED] == doctest::Approx(3.0));
}

TEST_CASE("SlidingWindow: figures over at least the window, from the second snapshot on")
{
	SlidingWindow w(60);
	CHECK_FALSE(w.figures());
	for (int t = 0; t <= 100; t++) {
		w.add(snap(t, static_cast<__u64>(t) * 10, 0, 0));
		if (t == 1)
			CHECK(w.figures()->interval == doctest::Approx(1));
	}
	CHECK(w.figures()->interval == doctest::Approx(60));
	CHECK(w.size() == 61);
	CHECK(w.figures()->paths[0].rates[ELIM_PASSED] == doctest::Approx(10));
}

TEST_CASE("figures_prometheus: gauges, HELP and TYPE once, no reserved label")
{
	Snapshot a = snap(0, 0, 0, 0), b = snap(60, 990, 10, 30);
	b.report.eliminate[1].gaps[10] = 9;
	std::string text = figures_prometheus(derive(a, b));
	CHECK(text.find("dupgre_eliminate_rescued_packets_per_second{device=\"bvpn\"} 0.5\n") != std::string::npos);
	CHECK(text.find("dupgre_eliminate_effective_loss_ratio 0.01\n") != std::string::npos);
	CHECK(text.find("dupgre_derived_window_seconds 60\n") != std::string::npos);
	CHECK(text.find("dupgre_eliminate_copy_gap_percentile_seconds{device=\"bvpn\",percentile=\"99\"}") !=
	      std::string::npos);
	CHECK(text.find("percentile_seconds{device=\"wan0\"") == std::string::npos);
	CHECK(text.find("quantile=") == std::string::npos);
	CHECK(text.find(",le=") == std::string::npos);
	CHECK(text.find("{le=") == std::string::npos);
	CHECK(text.find("_total") == std::string::npos);
}

TEST_CASE("serve: OpenMetrics only when Accept asks for it at least as much as for text")
{
	// What Prometheus 2.x sends.
	CHECK(wants_openmetrics("application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
				"version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"));
	CHECK(wants_openmetrics("application/openmetrics-text"));
	CHECK_FALSE(wants_openmetrics(""));
	CHECK_FALSE(wants_openmetrics("*/*"));
	CHECK_FALSE(wants_openmetrics("text/plain;version=0.0.4"));
	CHECK_FALSE(wants_openmetrics("application/openmetrics-text;q=0"));
	CHECK_FALSE(wants_openmetrics("text/plain, application/openmetrics-text;q=0.5"));
	CHECK_FALSE(wants_openmetrics("application/openmetrics-text;version=2.0.0"));
}

TEST_CASE("serve: the OpenMetrics form names counter families without _total and ends with # EOF")
{
	std::string text = "# HELP dupgre_x_packets_total Packets \"quoted\".\n"
			   "# TYPE dupgre_x_packets_total counter\n"
			   "dupgre_x_packets_total{device=\"a\"} 3\n"
			   "# HELP dupgre_y_ratio A gauge_total.\n"
			   "# TYPE dupgre_y_ratio gauge\n"
			   "dupgre_y_ratio 0.5\n";
	std::string om = to_openmetrics(text);
	CHECK(om == "# HELP dupgre_x_packets Packets \\\"quoted\\\".\n"
		    "# TYPE dupgre_x_packets counter\n"
		    "dupgre_x_packets_total{device=\"a\"} 3\n"
		    "# HELP dupgre_y_ratio A gauge_total.\n"
		    "# TYPE dupgre_y_ratio gauge\n"
		    "dupgre_y_ratio 0.5\n"
		    "# EOF\n");
	// Every family of the real exposition.
	Report r;
	r.clone.resize(1);
	r.eliminate = {path("wan0", 1, 1)};
	std::string all = to_openmetrics(stats_prometheus(r));
	CHECK(all.find("# TYPE dupgre_clone_cloned_packets counter\n") != std::string::npos);
	CHECK(all.find("# TYPE dupgre_eliminate_copy_gap_seconds histogram\n") != std::string::npos);
	CHECK(all.find("_total counter") == std::string::npos);
	CHECK(all.size() - all.rfind("# EOF\n") == 6);
}

TEST_CASE("serve: listen addresses")
{
	CHECK(parse_listen("127.0.0.1:9473").addr.ss_family == AF_INET);
	CHECK(parse_listen("[::1]:9473").addr.ss_family == AF_INET6);
	CHECK_THROWS_AS(parse_listen("127.0.0.1"), Error);
	CHECK_THROWS_AS(parse_listen("127.0.0.1:0"), Error);
	CHECK_THROWS_AS(parse_listen("127.0.0.1:70000"), Error);
	CHECK_THROWS_AS(parse_listen("localhost:9473"), Error);
	CHECK_THROWS_AS(parse_listen("::1:9473"), Error);
	CHECK_THROWS_AS(parse_listen("1.2.3.4:-1"), Error);
}

TEST_CASE("top: the screen fits 80x24 and has every section")
{
	Snapshot a = snap(0, 0, 0, 0), b = snap(1, 400, 4, 40);
	RelayLink l;
	l.name = "dual0";
	b.report.relay = {l};
	a.report.relay = {l};
	for (unsigned g = 8; g < 20; g++)
		b.report.eliminate[1].gaps[g] = g;
	Figures f = derive(a, b);
	auto lines = top_screen(b.report, &f, &f, 80, 24);
	CHECK(lines.size() <= 24);
	std::string all;
	for (const std::string &line : lines) {
		CHECK(line.size() <= 80);
		all += line + "\n";
	}
	CHECK(all.find("CLONE") != std::string::npos);
	CHECK(all.find("RELAY") != std::string::npos);
	CHECK(all.find("ELIMINATE") != std::string::npos);
	CHECK(all.find("ORDER") != std::string::npos);
	CHECK(all.find("COPY GAP") != std::string::npos);
	CHECK(all.find("effective loss 0.99 %") != std::string::npos);
	CHECK(all.find("  wan0            800.0") == std::string::npos);  // seen is 0, cloned 800
	CHECK(all.find("     800.0") != std::string::npos);
	CHECK(all.find("|#") != std::string::npos);
	// Before the second sample: the rows, no numbers.
	auto start = top_screen(b.report, nullptr, nullptr, 80, 24);
	CHECK(start.size() >= 5);
	// A small terminal still gets at most its size.
	for (const std::string &line : top_screen(b.report, &f, &f, 40, 10))
		CHECK(line.size() <= 40);
	CHECK(top_screen(b.report, &f, &f, 40, 10).size() <= 10);
}

TEST_CASE("top: each peer's copy policy and state, withheld and adaptive copies per second")
{
	Snapshot a = snap(0, 0, 0, 0), b = snap(1, 400, 4, 40);
	b.report.clone[0].counters[CLONE_QUIET] = 300;
	b.report.clone[0].counters[CLONE_COPY_SAMPLE] = 20;
	b.report.clone[0].counters[CLONE_MATCHED_BYTES] = 80000;
	b.report.clone[0].counters[CLONE_CLONED_BYTES] = 5000;
	Figures f = derive(a, b);
	auto screen = [&](const Report &r) {
		std::string all;
		for (const std::string &line : top_screen(r, &f, &f, 80, 24))
			all += line + "\n";
		return all;
	};
	CHECK(screen(b.report).find("COPY POLICY") == std::string::npos);  // no policy: no section

	const int64_t now = monotonic_ns();
	CopyPolicy adaptive;
	adaptive.mode = CopyMode::adaptive;
	CopyPolicy budget;
	budget.mode = CopyMode::budget;
	budget.rate = 125000;
	budget.max_size = 200;
	copy_policy quiet = encode(adaptive), copying = quiet;
	quiet.report_ns = copying.report_ns = static_cast<__u64>(now);
	copying.copy_until_ns = static_cast<__u64>(now + 8'500'000'000);
	auto addr = [](const char *text) { return parse_endpoint(text, 1).addr; };
	b.report.clone[0].copy = {{addr("198.18.0.2"), encode(budget)},
				  {addr("198.18.0.3"), copying},
				  {addr("198.18.0.4"), quiet},
				  {addr("198.18.0.5"), encode(adaptive)}};
	std::string all = screen(b.report);
	CHECK(all.find("COPY POLICY     too_large over_bud.     quiet      loss    sample no_report\n") !=
	      std::string::npos);
	CHECK(all.find("  wan0               0.0       0.0     300.0       0.0      20.0       0.0\n") !=
	      std::string::npos);
	CHECK(all.find("    path B carries 6.2 % of path A's bytes\n") != std::string::npos);
	CHECK(all.find("    198.18.0.2      budget 125000 B/s max 200 B\n") != std::string::npos);
	CHECK(all.find("    198.18.0.3      adaptive, copying 9 s more\n") != std::string::npos);
	CHECK(all.find("    198.18.0.4      adaptive, sampling (1 in 16)\n") != std::string::npos);
	CHECK(all.find("    198.18.0.5      adaptive, no reports (every packet)\n") != std::string::npos);
	CHECK(all.find(" more:") == std::string::npos);

	// More peers than rows for them: the rest counted by state.
	for (int i = 0; i < 5; i++)
		b.report.clone[0].copy.push_back({addr(("198.18.1." + std::to_string(i + 1)).c_str()), i < 3 ? quiet : copying});
	all = screen(b.report);
	CHECK(all.find("    ... 5 more: 3 sampling, 2 copying\n") != std::string::npos);
	CHECK(all.find("198.18.1.1") == std::string::npos);
	for (const std::string &line : top_screen(b.report, &f, &f, 80, 24))
		CHECK(line.size() <= 80);
}

TEST_CASE("top: gap bucket labels")
{
	CHECK(gap_bucket_label(0) == "<1us");
	CHECK(gap_bucket_label(1) == "1-2us");
	CHECK(gap_bucket_label(10) == "0.512-1.024ms");
	CHECK(gap_bucket_label(14) == "8.192-16.384ms");
	CHECK(gap_bucket_label(ELIM_GAP_BUCKETS - 1) == ">=4.19s");
}

TEST_CASE("textfile: written whole, nothing left behind, one clear error")
{
	char tmpl[] = "/tmp/dupgre-unit-textfile.XXXXXX";
	REQUIRE(mkdtemp(tmpl));
	std::string dir = tmpl;
	write_textfile(dir, "old\n");
	write_textfile(dir, "# TYPE x counter\nx_total 1\n");
	std::ifstream in(dir + "/dupgre.prom");
	std::stringstream s;
	s << in.rdbuf();
	CHECK(s.str() == "# TYPE x counter\nx_total 1\n");
	struct stat st {};
	REQUIRE(stat((dir + "/dupgre.prom").c_str(), &st) == 0);
	CHECK((st.st_mode & 0777) == 0644);
	unsigned entries = 0;
	DIR *d = opendir(dir.c_str());
	while (dirent *e = readdir(d))
		entries += e->d_name[0] != '.' || strncmp(e->d_name, ".dupgre", 7) == 0;
	closedir(d);
	CHECK(entries == 1);
	try {
		write_textfile(dir + "/missing", "x");
		FAIL("no error");
	} catch (const Error &e) {
		CHECK(std::string(e.what()) ==
		      "cannot write the textfile in '" + dir + "/missing': No such file or directory");
	}
	CHECK_THROWS_WITH_AS(write_textfile(dir + "/dupgre.prom", "x"),
			     ("cannot write the textfile in '" + dir + "/dupgre.prom': Not a directory").c_str(), Error);
	unlink((dir + "/dupgre.prom").c_str());
	rmdir(tmpl);
}
