// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "programs/holder.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <list>
#include <memory>
#include <optional>
#include <unordered_map>
#include <set>
#include <vector>

#include "core/bpffs.h"
#include "core/counters.h"
#include "core/error.h"
#include "core/fd.h"
#include "core/netfilter.h"
#include "core/pins.h"
#include "dupgre/eliminate.h"
#include "programs/order_rule.h"
#include "programs/hold_stream.h"
#include "programs/reorder.h"

namespace dupgre {

namespace {

using namespace hold;

// The holder's cost is bounded whatever arrives: at most max_streams
// streams (the program's slots: it marks only streams that own one), a
// fixed cost each, max_held packets in all; every packet costs O(log n)
// (the timer sets), never a walk over all streams.
class Holder {
public:
	Holder(const HolderOptions &o) : o_(o), wait_us_(o.default_wait_ms * 1000ll)
	{
		nl_.reset(mnl_socket_open(NETLINK_NETFILTER));
		if (!nl_)
			throw Error("opening a netfilter netlink socket: " + strerror_text(-errno));
		if (mnl_socket_bind(nl_.get(), 0, MNL_SOCKET_AUTOPID) < 0)
			throw Error("binding the netfilter netlink socket: " + strerror_text(-errno));
		portid_ = mnl_socket_get_portid(nl_.get());
		int one = 1;
		// A full socket buffer must not stop the loop: the queue fails open.
		setsockopt(mnl_socket_get_fd(nl_.get()), SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof(one));
		// A packet the kernel cannot put in this socket passes unheld
		// (fail-open), out of order: room for a burst of headers.
		int rcvbuf = 8 << 20;
		if (setsockopt(mnl_socket_get_fd(nl_.get()), SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
			setsockopt(mnl_socket_get_fd(nl_.get()), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
		config([](nlmsghdr *nlh) { nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_BIND); },
		       "binding NFQUEUE " + std::to_string(ELIM_ORDER_QUEUE) + " (is another holder running?)");
		config([&](nlmsghdr *nlh) {
			// The headers are all it needs; the packet stays in the kernel.
			nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, 128);
			nfq_nlmsg_cfg_put_qmaxlen(nlh, o_.queue_len);
			mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(NFQA_CFG_F_FAIL_OPEN));
			mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_FAIL_OPEN));
		}, "configuring NFQUEUE");
		streams_.reserve(o_.max_streams);
	}

	void run(const volatile sig_atomic_t &stop)
	{
		// Beat first: the program hands over gaps from the first beat on.
		int64_t last_tick = monotonic_us();
		tick(last_tick);
		while (!stop) {
			int64_t now = monotonic_us();
			int timeout_ms = static_cast<int>(std::clamp<int64_t>((next_deadline(now) - now + 999) / 1000, 0, 100));
			step(now, timeout_ms);
			now = monotonic_us();
			if (now - last_tick >= static_cast<int64_t>(HOLD_BEAT_NS / 1000)) {
				tick(now);
				last_tick = now;
			}
		}
		drain();
	}

private:
	template <typename Fill> void config(Fill fill, const std::string &what)
	{
		std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
		nlmsghdr *nlh = nfq_nlmsg_put(buf.data(), NFQNL_MSG_CONFIG, ELIM_ORDER_QUEUE);
		fill(nlh);
		nlh->nlmsg_flags |= NLM_F_ACK;
		if (mnl_socket_sendto(nl_.get(), nlh, nlh->nlmsg_len) < 0)
			throw Error(what + ": " + strerror_text(-errno));
		int len = mnl_socket_recvfrom(nl_.get(), buf.data(), buf.size());
		if (len < 0 || mnl_cb_run(buf.data(), len, 0, portid_, nullptr, nullptr) < 0)
			throw Error(what + ": " + strerror_text(-errno));
	}

	// One turn: what the queue has (waiting up to timeout_ms for it), the
	// waits that ran out, the verdicts, the hand-backs. True if any packet came.
	bool step(int64_t now, int timeout_ms)
	{
		pollfd pfd = {mnl_socket_get_fd(nl_.get()), POLLIN, 0};
		int n = poll(&pfd, 1, timeout_ms);
		if (n < 0 && errno != EINTR)
			throw Error("poll: " + strerror_text(-errno));
		now = monotonic_us();
		bool came = false;
		if (n > 0 && pfd.revents) {
			// Everything queued so far, then the verdicts in one send.
			ssize_t len;
			while ((len = recv(pfd.fd, buf_.data(), buf_.size(), MSG_DONTWAIT)) > 0) {
				mnl_cb_run(buf_.data(), len, 0, portid_, on_packet, this);
				came = true;
			}
		}
		expire(now);
		send_verdicts();
		hand_back();
		return came;
	}

	int64_t next_deadline(int64_t now) const
	{
		int64_t d = now + 100000;
		if (!waits_.empty())
			d = std::min(d, waits_.begin()->first + wait_us_);
		if (!aheads_.empty())
			d = std::min(d, aheads_.begin()->first + Stream::index_wait_us);
		return d;
	}

	// Runs op on st, then puts st's books right: the running counts, its
	// timers, the dirty list (to hand back) and the idle list (to evict).
	template <typename Op> void update(Stream &st, Op &&op)
	{
		size_t before = st.held();
		if (st.wait_key >= 0)
			waits_.erase({st.wait_key, &st});
		if (st.ahead_key >= 0)
			aheads_.erase({st.ahead_key, &st});
		op();
		size_t after = st.held();
		held_ = held_ - before + after;
		holding_ = holding_ - (before > 0) + (after > 0);
		st.wait_key = after ? st.order->waiting_since() : -1;
		if (st.wait_key >= 0)
			waits_.insert({st.wait_key, &st});
		st.ahead_key = st.ahead.empty() ? -1 : st.ahead_since_us;
		if (st.ahead_key >= 0)
			aheads_.insert({st.ahead_key, &st});
		if (!st.dirty) {
			st.dirty = true;
			dirty_.push_back(&st);
		}
		bool idle = !after && st.ahead.empty();
		if (st.idle)
			idle_.erase(st.idle_at);
		st.idle = idle;
		if (idle)
			st.idle_at = idle_.insert(idle_.end(), &st);
	}

	// key's stream; a new one takes the place of the stream idle longest
	// when max_streams are known. nullptr: every one holds packets.
	Stream *stream_for(const elim_stream_key &key)
	{
		auto it = streams_.find(key);
		if (it != streams_.end())
			return &it->second;
		if (streams_.size() >= o_.max_streams) {
			if (idle_.empty())
				return nullptr;
			forget(*idle_.front());
		}
		Stream &st = streams_[key];
		st.key = key;
		return &st;
	}
	void forget(Stream &st)
	{
		if (st.idle)
			idle_.erase(st.idle_at);
		if (st.wait_key >= 0)
			waits_.erase({st.wait_key, &st});
		if (st.ahead_key >= 0)
			aheads_.erase({st.ahead_key, &st});
		if (st.dirty)
			dirty_.erase(std::find(dirty_.begin(), dirty_.end(), &st));
		held_ -= st.held();
		holding_ -= st.held() > 0;
		streams_.erase(st.key);
	}

	static int on_packet(const nlmsghdr *nlh, void *data)
	{
		static_cast<Holder *>(data)->packet(nlh);
		return MNL_CB_OK;
	}

	void pass(uint32_t id)  // not ours to order: let it go
	{
		verdicts_.push_back({id, true});
		stats_.c[HOLD_PASSED]++;
	}

	void packet(const nlmsghdr *nlh)
	{
		nlattr *attr[NFQA_MAX + 1] = {};
		if (nfq_nlmsg_parse(nlh, attr) < 0 || !attr[NFQA_PACKET_HDR])
			return;
		auto *ph = static_cast<nfqnl_msg_packet_hdr *>(mnl_attr_get_payload(attr[NFQA_PACKET_HDR]));
		uint32_t id = ntohl(ph->packet_id);
		uint32_t mark = attr[NFQA_MARK] ? ntohl(mnl_attr_get_u32(attr[NFQA_MARK])) : 0;
		elim_stream_key key;
		uint32_t seq;
		stats_.c[HOLD_RECEIVED]++;
		if (!attr[NFQA_PAYLOAD] ||
		    !parse_gre(static_cast<const uint8_t *>(mnl_attr_get_payload(attr[NFQA_PAYLOAD])),
			       mnl_attr_get_payload_len(attr[NFQA_PAYLOAD]), key, seq) ||
		    (mark & ELIM_ORDER_MARK_MASK) != ELIM_ORDER_MARK || !maps_)
			return pass(id);
		int64_t now = monotonic_us();
		Stream *found = stream_for(key);
		if (!found) {
			stats_.c[HOLD_OVERFLOW]++;
			return pass(id);
		}
		Stream &st = *found;
		auto index16 = static_cast<uint16_t>(mark);
		elim_slot slot{};
		// A new episode when the program took the stream back (it records
		// our `received` as synced), or a stream we do not know: the
		// program's frontier then. Else our own frontier goes on.
		bool fresh = !st.order;
		if (!fresh && st.handed_back) {
			if (bpf_map_lookup_elem_flags(maps_.streams.get(), &st.slot, &slot, BPF_F_LOCK) == 0 &&
			    (slot.synced == st.received || slot.gen != st.gen))
				fresh = true;
		}
		if (fresh && !begin_episode(st, key, index16, seq)) {
			if (!st.order)
				forget(st);  // never took: no place kept for it
			return pass(id);
		}
		update(st, [&] {
			st.came(st.index_of(index16), now);
			st.handed_back = false;
			st.order->arrive(id, seq, now, verdicts_, stats_);
			if (draining_)
				st.order->release_all(now, verdicts_, stats_);
			else if (st.order->held() > o_.max_held_stream || held_ + st.order->held() > o_.max_held) {
				stats_.c[HOLD_OVERFLOW]++;
				st.order->skip_gap(now, verdicts_, stats_);
			}
		});
	}

	// Takes st over from the program: its slot, the owner's gen, and the
	// frontier. False when the slot is not (or no longer) key's.
	bool begin_episode(Stream &st, const elim_stream_key &key, uint16_t index16, uint32_t seq)
	{
		__u32 s;
		elim_slot slot{};
		if (bpf_map_lookup_elem(maps_.stream_index.get(), &key, &s) != 0 ||
		    bpf_map_lookup_elem_flags(maps_.streams.get(), &s, &slot, BPF_F_LOCK) != 0 ||
		    memcmp(&slot.owner, &key, sizeof(key)) != 0)
			return false;
		update(st, [&] {
			if (st.order)  // an episode before, for another owner of the slot
				st.order->release_all(monotonic_us(), verdicts_, stats_);
			st.slot = s;
			st.gen = slot.gen;
			st.ahead.clear();
			elim_order_ack ack{};
			st.ack_received = st.ack_next = 0;
			if (bpf_map_lookup_elem_flags(maps_.order_ack.get(), &s, &ack, BPF_F_LOCK) == 0 &&
			    ack.gen == slot.gen) {
				st.ack_received = ack.received;
				st.ack_next = ack.next;
			}
			st.received = slot.queued - static_cast<uint16_t>(static_cast<uint16_t>(slot.queued) - index16) - 1;
			// The program's frontier, unless it never set one or it is
			// stale: then this packet, which recovery let through, starts it.
			bool stale = !slot.next_valid ||
				     static_cast<int32_t>(slot.recov_seq - slot.next) > Reorder::max_ahead;
			st.order.emplace(stale ? seq : slot.next);
		});
		return true;
	}

	void send_verdicts()
	{
		if (verdicts_.empty())
			return;
		std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE * 2);
		mnl_nlmsg_batch *batch = mnl_nlmsg_batch_start(buf.data(), buf.size() / 2);
		auto flush = [&] {
			if (mnl_nlmsg_batch_size(batch) &&
			    mnl_socket_sendto(nl_.get(), mnl_nlmsg_batch_head(batch), mnl_nlmsg_batch_size(batch)) < 0) {
				// The packets stay queued until the socket closes (then
				// the kernel drops them): say so, once per failure.
				stats_.c[HOLD_VERDICT_ERRORS]++;
				fprintf(stderr, "dupgre-ctl hold: sending verdicts: %s\n", strerror(errno));
			}
			mnl_nlmsg_batch_reset(batch);
		};
		for (const Verdict &v : verdicts_) {
			nlmsghdr *nlh = nfq_nlmsg_put(static_cast<char *>(mnl_nlmsg_batch_current(batch)),
						      NFQNL_MSG_VERDICT, ELIM_ORDER_QUEUE);
			nfq_nlmsg_verdict_put(nlh, static_cast<int>(v.id), v.accept ? NF_ACCEPT : NF_DROP);
			// The program marks only packets that had no mark: clearing
			// ours gives back what the packet had.
			nfq_nlmsg_verdict_put_mark(nlh, 0);
			if (!mnl_nlmsg_batch_next(batch))
				flush();
		}
		flush();
		mnl_nlmsg_batch_stop(batch);
		verdicts_.clear();
	}

	void expire(int64_t now)
	{
		while (!waits_.empty() && now - waits_.begin()->first >= wait_us_) {
			Stream &st = *waits_.begin()->second;
			update(st, [&] { st.order->expire(now, wait_us_, verdicts_, stats_); });
		}
		while (!aheads_.empty() && now - aheads_.begin()->first >= Stream::index_wait_us) {
			Stream &st = *aheads_.begin()->second;
			update(st, [&] { st.give_up_waiting(now); });
		}
	}

	// The streams touched since the last call: those with nothing held go
	// back to the program with our frontier. For the others the record
	// keeps its `received` (so the program does not take the stream back)
	// and gets our frontier: what comes below it is late, and the program
	// drops it before it takes a place in the queue.
	void hand_back()
	{
		int64_t now = monotonic_us();
		for (Stream *p : dirty_) {
			Stream &st = *p;
			st.dirty = false;
			if (!maps_ || !st.order)
				continue;
			bool back = !st.order->held() && st.ahead.empty() && !st.handed_back;
			uint32_t received = back ? st.received : st.ack_received;
			// Holding, the frontier published lets through the copies of
			// numbers skipped lately: how late they come is what lets the
			// wait grow (Reorder::lowest_wanted).
			uint32_t next = back ? st.order->next() : st.order->lowest_wanted(now);
			if (!back && next == st.ack_next)
				continue;
			elim_order_ack ack{};
			ack.received = received;
			ack.next = next;
			ack.written = 1;
			ack.gen = st.gen;
			if (bpf_map_update_elem(maps_.order_ack.get(), &st.slot, &ack, BPF_F_LOCK) == 0) {
				st.ack_received = received;
				st.ack_next = ack.next;
				if (back) {
					st.handed_back = true;
					stats_.c[HOLD_HANDBACKS]++;
				}
			}
		}
		dirty_.clear();
	}

	// Everything held goes, in order, and the streams are forgotten: the
	// program's state they belonged to is gone (eliminate del) or new.
	void release_all()
	{
		int64_t now = monotonic_us();
		for (auto &[key, st] : streams_)
			if (st.order)
				st.order->release_all(now, verdicts_, stats_);
		send_verdicts();
		streams_.clear();
		waits_.clear();
		aheads_.clear();
		dirty_.clear();
		idle_.clear();
		held_ = holding_ = 0;
	}

	// A graceful stop (SIGTERM: systemctl stop or restart, procd, an
	// upgrade) loses nothing: the beat says "draining", so the program
	// hands over no new gap; what is held goes at once, in order; what the
	// program still hands over (streams the holder has) goes as it comes,
	// and each stream goes back as soon as the holder has it all. Then,
	// with the kernel's queue empty, the socket closes (which would drop
	// whatever the queue still had) and the beat stops.
	void drain()
	{
		draining_ = true;
		int64_t start = monotonic_us(), quiet_since = -1;
		constexpr int64_t limit_us = 2000000, quiet_us = 20000;
		if (maps_)
			write_info(start);
		for (int64_t now = start; now - start < limit_us; now = monotonic_us()) {
			// What is held goes at once; step() sends the verdicts and
			// hands the streams back, with what it reads meanwhile.
			release_all_held(now);
			bool came = step(now, 5);
			if (monotonic_us() - last_info_us_ >= static_cast<int64_t>(HOLD_BEAT_NS / 1000))
				write_info(monotonic_us());
			if (came || held_ || waiting_in_queue() != 0) {
				quiet_since = -1;
				continue;
			}
			if (quiet_since < 0)
				quiet_since = monotonic_us();
			else if (monotonic_us() - quiet_since >= quiet_us)
				break;
		}
		release_all();
		if (maps_) {
			hold_info info{};  // a beat of 0: stopped
			__u32 zero = 0;
			bpf_map_update_elem(maps_.hold_info.get(), &zero, &info, BPF_ANY);
			write_counters();
		}
	}
	void release_all_held(int64_t now)
	{
		while (!waits_.empty()) {
			Stream &st = *waits_.begin()->second;
			update(st, [&] { st.order->release_all(now, verdicts_, stats_); });
		}
		while (!aheads_.empty()) {  // no index will come that needs waiting for
			Stream &st = *aheads_.begin()->second;
			update(st, [&] { st.give_up_waiting(st.ahead_since_us + Stream::index_wait_us); });
		}
	}
	// Packets in the kernel's queue for us, from its own account; -1 if unknown.
	static long waiting_in_queue()
	{
		auto q = nfqueue_stats(ELIM_ORDER_QUEUE);
		return q ? static_cast<long>(q->total) : -1;
	}

	// Ten times a second: state, counters, the wait, the beat.
	void tick(int64_t now)
	{
		__u32 before = maps_.paths_id;
		if (!maps_.refresh()) {
			release_all();  // eliminate is gone: nothing is marked any more
			return;
		}
		if (maps_.paths_id != before) {
			// Eliminate's state was made anew: new counters, new streams.
			// The wait measured so far still says how late path B is.
			gap_snapshots_.clear();
			release_all();
		}
		update_wait(now);
		write_info(now);
		write_counters();
	}
	void write_counters()
	{
		stats_.c[HOLD_RULE_RESTORED] = rule_.restored();
		write_row(maps_.hold_stats.get(), stats_.c, HOLD_COUNTER_MAX);
		write_row(maps_.hold_times.get(), stats_.times, HOLD_TIME_ROW_LEN);
	}
	void write_info(int64_t now)
	{
		__u32 zero = 0;
		hold_info info{};
		info.heartbeat_ns = static_cast<__u64>(now) * 1000;
		info.pid = static_cast<__u32>(getpid());
		info.wait_us = static_cast<__u32>(wait_us_);
		info.held = static_cast<__u32>(held_);
		info.streams = static_cast<__u32>(holding_);
		info.draining = draining_;
		info.epoch = epoch_;
		info.gave_up = gave_up_;
		bpf_map_update_elem(maps_.hold_info.get(), &zero, &info, BPF_ANY);
		last_info_us_ = now;
	}

	// Our counters as CPU 0's copy of a per-CPU row (the others stay 0).
	static void write_row(int fd, const uint64_t *values, unsigned n)
	{
		int ncpus = libbpf_num_possible_cpus();
		if (ncpus <= 0)
			return;
		std::vector<__u64> row(static_cast<size_t>(ncpus) * n);
		std::copy(values, values + n, row.begin());
		__u32 zero = 0;
		bpf_map_update_elem(fd, &zero, row.data(), BPF_ANY);
	}

	// The wait: fixed by eliminate add --wait MS, else from what the last
	// wait_window_s seconds of copy gaps and gap fills measured.
	static constexpr unsigned wait_window_s = 5;
	void update_wait(int64_t now)
	{
		uint64_t fixed_ms = 0;
		std::vector<uint64_t> gaps(ELIM_GAP_BUCKETS);
		for (__u32 i = 0; i < ELIM_MAX_PATHS; i++) {
			elim_path p{};
			if (bpf_map_lookup_elem(maps_.paths.get(), &i, &p) != 0 || !p.used)
				continue;
			fixed_ms = p.wait_ms;
			try {
				auto row = sum_percpu_row(maps_.gaps.get(), &i, ELIM_GAP_ROW_LEN);
				for (unsigned b = 0; b < ELIM_GAP_BUCKETS; b++)
					gaps[b] += row[b];
			} catch (const Error &) {
			}
		}
		if (fixed_ms) {
			wait_us_ = static_cast<int64_t>(fixed_ms) * 1000;
			gave_up_ = false;
			return;
		}
		if (now - gap_snapshot_us_ >= 1000000) {
			gap_snapshots_.push_back(gaps);
			if (gap_snapshots_.size() > wait_window_s)
				gap_snapshots_.pop_front();
			gap_snapshot_us_ = now;
		}
		std::vector<uint64_t> recent(ELIM_GAP_BUCKETS);
		for (unsigned b = 0; b < ELIM_GAP_BUCKETS; b++) {
			uint64_t before = gap_snapshots_.empty() ? 0 : gap_snapshots_.front()[b];
			recent[b] = gaps[b] >= before ? gaps[b] - before : gaps[b];  // counters made anew
		}
		std::vector<int64_t> fills;
		for (const auto &[at, us] : stats_.fills_us)
			if (now - at < wait_window_s * 1000000ll)
				fills.push_back(us);
		if (copies_too_late(fills.data(), fills.size())) {
			if (!gave_up_)
				stats_.c[HOLD_WAIT_GAVE_UP]++;
			gave_up_ = true;
			wait_us_ = 0;  // a gap is skipped as soon as it is seen
			return;
		}
		if (gave_up_)
			wait_us_ = o_.default_wait_ms * 1000ll;
		gave_up_ = false;
		wait_us_ = auto_wait_us(recent.data(), ELIM_GAP_BUCKETS, fills.data(), fills.size(), wait_us_);
	}

	struct MnlClose {
		void operator()(mnl_socket *s) const { mnl_socket_close(s); }
	};

	HolderOptions o_;
	std::unique_ptr<mnl_socket, MnlClose> nl_;
	unsigned portid_ = 0;
	std::vector<char> buf_ = std::vector<char>(MNL_SOCKET_BUFFER_SIZE * 4);
	OrderRuleKeeper rule_;  // a firewall flush removes the rule that feeds the queue
	Maps maps_;
	std::unordered_map<elim_stream_key, Stream, KeyHash, KeyEq> streams_;  // nodes stay put: pointers hold
	std::set<std::pair<int64_t, Stream *>> waits_;   // streams holding, by when the wait began
	std::set<std::pair<int64_t, Stream *>> aheads_;  // streams missing an index, since when
	std::vector<Stream *> dirty_;                     // touched since the last hand-back
	std::list<Stream *> idle_;                        // holding nothing, least recently touched first
	std::vector<Verdict> verdicts_;
	HoldStats stats_;
	size_t held_ = 0, holding_ = 0;                   // packets held, streams holding
	bool draining_ = false;
	bool gave_up_ = false;  // the auto wait gave up on copies that come too late
	__u32 epoch_ = new_epoch();
	int64_t last_info_us_ = 0;
	int64_t wait_us_;
	std::deque<std::vector<uint64_t>> gap_snapshots_;
	int64_t gap_snapshot_us_ = 0;
};

}  // namespace

void run_holder(const HolderOptions &o, const volatile sig_atomic_t &stop)
{
	Holder h(o);
	h.run(stop);
}

}  // namespace dupgre
