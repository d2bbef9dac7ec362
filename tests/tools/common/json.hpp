// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// A minimal JSON object writer: the tools only print flat objects of
// numbers and strings (and objects of those), so a full library is not
// worth the dependency.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace dupgre::tools {

class JsonObject {
public:
	JsonObject &add(std::string_view key, uint64_t value)
	{
		return raw(key, std::to_string(value));
	}
	JsonObject &add(std::string_view key, int64_t value)
	{
		return raw(key, std::to_string(value));
	}
	JsonObject &add(std::string_view key, unsigned value)
	{
		return add(key, uint64_t(value));
	}
	// Fixed three decimals: enough for milliseconds with microsecond
	// resolution, and never exponent notation for scripts to trip on.
	JsonObject &add(std::string_view key, double value)
	{
		if (!std::isfinite(value))
			return raw(key, "null");
		char buf[64];
		std::snprintf(buf, sizeof(buf), "%.3f", value);
		return raw(key, buf);
	}
	JsonObject &add_string(std::string_view key, std::string_view value)
	{
		return raw(key, quote(value));
	}
	JsonObject &add_object(std::string_view key, const JsonObject &value)
	{
		return raw(key, value.str());
	}
	JsonObject &add_null(std::string_view key) { return raw(key, "null"); }

	std::string str() const { return "{" + body_ + "}"; }

	static std::string quote(std::string_view s)
	{
		std::string out = "\"";
		for (char c : s) {
			if (c == '"' || c == '\\') {
				out += '\\';
				out += c;
			} else if (static_cast<unsigned char>(c) < 0x20) {
				char buf[8];
				std::snprintf(buf, sizeof(buf), "\\u%04x", c);
				out += buf;
			} else {
				out += c;
			}
		}
		return out + "\"";
	}

private:
	JsonObject &raw(std::string_view key, std::string_view value)
	{
		if (!body_.empty())
			body_ += ',';
		body_ += quote(key);
		body_ += ':';
		body_ += value;
		return *this;
	}

	std::string body_;
};

} // namespace dupgre::tools
