// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "programs/eliminate.h"

#include <arpa/inet.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cerrno>
#include <cstring>

#include "core/bpffs.h"
#include "core/clock.h"
#include "core/pins.h"
#include "core/netfilter.h"
#include "core/program.h"
#include "eliminate.skel.h"

namespace dupgre {

DUPGRE_SKELETON(eliminate_bpf);

const CounterSchema &elim_schema()
{
	static const CounterSchema schema = DUPGRE_SCHEMA("eliminate", ELIM_COUNTERS, ELIM_FAMILIES);
	return schema;
}

const NfqueueRule order_rule = {ELIM_ORDER_MARK, ELIM_ORDER_MARK_MASK, ELIM_ORDER_QUEUE};

const char *mode_name(ElimMode m)
{
	return m == ElimMode::order ? "order" : m == ElimMode::drop ? "drop" : "monitor";
}

ElimMode parse_mode(const std::string &text)
{
	for (ElimMode m : {ElimMode::monitor, ElimMode::drop, ElimMode::order})
		if (text == mode_name(m))
			return m;
	throw UsageError("--mode must be monitor, drop or order, not '" + text + "'");
}


const CounterSchema &hold_schema()
{
	static const CounterSchema schema = DUPGRE_SCHEMA("hold", HOLD_COUNTERS, HOLD_FAMILIES);
	return schema;
}

namespace {

ElimMode path_mode(const elim_path &p)
{
	return p.order ? ElimMode::order : p.drop ? ElimMode::drop : ElimMode::monitor;
}

ElimSettings path_settings(const elim_path &p)
{
	return ElimSettings{path_mode(p), p.window, p.reset_ms, p.wait_ms, static_cast<Tunnel>(p.tunnel), p.port};
}

// One program per path (its index and settings in .rodata), all sharing
// the pinned streams and counters; no program pin: the tc filter holds it.
const ProgramSpec elim_program = {
	"eliminate", eliminate_filter,
	{"stream_index", "streams", "alloc", "stats", "gaps", "paths", "order_ack", "hold_stats", "hold_times",
	 "hold_info"},
	elim_schema()};

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

std::optional<ElimSettings> EliminateState::settings() const
{
	if (!exists())
		return std::nullopt;
	for (const elim_path &p : read_paths(pin("paths")))
		if (p.used)
			return path_settings(p);
	return std::nullopt;
}

// Loads path index's program with the given settings and puts it on dev's
// ingress, replacing the one there in place; returns its id.
__u32 EliminateState::load_path(unsigned index, const NetDevice &dev, const ElimSettings &want,
				Rollback &rollback, bool replacing)
{
	TcProgram<eliminate_bpf> prog(elim_program, dir_);
	prog->rodata->path = index;
	prog->rodata->l3_device = !dev.has_mac_header();
	prog->rodata->drop = want.mode != ElimMode::monitor;
	prog->rodata->order = want.mode == ElimMode::order;
	prog->rodata->window = want.window;
	prog->rodata->reset_ns = static_cast<__u64>(want.reset_ms) * 1000000;
	prog->rodata->tunnel = static_cast<__u32>(want.tunnel);
	prog->rodata->wg_port = htons(static_cast<uint16_t>(want.port));
	prog.load();
	return prog.attach(dev.ifindex, rollback, replacing);
}

// Pins of an older layout (an upgrade of dupgre): the old programs go, the
// state is made anew for this build, and every path comes back with the
// settings it had (read only if the paths record still fits). The streams
// start over, as after a reset; the holder sees new maps and releases what
// it held.
void EliminateState::replace_outdated_pins()
{
	if (!exists())
		return;
	TcProgram<eliminate_bpf> probe(elim_program, dir_);
	if (probe.pins_fit())
		return;
	std::vector<elim_path> old;
	if (probe.pin_fits("paths"))
		old = read_paths(pin("paths"));
	for (const elim_path &p : old)
		if (p.used)
			dupgre::detach(elim_program, p.name, p.ifindex, p.prog_id);
	forget(elim_program, dir_);
	fprintf(stderr, "dupgre-ctl: eliminate's pinned state was an older dupgre's: made anew\n");
	for (const elim_path &p : old) {
		auto dev = p.used ? find_device(p.name) : std::nullopt;
		if (dev)
			add(*dev, path_mode(p), p.window, p.reset_ms, p.wait_ms, static_cast<Tunnel>(p.tunnel),
			    static_cast<Tunnel>(p.tunnel) == Tunnel::wireguard ? std::optional<unsigned>(p.port) : std::nullopt);
	}
}

void EliminateState::add(const NetDevice &dev, std::optional<ElimMode> mode, std::optional<unsigned> window,
			 std::optional<unsigned> reset_ms, std::optional<unsigned> wait_ms,
			 std::optional<Tunnel> tunnel, std::optional<unsigned> port)
{
	replace_outdated_pins();
	if (!dev.has_mac_header() && !dev.takes_l3_packets())
		throw Error("cannot attach to " + dev.name + ": unsupported device type " + dev.type_name());
	if (window && (*window < 2 || *window > ELIM_HISTORY))
		throw UsageError("--window must be 2 to " + std::to_string(ELIM_HISTORY));
	if (reset_ms && (*reset_ms < 1 || *reset_ms > 3600000))
		throw UsageError("--reset-ms must be 1 to 3600000");
	if (wait_ms && *wait_ms > 10000)
		throw UsageError("--wait must be auto or 1 to 10000 ms");

	if (port && (*port < 1 || *port > 65535))
		throw UsageError("--port must be 1 to 65535");
	ElimSettings running = settings().value_or(ElimSettings{});
	ElimSettings want{mode.value_or(running.mode), window.value_or(running.window),
			  reset_ms.value_or(running.reset_ms), wait_ms.value_or(running.wait_ms),
			  tunnel.value_or(running.tunnel), port.value_or(running.port)};
	if (want.tunnel == Tunnel::pptp && port)
		throw UsageError("--port is for --tunnel wireguard");
	if (want.tunnel == Tunnel::wireguard && !want.port)
		want.port = wg_default_port;
	if (want.tunnel == Tunnel::pptp)
		want.port = 0;
	// WireGuard's receiver takes packets in any order within its replay
	// window: there is nothing for the order stage to do.
	if (want.tunnel == Tunnel::wireguard && want.mode == ElimMode::order)
		throw UsageError("--mode order is for PPTP only: WireGuard's receiver reorders (use monitor or drop)");
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
		rollback.add([this] { forget(elim_program, dir_); });
	// The rule first: a program in order mode marks packets at once.
	if (ensure_order_rule(want.mode))
		rollback.add([] { nfqueue_rule_remove(order_rule); });
	make_dirs(dir_);
	elim_path &p = paths[index];
	if (!fresh_path && p.ifindex != static_cast<__u32>(dev.ifindex))
		forget_device(p.ifindex);  // the link came back: the old one is gone
	__u32 id = load_path(index, dev, want, rollback, !fresh_path);
	if (fresh_path) {
		// A path index used before starts its counters from zero.
		auto key = static_cast<__u32>(index);
		clear_percpu_row(open_pinned(pin("stats")).get(), &key, ELIM_COUNTER_MAX);
		clear_percpu_row(open_pinned(pin("gaps")).get(), &key, ELIM_GAP_ROW_LEN);
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
		ElimSettings theirs = path_settings(other);
		if (odev && odev->ifindex == static_cast<int>(other.ifindex) && !(theirs == want))
			other.prog_id = load_path(i, *odev, want, rollback, true);
	}
	Fd map = open_pinned(pin("paths"));
	for (__u32 i = 0; i < ELIM_MAX_PATHS; i++) {
		if (!paths[i].used)
			continue;
		paths[i].window = want.window;
		paths[i].reset_ms = want.reset_ms;
		paths[i].drop = want.mode != ElimMode::monitor;
		paths[i].order = want.mode == ElimMode::order;
		paths[i].wait_ms = want.wait_ms;
		paths[i].tunnel = static_cast<__u8>(want.tunnel);
		paths[i].port = static_cast<__u16>(want.port);
		check(bpf_map_update_elem(map.get(), &i, &paths[i], BPF_ANY), "recording the path");
	}
	// Out of order mode: no program marks packets any more.
	if (want.mode != ElimMode::order)
		nfqueue_rule_remove(order_rule);
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
		dupgre::detach(elim_program, dev, p.ifindex, p.prog_id);
		elim_path empty{};
		check(bpf_map_update_elem(map.get(), &i, &empty, BPF_ANY), "removing the path");
	}
	if (!left) {
		forget(elim_program, dir_);
		nfqueue_rule_remove(order_rule);
	}
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
		p.attach_mode = running_mode(elim_program, p.name, p.info.ifindex, p.info.prog_id);
		p.attached = p.attach_mode.has_value();
		auto c = sum_percpu_row(stats.get(), &i, ELIM_COUNTER_MAX);
		std::copy(c.begin(), c.end(), p.counters.begin());
		auto g = sum_percpu_row(gaps.get(), &i, ELIM_GAP_ROW_LEN);
		std::copy(g.begin(), g.begin() + ELIM_GAP_BUCKETS, p.gaps.begin());
		p.gap_sum_us = g[ELIM_GAP_BUCKETS];
		out.push_back(p);
	}
	return out;
}

ElimCounters EliminateState::totals() const
{
	ElimCounters t{};
	if (!exists())
		return t;
	__u32 key = ELIM_TOTAL_ROW;
	auto c = sum_percpu_row(open_pinned(pin("stats")).get(), &key, ELIM_COUNTER_MAX);
	std::copy(c.begin(), c.end(), t.begin());
	return t;
}

std::vector<ElimStream> EliminateState::streams() const
{
	std::vector<ElimStream> out;
	auto running = settings();
	if (!running)
		return out;
	Tunnel tunnel = running->tunnel;
	Fd index = open_pinned(pin("stream_index")), streams = open_pinned(pin("streams"));
	for (const elim_stream_key &key : map_keys<elim_stream_key>(index.get())) {
		__u32 slot;
		elim_slot s;
		if (bpf_map_lookup_elem(index.get(), &key, &slot) != 0 ||
		    bpf_map_lookup_elem_flags(streams.get(), &slot, &s, BPF_F_LOCK) != 0)
			continue;
		if (memcmp(&s.owner, &key, sizeof(key)) != 0)
			continue;  // the slot went to another stream
		ElimStream st;
		memcpy(st.saddr.bytes.data(), key.saddr, sizeof(key.saddr));
		st.tunnel = tunnel;
		st.id = key.id;
		st.recov_seq = s.recov_seq;
		std::copy(std::begin(s.counters), std::end(s.counters), st.counters.begin());
		out.push_back(st);
	}
	std::sort(out.begin(), out.end(), [](const ElimStream &a, const ElimStream &b) {
		return a.saddr < b.saddr || (a.saddr == b.saddr && a.id < b.id);
	});
	return out;
}

bool EliminateState::ensure_order_rule() const
{
	auto running = settings();
	return running && ensure_order_rule(running->mode);
}

bool EliminateState::ensure_order_rule(ElimMode mode) const
{
	return mode == ElimMode::order && nfqueue_rule_add(order_rule);
}

HoldReport EliminateState::hold() const
{
	HoldReport h;
	if (!exists())
		return h;
	__u32 zero = 0;
	h.info = read_info<hold_info>(pin("hold_info"));
	auto now_ns = static_cast<__u64>(monotonic_ns());
	// As the program sees it (read_holder() in eliminate.bpf.c): a beat within
	// HOLD_STALE_NS, signed since the holder may have read the clock later.
	h.running = h.info.heartbeat_ns &&
		    static_cast<__s64>(now_ns - h.info.heartbeat_ns) < static_cast<__s64>(HOLD_STALE_NS);
	auto c = sum_percpu_row(open_pinned(pin("hold_stats")).get(), &zero, HOLD_COUNTER_MAX);
	std::copy(c.begin(), c.end(), h.counters.begin());
	auto t = sum_percpu_row(open_pinned(pin("hold_times")).get(), &zero, HOLD_TIME_ROW_LEN);
	std::copy(t.begin(), t.begin() + HOLD_TIME_BUCKETS, h.times.begin());
	h.time_sum_us = t[HOLD_TIME_BUCKETS];
	h.queue = nfqueue_stats(ELIM_ORDER_QUEUE);
	return h;
}

}  // namespace dupgre
