// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "site/adapt.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

namespace dupgre {

namespace {

// "DGAD", the version, the type, a reserved byte; then the body.
constexpr uint8_t kMagic[4] = {'D', 'G', 'A', 'D'};
constexpr size_t kHeader = 7;
constexpr uint8_t kHello = 1, kReport = 2;
constexpr size_t kMaxHelloAddrs = 4;
constexpr size_t kReportBody = 16 + 16 + 7 * 4;

class Writer {
public:
	explicit Writer(uint8_t type) { b_ = {kMagic[0], kMagic[1], kMagic[2], kMagic[3], adapt_version, type, 0}; }
	void u8(uint8_t v) { b_.push_back(v); }
	void u32(uint32_t v)
	{
		for (int s = 24; s >= 0; s -= 8)
			b_.push_back(static_cast<uint8_t>(v >> s));
	}
	void addr(const IpAddr &a) { b_.insert(b_.end(), a.bytes.begin(), a.bytes.end()); }
	std::vector<uint8_t> done() { return std::move(b_); }

private:
	std::vector<uint8_t> b_;
};

class Reader {
public:
	Reader(const uint8_t *p, size_t n) : p_(p), n_(n) {}
	size_t left() const { return n_ - at_; }
	uint8_t u8() { return p_[at_++]; }
	uint32_t u32()
	{
		uint32_t v = 0;
		for (int i = 0; i < 4; i++)
			v = v << 8 | p_[at_++];
		return v;
	}
	IpAddr addr()
	{
		IpAddr a;
		memcpy(a.bytes.data(), p_ + at_, 16);
		at_ += 16;
		return a;
	}

private:
	const uint8_t *p_;
	size_t n_, at_ = 0;
};

// A site's public address: what the configuration takes for a peer
// (IpAddr::is_unicast), and neither IPv4 link-local (169.254/16) nor
// IPv6 with nothing but its last byte (::, ::1, ::N), which no site has.
bool plausible(const IpAddr &a)
{
	if (!a.is_unicast())
		return false;
	if (a.is_ipv4())
		return !(a.bytes[12] == 169 && a.bytes[13] == 254);
	return !std::all_of(a.bytes.begin(), a.bytes.end() - 1, [](uint8_t b) { return b == 0; });
}

}  // namespace

const char *refusal_name(AdaptRefusal r)
{
	switch (r) {
	case AdaptRefusal::truncated:
		return "truncated";
	case AdaptRefusal::magic:
		return "not_dupgre";
	case AdaptRefusal::version:
		return "version";
	case AdaptRefusal::type:
		return "type";
	case AdaptRefusal::bad_addresses:
		return "bad_addresses";
	case AdaptRefusal::wrong_device:
		return "wrong_device";
	case AdaptRefusal::wrong_source:
		return "wrong_source";
	default:
		return "unknown_peer";
	}
}

std::vector<uint8_t> encode(const AdaptHello &h)
{
	Writer w(kHello);
	size_t n = std::min(h.addrs.size(), kMaxHelloAddrs);
	w.u8(static_cast<uint8_t>(n));
	for (size_t i = 0; i < n; i++)
		w.addr(h.addrs[i]);
	return w.done();
}

std::vector<uint8_t> encode(const AdaptReport &r)
{
	Writer w(kReport);
	w.addr(r.reporter);
	w.addr(r.stream_src);
	for (uint32_t v : {r.stream_id, r.seq, r.interval_ms, r.passed, r.lost, r.rescued_b, r.gap_p99_us})
		w.u32(v);
	return w.done();
}

AdaptMessage decode_adapt(const uint8_t *data, size_t len)
{
	AdaptMessage m;
	auto refuse = [&m](AdaptRefusal r) {
		m.refused = r;
		return m;
	};
	if (len < kHeader)
		return refuse(AdaptRefusal::truncated);
	if (memcmp(data, kMagic, sizeof(kMagic)) != 0)
		return refuse(AdaptRefusal::magic);
	// Another version's layout is not guessed at: a newer sender is refused
	// here, and counted, until this end is upgraded too.
	if (data[4] != adapt_version)
		return refuse(AdaptRefusal::version);
	Reader in(data + kHeader, len - kHeader);
	switch (data[5]) {
	case kHello: {
		if (in.left() < 1)
			return refuse(AdaptRefusal::truncated);
		size_t n = in.u8();
		if (n == 0 || n > kMaxHelloAddrs)
			return refuse(AdaptRefusal::bad_addresses);
		if (in.left() < 16 * n)
			return refuse(AdaptRefusal::truncated);
		AdaptHello h;
		for (size_t i = 0; i < n; i++) {
			h.addrs.push_back(in.addr());
			if (!plausible(h.addrs.back()))
				return refuse(AdaptRefusal::bad_addresses);
		}
		m.hello = h;
		return m;
	}
	case kReport: {
		if (in.left() < kReportBody)
			return refuse(AdaptRefusal::truncated);
		AdaptReport r;
		r.reporter = in.addr();
		r.stream_src = in.addr();
		if (!plausible(r.reporter) || !plausible(r.stream_src))
			return refuse(AdaptRefusal::bad_addresses);
		r.stream_id = in.u32();
		r.seq = in.u32();
		r.interval_ms = in.u32();
		r.passed = in.u32();
		r.lost = in.u32();
		r.rescued_b = in.u32();
		r.gap_p99_us = in.u32();
		m.report = r;
		return m;
	}
	default:
		return refuse(AdaptRefusal::type);
	}
}

void apply_report(copy_policy &v, const AdaptReport &r, int64_t now_ns)
{
	v.report_ns = static_cast<__u64>(now_ns);
	if (r.lost || r.rescued_b) {
		__u64 until = static_cast<__u64>(now_ns) + static_cast<__u64>(v.quiet_ms) * 1000000;
		if (until > v.copy_until_ns)
			v.copy_until_ns = until;
	}
}

bool report_due(const AdaptReport &delta, int64_t since_last_ns)
{
	if (delta.lost || delta.rescued_b)
		return true;
	return delta.passed && since_last_ns >= 1000000000;
}

std::vector<IpAddr> wg_hello_destinations(const std::vector<WgAllowedIp> &allowed)
{
	std::vector<IpAddr> v4, v6;
	for (const WgAllowedIp &a : allowed) {
		if (a.addr.is_ipv4()) {
			if (a.cidr == 32)
				v4.push_back(a.addr);
			else if (a.cidr == 0)
				v4.push_back(IpAddr::from_ipv4(Ipv4{INADDR_BROADCAST}));
		} else if (a.cidr == 128) {
			v6.push_back(a.addr);
		} else if (a.cidr == 0) {
			IpAddr all_nodes{};
			all_nodes.bytes[0] = 0xff;
			all_nodes.bytes[1] = 0x02;
			all_nodes.bytes[15] = 1;
			v6.push_back(all_nodes);
		}
	}
	return v4.empty() ? v6 : v4;
}

std::optional<IpAddr> sockaddr_ipaddr(const struct sockaddr *sa, size_t len)
{
	if (sa->sa_family == AF_INET && len >= sizeof(sockaddr_in))
		return IpAddr::from_ipv4(Ipv4{reinterpret_cast<const sockaddr_in *>(sa)->sin_addr.s_addr});
	if (sa->sa_family == AF_INET6 && len >= sizeof(sockaddr_in6)) {
		IpAddr a;
		memcpy(a.bytes.data(), &reinterpret_cast<const sockaddr_in6 *>(sa)->sin6_addr, 16);
		return a;
	}
	return std::nullopt;
}

}  // namespace dupgre
