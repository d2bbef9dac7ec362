// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// Random loss decisions of one link direction: independent (Bernoulli) or
// Gilbert-Elliott bursts. See link_spec.hpp for the parameters.
#pragma once

#include <cstdint>
#include <random>

#include "link_spec.hpp"

namespace dupgre::tools {

// Uniform double in [0,1) from the top 53 bits of one draw. Unlike
// std::uniform_real_distribution, whose algorithm the standard leaves open,
// this gives the same sequence with every compiler and library.
inline double unit_draw(std::mt19937_64 &rng)
{
	return double(rng() >> 11) * 0x1.0p-53;
}

// One independent random stream per (seed, direction, purpose, phase).
// Separate streams keep e.g. the loss pattern identical whatever delay or
// jitter is configured; std::seed_seq is fully specified, so this is
// portable too. `phase` numbers the phases of a schedule (schedule.hpp): a
// fresh stream per phase makes a phase's decisions independent of how many
// packets the phases before it saw. Phase 0 is the stream linkemu always
// had, so runs without a schedule keep their loss patterns.
std::mt19937_64 make_stream(uint64_t seed, unsigned direction, unsigned purpose,
			    uint64_t phase = 0);

class LossModel {
public:
	LossModel() = default;
	explicit LossModel(const LinkSpec &spec);

	// Decides one packet. Bernoulli uses one draw per packet, Gilbert-Elliott
	// always two (loss in the current state, then the state transition), so
	// the stream position depends only on the number of packets.
	bool lose(std::mt19937_64 &rng);

	bool bad_state() const { return bad_; }

private:
	bool bursty_ = false;
	double loss_ = 0;
	GilbertElliott ge_;
	bool bad_ = false; // the chain starts in the good state
};

} // namespace dupgre::tools
