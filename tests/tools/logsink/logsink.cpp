// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// logsink PATH: a syslog daemon for one test. Binds a unix datagram socket
// at PATH (a private /dev/log), says "ready" on stderr, and writes every
// message it receives to stdout as one line, verbatim ("<PRI>TIMESTAMP
// TAG[PID]: text"). On SIGTERM or SIGINT it writes what is still queued and
// exits 0, so a test that stops it after the logging process has exited
// has every message: a datagram is queued by the time send() returns.
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>
#include <iostream>
#include <string>

#include "../common/cli.hpp"
#include "../common/sys.hpp"

using namespace dupgre::tools;

namespace {

Fd bind_socket(const std::string &path)
{
	sockaddr_un addr{};
	addr.sun_family = AF_UNIX;
	if (path.size() >= sizeof(addr.sun_path))
		throw std::runtime_error("path too long: " + path);
	memcpy(addr.sun_path, path.c_str(), path.size());
	Fd sock(socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
	if (!sock)
		throw_errno("socket");
	if (bind(sock.get(), reinterpret_cast<sockaddr *>(&addr), sizeof(addr)) < 0)
		throw_errno("bind " + path);
	return sock;
}

// Writes every queued message; false when none was queued.
bool drain(int sock)
{
	bool any = false;
	char buf[8192];
	for (;;) {
		ssize_t len = recv(sock, buf, sizeof(buf), 0);
		if (len < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			throw_errno("recv");
		}
		std::string msg(buf, size_t(len));
		while (!msg.empty() && (msg.back() == '\n' || msg.back() == '\0'))
			msg.pop_back();
		std::cout << msg << '\n';
		any = true;
	}
	std::cout.flush();
	return any;
}

} // namespace

int main(int argc, char **argv)
{
	CLI::App app{"a syslog socket for one test: prints every message it receives"};
	one_line_errors(app, "logsink");
	std::string path;
	app.add_option("path", path, "where to bind the unix datagram socket (e.g. a private /dev/log)")
		->required();
	CLI11_PARSE(app, argc, argv);

	try {
		sigset_t mask;
		sigemptyset(&mask);
		sigaddset(&mask, SIGTERM);
		sigaddset(&mask, SIGINT);
		sigprocmask(SIG_BLOCK, &mask, nullptr);
		Fd sigfd(signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC));
		if (!sigfd)
			throw_errno("signalfd");
		Fd sock = bind_socket(path);
		std::cerr << "ready" << std::endl;

		pollfd fds[2] = {{sock.get(), POLLIN, 0}, {sigfd.get(), POLLIN, 0}};
		for (;;) {
			if (poll(fds, 2, -1) < 0) {
				if (errno == EINTR)
					continue;
				throw_errno("poll");
			}
			drain(sock.get());
			if (fds[1].revents & POLLIN)
				break;
		}
		drain(sock.get());
		unlink(path.c_str());
		return 0;
	} catch (const std::exception &e) {
		std::cerr << "logsink: " << e.what() << std::endl;
		return 1;
	}
}
