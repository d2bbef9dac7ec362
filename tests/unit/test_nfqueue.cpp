// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <doctest/doctest.h>

#include <sstream>

#include "core/netfilter.h"

using namespace dupgre;

// As net/netfilter/nfnetlink_queue.c's seq_show writes each bound queue:
// "%5u %6u %5u %1u %5u %5u %5u %8u %2d\n".
static const char proc_text[] =
	"    0  12345     0 2 65531     0     0        0  1\n"
	"   13 4294967295    17 2   128     3    41  1234567  1\n";

TEST_CASE("nfnetlink_queue: the queue's own line, its drops and what waits")
{
	std::istringstream in(proc_text);
	auto q = parse_nfqueue_stats(in, 13);
	REQUIRE(q);
	CHECK(q->portid == 4294967295u);
	CHECK(q->total == 17);
	CHECK(q->dropped == 3);
	CHECK(q->user_dropped == 41);
	CHECK(q->id_sequence == 1234567);
}

TEST_CASE("nfnetlink_queue: no line for the queue (nobody bound), or an empty file, is none")
{
	std::istringstream other(proc_text);
	CHECK_FALSE(parse_nfqueue_stats(other, 7));
	std::istringstream empty("");
	CHECK_FALSE(parse_nfqueue_stats(empty, 13));
	std::istringstream torn("   13  4242     1 2\n");
	CHECK_FALSE(parse_nfqueue_stats(torn, 13));
}
