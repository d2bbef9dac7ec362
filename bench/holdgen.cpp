// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// holdgen: PPTP data streams whose gaps the holder must wait for, for
// bench/holdstreams. It writes IPv4 packets (enhanced GRE v1, protocol
// 0x880b, S bit, call ID, sequence number, a PPP frame "FD ...") into two
// TUN devices of the namespace it runs in, the receiver's path A and path
// B: what a TUN reads is what the receiver's stack receives there.
//
//   holdgen --dev-a DEV --dev-b DEV --dst ADDR --duration S
//           [--group SPEC]... [--spoof SPEC] [--seed N]
//
// A group is CALLS streams (call IDs FIRST, FIRST+1, ...) from one source,
// RATE sequence numbers a second over the group, round-robin (the group's
// k-th number is call k % CALLS's number k / CALLS). Every number goes on
// path B DELAY µs after its slot; on path A at its slot, except every GAP-th
// number of each call (not among its first GAP, so that path B's first
// copy has come and the stream is known as copied; call c's gaps are at
// index i with (i + c) % GAP == GAP - 1, the calls' phases spread): a gap
// that path B's copy fills DELAY µs later. SPEC is key=value,...:
//
//   src=ADDR calls=N first=ID rate=R delay=US gap=G (0: none)
//   start=S stop=S (seconds from the start; stop defaults to --duration)
//   numbers=K (per call; 0: no limit) copy=0|1 (0: path A only)
//
// --spoof SPEC (calls=K rate=R burst=B start=S): K streams from random
// sources in 198.19.0.0/16 with random call IDs, visited round-robin, R
// numbers a second in all; a visit sends B numbers two apart (a gap before
// each but the first), each number on both paths at once, so the program
// knows the stream as copied and hands its gaps to the holder, whose wait
// runs out on every one.
//
// Each number of a visit or a slot is sent in time order, A and B merged,
// from absolute deadlines. Prints one JSON object: per group what was sent,
// and how late the sends were against their deadlines.
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <deque>
#include <limits>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "packet.h"
#include "sys.h"

namespace {

constexpr uint32_t kSeqStart = 1000;  // every call's first number
constexpr size_t kPppLen = 64;

using pkt::die;

int64_t now_ns()
{
	timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

// An existing (persistent) TUN device, opened for writing.
int open_tun(const std::string &dev)
{
	return pkt::open_tun(dev, false);
}

// One packet, the template's source, call ID and number replaced.
class Packet {
public:
	explicit Packet(uint32_t daddr)
	{
		pkt::Ipv4 ip;
		ip.daddr = daddr;
		bytes_ = pkt::ipv4(ip, pkt::gre(pkt::Gre{}, pkt::ppp_mppe(kPppLen)));
	}
	const pkt::Bytes &with(uint32_t saddr, uint16_t call_id, uint32_t seq)
	{
		pkt::put32(bytes_, 12, saddr);
		pkt::put16(bytes_, 10, 0);
		pkt::put16(bytes_, 4, static_cast<uint16_t>(seq));  // IP ID
		pkt::put16(bytes_, 10, checksum());
		pkt::put16(bytes_, 20 + 6, call_id);
		pkt::put32(bytes_, 20 + 8, seq);
		return bytes_;
	}

private:
	uint16_t checksum() const
	{
		uint32_t sum = 0;
		for (size_t i = 0; i < 20; i += 2)
			sum += uint32_t(bytes_[i]) << 8 | bytes_[i + 1];
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		return static_cast<uint16_t>(~sum);
	}
	pkt::Bytes bytes_;
};

struct Counts {
	uint64_t numbers = 0, sent_a = 0, sent_b = 0, gaps = 0, errors = 0;
};

struct Group {
	uint32_t src = pkt::addr("198.18.1.1");
	uint32_t calls = 1, first = 1, numbers = 0, gap = 4;
	double rate = 1000, start = 0, stop = -1;
	int64_t delay_ns = 0;
	bool copy = true;
	// Running state.
	uint64_t k = 0;  // the next number's index in the group
	struct Due {
		int64_t at;
		uint16_t call;
		uint32_t seq;
	};
	std::deque<Due> b;  // path B's copies, in deadline order (one delay)
	Counts n;

	int64_t slot(int64_t t0, uint64_t i) const
	{
		return t0 + int64_t(start * 1e9) + int64_t(double(i) * 1e9 / rate);
	}
	bool done(int64_t t0) const
	{
		return (numbers && k >= uint64_t(numbers) * calls) || slot(t0, k) >= t0 + int64_t(stop * 1e9);
	}
};

struct Spoof {
	uint32_t calls = 0, burst = 3;
	double rate = 0, start = 0;
	struct Stream {
		uint32_t src;
		uint16_t call;
		uint32_t seq;
	};
	std::vector<Stream> streams;
	uint64_t visits = 0;
	Counts n;

	int64_t visit_at(int64_t t0) const
	{
		return t0 + int64_t(start * 1e9) + int64_t(double(visits) * burst * 1e9 / rate);
	}
};

std::map<std::string, std::string> parse_spec(const std::string &spec)
{
	std::map<std::string, std::string> kv;
	size_t pos = 0;
	while (pos <= spec.size()) {
		size_t comma = spec.find(',', pos);
		std::string item = spec.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
		size_t eq = item.find('=');
		if (eq == std::string::npos)
			throw std::runtime_error("expected key=value in '" + spec + "'");
		kv[item.substr(0, eq)] = item.substr(eq + 1);
		if (comma == std::string::npos)
			break;
		pos = comma + 1;
	}
	return kv;
}

Group parse_group(const std::string &spec)
{
	Group g;
	for (const auto &[key, value] : parse_spec(spec)) {
		if (key == "src")
			g.src = pkt::addr(value.c_str());
		else if (key == "calls")
			g.calls = std::stoul(value);
		else if (key == "first")
			g.first = std::stoul(value);
		else if (key == "rate")
			g.rate = std::stod(value);
		else if (key == "delay")
			g.delay_ns = std::stoll(value) * 1000;
		else if (key == "gap")
			g.gap = std::stoul(value);
		else if (key == "start")
			g.start = std::stod(value);
		else if (key == "stop")
			g.stop = std::stod(value);
		else if (key == "numbers")
			g.numbers = std::stoul(value);
		else if (key == "copy")
			g.copy = value != "0";
		else
			throw std::runtime_error("unknown group key '" + key + "'");
	}
	if (!g.calls || g.first + g.calls - 1 > 0xffff || g.rate <= 0)
		throw std::runtime_error("bad group '" + spec + "'");
	return g;
}

Spoof parse_spoof(const std::string &spec, std::mt19937 &rng)
{
	Spoof s;
	for (const auto &[key, value] : parse_spec(spec)) {
		if (key == "calls")
			s.calls = std::stoul(value);
		else if (key == "rate")
			s.rate = std::stod(value);
		else if (key == "burst")
			s.burst = std::stoul(value);
		else if (key == "start")
			s.start = std::stod(value);
		else
			throw std::runtime_error("unknown spoof key '" + key + "'");
	}
	if (!s.calls || s.rate <= 0 || !s.burst)
		throw std::runtime_error("bad spoof '" + spec + "'");
	std::uniform_int_distribution<uint32_t> host(1, 0xfffe), call(1, 0xffff);
	for (uint32_t i = 0; i < s.calls; i++)
		s.streams.push_back({pkt::addr("198.19.0.0") | host(rng), static_cast<uint16_t>(call(rng)), static_cast<uint32_t>(rng())});
	return s;
}

void write_counts(const Counts &c)
{
	printf("\"numbers\":%llu,\"sent_a\":%llu,\"sent_b\":%llu,\"gaps\":%llu,\"errors\":%llu",
	       (unsigned long long)c.numbers, (unsigned long long)c.sent_a, (unsigned long long)c.sent_b,
	       (unsigned long long)c.gaps, (unsigned long long)c.errors);
}

int run(int argc, char **argv)
{
	std::string dev_a, dev_b, dst;
	double duration = 0;
	std::vector<std::string> group_specs;
	std::string spoof_spec;
	unsigned seed = 1;
	for (int i = 1; i < argc; i++) {
		std::string a = argv[i];
		if (i + 1 >= argc)
			throw std::runtime_error("usage: holdgen --dev-a DEV --dev-b DEV --dst ADDR --duration S "
						 "[--group SPEC]... [--spoof SPEC] [--seed N]");
		std::string v = argv[++i];
		if (a == "--dev-a")
			dev_a = v;
		else if (a == "--dev-b")
			dev_b = v;
		else if (a == "--dst")
			dst = v;
		else if (a == "--duration")
			duration = std::stod(v);
		else if (a == "--group")
			group_specs.push_back(v);
		else if (a == "--spoof")
			spoof_spec = v;
		else if (a == "--seed")
			seed = std::stoul(v);
		else
			throw std::runtime_error("unknown option " + a);
	}
	if (dev_a.empty() || dev_b.empty() || dst.empty() || duration <= 0)
		throw std::runtime_error("--dev-a, --dev-b, --dst and --duration are required");
	std::mt19937 rng(seed);
	std::vector<Group> groups;
	for (const std::string &s : group_specs) {
		groups.push_back(parse_group(s));
		if (groups.back().stop < 0 || groups.back().stop > duration)
			groups.back().stop = duration;
	}
	Spoof spoof;
	if (!spoof_spec.empty())
		spoof = parse_spoof(spoof_spec, rng);
	int fd_a = open_tun(dev_a), fd_b = open_tun(dev_b);
	Packet packet(pkt::addr(dst.c_str()));
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);

	auto send = [&](int fd, uint32_t src, uint16_t call, uint32_t seq, uint64_t &sent, uint64_t &errors) {
		const pkt::Bytes &b = packet.with(src, call, seq);
		if (write(fd, b.data(), b.size()) == ssize_t(b.size()))
			sent++;
		else
			errors++;
	};
	const int64_t t0 = now_ns() + 10000000;  // 10 ms to settle
	const int64_t end = t0 + int64_t(duration * 1e9);
	int64_t late_max = 0;
	uint64_t late_1ms = 0, events = 0;
	for (;;) {
		// The earliest deadline: a group's next slot, a copy due on path
		// B, the next spoofed visit.
		int64_t next = std::numeric_limits<int64_t>::max();
		int what = -1;  // group index * 2 (+1: path B), or -2 for spoof
		for (size_t i = 0; i < groups.size(); i++) {
			Group &g = groups[i];
			if (!g.done(t0) && g.slot(t0, g.k) < next)
				next = g.slot(t0, g.k), what = int(i) * 2;
			if (!g.b.empty() && g.b.front().at < next)
				next = g.b.front().at, what = int(i) * 2 + 1;
		}
		if (spoof.calls && spoof.visit_at(t0) < end && spoof.visit_at(t0) < next)
			next = spoof.visit_at(t0), what = -2;
		if (what == -1)
			break;
		int64_t now = now_ns();
		if (next > now) {
			timespec ts = {time_t(next / 1000000000), long(next % 1000000000)};
			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR)
				;
			now = now_ns();
		}
		late_max = std::max(late_max, now - next);
		late_1ms += now - next > 1000000;
		events++;
		if (what == -2) {
			Spoof::Stream &st = spoof.streams[spoof.visits % spoof.calls];
			for (uint32_t b = 0; b < spoof.burst; b++) {
				send(fd_a, st.src, st.call, st.seq, spoof.n.sent_a, spoof.n.errors);
				send(fd_b, st.src, st.call, st.seq, spoof.n.sent_b, spoof.n.errors);
				spoof.n.numbers++;
				spoof.n.gaps += b > 0;
				st.seq += 2;
			}
			spoof.visits++;
			continue;
		}
		Group &g = groups[size_t(what / 2)];
		if (what % 2) {
			Group::Due d = g.b.front();
			g.b.pop_front();
			send(fd_b, g.src, d.call, d.seq, g.n.sent_b, g.n.errors);
			continue;
		}
		uint64_t k = g.k++;
		auto call = static_cast<uint16_t>(g.first + k % g.calls);
		uint64_t index = k / g.calls;  // the call's index-th number
		uint32_t seq = kSeqStart + uint32_t(index);
		g.n.numbers++;
		// Each call's gaps in its own phase: a quarter of the calls (gap 4)
		// at each step, so what is held in all stays level.
		if (g.gap && index >= g.gap && (index + k % g.calls) % g.gap == g.gap - 1)
			g.n.gaps++;
		else
			send(fd_a, g.src, call, seq, g.n.sent_a, g.n.errors);
		if (g.copy)
			g.b.push_back({g.slot(t0, k) + g.delay_ns, call, seq});
	}
	printf("{\"groups\":[");
	for (size_t i = 0; i < groups.size(); i++) {
		const Group &g = groups[i];
		char src[INET_ADDRSTRLEN];
		uint32_t be = htonl(g.src);
		inet_ntop(AF_INET, &be, src, sizeof(src));
		printf("%s{\"src\":\"%s\",\"first\":%u,\"calls\":%u,\"seq_start\":%u,", i ? "," : "", src, g.first,
		       g.calls, kSeqStart);
		write_counts(g.n);
		printf("}");
	}
	printf("],\"spoof\":{\"calls\":%u,\"visits\":%llu,", spoof.calls, (unsigned long long)spoof.visits);
	write_counts(spoof.n);
	printf("},\"events\":%llu,\"late_max_ms\":%.3f,\"late_over_1ms\":%llu}\n", (unsigned long long)events,
	       double(late_max) / 1e6, (unsigned long long)late_1ms);
	return 0;
}

}  // namespace

int main(int argc, char **argv)
{
	try {
		return run(argc, argv);
	} catch (const std::exception &e) {
		fprintf(stderr, "holdgen: %s\n", e.what());
		return 1;
	}
}
