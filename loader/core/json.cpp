// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "core/json.h"

#include <cstdio>

namespace dupgre {

std::string Json::quote(std::string_view s)
{
	std::string q = "\"";
	for (unsigned char c : s) {
		switch (c) {
		case '"': q += "\\\""; break;
		case '\\': q += "\\\\"; break;
		case '\n': q += "\\n"; break;
		case '\t': q += "\\t"; break;
		case '\r': q += "\\r"; break;
		default:
			if (c < 0x20) {
				char buf[8];
				snprintf(buf, sizeof(buf), "\\u%04x", c);
				q += buf;
			} else {
				q += static_cast<char>(c);
			}
		}
	}
	return q + "\"";
}

void Json::newline()
{
	if (!pretty_)
		return;
	out_ += '\n';
	out_.append(has_items_.size() * 2, ' ');
}

void Json::before_value()
{
	if (after_key_) {
		after_key_ = false;
		return;
	}
	if (!has_items_.empty()) {
		if (has_items_.back())
			out_ += ',';
		has_items_.back() = true;
		newline();
	}
}

Json &Json::open(char c)
{
	before_value();
	out_ += c;
	has_items_.push_back(false);
	return *this;
}

Json &Json::close(char c)
{
	bool had_items = has_items_.back();
	has_items_.pop_back();
	if (had_items)
		newline();
	out_ += c;
	return *this;
}

Json &Json::key(std::string_view k)
{
	before_value();
	out_ += quote(k);
	out_ += pretty_ ? ": " : ":";
	after_key_ = true;
	return *this;
}

Json &Json::value(std::string_view v)
{
	before_value();
	out_ += quote(v);
	return *this;
}

Json &Json::value(uint64_t v)
{
	before_value();
	out_ += std::to_string(v);
	return *this;
}

Json &Json::value(int64_t v)
{
	before_value();
	out_ += std::to_string(v);
	return *this;
}

Json &Json::value(bool v)
{
	before_value();
	out_ += v ? "true" : "false";
	return *this;
}

Json &Json::null()
{
	before_value();
	out_ += "null";
	return *this;
}

}  // namespace dupgre
