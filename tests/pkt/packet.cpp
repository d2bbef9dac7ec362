// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "packet.h"

#include <arpa/inet.h>

#include <stdexcept>

#include "dupgre/pptp_gre.h"

namespace pkt {

Bytes operator+(Bytes a, const Bytes &b)
{
	a.insert(a.end(), b.begin(), b.end());
	return a;
}

void put16(Bytes &b, size_t off, uint16_t v)
{
	b.at(off) = v >> 8;
	b.at(off + 1) = v & 0xff;
}

void put32(Bytes &b, size_t off, uint32_t v)
{
	put16(b, off, v >> 16);
	put16(b, off + 2, v & 0xffff);
}

uint32_t addr(const char *dotted)
{
	struct in_addr a;
	if (inet_pton(AF_INET, dotted, &a) != 1)
		throw std::invalid_argument(dotted);
	return ntohl(a.s_addr);
}

uint16_t ipv4_checksum(const Bytes &p, size_t off)
{
	size_t hlen = (p.at(off) & 0x0f) * 4;
	uint32_t sum = 0;
	for (size_t i = 0; i < hlen; i += 2)
		if (i != 10)
			sum += (p.at(off + i) << 8) | p.at(off + i + 1);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

Bytes ipv4(const Ipv4 &ip, const Bytes &payload)
{
	size_t hlen = ipv4_header_len(ip);
	if (hlen % 4 || hlen > 60)
		throw std::invalid_argument("IPv4 options must be padded to 4 bytes, at most 40");
	Bytes p(hlen);
	p[0] = 0x40 | (hlen / 4);
	put16(p, 2, hlen + payload.size());
	put16(p, 4, ip.id);
	put16(p, 6, ip.frag_off);
	p[8] = ip.ttl;
	p[9] = ip.protocol;
	put32(p, 12, ip.saddr);
	put32(p, 16, ip.daddr);
	std::copy(ip.options.begin(), ip.options.end(), p.begin() + 20);
	put16(p, 10, ipv4_checksum(p));
	return p + payload;
}

size_t gre_header_len(uint32_t word0)
{
	return pptp_gre_header_len(word0);
}

Bytes gre(const Gre &g, const Bytes &ppp)
{
	Bytes h(8);
	put32(h, 0, g.word0);
	put16(h, 4, g.payload_len.value_or(ppp.size()));
	put16(h, 6, g.call_id);
	if (g.word0 & PPTP_GRE_F_SEQ) {
		h.resize(h.size() + 4);
		put32(h, h.size() - 4, g.seq);
	}
	if (g.word0 & PPTP_GRE_F_ACK) {
		h.resize(h.size() + 4);
		put32(h, h.size() - 4, g.ack);
	}
	return h + ppp;
}

static Bytes filler(size_t n, uint8_t seed)
{
	Bytes b(n);
	for (size_t i = 0; i < n; i++)
		b[i] = static_cast<uint8_t>(seed + i * 7);
	return b;
}

Bytes ppp_mppe(size_t len)
{
	Bytes b = filler(len, 0x11);
	b.at(0) = 0xfd;
	return b;
}

Bytes ppp_mppe_full_header(size_t len)
{
	Bytes b = filler(len, 0x22);
	b.at(0) = 0xff;
	b.at(1) = 0x03;
	b.at(2) = 0x00;
	b.at(3) = 0xfd;
	return b;
}

Bytes ppp_lcp_echo(uint8_t code, bool full_header)
{
	// LCP: code, identifier, length 8, magic number.
	Bytes lcp = {0xc0, 0x21, code, 0x01, 0x00, 0x08, 0x12, 0x34, 0x56, 0x78};
	return full_header ? Bytes{0xff, 0x03} + lcp : lcp;
}

Bytes tcp(const Tcp &t, const Bytes &payload)
{
	Bytes h(20);
	put16(h, 0, t.sport);
	put16(h, 2, t.dport);
	put32(h, 4, 1000);  // sequence
	put32(h, 8, 2000);  // acknowledgement
	h[12] = t.doff << 4;
	h[13] = 0x18;       // PSH, ACK
	put16(h, 14, 512);  // window
	return h + t.options + payload;
}

Bytes pptp_control(uint16_t ctrl_type, uint16_t msg_type, size_t len)
{
	Bytes b(len);
	put16(b, 0, len);
	put16(b, 2, msg_type);
	put32(b, 4, 0x1a2b3c4d);  // magic cookie (never checked by the rules)
	put16(b, 8, ctrl_type);
	if (len >= 16)
		put32(b, 12, 0xcafe);  // identifier
	return b;
}

Bytes ipv6(const Ipv6 &ip, const Bytes &payload)
{
	Bytes p(40);
	p[0] = 0x60;
	put16(p, 4, payload.size());
	p[6] = ip.nexthdr;
	p[7] = ip.hop_limit;
	if (inet_pton(AF_INET6, ip.saddr.c_str(), &p[8]) != 1 || inet_pton(AF_INET6, ip.daddr.c_str(), &p[24]) != 1)
		throw std::invalid_argument("bad IPv6 address");
	return p + payload;
}

Bytes ipv6_ext(uint8_t next, uint8_t len_units)
{
	Bytes h((len_units + 1) * 8, 0);
	h[0] = next;
	h[1] = len_units;
	h[2] = 1;  // PadN over the rest
	h[3] = static_cast<uint8_t>(h.size() - 4);
	return h;
}

Bytes ipv6_frag(uint8_t next, uint16_t offset_units, bool more, uint32_t id)
{
	Bytes h(8, 0);
	h[0] = next;
	put16(h, 2, static_cast<uint16_t>(offset_units << 3 | (more ? 1 : 0)));
	put32(h, 4, id);
	return h;
}

Bytes udp(const Udp &u, const Bytes &payload)
{
	Bytes h(8, 0);
	put16(h, 0, u.sport);
	put16(h, 2, u.dport);
	put16(h, 4, u.len.value_or(8 + payload.size()));
	return h + payload;
}

Bytes wg_message(uint8_t type, size_t len, uint32_t receiver, uint64_t counter)
{
	Bytes b = filler(len, 0x21);
	auto le = [&](size_t off, uint64_t v, int n) {
		for (int i = 0; i < n && off + i < b.size(); i++)
			b[off + i] = static_cast<uint8_t>(v >> (8 * i));
	};
	le(0, type, 4);
	// Data: the receiver index; handshake messages: the sender index.
	if (type == 1 || type == 2 || type == 4)
		le(4, receiver, 4);
	if (type == 4)
		le(8, counter, 8);
	return b;
}

Bytes ethernet(const Ethernet &e, const Bytes &payload)
{
	Bytes h = {0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01};
	for (uint16_t tpid : e.vlan_tpids) {
		h.resize(h.size() + 4);
		put16(h, h.size() - 4, tpid);
		put16(h, h.size() - 2, 42);  // TCI: VLAN 42
	}
	h.resize(h.size() + 2);
	put16(h, h.size() - 2, e.ethertype);
	return h + payload;
}

static size_t l4_csum_field(const Bytes &ip)
{
	return ip.at(9) == 6 ? 16 : ip.at(9) == 17 ? 6 : 0;
}

uint16_t l4_checksum(const Bytes &ip)
{
	size_t hlen = (ip.at(0) & 0x0f) * 4, field = l4_csum_field(ip);
	uint32_t sum = ip.at(9) + (ip.size() - hlen);  // protocol, L4 length
	for (size_t i = 12; i < 20; i += 2)              // addresses
		sum += (ip[i] << 8) | ip[i + 1];
	for (size_t i = hlen; i < ip.size(); i += 2) {
		if (i == hlen + field)
			continue;
		sum += (ip[i] << 8) | (i + 1 < ip.size() ? ip[i + 1] : 0);
	}
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	uint16_t c = ~sum & 0xffff;
	return ip.at(9) == 17 && c == 0 ? 0xffff : c;
}

void set_l4_checksum(Bytes &ip)
{
	put16(ip, (ip.at(0) & 0x0f) * 4 + l4_csum_field(ip), l4_checksum(ip));
}

bool l4_checksum_ok(const Bytes &ip)
{
	size_t off = (ip.at(0) & 0x0f) * 4 + l4_csum_field(ip);
	return ((ip.at(off) << 8) | ip.at(off + 1)) == l4_checksum(ip);
}

std::string hex(const Bytes &b)
{
	static const char digits[] = "0123456789abcdef";
	std::string s;
	for (uint8_t c : b) {
		s += digits[c >> 4];
		s += digits[c & 15];
	}
	return s;
}

Bytes unhex(const std::string &s)
{
	if (s.size() % 2)
		throw std::invalid_argument("odd-length hex");
	Bytes b(s.size() / 2);
	for (size_t i = 0; i < b.size(); i++)
		b[i] = std::stoi(s.substr(2 * i, 2), nullptr, 16);
	return b;
}

}  // namespace pkt
