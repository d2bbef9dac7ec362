// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// The clone program under BPF_PROG_TEST_RUN, cloning into a TUN device this
// process holds open and never lets anything out of.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "dupgre/clone.h"
#include "packet.h"

struct clone_bpf;

using Counters = std::array<long long, CLONE_COUNTER_MAX>;

// What the program decided for one packet: the one outcome counter that moved.
enum class Outcome {
	not_ipv4,
	malformed,
	no_peer,
	fragment,
	no_match,
	gre_data,
	gre_lcp_echo,
	pptp_echo,
};
const char *outcome_name(Outcome o);

class CloneProg {
public:
	explicit CloneProg(bool l3_device, unsigned clone_mtu = 1500, const char *snat_private = nullptr,
			   const char *snat_public = nullptr);
	~CloneProg();
	CloneProg(const CloneProg &) = delete;
	CloneProg &operator=(const CloneProg &) = delete;

	void add_peer(const char *addr);
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

extern const char *const default_peer;  // pkt::Ipv4's default daddr
