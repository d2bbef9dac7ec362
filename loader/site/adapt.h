// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// The adaptive copy policy's feedback (docs/design.md, "Copies only when
// they pay"): the site that receives a peer's copies tells it, through
// their tunnel, what path A lost; the copying site copies while it does.
//
// Two messages, version 1, on UDP port adapt_port, network byte order:
//
//   hello   sent every second into each tunnel device: "I am the site
//           with these public addresses", so that each end learns which
//           tunnel address reaches which peer (no configuration: a PPTP
//           primary's clients, a WireGuard server's peers);
//   report  per stream the receiving site eliminates, at once when the
//           stream shows a loss on path A, and once a second while it
//           carries traffic: what eliminate counted since the last one.
//
// Both are accepted only from a tunnel device (point-to-point or
// WireGuard, never the WAN or a dual link) and, on a point-to-point
// device, only from its peer address; the VPN authenticates the rest.
// Anything else is refused and counted by reason.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/addr.h"
#include "core/wgpeers.h"
#include "dupgre/copy.h"

struct sockaddr;

namespace dupgre {

inline constexpr uint16_t adapt_port = 5445;
inline constexpr uint8_t adapt_version = 1;

struct AdaptHello {
	std::vector<IpAddr> addrs;  // the sender's public addresses (at most 4)
};

struct AdaptReport {
	IpAddr reporter;          // the receiving site (a public address of its hello)
	IpAddr stream_src;        // the stream's source: the copying site's public address
	uint32_t stream_id = 0;   // PPTP call ID or WireGuard receiver index
	uint32_t seq = 0;         // the reporter's count of reports
	uint32_t interval_ms = 0; // since the stream's last report
	uint32_t passed = 0;      // since the last report: packets the stream delivered
	uint32_t lost = 0;        //   numbers no path delivered
	uint32_t rescued_b = 0;   //   numbers only a copy delivered (path A lost them)
	uint32_t gap_p99_us = 0;  // path B's copy gap, 99th percentile (0: none measured)
};

// Why a message was refused (counted by the daemon under these names).
enum class AdaptRefusal { truncated, magic, version, type, bad_addresses, wrong_device, wrong_source, unknown_peer };
const char *refusal_name(AdaptRefusal r);

std::vector<uint8_t> encode(const AdaptHello &h);
std::vector<uint8_t> encode(const AdaptReport &r);

// One received message, or why it is refused (its encoding only; where it
// came from is the daemon's to check).
struct AdaptMessage {
	std::optional<AdaptHello> hello;
	std::optional<AdaptReport> report;
	std::optional<AdaptRefusal> refused;
};
AdaptMessage decode_adapt(const uint8_t *data, size_t len);

// What a report does to the copying site's policy for its reporter: the
// report is fresh (report_ns = now), and path A losing (a number lost, or
// one only path B delivered) keeps copying for quiet_ms from now. Pure.
void apply_report(copy_policy &v, const AdaptReport &r, int64_t now_ns);

// Where hellos for one WireGuard peer go, from its AllowedIPs: each IPv4
// host (/32) and the broadcast address for 0.0.0.0/0; only for a peer with
// neither, each IPv6 host (/128) and the all-nodes group ff02::1 for ::/0
// (WireGuard hands a packet to the peer whose AllowedIPs hold its
// destination, a multicast one too). One family per peer, IPv4 first, as
// for a point-to-point device's peer: a report is accepted only from the
// tunnel address its reporter's hellos came from, and goes out in the
// family of the address it is sent to, so hellos in both families would
// have the two ends learn different ones. Pure.
std::vector<IpAddr> wg_hello_destinations(const std::vector<WgAllowedIp> &allowed);

// A datagram's source as the daemon's socket gives it: sockaddr_in, or
// sockaddr_in6 (IPv4 ones arrive mapped, ::ffff:a.b.c.d, which is how
// IpAddr holds them). A link-local address's scope is dropped: the device
// is compared on its own. nullopt for another family or a short length.
std::optional<IpAddr> sockaddr_ipaddr(const struct sockaddr *sa, size_t len);

// Whether a stream's counts since its last report call for one now: a loss
// at once; otherwise once a second while it carries traffic.
bool report_due(const AdaptReport &delta, int64_t since_last_ns);

}  // namespace dupgre
