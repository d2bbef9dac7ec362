// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// JSON output of the test tools: Debian's nlohmann-json, fields in the
// order the tools write them, compact as before ({"a":1,"b":2}).
#pragma once

#include <cmath>

#include <nlohmann/json.hpp>

namespace dupgre::tools {

using Json = nlohmann::ordered_json;

// A measured time (ms or s) to the microsecond (or millisecond), as the
// tools have always reported it; null when it is not a number.
inline Json fixed3(double value)
{
	if (!std::isfinite(value))
		return nullptr;
	return std::round(value * 1000) / 1000;
}

} // namespace dupgre::tools
