// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// `dupgre-ctl serve`: the counters and the derived gauges over HTTP for
// Prometheus. What does not need the HTTP library is here (content
// negotiation, the OpenMetrics form, the listen address), so the unit tests
// reach it; the server itself is serve_http.cpp, with libmicrohttpd.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <string>

namespace dupgre {

inline constexpr const char *content_type_text = "text/plain; version=0.0.4; charset=utf-8";
inline constexpr const char *content_type_openmetrics =
	"application/openmetrics-text; version=1.0.0; charset=utf-8";

// Whether an Accept header asks for OpenMetrics 1.0.0 at least as much as
// for the text format (Prometheus asks for application/openmetrics-text
// first when it can parse it). Media ranges with q=0 are refused ones.
bool wants_openmetrics(const std::string &accept);

// The text exposition (0.0.4) as OpenMetrics 1.0.0: a counter family is
// named without its _total suffix in HELP and TYPE (its samples keep it),
// HELP escapes double quotes too, and the text ends with "# EOF".
std::string to_openmetrics(const std::string &text);

// ADDR:PORT (IPv4) or [ADDR]:PORT (IPv6), numeric only. Throws Error.
struct ListenAddress {
	sockaddr_storage addr{};
	socklen_t len = 0;
};
ListenAddress parse_listen(const std::string &text);

}  // namespace dupgre
