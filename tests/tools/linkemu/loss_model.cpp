// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "loss_model.hpp"

namespace dupgre::tools {

std::mt19937_64 make_stream(uint64_t seed, unsigned direction, unsigned purpose,
			    uint64_t phase)
{
	if (phase == 0) {
		std::seed_seq seq{uint32_t(seed), uint32_t(seed >> 32), uint32_t(direction),
				  uint32_t(purpose)};
		return std::mt19937_64(seq);
	}
	// Six words: never the same seed sequence as phase 0's four.
	std::seed_seq seq{uint32_t(seed),    uint32_t(seed >> 32),   uint32_t(direction),
			  uint32_t(purpose), uint32_t(phase), uint32_t(phase >> 32)};
	return std::mt19937_64(seq);
}

LossModel::LossModel(const LinkSpec &spec)
	: bursty_(spec.ge.has_value()), loss_(spec.loss), ge_(spec.ge.value_or(GilbertElliott{}))
{
}

bool LossModel::lose(std::mt19937_64 &rng)
{
	if (!bursty_)
		return unit_draw(rng) < loss_;

	// The loss probability of the state the packet finds the chain in, then
	// one step of the chain: P(good->bad) = p, P(bad->good) = r. The
	// stationary share of bad packets is p/(p+r) and a bad run lasts 1/r
	// packets on average.
	bool lost = unit_draw(rng) < (bad_ ? ge_.loss_bad : ge_.loss_good);
	double step = unit_draw(rng);
	if (bad_)
		bad_ = !(step < ge_.r);
	else
		bad_ = step < ge_.p;
	return lost;
}

} // namespace dupgre::tools
