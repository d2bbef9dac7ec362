// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// Builders for the packets dupgre's tests send: IPv4 (with options and
// fragments), enhanced GRE carrying PPP, TCP carrying PPTP control messages,
// Ethernet with 802.1Q tags. Lengths and checksums are filled in; anything
// can be overridden afterwards to make malformed packets.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pkt {

using Bytes = std::vector<uint8_t>;

Bytes operator+(Bytes a, const Bytes &b);
void put16(Bytes &b, size_t off, uint16_t v);  // big-endian
void put32(Bytes &b, size_t off, uint32_t v);
uint32_t addr(const char *dotted);             // host byte order

struct Ipv4 {
	uint32_t saddr = addr("198.18.0.1");
	uint32_t daddr = addr("198.18.1.1");
	uint8_t protocol = 47;
	uint8_t ttl = 64;
	uint16_t id = 1;
	uint16_t frag_off = 0x4000;  // DF
	Bytes options;               // padded to a multiple of 4 by the caller
};
inline size_t ipv4_header_len(const Ipv4 &ip) { return 20 + ip.options.size(); }
Bytes ipv4(const Ipv4 &ip, const Bytes &payload);
uint16_t ipv4_checksum(const Bytes &packet, size_t off = 0);

// Enhanced GRE (RFC 2637). The sequence and acknowledgement numbers are
// present if word0's S (0x1000) and A (0x0080) flags say so.
struct Gre {
	uint32_t word0 = 0x3001880b;
	std::optional<uint16_t> payload_len;  // default: ppp.size()
	uint16_t call_id = 0x1234;
	uint32_t seq = 1;
	uint32_t ack = 0;
};
Bytes gre(const Gre &g, const Bytes &ppp);
size_t gre_header_len(uint32_t word0);

// PPP frames as the guide's rules see them.
Bytes ppp_mppe(size_t len = 64);             // FD ...
Bytes ppp_mppe_full_header(size_t len = 64); // FF 03 00 FD ...
Bytes ppp_lcp_echo(uint8_t code = 9, bool full_header = false);  // [FF 03] C0 21 code id len magic

struct Tcp {
	uint16_t sport = 40000;
	uint16_t dport = 1723;
	uint8_t doff = 5;  // 32-bit words
	Bytes options;     // placed after the 20-byte header (doff must agree)
};
Bytes tcp(const Tcp &t, const Bytes &payload);
// PPTP control message: length, type 1 (control), magic cookie, control
// message type, reserved, then an identifier (Echo-Request/Reply layout).
Bytes pptp_control(uint16_t ctrl_type = 5, uint16_t msg_type = 1, size_t len = 16);

// IPv6: the fixed header; extension headers go at the start of the
// payload (ipv6_ext, ipv6_frag), nexthdr naming the first.
struct Ipv6 {
	std::string saddr = "2001:db8::1";
	std::string daddr = "2001:db8:1::1";
	uint8_t nexthdr = 17;
	uint8_t hop_limit = 64;
};
Bytes ipv6(const Ipv6 &ip, const Bytes &payload);
// Hop-by-hop, routing or destination options header: next header, length
// (8-byte units after the first 8), PadN filling the rest.
Bytes ipv6_ext(uint8_t next, uint8_t len_units = 0);
Bytes ipv6_frag(uint8_t next, uint16_t offset_units = 0, bool more = true, uint32_t id = 0x1234);

struct Udp {
	uint16_t sport = 40000;
	uint16_t dport = 51820;
	std::optional<uint16_t> len;  // default: 8 + payload
};
Bytes udp(const Udp &u, const Bytes &payload);  // checksum 0

// A WireGuard message of len bytes: type (little-endian 32 bits), then for
// data (type 4) the receiver index and the 64-bit counter (little-endian),
// filler after. Handshake sizes: 148, 92, 64; data >= 32.
Bytes wg_message(uint8_t type, size_t len, uint32_t receiver = 0x01020304, uint64_t counter = 0);

struct Ethernet {
	std::vector<uint16_t> vlan_tpids;  // e.g. {0x8100}: tags in the packet data
	uint16_t ethertype = 0x0800;
};
Bytes ethernet(const Ethernet &e, const Bytes &payload);

// The TCP or UDP checksum of an IPv4 packet (pseudo-header included), as
// it should be; l4_checksum_ok() compares it with the one in the packet.
uint16_t l4_checksum(const Bytes &ip);
void set_l4_checksum(Bytes &ip);
bool l4_checksum_ok(const Bytes &ip);

std::string hex(const Bytes &b);
Bytes unhex(const std::string &s);

}  // namespace pkt
