// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "core/netdev.h"

#include <fcntl.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "core/error.h"
#include "core/fd.h"

// glibc's <net/if_arp.h> lags the kernel's list (and <linux/if_arp.h>
// clashes with <net/if.h>).
#ifndef ARPHRD_RAWIP
#define ARPHRD_RAWIP 519
#endif
#ifndef ARPHRD_IP6GRE
#define ARPHRD_IP6GRE 823
#endif
#ifndef ARPHRD_PIMREG
#define ARPHRD_PIMREG 779
#endif

namespace dupgre {

bool NetDevice::has_mac_header() const
{
	return type == ARPHRD_ETHER || type == ARPHRD_LOOPBACK;
}

bool NetDevice::takes_l3_packets() const
{
	switch (type) {
	case ARPHRD_TUNNEL:
	case ARPHRD_TUNNEL6:
	case ARPHRD_SIT:
	case ARPHRD_IPGRE:
	case ARPHRD_IP6GRE:
	case ARPHRD_VOID:
	case ARPHRD_NONE:
	case ARPHRD_RAWIP:
	case ARPHRD_PIMREG:
	case ARPHRD_PPP:
		return true;
	default:
		return false;
	}
}

bool NetDevice::is_ppp() const
{
	return type == ARPHRD_PPP;
}

std::string NetDevice::type_name() const
{
	switch (type) {
	case ARPHRD_ETHER:
		return "ethernet";
	case ARPHRD_LOOPBACK:
		return "loopback";
	case ARPHRD_PPP:
		return "ppp";
	case ARPHRD_NONE:
		return "none";
	case ARPHRD_RAWIP:
		return "rawip";
	case ARPHRD_TUNNEL:
		return "ipip";
	case ARPHRD_IPGRE:
		return "gre";
	default:
		return "arphrd-" + std::to_string(type);
	}
}

void validate_ifname(const std::string &name)
{
	if (name.empty() || name.size() >= IFNAMSIZ || name == "." || name == ".." ||
	    name.find_first_of("/: \t\n") != std::string::npos)
		throw UsageError("invalid interface name '" + name + "'");
}

namespace {

// A socket for device ioctls, which any address family serves.
Fd ioctl_socket(const std::string &dev)
{
	Fd fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
	if (!fd)
		throw Error(dev + ": socket: " + strerror(errno));
	return fd;
}

struct ifreq device_request(const std::string &dev)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, dev.c_str(), dev.size());
	return ifr;
}

// false when the device does not exist.
bool read_device(int fd, unsigned long request, struct ifreq &ifr, const std::string &dev)
{
	ifr = device_request(dev);
	if (ioctl(fd, request, &ifr) == 0)
		return true;
	if (errno == ENODEV)
		return false;
	throw Error("reading " + dev + ": " + strerror(errno));
}

}  // namespace

std::optional<NetDevice> find_device(const std::string &name)
{
	validate_ifname(name);
	Fd sock = ioctl_socket(name);
	struct ifreq ifr;
	NetDevice dev;

	dev.name = name;
	if (!read_device(sock.get(), SIOCGIFINDEX, ifr, name))
		return std::nullopt;
	dev.ifindex = ifr.ifr_ifindex;
	if (!read_device(sock.get(), SIOCGIFHWADDR, ifr, name))
		return std::nullopt;
	dev.type = ifr.ifr_hwaddr.sa_family;
	if (!read_device(sock.get(), SIOCGIFMTU, ifr, name))
		return std::nullopt;
	dev.mtu = ifr.ifr_mtu;
	if (!read_device(sock.get(), SIOCGIFFLAGS, ifr, name))
		return std::nullopt;
	dev.up = ifr.ifr_flags & IFF_UP;
	dev.running = ifr.ifr_flags & IFF_RUNNING;
	return dev;
}

NetDevice require_device(const std::string &name)
{
	auto dev = find_device(name);
	if (!dev)
		throw Error("unknown device '" + name + "'");
	return *dev;
}

void set_mtu(const std::string &dev, unsigned mtu)
{
	if (!mtu)
		return;
	validate_ifname(dev);
	if (mtu > INT_MAX)
		throw Error(dev + ": MTU " + std::to_string(mtu) + " is out of range");
	Fd sock = ioctl_socket(dev);
	struct ifreq ifr = device_request(dev);
	ifr.ifr_mtu = static_cast<int>(mtu);
	if (ioctl(sock.get(), SIOCSIFMTU, &ifr) < 0)
		throw Error(dev + ": setting MTU " + std::to_string(mtu) + ": " + strerror(errno));
}

namespace {

std::string rp_path(const std::string &conf)
{
	return "/proc/sys/net/ipv4/conf/" + conf + "/rp_filter";
}

// A sysctl's value, 0 to max; -1 when it cannot be read.
int read_sysctl(const std::string &path, long max)
{
	Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
	if (!fd)
		return -1;
	char buf[16];
	ssize_t len = read(fd.get(), buf, sizeof(buf) - 1);
	if (len <= 0)
		return -1;
	buf[len] = 0;
	char *end;
	long v = strtol(buf, &end, 10);
	return end == buf || v < 0 || v > max ? -1 : static_cast<int>(v);
}

int read_rp_filter(const std::string &conf)
{
	return read_sysctl(rp_path(conf), 2);
}

}  // namespace

bool ipv6_forwards_from(const std::string &dev)
{
	validate_ifname(dev);
	// No IPv6 in this kernel or namespace (ipv6.disable=1): nothing to forward.
	if (access("/proc/sys/net/ipv6", F_OK) != 0)
		return false;
	// Any value but 0 turns forwarding on (the kernel tests it for zero).
	int all = read_sysctl("/proc/sys/net/ipv6/conf/all/forwarding", INT_MAX);
	if (all != 0)
		return true;  // on, or unreadable: assume on
	// Absent before Linux 6.17, or for a device without IPv6: off.
	return read_sysctl("/proc/sys/net/ipv6/conf/" + dev + "/force_forwarding", INT_MAX) > 0;
}

int effective_rp_filter(const std::string &dev)
{
	int all = read_rp_filter("all"), own = read_rp_filter(dev);
	return all < 0 || own < 0 ? -1 : std::max(all, own);
}

int device_rp_filter(const std::string &dev)
{
	validate_ifname(dev);
	return read_rp_filter(dev);
}

void set_rp_filter(const std::string &dev, int value)
{
	validate_ifname(dev);
	const std::string path = rp_path(dev), text = std::to_string(value) + "\n";
	Fd fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
	if (!fd)
		throw Error(dev + ": cannot open " + path + ": " + strerror(errno));
	if (write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()) || close(fd.release()) < 0)
		throw Error(dev + ": cannot set " + path + " to " + std::to_string(value) + ": " + strerror(errno));
}

int relax_rp_filter(const std::string &dev)
{
	validate_ifname(dev);
	int now = effective_rp_filter(dev);
	if (now < 0)
		throw Error(dev + ": cannot read " + rp_path(dev) + " or " + rp_path("all"));
	if (now != 1)
		return now;
	set_rp_filter(dev, 2);
	return effective_rp_filter(dev);
}

}  // namespace dupgre
