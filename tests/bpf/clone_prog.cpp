// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "clone_prog.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/pkt_cls.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <bpf/bpf.h>

#include "clone.skel.h"
#include "core/counters.h"
#include "programs/clone.h"
#include "sys.h"
#include "test_run.h"

const char *const default_peer = "198.18.1.1";
const char *const default_peer6 = "2001:db8:1::1";

namespace doctest {
String StringMaker<clone_counter>::convert(clone_counter c)
{
	return dupgre::clone_schema().name(c);
}
}  // namespace doctest

static int open_tun(const char *name, int *ifindex)
{
	int fd = pkt::open_tun(name);
	*ifindex = pkt::link_up(name);
	return fd;
}

CloneProg::CloneProg(bool l3_device, unsigned clone_mtu, const char *snat_private,
		     const char *snat_public, dupgre_tunnel tunnel)
{
	static int seq;
	std::string name = "dtest" + std::to_string(seq++);
	int ifindex;
	tun_fd_ = open_tun(name.c_str(), &ifindex);
	skel_ = clone_bpf__open();
	if (!skel_)
		throw std::runtime_error("clone_bpf__open failed");
	skel_->rodata->clone_ifindex = ifindex;
	skel_->rodata->clone_mtu = clone_mtu;
	skel_->rodata->l3_device = l3_device;
	skel_->rodata->tunnel = tunnel;
	if (snat_private) {
		skel_->rodata->snat_private = htonl(pkt::addr(snat_private));
		skel_->rodata->snat_public = htonl(pkt::addr(snat_public));
	}
	if (clone_bpf__load(skel_))
		throw std::runtime_error("clone_bpf__load failed");
	check_jited(skel_->obj);
	add_peer(default_peer);
	if (tunnel == DUPGRE_TUNNEL_WIREGUARD) {
		add_wg_peer(default_peer, 51820);
		add_wg_peer(default_peer6, 51820);
	}
}

CloneProg CloneProg::wireguard(bool l3_device, unsigned clone_mtu)
{
	return CloneProg(l3_device, clone_mtu, nullptr, nullptr, DUPGRE_TUNNEL_WIREGUARD);
}

void CloneProg::add_wg_peer(const char *addr, uint16_t port)
{
	wg_peer_key key{};
	auto *bytes = reinterpret_cast<uint8_t *>(key.addr);
	if (inet_pton(AF_INET6, addr, bytes) != 1) {
		bytes[10] = bytes[11] = 0xff;
		REQUIRE(inet_pton(AF_INET, addr, bytes + 12) == 1);
	}
	__u32 one = 1;
	// The address entry counts its ports; these tests add one port per address.
	REQUIRE(bpf_map__update_elem(skel_->maps.wg_peers, &key, sizeof(key), &one, sizeof(one), BPF_ANY) == 0);
	key.port = htons(port);
	REQUIRE(bpf_map__update_elem(skel_->maps.wg_peers, &key, sizeof(key), &one, sizeof(one), BPF_ANY) == 0);
}

static copy_key copy_key_of(const char *addr)
{
	copy_key key{};
	auto *bytes = reinterpret_cast<uint8_t *>(key.addr);
	if (inet_pton(AF_INET6, addr, bytes) != 1) {
		bytes[10] = bytes[11] = 0xff;
		REQUIRE(inet_pton(AF_INET, addr, bytes + 12) == 1);
	}
	return key;
}

void CloneProg::set_copy(const char *addr, const copy_policy &v)
{
	copy_key key = copy_key_of(addr);
	std::vector<copy_stash> empty(static_cast<size_t>(libbpf_num_possible_cpus()));
	REQUIRE(bpf_map__update_elem(skel_->maps.copy_stash, &key, sizeof(key), empty.data(),
				     empty.size() * sizeof(copy_stash), BPF_ANY) == 0);
	REQUIRE(bpf_map__update_elem(skel_->maps.copy, &key, sizeof(key), &v, sizeof(v), BPF_ANY | BPF_F_LOCK) == 0);
}

copy_policy CloneProg::copy(const char *addr)
{
	copy_key key = copy_key_of(addr);
	copy_policy v{};
	REQUIRE(bpf_map__lookup_elem(skel_->maps.copy, &key, sizeof(key), &v, sizeof(v), BPF_F_LOCK) == 0);
	return v;
}

CloneProg::~CloneProg()
{
	clone_bpf__destroy(skel_);
	close(tun_fd_);
}

void CloneProg::add_peer(const char *addr)
{
	__u32 key = htonl(pkt::addr(addr));
	__u8 one = 1;
	REQUIRE(bpf_map__update_elem(skel_->maps.peers, &key, sizeof(key), &one, 1, BPF_ANY) == 0);
}

Counters CloneProg::read_counters()
{
	Counters c{};
	__u32 key = 0;
	auto row = dupgre::sum_percpu_row(bpf_map__fd(skel_->maps.stats), &key, CLONE_COUNTER_MAX);
	std::copy(row.begin(), row.end(), c.begin());
	return c;
}

Counters CloneProg::run(const pkt::Bytes &frame)
{
	Counters before = read_counters();
	TestRun r = test_run(bpf_program__fd(skel_->progs.dupgre_clone), frame);
	CHECK(r.retval == TC_ACT_UNSPEC);
	CHECK_MESSAGE(r.out == frame, "the program changed the original packet");
	Counters after = read_counters();
	for (size_t i = 0; i < after.size(); i++)
		after[i] -= before[i];
	return after;
}

Outcome CloneProg::decide(const pkt::Bytes &frame)
{
	Counters d = run(frame);
	CHECK(d[CLONE_SEEN] == 1);
	int moved = 0;
	Outcome outcome = CLONE_NO_MATCH;
	for (unsigned o = first_outcome; o <= last_outcome; o++) {
		if (d[o]) {
			CHECK(d[o] == 1);
			outcome = static_cast<Outcome>(o);
			moved++;
		}
	}
	CHECK_MESSAGE(moved == 1, "outcome counters moved: " << moved << " for " << pkt::hex(frame));
	bool matched = outcome >= CLONE_MATCH_GRE_DATA;
	// Every match is cloned exactly once (the TUN always accepts).
	CHECK(d[CLONE_CLONED] == (matched ? 1 : 0));
	CHECK(d[CLONE_ERRORS] == 0);
	CHECK(d[CLONE_XMIT_DROPS] == 0);
	return outcome;
}

std::vector<pkt::Bytes> CloneProg::clones()
{
	std::vector<pkt::Bytes> out;
	uint8_t buf[65536];
	for (;;) {
		ssize_t n = read(tun_fd_, buf, sizeof(buf));
		if (n < 0)
			break;  // EAGAIN: the TUN queue is empty
		out.emplace_back(buf, buf + n);
	}
	return out;
}
