// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "control.hpp"

#include <cstring>
#include <stdexcept>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

namespace dupgre::tools {
namespace {

constexpr size_t kMaxCommand = 4096;
constexpr long kCommandTimeoutUs = 200'000;

sockaddr_un unix_address(const std::string &path)
{
	sockaddr_un addr{};
	addr.sun_family = AF_UNIX;
	if (path.empty() || path.size() >= sizeof(addr.sun_path))
		throw std::runtime_error("bad control socket path '" + path + "'");
	std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
	return addr;
}

void send_all(int fd, const std::string &data)
{
	size_t off = 0;
	while (off < data.size()) {
		// MSG_NOSIGNAL: a client that went away must not kill us with SIGPIPE.
		ssize_t n = send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			throw_errno("control socket send");
		}
		off += size_t(n);
	}
}

} // namespace

ControlServer::ControlServer(std::string path) : path_(std::move(path))
{
	sockaddr_un addr = unix_address(path_);
	struct stat st{};
	if (lstat(path_.c_str(), &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			throw std::runtime_error("control path '" + path_ +
						 "' exists and is not a socket");
		// Replace it only if nobody answers there any more.
		Fd probe(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
		if (probe && connect(probe.get(), reinterpret_cast<sockaddr *>(&addr),
				     sizeof(addr)) == 0)
			throw std::runtime_error("control socket '" + path_ +
						 "' is in use by another process");
		unlink(path_.c_str());
	}
	listener_ = Fd(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
	if (!listener_)
		throw_errno("control socket");
	if (bind(listener_.get(), reinterpret_cast<sockaddr *>(&addr), sizeof(addr)) < 0)
		throw_errno("bind control socket " + path_);
	if (listen(listener_.get(), 16) < 0)
		throw_errno("listen on control socket");
}

ControlServer::~ControlServer()
{
	unlink(path_.c_str());
}

void ControlServer::serve_one(const std::function<std::string(const std::string &)> &handler)
{
	Fd conn(accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
	if (!conn)
		return; // EAGAIN: the client gave up already
	timeval tv{0, kCommandTimeoutUs};
	setsockopt(conn.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));

	std::string command;
	char buf[512];
	while (command.size() < kMaxCommand && command.find('\n') == std::string::npos) {
		ssize_t n = recv(conn.get(), buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return; // timeout or error: drop the connection silently
		if (n == 0)
			break;
		command.append(buf, size_t(n));
	}
	command = command.substr(0, command.find('\n'));
	try {
		send_all(conn.get(), handler(command) + "\n");
	} catch (const std::system_error &) {
		// The client left before reading its reply: its problem, not ours.
	}
}

std::string control_request(const std::string &path, const std::string &command)
{
	sockaddr_un addr = unix_address(path);
	Fd sock(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
	if (!sock)
		throw_errno("control socket");
	if (connect(sock.get(), reinterpret_cast<sockaddr *>(&addr), sizeof(addr)) < 0)
		throw_errno("connect to " + path);
	send_all(sock.get(), command + "\n");
	shutdown(sock.get(), SHUT_WR);

	std::string reply;
	char buf[4096];
	for (;;) {
		ssize_t n = recv(sock.get(), buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			throw_errno("read reply from " + path);
		if (n == 0)
			break;
		reply.append(buf, size_t(n));
	}
	if (!reply.empty() && reply.back() == '\n')
		reply.pop_back();
	return reply;
}

} // namespace dupgre::tools
