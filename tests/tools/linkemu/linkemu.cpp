// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// linkemu: a point-to-point L3 link emulator between two TUN devices in two
// network namespaces. See README.md for the command line; link_direction.hpp
// for what a SPEC does to packets.
//
// One thread runs everything: epoll over both TUN descriptors, the control
// socket, a signalfd and a timerfd armed (absolute CLOCK_MONOTONIC) for the
// earliest due packet or schedule phase change. A packet with nothing to
// wait for is written out before the loop waits again.
#include <csignal>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>

#include "../common/cli.hpp"
#include "control.hpp"
#include "emulator.hpp"
#include "sys.h"  // tests/pkt: the TUN devices in their namespaces

namespace dupgre::tools {
namespace {

struct Options {
	std::string ns[2], dev[2];
	std::string spec_text[2];
	std::vector<std::string> schedules;
	uint64_t seed = 1;
	std::string control;
	std::optional<int> mtu;
	std::string cmd;
};

// Packets read from one side per wakeup before the other side gets a turn.
constexpr int kReadBatch = 64;
constexpr size_t kMaxPacket = 65536;

class EventLoop {
public:
	EventLoop(Emulator &emu, Fd tun_a, Fd tun_b, ControlServer *control)
		: emu_(emu), control_(control)
	{
		tun_[0] = std::move(tun_a);
		tun_[1] = std::move(tun_b);

		sigset_t mask;
		sigemptyset(&mask);
		sigaddset(&mask, SIGTERM);
		sigaddset(&mask, SIGINT);
		if (sigprocmask(SIG_BLOCK, &mask, nullptr) < 0)
			throw_errno("sigprocmask");
		signal_ = Fd(signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC));
		timer_ = Fd(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
		epoll_ = Fd(epoll_create1(EPOLL_CLOEXEC));
		if (!signal_ || !timer_ || !epoll_)
			throw_errno("signalfd/timerfd/epoll");
		watch(tun_[0].get(), kTunA);
		watch(tun_[1].get(), kTunB);
		watch(signal_.get(), kSignal);
		watch(timer_.get(), kTimer);
		if (control_)
			watch(control_->fd(), kControl);
	}

	// Returns when SIGTERM or SIGINT arrives.
	void run()
	{
		std::vector<uint8_t> buf(kMaxPacket);
		for (;;) {
			emu_.advance(monotonic_ns());
			deliver_due();
			arm_timer();
			epoll_event events[8];
			int n = epoll_wait(epoll_.get(), events, 8, -1);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				throw_errno("epoll_wait");
			for (int i = 0; i < n; i++) {
				switch (events[i].data.u32) {
				case kTunA:
				case kTunB:
					read_side(events[i].data.u32 - kTunA, buf);
					break;
				case kControl:
					control_->serve_one([this](const std::string &c) {
						return emu_.handle_command(c);
					});
					break;
				case kTimer: {
					uint64_t expirations;
					(void)!read(timer_.get(), &expirations, sizeof(expirations));
					break;
				}
				case kSignal:
					return;
				}
			}
		}
	}

private:
	enum Source : uint32_t { kTunA, kTunB, kSignal, kTimer, kControl };

	void watch(int fd, Source source)
	{
		epoll_event ev{};
		ev.events = EPOLLIN;
		ev.data.u32 = source;
		if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) < 0)
			throw_errno("epoll_ctl");
	}

	// Reads what side `from` sent (direction `from`: 0 = a2b, 1 = b2a).
	void read_side(unsigned from, std::vector<uint8_t> &buf)
	{
		for (int i = 0; i < kReadBatch; i++) {
			ssize_t n = read(tun_[from].get(), buf.data(), buf.size());
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return; // EAGAIN: drained
			emu_.direction(from).submit(Packet(buf.begin(), buf.begin() + n),
						    monotonic_ns());
		}
	}

	void deliver_due()
	{
		int64_t now = monotonic_ns();
		for (unsigned d = 0; d < 2; d++) {
			LinkDirection &dir = emu_.direction(d);
			while (std::optional<Packet> p = dir.pop_due(now)) {
				// Direction a2b writes into B's device and vice versa.
				ssize_t n = write(tun_[1 - d].get(), p->data(), p->size());
				if (n == ssize_t(p->size())) {
					dir.counters.delivered_packets++;
					dir.counters.delivered_bytes += p->size();
				} else {
					dir.counters.tx_errors++;
				}
			}
		}
	}

	// Arms the timer for the earliest due packet or phase change; re-arms
	// only on change.
	void arm_timer()
	{
		int64_t due = 0; // 0 disarms
		std::optional<int64_t> times[3] = {emu_.direction(0).next_due(),
						   emu_.direction(1).next_due(), emu_.next_change()};
		for (const std::optional<int64_t> &t : times) {
			if (t && (due == 0 || *t < due))
				due = *t;
		}
		if (due == armed_)
			return;
		itimerspec spec{};
		spec.it_value = to_timespec(due);
		if (timerfd_settime(timer_.get(), TFD_TIMER_ABSTIME, &spec, nullptr) < 0)
			throw_errno("timerfd_settime");
		armed_ = due;
	}

	Emulator &emu_;
	ControlServer *control_;
	Fd tun_[2];
	Fd signal_, timer_, epoll_;
	int64_t armed_ = 0;
};

int run_client(const Options &opt)
{
	std::string reply = control_request(opt.control, opt.cmd);
	if (reply.empty()) {
		std::cerr << "linkemu: no reply from " << opt.control << "\n";
		return 1;
	}
	if (reply.rfind("error: ", 0) == 0) {
		std::cerr << "linkemu: " << reply.substr(7) << "\n";
		return 1;
	}
	std::cout << reply << "\n";
	return 0;
}

int run_emulator(const Options &opt)
{
	// Parse both specs and the schedules before touching any namespace.
	Emulator emu(opt.seed, parse_spec(opt.spec_text[0]), parse_spec(opt.spec_text[1]));
	std::optional<Schedule> schedule[2];
	for (const std::string &text : opt.schedules) {
		auto [dir, sched] = parse_schedule(text);
		const char *name = dir == 0 ? "a2b" : "b2a";
		if (schedule[dir])
			throw std::runtime_error(std::string("two schedules for ") + name);
		if (!opt.spec_text[dir].empty())
			throw std::runtime_error(std::string("--") + name + " and a schedule for " +
						 name + ": give one");
		schedule[dir] = std::move(sched);
	}

	// linkemu sets up before its (single) event loop thread starts, so
	// nothing else runs in the wrong namespace meanwhile.
	Fd tun_a(pkt::create_tun_in_netns(opt.ns[0], opt.dev[0], opt.mtu));
	Fd tun_b(pkt::create_tun_in_netns(opt.ns[1], opt.dev[1], opt.mtu));
	std::optional<ControlServer> control;
	if (!opt.control.empty())
		control.emplace(opt.control);

	EventLoop loop(emu, std::move(tun_a), std::move(tun_b),
		       control ? &*control : nullptr);
	// The schedules start with "ready", the moment callers can see.
	int64_t start = monotonic_ns();
	for (unsigned d = 0; d < 2; d++) {
		if (schedule[d])
			emu.direction(d).set_schedule(std::move(*schedule[d]), start);
	}
	std::cout << "ready" << std::endl; // callers wait for this line
	loop.run();
	return 0;
}

} // namespace
} // namespace dupgre::tools

int main(int argc, char **argv)
{
	using namespace dupgre::tools;
	Options opt;
	CLI::App app{"linkemu: point-to-point L3 link emulator between two TUN "
		     "devices in two network namespaces"};
	app.add_option("--ns-a", opt.ns[0], "network namespace of side A");
	app.add_option("--dev-a", opt.dev[0], "TUN device to create in side A");
	app.add_option("--ns-b", opt.ns[1], "network namespace of side B");
	app.add_option("--dev-b", opt.dev[1], "TUN device to create in side B");
	app.add_option("--a2b", opt.spec_text[0], "SPEC of direction A->B (default: perfect)");
	app.add_option("--b2a", opt.spec_text[1], "SPEC of direction B->A (default: perfect)");
	app.add_option("--schedule", opt.schedules,
		       "DIR:DURATION:SPEC;...;(SPEC|repeat): a SPEC that changes over time "
		       "(once per direction; see README.md)")
		->allow_extra_args(false); // one schedule per --schedule
	app.add_option("--seed", opt.seed, "seed of all random decisions (default 1)");
	app.add_option("--control", opt.control, "AF_UNIX control socket path");
	app.add_option("--mtu", opt.mtu, "MTU of both devices")->check(CLI::Range(68, 65535));
	app.add_option("--cmd", opt.cmd,
		       "client mode: send this command to --control and print the reply");
	one_line_errors(app, "linkemu");
	try {
		app.parse(argc, argv);
	} catch (const CLI::ParseError &e) {
		return app.exit(e);
	}

	try {
		if (!opt.cmd.empty()) {
			if (opt.control.empty())
				throw std::runtime_error("--cmd needs --control");
			return run_client(opt);
		}
		for (int i = 0; i < 2; i++) {
			if (opt.ns[i].empty() || opt.dev[i].empty())
				throw std::runtime_error(
					"--ns-a, --dev-a, --ns-b and --dev-b are required "
					"(or --control with --cmd for client mode)");
		}
		return run_emulator(opt);
	} catch (const std::exception &e) {
		std::cerr << "linkemu: " << e.what() << "\n";
		return 1;
	}
}
