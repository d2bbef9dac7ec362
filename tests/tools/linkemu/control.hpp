// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// linkemu's control channel: an AF_UNIX stream socket at a path, one
// command per connection. The client sends one line and shuts down its
// write side; the server replies and closes.
#pragma once

#include <functional>
#include <string>

#include "../common/sys.hpp"

namespace dupgre::tools {

class ControlServer {
public:
	// Listens at `path`. A stale socket file left by a killed linkemu is
	// replaced; any other existing file is an error.
	explicit ControlServer(std::string path);
	~ControlServer(); // removes the socket file
	ControlServer(const ControlServer &) = delete;
	ControlServer &operator=(const ControlServer &) = delete;

	int fd() const { return listener_.get(); }

	// Accepts one pending connection and answers its command. Runs inside
	// the forwarding loop, so reading the command is bounded by a short
	// receive timeout: a client that connects and says nothing cannot
	// stall the link for more than that.
	void serve_one(const std::function<std::string(const std::string &)> &handler);

private:
	std::string path_;
	Fd listener_;
};

// Sends `command` to the server at `path` and returns its reply.
// Throws std::system_error if the server cannot be reached.
std::string control_request(const std::string &path, const std::string &command);

} // namespace dupgre::tools
