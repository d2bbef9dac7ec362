// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// httpload: many concurrent HTTP/1.1 clients against one server for a
// bounded time, checking every response (status 200, Content-Type,
// Content-Length equal to the body, an expected line in the body), while
// watching the server's RSS and open file descriptors in /proc; and three
// abusive clients alongside: one that sends its request a byte a second,
// one with a 100 KiB header, one with a malformed request line.
// Prints one JSON object. Single-threaded, epoll.
#include <CLI/CLI.hpp>
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "core/fd.h"

using clock_type = std::chrono::steady_clock;
using dupgre::Fd;

namespace {

struct Options {
	std::string addr = "127.0.0.1", path = "/metrics", expect, content_type;
	unsigned port = 9473, clients = 200, keepalive = 20, seconds = 30, max_requests = 1000000;
	unsigned timeout = 15;
	int watch = 0;
	unsigned warmup = 5;
	bool abuse = false;
};

sockaddr_in target;

Fd connect_nb()
{
	Fd fd(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
	if (connect(fd.get(), reinterpret_cast<sockaddr *>(&target), sizeof(target)) < 0 && errno != EINPROGRESS)
		return Fd();
	return fd;
}

struct Client {
	unsigned id = 0;
	bool keepalive = false;
	Fd fd;
	std::string out, in;
	size_t sent = 0;
	bool reused = false;  // a keep-alive connection that already answered
	clock_type::time_point started;
};

struct Stats {
	unsigned long ok = 0, bad = 0, retried = 0, connect_errors = 0;
	std::vector<std::string> samples;  // the first few bad responses
};

// A complete response in c.in: >0 complete, 0 need more, <0 malformed.
int complete(const Client &c, bool eof, size_t *body_at, size_t *length)
{
	size_t end = c.in.find("\r\n\r\n");
	if (end == std::string::npos)
		return eof ? -1 : 0;
	*body_at = end + 4;
	std::string head = c.in.substr(0, end);
	for (char &ch : head)
		ch = static_cast<char>(tolower(static_cast<unsigned char>(ch)));
	size_t cl = head.find("\r\ncontent-length:");
	if (cl == std::string::npos)
		return eof ? 1 : 0;
	*length = strtoul(head.c_str() + cl + 17, nullptr, 10);
	if (c.in.size() >= *body_at + *length)
		return 1;
	return eof ? -1 : 0;
}

bool valid(const Options &o, const Client &c, size_t body_at, size_t length, std::string *why)
{
	if (c.in.compare(0, 13, "HTTP/1.1 200 ") != 0) {
		*why = "status: " + c.in.substr(0, c.in.find('\r'));
		return false;
	}
	std::string head = c.in.substr(0, body_at);
	if (!o.content_type.empty() && head.find("Content-Type: " + o.content_type + "\r\n") == std::string::npos) {
		*why = "content type";
		return false;
	}
	std::string body = c.in.substr(body_at, length);
	if (body.size() != length || body.empty() || body.back() != '\n') {
		*why = "body length";
		return false;
	}
	if (!o.expect.empty() && body.find(o.expect) == std::string::npos) {
		*why = "body lacks '" + o.expect + "'";
		return false;
	}
	return true;
}

long proc_rss_kb(int pid)
{
	std::ifstream in("/proc/" + std::to_string(pid) + "/status");
	for (std::string line; std::getline(in, line);)
		if (line.rfind("VmRSS:", 0) == 0)
			return strtol(line.c_str() + 6, nullptr, 10);
	return -1;
}

long proc_fds(int pid)
{
	DIR *d = opendir(("/proc/" + std::to_string(pid) + "/fd").c_str());
	if (!d)
		return -1;
	long n = 0;
	while (dirent *e = readdir(d))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

// The abusive clients: each sends something wrong and reports what came back.
struct Abuse {
	const char *name = "";
	Fd fd;
	std::string out;
	size_t sent = 0;
	bool trickle = false;  // a byte a second
	std::string in;
	bool closed = false;
	double closed_after = -1;
	clock_type::time_point started, next_byte;
};

}  // namespace

int main(int argc, char **argv)
{
	Options o;
	CLI::App app{"httpload: concurrent HTTP clients that check every response"};
	app.add_option("--addr", o.addr);
	app.add_option("--port", o.port);
	app.add_option("--path", o.path);
	app.add_option("--clients", o.clients);
	app.add_option("--keepalive", o.keepalive, "how many of the clients keep their connection");
	app.add_option("--seconds", o.seconds);
	app.add_option("--max-requests", o.max_requests);
	app.add_option("--timeout", o.timeout, "seconds a response may take");
	app.add_option("--expect", o.expect, "a string every body holds");
	app.add_option("--content-type", o.content_type);
	app.add_option("--watch", o.watch, "PID whose VmRSS and fds to sample once a second");
	app.add_option("--warmup", o.warmup, "seconds before the RSS and fd samples count");
	app.add_flag("--abuse", o.abuse, "also a slow, an oversized and a malformed client");
	CLI11_PARSE(app, argc, argv);

	target.sin_family = AF_INET;
	target.sin_port = htons(static_cast<uint16_t>(o.port));
	inet_pton(AF_INET, o.addr.c_str(), &target.sin_addr);
	Fd ep(epoll_create1(EPOLL_CLOEXEC));
	std::vector<Client> clients(o.clients);
	Stats st;
	unsigned long issued = 0;
	auto start = clock_type::now(), deadline = start + std::chrono::seconds(o.seconds);

	auto request = [&](Client &c) {
		if (!c.fd) {
			c.fd = connect_nb();
			c.reused = false;
			if (!c.fd) {
				st.connect_errors++;
				return;
			}
			epoll_event ev{EPOLLIN | EPOLLOUT, {}};
			ev.data.u64 = c.id;
			epoll_ctl(ep.get(), EPOLL_CTL_ADD, c.fd.get(), &ev);
		} else {
			epoll_event ev{EPOLLIN | EPOLLOUT, {}};
			ev.data.u64 = c.id;
			epoll_ctl(ep.get(), EPOLL_CTL_MOD, c.fd.get(), &ev);
		}
		c.out = "GET " + o.path + " HTTP/1.1\r\nHost: " + o.addr + "\r\nUser-Agent: httpload\r\n" +
			(c.keepalive ? "" : "Connection: close\r\n") + "\r\n";
		c.sent = 0;
		c.in.clear();
		c.started = clock_type::now();
		issued++;
	};
	auto finish = [&](Client &c, bool good, const std::string &why) {
		if (good)
			st.ok++;
		else {
			st.bad++;
			if (st.samples.size() < 5)
				st.samples.push_back(why);
		}
		if (!c.keepalive || !good) {
			epoll_ctl(ep.get(), EPOLL_CTL_DEL, c.fd.get(), nullptr);
			c.fd.reset();
		} else {
			c.reused = true;
		}
	};
	for (unsigned i = 0; i < o.clients; i++) {
		clients[i].id = i;
		clients[i].keepalive = i < o.keepalive;
		request(clients[i]);
	}

	std::vector<Abuse> abuse;
	if (o.abuse) {
		auto add = [&](const char *name, std::string out, bool trickle) {
			abuse.emplace_back();
			abuse.back().name = name;
			abuse.back().out = std::move(out);
			abuse.back().trickle = trickle;
		};
		add("slow", "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: " + std::string(100, 'a') + "\r\n\r\n", true);
		add("oversized", "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(100 * 1024, 'b') + "\r\n\r\n",
		    false);
		add("malformed", "GARBAGE\x01\x02 / NOT-HTTP\r\n\r\n", false);
		for (size_t i = 0; i < abuse.size(); i++) {
			abuse[i].fd = connect_nb();
			abuse[i].started = abuse[i].next_byte = clock_type::now();
			epoll_event ev{EPOLLIN | EPOLLOUT, {}};
			ev.data.u64 = 1000000 + i;
			epoll_ctl(ep.get(), EPOLL_CTL_ADD, abuse[i].fd.get(), &ev);
		}
	}

	long rss_min = -1, rss_max = -1, fd_min = -1, fd_max = -1, rss_first = -1, rss_last = -1;
	auto next_watch = start + std::chrono::seconds(1);
	std::vector<epoll_event> events(256);
	bool stopping = false;
	for (;;) {
		auto now = clock_type::now();
		if (!stopping && (now >= deadline || issued >= o.max_requests))
			stopping = true;
		bool busy = false;
		for (Client &c : clients)
			busy |= c.fd && !c.out.empty();
		if (stopping && !busy)
			break;
		if (o.watch && now >= next_watch) {
			next_watch += std::chrono::seconds(1);
			if (now - start >= std::chrono::seconds(o.warmup)) {
				long rss = proc_rss_kb(o.watch), fds = proc_fds(o.watch);
				if (rss_first < 0)
					rss_first = rss;
				rss_last = rss;
				rss_min = rss_min < 0 ? rss : std::min(rss_min, rss);
				rss_max = std::max(rss_max, rss);
				fd_min = fd_min < 0 ? fds : std::min(fd_min, fds);
				fd_max = std::max(fd_max, fds);
			}
		}
		for (Abuse &a : abuse)
			if (a.trickle && !a.closed && a.sent < a.out.size() && now >= a.next_byte) {
				if (write(a.fd.get(), a.out.data() + a.sent, 1) == 1)
					a.sent++;
				a.next_byte = now + std::chrono::seconds(1);
			}
		for (Client &c : clients)
			if (c.fd && !c.out.empty() && now - c.started > std::chrono::seconds(o.timeout)) {
				c.out.clear();
				finish(c, false, "timeout");
			}
		int n = epoll_wait(ep.get(), events.data(), static_cast<int>(events.size()), 100);
		for (int i = 0; i < n; i++) {
			uint64_t id = events[i].data.u64;
			if (id >= 1000000) {
				Abuse &a = abuse[id - 1000000];
				if (a.closed)
					continue;
				if ((events[i].events & EPOLLOUT) && !a.trickle && a.sent < a.out.size()) {
					ssize_t w = write(a.fd.get(), a.out.data() + a.sent, a.out.size() - a.sent);
					if (w > 0)
						a.sent += static_cast<size_t>(w);
				}
				if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
					char buf[4096];
					ssize_t r = read(a.fd.get(), buf, sizeof(buf));
					if (r > 0)
						a.in.append(buf, static_cast<size_t>(r));
					else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
						a.closed = true;
						a.closed_after = std::chrono::duration<double>(clock_type::now() - a.started).count();
						epoll_ctl(ep.get(), EPOLL_CTL_DEL, a.fd.get(), nullptr);
					}
				}
				if (a.sent >= a.out.size() || a.trickle) {
					epoll_event ev{EPOLLIN, {}};
					ev.data.u64 = id;
					epoll_ctl(ep.get(), EPOLL_CTL_MOD, a.fd.get(), &ev);
				}
				continue;
			}
			Client &c = clients[id];
			if (!c.fd || c.out.empty())
				continue;
			if ((events[i].events & EPOLLOUT) && c.sent < c.out.size()) {
				ssize_t w = send(c.fd.get(), c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL);
				if (w > 0)
					c.sent += static_cast<size_t>(w);
				if (c.sent == c.out.size()) {
					epoll_event ev{EPOLLIN, {}};
					ev.data.u64 = c.id;
					epoll_ctl(ep.get(), EPOLL_CTL_MOD, c.fd.get(), &ev);
				}
			}
			if (!(events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
				continue;
			bool eof = false;
			for (;;) {
				char buf[16384];
				ssize_t r = read(c.fd.get(), buf, sizeof(buf));
				if (r > 0) {
					c.in.append(buf, static_cast<size_t>(r));
					continue;
				}
				if (r == 0 || (errno != EAGAIN && errno != EINTR))
					eof = true;
				break;
			}
			if (eof && c.in.empty() && c.reused) {
				// The server closed an idle keep-alive connection as our
				// request crossed it: retry on a new one, as HTTP clients do.
				st.retried++;
				epoll_ctl(ep.get(), EPOLL_CTL_DEL, c.fd.get(), nullptr);
				c.fd.reset();
				issued--;
				request(c);
				continue;
			}
			size_t body_at = 0, length = 0;
			int done = complete(c, eof, &body_at, &length);
			if (done == 0)
				continue;
			std::string why = done < 0 ? "incomplete: " + c.in.substr(0, 60) : "";
			bool good = done > 0 && valid(o, c, body_at, length, &why);
			c.out.clear();
			finish(c, good, why);
			if (eof && c.fd) {
				epoll_ctl(ep.get(), EPOLL_CTL_DEL, c.fd.get(), nullptr);
				c.fd.reset();
			}
			if (!stopping)
				request(c);
		}
		if (!stopping)
			for (Client &c : clients)
				if (!c.fd && c.out.empty())
					request(c);
	}

	double took = std::chrono::duration<double>(clock_type::now() - start).count();
	printf("{\"seconds\":%.1f,\"requests\":%lu,\"ok\":%lu,\"bad\":%lu,\"retried\":%lu,\"connect_errors\":%lu,"
	       "\"rss_kb_first\":%ld,\"rss_kb_last\":%ld,\"rss_kb_min\":%ld,\"rss_kb_max\":%ld,\"fds_min\":%ld,"
	       "\"fds_max\":%ld,\"bad_samples\":[",
	       took, st.ok + st.bad, st.ok, st.bad, st.retried, st.connect_errors, rss_first, rss_last, rss_min,
	       rss_max, fd_min, fd_max);
	for (size_t i = 0; i < st.samples.size(); i++) {
		std::string s;
		for (char ch : st.samples[i])
			if (ch == '"' || ch == '\\')
				s += ' ';
			else if (static_cast<unsigned char>(ch) >= 32)
				s += ch;
		printf("%s\"%s\"", i ? "," : "", s.c_str());
	}
	printf("],\"abuse\":{");
	for (size_t i = 0; i < abuse.size(); i++) {
		const Abuse &a = abuse[i];
		std::string status = a.in.rfind("HTTP/1.", 0) == 0 ? a.in.substr(9, 3) : "none";
		printf("%s\"%s\":{\"status\":\"%s\",\"closed\":%s,\"closed_after\":%.1f,\"sent\":%zu}", i ? "," : "",
		       a.name, status.c_str(), a.closed ? "true" : "false", a.closed_after, a.sent);
	}
	printf("}}\n");
	return 0;
}
