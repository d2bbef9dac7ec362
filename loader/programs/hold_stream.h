// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// The holder's parts that are not its loop (programs/holder.cpp): the
// pinned maps it shares with eliminate.bpf.c, what a queued packet's
// headers say, and one stream's record.
#pragma once

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <sys/random.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <list>
#include <optional>
#include <set>
#include <string>

#include "core/bpffs.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/fd.h"
#include "core/pins.h"
#include "dupgre/eliminate.h"
#include "dupgre/pptp_gre.h"
#include "programs/reorder.h"

namespace dupgre::hold {

// The stream key and GRE sequence number of a queued packet's headers.
inline bool parse_gre(const uint8_t *p, size_t len, elim_stream_key &key, uint32_t &seq)
{
	if (len < 20 || (p[0] >> 4) != 4)
		return false;
	size_t ihl = (p[0] & 15) * 4u;
	if (ihl < 20 || p[9] != 47 || len < ihl + 12)
		return false;
	const uint8_t *g = p + ihl;
	uint32_t word0 = uint32_t(g[0]) << 24 | uint32_t(g[1]) << 16 | uint32_t(g[2]) << 8 | g[3];
	if (!pptp_gre_is_ppp(word0) || !(word0 & PPTP_GRE_F_SEQ))
		return false;
	key = {};
	// IPv4-mapped, as eliminate.bpf.c keys the stream.
	key.saddr[2] = htonl(0xffff);
	memcpy(&key.saddr[3], p + 12, 4);
	key.id = static_cast<__u16>(g[6] << 8 | g[7]);
	seq = uint32_t(g[8]) << 24 | uint32_t(g[9]) << 16 | uint32_t(g[10]) << 8 | g[11];
	return true;
}

// Eliminate's pinned maps the holder reads and writes; reopened when
// eliminate's state is removed and made anew.
struct Maps {
	Fd stream_index, streams, order_ack, gaps, paths, hold_stats, hold_times, hold_info;
	__u32 paths_id = 0;

	static __u32 id_of(int fd)
	{
		bpf_map_info info{};
		__u32 len = sizeof(info);
		return bpf_obj_get_info_by_fd(fd, &info, &len) == 0 ? info.id : 0;
	}
	// True when usable (eliminate's state exists).
	bool refresh()
	{
		std::string dir = state_root() + "/eliminate/";
		if (!path_exists(dir + "hold_info")) {
			*this = Maps{};
			return false;
		}
		Fd p(bpf_obj_get((dir + "paths").c_str()));
		__u32 id = p ? id_of(p.get()) : 0;
		if (id && id == paths_id)
			return true;
		try {
			stream_index = open_pinned(dir + "stream_index");
			streams = open_pinned(dir + "streams");
			order_ack = open_pinned(dir + "order_ack");
			gaps = open_pinned(dir + "gaps");
			paths = std::move(p);
			hold_stats = open_pinned(dir + "hold_stats");
			hold_times = open_pinned(dir + "hold_times");
			hold_info = open_pinned(dir + "hold_info");
			paths_id = id;
		} catch (const Error &) {
			*this = Maps{};  // being made or removed right now
			return false;
		}
		return true;
	}
	explicit operator bool() const { return static_cast<bool>(hold_info); }
};

// One stream the holder has seen: its episode with the program (slot and
// gen say which owner of the slot it is), its order, and the holder's
// books on it.
struct Stream {
	elim_stream_key key{};
	__u32 slot = 0;
	__u32 gen = 0;
	std::optional<Reorder> order;
	// The program numbers what it hands over (the mark's low 16 bits), but
	// packets from two CPUs may reach the queue in either order: the holder
	// may hand back only once it has every index up to the last.
	uint32_t received = 0;           // every index up to this one came
	std::set<uint32_t> ahead;        // indices that came before an earlier one
	int64_t ahead_since_us = 0;
	bool handed_back = false;        // at `received`, with order->next()
	uint32_t ack_received = 0;       // the `received` in the program's record
	uint32_t ack_next = 0;           // the `next` in it
	// The holder's books: keys in its timer sets, the dirty list, the idle list.
	int64_t wait_key = -1, ahead_key = -1;
	bool dirty = false, idle = false;
	std::list<Stream *>::iterator idle_at;

	size_t held() const { return order ? order->held() : 0; }
	// A packet's index, from its 16 bits and what came before.
	uint32_t index_of(uint16_t low) const
	{
		return received + static_cast<int16_t>(low - static_cast<uint16_t>(received));
	}
	void came(uint32_t index, int64_t now_us)
	{
		if (static_cast<int32_t>(index - received) <= 0)
			return;
		if (index != received + 1) {
			if (ahead.empty())
				ahead_since_us = now_us;
			ahead.insert(index);
			return;
		}
		received = index;
		for (auto it = ahead.find(received + 1); it != ahead.end(); it = ahead.find(received + 1)) {
			ahead.erase(it);
			received++;
		}
	}
	// An index that never comes (the queue let it through unheld when it
	// was full): after a second, what came after it counts.
	static constexpr int64_t index_wait_us = 1000000;
	void give_up_waiting(int64_t now_us)
	{
		if (!ahead.empty() && now_us - ahead_since_us >= index_wait_us) {
			received = *ahead.rbegin();
			ahead.clear();
		}
	}
};

// This run's mark on what it is handed: a restarted holder (a new epoch)
// never takes over what an earlier run held and dropped with its socket.
inline __u32 new_epoch()
{
	__u32 e = 0;
	while (!e)
		if (getrandom(&e, sizeof(e), 0) != sizeof(e))
			e = static_cast<__u32>(monotonic_us()) ^ static_cast<__u32>(getpid()) << 16;
	return e;
}

struct KeyHash {
	size_t operator()(const elim_stream_key &k) const
	{
		size_t h = k.id;
		for (__be32 w : k.saddr)
			h = h * 1000003u ^ w;
		return h;
	}
};
struct KeyEq {
	bool operator()(const elim_stream_key &a, const elim_stream_key &b) const
	{
		return memcmp(&a, &b, sizeof(a)) == 0;
	}
};

}  // namespace dupgre::hold
