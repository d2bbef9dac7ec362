// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "link_spec.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <set>
#include <vector>

namespace dupgre::tools {
namespace {

constexpr int64_t kMaxDelayNs = int64_t(3600) * 1'000'000'000; // an hour
constexpr double kMaxRateBps = 1e12;                            // 1 Tbit/s
constexpr uint32_t kMaxLimit = 1'000'000;

bool iequals(std::string_view a, std::string_view b)
{
	if (a.size() != b.size())
		return false;
	for (size_t i = 0; i < a.size(); i++) {
		if (std::tolower(static_cast<unsigned char>(a[i])) !=
		    std::tolower(static_cast<unsigned char>(b[i])))
			return false;
	}
	return true;
}

// Parses a leading decimal number; `rest` receives what follows (the unit).
// std::from_chars, unlike strtod, ignores the locale.
double parse_number(std::string_view text, std::string_view &rest)
{
	double value = 0;
	auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
	if (ec != std::errc() || !std::isfinite(value))
		throw std::invalid_argument("is not a number");
	if (value < 0)
		throw std::invalid_argument("must not be negative");
	rest = text.substr(size_t(end - text.data()));
	return value;
}

std::vector<std::string_view> split(std::string_view text, std::string_view separators)
{
	std::vector<std::string_view> parts;
	size_t pos = 0;
	while (pos <= text.size()) {
		size_t end = text.find_first_of(separators, pos);
		if (end == std::string_view::npos)
			end = text.size();
		parts.push_back(text.substr(pos, end - pos));
		pos = end + 1;
	}
	return parts;
}

// Shortest text that reads back as the same double.
std::string format_double(double v)
{
	char buf[32];
	auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
	(void)ec;
	return std::string(buf, end);
}

std::string format_rate(uint64_t bps)
{
	if (bps % 1'000'000'000 == 0)
		return std::to_string(bps / 1'000'000'000) + "gbit";
	if (bps % 1'000'000 == 0)
		return std::to_string(bps / 1'000'000) + "mbit";
	if (bps % 1'000 == 0)
		return std::to_string(bps / 1'000) + "kbit";
	return std::to_string(bps) + "bit";
}

GilbertElliott parse_ge(std::string_view value)
{
	std::vector<std::string_view> parts = split(value, ":");
	if (parts.size() < 2 || parts.size() > 4)
		throw std::invalid_argument("must be p:r[:loss_good[:loss_bad]]");
	GilbertElliott ge;
	double *fields[] = {&ge.p, &ge.r, &ge.loss_good, &ge.loss_bad};
	for (size_t i = 0; i < parts.size(); i++)
		*fields[i] = parse_probability(parts[i]);
	return ge;
}

// Applies one key=value item; the reason of any error is prefixed with the key.
void apply_item(LinkSpec &spec, std::string_view key, std::string_view value)
{
	if (key == "loss") {
		spec.loss = parse_probability(value);
	} else if (key == "ge") {
		spec.ge = parse_ge(value);
	} else if (key == "delay") {
		spec.delay_ns = parse_duration_ns(value);
	} else if (key == "jitter") {
		spec.jitter_ns = parse_duration_ns(value);
	} else if (key == "rate") {
		spec.rate_bps = parse_rate_bps(value);
	} else if (key == "limit") {
		uint32_t n = 0;
		auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
		if (ec != std::errc() || end != value.data() + value.size() || n < 1 ||
		    n > kMaxLimit)
			throw std::invalid_argument("must be an integer in [1," +
						    std::to_string(kMaxLimit) + "]");
		spec.limit = n;
	} else if (key == "reorder") {
		spec.reorder = parse_probability(value);
	} else if (key == "dup") {
		spec.dup = parse_probability(value);
	}
}

} // namespace

std::string format_duration(int64_t ns)
{
	if (ns % 1'000'000'000 == 0)
		return std::to_string(ns / 1'000'000'000) + "s";
	if (ns % 1'000'000 == 0)
		return std::to_string(ns / 1'000'000) + "ms";
	if (ns % 1'000 == 0)
		return std::to_string(ns / 1'000) + "us";
	return std::to_string(ns) + "ns";
}

double parse_probability(std::string_view text)
{
	std::string_view rest;
	double value = parse_number(text, rest);
	if (rest == "%")
		value /= 100;
	else if (!rest.empty())
		throw std::invalid_argument("must be a number in [0,1] or a percentage");
	if (value > 1)
		throw std::invalid_argument("must be in [0,1]");
	return value;
}

int64_t parse_duration_ns(std::string_view text)
{
	std::string_view unit;
	double value = parse_number(text, unit);
	double scale;
	if (iequals(unit, "ns"))
		scale = 1;
	else if (iequals(unit, "us"))
		scale = 1e3;
	else if (iequals(unit, "ms"))
		scale = 1e6;
	else if (iequals(unit, "s"))
		scale = 1e9;
	else if (unit.empty())
		throw std::invalid_argument("needs a unit (ns, us, ms, s)");
	else
		throw std::invalid_argument("has an unknown unit '" + std::string(unit) +
					    "' (ns, us, ms, s)");
	double ns = value * scale;
	if (ns > double(kMaxDelayNs))
		throw std::invalid_argument("must be at most 3600s");
	return std::llround(ns);
}

uint64_t parse_rate_bps(std::string_view text)
{
	std::string_view unit;
	double value = parse_number(text, unit);
	static const struct {
		const char *name;
		double scale;
	} units[] = {
		{"bit", 1},     {"kbit", 1e3},  {"mbit", 1e6},  {"gbit", 1e9},
		{"bps", 8},     {"kbps", 8e3},  {"mbps", 8e6},  {"gbps", 8e9},
	};
	if (unit.empty() && value == 0)
		return 0; // "rate=0": unlimited, no unit needed
	for (const auto &u : units) {
		if (iequals(unit, u.name)) {
			double bps = value * u.scale;
			if (bps > kMaxRateBps)
				throw std::invalid_argument("must be at most 1000gbit");
			if (value > 0 && bps < 1)
				throw std::invalid_argument("must be at least 1bit");
			return uint64_t(std::llround(bps));
		}
	}
	throw std::invalid_argument(
		"needs a unit (bit, kbit, mbit, gbit, bps, kbps, mbps, gbps)");
}

LinkSpec parse_spec(std::string_view text)
{
	LinkSpec spec;
	std::set<std::string_view> seen;
	for (std::string_view item : split(text, ", \t")) {
		if (item.empty() || item == "none")
			continue;
		auto fail = [&](const std::string &why) {
			throw SpecError("bad spec '" + std::string(item) + "': " + why);
		};
		size_t eq = item.find('=');
		if (eq == std::string_view::npos)
			fail("expected key=value");
		std::string_view key = item.substr(0, eq);
		std::string_view value = item.substr(eq + 1);
		static const std::set<std::string_view> keys = {
			"loss", "ge", "delay", "jitter", "rate", "limit", "reorder", "dup"};
		if (keys.count(key) == 0)
			fail("unknown key '" + std::string(key) +
			     "' (known: loss, ge, delay, jitter, rate, limit, reorder, dup)");
		if (!seen.insert(key).second)
			fail(std::string(key) + " given twice");
		try {
			apply_item(spec, key, value);
		} catch (const std::invalid_argument &e) {
			fail(std::string(key) + " " + e.what());
		}
	}
	if (seen.count("loss") && seen.count("ge"))
		throw SpecError("bad spec '" + std::string(text) +
				"': loss and ge are alternatives, give one");
	return spec;
}

std::string format_spec(const LinkSpec &spec)
{
	const LinkSpec defaults;
	std::vector<std::string> items;
	if (spec.ge) {
		const GilbertElliott &ge = *spec.ge;
		items.push_back("ge=" + format_double(ge.p) + ":" + format_double(ge.r) +
				":" + format_double(ge.loss_good) + ":" +
				format_double(ge.loss_bad));
	} else if (spec.loss != defaults.loss) {
		items.push_back("loss=" + format_double(spec.loss));
	}
	if (spec.delay_ns != defaults.delay_ns)
		items.push_back("delay=" + format_duration(spec.delay_ns));
	if (spec.jitter_ns != defaults.jitter_ns)
		items.push_back("jitter=" + format_duration(spec.jitter_ns));
	if (spec.rate_bps != defaults.rate_bps)
		items.push_back("rate=" + format_rate(spec.rate_bps));
	if (spec.limit != defaults.limit)
		items.push_back("limit=" + std::to_string(spec.limit));
	if (spec.reorder != defaults.reorder)
		items.push_back("reorder=" + format_double(spec.reorder));
	if (spec.dup != defaults.dup)
		items.push_back("dup=" + format_double(spec.dup));
	if (items.empty())
		return "none";
	std::string out;
	for (const std::string &item : items)
		out += (out.empty() ? "" : ",") + item;
	return out;
}

} // namespace dupgre::tools
