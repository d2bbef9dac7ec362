// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// UDP probe for vmtests: numbered, timestamped datagrams through a tunnel.
//
//   probe send --dst ADDR --port P --count N --rate PPS [--size BYTES]
//   probe recv --port P --count N [--ready FILE]
//
// The receiver counts each sequence number once, measures one-way latency
// (CLOCK_MONOTONIC: sender and receiver run in namespaces of one kernel) and,
// on SIGTERM or SIGINT, prints one JSON object: packets, received, lost,
// loss with its 95 % Wilson interval, duplicates, reordered,
// latency p50/p99/max in ms.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "../tests/pkt/percentile.h"
#include "../tests/pkt/sys.h"

namespace {

using Json = nlohmann::ordered_json;  // the fields in the order written

constexpr uint32_t kMagic = 0x64757067;  // "dupg"

struct Wire {
	uint32_t magic;
	uint32_t seq;
	uint64_t sent_ns;
};

volatile sig_atomic_t g_stop = 0;

using pkt::die;

// v to the given number of decimals, as the report has always had them.
double rounded(double v, int decimals) {
	double scale = std::pow(10.0, decimals);
	return std::round(v * scale) / scale;
}

uint64_t now_ns() {
	timespec ts{};
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return uint64_t(ts.tv_sec) * 1000000000ULL + uint64_t(ts.tv_nsec);
}

struct Args {
	std::string mode, dst, ready;
	int port = 0;
	long count = 0;
	double rate = 100;
	int size = 64;
};

Args parse(int argc, char **argv) {
	if (argc < 2) die("usage: probe send|recv [options]");
	Args a;
	a.mode = argv[1];
	for (int i = 2; i < argc; i++) {
		std::string k = argv[i];
		if (i + 1 >= argc) die("missing value for " + k);
		std::string v = argv[++i];
		if (k == "--dst") a.dst = v;
		else if (k == "--port") a.port = std::stoi(v);
		else if (k == "--count") a.count = std::stol(v);
		else if (k == "--rate") a.rate = std::stod(v);
		else if (k == "--size") a.size = std::stoi(v);
		else if (k == "--ready") a.ready = v;
		else die("unknown option " + k);
	}
	if (a.port <= 0 || a.count <= 0) die("--port and --count are required");
	if (a.size < int(sizeof(Wire))) a.size = sizeof(Wire);
	return a;
}

int do_send(const Args &a) {
	if (a.rate <= 0) die("--rate must be positive");
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) die("socket");
	sockaddr_in to{};
	to.sin_family = AF_INET;
	to.sin_port = htons(uint16_t(a.port));
	if (inet_pton(AF_INET, a.dst.c_str(), &to.sin_addr) != 1) die("bad --dst " + a.dst);
	std::vector<char> buf(size_t(a.size), 0);
	const uint64_t start = now_ns();
	const double gap_ns = 1e9 / a.rate;
	long send_errors = 0;
	for (long i = 0; i < a.count; i++) {
		uint64_t due = start + uint64_t(double(i) * gap_ns);
		timespec ts{time_t(due / 1000000000ULL), long(due % 1000000000ULL)};
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
		}
		Wire w{kMagic, uint32_t(i), now_ns()};
		std::memcpy(buf.data(), &w, sizeof w);
		// Never blocks: a tunnel whose pptp has stopped reading keeps the
		// socket's send buffer full, and its packets count as lost.
		if (sendto(fd, buf.data(), buf.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr *>(&to),
			   sizeof to) < 0)
			send_errors++;  // EAGAIN, ENOBUFS, or the tunnel briefly gone
	}
	Json out;
	out["sent"] = a.count;
	out["send_errors"] = send_errors;
	out["seconds"] = rounded(double(now_ns() - start) / 1e9, 3);
	std::printf("%s\n", out.dump().c_str());
	return 0;
}

// Wilson score interval for k successes in n trials.
std::pair<double, double> wilson(long k, long n, double z) {
	if (n == 0) return {0, 1};
	double p = double(k) / double(n), z2 = z * z, nn = double(n);
	double centre = (p + z2 / (2 * nn)) / (1 + z2 / nn);
	double half = z * std::sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn)) / (1 + z2 / nn);
	return {std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

// -1 when nothing arrived.
double percentile(const std::vector<double> &v, double q) {
	return v.empty() ? -1 : pkt::percentile(v, q);
}

int do_recv(const Args &a) {
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) die("socket");
	int rcvbuf = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
	sockaddr_in me{};
	me.sin_family = AF_INET;
	me.sin_port = htons(uint16_t(a.port));
	if (bind(fd, reinterpret_cast<sockaddr *>(&me), sizeof me) < 0) die("bind");
	timeval tv{0, 100000};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	struct sigaction sa {};
	sa.sa_handler = [](int) { g_stop = 1; };
	sigaction(SIGTERM, &sa, nullptr);
	sigaction(SIGINT, &sa, nullptr);
	if (!a.ready.empty()) std::ofstream(a.ready) << "ready\n";

	std::vector<uint8_t> seen(size_t(a.count), 0);
	std::vector<double> lat_ms;
	long received = 0, duplicates = 0, reordered = 0, foreign = 0;
	long highest = -1;
	char buf[2048];
	while (!g_stop) {
		ssize_t n = recv(fd, buf, sizeof buf, 0);
		uint64_t t = now_ns();
		if (n < 0) continue;  // timeout or EINTR: look at g_stop
		Wire w{};
		if (size_t(n) < sizeof w) { foreign++; continue; }
		std::memcpy(&w, buf, sizeof w);
		if (w.magic != kMagic || w.seq >= uint64_t(a.count)) { foreign++; continue; }
		if (seen[w.seq]) { duplicates++; continue; }
		seen[w.seq] = 1;
		received++;
		if (long(w.seq) < highest) reordered++;
		highest = std::max(highest, long(w.seq));
		lat_ms.push_back(double(t - w.sent_ns) / 1e6);
	}
	long lost = a.count - received;
	auto ci95 = wilson(lost, a.count, 1.959964);
	Json out;
	out["packets"] = a.count;
	out["received"] = received;
	out["lost"] = lost;
	out["loss"] = rounded(double(lost) / double(a.count), 6);
	out["loss_ci95"] = {rounded(ci95.first, 6), rounded(ci95.second, 6)};
	out["duplicates"] = duplicates;
	out["reordered"] = reordered;
	out["foreign"] = foreign;
	out["latency_ms"]["p50"] = rounded(percentile(lat_ms, 0.5), 1);
	out["latency_ms"]["p99"] = rounded(percentile(lat_ms, 0.99), 1);
	out["latency_ms"]["max"] = rounded(percentile(lat_ms, 1.0), 1);
	std::printf("%s\n", out.dump().c_str());
	return 0;
}

}  // namespace

int main(int argc, char **argv) try {
	Args a = parse(argc, argv);
	if (a.mode == "send") return do_send(a);
	if (a.mode == "recv") return do_recv(a);
	die("mode must be send or recv");
} catch (const std::exception &e) {
	std::fprintf(stderr, "probe: %s\n", e.what());
	return 1;
}
