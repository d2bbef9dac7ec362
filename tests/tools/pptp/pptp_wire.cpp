// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "pptp_wire.hpp"

#include <cstring>

namespace dupgre::tools {
namespace {

void put16(uint8_t *p, uint16_t v)
{
	p[0] = uint8_t(v >> 8);
	p[1] = uint8_t(v);
}

void put32(uint8_t *p, uint32_t v)
{
	put16(p, uint16_t(v >> 16));
	put16(p + 2, uint16_t(v));
}

uint16_t get16(const uint8_t *p)
{
	return uint16_t(p[0] << 8 | p[1]);
}

uint32_t get32(const uint8_t *p)
{
	return uint32_t(get16(p)) << 16 | get16(p + 2);
}

size_t write_test_header(uint8_t *p, uint32_t seq, int64_t sent_ns)
{
	put32(p, kTestMagic);
	put32(p + 4, seq);
	put32(p + 8, uint32_t(uint64_t(sent_ns) >> 32));
	put32(p + 12, uint32_t(sent_ns));
	return kTestHeaderLen;
}

} // namespace

size_t write_gre_header(uint8_t *buf, const GreFields &gre, uint16_t ppp_len)
{
	put16(buf, gre.ack ? kGreFlagsSeqAck : kGreFlagsSeq);
	put16(buf + 2, kGreProtoPpp);
	put16(buf + 4, ppp_len);
	put16(buf + 6, gre.call_id);
	put32(buf + 8, gre.seq);
	if (!gre.ack)
		return 12;
	put32(buf + 12, *gre.ack);
	return 16;
}

size_t write_ppp_frame(uint8_t *buf, FrameKind kind, size_t size, uint32_t seq,
		       int64_t sent_ns, uint8_t lcp_id, uint32_t lcp_magic)
{
	static const uint8_t full_header[] = {0xFF, 0x03, 0x00, 0xFD};
	static const uint8_t lcp_echo[] = {0xFF, 0x03, 0xC0, 0x21, 0x09};
	size_t off = 0;
	switch (kind) {
	case FrameKind::lcp_echo_request:
		std::memcpy(buf, lcp_echo, sizeof(lcp_echo));
		buf[5] = lcp_id;
		put16(buf + 6, 8); // LCP length: code, id, length, magic
		put32(buf + 8, lcp_magic);
		return kLcpEchoLen;
	case FrameKind::data_full:
		std::memcpy(buf, full_header, sizeof(full_header));
		off = sizeof(full_header);
		break;
	case FrameKind::data_compressed:
		buf[0] = 0xFD;
		off = 1;
		break;
	}
	off += write_test_header(buf + off, seq, sent_ns);
	// A recognisable, non-zero filler.
	for (uint8_t v = 0; off < size; off++, v++)
		buf[off] = v;
	return off;
}

std::optional<ParsedGre> parse_gre(const uint8_t *p, size_t len)
{
	if (len < 8)
		return std::nullopt;
	uint8_t flags = p[0], ver = p[1];
	bool c = flags & 0x80, r = flags & 0x40, k = flags & 0x20, s = flags & 0x10;
	bool a = ver & 0x80;
	if ((ver & 0x7F) != 1 || get16(p + 2) != kGreProtoPpp || c || r || !k ||
	    (flags & 0x0F) != 0)
		return std::nullopt;

	ParsedGre out;
	out.fields.call_id = get16(p + 6);
	out.has_seq = s;
	size_t off = 8;
	if (s) {
		if (len < off + 4)
			return std::nullopt;
		out.fields.seq = get32(p + off);
		off += 4;
	}
	if (a) {
		if (len < off + 4)
			return std::nullopt;
		out.fields.ack = get32(p + off);
		off += 4;
	}
	size_t payload_len = get16(p + 4);
	if (s && len - off < payload_len)
		return std::nullopt; // truncated
	out.ppp = p + off;
	out.ppp_len = s ? payload_len : 0;
	return out;
}

ParsedPpp parse_ppp(const uint8_t *p, size_t len)
{
	ParsedPpp out;
	// Address and control (FF 03) may be compressed away (ACFC).
	if (len >= 2 && p[0] == 0xFF && p[1] == 0x03) {
		p += 2;
		len -= 2;
	}
	// The protocol field is one byte when compressed (PFC, odd value).
	uint16_t proto;
	if (len >= 1 && (p[0] & 1)) {
		proto = p[0];
		p += 1;
		len -= 1;
	} else if (len >= 2) {
		proto = get16(p);
		p += 2;
		len -= 2;
	} else {
		return out;
	}

	if (proto == 0xC021 && len >= 1) {
		if (p[0] == 0x09)
			out.kind = PppKind::lcp_echo_request;
		else if (p[0] == 0x0A)
			out.kind = PppKind::lcp_echo_reply;
		return out;
	}
	if (proto != 0xFD)
		return out;
	out.kind = PppKind::data;
	if (len >= kTestHeaderLen && get32(p) == kTestMagic) {
		out.has_test = true;
		out.test_seq = get32(p + 4);
		out.sent_ns = int64_t(uint64_t(get32(p + 8)) << 32 | get32(p + 12));
	}
	return out;
}

} // namespace dupgre::tools
