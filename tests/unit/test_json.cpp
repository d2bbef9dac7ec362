// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <doctest/doctest.h>

#include "core/json.h"

using namespace dupgre;

TEST_CASE("compact JSON")
{
	Json j;
	j.begin_object()
		.field("device", "eth0")
		.field("n", uint64_t{18446744073709551615ull})
		.field("neg", -1)
		.field("ok", true)
		.key("list")
		.begin_array()
		.value("a")
		.value(2u)
		.begin_object()
		.end_object()
		.end_array()
		.key("none")
		.null()
		.end_object();
	CHECK(j.str() ==
	      R"({"device":"eth0","n":18446744073709551615,"neg":-1,"ok":true,"list":["a",2,{}],"none":null})");
}

TEST_CASE("strings are escaped")
{
	CHECK(Json::quote("a\"b\\c\nd\te\x01") == R"("a\"b\\c\nd\te\u0001")");
}

TEST_CASE("pretty JSON")
{
	Json j(true);
	j.begin_object().field("a", 1).key("b").begin_array().value(2).end_array().key("c").begin_array().end_array().end_object();
	CHECK(j.str() == "{\n  \"a\": 1,\n  \"b\": [\n    2\n  ],\n  \"c\": []\n}");
}
