// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "observe/serve.h"

#include <arpa/inet.h>

#include <cstdlib>
#include <cstring>
#include <set>
#include <sstream>

#include "core/error.h"

namespace dupgre {

namespace {

std::string trim(const std::string &s)
{
	size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
	return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

std::string lower(std::string s)
{
	for (char &c : s)
		c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
	return s;
}

}  // namespace

bool wants_openmetrics(const std::string &accept)
{
	double om = -1, text = -1;
	std::istringstream ranges(accept);
	for (std::string range; std::getline(ranges, range, ',');) {
		std::istringstream parts(range);
		std::string type, param;
		std::getline(parts, type, ';');
		type = lower(trim(type));
		double q = 1;
		std::string version;
		while (std::getline(parts, param, ';')) {
			param = trim(param);
			size_t eq = param.find('=');
			if (eq == std::string::npos)
				continue;
			std::string key = lower(trim(param.substr(0, eq))), value = trim(param.substr(eq + 1));
			if (key == "q")
				q = strtod(value.c_str(), nullptr);
			else if (key == "version")
				version = value;
		}
		if (type == "application/openmetrics-text" && (version.empty() || version == "1.0.0"))
			om = std::max(om, q);
		else if (type == "text/plain" || type == "text/*" || type == "*/*")
			text = std::max(text, q);
	}
	return om > 0 && om >= text;
}

std::string to_openmetrics(const std::string &text)
{
	std::set<std::string> counters;
	std::istringstream first(text);
	for (std::string line; std::getline(first, line);) {
		std::istringstream words(line);
		std::string hash, kind, name, type;
		if (words >> hash >> kind >> name >> type && hash == "#" && kind == "TYPE" && type == "counter")
			counters.insert(name);
	}
	std::ostringstream out;
	std::istringstream in(text);
	for (std::string line; std::getline(in, line);) {
		if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) {
			size_t name_end = line.find(' ', 7);
			std::string name = line.substr(7, name_end == std::string::npos ? std::string::npos : name_end - 7);
			std::string rest = name_end == std::string::npos ? "" : line.substr(name_end);
			if (counters.count(name) && name.size() > 6 && name.compare(name.size() - 6, 6, "_total") == 0)
				name.resize(name.size() - 6);
			if (line[2] == 'H') {
				std::string escaped;
				for (char c : rest)
					escaped += c == '"' ? std::string("\\\"") : std::string(1, c);
				rest = escaped;
			}
			line = line.substr(0, 7) + name + rest;
		}
		out << line << "\n";
	}
	out << "# EOF\n";
	return out.str();
}

ListenAddress parse_listen(const std::string &text)
{
	ListenAddress l;
	size_t colon = text.rfind(':');
	if (colon == std::string::npos || colon + 1 == text.size())
		throw UsageError("--listen '" + text + "': expected ADDR:PORT, e.g. 127.0.0.1:9473 or [::1]:9473");
	std::string host = text.substr(0, colon), port_text = text.substr(colon + 1);
	char *end = nullptr;
	unsigned long port = strtoul(port_text.c_str(), &end, 10);
	if (*end || port == 0 || port > 65535 || port_text[0] == '-' || port_text[0] == '+')
		throw UsageError("--listen '" + text + "': port must be 1-65535");
	if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
		auto *a = reinterpret_cast<sockaddr_in6 *>(&l.addr);
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(static_cast<uint16_t>(port));
		if (inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), &a->sin6_addr) != 1)
			throw UsageError("--listen '" + text + "': '" + host + "' is not an IPv6 address");
		l.len = sizeof(*a);
	} else {
		auto *a = reinterpret_cast<sockaddr_in *>(&l.addr);
		a->sin_family = AF_INET;
		a->sin_port = htons(static_cast<uint16_t>(port));
		if (inet_pton(AF_INET, host.c_str(), &a->sin_addr) != 1)
			throw UsageError("--listen '" + text + "': '" + host +
				    "' is not an IPv4 address (IPv6 goes in brackets: [::1]:9473)");
		l.len = sizeof(*a);
	}
	return l;
}

}  // namespace dupgre
