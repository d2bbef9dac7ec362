// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// The per-direction link description of linkemu ("SPEC"), its parser and
// its canonical text form.
//
// SPEC is a list of key=value items separated by commas and/or spaces:
//   loss=P          independent (Bernoulli) loss, P in [0,1] or "10%"; 1 = link down
//   ge=p:r[:good[:bad]]
//                   Gilbert-Elliott burst loss (two-state Markov chain):
//                   p = P(good -> bad), r = P(bad -> good) per packet,
//                   good = loss probability in the good state (default 0),
//                   bad = loss probability in the bad state (default 1).
//                   (netem's "loss gemodel p r 1-h 1-k" has the last two the
//                   other way round: bad, then good.)
//                   Mean loss = (r*good + p*bad) / (p + r); mean burst = 1/r.
//   delay=D         one-way propagation delay, D = <number>(ns|us|ms|s)
//   jitter=D        uniform in [-D, +D] added to delay; never reorders
//                   packets (a packet is never due before its predecessor)
//   rate=R          serialization rate, R = <number>(bit|kbit|mbit|gbit|bps|kbps|mbps|gbps)
//                   (tc units: 1 kbit = 1000 bit/s, bps = bytes/s); 0 = unlimited
//   limit=N         packets allowed to wait for the serializer (default 1000);
//                   more are dropped and counted as queue_drops
//   reorder=P       a packet skips delay and rate and is delivered at once
//   dup=P           a surviving packet is sent twice
// "none" or an empty SPEC is a perfect link.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace dupgre::tools {

struct GilbertElliott {
	double p = 0;          // P(good -> bad) per packet
	double r = 1;          // P(bad -> good) per packet
	double loss_good = 0;  // loss probability while good
	double loss_bad = 1;   // loss probability while bad

	bool operator==(const GilbertElliott &o) const
	{
		return p == o.p && r == o.r && loss_good == o.loss_good &&
		       loss_bad == o.loss_bad;
	}
};

struct LinkSpec {
	double loss = 0;                   // Bernoulli; unused when ge is set
	std::optional<GilbertElliott> ge;
	int64_t delay_ns = 0;
	int64_t jitter_ns = 0;
	uint64_t rate_bps = 0;             // bits per second, 0 = unlimited
	uint32_t limit = 1000;
	double reorder = 0;
	double dup = 0;

	bool operator==(const LinkSpec &o) const
	{
		return loss == o.loss && ge == o.ge && delay_ns == o.delay_ns &&
		       jitter_ns == o.jitter_ns && rate_bps == o.rate_bps &&
		       limit == o.limit && reorder == o.reorder && dup == o.dup;
	}
};

// what() is the whole user-facing message, e.g.
// "bad spec 'loss=2': loss must be in [0,1]".
class SpecError : public std::runtime_error {
public:
	using std::runtime_error::runtime_error;
};

LinkSpec parse_spec(std::string_view text);

// Canonical text: only the non-default keys, "none" for a perfect link.
// parse_spec(format_spec(s)) == s.
std::string format_spec(const LinkSpec &spec);

// Building blocks, exposed for tests. They throw std::invalid_argument with
// the reason only (the caller adds the item).
int64_t parse_duration_ns(std::string_view text);
uint64_t parse_rate_bps(std::string_view text);
double parse_probability(std::string_view text);
// The text parse_duration_ns reads back: "150ms", "30s".
std::string format_duration(int64_t ns);

} // namespace dupgre::tools
