// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "schedule.hpp"

#include <cctype>

namespace dupgre::tools {
namespace {

std::vector<std::string_view> split_phases(std::string_view text)
{
	std::vector<std::string_view> parts;
	size_t pos = 0;
	for (;;) {
		size_t end = text.find(';', pos);
		parts.push_back(text.substr(pos, end == std::string_view::npos ? end : end - pos));
		if (end == std::string_view::npos)
			return parts;
		pos = end + 1;
	}
}

// A SPEC item starts with a letter (a key, or "none"), a duration with a
// digit: that tells "DURATION:SPEC" from a held "SPEC" whose ge= has colons.
bool starts_with_digit(std::string_view s)
{
	return !s.empty() && (std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '.');
}

int64_t parse_phase_duration(std::string_view text)
{
	// A plain number is seconds, the unit the bench speaks in.
	bool plain = text.find_first_not_of("0123456789.") == std::string_view::npos;
	int64_t ns = parse_duration_ns(plain ? std::string(text) + "s" : std::string(text));
	if (ns <= 0)
		throw std::invalid_argument("must be more than 0");
	return ns;
}

} // namespace

Schedule::Position Schedule::at(int64_t elapsed_ns) const
{
	Position pos;
	if (elapsed_ns < 0)
		elapsed_ns = 0;
	int64_t cycle_ns = 0;
	for (const Step &s : steps)
		cycle_ns += s.duration_ns;
	uint64_t cycle = 0;
	int64_t base = 0; // elapsed time at which this cycle began
	if (repeat) {
		cycle = uint64_t(elapsed_ns / cycle_ns);
		base = int64_t(cycle) * cycle_ns;
	}
	int64_t end = base;
	for (size_t i = 0; i < steps.size(); i++) {
		bool held = !repeat && i + 1 == steps.size();
		end += steps[i].duration_ns;
		if (held || elapsed_ns < end) {
			pos.step = i;
			pos.phase = cycle * steps.size() + i;
			if (!held)
				pos.next_ns = end;
			return pos;
		}
	}
	return pos; // not reached: the last step either holds or ends the cycle
}

std::pair<unsigned, Schedule> parse_schedule(std::string_view text)
{
	auto fail = [&](const std::string &why) {
		return SpecError("bad schedule '" + std::string(text) + "': " + why);
	};
	unsigned dir;
	if (text.substr(0, 4) == "a2b:")
		dir = 0;
	else if (text.substr(0, 4) == "b2a:")
		dir = 1;
	else
		throw fail("must start with a2b: or b2a:");

	Schedule sched;
	std::vector<std::string_view> phases = split_phases(text.substr(4));
	for (size_t i = 0; i < phases.size(); i++) {
		std::string_view phase = phases[i];
		bool last = i + 1 == phases.size();
		if (phase.empty())
			throw fail("an empty phase (say 'none' for a perfect link)");
		if (last && phase == "repeat") {
			if (sched.steps.empty())
				throw fail("repeat needs a phase before it");
			sched.repeat = true;
			break;
		}
		Schedule::Step step;
		size_t colon = phase.find(':');
		std::string_view spec_text = phase;
		if (starts_with_digit(phase) && colon != std::string_view::npos) {
			try {
				step.duration_ns = parse_phase_duration(phase.substr(0, colon));
			} catch (const std::invalid_argument &e) {
				throw fail("duration '" + std::string(phase.substr(0, colon)) +
					   "' " + e.what());
			}
			spec_text = phase.substr(colon + 1);
		} else if (!last) {
			throw fail("phase '" + std::string(phase) +
				   "' needs a duration (DURATION:SPEC); only the last, held "
				   "phase has none");
		}
		try {
			step.spec = parse_spec(spec_text);
		} catch (const SpecError &e) {
			throw fail(e.what());
		}
		sched.steps.push_back(step);
	}
	if (!sched.repeat && sched.steps.back().duration_ns != 0)
		throw fail("say how it ends: a last SPEC without a duration (held) or ';repeat'");
	return {dir, sched};
}

std::string format_schedule(const Schedule &schedule)
{
	std::string out;
	for (const Schedule::Step &s : schedule.steps) {
		if (!out.empty())
			out += ';';
		if (s.duration_ns)
			out += format_duration(s.duration_ns) + ":";
		out += format_spec(s.spec);
	}
	if (schedule.repeat)
		out += ";repeat";
	return out;
}

} // namespace dupgre::tools
