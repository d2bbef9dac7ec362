// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// 802.1CB sequence recovery on scripted sequences: two program instances
// (two paths) sharing one stream table, as on a receiver's WAN and
// secondary link.
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <doctest/doctest.h>
#include <linux/pkt_cls.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <map>
#include <numeric>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/counters.h"
#include "dupgre/eliminate.h"
#include "dupgre/hold.h"
#include "dupgre/pptp_gre.h"
#include "eliminate.skel.h"
#include "packet.h"
#include "test_run.h"

using namespace pkt;

namespace {

enum class Mode { monitor, drop, order };

class Receiver {
public:
	explicit Receiver(bool drop = false, unsigned window = 64, __u64 reset_ns = 1000000000ull)
		: Receiver(drop ? Mode::drop : Mode::monitor, window, reset_ns)
	{
	}
	explicit Receiver(Mode mode, unsigned window = 64, __u64 reset_ns = 1000000000ull, bool wireguard = false)
		: window_(window), reset_ns_(reset_ns), wireguard_(wireguard)
	{
		load(mode, nullptr);
	}
	static constexpr uint16_t wg_port = 51820;
	~Receiver()
	{
		eliminate_bpf__destroy(paths_[1]);
		eliminate_bpf__destroy(paths_[0]);
	}
	// New programs in another mode on the same maps, as `eliminate add
	// --mode` does.
	void reload(Mode mode)
	{
		eliminate_bpf *old[2] = {paths_[0], paths_[1]};
		load(mode, old[0]);
		eliminate_bpf__destroy(old[1]);
		eliminate_bpf__destroy(old[0]);
	}
	// The verdict for one GRE packet with sequence number seq via path p.
	int arrive(unsigned p, uint32_t seq, const char *src = "198.18.0.1", uint16_t call_id = 7,
		   uint32_t word0 = 0x3001880b)
	{
		Ipv4 ip;
		ip.saddr = addr(src);
		Gre g;
		g.word0 = word0;
		g.call_id = call_id;
		g.seq = seq;
		return run(p, ethernet({}, ipv4(ip, gre(g, ppp_mppe()))));
	}
	// Order mode: the verdict and the mark (ELIM_ORDER_MARK | index: to the holder).
	struct Ordered {
		int verdict;
		__u32 mark;
	};
	// While the holder "beats", each ordered packet comes with a fresh beat.
	Ordered arrive_ordered(unsigned p, uint32_t seq, __u32 mark = 0, const Bytes &ppp = ppp_mppe(),
			       uint16_t call_id = 7)
	{
		Ipv4 ip;
		ip.saddr = addr("198.18.0.1");
		Gre g;
		g.call_id = call_id;
		g.seq = seq;
		Bytes frame = ethernet({}, ipv4(ip, gre(g, ppp)));
		__sk_buff ctx{};
		ctx.mark = mark;
		if (beating_)
			beat(draining_);
		TestRun r = test_run(bpf_program__fd(paths_[p]->progs.dupgre_eliminate), frame, &ctx);
		return {r.retval, ctx.mark};
	}
	// A duplicated stream up to number last: the six numbers before it
	// and last itself, each by path 0 and then its copy by path 1, so
	// that the stream's copy share holds its gaps (ELIM_COPY_SHARE_HOLD).
	void duplicated_up_to(uint32_t last, uint16_t call_id = 7)
	{
		for (uint32_t seq = last - 5; seq != last + 1; seq++) {
			arrive_ordered(0, seq, 0, ppp_mppe(), call_id);
			arrive_ordered(1, seq, 0, ppp_mppe(), call_id);
		}
	}
	// The holder's heartbeat: fresh (optionally draining), or age_ns old.
	void beat(bool draining = false, __u64 age_ns = 0)
	{
		hold_info info{};
		info.heartbeat_ns = static_cast<__u64>(dupgre::monotonic_ns()) - age_ns;
		info.draining = draining;
		info.epoch = epoch_;
		__u32 zero = 0;
		REQUIRE(bpf_map__update_elem(paths_[0]->maps.hold_info, &zero, sizeof(zero), &info, sizeof(info), 0) ==
			0);
	}
	void holder_runs(bool yes, bool draining = false)
	{
		beating_ = yes;
		draining_ = draining;
		if (!yes) {
			hold_info info{};
			__u32 zero = 0;
			REQUIRE(bpf_map__update_elem(paths_[0]->maps.hold_info, &zero, sizeof(zero), &info, sizeof(info),
						     0) == 0);
		}
	}
	// Its last beat was for_ns ago, and none comes meanwhile.
	void holder_stalls(__u64 for_ns)
	{
		beating_ = false;
		beat(false, for_ns);
	}
	static elim_stream_key key_of(const char *src, uint16_t call_id)
	{
		elim_stream_key key{};
		key.saddr[2] = htonl(0xffff);
		key.saddr[3] = htonl(addr(src));
		key.id = call_id;
		return key;
	}
	// The slot of a stream, and what is in it; false if it has none.
	bool slot_of(const elim_stream_key &key, __u32 &slot, elim_slot &s)
	{
		if (bpf_map__lookup_elem(paths_[0]->maps.stream_index, &key, sizeof(key), &slot, sizeof(slot), 0))
			return false;
		REQUIRE(bpf_map__lookup_elem(paths_[0]->maps.streams, &slot, sizeof(slot), &s, sizeof(s), BPF_F_LOCK) ==
			0);
		return true;
	}
	// The holder's hand-back for a stream (by default 198.18.0.1, call 7),
	// for its slot's owner now.
	void hand_back(__u32 received, __u32 next, uint16_t call_id = 7)
	{
		__u32 slot;
		elim_slot s;
		REQUIRE(slot_of(key_of("198.18.0.1", call_id), slot, s));
		write_ack(slot, received, next, s.gen);
	}
	void write_ack(__u32 slot, __u32 received, __u32 next, __u32 gen)
	{
		elim_order_ack ack{};
		ack.received = received;
		ack.next = next;
		ack.written = 1;
		ack.gen = gen;
		REQUIRE(bpf_map__update_elem(paths_[0]->maps.order_ack, &slot, sizeof(slot), &ack, sizeof(ack),
					     BPF_F_LOCK) == 0);
	}
	// New programs with another quiet time before a jump is taken.
	void jump_quiet(__u64 ns, Mode mode)
	{
		jump_quiet_ns_ = ns;
		reload(mode);
	}
	// A WireGuard message from src (IPv4 or IPv6) via path p: data with
	// counter, or a handshake type; to the server's port, or from it.
	int wg(unsigned p, uint64_t counter, const char *src = "198.18.0.1", uint32_t receiver = 0xa1b2c3d4,
	       bool to_server = true, uint8_t type = 4, size_t len = 96, const Bytes &ext = {}, uint8_t first = 17)
	{
		Udp u;
		u.sport = to_server ? 40000 : wg_port;
		u.dport = to_server ? wg_port : 40000;
		Bytes l4 = udp(u, wg_message(type, len, receiver, counter));
		if (std::string(src).find(':') != std::string::npos) {
			Ipv6 ip;
			ip.saddr = src;
			ip.nexthdr = ext.empty() ? 17 : first;
			return run(p, ethernet({{}, 0x86dd}, ipv6(ip, ext + l4)));
		}
		Ipv4 ip;
		ip.saddr = addr(src);
		ip.protocol = 17;
		return run(p, ethernet({}, ipv4(ip, l4)));
	}
	int run(unsigned p, const Bytes &frame)
	{
		return test_run(bpf_program__fd(paths_[p]->progs.dupgre_eliminate), frame).retval;
	}
	void arrive_all(unsigned p, uint32_t from, uint32_t to)
	{
		for (uint32_t s = from; s != to + 1; s++)
			arrive(p, s);
	}

	// Counter c of row (a path, or ELIM_TOTAL_ROW).
	__u64 stat(unsigned row, unsigned c)
	{
		return dupgre::sum_percpu_row(bpf_map__fd(paths_[0]->maps.stats), &row, ELIM_COUNTER_MAX).at(c);
	}
	__u64 gaps(unsigned p)
	{
		auto row = dupgre::sum_percpu_row(bpf_map__fd(paths_[0]->maps.gaps), &p, ELIM_GAP_ROW_LEN);
		return std::accumulate(row.begin(), row.begin() + ELIM_GAP_BUCKETS, __u64{0});
	}
	// The stream keys, as the loader lists them.
	std::vector<elim_stream_key> stream_keys()
	{
		std::vector<elim_stream_key> out;
		elim_stream_key k, next;
		for (elim_stream_key *prev = nullptr;
		     bpf_map__get_next_key(paths_[0]->maps.stream_index, prev, &next, sizeof(next)) == 0; prev = &k) {
			k = next;
			out.push_back(k);
		}
		return out;
	}
	size_t streams()
	{
		size_t n = 0;
		elim_stream_key k, next;
		for (elim_stream_key *prev = nullptr;
		     bpf_map__get_next_key(paths_[0]->maps.stream_index, prev, &next, sizeof(next)) == 0;
		     prev = &k, n++)
			k = next;
		return n;
	}

private:
	// Both paths' programs; every map shared with share_with's, or among
	// themselves.
	void load(Mode mode, eliminate_bpf *share_with)
	{
		for (unsigned p = 0; p < 2; p++) {
			paths_[p] = eliminate_bpf__open();
			REQUIRE(paths_[p]);
			paths_[p]->rodata->path = p;
			paths_[p]->rodata->drop = mode != Mode::monitor;
			paths_[p]->rodata->order = mode == Mode::order;
			paths_[p]->rodata->window = window_;
			paths_[p]->rodata->reset_ns = reset_ns_;
			paths_[p]->rodata->jump_quiet_ns = jump_quiet_ns_;
			paths_[p]->rodata->tunnel = wireguard_ ? DUPGRE_TUNNEL_WIREGUARD : DUPGRE_TUNNEL_PPTP;
			paths_[p]->rodata->wg_port = htons(wireguard_ ? wg_port : 0);
			eliminate_bpf *maps = p == 1 ? paths_[0] : share_with;
			if (maps) {
				bpf_map *mine;
				bpf_object__for_each_map(mine, paths_[p]->obj) {
					bpf_map *theirs = bpf_object__find_map_by_name(maps->obj, bpf_map__name(mine));
					if (!bpf_map__is_internal(mine))
						REQUIRE(bpf_map__reuse_fd(mine, bpf_map__fd(theirs)) == 0);
				}
			}
			REQUIRE(eliminate_bpf__load(paths_[p]) == 0);
			check_jited(paths_[p]->obj);
		}
	}
	unsigned window_;
	__u64 reset_ns_;
	__u64 jump_quiet_ns_ = ELIM_JUMP_QUIET_NS;
	bool wireguard_ = false;
	bool beating_ = false, draining_ = false;

public:
	__u32 epoch_ = 1;  // the holder's run
	eliminate_bpf *paths_[2];
};

constexpr unsigned T = ELIM_TOTAL_ROW;

}  // namespace

TEST_CASE("in order on one path: everything passed, nothing else")
{
	Receiver r;
	r.arrive_all(0, 1, 200);
	CHECK(r.stat(T, ELIM_PASSED) == 200);
	CHECK(r.stat(0, ELIM_FIRST) == 200);
	for (unsigned c : {ELIM_DISCARDED, ELIM_OUT_OF_ORDER, ELIM_ROGUE, ELIM_LOST, ELIM_RESETS})
		CHECK(r.stat(T, c) == 0);
	CHECK(r.stat(0, ELIM_RESCUED) == 200 - 64);  // left the window, only path 0 had them
}

TEST_CASE("both copies: the second is discarded, its gap measured")
{
	Receiver r;
	for (uint32_t s = 1; s <= 100; s++) {
		CHECK(r.arrive(0, s) == TC_ACT_UNSPEC);
		CHECK(r.arrive(1, s) == TC_ACT_UNSPEC);  // monitor mode never drops
	}
	CHECK(r.stat(T, ELIM_PASSED) == 100);
	CHECK(r.stat(T, ELIM_DISCARDED) == 100);
	CHECK(r.stat(1, ELIM_DISCARDED) == 100);
	CHECK(r.stat(0, ELIM_FIRST) == 100);
	CHECK(r.stat(1, ELIM_FIRST) == 0);
	CHECK(r.gaps(1) == 100);
	CHECK(r.gaps(0) == 0);
	CHECK(r.stat(T, ELIM_RESCUED) == 0);
}

// Tests that load programs again mid-stream (reload, jump_quiet) use a long
// reset time: under an emulated guest's TCG, loading takes over a second,
// and the stream would start over.
constexpr __u64 long_reset_ns = 60000000000ull;

TEST_CASE("drop mode discards duplicates, and only them")
{
	Receiver r(true, 64, long_reset_ns);
	CHECK(r.arrive(0, 1) == TC_ACT_UNSPEC);
	CHECK(r.arrive(1, 1) == TC_ACT_SHOT);
	CHECK(r.arrive(1, 2) == TC_ACT_UNSPEC);
	CHECK(r.arrive(0, 2) == TC_ACT_SHOT);
	CHECK(r.arrive(0, 500) == TC_ACT_SHOT);    // one packet far ahead: rogue; the stream stays
	CHECK(r.arrive(1, 3) == TC_ACT_UNSPEC);
	r.jump_quiet(0, Mode::drop);               // (a stream quiet long enough: see the forged-run cases)
	CHECK(r.arrive(0, 600) == TC_ACT_SHOT);    // three in a row out there: the stream moves
	CHECK(r.arrive(0, 601) == TC_ACT_SHOT);
	CHECK(r.arrive(0, 602) == TC_ACT_UNSPEC);
	CHECK(r.arrive(1, 400) == TC_ACT_SHOT);    // rogue behind: a stale copy
	CHECK(r.stat(T, ELIM_ROGUE) == 5);
	CHECK(r.arrive(1, 602) == TC_ACT_SHOT);    // and 602 is known now
	CHECK(r.arrive(1, 603) == TC_ACT_UNSPEC);
	CHECK(r.arrive(0, 2, "198.18.0.1", 7, 0x2081880b) == TC_ACT_UNSPEC);  // no sequence number
	CHECK(r.stat(0, ELIM_TAGLESS) == 1);
}

TEST_CASE("what one path loses the other rescues; what both lose is lost")
{
	Receiver r;
	for (uint32_t s = 1; s <= 300; s++) {
		bool a_lost = s % 10 == 3, b_lost = s % 7 == 2;
		if (!a_lost)
			r.arrive(0, s);
		if (!b_lost)
			r.arrive(1, s);
	}
	// Every number up to 300 - 64 has left the window.
	unsigned both = 0, only_b = 0, only_a = 0;
	for (uint32_t s = 1; s <= 300 - 64; s++) {
		bool a_lost = s % 10 == 3, b_lost = s % 7 == 2;
		both += a_lost && b_lost;
		only_b += a_lost && !b_lost;
		only_a += b_lost && !a_lost;
	}
	CHECK(r.stat(T, ELIM_LOST) == both);
	CHECK(r.stat(1, ELIM_RESCUED) == only_b);
	CHECK(r.stat(0, ELIM_RESCUED) == only_a);
	CHECK(r.stat(T, ELIM_COPY_RESCUED) == only_b);
}

TEST_CASE("what a copy rescued is counted per stream too: one stream's rescues are not another's")
{
	// The adaptive copy policy's reports carry it per stream: a sender
	// whose path A is clean must not copy because another one's is lossy.
	Receiver r;
	for (uint32_t s = 1; s <= 200; s++) {
		if (s % 10 != 3)
			r.arrive(0, s, "198.18.0.1");  // path A loses one in 10 of this one
		r.arrive(1, s, "198.18.0.1");
		r.arrive(0, s, "198.18.0.9");      // and none of that one
		r.arrive(1, s, "198.18.0.9");
	}
	__u32 slot;
	elim_slot lossy, clean;
	REQUIRE(r.slot_of(Receiver::key_of("198.18.0.1", 7), slot, lossy));
	REQUIRE(r.slot_of(Receiver::key_of("198.18.0.9", 7), slot, clean));
	unsigned only_b = 0;
	for (uint32_t s = 1; s <= 200 - 64; s++)
		only_b += s % 10 == 3;
	CHECK(lossy.counters[ELIM_COPY_RESCUED] == only_b);
	CHECK(lossy.counters[ELIM_LOST] == 0);
	CHECK(clean.counters[ELIM_COPY_RESCUED] == 0);
	CHECK(r.stat(T, ELIM_COPY_RESCUED) == only_b);
}

TEST_CASE("reordering within the window is passed and counted; beyond it is rogue")
{
	Receiver r;
	for (uint32_t s : {1, 2, 4, 3, 5})
		r.arrive(0, s);
	CHECK(r.stat(T, ELIM_PASSED) == 5);
	CHECK(r.stat(T, ELIM_OUT_OF_ORDER) == 2);  // 4 skipped ahead, 3 came behind
	r.arrive(0, 3);
	CHECK(r.stat(T, ELIM_DISCARDED) == 1);
}

TEST_CASE("the window's edges")
{
	Receiver r(false, 64, long_reset_ns);
	r.jump_quiet(0, Mode::monitor);
	r.arrive(0, 100);
	r.arrive(0, 100 - 63);  // the oldest number still in the window
	r.arrive(0, 100 - 64);  // just outside behind
	CHECK(r.stat(T, ELIM_PASSED) == 2);
	CHECK(r.stat(T, ELIM_ROGUE) == 1);
	r.arrive(0, 100 + 63);  // the farthest step ahead
	CHECK(r.stat(T, ELIM_PASSED) == 3);
	CHECK(r.stat(T, ELIM_OUT_OF_ORDER) == 2);
	r.arrive(0, 163 + 64);  // just outside ahead: rogue; the stream stays
	CHECK(r.stat(T, ELIM_PASSED) == 3);
	CHECK(r.stat(T, ELIM_ROGUE) == 2);
	r.arrive(1, 163);       // still the newest in the window (and the count starts over)
	CHECK(r.stat(T, ELIM_DISCARDED) == 1);
	r.arrive(0, 163 + 65);  // three in a row out there confirm the jump
	r.arrive(0, 163 + 66);
	CHECK(r.stat(T, ELIM_PASSED) == 3);
	r.arrive(0, 163 + 67);
	CHECK(r.stat(T, ELIM_PASSED) == 4);
	CHECK(r.stat(T, ELIM_ROGUE) == 5);
	r.arrive(1, 163);       // now far behind
	CHECK(r.stat(T, ELIM_ROGUE) == 6);
	r.arrive(1, 163 + 67);
	CHECK(r.stat(T, ELIM_DISCARDED) == 2);
}

TEST_CASE("a smaller window")
{
	Receiver r(false, 8);
	r.arrive(0, 100);
	r.arrive(0, 92);  // 8 behind: outside
	r.arrive(0, 93);  // 7 behind: inside
	CHECK(r.stat(T, ELIM_ROGUE) == 1);
	r.arrive(0, 101);
	r.arrive(0, 103);
	r.arrive(0, 110);  // 102 leaves the window unseen; numbers before the
			   // stream's first packet (100) are not known to exist
	CHECK(r.stat(T, ELIM_PASSED) == 5);
	CHECK(r.stat(T, ELIM_LOST) == 1);
	r.arrive(0, 118);  // 8 ahead: outside: rogue, the stream stays
	CHECK(r.stat(T, ELIM_ROGUE) == 2);
	CHECK(r.stat(T, ELIM_PASSED) == 5);
}

TEST_CASE("sequence numbers wrap around at 2^32")
{
	Receiver r;
	for (uint32_t s : {0xfffffffdu, 0xfffffffeu, 0xffffffffu, 0u, 1u, 2u})
		r.arrive(0, s);
	CHECK(r.stat(T, ELIM_PASSED) == 6);
	CHECK(r.stat(T, ELIM_OUT_OF_ORDER) == 0);
	r.arrive(1, 0xffffffffu);
	r.arrive(1, 1u);
	CHECK(r.stat(T, ELIM_DISCARDED) == 2);
	r.arrive(1, 0xffffffffu - 70);
	CHECK(r.stat(T, ELIM_ROGUE) == 1);
}

TEST_CASE("after the reset time any number is taken")
{
	// 300 ms: the calls between two arrivals must take less than the reset
	// time, also on a loaded machine under emulation (30 ms did not, as
	// s390x under TCG, vmtests/arch-tests).
	Receiver r(false, 64, 300 * 1000000ull);
	r.arrive(0, 1000);
	r.arrive(0, 5);  // rogue while the stream is live
	CHECK(r.stat(T, ELIM_ROGUE) == 1);
	usleep(600 * 1000);  // the reset timer itself is under test
	r.arrive(0, 5);
	CHECK(r.stat(T, ELIM_RESETS) == 1);
	CHECK(r.stat(T, ELIM_PASSED) == 2);
	r.arrive(1, 5);
	CHECK(r.stat(T, ELIM_DISCARDED) == 1);
}

TEST_CASE("streams: a new call ID, and the same call ID from another source")
{
	Receiver r;
	r.arrive(0, 10, "198.18.0.1", 7);
	r.arrive(0, 10, "198.18.0.1", 8);  // the call restarted with a new ID
	r.arrive(0, 10, "198.18.0.9", 7);  // another client, same ID
	CHECK(r.streams() == 3);
	CHECK(r.stat(T, ELIM_PASSED) == 3);
	CHECK(r.stat(T, ELIM_DISCARDED) == 0);
	r.arrive(1, 10, "198.18.0.9", 7);
	CHECK(r.stat(T, ELIM_DISCARDED) == 1);
}

TEST_CASE("not PPTP GRE: untouched and uncounted")
{
	Receiver r;
	Ipv4 ip;
	ip.protocol = 17;
	CHECK(r.run(0, ethernet({}, ipv4(ip, Bytes(40, 1)))) == TC_ACT_UNSPEC);
	Ipv4 frag;
	frag.frag_off = 0x2000;
	CHECK(r.run(0, ethernet({}, ipv4(frag, gre(Gre{}, ppp_mppe())))) == TC_ACT_UNSPEC);
	Gre ver0;
	ver0.word0 = 0x30000800;  // plain GRE carrying IPv4
	CHECK(r.run(0, ethernet({}, ipv4(Ipv4{}, gre(ver0, Bytes(40, 2))))) == TC_ACT_UNSPEC);
	for (unsigned c = 0; c < ELIM_COUNTER_MAX; c++)
		CHECK(r.stat(T, c) == 0);
}

TEST_CASE("one forged packet far ahead costs that packet, in drop and in monitor mode")
{
	for (bool drop : {false, true}) {
		CAPTURE(drop);
		Receiver r(drop);
		for (uint32_t s = 1; s <= 100; s++)
			r.arrive(0, s);
		CHECK(r.arrive(1, 1100) == (drop ? TC_ACT_SHOT : TC_ACT_UNSPEC));
		int dropped = 0;
		for (uint32_t s = 101; s <= 1000; s++) {
			dropped += r.arrive(0, s) == TC_ACT_SHOT;
			dropped += r.arrive(1, s) != TC_ACT_SHOT;  // the copy: a duplicate
		}
		CHECK(dropped == (drop ? 0 : 900));
		CHECK(r.stat(T, ELIM_PASSED) == 1000);
		CHECK(r.stat(T, ELIM_ROGUE) == 1);
		CHECK(r.stat(T, ELIM_RESETS) == 0);
	}
}

TEST_CASE("a stream whose in-window packets stop is taken anew after the reset time")
{
	Receiver r(Mode::drop, 64, 1);  // a reset time of 1 ns: every gap between packets is longer
	CHECK(r.arrive(0, 1000) == TC_ACT_UNSPEC);
	CHECK(r.arrive(0, 10) == TC_ACT_UNSPEC);  // renumbered behind: taken after the reset time
	CHECK(r.stat(T, ELIM_RESETS) == 1);
}

TEST_CASE("order mode: in order passes unmarked, a gap goes to the holder until it hands back")
{
	Receiver r(Mode::order);
	r.holder_runs(true);
	auto pass = [](Receiver::Ordered o) { return o.verdict == TC_ACT_UNSPEC && o.mark == 0; };
	auto holder = [](Receiver::Ordered o, __u32 index) {
		return o.verdict == TC_ACT_UNSPEC && o.mark == (ELIM_ORDER_MARK | index);
	};
	auto dropped = [](Receiver::Ordered o) { return o.verdict == TC_ACT_SHOT; };
	r.duplicated_up_to(0);
	CHECK(pass(r.arrive_ordered(0, 1)));
	CHECK(pass(r.arrive_ordered(0, 2)));
	CHECK(dropped(r.arrive_ordered(1, 1)));    // a duplicate
	CHECK(holder(r.arrive_ordered(0, 4), 1));  // 3 is missing: a gap
	CHECK(holder(r.arrive_ordered(0, 5), 2));  // behind a held packet
	CHECK(dropped(r.arrive_ordered(1, 2)));    // duplicates still go at once
	CHECK(holder(r.arrive_ordered(1, 3), 3));  // the gap's copy: to the holder, behind them
	CHECK(dropped(r.arrive_ordered(1, 4)));
	r.hand_back(2, 6);                         // the holder has not received index 3 yet
	CHECK(holder(r.arrive_ordered(0, 6), 4));
	r.hand_back(4, 7);                         // everything received, nothing held
	CHECK(pass(r.arrive_ordered(0, 7)));
	CHECK(holder(r.arrive_ordered(0, 9), 5));  // 8 missing
	r.hand_back(5, 10);                        // the wait ran out: 8 skipped, 9 released
	CHECK(dropped(r.arrive_ordered(1, 8)));    // late: the receiver took 9
	CHECK(pass(r.arrive_ordered(0, 10)));
	CHECK(r.stat(T, ELIM_LATE) == 1);
	CHECK(r.stat(T, ELIM_TO_HOLDER) == 5);
	CHECK(r.stat(1, ELIM_TO_HOLDER) == 1);
}

TEST_CASE("order mode: a stream without copies is never held (its gaps cannot fill)")
{
	Receiver r(Mode::order);
	r.holder_runs(true);
	CHECK(r.arrive_ordered(0, 1).mark == 0);
	auto o = r.arrive_ordered(0, 3);
	CHECK(o.verdict == TC_ACT_UNSPEC);
	CHECK(o.mark == 0);
	CHECK(r.arrive_ordered(0, 2).verdict == TC_ACT_SHOT);    // after 3 was taken: late, as the receiver would drop it
	CHECK(r.arrive_ordered(1, 3).verdict == TC_ACT_SHOT);    // one copy: not yet a duplicated stream
	CHECK(r.arrive_ordered(0, 5).mark == 0);
	for (uint32_t seq = 5; seq <= 7; seq++)                 // copies come for every number: it is
		r.arrive_ordered(1, seq), r.arrive_ordered(0, seq + 1);
	CHECK(r.arrive_ordered(0, 10).mark == (ELIM_ORDER_MARK | 1));
}

TEST_CASE("order mode: when copies stop, gaps are not held; when they come again, they are")
{
	// A sender whose copy policy stops copying (adaptive, path A clean)
	// still sends one packet in 16 twice; a gap then has no copy to wait for.
	Receiver r(Mode::order);
	r.holder_runs(true);
	r.duplicated_up_to(10);
	CHECK(r.arrive_ordered(0, 12).mark == (ELIM_ORDER_MARK | 1));
	CHECK(r.arrive_ordered(1, 11).mark == (ELIM_ORDER_MARK | 2));
	r.hand_back(2, 13);
	uint32_t seq = 13;
	for (; seq < 13 + 32; seq++) {
		r.arrive_ordered(0, seq);
		if (seq % 16 == 0)
			r.arrive_ordered(1, seq);  // the sampled copy
	}
	elim_slot s;
	__u32 slot;
	REQUIRE(r.slot_of(Receiver::key_of("198.18.0.1", 7), slot, s));
	CHECK(s.copy_share < ELIM_COPY_SHARE_HOLD);
	auto o = r.arrive_ordered(0, seq + 1);  // seq lost on path A, and not copied
	CHECK(o.verdict == TC_ACT_UNSPEC);
	CHECK(o.mark == 0);
	// Copies again (path A lost a packet: the sender's policy copies).
	for (seq += 2; seq < 13 + 32 + 5; seq++)
		r.arrive_ordered(0, seq), r.arrive_ordered(1, seq);
	CHECK(r.arrive_ordered(0, seq + 1).mark == (ELIM_ORDER_MARK | 3));
}

TEST_CASE("order mode: copies a window behind go to the holder while it waits, else they are late")
{
	Receiver r(Mode::order, 8);
	r.holder_runs(true);
	r.duplicated_up_to(1);
	for (uint32_t s = 2; s <= 20; s++)
		if (s != 3)
			r.arrive_ordered(0, s);  // 4..20 to the holder: indexes 1..17
	auto o = r.arrive_ordered(1, 3);   // 17 behind, outside the window of 8
	CHECK(o.verdict == TC_ACT_UNSPEC);
	CHECK(o.mark == (ELIM_ORDER_MARK | 18));
	r.hand_back(18, 21);
	CHECK(r.arrive_ordered(1, 6).verdict == TC_ACT_SHOT);  // stale now, and late
	CHECK(r.arrive_ordered(0, 21).mark == 0);
}

TEST_CASE("order mode on a stream that drop mode started: its next packet sets the frontier")
{
	Receiver r(Mode::drop, 64, long_reset_ns);
	for (uint32_t seq = 496; seq <= 501; seq++)
		r.arrive(0, seq), r.arrive(1, seq);
	r.reload(Mode::order);
	r.holder_runs(true);
	auto o = r.arrive_ordered(0, 502);
	CHECK(o.verdict == TC_ACT_UNSPEC);
	CHECK(o.mark == 0);
	CHECK(r.arrive_ordered(0, 503).mark == 0);
	CHECK(r.arrive_ordered(0, 505).mark == (ELIM_ORDER_MARK | 1));
}

TEST_CASE("order mode on a stream that drop mode started: a gap's fill behind what it passed is late")
{
	Receiver r(Mode::drop, 64, long_reset_ns);
	r.arrive(0, 500);
	r.arrive(1, 500);
	r.arrive(0, 501);
	r.arrive(0, 503);  // 502 missing on path A: drop mode passed 503 at once
	r.reload(Mode::order);
	r.holder_runs(true);
	CHECK(r.arrive_ordered(1, 502).verdict == TC_ACT_SHOT);  // the receiver took 503: late
	CHECK(r.stat(T, ELIM_LATE) == 1);
	auto o = r.arrive_ordered(0, 504);
	CHECK(o.verdict == TC_ACT_UNSPEC);
	CHECK(o.mark == 0);
}

TEST_CASE("order mode: while the holder holds, what is below its published frontier is dropped")
{
	Receiver r(Mode::order, 8);
	r.holder_runs(true);
	r.duplicated_up_to(1);
	for (uint32_t s = 2; s <= 20; s++)
		if (s != 3)
			r.arrive_ordered(0, s);  // 4..20 to the holder: indexes 1..17
	r.hand_back(0, 12);                // still holding (received 0), its frontier at 12
	CHECK(r.arrive_ordered(1, 11).verdict == TC_ACT_SHOT);
	CHECK(r.arrive_ordered(1, 13).mark == 0);  // a duplicate within the window
	auto o = r.arrive_ordered(0, 21);
	CHECK(o.mark == (ELIM_ORDER_MARK | 18));
}

TEST_CASE("order mode: a forged packet far ahead is dropped, the stream goes on")
{
	Receiver r(Mode::order);
	r.holder_runs(true);
	r.arrive_ordered(0, 1);
	CHECK(r.arrive_ordered(0, 100000).verdict == TC_ACT_SHOT);
	auto o = r.arrive_ordered(0, 2);
	CHECK(o.verdict == TC_ACT_UNSPEC);
	CHECK(o.mark == 0);
}

TEST_CASE("order mode: without a beating holder no gap is handed over")
{
	Receiver r(Mode::order);
	r.duplicated_up_to(1);
	auto o = r.arrive_ordered(0, 3);
	CHECK(o.verdict == TC_ACT_UNSPEC);
	CHECK(o.mark == 0);  // nobody to wait for it: passed, as without dupgre
	CHECK(r.arrive_ordered(0, 2).verdict == TC_ACT_SHOT);  // late behind 3, as the receiver judges
	r.holder_runs(true, true);  // a holder that is stopping takes no new gap either
	CHECK(r.arrive_ordered(0, 5).mark == 0);
	r.holder_runs(true);
	CHECK(r.arrive_ordered(0, 7).mark == (ELIM_ORDER_MARK | 1));
}

TEST_CASE("order mode: a draining holder still gets its streams' packets, then hands them back")
{
	Receiver r(Mode::order);
	r.holder_runs(true);
	r.duplicated_up_to(1);
	CHECK(r.arrive_ordered(0, 3).mark == (ELIM_ORDER_MARK | 1));
	r.holder_runs(true, true);
	CHECK(r.arrive_ordered(0, 4).mark == (ELIM_ORDER_MARK | 2));  // behind what it has: to it
	r.hand_back(2, 5);  // released 3 and 4 at once (2 skipped), handed back
	auto o = r.arrive_ordered(0, 5);
	CHECK(o.verdict == TC_ACT_UNSPEC);
	CHECK(o.mark == 0);
	CHECK(r.arrive_ordered(0, 7).mark == 0);  // a new gap: not handed to a draining holder
}

TEST_CASE("order mode: a holder whose beat stops loses its streams at once, nothing after goes out of order")
{
	Receiver r(Mode::order);
	r.holder_runs(true);
	r.duplicated_up_to(1);
	CHECK(r.arrive_ordered(0, 3).mark == (ELIM_ORDER_MARK | 1));
	CHECK(r.arrive_ordered(0, 4).mark == (ELIM_ORDER_MARK | 2));
	r.holder_runs(false);  // killed: its queue went with its socket
	CHECK(r.arrive_ordered(1, 2).verdict == TC_ACT_SHOT);  // below what recovery passed: late now
	auto o = r.arrive_ordered(0, 5);
	CHECK(o.verdict == TC_ACT_UNSPEC);
	CHECK(o.mark == 0);
	CHECK(r.stat(T, ELIM_HOLDER_GONE) == 1);
	// A holder that starts again takes the stream from where the program is.
	r.holder_runs(true);
	CHECK(r.arrive_ordered(0, 6).mark == 0);
	r.arrive_ordered(1, 5), r.arrive_ordered(1, 6);                // the copies, still coming
	CHECK(r.arrive_ordered(0, 8).mark == (ELIM_ORDER_MARK | 1));  // indices from the hand-back on
	__u32 slot;
	elim_slot s;
	REQUIRE(r.slot_of(Receiver::key_of("198.18.0.1", 7), slot, s));
	CHECK(s.next == 7);  // the frontier a new holder starts from: 7, delivered up to 6
}

TEST_CASE("order mode: a holder that stalls keeps its streams but gets no new gap; gone, it loses them")
{
	Receiver r(Mode::order);
	r.holder_runs(true);
	for (uint16_t call : {7, 8})
		r.duplicated_up_to(1, call);
	CHECK(r.arrive_ordered(0, 3).mark == (ELIM_ORDER_MARK | 1));
	// No beat for longer than HOLD_STALE_NS (a loaded router, a
	// descheduled VM): what it holds would be lost behind packets passed
	// without it, so the stream stays with it.
	r.holder_stalls(HOLD_STALE_NS + 300000000ull);
	CHECK(r.arrive_ordered(0, 4).mark == (ELIM_ORDER_MARK | 2));
	CHECK(r.stat(T, ELIM_HOLDER_GONE) == 0);
	auto other = r.arrive_ordered(0, 3, 0, ppp_mppe(), 8);  // a new gap: not for a stalled holder
	CHECK(other.verdict == TC_ACT_UNSPEC);
	CHECK(other.mark == 0);
	// No beat for HOLD_GONE_NS: dead, its queue gone with its socket.
	r.holder_stalls(HOLD_GONE_NS);
	auto o = r.arrive_ordered(0, 5);
	CHECK(o.verdict == TC_ACT_UNSPEC);
	CHECK(o.mark == 0);
	CHECK(r.stat(T, ELIM_HOLDER_GONE) == 1);
}

TEST_CASE("order mode: a restarted holder does not inherit the streams the one before had")
{
	Receiver r(Mode::order);
	r.holder_runs(true);
	r.duplicated_up_to(1);
	CHECK(r.arrive_ordered(0, 3).mark == (ELIM_ORDER_MARK | 1));
	CHECK(r.arrive_ordered(0, 4).mark == (ELIM_ORDER_MARK | 2));
	r.epoch_ = 2;  // stopped and started again before any packet saw it gone
	auto o = r.arrive_ordered(0, 5);
	CHECK(o.verdict == TC_ACT_UNSPEC);
	CHECK(o.mark == 0);
	CHECK(r.stat(T, ELIM_HOLDER_GONE) == 1);
	r.arrive_ordered(1, 4), r.arrive_ordered(1, 5);                // the copies, still coming
	CHECK(r.arrive_ordered(0, 7).mark == (ELIM_ORDER_MARK | 1));  // the new run gets new gaps
	__u32 slot;
	elim_slot s;
	REQUIRE(r.slot_of(Receiver::key_of("198.18.0.1", 7), slot, s));
	CHECK(s.next == 6);  // its frontier: what the receiver took, not a stale one
}

TEST_CASE("order mode: another tool's mark is kept, and the packet is not ordered")
{
	Receiver r(Mode::order);
	r.holder_runs(true);
	r.duplicated_up_to(1);
	auto o = r.arrive_ordered(0, 3, 0x42);
	CHECK(o.verdict == TC_ACT_UNSPEC);
	CHECK(o.mark == 0x42);
	CHECK(r.stat(T, ELIM_FOREIGN_MARK) == 1);
	CHECK(r.arrive_ordered(0, 5).mark == (ELIM_ORDER_MARK | 1));  // its own packets still are
}

TEST_CASE("late LCP echoes pass, as the kernel's receiver takes them; other late packets do not")
{
	Receiver r(Mode::order);
	r.holder_runs(true);
	for (uint32_t s = 1; s <= 10; s++)
		if (s < 5 || s > 8)
			r.arrive_ordered(0, s);  // no copies: 9 passed over the gap
	CHECK(r.arrive_ordered(1, 5, 0, ppp_lcp_echo(9, true)).verdict == TC_ACT_UNSPEC);   // a request, late
	CHECK(r.arrive_ordered(1, 6, 0, ppp_lcp_echo(10, true)).verdict == TC_ACT_UNSPEC);  // a reply, late
	CHECK(r.arrive_ordered(1, 7, 0, ppp_lcp_echo(9, false)).verdict == TC_ACT_SHOT);    // no FF 03: the kernel drops it
	CHECK(r.arrive_ordered(1, 8).verdict == TC_ACT_SHOT);
	Receiver d(Mode::drop);
	d.arrive(0, 100);
	Ipv4 ip;
	ip.saddr = addr("198.18.0.1");
	Gre g;
	g.call_id = 7;
	g.seq = 20;  // a window behind: stale
	CHECK(d.run(1, ethernet({}, ipv4(ip, gre(g, ppp_lcp_echo(9, true))))) == TC_ACT_UNSPEC);
	g.seq = 21;
	CHECK(d.run(1, ethernet({}, ipv4(ip, gre(g, ppp_mppe())))) == TC_ACT_SHOT);
	// With an acknowledgment too (S and A), the PPP frame starts 4 bytes later.
	g.word0 = PPTP_GRE_F_KEY | PPTP_GRE_F_SEQ | PPTP_GRE_F_ACK | PPTP_GRE_VERSION | PPTP_GRE_PROTO_PPP;
	g.ack = 1234;
	g.seq = 22;
	CHECK(d.run(1, ethernet({}, ipv4(ip, gre(g, ppp_lcp_echo(10, true))))) == TC_ACT_UNSPEC);
}

TEST_CASE("a stream's own stale packets do not make it duplicated; copies a window behind do")
{
	Receiver r(Mode::order);
	r.holder_runs(true);
	for (uint32_t s = 100; s <= 110; s++)
		r.arrive_ordered(0, s);
	for (uint32_t seq = 10; seq <= 12; seq++)                 // stale packets of its own
		CHECK(r.arrive_ordered(0, seq).verdict == TC_ACT_SHOT);
	auto o = r.arrive_ordered(0, 112);                        // a gap that no copy can fill
	CHECK(o.verdict == TC_ACT_UNSPEC);
	CHECK(o.mark == 0);
	for (uint32_t seq = 20; seq <= 22; seq++)               // by the other path, far behind: copies
		CHECK(r.arrive_ordered(1, seq).verdict == TC_ACT_SHOT);
	CHECK(r.arrive_ordered(0, 114).mark == (ELIM_ORDER_MARK | 1));
}

TEST_CASE("forged runs far ahead never move a stream whose traffic flows; a genuine jump does after the quiet time")
{
	for (Mode mode : {Mode::drop, Mode::order}) {
		CAPTURE(static_cast<int>(mode));
		Receiver r(mode);
		r.holder_runs(true);
		r.jump_quiet(30000000ull, mode);  // 30 ms
		r.arrive_ordered(0, 1);
		int passed = 0;
		for (uint32_t i = 0; i < 200; i++) {
			passed += r.arrive_ordered(0, 1000000 + i).verdict != TC_ACT_SHOT;  // forged, each near the last
			if (i % 2 == 0)
				CHECK(r.arrive_ordered(0, 2 + i / 2).verdict == TC_ACT_UNSPEC);  // the stream's own
		}
		CHECK(passed == 0);
		__u32 slot;
		elim_slot s;
		REQUIRE(r.slot_of(Receiver::key_of("198.18.0.1", 7), slot, s));
		CHECK(s.recov_seq == 101);
		// Both paths out for longer than the quiet time, then far ahead.
		timespec pause = {0, 40000000};
		nanosleep(&pause, nullptr);
		CHECK(r.arrive_ordered(0, 5000).verdict == TC_ACT_SHOT);
		CHECK(r.arrive_ordered(0, 5001).verdict == TC_ACT_SHOT);
		CHECK(r.arrive_ordered(0, 5002).verdict == TC_ACT_UNSPEC);
		CHECK(r.arrive_ordered(0, 5003).verdict == TC_ACT_UNSPEC);
	}
}

TEST_CASE("stream slots: a live call keeps its slot through 4096 new ones; a full table is counted, not stolen")
{
	// The reset time must outlast filling the table (4096 test runs): no
	// call may go idle before the table is full. 2 s, or three times the
	// fill as timed on a receiver of its own: the fill took more than 2 s
	// in the mipsel guest (TCG, the host busy), and idle long calls lost
	// their slots to the later ones.
	__u64 reset_ns = 2000000000ull;
	{
		Receiver probe(Mode::drop, 64, reset_ns);
		int64_t t0 = dupgre::monotonic_ns();
		for (uint16_t id = 100; id < 100 + 256; id++)
			probe.arrive(0, 1, "198.18.0.2", id);
		__u64 fill = static_cast<__u64>(dupgre::monotonic_ns() - t0) * (ELIM_MAX_STREAMS + 200) / 256;
		reset_ns = std::max(reset_ns, 3 * fill);
	}
	Receiver r(Mode::drop, 64, reset_ns);
	const uint16_t longs[4] = {1, 2, 3, 4}, later[4] = {9001, 9002, 9003, 9004};
	auto run_longs = [&](const uint16_t *ids, uint32_t from, uint32_t to) {
		for (uint32_t s = from; s <= to; s++)
			for (unsigned i = 0; i < 4; i++) {
				CHECK(r.arrive(0, s, "198.18.0.1", ids[i]) == TC_ACT_UNSPEC);
				CHECK(r.arrive(1, s, "198.18.0.1", ids[i]) == TC_ACT_SHOT);  // its copy
			}
	};
	run_longs(longs, 1, 10);
	for (uint16_t id = 100; id < 100 + 4092; id++)  // short calls: one packet each
		r.arrive(0, 1, "198.18.0.2", id);
	CHECK(r.stat(T, ELIM_TABLE_FULL) == 0);  // 4 + 4092: every slot taken
	for (unsigned i = 0; i < 4; i++) {
		CHECK(r.arrive(0, 1, "198.18.0.1", later[i]) == TC_ACT_UNSPEC);  // untracked: passed
		CHECK(r.arrive(1, 1, "198.18.0.1", later[i]) == TC_ACT_UNSPEC);  // and so is its copy (fail-open)
	}
	CHECK(r.stat(T, ELIM_TABLE_FULL) == 8);
	run_longs(longs, 11, 20);  // the live calls lost nothing
	// The short calls go idle past the reset time; the long ones go on.
	// 22 ticks of a 22nd of the reset time and 200 ms (100 ms at 2 s).
	__u64 tick_ns = (reset_ns + 200000000ull) / 22;
	timespec tick = {static_cast<time_t>(tick_ns / 1000000000), static_cast<long>(tick_ns % 1000000000)};
	for (uint32_t s = 21; s <= 42; s++) {  // past the reset time
		nanosleep(&tick, nullptr);
		run_longs(longs, s, s);
	}
	run_longs(later, 1, 100);  // slots of idle calls: taken, no copy passed twice
	run_longs(longs, 43, 100);
	for (uint16_t id : longs) {
		__u32 slot;
		elim_slot s;
		REQUIRE(r.slot_of(Receiver::key_of("198.18.0.1", id), slot, s));
		CHECK(s.gen == 1);  // never lost its slot
		CHECK(s.counters[ELIM_PASSED] == 100);
		CHECK(s.counters[ELIM_DISCARDED] == 100);
		CHECK(s.counters[ELIM_RESETS] == 0);
	}
	CHECK(r.stat(T, ELIM_LOST) == 0);
	CHECK(r.streams() <= ELIM_MAX_STREAMS + 8);
}

TEST_CASE("stream slots: a new owner starts from nothing, the order state and the old hand-back included")
{
	Receiver r(Mode::order, 64, 100000000ull);  // reset time 100 ms
	r.holder_runs(true);
	for (uint16_t id = 1; id <= ELIM_MAX_STREAMS; id++) {  // every slot: a gap handed to the holder
		r.duplicated_up_to(1, id);
		r.arrive_ordered(0, 3, 0, ppp_mppe(), id);
	}
	__u32 old_slot;
	elim_slot old;
	REQUIRE(r.slot_of(Receiver::key_of("198.18.0.1", 1), old_slot, old));
	CHECK(old.queued == 1);
	r.write_ack(old_slot, 0, 9, old.gen);  // the holder still has it, frontier 9
	timespec pause = {0, 150000000};
	nanosleep(&pause, nullptr);
	for (uint16_t id = 20001; id <= 20000 + ELIM_MAX_STREAMS; id++) {  // every old call idle: new ones
		auto o = r.arrive_ordered(0, 5, 0, ppp_mppe(), id);
		CHECK(o.verdict == TC_ACT_UNSPEC);
		CHECK(o.mark == 0);  // the old owner's hand-over and hand-back are not theirs
	}
	CHECK(r.stat(T, ELIM_TABLE_FULL) == 0);
	__u32 slot;
	elim_slot s;
	CHECK_FALSE(r.slot_of(Receiver::key_of("198.18.0.1", 1), slot, s));  // the old owner's entry went
	bool found = false;
	for (uint16_t id = 20001; id <= 20000 + ELIM_MAX_STREAMS && !found; id++)
		if (r.slot_of(Receiver::key_of("198.18.0.1", id), slot, s) && slot == old_slot)
			found = true;
	REQUIRE(found);
	CHECK(s.gen == old.gen + 1);
	CHECK(s.queued == 0);
	CHECK(s.synced == 0);
	CHECK(s.next == 6);
	CHECK(s.copy_share == 0);
	CHECK(s.counters[ELIM_PASSED] == 1);
	CHECK(r.streams() == ELIM_MAX_STREAMS);
}

TEST_CASE("WireGuard: the second copy is discarded, and dropped in drop mode; IPv4 and IPv6")
{
	for (Mode mode : {Mode::monitor, Mode::drop})
		for (const char *src : {"198.18.0.1", "2001:db8::1"}) {
			Receiver r(mode, 64, 1000000000ull, true);
			CAPTURE(src);
			for (uint64_t c = 0; c < 100; c++) {
				CHECK(r.wg(0, c, src) == TC_ACT_UNSPEC);
				CHECK(r.wg(1, c, src) == (mode == Mode::drop ? TC_ACT_SHOT : TC_ACT_UNSPEC));
			}
			CHECK(r.stat(T, ELIM_PASSED) == 100);
			CHECK(r.stat(1, ELIM_DISCARDED) == 100);
			CHECK(r.stat(0, ELIM_FIRST) == 100);
			CHECK(r.stat(T, ELIM_OUT_OF_ORDER) == 0);
			CHECK(r.gaps(1) == 100);
			CHECK(r.streams() == 1);
		}
}

TEST_CASE("WireGuard drop mode: only duplicates go; copies far behind and jumps ahead are WireGuard's to judge")
{
	Receiver r(Mode::drop, 64, 1000000000ull, true);
	for (uint64_t c = 0; c < 200; c++)
		CHECK(r.wg(0, c) == TC_ACT_UNSPEC);
	CHECK(r.wg(1, 10) == TC_ACT_UNSPEC);    // 190 behind: stale here, new to WireGuard's 8128
	CHECK(r.wg(1, 150) == TC_ACT_SHOT);     // within the window: a known duplicate
	CHECK(r.wg(1, 5000) == TC_ACT_UNSPEC);  // far ahead, unconfirmed: passed
	CHECK(r.wg(0, 200) == TC_ACT_UNSPEC);   // and the stream goes on
	CHECK(r.wg(1, 200) == TC_ACT_SHOT);
	CHECK(r.stat(T, ELIM_ROGUE) == 2);
	CHECK(r.stat(T, ELIM_DISCARDED) == 2);
}

TEST_CASE("WireGuard: streams are (source address, receiver index), the address 16 bytes")
{
	Receiver r(Mode::drop, 64, 1000000000ull, true);
	CHECK(r.wg(0, 5, "198.18.0.1", 1) == TC_ACT_UNSPEC);
	CHECK(r.wg(0, 5, "198.18.0.1", 2) == TC_ACT_UNSPEC);    // another session
	CHECK(r.wg(0, 5, "198.18.0.2", 1) == TC_ACT_UNSPEC);    // another sender
	CHECK(r.wg(0, 5, "::ffff:198.18.0.3", 1) == TC_ACT_UNSPEC);
	CHECK(r.wg(0, 5, "2001:db8::1", 1) == TC_ACT_UNSPEC);
	CHECK(r.wg(0, 5, "2001:db8::1:0:0:1", 1) == TC_ACT_UNSPEC);  // differs only in the upper half
	CHECK(r.wg(0, 5, "198.18.0.1", 0xa1b2c301) == TC_ACT_UNSPEC);  // every byte of the index counts
	CHECK(r.wg(0, 5, "198.18.0.1", 0x01000001) == TC_ACT_UNSPEC);
	CHECK(r.wg(1, 5, "2001:db8::1", 1) == TC_ACT_SHOT);
	CHECK(r.wg(1, 5, "198.18.0.2", 1) == TC_ACT_SHOT);
	CHECK(r.wg(1, 5, "198.18.0.1", 0xa1b2c301) == TC_ACT_SHOT);
	CHECK(r.streams() == 8);
	bool found_v4 = false, found_v6 = false, found_wide = false;
	for (const elim_stream_key &k : r.stream_keys()) {
		const auto *b = reinterpret_cast<const uint8_t *>(k.saddr);
		// 198.18.0.1, receiver 1, IPv4-mapped; 2001:db8::1, receiver 1.
		static const uint8_t v4[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 198, 18, 0, 1};
		static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
		found_v4 |= memcmp(b, v4, 16) == 0 && k.id == 1;
		found_v6 |= memcmp(b, v6, 16) == 0 && k.id == 1;
		found_wide |= memcmp(b, v4, 16) == 0 && k.id == 0xa1b2c301;  // little-endian on the wire
	}
	CHECK(found_wide);
	CHECK(found_v4);
	CHECK(found_v6);
}

TEST_CASE("WireGuard: the counter's low 32 bits, wrapping as GRE's do")
{
	Receiver r(Mode::drop, 64, 1000000000ull, true);
	for (uint64_t c = 0xfffffff0ull; c < 0x100000010ull; c++)
		CHECK(r.wg(0, c) == TC_ACT_UNSPEC);
	CHECK(r.stat(T, ELIM_PASSED) == 32);
	CHECK(r.stat(T, ELIM_OUT_OF_ORDER) == 0);
	CHECK(r.stat(T, ELIM_ROGUE) == 0);
	// The same low half in another 2^32 block is the same number: its copy.
	CHECK(r.wg(1, 0x200000005ull) == TC_ACT_SHOT);
	// Far ahead of the window (a big-endian reading of 6): rogue, and
	// passed: WireGuard judges what is not a known duplicate.
	CHECK(r.wg(1, 0x06000000ull) == TC_ACT_UNSPEC);
	CHECK(r.stat(T, ELIM_ROGUE) == 1);
}

TEST_CASE("WireGuard: what one path loses the other rescues; both directions of the port")
{
	for (bool to_server : {true, false}) {
		Receiver r(Mode::monitor, 64, 1000000000ull, true);
		for (uint64_t c = 0; c < 300; c++) {
			if (c % 10 != 3)
				r.wg(0, c, "2001:db8::1", 9, to_server);
			if (c % 7 != 2)
				r.wg(1, c, "2001:db8::1", 9, to_server);
		}
		unsigned both = 0, only_b = 0, only_a = 0;
		for (uint64_t c = 0; c < 300 - 64; c++) {
			bool a_lost = c % 10 == 3, b_lost = c % 7 == 2;
			both += a_lost && b_lost;
			only_b += a_lost && !b_lost;
			only_a += b_lost && !a_lost;
		}
		CAPTURE(to_server);
		CHECK(r.stat(T, ELIM_LOST) == both);
		CHECK(r.stat(1, ELIM_RESCUED) == only_b);
		CHECK(r.stat(0, ELIM_RESCUED) == only_a);
	}
}

TEST_CASE("WireGuard: handshakes are tagless; anything else is not the stream's")
{
	Receiver r(Mode::drop, 64, 1000000000ull, true);
	CHECK(r.wg(0, 0, "198.18.0.1", 1, true, 1, 148) == TC_ACT_UNSPEC);
	CHECK(r.wg(0, 0, "2001:db8::1", 1, false, 2, 92) == TC_ACT_UNSPEC);
	CHECK(r.wg(0, 0, "198.18.0.1", 1, true, 3, 64) == TC_ACT_UNSPEC);
	CHECK(r.stat(0, ELIM_TAGLESS) == 3);
	// Near misses: sizes, type, the port, fragments; each passes, uncounted.
	r.wg(0, 0, "198.18.0.1", 1, true, 1, 149);
	r.wg(0, 0, "198.18.0.1", 1, true, 4, 31);
	r.wg(0, 0, "198.18.0.1", 1, true, 5, 96);
	Bytes frag = ipv6_frag(17, 0, true);
	CHECK(r.wg(0, 1, "2001:db8::1", 1, true, 4, 96, frag, 44) == TC_ACT_UNSPEC);
	CHECK(r.wg(1, 1, "2001:db8::1", 1, true, 4, 96, frag, 44) == TC_ACT_UNSPEC);
	Udp other_port;
	other_port.dport = 51821;
	Ipv4 ip;
	ip.protocol = 17;
	for (int i = 0; i < 2; i++)
		CHECK(r.run(i, ethernet({}, ipv4(ip, udp(other_port, wg_message(4, 96))))) == TC_ACT_UNSPEC);
	// PPTP GRE is not the WireGuard profile's.
	CHECK(r.arrive(0, 1) == TC_ACT_UNSPEC);
	CHECK(r.arrive(1, 1) == TC_ACT_UNSPEC);
	CHECK(r.stat(T, ELIM_PASSED) == 0);
	CHECK(r.stat(0, ELIM_TAGLESS) == 3);
	CHECK(r.streams() == 0);
	// Behind extension headers it is one.
	Bytes ext = ipv6_ext(60) + ipv6_ext(17, 1);
	CHECK(r.wg(0, 1, "2001:db8::1", 1, true, 4, 96, ext, 0) == TC_ACT_UNSPEC);
	CHECK(r.wg(1, 1, "2001:db8::1", 1, true, 4, 96, ext, 0) == TC_ACT_SHOT);
}

TEST_CASE("WireGuard: a handshake message's copy is discarded (dropped in drop mode); a new one passes")
{
	// Two copies of one initiation handled at once on two CPUs would both
	// pass WireGuard's replay check (made under a read lock), each making
	// its own keys; the first copy alone goes on.
	for (Mode mode : {Mode::drop, Mode::monitor}) {
		CAPTURE(static_cast<int>(mode));
		Receiver r(mode, 64, 1000000000ull, true);
		int copy = mode == Mode::drop ? TC_ACT_SHOT : TC_ACT_UNSPEC;
		CHECK(r.wg(0, 0, "198.18.0.1", 7, true, 1, 148) == TC_ACT_UNSPEC);   // initiation, sender index 7
		CHECK(r.wg(1, 0, "198.18.0.1", 7, true, 1, 148) == copy);            // its copy by path B
		CHECK(r.wg(1, 0, "198.18.0.1", 8, true, 1, 148) == TC_ACT_UNSPEC);   // a retry: a new sender index
		CHECK(r.wg(0, 0, "198.18.0.2", 7, true, 1, 148) == TC_ACT_UNSPEC);   // another site's index 7
		CHECK(r.wg(0, 0, "2001:db8::1", 9, false, 2, 92) == TC_ACT_UNSPEC);  // a response
		CHECK(r.wg(1, 0, "2001:db8::1", 9, false, 2, 92) == copy);
		CHECK(r.wg(0, 0, "198.18.0.1", 7, true, 2, 92) == TC_ACT_UNSPEC);    // a response is not an initiation
		CHECK(r.wg(0, 0, "198.18.0.1", 7, true, 3, 64) == TC_ACT_UNSPEC);    // cookie replies: tagless,
		CHECK(r.wg(1, 0, "198.18.0.1", 7, true, 3, 64) == TC_ACT_UNSPEC);    // never a copy to drop
		CHECK(r.stat(1, ELIM_DISCARDED) == 2);
		CHECK(r.stat(0, ELIM_DISCARDED) == 0);
		CHECK(r.stat(T, ELIM_DISCARDED) == 2);
		CHECK(r.stat(0, ELIM_TAGLESS) + r.stat(1, ELIM_TAGLESS) == 7);
		CHECK(r.streams() == 0);
	}
}

TEST_CASE("the PPTP profile ignores WireGuard")
{
	Receiver r(Mode::drop);
	CHECK(r.wg(0, 1) == TC_ACT_UNSPEC);
	CHECK(r.wg(1, 1) == TC_ACT_UNSPEC);
	CHECK(r.streams() == 0);
}
