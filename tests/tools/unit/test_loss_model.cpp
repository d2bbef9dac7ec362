// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// Loss models: measured rates against their binomial (or Markov) bounds,
// burst lengths, and exact repeatability by seed.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "loss_model.hpp"

using namespace dupgre::tools;

namespace {

constexpr int kDraws = 100'000;
// 3.89 standard deviations: a correct model fails with probability 1e-4.
// (The seeds are fixed, so each check is deterministic anyway.)
constexpr double kZ = 3.89;

std::vector<bool> draw(const char *spec, uint64_t seed, int n = kDraws)
{
	LossModel model(parse_spec(spec));
	std::mt19937_64 rng = make_stream(seed, 0, 0);
	std::vector<bool> lost(static_cast<size_t>(n));
	for (int i = 0; i < n; i++)
		lost[size_t(i)] = model.lose(rng);
	return lost;
}

long count(const std::vector<bool> &v)
{
	long k = 0;
	for (bool b : v)
		k += b;
	return k;
}

// |k - n p| within z standard deviations of a binomial count, scaled by
// `inflation` for correlated draws.
void check_count(long k, double p, double inflation = 1)
{
	double mean = kDraws * p;
	double sd = std::sqrt(kDraws * p * (1 - p) * inflation);
	CAPTURE(k);
	CAPTURE(mean);
	CHECK(std::fabs(double(k) - mean) <= kZ * sd);
}

} // namespace

TEST_CASE("unit_draw is in [0,1)")
{
	std::mt19937_64 rng(7);
	for (int i = 0; i < 10000; i++) {
		double u = unit_draw(rng);
		REQUIRE(u >= 0);
		REQUIRE(u < 1);
	}
}

TEST_CASE("Bernoulli loss rate within binomial bounds, for several seeds")
{
	for (uint64_t seed : {1, 2, 42, 12345}) {
		CAPTURE(seed);
		check_count(count(draw("loss=0.1", seed)), 0.1);
		check_count(count(draw("loss=0.01", seed)), 0.01);
		check_count(count(draw("loss=0.5", seed)), 0.5);
	}
}

TEST_CASE("Bernoulli extremes: 0 never loses, 1 always does (link down)")
{
	CHECK(count(draw("loss=0", 1)) == 0);
	CHECK(count(draw("loss=1", 1)) == kDraws);
	CHECK(count(draw("none", 1)) == 0);
}

TEST_CASE("Bernoulli losses are not bursty")
{
	// P(loss | previous lost) must be p too.
	std::vector<bool> lost = draw("loss=0.2", 3);
	long after_loss = 0, lost_after_loss = 0;
	for (size_t i = 1; i < lost.size(); i++) {
		if (lost[i - 1]) {
			after_loss++;
			lost_after_loss += lost[i];
		}
	}
	double p = double(lost_after_loss) / double(after_loss);
	CHECK(p == doctest::Approx(0.2).epsilon(0.05));
}

TEST_CASE("Gilbert-Elliott: stationary loss rate and mean burst length")
{
	// p = 0.01, r = 0.1: bad a share p/(p+r) = 1/11 of the time, bad runs
	// of 1/r = 10 packets on average, all lost (bad=1), none lost in good.
	const double p = 0.01, r = 0.1;
	for (uint64_t seed : {1, 9, 77}) {
		CAPTURE(seed);
		std::vector<bool> lost = draw("ge=0.01:0.1", seed);
		// Consecutive packets are correlated (lambda = 1-p-r), which
		// inflates the variance of the count by (1+lambda)/(1-lambda).
		double lambda = 1 - p - r;
		check_count(count(lost), p / (p + r), (1 + lambda) / (1 - lambda));

		long bursts = 0;
		for (size_t i = 0; i < lost.size(); i++)
			bursts += lost[i] && (i == 0 || !lost[i - 1]);
		double mean_burst = double(count(lost)) / double(bursts);
		// Burst lengths are geometric: sd sqrt(1-r)/r per burst.
		double se = std::sqrt(1 - r) / r / std::sqrt(double(bursts));
		CAPTURE(mean_burst);
		CHECK(std::fabs(mean_burst - 1 / r) <= kZ * se);
	}
}

TEST_CASE("Gilbert-Elliott with partial loss in both states")
{
	// Mean loss = (r*good + p*bad)/(p+r) = (0.3*0.01 + 0.05*0.5)/0.35 = 0.08
	const double p = 0.05, r = 0.3, bad = 0.5, good = 0.01;
	double mean = (r * good + p * bad) / (p + r);
	long k = count(draw("ge=0.05:0.3:0.01:0.5", 5));
	// A loose bound: the state chain inflates the variance by at most
	// (1+lambda)/(1-lambda) on top of the per-state coin flips.
	double lambda = 1 - p - r;
	check_count(k, mean, (1 + lambda) / (1 - lambda));
}

TEST_CASE("the same seed repeats exactly; another seed does not")
{
	CHECK(draw("loss=0.1", 42) == draw("loss=0.1", 42));
	CHECK(draw("ge=0.02:0.3", 42) == draw("ge=0.02:0.3", 42));
	CHECK(draw("loss=0.1", 42) != draw("loss=0.1", 43));
}

TEST_CASE("streams differ by direction and purpose")
{
	CHECK(make_stream(1, 0, 0)() != make_stream(1, 1, 0)());
	CHECK(make_stream(1, 0, 0)() != make_stream(1, 0, 1)());
	CHECK(make_stream(1, 0, 0)() == make_stream(1, 0, 0)());
}

namespace {

// One long run of a Gilbert-Elliott chain: per packet, the state it found
// the chain in and whether it was lost.
struct GeRun {
	std::vector<bool> bad, lost;
};

GeRun run_ge(const char *spec, uint64_t seed, int n)
{
	LossModel model(parse_spec(spec));
	std::mt19937_64 rng = make_stream(seed, 0, 0);
	GeRun run;
	for (int i = 0; i < n; i++) {
		run.bad.push_back(model.bad_state());
		run.lost.push_back(model.lose(rng));
	}
	return run;
}

// Mean length of the runs of `true`.
double mean_run(const std::vector<bool> &v, long *runs_out = nullptr)
{
	long runs = 0, total = 0;
	for (size_t i = 0; i < v.size(); i++) {
		total += v[i];
		runs += v[i] && (i == 0 || !v[i - 1]);
	}
	if (runs_out)
		*runs_out = runs;
	return runs ? double(total) / double(runs) : 0;
}

} // namespace

TEST_CASE("Gilbert-Elliott over 200k packets: loss and bad runs match the formulas")
{
	// Tolerance: 3.89 standard deviations of each estimate (two-sided 1e-4
	// for a correct model), the standard deviation being the chain's:
	//  * the loss count's variance is n m(1-m) plus the covariance the
	//    state brings, 2 n (h-k)^2 pi_g pi_b lambda/(1-lambda), with
	//    lambda = 1-p-r the chain's correlation from one packet to the next;
	//  * bad runs are geometric, sd sqrt(1-r)/r each.
	// The seeds are fixed, so the figures below are the same on every run.
	constexpr int n = 200'000;
	struct Case {
		const char *spec;
		double p, r, k, h; // k: loss when good, h: when bad
	} cases[] = {
		{"ge=0.01:0.1", 0.01, 0.1, 0, 1},              // Gilbert: 1/11 lost, runs of 10
		{"ge=0.002:0.25", 0.002, 0.25, 0, 1},          // rare short outages
		{"ge=0.05:0.3:0.01:0.5", 0.05, 0.3, 0.01, 0.5}, // Elliott: loss in both states
	};
	for (const Case &c : cases) {
		for (uint64_t seed : {1, 2, 3}) {
			CAPTURE(c.spec);
			CAPTURE(seed);
			GeRun run = run_ge(c.spec, seed, n);
			double pi_b = c.p / (c.p + c.r), pi_g = 1 - pi_b;
			double m = c.k * pi_g + c.h * pi_b; // = k r/(p+r) + h p/(p+r)
			double lambda = 1 - c.p - c.r;
			double var = n * (m * (1 - m) + 2 * (c.h - c.k) * (c.h - c.k) * pi_g *
								 pi_b * lambda / (1 - lambda));
			double loss = double(count(run.lost)) / n;
			double loss_tol = kZ * std::sqrt(var) / n;

			long runs = 0;
			double burst = mean_run(run.bad, &runs);
			double burst_tol = kZ * std::sqrt(1 - c.r) / c.r / std::sqrt(double(runs));

			MESSAGE(std::string(c.spec) << " seed " << seed << ": loss " << loss << " (formula " << m
				<< " +- " << loss_tol << "), mean bad run " << burst << " (1/r = "
				<< 1 / c.r << " +- " << burst_tol << ", " << runs << " runs)");
			CHECK(std::fabs(loss - m) <= loss_tol);
			CHECK(std::fabs(burst - 1 / c.r) <= burst_tol);
			// The share of packets that found the chain bad: p/(p+r).
			double bad_share = double(count(run.bad)) / n;
			CHECK(std::fabs(bad_share - pi_b) <=
			      kZ * std::sqrt(n * pi_b * pi_g * (1 + lambda) / (1 - lambda)) / n);
		}
	}
}

TEST_CASE("Gilbert-Elliott with p=0 stays good and never loses (good loses 0)")
{
	GeRun run = run_ge("ge=0:0.5", 1, 200'000);
	CHECK(count(run.bad) == 0);
	CHECK(count(run.lost) == 0);
	// Good's own loss still applies: the chain is then plain Bernoulli.
	check_count(count(draw("ge=0:0.5:0.2:1", 4)), 0.2);
}

TEST_CASE("Gilbert-Elliott with bad=1, good=0: the losses are exactly the bad runs")
{
	GeRun run = run_ge("ge=0.02:0.2:0:1", 6, 200'000);
	CHECK(run.lost == run.bad);
	// Bursty: after a loss the next is lost with 1-r = 0.8, not m = 1/11.
	long after = 0, again = 0;
	for (size_t i = 1; i < run.lost.size(); i++) {
		if (run.lost[i - 1]) {
			after++;
			again += run.lost[i];
		}
	}
	CHECK(double(again) / double(after) == doctest::Approx(0.8).epsilon(0.03));
	// r = 1 leaves the bad state after one packet: no two losses in a row.
	GeRun single = run_ge("ge=0.1:1", 6, 200'000);
	CHECK(count(single.lost) > 0);
	CHECK(mean_run(single.lost) == 1.0);
}
