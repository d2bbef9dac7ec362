// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "programs/clone.h"

#include <arpa/inet.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
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

const ProgramSpec clone_program = {
	"clone", clone_filter, {"peers", "wg_peers", "stats", "info", "copy", "copy_stash"}, clone_schema()};


namespace {

wg_peer_key wg_key(const IpAddr &addr, uint16_t port)
{
	wg_peer_key k{};
	memcpy(k.addr, addr.bytes.data(), sizeof(k.addr));
	k.port = htons(port);
	return k;
}

// The endpoints, without the per-address entries (port 0).
std::vector<Endpoint> wg_endpoints(int fd)
{
	std::vector<Endpoint> out;
	for (const wg_peer_key &k : map_keys<wg_peer_key>(fd)) {
		if (!k.port)
			continue;
		Endpoint e;
		memcpy(e.addr.bytes.data(), k.addr, sizeof(k.addr));
		e.port = ntohs(k.port);
		out.push_back(e);
	}
	std::sort(out.begin(), out.end());
	return out;
}

}  // namespace

std::string CloneStatus::state() const
{
	if (!info.attached)
		return "detached";
	return device_present && filter_present ? "attached" : "stale";
}

CloneState::CloneState(const std::string &device) : device_(device)
{
	validate_ifname(device);
	dir_ = state_root() + "/clone/" + device_pin_name(device);
}

std::vector<std::string> CloneState::devices()
{
	return list_device_dirs(state_root() + "/clone");
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
		st.attach_mode = running_mode(clone_program, device_, inf->ifindex, inf->prog_id);
		st.filter_present = st.attach_mode.has_value();
		st.created_qdisc = clsact_created_by_dupgre(dev->ifindex);
	}
	if (inf->attached) {
		auto target = find_device(inf->target_name);
		st.target_present = target && target->ifindex == static_cast<int>(inf->target_ifindex);
	}
	st.peers = peer_count(*inf);
	return st;
}

size_t CloneState::peer_count(const clone_info &inf) const
{
	if (static_cast<Tunnel>(inf.tunnel) == Tunnel::wireguard)
		return wg_endpoints(open_pinned(pin("wg_peers")).get()).size();
	return count_keys(open_pinned(pin("peers")).get());
}

std::optional<Tunnel> CloneState::tunnel() const
{
	auto inf = info();
	if (!inf)
		return std::nullopt;
	return static_cast<Tunnel>(inf->tunnel);
}

void CloneState::require_tunnel(Tunnel tunnel) const
{
	auto have = this->tunnel();
	if (have && *have != tunnel)
		throw Error(device_ + " clones " + tunnel_name(*have) + ", not " + tunnel_name(tunnel) +
			    ": remove its peers or detach it first");
}

std::vector<Endpoint> CloneState::endpoints() const
{
	if (!exists())
		return {};
	return wg_endpoints(open_pinned(pin("wg_peers")).get());
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

void CloneState::replace_outdated_pins()
{
	if (!exists())
		return;
	TcProgram<clone_bpf> probe(clone_program, dir_);
	bool stats_fit = probe.pin_fits("stats");
	if (!stats_fit) {
		// The running program keeps the old map until it is replaced;
		// its counts start over, as after a reset.
		unlink(pin("stats").c_str());
		fprintf(stderr, "dupgre-ctl: %s's clone counters were an older dupgre's: made anew\n",
			device_.c_str());
	}
	if (!stats_fit || !path_exists(pin("copy")) || !path_exists(pin("copy_stash")))
		probe.load(true);  // makes what is missing, reuses the rest
}

void CloneState::set_copy_policy(const std::vector<IpAddr> &addrs, const CopyPolicy &copy)
{
	validate(copy);
	if (!exists())
		return;
	replace_outdated_pins();
	for (const IpAddr &a : addrs)
		copy_policies().set(a, copy);
}

void CloneState::create_maps(const NetDevice &dev, Tunnel tunnel)
{
	TcProgram<clone_bpf>(clone_program, dir_).load(true);
	clone_info info{};
	info.ifindex = dev.ifindex;
	info.l3_device = !dev.has_mac_header();
	info.tunnel = static_cast<__u8>(tunnel);
	write_info(pin("info"), info);
}

void CloneState::attach(const NetDevice &dev, const NetDevice &target,
			const std::optional<std::pair<Ipv4, Ipv4>> &snat, Tunnel tunnel)
{
	if (snat && tunnel != Tunnel::pptp)
		throw UsageError("--snat is for --tunnel pptp only");
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

	replace_outdated_pins();
	Rollback rollback;
	auto old = info();
	// Peers are kept in the tunnel's own map: switching with peers would
	// leave them unused.
	if (old && static_cast<Tunnel>(old->tunnel) != tunnel && peer_count(*old) > 0)
		require_tunnel(tunnel);
	if (!old) {
		create_maps(dev, tunnel);
		rollback.add([this] { forget(clone_program, dir_); });
		old = info();
	}
	// Same device instance, our filter in place: a retarget, swapped in
	// place so duplication never stops.
	bool retarget = old->attached && runs_here(clone_program, device_, old->ifindex, old->prog_id);
	if (old->ifindex != static_cast<__u32>(dev.ifindex))
		forget_device(static_cast<int>(old->ifindex));  // the device came back: the old one is gone

	TcProgram<clone_bpf> prog(clone_program, dir_);
	prog->rodata->clone_ifindex = target.ifindex;
	prog->rodata->clone_mtu = target.mtu;
	prog->rodata->l3_device = !dev.has_mac_header();
	prog->rodata->tunnel = static_cast<__u32>(tunnel);
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
	inf.tunnel = static_cast<__u8>(tunnel);
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
	if (keep_peers && peer_count(*inf) > 0) {
		unlink(pin("prog").c_str());
		clone_info kept{};
		kept.ifindex = inf->ifindex;
		kept.l3_device = inf->l3_device;
		kept.tunnel = inf->tunnel;
		write_info(pin("info"), kept);
		return true;
	}
	forget(clone_program, dir_);
	return true;
}

void CloneState::add_peers(const NetDevice &dev, const std::vector<Ipv4> &addrs, const CopyPolicy &copy)
{
	require_tunnel(Tunnel::pptp);
	validate(copy);
	replace_outdated_pins();
	Rollback undo_create;
	if (!exists()) {
		create_maps(dev, Tunnel::pptp);
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
	for (const Ipv4 &a : addrs)
		copy_policies().set(IpAddr::from_ipv4(a), copy);
	undo_add.commit();
	undo_create.commit();
}

void CloneState::del_peers(const std::vector<Ipv4> &addrs)
{
	auto inf = info();
	if (!inf)
		return;
	require_tunnel(Tunnel::pptp);
	Fd map = open_pinned(pin("peers"));
	for (const Ipv4 &a : addrs) {
		int err = bpf_map_delete_elem(map.get(), &a.be);
		if (err && err != -ENOENT)
			check(err, "removing peer " + a.str());
		copy_policies().erase(IpAddr::from_ipv4(a));
	}
	if (!inf->attached && count_keys(map.get()) == 0)
		forget(clone_program, dir_);
}

void CloneState::add_endpoints(const NetDevice &dev, const std::vector<Endpoint> &eps, const CopyPolicy &copy)
{
	require_tunnel(Tunnel::wireguard);
	validate(copy);
	replace_outdated_pins();
	Rollback undo_create;
	if (!exists()) {
		create_maps(dev, Tunnel::wireguard);
		undo_create.add([this] { forget(clone_program, dir_); });
	}
	Fd map = open_pinned(pin("wg_peers"));
	std::set<Endpoint> fresh;
	for (const Endpoint &e : eps) {
		wg_peer_key k = wg_key(e.addr, e.port);
		__u32 present;
		if (bpf_map_lookup_elem(map.get(), &k, &present) != 0)
			fresh.insert(e);
	}
	size_t have = wg_endpoints(map.get()).size();
	if (have + fresh.size() > DUPGRE_MAX_PEERS)
		throw Error("peer table of " + device_ + " is full: " + std::to_string(have) + " + " +
			    std::to_string(fresh.size()) + " > " + std::to_string(DUPGRE_MAX_PEERS));
	Rollback undo_add;  // declared after map: runs while its fd is open
	for (const Endpoint &e : fresh) {
		// The address entry first (how many ports it has), then the endpoint.
		wg_peer_key addr_key = wg_key(e.addr, 0), k = wg_key(e.addr, e.port);
		__u32 ports = 0, one = 1;
		bpf_map_lookup_elem(map.get(), &addr_key, &ports);
		__u32 more = ports + 1;
		check(bpf_map_update_elem(map.get(), &addr_key, &more, BPF_ANY), "adding peer " + e.str());
		int fd = map.get();
		undo_add.add([fd, addr_key, ports] {
			if (ports)
				bpf_map_update_elem(fd, &addr_key, &ports, BPF_ANY);
			else
				bpf_map_delete_elem(fd, &addr_key);
		});
		check(bpf_map_update_elem(map.get(), &k, &one, BPF_NOEXIST), "adding peer " + e.str());
		undo_add.add([fd, k] { bpf_map_delete_elem(fd, &k); });
	}
	for (const Endpoint &e : eps)
		copy_policies().set(e.addr, copy);
	undo_add.commit();
	undo_create.commit();
}

void CloneState::del_endpoints(const std::vector<Endpoint> &eps)
{
	auto inf = info();
	if (!inf)
		return;
	require_tunnel(Tunnel::wireguard);
	Fd map = open_pinned(pin("wg_peers"));
	for (const Endpoint &e : std::set<Endpoint>(eps.begin(), eps.end())) {
		wg_peer_key k = wg_key(e.addr, e.port), addr_key = wg_key(e.addr, 0);
		int err = bpf_map_delete_elem(map.get(), &k);
		if (err == -ENOENT)
			continue;
		check(err, "removing peer " + e.str());
		__u32 ports = 0;
		bpf_map_lookup_elem(map.get(), &addr_key, &ports);
		if (ports > 1) {
			__u32 fewer = ports - 1;
			check(bpf_map_update_elem(map.get(), &addr_key, &fewer, BPF_ANY), "removing peer " + e.str());
		} else {
			err = bpf_map_delete_elem(map.get(), &addr_key);
			if (err && err != -ENOENT)
				check(err, "removing peer " + e.str());
			copy_policies().erase(e.addr);  // its last port
		}
	}
	if (!inf->attached && wg_endpoints(map.get()).empty())
		forget(clone_program, dir_);
}

}  // namespace dupgre
