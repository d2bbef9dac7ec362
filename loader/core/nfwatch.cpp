// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "core/nfwatch.h"

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <vector>

#include "core/error.h"

namespace dupgre {

void NetfilterWatch::Close::operator()(mnl_socket *s) const
{
	mnl_socket_close(s);
}

NetfilterWatch::NetfilterWatch()
{
	nl_.reset(mnl_socket_open2(NETLINK_NETFILTER, SOCK_NONBLOCK | SOCK_CLOEXEC));
	if (!nl_)
		throw Error("opening a netfilter netlink socket: " + strerror_text(-errno));
	if (mnl_socket_bind(nl_.get(), 0, MNL_SOCKET_AUTOPID) < 0)
		throw Error("binding the netfilter netlink socket: " + strerror_text(-errno));
	int group = NFNLGRP_NFTABLES;
	if (mnl_socket_setsockopt(nl_.get(), NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) < 0)
		throw Error("subscribing to nf_tables' ruleset changes: " + strerror_text(-errno));
}

int NetfilterWatch::fd() const
{
	return mnl_socket_get_fd(nl_.get());
}

bool NetfilterWatch::drain()
{
	// What changed does not matter, only that something did: the caller
	// looks at the one rule it keeps.
	std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
	bool changed = false;
	for (;;) {
		ssize_t n = recv(fd(), buf.data(), buf.size(), MSG_DONTWAIT);
		if (n > 0 || (n < 0 && errno == ENOBUFS)) {
			changed = true;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		return changed;
	}
}

}  // namespace dupgre
