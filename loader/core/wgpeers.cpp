// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "core/wgpeers.h"

#include <arpa/inet.h>

#include <sstream>
#include <stdexcept>

#include "core/error.h"

// The kernel's WG_KEY_LEN, without the uapi header for one constant.
#define WG_KEY_LEN 32

namespace dupgre {

namespace {

unsigned family_bits(const IpAddr &a)
{
	return a.is_ipv4() ? 32 : 128;
}

}  // namespace

bool WgAllowedIp::contains(const IpAddr &a) const
{
	if (a.is_ipv4() != addr.is_ipv4())
		return false;
	unsigned bits = cidr + (addr.is_ipv4() ? 96 : 0);  // over the 16-byte form
	for (unsigned i = 0; i < 16 && bits > 0; i++, bits = bits > 8 ? bits - 8 : 0) {
		uint8_t mask = bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
		if ((a.bytes[i] & mask) != (addr.bytes[i] & mask))
			return false;
	}
	return true;
}

std::string WgAllowedIp::str() const
{
	return addr.str() + "/" + std::to_string(cidr);
}

std::string WgPeer::allowed_ips_str() const
{
	std::string s;
	for (const WgAllowedIp &a : allowed_ips)
		s += (s.empty() ? "" : ",") + a.str();
	return s;
}

const WgPeer *WgDevice::peer_for(const IpAddr &dst) const
{
	const WgPeer *best = nullptr;
	int best_len = -1;
	for (const WgPeer &p : peers)
		for (const WgAllowedIp &a : p.allowed_ips)
			if (a.contains(dst) && static_cast<int>(a.cidr) > best_len) {
				best = &p;
				best_len = static_cast<int>(a.cidr);
			}
	return best;
}

namespace {

std::string base64_bytes(const uint8_t *p, size_t n)
{
	static const char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	std::string out;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = p[i] << 16 | (i + 1 < n ? p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
		out += table[v >> 18 & 63];
		out += table[v >> 12 & 63];
		out += i + 1 < n ? table[v >> 6 & 63] : '=';
		out += i + 2 < n ? table[v & 63] : '=';
	}
	return out;
}

std::string hex_key_to_base64(const std::string &dev, const std::string &hex)
{
	if (hex.size() != 2 * WG_KEY_LEN || hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
		throw Error(dev + ": WireGuard reported a malformed public key");
	uint8_t key[WG_KEY_LEN];
	for (size_t i = 0; i < WG_KEY_LEN; i++)
		key[i] = static_cast<uint8_t>(std::stoul(hex.substr(2 * i, 2), nullptr, 16));
	return wg_key_base64(key, sizeof(key));
}

// "198.18.0.2" or "2001:db8::2"; false for anything else.
bool parse_ip(const std::string &text, IpAddr &out)
{
	struct in_addr a4;
	if (inet_pton(AF_INET, text.c_str(), &a4) == 1) {
		out = IpAddr::from_ipv4(Ipv4{a4.s_addr});
		return true;
	}
	return inet_pton(AF_INET6, text.c_str(), out.bytes.data()) == 1;
}

}  // namespace

WgDevice parse_wg_uapi(const std::string &dev, const std::string &reply)
{
	WgDevice d;
	d.name = dev;
	d.source = "userspace";
	std::istringstream in(reply);
	bool ended = false;
	for (std::string line; std::getline(in, line) && !line.empty();) try {
		size_t eq = line.find('=');
		if (eq == std::string::npos)
			throw Error(dev + ": WireGuard's UAPI reply has a line without '=': " + line);
		std::string key = line.substr(0, eq), value = line.substr(eq + 1);
		if (key == "errno") {
			if (value != "0")
				throw Error(dev + ": WireGuard's UAPI answered errno " + value);
			ended = true;
		} else if (key == "listen_port") {
			d.listen_port = static_cast<uint16_t>(std::stoul(value));
		} else if (key == "public_key") {
			d.peers.push_back({hex_key_to_base64(dev, value), std::nullopt, {}});
		} else if (d.peers.empty()) {
			continue;  // the device's own keys and settings
		} else if (key == "endpoint") {
			try {
				d.peers.back().endpoint = parse_endpoint(value, 0);
			} catch (const Error &) {
				throw Error(dev + ": WireGuard reported endpoint '" + value + "'");
			}
		} else if (key == "allowed_ip") {
			size_t slash = value.find('/');
			WgAllowedIp a;
			if (slash == std::string::npos || !parse_ip(value.substr(0, slash), a.addr))
				throw Error(dev + ": WireGuard reported allowed_ip '" + value + "'");
			a.cidr = std::stoul(value.substr(slash + 1));
			if (a.cidr > family_bits(a.addr))
				throw Error(dev + ": WireGuard reported allowed_ip '" + value + "'");
			d.peers.back().allowed_ips.push_back(a);
		}
	} catch (const std::logic_error &) {  // stoul: not a number, or too large
		throw Error(dev + ": WireGuard's UAPI reply has '" + line + "'");
	}
	if (!ended)
		throw Error(dev + ": WireGuard's UAPI reply ended early");
	return d;
}

std::string wg_key_base64(const uint8_t *key, size_t len)
{
	return base64_bytes(key, len);
}

}  // namespace dupgre
