// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <doctest/doctest.h>

#include "core/debounce.h"

using dupgre::Debounce;

TEST_CASE("debounce: due at once, then settle after the last event of a burst, and every period anyway")
{
	Debounce d(200, 10000);
	CHECK(d.fire(0));  // the first look: at start
	CHECK_FALSE(d.fire(1));
	CHECK(d.due() == 10000);
	// A burst: due 200 after its last event, once.
	d.event(1000);
	d.event(1100);
	d.event(1150);
	CHECK(d.due() == 1350);
	CHECK_FALSE(d.fire(1349));
	CHECK(d.fire(1350));
	CHECK_FALSE(d.fire(1351));
	// Nothing happens: the period from the last look.
	CHECK(d.due() == 11350);
	CHECK(d.fire(11350));
	// Events that never stop still get a look every period.
	for (int64_t t = 11400; t < 21350; t += 100)
		d.event(t);
	CHECK(d.due() == 21350);
}
