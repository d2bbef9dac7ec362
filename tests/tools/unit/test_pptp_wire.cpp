// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// PPTP GRE and PPP framing: exact bytes on the wire and the parser's
// acceptance rules.
#include <doctest/doctest.h>

#include <vector>

#include "pptp_wire.hpp"

using namespace dupgre::tools;

namespace {

std::vector<uint8_t> build(FrameKind kind, size_t size, uint32_t seq,
			   std::optional<uint32_t> ack, int64_t sent_ns = 0x0102030405060708)
{
	std::vector<uint8_t> buf(16 + size + kLcpEchoLen);
	size_t ppp_len = write_ppp_frame(buf.data() + 16, kind, size, seq, sent_ns, 7, 0xA1B2C3D4);
	GreFields gre{0x1234, seq, ack};
	size_t hdr = write_gre_header(buf.data(), gre, uint16_t(ppp_len));
	std::vector<uint8_t> out(buf.begin(), buf.begin() + long(hdr));
	out.insert(out.end(), buf.begin() + 16, buf.begin() + 16 + long(ppp_len));
	return out;
}

} // namespace

TEST_CASE("GRE header bytes: K,S and K,S,A")
{
	std::vector<uint8_t> p = build(FrameKind::data_compressed, 40, 0xDEADBEEF, std::nullopt);
	REQUIRE(p.size() == 12 + 40);
	CHECK(std::vector<uint8_t>(p.begin(), p.begin() + 13) ==
	      std::vector<uint8_t>{0x30, 0x01, 0x88, 0x0B, 0x00, 40, 0x12, 0x34,
				   0xDE, 0xAD, 0xBE, 0xEF, 0xFD});

	p = build(FrameKind::data_full, 40, 5, 0x01020304u);
	REQUIRE(p.size() == 16 + 40);
	CHECK(std::vector<uint8_t>(p.begin(), p.begin() + 20) ==
	      std::vector<uint8_t>{0x30, 0x81, 0x88, 0x0B, 0x00, 40, 0x12, 0x34, 0, 0, 0, 5,
				   0x01, 0x02, 0x03, 0x04, 0xFF, 0x03, 0x00, 0xFD});
}

TEST_CASE("LCP Echo-Request bytes")
{
	std::vector<uint8_t> p = build(FrameKind::lcp_echo_request, 200, 9, std::nullopt);
	REQUIRE(p.size() == 12 + kLcpEchoLen);
	CHECK(p[5] == kLcpEchoLen); // GRE payload length
	CHECK(std::vector<uint8_t>(p.begin() + 12, p.end()) ==
	      std::vector<uint8_t>{0xFF, 0x03, 0xC0, 0x21, 0x09, 7, 0x00, 0x08, 0xA1, 0xB2,
				   0xC3, 0xD4});
}

TEST_CASE("parse what was built")
{
	for (FrameKind kind : {FrameKind::data_compressed, FrameKind::data_full}) {
		std::vector<uint8_t> p = build(kind, 100, 4294967290u, 77u, 123456789012345);
		std::optional<ParsedGre> gre = parse_gre(p.data(), p.size());
		REQUIRE(gre);
		CHECK(gre->has_seq);
		CHECK(gre->fields.call_id == 0x1234);
		CHECK(gre->fields.seq == 4294967290u);
		CHECK(gre->fields.ack == 77u);
		CHECK(gre->ppp_len == 100);
		ParsedPpp ppp = parse_ppp(gre->ppp, gre->ppp_len);
		CHECK(ppp.kind == PppKind::data);
		CHECK(ppp.has_test);
		CHECK(ppp.test_seq == 4294967290u);
		CHECK(ppp.sent_ns == 123456789012345);
	}
	std::vector<uint8_t> lcp = build(FrameKind::lcp_echo_request, 100, 1, std::nullopt);
	std::optional<ParsedGre> gre = parse_gre(lcp.data(), lcp.size());
	REQUIRE(gre);
	CHECK(parse_ppp(gre->ppp, gre->ppp_len).kind == PppKind::lcp_echo_request);
}

TEST_CASE("parse_gre rejects what pptp-linux rejects")
{
	std::vector<uint8_t> good = build(FrameKind::data_compressed, 40, 1, std::nullopt);
	REQUIRE(parse_gre(good.data(), good.size()));

	auto broken = [&](size_t at, uint8_t value) {
		std::vector<uint8_t> p = good;
		p[at] = value;
		return !parse_gre(p.data(), p.size());
	};
	CHECK(broken(1, 0x00)); // version 0 (RFC 2784 GRE)
	CHECK(broken(2, 0x08)); // protocol 0x080B
	CHECK(broken(0, 0x10)); // K clear
	CHECK(broken(0, 0xB0)); // C set
	CHECK(broken(0, 0x31)); // recursion control
	CHECK(!parse_gre(good.data(), good.size() - 1)); // truncated payload
	CHECK(!parse_gre(good.data(), 6));
}

TEST_CASE("an ack-only packet has no sequence number and no payload")
{
	const uint8_t ack_only[] = {0x20, 0x81, 0x88, 0x0B, 0, 0, 0x12, 0x34, 0, 0, 0, 9};
	std::optional<ParsedGre> gre = parse_gre(ack_only, sizeof(ack_only));
	REQUIRE(gre);
	CHECK(!gre->has_seq);
	CHECK(gre->fields.ack == 9u);
	CHECK(gre->ppp_len == 0);
}
