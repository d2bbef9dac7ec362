// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// pptprecv: receives PPTP data packets from one peer and call on a raw GRE
// socket and passes them through the receive-side sequencing of a PPTP
// stack (pptp_reorder.hpp), then prints what was delivered, lost,
// duplicated and late, and the latency of delivered data frames.
// See README.md for the command line.
#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <poll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>

#include "../common/cli.hpp"
#include "../common/json.hpp"
#include "../common/sys.hpp"
#include "percentile.h"  // tests/pkt
#include "pptp_reorder.hpp"
#include "pptp_wire.hpp"

namespace dupgre::tools {
namespace {

struct Options {
	std::string src;
	uint16_t call_id = 0;
	double timeout = 0.3;
	bool nobuffer = false;
	bool any_order = false;
	std::optional<uint64_t> count;
	int64_t idle_ms = 1000;
	std::optional<uint32_t> seq_start;
	bool ready = false;
	std::string log;  // one line per delivered packet: seq send_ns (-1: untimed) deliver_ns
};

// What a delivered packet was; travels through PptpReorder as its cookie,
// in the low two bits, above them the send timestamp.
enum Kind : uint64_t { kDataTimed, kDataOther, kLcpEcho, kOther };

struct Counters {
	uint64_t lcp_echo = 0, lcp_echo_behind = 0, ack_only = 0, invalid = 0, seq_mismatch = 0;
	uint32_t socket_drops = 0;
	std::vector<int64_t> latency_ns;
	struct Delivery {
		uint32_t seq;
		int64_t sent_ns, delivered_ns;
	};
	std::vector<Delivery> deliveries;  // with --log
};

Fd open_socket(const in_addr &src)
{
	Fd sock(socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_GRE));
	if (!sock)
		throw_errno("raw GRE socket");
	// A deep buffer, so that a burst is not lost in the socket and
	// mistaken for loss on the link; SO_RXQ_OVFL reports it if it is.
	int bytes = 8 << 20, on = 1;
	if (setsockopt(sock.get(), SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)) < 0)
		setsockopt(sock.get(), SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
	setsockopt(sock.get(), SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof(on));
	// Like pptp-linux: connect() makes the kernel filter on the peer address.
	sockaddr_in peer{};
	peer.sin_family = AF_INET;
	peer.sin_addr = src;
	if (connect(sock.get(), reinterpret_cast<sockaddr *>(&peer), sizeof(peer)) < 0)
		throw_errno("connect raw socket");
	return sock;
}

// Reads everything queued on the socket into the reorder logic.
// Returns the number of packets that went to it.
int drain_socket(int fd, const Options &opt, in_addr src, PptpReorder &reorder,
		 Counters &counters)
{
	int fed = 0;
	uint8_t buf[65536];
	alignas(cmsghdr) char control[CMSG_SPACE(sizeof(uint32_t))];
	for (;;) {
		iovec iov{buf, sizeof(buf)};
		msghdr msg{};
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = control;
		msg.msg_controllen = sizeof(control);
		ssize_t n = recvmsg(fd, &msg, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fed; // EAGAIN
		int64_t now = monotonic_ns();
		for (cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL)
				std::memcpy(&counters.socket_drops, CMSG_DATA(c), sizeof(uint32_t));
		}

		// Raw IPv4 sockets deliver the IP header too.
		const auto *ip = reinterpret_cast<const iphdr *>(buf);
		size_t ihl = size_t(buf[0] & 0x0F) * 4;
		if (size_t(n) < sizeof(iphdr) || ip->version != 4 || ihl < 20 ||
		    size_t(n) < ihl || ip->protocol != IPPROTO_GRE || ip->saddr != src.s_addr)
			continue;
		std::optional<ParsedGre> gre = parse_gre(buf + ihl, size_t(n) - ihl);
		if (!gre) {
			counters.invalid++;
			continue;
		}
		if (gre->fields.call_id != opt.call_id)
			continue; // another call: not ours, like pptp-linux
		if (!gre->has_seq) {
			counters.ack_only++;
			continue;
		}
		ParsedPpp ppp = parse_ppp(gre->ppp, gre->ppp_len);
		uint64_t cookie = kOther;
		if (ppp.kind == PppKind::lcp_echo_request) {
			if (opt.nobuffer && reorder.behind(gre->fields.seq)) {
				// pptp.c takes an LCP echo whatever its number (a
				// late copy too), and the number moves nothing.
				counters.lcp_echo_behind++;
				continue;
			}
			cookie = kLcpEcho;
		} else if (ppp.kind == PppKind::data && ppp.has_test) {
			if (ppp.test_seq != gre->fields.seq)
				counters.seq_mismatch++;
			cookie = uint64_t(ppp.sent_ns) << 2 | kDataTimed;
		} else if (ppp.kind == PppKind::data) {
			cookie = kDataOther;
		}
		reorder.on_packet(gre->fields.seq, cookie, now);
		fed++;
	}
}

double percentile_ms(const std::vector<int64_t> &sorted, double p)
{
	return double(pkt::percentile_sorted(sorted, p)) / 1e6;
}

std::string report(const PptpReorder &reorder, Counters &counters)
{
	const ReorderStats &s = reorder.stats();
	Json latency;
	std::vector<int64_t> &lat = counters.latency_ns;
	std::sort(lat.begin(), lat.end());
	latency["samples"] = uint64_t(lat.size());
	latency["min"] = lat.empty() ? Json(nullptr) : fixed3(double(lat.front()) / 1e6);
	latency["p50"] = lat.empty() ? Json(nullptr) : fixed3(percentile_ms(lat, 0.50));
	latency["p99"] = lat.empty() ? Json(nullptr) : fixed3(percentile_ms(lat, 0.99));
	latency["max"] = lat.empty() ? Json(nullptr) : fixed3(double(lat.back()) / 1e6);
	Json out;
	out["received"] = s.received;
	out["delivered"] = s.delivered;
	out["lost"] = s.lost;
	out["duplicate"] = s.duplicate;
	out["late"] = s.late;
	out["lcp_echo"] = counters.lcp_echo;
	out["lcp_echo_behind"] = counters.lcp_echo_behind;
	out["ack_only"] = counters.ack_only;
	out["invalid"] = counters.invalid;
	out["seq_mismatch"] = counters.seq_mismatch;
	out["socket_drops"] = uint64_t(counters.socket_drops);
	out["latency_ms"] = latency;
	return out.dump();
}

int run(const Options &opt)
{
	in_addr src{};
	if (inet_pton(AF_INET, opt.src.c_str(), &src) != 1)
		throw std::runtime_error("bad --src address '" + opt.src + "'");

	Counters counters;
	PptpReorder::Options ro;
	ro.timeout_ns = int64_t(std::llround(opt.timeout * 1e9));
	ro.nobuffer = opt.nobuffer;
	ro.any_order = opt.any_order;
	ro.first_seq = opt.seq_start;
	const bool log = !opt.log.empty();
	PptpReorder reorder(ro, [&counters, log](uint32_t seq, uint64_t cookie, int64_t now) {
		if (log)
			counters.deliveries.push_back({seq, (cookie & 3) == kDataTimed ? int64_t(cookie >> 2) : -1, now});
		switch (cookie & 3) {
		case kDataTimed:
			counters.latency_ns.push_back(now - int64_t(cookie >> 2));
			break;
		case kLcpEcho:
			counters.lcp_echo++;
			break;
		}
	});

	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, nullptr);
	Fd sigfd(signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC));
	if (!sigfd)
		throw_errno("signalfd");

	Fd sock = open_socket(src);
	if (opt.ready)
		std::cout << "ready" << std::endl;

	const int64_t idle_ns = opt.idle_ms * 1'000'000;
	int64_t last_activity = monotonic_ns(); // idle counts from the start too
	for (;;) {
		int64_t now = monotonic_ns();
		reorder.on_timer(now);
		if (opt.count && reorder.accounted() >= *opt.count)
			break;
		int64_t wake = last_activity + idle_ns;
		if (now >= wake)
			break;
		if (std::optional<int64_t> d = reorder.next_deadline())
			wake = std::min(wake, *d);

		pollfd fds[2] = {{sock.get(), POLLIN, 0}, {sigfd.get(), POLLIN, 0}};
		timespec timeout = to_timespec(std::max<int64_t>(wake - now, 0));
		if (ppoll(fds, 2, &timeout, nullptr) < 0 && errno != EINTR)
			throw_errno("ppoll");
		if (fds[1].revents)
			break; // SIGTERM/SIGINT: report what we have
		if (fds[0].revents && drain_socket(sock.get(), opt, src, reorder, counters) > 0)
			last_activity = monotonic_ns();
	}

	std::optional<uint32_t> last_seq;
	if (opt.seq_start && opt.count)
		last_seq = uint32_t(*opt.seq_start + uint32_t(*opt.count - 1));
	reorder.finish(monotonic_ns(), last_seq);
	if (log) {
		FILE *f = fopen(opt.log.c_str(), "w");
		if (!f)
			throw_errno("--log " + opt.log);
		for (const Counters::Delivery &d : counters.deliveries)
			fprintf(f, "%u %lld %lld\n", d.seq, (long long)d.sent_ns, (long long)d.delivered_ns);
		if (fclose(f) != 0)
			throw_errno("--log " + opt.log);
	}
	std::cout << report(reorder, counters) << std::endl;
	return 0;
}

} // namespace
} // namespace dupgre::tools

int main(int argc, char **argv)
{
	using namespace dupgre::tools;
	Options opt;
	CLI::App app{"pptprecv: receive PPTP GRE packets like a PPTP stack and report "
		     "delivered/lost/duplicate/late and latency"};
	app.add_option("--src", opt.src, "peer IPv4 address to accept GRE from")->required();
	app.add_option("--call-id", opt.call_id, "GRE call ID to accept")->required();
	app.add_option("--timeout", opt.timeout,
		       "seconds to wait for a missing packet (pptp --timeout, default 0.3)")
		->check(CLI::Range(0.0, 60.0));
	app.add_flag("--nobuffer", opt.nobuffer,
		     "deliver anything newer at once, drop the rest (pptp --nobuffer, "
		     "kernel PPTP)");
	app.add_flag("--any-order", opt.any_order,
		     "deliver every number the first time it arrives, in any order (an "
		     "application behind WireGuard)")
		->excludes("--nobuffer");
	app.add_option("--count", opt.count,
		       "stop once this many sequence numbers are delivered or lost")
		->check(CLI::PositiveNumber);
	app.add_option("--idle-ms", opt.idle_ms,
		       "stop this long after the last packet (or the start) (default 1000)")
		->check(CLI::Range(int64_t(1), int64_t(3'600'000)));
	app.add_option("--seq-start", opt.seq_start,
		       "the sender's first sequence number: count loss of the first (and, "
		       "with --count, the last) packets too");
	app.add_flag("--ready", opt.ready, "print 'ready' once the socket is open");
	app.add_option("--log", opt.log,
		       "write one line per delivered packet to FILE at the end: sequence number, "
		       "send time (-1: not a timed data packet) and delivery time (CLOCK_MONOTONIC ns)");
	one_line_errors(app, "pptprecv");
	try {
		app.parse(argc, argv);
	} catch (const CLI::ParseError &e) {
		return app.exit(e);
	}
	try {
		return run(opt);
	} catch (const std::exception &e) {
		std::cerr << "pptprecv: " << e.what() << "\n";
		return 1;
	}
}
