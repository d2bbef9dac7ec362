// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// pptpgen: sends PPTP data packets (enhanced GRE v1 carrying PPP frames)
// the way a PPTP peer does, from the namespace it runs in, paced by
// absolute deadlines. See README.md for the command line.
#include <cerrno>
#include <csignal>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include "../common/cli.hpp"
#include "../common/json.hpp"
#include "../common/sys.hpp"
#include "pptp_wire.hpp"

namespace dupgre::tools {
namespace {

struct Options {
	std::string dst, src;
	uint16_t call_id = 0;
	double rate = 1000;            // packets per second, 0 = as fast as possible
	std::optional<uint64_t> count;
	std::optional<double> duration;
	size_t size = 200;             // PPP frame bytes of data frames
	uint32_t seq_start = 0;
	uint32_t ack_every = 10;
	uint32_t lcp_every = 100;
	uint32_t ff03_every = 5;
	std::optional<int64_t> start_at;  // CLOCK_REALTIME ns: shared by senders in lockstep
};

constexpr uint32_t kLcpMagic = 0x5EED1CE5;

volatile sig_atomic_t g_stop = 0;

void on_signal(int)
{
	g_stop = 1;
}

in_addr parse_ipv4(const std::string &text, const char *what)
{
	in_addr addr{};
	if (inet_pton(AF_INET, text.c_str(), &addr) != 1)
		throw std::runtime_error(std::string("bad ") + what + " address '" + text + "'");
	return addr;
}

bool every(uint64_t index, uint32_t n)
{
	return n > 0 && index % n == n - 1;
}

int run(const Options &opt)
{
	sockaddr_in dst{};
	dst.sin_family = AF_INET;
	dst.sin_addr = parse_ipv4(opt.dst, "--dst");
	if (opt.size < kMinDataFrame)
		throw std::runtime_error("--size must be at least " +
					 std::to_string(kMinDataFrame));

	// The kernel adds the IP header (protocol 47) and picks the source.
	Fd sock(socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_GRE));
	if (!sock)
		throw_errno("raw GRE socket");
	if (!opt.src.empty()) {
		sockaddr_in src{};
		src.sin_family = AF_INET;
		src.sin_addr = parse_ipv4(opt.src, "--src");
		if (bind(sock.get(), reinterpret_cast<sockaddr *>(&src), sizeof(src)) < 0)
			throw_errno("bind " + opt.src);
	}

	struct sigaction sa{};
	sa.sa_handler = on_signal; // no SA_RESTART: interrupt the sleep
	sigaction(SIGINT, &sa, nullptr);
	sigaction(SIGTERM, &sa, nullptr);
	// Without this every sleep may end up to 50 us late.
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);

	uint64_t sent = 0, errors = 0, lcp = 0, acks = 0, data_frames = 0;
	uint32_t ack_number = 0;
	std::string first_error;
	std::vector<uint8_t> buf(16 + opt.size + kLcpEchoLen);

	// Deadlines run on the monotonic clock; a wall-clock start is moved onto it.
	int64_t start = monotonic_ns();
	if (opt.start_at) {
		timespec real;
		clock_gettime(CLOCK_REALTIME, &real);
		start += *opt.start_at - (int64_t(real.tv_sec) * 1000000000 + real.tv_nsec);
	}
	const int64_t end = opt.duration ? start + int64_t(*opt.duration * 1e9) : INT64_MAX;
	uint64_t i = 0;
	for (; !g_stop && (!opt.count || i < *opt.count); i++) {
		if (opt.rate > 0) {
			// Absolute deadlines: a late wakeup does not shift the rest.
			int64_t deadline = start + int64_t(double(i) * 1e9 / opt.rate);
			if (deadline >= end)
				break;
			timespec ts = to_timespec(deadline);
			int rc;
			while ((rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr)) ==
				       EINTR &&
			       !g_stop)
				;
			if (g_stop)
				break;
		} else if (monotonic_ns() >= end) {
			break;
		}

		GreFields gre;
		gre.call_id = opt.call_id;
		gre.seq = opt.seq_start + uint32_t(i); // wraps modulo 2^32
		if (every(i, opt.ack_every)) {
			gre.ack = ack_number++;
			acks++;
		}
		FrameKind kind;
		if (every(i, opt.lcp_every)) {
			kind = FrameKind::lcp_echo_request;
			lcp++;
		} else {
			kind = every(data_frames++, opt.ff03_every) ? FrameKind::data_full
								    : FrameKind::data_compressed;
		}
		// Timestamp as late as possible, just before the send.
		uint8_t *ppp = buf.data() + 16;
		size_t ppp_len = write_ppp_frame(ppp, kind, opt.size, gre.seq, monotonic_ns(),
						 uint8_t(lcp), kLcpMagic);
		size_t hdr_len = write_gre_header(buf.data(), gre, uint16_t(ppp_len));
		// The header is 12 or 16 bytes: move the frame up behind a short one.
		if (hdr_len < 16)
			std::memmove(buf.data() + hdr_len, ppp, ppp_len);
		ssize_t n = sendto(sock.get(), buf.data(), hdr_len + ppp_len, 0,
				   reinterpret_cast<sockaddr *>(&dst), sizeof(dst));
		if (n < 0) {
			if (first_error.empty())
				first_error = std::strerror(errno);
			errors++;
		} else {
			sent++;
		}
	}

	Json out;
	out["sent"] = sent;
	out["errors"] = errors;
	// Numbers used, including any whose send failed.
	out["first_seq"] = i > 0 ? Json(uint64_t(opt.seq_start)) : Json(nullptr);
	out["last_seq"] = i > 0 ? Json(uint64_t(uint32_t(opt.seq_start + uint32_t(i - 1)))) : Json(nullptr);
	out["lcp_echo"] = lcp;
	out["acks"] = acks;
	out["duration_ms"] = fixed3(double(monotonic_ns() - start) / 1e6);
	std::cout << out.dump() << std::endl;
	if (errors > 0) {
		std::cerr << "pptpgen: " << errors << " sends failed, first: " << first_error
			  << "\n";
		return 1;
	}
	return 0;
}

} // namespace
} // namespace dupgre::tools

int main(int argc, char **argv)
{
	using namespace dupgre::tools;
	Options opt;
	CLI::App app{"pptpgen: send PPTP enhanced-GRE data packets like a PPTP peer"};
	app.add_option("--dst", opt.dst, "destination IPv4 address")->required();
	app.add_option("--src", opt.src, "bind to this source IPv4 address");
	app.add_option("--call-id", opt.call_id, "GRE call ID (the peer's)")->required();
	app.add_option("--rate", opt.rate, "packets per second, 0 = unpaced (default 1000)")
		->check(CLI::NonNegativeNumber);
	auto *count = app.add_option("--count", opt.count, "packets to send");
	auto *duration = app.add_option("--duration", opt.duration, "seconds to send for")
				 ->check(CLI::PositiveNumber);
	app.add_option("--size", opt.size, "PPP frame bytes of data frames (default 200)")
		->check(CLI::Range(size_t(kMinDataFrame), size_t(65000)));
	app.add_option("--seq-start", opt.seq_start, "first GRE sequence number (default 0)");
	app.add_option("--start-at", opt.start_at,
		       "wall-clock ns (date +%s%N) of the first packet's deadline; two senders given "
		       "the same one send each number at the same instant (with --rate)");
	app.add_option("--ack-every", opt.ack_every,
		       "carry an ack number in every Nth packet, 0 = never (default 10)");
	app.add_option("--lcp-every", opt.lcp_every,
		       "every Nth packet is an LCP Echo-Request, 0 = never (default 100)");
	app.add_option("--ff03-every", opt.ff03_every,
		       "every Nth data frame starts FF 03 00 FD instead of FD, 0 = never "
		       "(default 5)");
	one_line_errors(app, "pptpgen");
	try {
		app.parse(argc, argv);
		if (count->count() == 0 && duration->count() == 0)
			throw CLI::RequiredError("--count or --duration");
	} catch (const CLI::ParseError &e) {
		return app.exit(e);
	}
	try {
		return run(opt);
	} catch (const std::exception &e) {
		std::cerr << "pptpgen: " << e.what() << "\n";
		return 1;
	}
}
