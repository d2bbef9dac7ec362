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
