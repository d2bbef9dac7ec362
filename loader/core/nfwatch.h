// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// Tells when the netfilter ruleset of this network namespace changes, so a
// daemon can put back a rule someone flushed without dumping the ruleset.
#pragma once

#include <memory>

struct mnl_socket;

namespace dupgre {

// A netlink socket in nf_tables' multicast group (NFNLGRP_NFTABLES): the
// kernel sends every ruleset change there, the objects changed and an
// NFT_MSG_NEWGEN closing each transaction. iptables-nft, nft and OpenWrt's
// fw4 all go through nf_tables; legacy iptables (x_tables' setsockopt)
// sends nothing, so whoever watches needs a slow re-check as well.
class NetfilterWatch {
public:
	NetfilterWatch();  // throws Error (needs CAP_NET_ADMIN)
	int fd() const;    // poll for POLLIN
	// Reads whatever is pending without blocking; true when anything came,
	// or the socket overran (ENOBUFS: changes were lost, so something changed).
	bool drain();

private:
	struct Close {
		void operator()(mnl_socket *s) const;
	};
	std::unique_ptr<mnl_socket, Close> nl_;
};

}  // namespace dupgre
