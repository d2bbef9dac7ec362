// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>
#include <sys/stat.h>

#include "core/pins.h"

using namespace dupgre;

TEST_CASE("device state directories: no dot for bpffs, and back")
{
	// bpffs refuses any name with a dot: a VLAN WAN (eth0.2) must still
	// get a directory, and the listing must give the device's name back.
	CHECK(device_pin_name("eth0.2") == "eth0:2");
	CHECK(device_pin_name("eth0.2.100") == "eth0:2:100");
	CHECK(device_pin_name("pppoe-wan") == "pppoe-wan");
	CHECK(device_from_pin_name("eth0:2") == "eth0.2");
	CHECK(device_from_pin_name(device_pin_name("br-lan.10")) == "br-lan.10");

	char tmpl[] = "/tmp/dupgre-pins-XXXXXX";
	REQUIRE(mkdtemp(tmpl) != nullptr);
	std::string dir = tmpl;
	for (const char *dev : {"eth0.2", "wan", "vpn2"})
		REQUIRE(mkdir((dir + "/" + device_pin_name(dev)).c_str(), 0700) == 0);
	CHECK(list_device_dirs(dir) == std::vector<std::string>{"eth0.2", "vpn2", "wan"});
	for (const char *dev : {"eth0.2", "wan", "vpn2"})
		rmdir((dir + "/" + device_pin_name(dev)).c_str());
	rmdir(dir.c_str());
}
