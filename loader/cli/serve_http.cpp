// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// `dupgre-ctl serve`: /metrics and /healthz with GNU libmicrohttpd, in
// Debian (libmicrohttpd-dev) and in OpenWrt's feed (libs/libmicrohttpd,
// ~50 KB without TLS): request parsing, keep-alive and connection limits
// are its job, well tested, not ours.
//
// One thread samples the counters once a second (the main thread, which
// also waits for SIGTERM/SIGINT); libmicrohttpd's one polling thread
// answers from the exposition rendered at the last sample, so a scrape
// costs a copy of a shared pointer however many clients come, and reads no
// BPF map itself.
#include <microhttpd.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>

#include "cli/commands.h"
#include "observe/rates.h"
#include "observe/report.h"
#include "observe/serve.h"
#include "core/error.h"
#include "core/fd.h"
#include "core/lock.h"

namespace dupgre {

namespace {

// Limits, documented in docs/monitoring.md.
constexpr unsigned idle_timeout_s = 5;        // an idle (keep-alive) connection is closed
constexpr unsigned connection_time_s = 10;    // every connection is closed after this
constexpr size_t request_memory = 8 * 1024;   // request line + headers, per connection
constexpr double stale_after_s = 5;           // /healthz fails when no sample is newer

using Body = std::shared_ptr<const std::string>;

// What the last sample produced, shared with the HTTP thread.
struct Exposition {
	Body text, openmetrics;
	bool ok = false;
	std::string error;
	std::chrono::steady_clock::time_point at;
};

class Server {
public:
	Server(const ServeOptions &o, bool debug) : opts_(o), debug_(debug), window_(o.window) {}
	~Server()
	{
		if (daemon_)
			MHD_stop_daemon(daemon_);
	}

	void start(Fd listener);
	void sample();
	void reap_slow_connections();

private:
	static MHD_Result handle(void *cls, MHD_Connection *c, const char *url, const char *method,
				 const char *version, const char *upload, size_t *upload_size, void **req_cls);
	static void notify(void *cls, MHD_Connection *c, void **socket_context,
			   MHD_ConnectionNotificationCode code);
	// A printf-style format passed through (clang's -Wformat-nonliteral).
	static void log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
	MHD_Result respond(MHD_Connection *c, unsigned status, Body body, const char *type,
			   const char *allow = nullptr);
	std::shared_ptr<const Exposition> current() const
	{
		std::lock_guard<std::mutex> l(mutex_);
		return current_;
	}

	ServeOptions opts_;
	bool debug_;
	SlidingWindow window_;
	MHD_Daemon *daemon_ = nullptr;
	mutable std::mutex mutex_;
	std::shared_ptr<const Exposition> current_ = std::make_shared<Exposition>();
	bool last_ok_ = true;
	// Open connections: their socket and when they came, under conn_mutex_.
	// libmicrohttpd notifies "closed" before it closes the socket, so a
	// socket in the map is always still the connection's.
	std::mutex conn_mutex_;
	std::map<MHD_Connection *, std::pair<int, std::chrono::steady_clock::time_point>> conns_;
};

Body text_body(std::string s)
{
	return std::make_shared<const std::string>(std::move(s));
}

void Server::sample()
{
	auto e = std::make_shared<Exposition>();
	e->at = std::chrono::steady_clock::now();
	try {
		Snapshot s;
		{
			StateLock lock(StateLock::Mode::shared);
			s.report = gather("");
		}
		s.time = std::chrono::duration<double>(e->at.time_since_epoch()).count();
		window_.add(std::move(s));
		std::string text = stats_prometheus(window_.latest()->report);
		if (auto f = window_.figures())
			text += figures_prometheus(*f);
		e->openmetrics = text_body(to_openmetrics(text));
		e->text = text_body(std::move(text));
		e->ok = true;
		if (!last_ok_)
			std::cerr << "dupgre-ctl serve: counters readable again\n";
	} catch (const std::exception &ex) {
		e->error = ex.what();
		if (last_ok_)
			std::cerr << "dupgre-ctl serve: cannot read the counters: " << ex.what() << "\n";
	}
	last_ok_ = e->ok;
	std::lock_guard<std::mutex> l(mutex_);
	current_ = std::move(e);
}

void Server::reap_slow_connections()
{
	auto now = std::chrono::steady_clock::now();
	std::lock_guard<std::mutex> l(conn_mutex_);
	for (auto &[conn, fd_since] : conns_)
		if (now - fd_since.second > std::chrono::seconds(connection_time_s) && fd_since.first >= 0) {
			// libmicrohttpd sees the end of the stream and closes it.
			shutdown(fd_since.first, SHUT_RDWR);
			fd_since.first = -1;
		}
}

void Server::notify(void *cls, MHD_Connection *c, void **, MHD_ConnectionNotificationCode code)
{
	auto *self = static_cast<Server *>(cls);
	std::lock_guard<std::mutex> l(self->conn_mutex_);
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const MHD_ConnectionInfo *info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		self->conns_[c] = {info ? info->connect_fd : -1, std::chrono::steady_clock::now()};
	} else {
		self->conns_.erase(c);
	}
}

void Server::log(void *cls, const char *fmt, va_list ap)
{
	if (static_cast<Server *>(cls)->debug_) {
		fputs("dupgre-ctl serve: libmicrohttpd: ", stderr);
		vfprintf(stderr, fmt, ap);
	}
}

MHD_Result Server::respond(MHD_Connection *c, unsigned status, Body body, const char *type, const char *allow)
{
	// The response holds a reference to the body until it is sent.
	auto *hold = new Body(std::move(body));
	MHD_Response *r = MHD_create_response_from_buffer_with_free_callback_cls(
		(*hold)->size(), const_cast<char *>((*hold)->data()),
		[](void *cls) { delete static_cast<Body *>(cls); }, hold);
	if (!r) {
		delete hold;
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

MHD_Result Server::handle(void *cls, MHD_Connection *c, const char *url, const char *method, const char *,
			  const char *, size_t *upload_size, void **req_cls)
{
	auto *self = static_cast<Server *>(cls);
	static const char plain[] = "text/plain; charset=utf-8";
	static int seen;
	// Read-only: any other method is answered at once, before its body is
	// read (the connection is then closed after the answer).
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return self->respond(c, MHD_HTTP_METHOD_NOT_ALLOWED, text_body("only GET and HEAD\n"), plain,
				     "GET, HEAD");
	// A GET is answered on the second call, once its headers are complete:
	// answered on the first, libmicrohttpd closes the connection after it,
	// and keep-alive (Prometheus's scrapes) would be lost. A body is ignored.
	if (!*req_cls) {
		*req_cls = &seen;
		return MHD_YES;
	}
	if (*upload_size) {
		*upload_size = 0;
		return MHD_YES;
	}
	std::shared_ptr<const Exposition> e = self->current();
	std::string path = url;
	if (path == "/metrics") {
		if (!e->ok)
			return self->respond(c, MHD_HTTP_SERVICE_UNAVAILABLE,
					     text_body("cannot read the counters: " + e->error + "\n"), plain);
		const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
		if (accept && wants_openmetrics(accept))
			return self->respond(c, MHD_HTTP_OK, e->openmetrics, content_type_openmetrics);
		return self->respond(c, MHD_HTTP_OK, e->text, content_type_text);
	}
	if (path == "/healthz") {
		double age = std::chrono::duration<double>(std::chrono::steady_clock::now() - e->at).count();
		if (e->ok && age < stale_after_s)
			return self->respond(c, MHD_HTTP_OK, text_body("ok\n"), plain);
		return self->respond(c, MHD_HTTP_SERVICE_UNAVAILABLE,
				     text_body(e->ok ? "no sample for " + std::to_string(static_cast<int>(age)) + " s\n"
						     : "cannot read the counters: " + e->error + "\n"),
				     plain);
	}
	if (path == "/")
		return self->respond(c, MHD_HTTP_OK,
				     text_body("dupgre-ctl serve: /metrics (Prometheus, OpenMetrics), /healthz\n"), plain);
	return self->respond(c, MHD_HTTP_NOT_FOUND, text_body("not found: try /metrics\n"), plain);
}

void Server::start(Fd listener)
{
	daemon_ = MHD_start_daemon(
		MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, nullptr, nullptr, &Server::handle, this,
		MHD_OPTION_LISTEN_SOCKET, listener.get(), MHD_OPTION_CONNECTION_LIMIT,
		static_cast<unsigned>(opts_.max_connections), MHD_OPTION_CONNECTION_TIMEOUT, idle_timeout_s,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, request_memory, MHD_OPTION_NOTIFY_CONNECTION, &Server::notify,
		this, MHD_OPTION_EXTERNAL_LOGGER, &Server::log, this, MHD_OPTION_END);
	if (!daemon_)
		throw Error("cannot start the HTTP server (libmicrohttpd); -d says why");
	listener.release();  // libmicrohttpd closes it when it stops
}

Fd listen_on(const std::string &where)
{
	ListenAddress a = parse_listen(where);
	Fd fd(socket(a.addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
	if (!fd)
		throw Error("cannot listen on " + where + ": " + strerror(errno));
	int one = 1;
	setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (a.addr.ss_family == AF_INET6)
		setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd.get(), reinterpret_cast<sockaddr *>(&a.addr), a.len) < 0 || listen(fd.get(), SOMAXCONN) < 0)
		throw Error("cannot listen on " + where + ": " + strerror(errno));
	return fd;
}

}  // namespace

void cmd_serve(const GlobalOptions &g, const ServeOptions &o)
{
	if (o.window < 2)
		throw UsageError("--window must be at least 2 seconds");
	if (o.max_connections < 1)
		throw UsageError("--max-connections must be at least 1");
	// Blocked before any thread starts, so every thread inherits the mask
	// and only sigtimedwait below sees them.
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, nullptr);
	signal(SIGPIPE, SIG_IGN);

	Fd listener = listen_on(o.listen);
	Server server(o, g.debug);
	server.sample();
	server.start(std::move(listener));
	std::cerr << "dupgre-ctl serve: listening on http://" << o.listen << "/metrics, window " << o.window
		  << " s\n";

	using clock = std::chrono::steady_clock;
	auto next = clock::now();
	for (;;) {
		next += std::chrono::seconds(1);
		auto wait = std::chrono::duration_cast<std::chrono::nanoseconds>(next - clock::now());
		if (wait.count() > 0) {
			timespec ts{static_cast<time_t>(wait.count() / 1000000000),
				    static_cast<long>(wait.count() % 1000000000)};
			int sig = sigtimedwait(&stop, nullptr, &ts);
			if (sig == SIGTERM || sig == SIGINT)
				break;
			if (sig < 0 && errno == EINTR) {
				next -= std::chrono::seconds(1);  // the same tick again
				continue;
			}
		} else {
			next = clock::now();  // fell behind (a suspended machine): no burst of samples
		}
		server.sample();
		server.reap_slow_connections();
	}
	std::cerr << "dupgre-ctl serve: stopped\n";
}

}  // namespace dupgre
