// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#pragma once

#include <optional>
#include <string>

namespace dupgre {

struct KernelVersion {
	int major = 0, minor = 0, patch = 0;
	std::string str() const;
};

// The upstream version of a kernel from its uname release and version
// strings; distributions hide it: Debian's release is "6.1.0-13-amd64" and
// its version "#1 SMP ... Debian 6.1.55-1 (2023-09-29)"; Ubuntu's signature
// ("Ubuntu 5.15.0-91.101-generic 5.15.131") is passed as the version too.
std::optional<KernelVersion> parse_kernel_version(const std::string &release,
						  const std::string &version);
KernelVersion running_kernel();

// Whether bpf_redirect()/bpf_clone_redirect() hand a ppp device a bare IP
// packet. Before commit a4f39c9f14a6 ("net: handle ARPHRD_PPP in
// dev_is_mac_header_xmit()", v6.6, backported to the LTS series listed in
// kernel.cpp) a copy from an Ethernet device kept its MAC header and the ppp
// link sent garbage; from an L3 device the helper failed with -ERANGE.
bool redirect_strips_ppp_mac_header(const KernelVersion &v);
std::string ppp_redirect_requirement();
// Throws, naming the device, on a kernel that would send garbage into it.
void require_ppp_redirect(const std::string &ppp_device);

}  // namespace dupgre
