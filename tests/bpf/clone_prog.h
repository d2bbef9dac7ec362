// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// The clone program under BPF_PROG_TEST_RUN, cloning into a TUN device this
// process holds open and never lets anything out of.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "dupgre/clone.h"
#include "dupgre/copy.h"
#include "packet.h"

#include <doctest/doctest.h>

struct clone_bpf;

using Counters = std::array<long long, CLONE_COUNTER_MAX>;

// What the program decided for one packet: the one outcome counter that
// moved, CLONE_NOT_IPV4 to CLONE_MATCH_WG_DATA (printed by its schema name).
using Outcome = clone_counter;
inline constexpr unsigned first_outcome = CLONE_NOT_IPV4, last_outcome = CLONE_MATCH_WG_DATA;

class CloneProg {
public:
	explicit CloneProg(bool l3_device, unsigned clone_mtu = 1500, const char *snat_private = nullptr,
			   const char *snat_public = nullptr, dupgre_tunnel tunnel = DUPGRE_TUNNEL_PPTP);
	// The WireGuard profile, with default_wg_peers as endpoints.
	static CloneProg wireguard(bool l3_device, unsigned clone_mtu = 1500);
	~CloneProg();
	CloneProg(const CloneProg &) = delete;
	CloneProg &operator=(const CloneProg &) = delete;

	void add_peer(const char *addr);
	// A WireGuard endpoint, as dupgre-ctl adds it (the address entry too).
	void add_wg_peer(const char *addr, uint16_t port);
	// The copy policy of the peer at addr (IPv4 or IPv6), with every CPU's
	// stash empty, as dupgre-ctl sets it; and the policy as it is now.
	void set_copy(const char *addr, const copy_policy &v);
	copy_policy copy(const char *addr);
	// Runs one packet; checks the verdict is TC_ACT_UNSPEC and the packet
	// unchanged; returns the counter deltas.
	Counters run(const pkt::Bytes &frame);
	// The single outcome of one run (fails the test if not exactly one).
	Outcome decide(const pkt::Bytes &frame);
	// Packets cloned into the TUN device since the last call.
	std::vector<pkt::Bytes> clones();

private:
	Counters read_counters();
	clone_bpf *skel_;
	int tun_fd_;
};

extern const char *const default_peer;
// The WireGuard profile's peers: default_peer and default_peer6, port 51820.
extern const char *const default_peer6;

namespace doctest {
template <> struct StringMaker<clone_counter> {
	static String convert(clone_counter c);
};
}  // namespace doctest  // pkt::Ipv4's default daddr
