// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "sys.h"

#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace pkt {

void die(const std::string &msg)
{
	if (errno == 0)
		throw std::runtime_error(msg);
	throw std::runtime_error(msg + ": " + strerror(errno));
}

int open_tun(const std::string &name, bool nonblock, bool pi)
{
	if (name.size() >= IFNAMSIZ)
		throw std::runtime_error("bad device name '" + name + "': longer than " +
					 std::to_string(IFNAMSIZ - 1));
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | (nonblock ? O_NONBLOCK : 0));
	if (fd < 0)
		die("open /dev/net/tun");
	ifreq ifr{};
	ifr.ifr_flags = static_cast<short>(IFF_TUN | (pi ? 0 : IFF_NO_PI));
	strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int err = errno;
		close(fd);
		errno = err;
		die("TUNSETIFF " + name);
	}
	return fd;
}

namespace {

// Interface ioctls on NAME. They act in the namespace of the socket they go
// through: one made for them, in the calling thread's.
class IfSocket {
public:
	explicit IfSocket(const std::string &name) : fd_(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0))
	{
		if (fd_ < 0)
			die("socket");
		strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
	}
	~IfSocket() { close(fd_); }
	IfSocket(const IfSocket &) = delete;
	IfSocket &operator=(const IfSocket &) = delete;
	// die(what) on failure, with the ioctl's errno.
	void call(unsigned long request, const std::string &what)
	{
		if (ioctl(fd_, request, &ifr) < 0)
			die(what);
	}
	ifreq ifr{};

private:
	int fd_;
};

}  // namespace

int link_up(const std::string &name)
{
	IfSocket s(name);
	std::string what = "setting " + name + " up";
	s.call(SIOCGIFFLAGS, what);
	s.ifr.ifr_flags = static_cast<short>(s.ifr.ifr_flags | IFF_UP);
	s.call(SIOCSIFFLAGS, what);
	s.call(SIOCGIFINDEX, what);
	return s.ifr.ifr_ifindex;
}

void set_mtu(const std::string &name, int mtu)
{
	IfSocket s(name);
	s.ifr.ifr_mtu = mtu;
	s.call(SIOCSIFMTU, "setting the MTU of " + name + " to " + std::to_string(mtu));
}

NetnsScope::NetnsScope(const std::string &name)
{
	if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..")
		throw std::runtime_error("bad network namespace name '" + name + "'");
	self_ = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self_ < 0)
		die("open /proc/self/ns/net");
	int ns = open(("/run/netns/" + name).c_str(), O_RDONLY | O_CLOEXEC);
	bool ok = ns >= 0 && setns(ns, CLONE_NEWNET) == 0;
	int err = errno;
	if (ns >= 0)
		close(ns);
	if (!ok) {
		close(self_);
		errno = err;
		die("netns " + name);
	}
}

NetnsScope::~NetnsScope()
{
	if (setns(self_, CLONE_NEWNET) < 0) {
		perror("setns back to the original network namespace");
		abort();
	}
	close(self_);
}

int create_tun_in_netns(const std::string &ns, const std::string &dev, std::optional<int> mtu)
{
	if (dev.empty() || dev.find('%') != std::string::npos)
		throw std::runtime_error("bad device name '" + dev + "'");
	NetnsScope in(ns);
	int fd = open_tun(dev, true);
	try {
		if (mtu)
			set_mtu(dev, *mtu);
		link_up(dev);
	} catch (...) {
		close(fd);
		throw;
	}
	return fd;
}

void pin_to_cpu(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		die("sched_setaffinity " + std::to_string(cpu));
}

std::vector<std::string> split(const std::string &s, char sep, size_t max)
{
	std::vector<std::string> out;
	size_t start = 0, pos;
	while ((max == 0 || out.size() + 1 < max) && (pos = s.find(sep, start)) != std::string::npos) {
		out.push_back(s.substr(start, pos - start));
		start = pos + 1;
	}
	out.push_back(s.substr(start));
	return out;
}

}  // namespace pkt
