// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// What the test tools and benches need from the system, once: a fatal
// error, TUN devices, network namespaces, CPU pinning, argument splitting
// (and percentile.h: their statistics).
#pragma once

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <optional>
#include <string>
#include <vector>

namespace pkt {

// Throws std::runtime_error("MSG: strerror(errno)"), or "MSG" when errno is
// 0 (a usage error).
[[noreturn]] void die(const std::string &msg);

// Opens TUN device NAME (created if absent, persistent ones reopened),
// without packet information unless pi. Throws with die().
int open_tun(const std::string &name, bool nonblock = true, bool pi = false);
// Sets NAME up and returns its ifindex. Throws with die().
int link_up(const std::string &name);

// Sets NAME's MTU. Throws with die().
void set_mtu(const std::string &name, int mtu);

// The calling thread in network namespace NAME (/run/netns/NAME, as `ip
// netns add` makes it) for the object's lifetime; setns() changes only the
// calling thread. Throws on entering; if it cannot return, it aborts: the
// next device or socket would be made in the wrong namespace.
class NetnsScope {
public:
	explicit NetnsScope(const std::string &name);
	~NetnsScope();
	NetnsScope(const NetnsScope &) = delete;
	NetnsScope &operator=(const NetnsScope &) = delete;

private:
	int self_ = -1;
};

// Runs fn inside network namespace NAME, then returns to this one (also
// when fn throws).
template <typename F> auto in_netns(const std::string &name, F fn)
{
	NetnsScope in(name);
	return fn();
}

// Creates TUN device DEV in namespace NS (a TUN device belongs to the
// namespace that opened /dev/net/tun), without packet information, sets its
// MTU when given and brings it up. Not persistent: it goes when the
// returned non-blocking descriptor is closed. The thread is back in its own
// namespace when this returns or throws.
int create_tun_in_netns(const std::string &ns, const std::string &dev, std::optional<int> mtu = std::nullopt);

// Pins the calling thread to one CPU. Throws with die().
void pin_to_cpu(int cpu);

// At most max fields (0: no limit): the last takes the rest (an IPv6
// address).
std::vector<std::string> split(const std::string &s, char sep, size_t max = 0);

}  // namespace pkt
