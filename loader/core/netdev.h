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
	bool up = false;

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

}  // namespace dupgre
