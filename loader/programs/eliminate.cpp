// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "programs/eliminate.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/bpf_util.h"
#include "core/bpffs.h"
#include "eliminate.skel.h"
#include "core/error.h"
#include "core/pins.h"
#include "core/tc.h"

namespace dupgre {

namespace {

const char *const map_pins[] = {"stream_index", "streams", "alloc", "stats", "gaps", "paths"};

std::vector<elim_path> read_paths(const std::string &pin)
{
	Fd map = open_pinned(pin);
	std::vector<elim_path> out(ELIM_MAX_PATHS);
	for (__u32 i = 0; i < ELIM_MAX_PATHS; i++)
		check(bpf_map_lookup_elem(map.get(), &i, &out[i]), "reading eliminate paths");
	return out;
}

}  // namespace

EliminateState::EliminateState() : dir_(state_root() + "/eliminate") {}

bool EliminateState::exists() const
{
	return path_exists(pin("paths"));
}

void EliminateState::unpin_all()
{
	for (const char *name : map_pins)
		unlink(pin(name).c_str());
	remove_empty_dirs(dir_);
}

std::optional<ElimSettings> EliminateState::settings() const
{
	if (!exists())
		return std::nullopt;
	for (const elim_path &p : read_paths(pin("paths")))
		if (p.used)
			return ElimSettings{static_cast<bool>(p.drop), p.window, p.reset_ms};
	return std::nullopt;
}

// Loads path index's program with the given settings and puts it on dev's
// ingress, replacing the one there in place; returns its id.
__u32 EliminateState::load_path(unsigned index, const NetDevice &dev, const ElimSettings &want)
{
	SkelPtr<eliminate_bpf> skel(eliminate_bpf__open(), eliminate_bpf__destroy);
	if (!skel)
		throw Error("opening the eliminate program: " + strerror_text(-errno));
	skel->rodata->path = index;
	skel->rodata->l3_device = !dev.has_mac_header();
	skel->rodata->drop = want.drop;
	skel->rodata->window = want.window;
	skel->rodata->reset_ns = static_cast<__u64>(want.reset_ms) * 1000000;
	make_dirs(dir_);
	bpf_map *maps[] = {skel->maps.stream_index, skel->maps.streams, skel->maps.alloc,
			   skel->maps.stats, skel->maps.gaps, skel->maps.paths};
	for (size_t i = 0; i < std::size(maps); i++)
		check(bpf_map__set_pin_path(maps[i], pin(map_pins[i]).c_str()), "setting pin path");
	check(eliminate_bpf__load(skel.get()), "loading the eliminate program");
	int prog_fd = bpf_program__fd(skel->progs.dupgre_eliminate);
	tc_attach(dev.ifindex, eliminate_filter, prog_fd);
	return prog_id(prog_fd);
}

void EliminateState::add(const NetDevice &dev, std::optional<bool> drop,
			 std::optional<unsigned> window, std::optional<unsigned> reset_ms)
{
	if (!dev.has_mac_header() && !dev.takes_l3_packets())
		throw Error("cannot attach to " + dev.name + ": unsupported device type " + dev.type_name());
	if (window && (*window < 2 || *window > ELIM_HISTORY))
		throw Error("--window must be 2 to " + std::to_string(ELIM_HISTORY));
	if (reset_ms && (*reset_ms < 1 || *reset_ms > 3600000))
		throw Error("--reset-ms must be 1 to 3600000");

	ElimSettings running = settings().value_or(ElimSettings{});
	ElimSettings want{drop.value_or(running.drop), window.value_or(running.window),
			  reset_ms.value_or(running.reset_ms)};
	std::vector<elim_path> paths(ELIM_MAX_PATHS);
	if (exists())
		paths = read_paths(pin("paths"));
	int index = -1, free_index = -1;
	for (int i = 0; i < ELIM_MAX_PATHS; i++) {
		if (paths[i].used && dev.name == paths[i].name)
			index = i;
		else if (!paths[i].used && free_index < 0)
			free_index = i;
	}
	bool fresh_path = index < 0;
	if (fresh_path && free_index < 0)
		throw Error("eliminate already runs on " + std::to_string(ELIM_MAX_PATHS) + " interfaces");
	if (fresh_path)
		index = free_index;

	Rollback rollback;
	if (!exists())
		rollback.add([this] { unpin_all(); });
	make_dirs(dir_);
	elim_path &p = paths[index];
	if (!fresh_path && p.ifindex != static_cast<__u32>(dev.ifindex))
		forget_clsact(p.ifindex);  // the link came back: the old one is gone
	__u32 id = load_path(index, dev, want);
	if (fresh_path)
		rollback.add([ifindex = dev.ifindex, id] { tc_detach(ifindex, eliminate_filter, id); });
	if (fresh_path) {
		// A path index used before starts its counters from zero.
		Fd stats = open_pinned(pin("stats")), gaps = open_pinned(pin("gaps"));
		int ncpus = check(libbpf_num_possible_cpus(), "counting CPUs");
		std::vector<__u64> zero(ncpus);
		for (__u32 c = 0; c < ELIM_COUNTER_MAX; c++) {
			__u32 key = index * ELIM_COUNTER_MAX + c;
			check(bpf_map_update_elem(stats.get(), &key, zero.data(), BPF_ANY), "clearing counters");
		}
		for (__u32 b = 0; b <= ELIM_GAP_BUCKETS; b++) {
			__u32 key = index * (ELIM_GAP_BUCKETS + 1) + b;
			check(bpf_map_update_elem(gaps.get(), &key, zero.data(), BPF_ANY), "clearing counters");
		}
	}
	p = elim_path{};
	memcpy(p.name, dev.name.c_str(), std::min(dev.name.size(), sizeof(p.name) - 1));
	p.ifindex = dev.ifindex;
	p.prog_id = id;
	p.used = 1;
	p.l3_device = !dev.has_mac_header();

	// All paths share the streams, so all run the same settings: new ones
	// go to the others too, each program replaced in place.
	for (int i = 0; i < ELIM_MAX_PATHS; i++) {
		elim_path &other = paths[i];
		if (!other.used || i == index)
			continue;
		auto odev = find_device(other.name);
		if (odev && odev->ifindex == static_cast<int>(other.ifindex) &&
		    (other.drop != want.drop || other.window != want.window || other.reset_ms != want.reset_ms))
			other.prog_id = load_path(i, *odev, want);
	}
	Fd map = open_pinned(pin("paths"));
	for (__u32 i = 0; i < ELIM_MAX_PATHS; i++) {
		if (!paths[i].used)
			continue;
		paths[i].window = want.window;
		paths[i].reset_ms = want.reset_ms;
		paths[i].drop = want.drop;
		check(bpf_map_update_elem(map.get(), &i, &paths[i], BPF_ANY), "recording the path");
	}
	rollback.commit();
}

bool EliminateState::del(const std::string &dev)
{
	if (!exists())
		return false;
	auto paths = read_paths(pin("paths"));
	bool found = false, left = false;
	Fd map = open_pinned(pin("paths"));
	for (__u32 i = 0; i < ELIM_MAX_PATHS; i++) {
		elim_path &p = paths[i];
		if (!p.used)
			continue;
		if (dev != p.name) {
			left = true;
			continue;
		}
		found = true;
		auto present = find_device(dev);
		if (present && present->ifindex == static_cast<int>(p.ifindex))
			tc_detach(p.ifindex, eliminate_filter, p.prog_id);
		else
			forget_clsact(p.ifindex);
		elim_path empty{};
		check(bpf_map_update_elem(map.get(), &i, &empty, BPF_ANY), "removing the path");
	}
	if (!left)
		unpin_all();
	return found;
}

std::vector<ElimPath> EliminateState::paths() const
{
	std::vector<ElimPath> out;
	if (!exists())
		return out;
	Fd stats = open_pinned(pin("stats")), gaps = open_pinned(pin("gaps"));
	auto paths = read_paths(pin("paths"));
	for (unsigned i = 0; i < ELIM_MAX_PATHS; i++) {
		if (!paths[i].used)
			continue;
		ElimPath p;
		p.name = paths[i].name;
		p.index = i;
		p.info = paths[i];
		auto dev = find_device(p.name);
		p.attached = dev && dev->ifindex == static_cast<int>(p.info.ifindex) &&
			     tc_query(dev->ifindex, eliminate_filter) == p.info.prog_id;
		for (__u32 c = 0; c < ELIM_COUNTER_MAX; c++) {
			__u32 key = i * ELIM_COUNTER_MAX + c;
			p.counters[c] = sum_percpu_value(stats.get(), &key, 1)[0];
		}
		for (__u32 b = 0; b < ELIM_GAP_BUCKETS; b++) {
			__u32 key = i * (ELIM_GAP_BUCKETS + 1) + b;
			p.gaps[b] = sum_percpu_value(gaps.get(), &key, 1)[0];
		}
		__u32 key = i * (ELIM_GAP_BUCKETS + 1) + ELIM_GAP_BUCKETS;
		p.gap_sum_us = sum_percpu_value(gaps.get(), &key, 1)[0];
		out.push_back(p);
	}
	return out;
}

ElimCounters EliminateState::totals() const
{
	ElimCounters t{};
	if (!exists())
		return t;
	Fd stats = open_pinned(pin("stats"));
	for (__u32 c = 0; c < ELIM_COUNTER_MAX; c++) {
		__u32 key = ELIM_TOTAL_ROW * ELIM_COUNTER_MAX + c;
		t[c] = sum_percpu_value(stats.get(), &key, 1)[0];
	}
	return t;
}

std::vector<ElimStream> EliminateState::streams() const
{
	std::vector<ElimStream> out;
	if (!exists())
		return out;
	Fd index = open_pinned(pin("stream_index")), streams = open_pinned(pin("streams"));
	elim_stream_key key, next;
	for (elim_stream_key *prev = nullptr; bpf_map_get_next_key(index.get(), prev, &next) == 0;
	     prev = &key) {
		key = next;
		__u32 slot;
		elim_slot s;
		if (bpf_map_lookup_elem(index.get(), &key, &slot) != 0 ||
		    bpf_map_lookup_elem_flags(streams.get(), &slot, &s, BPF_F_LOCK) != 0)
			continue;
		if (s.owner.saddr != key.saddr || s.owner.call_id != key.call_id)
			continue;  // the slot went to another stream
		ElimStream st;
		st.saddr = Ipv4{key.saddr};
		st.call_id = key.call_id;
		st.recov_seq = s.recov_seq;
		std::copy(std::begin(s.counters), std::end(s.counters), st.counters.begin());
		out.push_back(st);
	}
	std::sort(out.begin(), out.end(), [](const ElimStream &a, const ElimStream &b) {
		return a.saddr < b.saddr || (a.saddr == b.saddr && a.call_id < b.call_id);
	});
	return out;
}

}  // namespace dupgre
