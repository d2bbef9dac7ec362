// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// What the test tools and benches need from the system, once: a fatal
// error, TUN devices, network namespaces, CPU pinning, argument splitting.
#pragma once

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace pkt {

// Throws std::runtime_error("MSG: strerror(errno)").
[[noreturn]] void die(const std::string &msg);

// Opens TUN device NAME (created if absent, persistent ones reopened),
// without packet information unless pi. Throws with die().
int open_tun(const std::string &name, bool nonblock = true, bool pi = false);
// Sets NAME up and returns its ifindex. Throws with die().
int link_up(const std::string &name);

// Runs fn inside network namespace NAME (/run/netns/NAME), then returns to
// this one. setns() changes only the calling thread.
template <typename F> auto in_netns(const std::string &name, F fn)
{
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	int ns = open(("/run/netns/" + name).c_str(), O_RDONLY | O_CLOEXEC);
	if (self < 0 || ns < 0 || setns(ns, CLONE_NEWNET) < 0)
		die("netns " + name);
	auto r = fn();
	if (setns(self, CLONE_NEWNET) < 0)
		die("setns back");
	close(ns);
	close(self);
	return r;
}

// Pins the calling thread to one CPU. Throws with die().
void pin_to_cpu(int cpu);

// At most max fields (0: no limit): the last takes the rest (an IPv6
// address).
std::vector<std::string> split(const std::string &s, char sep, size_t max = 0);

}  // namespace pkt
