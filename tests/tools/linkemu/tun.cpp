// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "tun.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

namespace dupgre::tools {
namespace {

// Enters a network namespace for the lifetime of the object. setns()
// changes only the calling thread, and linkemu sets up before it starts
// its (single) event loop thread, so nothing else runs in the wrong place.
class NetnsScope {
public:
	explicit NetnsScope(const std::string &ns)
	{
		if (ns.empty() || ns.find('/') != std::string::npos || ns == "." || ns == "..")
			throw std::runtime_error("bad network namespace name '" + ns + "'");
		original_ = Fd(open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
		if (!original_)
			throw_errno("open /proc/self/ns/net");
		std::string path = "/var/run/netns/" + ns;
		Fd target(open(path.c_str(), O_RDONLY | O_CLOEXEC));
		if (!target)
			throw_errno("network namespace '" + ns + "' (" + path + ")");
		if (setns(target.get(), CLONE_NEWNET) < 0)
			throw_errno("setns into '" + ns + "'");
	}
	NetnsScope(const NetnsScope &) = delete;
	NetnsScope &operator=(const NetnsScope &) = delete;
	~NetnsScope()
	{
		// Carrying on in the wrong namespace would create the next device
		// in the wrong place; there is no sane way to continue.
		if (setns(original_.get(), CLONE_NEWNET) < 0) {
			std::perror("linkemu: setns back to the original namespace");
			std::abort();
		}
	}

private:
	Fd original_;
};

void interface_ioctl(int sock, unsigned long request, ifreq &ifr, const char *what)
{
	if (ioctl(sock, request, &ifr) < 0)
		throw_errno(std::string(what) + " " + ifr.ifr_name);
}

} // namespace

Fd create_tun_in_netns(const std::string &ns, const std::string &dev, std::optional<int> mtu)
{
	if (dev.empty() || dev.size() >= IFNAMSIZ || dev.find('%') != std::string::npos)
		throw std::runtime_error("bad device name '" + dev + "'");

	NetnsScope in_ns(ns);

	// A TUN device is created in the namespace that opened /dev/net/tun, so
	// the open must happen after setns().
	Fd tun(open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC));
	if (!tun)
		throw_errno("open /dev/net/tun");
	ifreq ifr{};
	std::strncpy(ifr.ifr_name, dev.c_str(), IFNAMSIZ - 1);
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	if (ioctl(tun.get(), TUNSETIFF, &ifr) < 0)
		throw_errno("TUNSETIFF " + dev + " in '" + ns + "'");

	// Interface ioctls act on the namespace of the socket they go through.
	Fd sock(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
	if (!sock)
		throw_errno("socket");
	if (mtu) {
		ifr.ifr_mtu = *mtu;
		interface_ioctl(sock.get(), SIOCSIFMTU, ifr, "set MTU of");
	}
	interface_ioctl(sock.get(), SIOCGIFFLAGS, ifr, "get flags of");
	ifr.ifr_flags |= IFF_UP;
	interface_ioctl(sock.get(), SIOCSIFFLAGS, ifr, "bring up");
	return tun;
}

} // namespace dupgre::tools
