// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "programs/clone.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include "clone.skel.h"
#include "core/bpffs.h"
#include "core/kernel.h"
#include "core/pins.h"
#include "core/program.h"

namespace dupgre {

DUPGRE_SKELETON(clone_bpf);

const CounterSchema &clone_schema()
{
	static const CounterSchema schema = DUPGRE_SCHEMA("clone", CLONE_COUNTERS, CLONE_FAMILIES);
	return schema;
}

const ProgramSpec clone_program = {"clone", clone_filter, {"peers", "stats", "info"}, clone_schema()};

std::string CloneStatus::state() const
{
	if (!info.attached)
		return "detached";
	return device_present && filter_present ? "attached" : "stale";
}

CloneState::CloneState(const std::string &device) : device_(device)
{
	validate_ifname(device);
	dir_ = state_root() + "/clone/" + device;
}

std::vector<std::string> CloneState::devices()
{
	return list_dir(state_root() + "/clone");
}

bool CloneState::exists() const
{
	return path_exists(pin("info"));
}

std::optional<clone_info> CloneState::info() const
{
	if (!exists())
		return std::nullopt;
	return read_info<clone_info>(pin("info"));
}

CloneStatus CloneState::status() const
{
	CloneStatus st;
	st.device = device_;
	auto inf = info();
	if (!inf)
		return st;
	st.info = *inf;
	auto dev = find_device(device_);
	st.device_present = dev && dev->ifindex == static_cast<int>(inf->ifindex);
	if (st.device_present && inf->attached) {
		st.filter_present = runs_here(clone_program, device_, inf->ifindex, inf->prog_id);
		st.created_qdisc = clsact_created_by_dupgre(dev->ifindex);
	}
	if (inf->attached) {
		auto target = find_device(inf->target_name);
		st.target_present = target && target->ifindex == static_cast<int>(inf->target_ifindex);
	}
	st.peers = count_keys(open_pinned(pin("peers")).get());
	return st;
}

std::vector<Ipv4> CloneState::peers() const
{
	std::vector<Ipv4> out;
	if (!exists())
		return out;
	for (__u32 key : keys_u32(open_pinned(pin("peers")).get()))
		out.push_back(Ipv4{key});
	std::sort(out.begin(), out.end());
	return out;
}

CloneCounters CloneState::counters() const
{
	CloneCounters sums{};
	if (!exists())
		return sums;
	__u32 key = 0;
	auto v = sum_percpu_row(open_pinned(pin("stats")).get(), &key, CLONE_COUNTER_MAX);
	std::copy(v.begin(), v.end(), sums.begin());
	return sums;
}

void CloneState::create_maps(const NetDevice &dev)
{
	TcProgram<clone_bpf>(clone_program, dir_).load(true);
	clone_info info{};
	info.ifindex = dev.ifindex;
	info.l3_device = !dev.has_mac_header();
	write_info(pin("info"), info);
}

void CloneState::attach(const NetDevice &dev, const NetDevice &target,
			const std::optional<std::pair<Ipv4, Ipv4>> &snat)
{
	if (dev.ifindex == target.ifindex)
		throw Error("clone target " + target.name + " is the device itself");
	if (!dev.has_mac_header() && !dev.takes_l3_packets())
		throw Error("cannot attach to " + dev.name + ": unsupported device type " +
			    dev.type_name());
	if (!target.takes_l3_packets())
		throw Error("clone target " + target.name + " is an " + target.type_name() +
			    " device; clones go into a tunnel device (ppp, tun, ipip, wireguard)");
	if (target.is_ppp())
		require_ppp_redirect(target.name);

	Rollback rollback;
	auto old = info();
	if (!old) {
		create_maps(dev);
		rollback.add([this] { forget(clone_program, dir_); });
		old = info();
	}
	// Same device instance, our filter in place: a retarget, swapped in
	// place so duplication never stops.
	bool retarget = old->attached && runs_here(clone_program, device_, old->ifindex, old->prog_id);

	TcProgram<clone_bpf> prog(clone_program, dir_);
	prog->rodata->clone_ifindex = target.ifindex;
	prog->rodata->clone_mtu = target.mtu;
	prog->rodata->l3_device = !dev.has_mac_header();
	if (snat) {
		prog->rodata->snat_private = snat->first.be;
		prog->rodata->snat_public = snat->second.be;
	}
	prog.load();
	__u32 id = prog.attach(dev.ifindex, rollback, retarget);
	prog.pin();

	clone_info inf{};
	inf.ifindex = dev.ifindex;
	inf.target_ifindex = target.ifindex;
	inf.target_mtu = target.mtu;
	inf.prog_id = id;
	inf.attached = 1;
	inf.l3_device = !dev.has_mac_header();
	memcpy(inf.target_name, target.name.c_str(),
	       std::min(target.name.size(), sizeof(inf.target_name) - 1));
	if (snat) {
		inf.snat_private = snat->first.be;
		inf.snat_public = snat->second.be;
	}
	write_info(pin("info"), inf);
	rollback.commit();
}

bool CloneState::detach(bool keep_peers)
{
	auto inf = info();
	if (!inf)
		return false;
	if (inf->attached)
		dupgre::detach(clone_program, device_, inf->ifindex, inf->prog_id);
	if (keep_peers && count_keys(open_pinned(pin("peers")).get()) > 0) {
		unlink(pin("prog").c_str());
		clone_info kept{};
		kept.ifindex = inf->ifindex;
		kept.l3_device = inf->l3_device;
		write_info(pin("info"), kept);
		return true;
	}
	forget(clone_program, dir_);
	return true;
}

void CloneState::add_peers(const NetDevice &dev, const std::vector<Ipv4> &addrs)
{
	Rollback undo_create;
	if (!exists()) {
		create_maps(dev);
		undo_create.add([this] { forget(clone_program, dir_); });
	}
	Fd map = open_pinned(pin("peers"));
	std::set<Ipv4> fresh;
	for (const Ipv4 &a : addrs) {
		__u8 present;
		if (bpf_map_lookup_elem(map.get(), &a.be, &present) != 0)
			fresh.insert(a);
	}
	size_t have = count_keys(map.get());
	if (have + fresh.size() > DUPGRE_MAX_PEERS)
		throw Error("peer table of " + device_ + " is full: " + std::to_string(have) + " + " +
			    std::to_string(fresh.size()) + " > " + std::to_string(DUPGRE_MAX_PEERS));
	Rollback undo_add;  // declared after map: runs while its fd is open
	for (const Ipv4 &a : fresh) {
		__u8 one = 1;
		check(bpf_map_update_elem(map.get(), &a.be, &one, BPF_NOEXIST), "adding peer " + a.str());
		undo_add.add([fd = map.get(), a] { bpf_map_delete_elem(fd, &a.be); });
	}
	undo_add.commit();
	undo_create.commit();
}

void CloneState::del_peers(const std::vector<Ipv4> &addrs)
{
	auto inf = info();
	if (!inf)
		return;
	Fd map = open_pinned(pin("peers"));
	for (const Ipv4 &a : addrs) {
		int err = bpf_map_delete_elem(map.get(), &a.be);
		if (err && err != -ENOENT)
			check(err, "removing peer " + a.str());
	}
	if (!inf->attached && count_keys(map.get()) == 0)
		forget(clone_program, dir_);
}

}  // namespace dupgre
