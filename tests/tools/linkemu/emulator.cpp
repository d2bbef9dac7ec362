// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "emulator.hpp"

#include <algorithm>
#include <cctype>

#include "../common/json.hpp"
#include "../common/sys.hpp"

namespace dupgre::tools {
namespace {

constexpr const char *kNames[2] = {"a2b", "b2a"};

std::string_view trim(std::string_view s)
{
	while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
		s.remove_prefix(1);
	while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
		s.remove_suffix(1);
	return s;
}

// Splits off the first whitespace-separated word of s.
std::string_view next_word(std::string_view &s)
{
	s = trim(s);
	size_t end = 0;
	while (end < s.size() && !std::isspace(static_cast<unsigned char>(s[end])))
		end++;
	std::string_view word = s.substr(0, end);
	s = trim(s.substr(end));
	return word;
}

Json counters_json(const LinkDirection &dir)
{
	const DirectionCounters &c = dir.counters;
	Json o;
	o["rx_packets"] = c.rx_packets;
	o["rx_bytes"] = c.rx_bytes;
	o["delivered_packets"] = c.delivered_packets;
	o["delivered_bytes"] = c.delivered_bytes;
	o["lost_packets"] = c.lost_packets;
	o["queue_drops"] = c.queue_drops;
	o["reordered"] = c.reordered;
	o["duplicated"] = c.duplicated;
	o["tx_errors"] = c.tx_errors;
	o["queued"] = uint64_t(dir.queued());
	return o;
}

} // namespace

Emulator::Emulator(uint64_t seed, const LinkSpec &a2b, const LinkSpec &b2a)
	: dirs_{LinkDirection(seed, 0, a2b), LinkDirection(seed, 1, b2a)}
{
}

std::string Emulator::stats_json() const
{
	Json o;
	o[kNames[0]] = counters_json(dirs_[0]);
	o[kNames[1]] = counters_json(dirs_[1]);
	return o.dump();
}

std::string Emulator::config_json() const
{
	Json o;
	o[kNames[0]] = format_spec(dirs_[0].spec());
	o[kNames[1]] = format_spec(dirs_[1].spec());
	return o.dump();
}

std::string Emulator::schedule_json() const
{
	Json o;
	for (unsigned i = 0; i < 2; i++) {
		const LinkDirection &dir = dirs_[i];
		if (!dir.active_schedule()) {
			o[kNames[i]] = nullptr;
			continue;
		}
		Json s;
		s["schedule"] = format_schedule(*dir.active_schedule());
		s["phase"] = dir.position().phase;
		s["step"] = uint64_t(dir.position().step);
		o[kNames[i]] = s;
	}
	return o.dump();
}

void Emulator::advance(int64_t now_ns)
{
	for (LinkDirection &dir : dirs_)
		dir.advance(now_ns);
}

std::optional<int64_t> Emulator::next_change() const
{
	std::optional<int64_t> a = dirs_[0].next_change(), b = dirs_[1].next_change();
	if (a && b)
		return std::min(*a, *b);
	return a ? a : b;
}

std::string Emulator::handle_command(std::string_view command)
{
	std::string_view rest = command;
	std::string_view verb = next_word(rest);

	if (verb == "stats" && rest.empty())
		return stats_json();
	if (verb == "config" && rest.empty())
		return config_json();
	if (verb == "schedule" && rest.empty())
		return schedule_json();
	if (verb == "schedule") {
		// Starts now, so that a caller can start its traffic with it; the
		// reply says when (CLOCK_MONOTONIC ns), to tell the phases apart.
		try {
			auto [dir, sched] = parse_schedule(trim(rest));
			int64_t start = monotonic_ns();
			dirs_[dir].set_schedule(std::move(sched), start);
			return "ok " + std::string(kNames[dir]) + " start_ns " + std::to_string(start);
		} catch (const SpecError &e) {
			return std::string("error: ") + e.what();
		}
	}
	if (verb == "reset-stats" && rest.empty()) {
		for (LinkDirection &dir : dirs_)
			dir.counters = DirectionCounters{};
		return "ok";
	}
	if (verb == "set") {
		std::string_view name = next_word(rest);
		for (unsigned i = 0; i < 2; i++) {
			if (name != kNames[i])
				continue;
			try {
				dirs_[i].set_spec(parse_spec(rest));
			} catch (const SpecError &e) {
				return std::string("error: ") + e.what();
			}
			return "ok " + std::string(name) + " " + format_spec(dirs_[i].spec());
		}
		return "error: set needs a direction, a2b or b2a";
	}
	return "error: unknown command '" + std::string(trim(command)) +
	       "' (stats, reset-stats, config, schedule [DIR:PHASES], set a2b|b2a SPEC)";
}

} // namespace dupgre::tools
