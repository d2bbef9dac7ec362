// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// The adaptive policy's messages (site/adapt.h): their encoding, what is
// refused and why, and what a report does to the copying site's policy.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdio>
#include <string>

#include "site/adapt.h"
#include "site/config.h"

using namespace dupgre;

namespace {

AdaptReport sample_report()
{
	AdaptReport r;
	r.reporter = parse_ipaddr("198.51.100.7");
	r.stream_src = parse_ipaddr("192.0.2.30");
	r.stream_id = 0x1234;
	r.seq = 77;
	r.interval_ms = 1000;
	r.passed = 250;
	r.lost = 2;
	r.rescued_b = 23;
	r.gap_p99_us = 101000;
	return r;
}

AdaptRefusal refusal_of(const std::vector<uint8_t> &b)
{
	AdaptMessage m = decode_adapt(b.data(), b.size());
	REQUIRE(m.refused.has_value());
	CHECK(!m.hello);
	CHECK(!m.report);
	return *m.refused;
}

}  // namespace

TEST_CASE("adapt: a report and a hello come back as they were sent")
{
	AdaptReport r = sample_report();
	std::vector<uint8_t> b = encode(r);
	CHECK(b.size() == 7 + 16 + 16 + 28);
	AdaptMessage m = decode_adapt(b.data(), b.size());
	REQUIRE(m.report);
	CHECK(!m.refused);
	CHECK(m.report->reporter == r.reporter);
	CHECK(m.report->stream_src == r.stream_src);
	CHECK(m.report->stream_id == 0x1234);
	CHECK(m.report->seq == 77);
	CHECK(m.report->passed == 250);
	CHECK(m.report->lost == 2);
	CHECK(m.report->rescued_b == 23);
	CHECK(m.report->gap_p99_us == 101000);
	// Network byte order on the wire: the call ID's bytes, most significant first.
	CHECK(b[7 + 32 + 2] == 0x12);
	CHECK(b[7 + 32 + 3] == 0x34);

	AdaptHello h{{parse_ipaddr("198.51.100.7"), parse_ipaddr("2001:db8::7")}};
	b = encode(h);
	m = decode_adapt(b.data(), b.size());
	REQUIRE(m.hello);
	CHECK(m.hello->addrs == h.addrs);
}

TEST_CASE("adapt: truncated, foreign, newer and malformed messages are refused, each by its reason")
{
	std::vector<uint8_t> report = encode(sample_report());
	for (size_t n = 0; n < report.size(); n++) {
		CAPTURE(n);
		std::vector<uint8_t> cut(report.begin(), report.begin() + static_cast<long>(n));
		CHECK(refusal_of(cut) == AdaptRefusal::truncated);
	}
	std::vector<uint8_t> b = report;
	b[0] = 'X';
	CHECK(refusal_of(b) == AdaptRefusal::magic);
	b = report;
	b[4] = 2;  // a newer sender
	CHECK(refusal_of(b) == AdaptRefusal::version);
	b[4] = 0;  // an older one
	CHECK(refusal_of(b) == AdaptRefusal::version);
	b = report;
	b[5] = 9;
	CHECK(refusal_of(b) == AdaptRefusal::type);
	for (const char *bad : {"0.0.0.0", "127.0.0.1", "224.0.0.1", "169.254.1.1", "::", "::1", "fe80::1", "ff02::1"}) {
		CAPTURE(bad);
		AdaptReport r = sample_report();
		r.reporter = parse_ipaddr("198.51.100.7");
		IpAddr a{};
		// parse_ipaddr refuses these itself: write the bytes as a forger would.
		if (std::string(bad).find(':') == std::string::npos) {
			a = IpAddr::from_ipv4(Ipv4{});
			unsigned o[4];
			sscanf(bad, "%u.%u.%u.%u", &o[0], &o[1], &o[2], &o[3]);
			for (int i = 0; i < 4; i++)
				a.bytes[12 + i] = static_cast<uint8_t>(o[i]);
		} else {
			inet_pton(AF_INET6, bad, a.bytes.data());
		}
		r.stream_src = a;
		CHECK(refusal_of(encode(r)) == AdaptRefusal::bad_addresses);
	}
	std::vector<uint8_t> hello = encode(AdaptHello{{parse_ipaddr("198.51.100.7")}});
	b = hello;
	b[7] = 0;  // no address
	CHECK(refusal_of(b) == AdaptRefusal::bad_addresses);
	b[7] = 5;  // more than 4
	CHECK(refusal_of(b) == AdaptRefusal::bad_addresses);
	b[7] = 2;  // says 2, carries 1
	CHECK(refusal_of(b) == AdaptRefusal::truncated);
}

TEST_CASE("adapt: a report keeps the policy fresh; a loss on path A keeps copying for the quiet time")
{
	copy_policy v{};
	v.mode = COPY_ADAPTIVE;
	v.quiet_ms = 10000;
	const int64_t now = 50'000'000'000;
	AdaptReport clean = sample_report();
	clean.lost = clean.rescued_b = 0;
	apply_report(v, clean, now);
	CHECK(v.report_ns == static_cast<__u64>(now));
	CHECK(v.copy_until_ns == 0);
	AdaptReport rescued = clean;
	rescued.rescued_b = 1;
	apply_report(v, rescued, now);
	CHECK(v.copy_until_ns == static_cast<__u64>(now + 10'000'000'000));
	// A clean report later does not cut the quiet time short.
	apply_report(v, clean, now + 1'000'000'000);
	CHECK(v.copy_until_ns == static_cast<__u64>(now + 10'000'000'000));
	AdaptReport lost = clean;
	lost.lost = 1;
	apply_report(v, lost, now + 2'000'000'000);
	CHECK(v.copy_until_ns == static_cast<__u64>(now + 12'000'000'000));
}

TEST_CASE("adapt: a report at once after a loss, else once a second while traffic flows")
{
	AdaptReport d{};
	CHECK(!report_due(d, 5'000'000'000));  // idle: nothing to say
	d.passed = 10;
	CHECK(!report_due(d, 999'000'000));
	CHECK(report_due(d, 1'000'000'000));
	d.lost = 1;
	CHECK(report_due(d, 0));
	d.lost = 0;
	d.rescued_b = 1;
	CHECK(report_due(d, 0));
}

TEST_CASE("adapt: a WireGuard peer's hellos go to one family, IPv4 where it has one")
{
	auto allowed = [](std::initializer_list<std::pair<const char *, unsigned>> l) {
		std::vector<WgAllowedIp> v;
		// inet_pton, not parse_ipaddr: that refuses 0.0.0.0 and ::.
		for (const auto &[text, cidr] : l) {
			IpAddr a{};
			if (inet_pton(AF_INET6, text, a.bytes.data()) != 1) {
				Ipv4 v4;
				REQUIRE(inet_pton(AF_INET, text, &v4.be) == 1);
				a = IpAddr::from_ipv4(v4);
			}
			v.push_back({a, cidr});
		}
		return v;
	};
	auto strs = [](const std::vector<IpAddr> &v) {
		std::vector<std::string> s;
		for (const IpAddr &a : v)
			s.push_back(a.str());
		return s;
	};
	using S = std::vector<std::string>;
	// IPv4 as before: each host, the broadcast address for a default route,
	// and no IPv6 beside them.
	CHECK(strs(wg_hello_destinations(allowed({{"10.66.6.2", 32}, {"fd00:66::2", 128}, {"10.9.0.0", 16}}))) ==
	      S{"10.66.6.2"});
	CHECK(strs(wg_hello_destinations(allowed({{"0.0.0.0", 0}, {"::", 0}}))) == S{"255.255.255.255"});
	// IPv6 only: each /128, ff02::1 for ::/0; other prefixes reach no one host.
	CHECK(strs(wg_hello_destinations(allowed({{"fd00:66::2", 128}, {"fd00:67::", 64}, {"2001:db8::9", 128}}))) ==
	      S{"fd00:66::2", "2001:db8::9"});
	CHECK(strs(wg_hello_destinations(allowed({{"::", 0}}))) == S{"ff02::1"});
	CHECK(wg_hello_destinations(allowed({{"10.9.0.0", 16}, {"fd00:67::", 64}})).empty());
}

TEST_CASE("adapt: a datagram's source as IpAddr, IPv4 mapped whichever socket it came by")
{
	sockaddr_in sin{};
	sin.sin_family = AF_INET;
	inet_pton(AF_INET, "10.66.6.1", &sin.sin_addr);
	auto a = sockaddr_ipaddr(reinterpret_cast<sockaddr *>(&sin), sizeof(sin));
	REQUIRE(a);
	CHECK(*a == parse_ipaddr("10.66.6.1"));
	sockaddr_in6 sin6{};
	sin6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "::ffff:10.66.6.1", &sin6.sin6_addr);
	auto m = sockaddr_ipaddr(reinterpret_cast<sockaddr *>(&sin6), sizeof(sin6));
	REQUIRE(m);
	CHECK(*m == *a);  // the dual-stack socket's IPv4 is the same key
	inet_pton(AF_INET6, "fe80::1", &sin6.sin6_addr);
	sin6.sin6_scope_id = 7;  // the scope is the device's, compared on its own
	auto l = sockaddr_ipaddr(reinterpret_cast<sockaddr *>(&sin6), sizeof(sin6));
	REQUIRE(l);
	CHECK(l->str() == "fe80::1");
	CHECK(!sockaddr_ipaddr(reinterpret_cast<sockaddr *>(&sin6), sizeof(sin)));  // short
	sin6.sin6_family = AF_UNIX;
	CHECK(!sockaddr_ipaddr(reinterpret_cast<sockaddr *>(&sin6), sizeof(sin6)));
}
