// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// A minimal streaming JSON writer: objects, arrays, strings, integers, bools.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dupgre {

class Json {
public:
	explicit Json(bool pretty = false) : pretty_(pretty) {}

	Json &begin_object() { return open('{'); }
	Json &end_object() { return close('}'); }
	Json &begin_array() { return open('['); }
	Json &end_array() { return close(']'); }
	Json &key(std::string_view k);
	Json &value(std::string_view v);
	Json &value(const char *v) { return value(std::string_view(v)); }
	Json &value(const std::string &v) { return value(std::string_view(v)); }
	Json &value(uint64_t v);
	Json &value(int64_t v);
	Json &value(int v) { return value(static_cast<int64_t>(v)); }
	Json &value(unsigned v) { return value(static_cast<uint64_t>(v)); }
	Json &value(bool v);
	Json &null();

	template <typename T> Json &field(std::string_view k, const T &v) { return key(k).value(v); }

	const std::string &str() const { return out_; }

	static std::string quote(std::string_view s);

private:
	Json &open(char c);
	Json &close(char c);
	void before_value();
	void newline();

	bool pretty_;
	std::string out_;
	std::vector<bool> has_items_;  // per open container
	bool after_key_ = false;
};

}  // namespace dupgre
