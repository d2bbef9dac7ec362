// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// What apply changed on a device outside the programs (its MTU, its
// rp_filter), recorded in a pinned map (include/dupgre/site.h) so that it
// is put back when the device stops being one of this site's dual links,
// or at flush. A value someone changed since is left alone.
#pragma once

#include <map>
#include <string>

#include "dupgre/site.h"

namespace dupgre {

class LinkRecord {
public:
	LinkRecord();

	// Every device's record (none when nothing was ever set).
	std::map<std::string, site_link> all() const;
	// Sets the MTU, or relaxes rp_filter from strict to loose, recording
	// the device's value first (once per device instance).
	void set_mtu(const std::string &dev, unsigned mtu);
	void relax_rp_filter(const std::string &dev);
	// Puts back what apply set, where it is still what apply set and the
	// device is the one recorded; then forgets the record. Returns what it
	// put back ("mtu 1500 rp_filter 1"; empty: nothing).
	std::string restore(const std::string &dev);
	void forget(const std::string &dev);
	// flush: every device put back, the map removed.
	size_t restore_all();

private:
	int open_or_create();
	site_link get(const std::string &dev, int ifindex);
	void put(const std::string &dev, const site_link &v);
	std::string pin_;
};

}  // namespace dupgre
