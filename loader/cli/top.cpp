// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "cli/top.h"

#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "cli/commands.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/lock.h"

namespace dupgre {

namespace {

// The window of the effective loss and the copy-gap chart: long enough to
// hold a few lost packets at 1 % of a few hundred packets a second.
constexpr double top_window_s = 10;

std::string fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
std::string fmt(const char *f, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, f);
	vsnprintf(buf, sizeof(buf), f, ap);
	va_end(ap);
	return buf;
}

// A rate column: "-" until there are two samples.
std::string col(const RowRates *r, std::initializer_list<unsigned> ids)
{
	if (!r)
		return fmt("%10s", "-");
	double sum = 0;
	for (unsigned id : ids)
		sum += (*r)[id];
	return fmt("%10.1f", sum);
}

template <typename T>
const T *find_row(const std::vector<T> &rows, const std::string &device)
{
	for (const T &r : rows)
		if (r.device == device)
			return &r;
	return nullptr;
}

std::string device_cell(const std::string &name)
{
	return fmt("  %-12.12s", name.c_str());
}

// A duration for people: exact for bucket bounds, 3 digits for a value.
std::string duration(double us, bool exact = true)
{
	if (us < 1000)
		return fmt(exact ? "%gus" : "%.3gus", us);
	if (us < 1e6)
		return fmt(exact ? "%gms" : "%.3gms", us / 1000);
	return fmt("%.3gs", us / 1e6);
}

// Peers listed one a line under a device's copy row; the rest are counted
// by state on one line, so that a primary with thousands of clients still
// fits the screen.
constexpr size_t top_copy_peers = 4;

// A peer's policy and what it does now: "budget 125000 B/s max 200 B",
// "adaptive, copying 9 s more", "adaptive, sampling (1 in 16)".
std::string copy_cell(const copy_policy &v, int64_t now)
{
	CopyPolicy p = decode(v);
	std::string state = copy_state(v, now);
	if (p.mode != CopyMode::adaptive)
		return p.str();
	std::string s = p.str() + ", " + state;
	if (state == "copying")
		s += fmt(" %.0f s more", std::ceil(static_cast<double>(static_cast<int64_t>(v.copy_until_ns) - now) / 1e9));
	else if (state == "sampling")
		s += fmt(" (1 in %u)", p.sample);
	else if (state == "quiet")
		s += " (nothing copied)";
	else
		s += " (every packet)";
	return s;
}

// The peers past the listed ones, by state: "... 9 more: 3 copying, 6 sampling".
std::string copy_rest(const std::vector<std::pair<IpAddr, copy_policy>> &copy, int64_t now)
{
	std::vector<std::pair<std::string, size_t>> states;
	for (size_t i = top_copy_peers; i < copy.size(); i++) {
		std::string st = copy_state(copy[i].second, now);
		auto it = std::find_if(states.begin(), states.end(), [&](const auto &x) { return x.first == st; });
		if (it == states.end())
			states.emplace_back(st, 1);
		else
			it->second++;
	}
	std::string s = fmt("    ... %zu more:", copy.size() - top_copy_peers);
	for (size_t i = 0; i < states.size(); i++)
		s += fmt("%s %zu %s", i ? "," : "", states[i].second, states[i].first.c_str());
	return s;
}

}  // namespace

std::string gap_bucket_label(unsigned b)
{
	if (b == 0)
		return "<1us";
	double lower = static_cast<double>(1ull << (b - 1));
	if (b + 1 == ELIM_GAP_BUCKETS)
		return ">=" + duration(lower);
	double upper = static_cast<double>(1ull << b);
	// Same unit on both sides: 512us-1ms reads worse than 0.5-1ms.
	if (upper >= 1000 && lower < 1000)
		return fmt("%g-%gms", lower / 1000, upper / 1000);
	if (upper >= 1e6 && lower < 1e6)
		return fmt("%g-%gs", lower / 1e6, upper / 1e6);
	std::string u = duration(upper), l = duration(lower);
	size_t digits = l.find_first_not_of("0123456789.");
	return l.substr(0, digits) + "-" + u;
}

std::vector<std::string> top_screen(const Report &latest, const Figures *second, const Figures *window,
				    unsigned width, unsigned height)
{
	std::vector<std::string> out;
	char clock[16];
	time_t now = time(nullptr);
	strftime(clock, sizeof(clock), "%H:%M:%S", localtime(&now));
	out.push_back(fmt("dupgre-ctl top  %s  packets/s over the last second%*s", clock, 16, "q: quit"));
	if (latest.empty())
		out.push_back("no dupgre state in this network namespace");

	if (!latest.clone.empty()) {
		out.push_back("CLONE" + std::string(10, ' ') + "      seen  gre_data  lcp_echo pptp_echo    cloned    failed");
		for (const CloneReport &c : latest.clone) {
			const RowRates *r = second ? find_row(second->clone, c.status.device) : nullptr;
			out.push_back(device_cell(c.status.device) + col(r, {CLONE_SEEN}) +
				      col(r, {CLONE_MATCH_GRE_DATA}) + col(r, {CLONE_MATCH_GRE_LCP_ECHO}) +
				      col(r, {CLONE_MATCH_PPTP_ECHO}) + col(r, {CLONE_CLONED}) +
				      col(r, {CLONE_ERRORS, CLONE_XMIT_DROPS, CLONE_SNAT_ERRORS}) +
				      (c.status.state() == "attached" ? "" : "  " + c.status.state()));
		}
	}
	bool policies = std::any_of(latest.clone.begin(), latest.clone.end(),
				    [](const CloneReport &c) { return !c.copy.empty(); });
	if (policies) {
		// Withheld by reason, then what the adaptive policy copied and why.
		out.push_back("COPY POLICY" + std::string(4, ' ') +
			      " too_large over_bud.     quiet      loss    sample no_report");
		int64_t mono = monotonic_ns();  // the clock of the policies' times
		for (const CloneReport &c : latest.clone) {
			if (c.copy.empty())
				continue;
			const RowRates *r = second ? find_row(second->clone, c.status.device) : nullptr;
			out.push_back(device_cell(c.status.device) + col(r, {CLONE_TOO_LARGE}) + col(r, {CLONE_OVER_BUDGET}) +
				      col(r, {CLONE_QUIET}) + col(r, {CLONE_COPY_LOSS}) + col(r, {CLONE_COPY_SAMPLE}) +
				      col(r, {CLONE_COPY_NO_REPORTS}));
			if (r && (*r)[CLONE_MATCHED_BYTES] > 0)
				out.push_back(fmt("    path B carries %.1f %% of path A's bytes",
						  100 * (*r)[CLONE_CLONED_BYTES] / (*r)[CLONE_MATCHED_BYTES]));
			for (size_t i = 0; i < c.copy.size() && i < top_copy_peers; i++)
				out.push_back(fmt("    %-15s %s", c.copy[i].first.str().c_str(),
						  copy_cell(c.copy[i].second, mono).c_str()));
			if (c.copy.size() > top_copy_peers)
				out.push_back(copy_rest(c.copy, mono));
		}
	}
	if (!latest.relay.empty()) {
		out.push_back("RELAY" + std::string(10, ' ') + "      seen   relayed   no_link  ttl_exp.    failed");
		for (const RelayLink &l : latest.relay) {
			const RowRates *r = second ? find_row(second->relay, l.name) : nullptr;
			out.push_back(device_cell(l.name) + col(r, {RELAY_SEEN}) + col(r, {RELAY_RELAYED}) +
				      col(r, {RELAY_NO_LINK}) + col(r, {RELAY_TTL_EXPIRED}) +
				      col(r, {RELAY_REDIRECT_ERRORS}));
		}
	}
	if (!latest.dnat.empty()) {
		out.push_back("DNAT" + std::string(11, ' ') + "      seen rewritten    failed");
		for (const DnatStatus &d : latest.dnat) {
			const RowRates *r = second ? find_row(second->dnat, d.device) : nullptr;
			out.push_back(device_cell(d.device) + col(r, {DNAT_SEEN}) + col(r, {DNAT_REWRITTEN}) +
				      col(r, {DNAT_ERRORS}));
		}
	}
	if (!latest.eliminate.empty()) {
		out.push_back("ELIMINATE" + std::string(6, ' ') + "    passed     first discarded   rescued  gap p50");
		for (const ElimPath &p : latest.eliminate) {
			const PathFigures *pf = nullptr;
			if (second)
				for (const PathFigures &x : second->paths)
					if (x.device == p.name)
						pf = &x;
			const PathFigures *pw = nullptr;
			if (window)
				for (const PathFigures &x : window->paths)
					if (x.device == p.name)
						pw = &x;
			const RowRates *r = pf ? &pf->rates : nullptr;
			std::string p50 = pw && pw->p50 ? duration(*pw->p50 * 1e6, false) : "-";
			out.push_back(device_cell(p.name) + col(r, {ELIM_PASSED}) + col(r, {ELIM_FIRST}) +
				      col(r, {ELIM_DISCARDED}) + col(r, {ELIM_RESCUED}) + fmt(" %8s", p50.c_str()));
		}
		const RowRates *t = second ? &second->elim_totals : nullptr;
		std::string loss = window && window->effective_loss
					   ? fmt("%.2f %%", *window->effective_loss * 100)
					   : std::string("-");
		out.push_back(fmt("  all paths   lost/s%s   effective loss %s over %.0f s", col(t, {ELIM_LOST}).c_str(),
				  loss.c_str(), window ? window->interval : 0.0));
	}
	if (latest.hold) {
		const HoldReport &h = *latest.hold;
		std::string wait = h.info.gave_up ? std::string("none (copies too late)") : fmt("%u ms", h.info.wait_us / 1000);
		out.push_back(fmt("ORDER          holder %s, held %u in %u stream%s, wait %s, gaps skipped %llu",
				  h.running ? "running" : "NOT RUNNING", h.info.held, h.info.streams,
				  h.info.streams == 1 ? "" : "s", wait.c_str(),
				  static_cast<unsigned long long>(h.counters[HOLD_GAPS_SKIPPED])));
	} else {
		out.push_back("ORDER          off (no path in eliminate --mode order)");
	}

	if (window && !window->paths.empty()) {
		GapBuckets sum{};
		__u64 total = 0;
		for (const PathFigures &p : window->paths)
			for (unsigned b = 0; b < ELIM_GAP_BUCKETS; b++) {
				sum[b] += p.gaps[b];
				total += p.gaps[b];
			}
		out.push_back(fmt("COPY GAP       second copies over %.0f s, all paths: %llu", window->interval,
				  static_cast<unsigned long long>(total)));
		if (total) {
			unsigned lo = 0, hi = ELIM_GAP_BUCKETS - 1;
			while (!sum[lo])
				lo++;
			while (!sum[hi])
				hi--;
			// Fit the rows left: drop the emptiest edge bucket first.
			size_t room = height > out.size() ? height - out.size() : 0;
			while (hi - lo + 1 > room && hi > lo)
				(sum[lo] <= sum[hi] ? lo++ : hi--);
			__u64 most = *std::max_element(sum.begin() + lo, sum.begin() + hi + 1);
			unsigned bar_room = width > 28 ? width - 28 : 1;
			for (unsigned b = lo; b <= hi && out.size() < height; b++) {
				unsigned len = most ? static_cast<unsigned>(
							      std::ceil(static_cast<double>(sum[b]) * bar_room / most))
						    : 0;
				out.push_back(fmt("  %14s %8llu |", gap_bucket_label(b).c_str(),
						  static_cast<unsigned long long>(sum[b])) +
					      std::string(len, '#'));
			}
		}
	}
	if (out.size() > height)
		out.resize(height);
	for (std::string &l : out)
		if (l.size() > width)
			l.resize(width);
	return out;
}

namespace {

volatile sig_atomic_t stop_requested = 0;

void on_stop(int)
{
	stop_requested = 1;
}

// The terminal as it was, given back whatever happens.
class Terminal {
public:
	Terminal()
	{
		in_tty_ = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved_) == 0;
		if (in_tty_) {
			termios raw = saved_;
			// Keys without Enter, not echoed; ISIG stays, so Ctrl-C is SIGINT.
			raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO);
			raw.c_cc[VMIN] = 0;
			raw.c_cc[VTIME] = 0;
			tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw);
		}
		// The alternate screen, cursor hidden.
		write_all("\x1b[?1049h\x1b[?25l");
	}
	~Terminal()
	{
		write_all("\x1b[?25h\x1b[?1049l");
		if (in_tty_)
			tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_);
	}
	Terminal(const Terminal &) = delete;
	Terminal &operator=(const Terminal &) = delete;

	static void write_all(const std::string &s)
	{
		for (size_t done = 0; done < s.size();) {
			ssize_t n = write(STDOUT_FILENO, s.data() + done, s.size() - done);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return;
			done += static_cast<size_t>(n);
		}
	}
	bool keys() const { return in_tty_; }

private:
	termios saved_{};
	bool in_tty_ = false;
};

Snapshot take(const std::string &dev)
{
	Snapshot s;
	StateLock lock(StateLock::Mode::shared);
	s.report = gather(dev);
	s.time = std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
	return s;
}

}  // namespace

void cmd_top(const GlobalOptions &, const TopOptions &o)
{
	if (!isatty(STDOUT_FILENO))
		throw Error("top needs a terminal: stdout is not a tty (use `stats` or `serve` for scripts)");
	struct sigaction sa {};
	sa.sa_handler = on_stop;  // no SA_RESTART: poll returns at once
	sigaction(SIGINT, &sa, nullptr);
	sigaction(SIGTERM, &sa, nullptr);
	sigaction(SIGHUP, &sa, nullptr);

	SlidingWindow last_second(1), window(top_window_s);
	Snapshot first = take(o.dev);  // errors (no state for --dev) before the screen changes
	last_second.add(first);
	window.add(std::move(first));
	Terminal term;
	using clock = std::chrono::steady_clock;
	auto next = clock::now();
	while (!stop_requested) {
		winsize ws{};
		unsigned width = 80, height = 24;
		if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col && ws.ws_row) {
			width = ws.ws_col;
			height = ws.ws_row;
		}
		auto f1 = last_second.figures();
		auto fw = window.figures();
		std::string frame = "\x1b[H";
		for (const std::string &line : top_screen(window.latest()->report, f1 ? &*f1 : nullptr,
							  fw ? &*fw : nullptr, width, height))
			frame += line + "\x1b[K\r\n";
		frame.resize(frame.size() - 2);  // no scroll past the last line
		frame += "\x1b[J";
		Terminal::write_all(frame);

		next += std::chrono::seconds(1);
		for (;;) {
			auto left = std::chrono::duration_cast<std::chrono::milliseconds>(next - clock::now()).count();
			if (left <= 0 || stop_requested)
				break;
			pollfd p{STDIN_FILENO, POLLIN, 0};
			int n = poll(&p, term.keys() ? 1 : 0, static_cast<int>(left));
			if (n > 0 && (p.revents & POLLIN)) {
				char c = 0;
				if (read(STDIN_FILENO, &c, 1) == 1 && (c == 'q' || c == 'Q'))
					stop_requested = 1;
			}
			if (n > 0 && (p.revents & (POLLHUP | POLLERR)))
				stop_requested = 1;
		}
		if (stop_requested)
			break;
		Snapshot s = take(o.dev);
		last_second.add(s);
		window.add(std::move(s));
	}
}

}  // namespace dupgre
