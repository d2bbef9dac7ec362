// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "programs/relay.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/bpf_util.h"
#include "core/bpffs.h"
#include "core/error.h"
#include "core/kernel.h"
#include "core/pins.h"
#include "relay.skel.h"
#include "core/tc.h"

namespace dupgre {

namespace {
const char *const pins[] = {"peers", "stats", "links", "prog"};
}

RelayState::RelayState() : dir_(state_root() + "/relay") {}

bool RelayState::exists() const
{
	return path_exists(pin("prog"));
}

void RelayState::create()
{
	SkelPtr<relay_bpf> skel(relay_bpf__open(), relay_bpf__destroy);
	if (!skel)
		throw Error("opening the relay program: " + strerror_text(-errno));
	make_dirs(dir_);
	check(bpf_map__set_pin_path(skel->maps.peers, pin("peers").c_str()), "setting pin path");
	check(bpf_map__set_pin_path(skel->maps.stats, pin("stats").c_str()), "setting pin path");
	check(bpf_map__set_pin_path(skel->maps.links, pin("links").c_str()), "setting pin path");
	check(relay_bpf__load(skel.get()), "loading the relay program");
	check(bpf_program__pin(skel->progs.dupgre_relay, pin("prog").c_str()),
	      "pinning " + display_path(pin("prog")));
}

void RelayState::unpin_all()
{
	for (const char *name : pins)
		unlink(pin(name).c_str());
	remove_empty_dirs(dir_);
}

// Removes a link's record, counters and peers; detaches the relay from it
// if it is still there.
void RelayState::unregister_link(__u32 ifindex, bool detach)
{
	Fd peers = open_pinned(pin("peers")), stats = open_pinned(pin("stats")),
	   links = open_pinned(pin("links"));
	for (__u32 addr : keys_u32(peers.get())) {
		relay_peer p;
		if (bpf_map_lookup_elem(peers.get(), &addr, &p) == 0 && p.ifindex == ifindex)
			bpf_map_delete_elem(peers.get(), &addr);
	}
	if (detach)
		tc_detach(ifindex, relay_filter, prog_id(open_pinned(pin("prog")).get()));
	else
		forget_clsact(ifindex);
	bpf_map_delete_elem(stats.get(), &ifindex);
	bpf_map_delete_elem(links.get(), &ifindex);
}

void RelayState::add(const NetDevice &dev, const std::vector<Ipv4> &addrs)
{
	if (dev.has_mac_header() || !dev.takes_l3_packets())
		throw Error("relay link " + dev.name + " is an " + dev.type_name() +
			    " device; dual links are tunnels (ppp, tun)");
	if (dev.is_ppp())
		require_ppp_redirect(dev.name);

	Rollback rollback;
	if (!exists()) {
		create();
		rollback.add([this] { unpin_all(); });
	}
	Fd prog = open_pinned(pin("prog"));
	Fd peers = open_pinned(pin("peers")), stats = open_pinned(pin("stats")),
	   links = open_pinned(pin("links"));

	// The same link name under an old ifindex: the link went down and came
	// back, and its old registration is void.
	auto ifindex = static_cast<__u32>(dev.ifindex);
	for (__u32 old : keys_u32(links.get())) {
		relay_link l;
		if (old != ifindex && bpf_map_lookup_elem(links.get(), &old, &l) == 0 &&
		    dev.name == l.name)
			unregister_link(old, false);
	}

	relay_link link{};
	memcpy(link.name, dev.name.c_str(), std::min(dev.name.size(), sizeof(link.name) - 1));
	bool fresh = bpf_map_lookup_elem(links.get(), &ifindex, &link) != 0;
	if (fresh) {
		check(bpf_map_update_elem(links.get(), &ifindex, &link, BPF_NOEXIST), "registering link");
		int ncpus = check(libbpf_num_possible_cpus(), "counting CPUs");
		std::vector<relay_counters> zero(ncpus);
		check(bpf_map_update_elem(stats.get(), &ifindex, zero.data(), BPF_NOEXIST),
		      "creating link counters");
		rollback.add([this, ifindex] { unregister_link(ifindex, true); });
	}
	for (const Ipv4 &a : addrs) {
		relay_peer p{ifindex};
		check(bpf_map_update_elem(peers.get(), &a.be, &p, BPF_ANY), "registering peer " + a.str());
	}
	tc_attach(dev.ifindex, relay_filter, prog.get());
	rollback.commit();
}

bool RelayState::del(const std::string &dev, const std::vector<Ipv4> &addrs)
{
	if (!exists())
		return false;
	Fd peers = open_pinned(pin("peers")), links = open_pinned(pin("links"));
	auto present = find_device(dev);
	bool found = false;
	for (__u32 ifindex : keys_u32(links.get())) {
		relay_link l;
		if (bpf_map_lookup_elem(links.get(), &ifindex, &l) != 0 || dev != l.name)
			continue;
		found = true;
		bool here = present && present->ifindex == static_cast<int>(ifindex);
		if (addrs.empty()) {
			unregister_link(ifindex, here);
			continue;
		}
		for (const Ipv4 &a : addrs) {
			relay_peer p;
			if (bpf_map_lookup_elem(peers.get(), &a.be, &p) == 0 && p.ifindex == ifindex)
				bpf_map_delete_elem(peers.get(), &a.be);
		}
		bool left = false;
		for (__u32 addr : keys_u32(peers.get())) {
			relay_peer p;
			left |= bpf_map_lookup_elem(peers.get(), &addr, &p) == 0 && p.ifindex == ifindex;
		}
		if (!left)
			unregister_link(ifindex, here);
	}
	if (count_keys(links.get()) == 0)
		unpin_all();
	return found;
}

std::vector<RelayLink> RelayState::links() const
{
	std::vector<RelayLink> out;
	if (!exists())
		return out;
	Fd peers = open_pinned(pin("peers")), stats = open_pinned(pin("stats")),
	   links = open_pinned(pin("links"));
	__u32 prog = prog_id(open_pinned(pin("prog")).get());
	for (__u32 ifindex : keys_u32(links.get())) {
		relay_link l;
		if (bpf_map_lookup_elem(links.get(), &ifindex, &l) != 0)
			continue;
		RelayLink r;
		r.name = l.name;
		r.ifindex = ifindex;
		auto dev = find_device(r.name);
		r.present = dev && dev->ifindex == static_cast<int>(ifindex);
		r.attached = r.present && tc_query(ifindex, relay_filter) == prog;
		r.created_qdisc = clsact_created_by_dupgre(ifindex);
		for (__u32 addr : keys_u32(peers.get())) {
			relay_peer p;
			if (bpf_map_lookup_elem(peers.get(), &addr, &p) == 0 && p.ifindex == ifindex)
				r.peers.push_back(Ipv4{addr});
		}
		std::sort(r.peers.begin(), r.peers.end());
		auto c = sum_percpu_value(stats.get(), &ifindex, RELAY_COUNTER_MAX);
		std::copy(c.begin(), c.end(), r.counters.begin());
		out.push_back(r);
	}
	std::sort(out.begin(), out.end(), [](const RelayLink &a, const RelayLink &b) { return a.name < b.name; });
	return out;
}

}  // namespace dupgre
