// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "core/netdev.h"

#include <net/if.h>
#include <net/if_arp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.h"

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
		throw Error("invalid interface name '" + name + "'");
}

namespace {

class Socket {
public:
	Socket() : fd_(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0))
	{
		if (fd_ < 0)
			throw Error(std::string("socket: ") + strerror(errno));
	}
	~Socket() { close(fd_); }
	Socket(const Socket &) = delete;
	Socket &operator=(const Socket &) = delete;

	// false when the device does not exist.
	bool ioctl_dev(unsigned long request, struct ifreq &ifr, const std::string &name)
	{
		memset(&ifr, 0, sizeof(ifr));
		memcpy(ifr.ifr_name, name.c_str(), name.size());
		if (ioctl(fd_, request, &ifr) == 0)
			return true;
		if (errno == ENODEV)
			return false;
		throw Error("reading " + name + ": " + strerror(errno));
	}

private:
	int fd_;
};

}  // namespace

std::optional<NetDevice> find_device(const std::string &name)
{
	validate_ifname(name);
	Socket sock;
	struct ifreq ifr;
	NetDevice dev;

	dev.name = name;
	if (!sock.ioctl_dev(SIOCGIFINDEX, ifr, name))
		return std::nullopt;
	dev.ifindex = ifr.ifr_ifindex;
	if (!sock.ioctl_dev(SIOCGIFHWADDR, ifr, name))
		return std::nullopt;
	dev.type = ifr.ifr_hwaddr.sa_family;
	if (!sock.ioctl_dev(SIOCGIFMTU, ifr, name))
		return std::nullopt;
	dev.mtu = ifr.ifr_mtu;
	if (!sock.ioctl_dev(SIOCGIFFLAGS, ifr, name))
		return std::nullopt;
	dev.up = ifr.ifr_flags & IFF_UP;
	return dev;
}

NetDevice require_device(const std::string &name)
{
	auto dev = find_device(name);
	if (!dev)
		throw Error("unknown device '" + name + "'");
	return *dev;
}

}  // namespace dupgre
