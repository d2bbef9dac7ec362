// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// Network devices as dupgre sees them: read with ioctls in the caller's
// network namespace (sysfs shows the namespace it was mounted in, which under
// `ip netns exec` or nsenter is not always ours).
#pragma once

#include <optional>
#include <string>

namespace dupgre {

struct NetDevice {
	std::string name;
	int ifindex = 0;
	unsigned type = 0;  // ARPHRD_*
	unsigned mtu = 0;
	bool up = false;       // IFF_UP: set up by the administrator
	bool running = false;  // IFF_RUNNING: and operationally up (carrier)

	// What a TC program sees at skb->data: a MAC header or the IP header.
	bool has_mac_header() const;
	// Whether bpf_redirect() hands this device a bare L3 packet (the kernel's
	// dev_is_mac_header_xmit() returning false).
	bool takes_l3_packets() const;
	bool is_ppp() const;
	std::string type_name() const;
};

// Throws Error for names the kernel could never accept.
void validate_ifname(const std::string &name);
std::optional<NetDevice> find_device(const std::string &name);
// Throws "unknown device" when absent.
NetDevice require_device(const std::string &name);

// Sets the device's MTU; 0 leaves it alone. Throws Error naming the device.
void set_mtu(const std::string &dev, unsigned mtu);

// Reverse-path filtering as the kernel applies it: the larger of
// net.ipv4.conf.all.rp_filter and the device's own value (0 off, 1 strict,
// 2 loose); -1 if unreadable.
int effective_rp_filter(const std::string &dev);
// Whether the stack forwards IPv6 that enters by dev: the kernel's own rule
// (ip6_forward), net.ipv6.conf.all.forwarding or, from Linux 6.17, dev's
// force_forwarding. Not net.ipv6.conf.DEV.forwarding, which for IPv6 makes
// dev behave as a router's interface (router advertisements, neighbour
// discovery) and forwards nothing. True when it cannot be read.
bool ipv6_forwards_from(const std::string &dev);
// The device's own rp_filter (net.ipv4.conf.DEV.rp_filter), -1 if
// unreadable; and setting it (throws Error naming the device).
int device_rp_filter(const std::string &dev);
void set_rp_filter(const std::string &dev, int value);
// Copies arrive on an interface that is not the route back to their source:
// strict mode drops them. Sets the device's own value to 2 (loose) when the
// effective value is strict; never touches "all". Returns the new effective
// value; throws Error naming the device when it cannot read or set it.
int relax_rp_filter(const std::string &dev);

}  // namespace dupgre
