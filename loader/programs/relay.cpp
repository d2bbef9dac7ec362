// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "programs/relay.h"

#include <net/if.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>

#include "core/bpffs.h"
#include "core/kernel.h"
#include "core/pins.h"
#include "core/program.h"
#include "relay.skel.h"

namespace dupgre {

DUPGRE_SKELETON(relay_bpf);

const CounterSchema &relay_schema()
{
	static const CounterSchema schema = DUPGRE_SCHEMA("relay", RELAY_COUNTERS, RELAY_FAMILIES);
	return schema;
}

namespace {

relay_site site_key(const IpAddr &a)
{
	relay_site k{};
	static_assert(sizeof(k.addr) == sizeof(a.bytes));
	memcpy(k.addr, a.bytes.data(), sizeof(k.addr));
	return k;
}

IpAddr site_addr(const relay_site &k)
{
	IpAddr a;
	memcpy(a.bytes.data(), k.addr, sizeof(k.addr));
	return a;
}

// The record of link name: the program reads whether the stack forwards
// IPv6 from it (struct relay_link).
relay_link link_record(const std::string &name)
{
	relay_link l{};
	memcpy(l.name, name.c_str(), std::min(name.size(), sizeof(l.name) - 1));
	l.ipv6_forwards = ipv6_forwards_from(name);
	return l;
}

// The sites registered on ifindex.
std::vector<relay_site> sites_on(int peers_fd, __u32 ifindex)
{
	std::vector<relay_site> out;
	for (const relay_site &k : map_keys<relay_site>(peers_fd)) {
		relay_peer p;
		if (bpf_map_lookup_elem(peers_fd, &k, &p) == 0 && p.ifindex == ifindex)
			out.push_back(k);
	}
	return out;
}

}  // namespace

// One program, loaded once and pinned, on the ingress of every link.
const ProgramSpec relay_program = {"relay", relay_filter, {"peers", "stats", "links"}, relay_schema()};

RelayState::RelayState() : dir_(state_root() + "/relay") {}

bool RelayState::exists() const
{
	return path_exists(pin("prog"));
}

void RelayState::create()
{
	TcProgram<relay_bpf> prog(relay_program, dir_);
	prog.load();
	prog.pin();
}

// Removes a link's record, counters and peers; detaches the relay from it
// if it is still there.
void RelayState::unregister_link(__u32 ifindex, bool detach)
{
	Fd peers = open_pinned(pin("peers")), stats = open_pinned(pin("stats")),
	   links = open_pinned(pin("links"));
	for (const relay_site &k : sites_on(peers.get(), ifindex))
		bpf_map_delete_elem(peers.get(), &k);
	if (detach)
		tc_detach(ifindex, relay_program.filter, prog_id(open_pinned(pin("prog")).get()));
	else
		forget_device(ifindex);
	bpf_map_delete_elem(stats.get(), &ifindex);
	bpf_map_delete_elem(links.get(), &ifindex);
}

// Pins of an older layout (an upgrade of dupgre): the old program comes off
// every link, the state is made anew for this build, and every link that is
// still there is registered again with its sites (read only if the peers
// map still fits; the links record is made anew from the device).
void RelayState::replace_outdated_pins()
{
	if (!exists())
		return;
	TcProgram<relay_bpf> probe(relay_program, dir_);
	if (probe.pins_fit())
		return;
	std::map<__u32, std::vector<IpAddr>> sites;
	if (probe.pin_fits("peers")) {
		Fd peers = open_pinned(pin("peers"));
		for (const relay_site &k : map_keys<relay_site>(peers.get())) {
			relay_peer p;
			if (bpf_map_lookup_elem(peers.get(), &k, &p) == 0)
				sites[p.ifindex].push_back(site_addr(k));
		}
	}
	__u32 old_prog = prog_id(open_pinned(pin("prog")).get());
	for (const auto &[ifindex, addrs] : sites)
		tc_detach(static_cast<int>(ifindex), relay_program.filter, old_prog);
	forget(relay_program, dir_);
	fprintf(stderr, "dupgre-ctl: the relay's pinned state was an older dupgre's: made anew\n");
	for (const auto &[ifindex, addrs] : sites) {
		char name[IF_NAMESIZE];
		auto dev = if_indextoname(ifindex, name) ? find_device(name) : std::nullopt;
		if (dev)
			add(*dev, addrs);
	}
}

void RelayState::add(const NetDevice &dev, const std::vector<IpAddr> &addrs)
{
	replace_outdated_pins();
	if (dev.has_mac_header() || !dev.takes_l3_packets())
		throw Error("relay link " + dev.name + " is an " + dev.type_name() +
			    " device; dual links are L3 tunnels (ppp, tun, wireguard, gre, ipip)");
	if (dev.is_ppp())
		require_ppp_redirect(dev.name);

	Rollback rollback;
	if (!exists()) {
		create();
		rollback.add([this] { forget(relay_program, dir_); });
	}
	Fd prog = open_pinned(pin("prog"));
	Fd peers = open_pinned(pin("peers")), stats = open_pinned(pin("stats")),
	   links = open_pinned(pin("links"));

	// The same link name under an old ifindex: the link went down and came
	// back, and its old registration is void. Every other link's record is
	// written again: whether the stack forwards IPv6 from it follows
	// all.forwarding, which is one for all of them, and this is the
	// refresh point the program relies on (bpf/relay.bpf.c, stack_forwards).
	auto ifindex = static_cast<__u32>(dev.ifindex);
	for (__u32 old : keys_u32(links.get())) {
		relay_link l;
		if (old == ifindex || bpf_map_lookup_elem(links.get(), &old, &l) != 0)
			continue;
		if (dev.name == l.name) {
			unregister_link(old, false);
			continue;
		}
		std::string name(l.name, strnlen(l.name, sizeof(l.name)));
		relay_link now = link_record(name);
		check(bpf_map_update_elem(links.get(), &old, &now, BPF_EXIST), "refreshing link " + name);
	}

	relay_link link = link_record(dev.name), was;
	bool fresh = bpf_map_lookup_elem(links.get(), &ifindex, &was) != 0;
	check(bpf_map_update_elem(links.get(), &ifindex, &link, fresh ? BPF_NOEXIST : BPF_EXIST),
	      "registering link");
	if (fresh) {
		clear_percpu_row(stats.get(), &ifindex, RELAY_COUNTER_MAX);
		rollback.add([this, ifindex] { unregister_link(ifindex, true); });
	}
	for (const IpAddr &a : addrs) {
		relay_site k = site_key(a);
		relay_peer p{ifindex};
		check(bpf_map_update_elem(peers.get(), &k, &p, BPF_ANY), "registering peer " + a.str());
	}
	tc_attach(dev.ifindex, relay_program.filter, prog.get());
	rollback.commit();
}

bool RelayState::del(const std::string &dev, const std::vector<IpAddr> &addrs)
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
		for (const IpAddr &a : addrs) {
			relay_site k = site_key(a);
			relay_peer p;
			if (bpf_map_lookup_elem(peers.get(), &k, &p) == 0 && p.ifindex == ifindex)
				bpf_map_delete_elem(peers.get(), &k);
		}
		if (sites_on(peers.get(), ifindex).empty())
			unregister_link(ifindex, here);
	}
	if (count_keys(links.get()) == 0)
		forget(relay_program, dir_);
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
		r.attach_mode = running_mode(relay_program, r.name, ifindex, prog);
		r.attached = r.attach_mode.has_value();
		r.created_qdisc = clsact_created_by_dupgre(ifindex);
		for (const relay_site &k : sites_on(peers.get(), ifindex))
			r.peers.push_back(site_addr(k));
		std::sort(r.peers.begin(), r.peers.end());
		auto c = sum_percpu_row(stats.get(), &ifindex, RELAY_COUNTER_MAX);
		std::copy(c.begin(), c.end(), r.counters.begin());
		out.push_back(r);
	}
	std::sort(out.begin(), out.end(), [](const RelayLink &a, const RelayLink &b) { return a.name < b.name; });
	return out;
}

}  // namespace dupgre
