// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// Wire format of PPTP data packets (RFC 2637 section 4.1, "enhanced GRE",
// version 1) and of the test header that pptpgen puts in each data frame.
//
//   GRE:  flags+version (0x3001: K,S / 0x3081: K,S,A)  protocol 0x880B
//         payload length  call ID  sequence number  [acknowledgement number]
//   PPP:  data     FD | test header | filler         (MPPE-like, ACFC+PFC)
//                  FF 03 00 FD | test header | filler (uncompressed header)
//         LCP echo FF 03 C0 21 | 09 id 00 08 | magic (4)
//   test header (big-endian): magic "DUPT" (4), GRE sequence (4), send time (8,
//         CLOCK_MONOTONIC ns)
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace dupgre::tools {

constexpr uint16_t kGreFlagsSeq = 0x3001;    // K, S, version 1
constexpr uint16_t kGreFlagsSeqAck = 0x3081; // K, S, A, version 1
constexpr uint16_t kGreProtoPpp = 0x880B;
constexpr uint32_t kTestMagic = 0x44555054;  // "DUPT"
constexpr size_t kTestHeaderLen = 16;
constexpr size_t kLcpEchoLen = 12;           // FF 03 C0 21 + 8-byte LCP packet
// The smallest data frame: the longer PPP header plus the test header.
constexpr size_t kMinDataFrame = 4 + kTestHeaderLen;

enum class FrameKind {
	data_compressed, // FD ...
	data_full,       // FF 03 00 FD ...
	lcp_echo_request,
};

struct GreFields {
	uint16_t call_id = 0;
	uint32_t seq = 0;
	std::optional<uint32_t> ack;
};

// Writes a GRE header for a frame of ppp_len bytes; returns its length
// (12, or 16 with an ack). buf must hold 16 bytes.
size_t write_gre_header(uint8_t *buf, const GreFields &gre, uint16_t ppp_len);

// Writes a PPP frame of `kind` into buf and returns its length: `size`
// bytes for data frames (size >= kMinDataFrame), kLcpEchoLen for LCP.
// `seq` and `sent_ns` go into the test header of data frames; `lcp_id`
// and `lcp_magic` into LCP echo requests.
size_t write_ppp_frame(uint8_t *buf, FrameKind kind, size_t size, uint32_t seq,
		       int64_t sent_ns, uint8_t lcp_id, uint32_t lcp_magic);

// A received GRE packet (IP header already removed).
struct ParsedGre {
	GreFields fields;
	bool has_seq = false;      // S flag: carries a payload
	const uint8_t *ppp = nullptr;
	size_t ppp_len = 0;
};

// Accepts what pptp-linux's decaps_gre accepts: version 1, protocol 0x880B,
// K set, C, R, recursion and routing clear, and a payload no shorter than
// its length field says. nullopt for anything else.
std::optional<ParsedGre> parse_gre(const uint8_t *p, size_t len);

enum class PppKind { data, lcp_echo_request, lcp_echo_reply, other };

struct ParsedPpp {
	PppKind kind = PppKind::other;
	// The test header of a data frame, if the frame carries one.
	bool has_test = false;
	uint32_t test_seq = 0;
	int64_t sent_ns = 0;
};

ParsedPpp parse_ppp(const uint8_t *p, size_t len);

} // namespace dupgre::tools
