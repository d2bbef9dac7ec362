// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// The clone program's WireGuard profile: each message type to and from the
// server's port, IPv4 and IPv6, near misses of every decisive field
// (type, reserved bytes, sizes, ports, addresses, UDP length), truncation
// at every byte, IPv6 extension headers, fragments, VLAN tags, L3 devices.
// Expectations come from WireGuard's wire format (messages.h, receive.c),
// never from the program.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "clone_prog.h"

using namespace pkt;

namespace {

constexpr uint16_t kPort = 51820;

struct Msg {
	const char *name;
	uint8_t type;
	size_t len;
	Outcome outcome;
};
const Msg msgs[] = {
	{"initiation", 1, 148, CLONE_MATCH_WG_INITIATION},
	{"response", 2, 92, CLONE_MATCH_WG_RESPONSE},
	{"cookie", 3, 64, CLONE_MATCH_WG_COOKIE},
	{"data, empty", 4, 32, CLONE_MATCH_WG_DATA},
	{"data", 4, 1200, CLONE_MATCH_WG_DATA},
};

// A packet to a peer: the client's way (to the server's port) or the
// server's (from its port to the client's, whatever its NAT chose).
struct Form {
	std::string name;
	bool v6;
	Bytes ext;        // IPv6 extension headers before UDP
	uint8_t first;    // IPv6 next header of the fixed header
	Bytes l4;         // UDP and the message
	Outcome outcome;
	Bytes packet() const
	{
		if (!v6) {
			Ipv4 ip;
			ip.protocol = 17;
			return ipv4(ip, l4);
		}
		Ipv6 ip;
		ip.nexthdr = first;
		return ipv6(ip, ext + l4);
	}
	size_t l3_len() const { return v6 ? 40 : 20; }
	size_t l4_off() const { return l3_len() + ext.size(); }
};

Bytes wg_udp(uint8_t type, size_t len, bool to_server = true, uint16_t port = kPort)
{
	Udp u;
	if (to_server) {
		u.sport = 40000;
		u.dport = port;
	} else {
		u.sport = port;
		u.dport = 40000;
	}
	return udp(u, wg_message(type, len));
}

std::vector<Form> forms(bool with_ext = false)
{
	std::vector<Form> out;
	for (bool v6 : {false, true})
		for (bool to_server : {true, false})
			for (const Msg &m : msgs) {
				std::string name = std::string(v6 ? "IPv6 " : "IPv4 ") + (to_server ? "to " : "from ") +
						   "port, " + m.name;
				Form f{name, v6, {}, 17, wg_udp(m.type, m.len, to_server), m.outcome};
				if (v6 && with_ext) {
					// hop-by-hop, destination options, routing, destination options
					f.first = 0;
					f.ext = ipv6_ext(60) + ipv6_ext(43, 2) + ipv6_ext(60, 1) + ipv6_ext(17);
					f.name += " behind 4 extension headers";
				}
				if (!v6 && with_ext)
					continue;
				out.push_back(f);
			}
	return out;
}

Bytes eth(const Bytes &ip)
{
	return ethernet({{}, static_cast<uint16_t>((ip[0] >> 4) == 6 ? 0x86dd : 0x0800)}, ip);
}

// The packet with its IP length field saying len bytes in all (IPv6: the
// payload length, len - 40).
Bytes with_ip_len(Bytes ip, size_t len)
{
	if ((ip[0] >> 4) == 6)
		put16(ip, 4, len - 40);
	else
		put16(ip, 2, len);
	return ip;
}

// What a packet cut to len bytes is: the IP header short is malformed
// (IPv6's length field cannot say less than its header), an extension
// header cut short too; then no whole UDP header: no match; then a UDP
// length past the end: malformed, as WireGuard's receiver drops it.
Outcome expected_when_truncated(const Form &f, size_t len, bool by_length_field)
{
	if (len < f.l3_len())
		return CLONE_MALFORMED;
	if (f.v6 && by_length_field && len == 40)
		return CLONE_MALFORMED;  // payload length 0: a jumbogram's
	if (len < f.l4_off())
		return CLONE_MALFORMED;
	if (len < f.l4_off() + 8)
		return CLONE_NO_MATCH;
	return len == f.packet().size() ? f.outcome : CLONE_MALFORMED;
}

}  // namespace

TEST_CASE("WireGuard: every message type to and from the server's port is cloned, byte for byte")
{
	CloneProg prog = CloneProg::wireguard(false);
	for (bool ext : {false, true})
		for (const Form &f : forms(ext)) {
			CAPTURE(f.name);
			CHECK(prog.decide(eth(f.packet())) == f.outcome);
			auto clones = prog.clones();
			REQUIRE(clones.size() == 1);
			CHECK_MESSAGE(clones[0] == f.packet(), "clone differs from the IP packet");
		}
}

TEST_CASE("WireGuard: near misses in the type and its reserved bytes are not cloned")
{
	CloneProg prog = CloneProg::wireguard(false);
	for (bool v6 : {false, true})
		for (const Msg &m : msgs) {
			Form f = forms()[0];
			f.v6 = v6;
			f.l4 = wg_udp(m.type, m.len);
			size_t type_off = f.l4_off() + 8;
			for (int t = 0; t < 256; t++) {
				if (t == m.type)
					continue;
				Bytes ip = f.packet();
				ip[type_off] = t;
				// A valid type with this size is another form: covered above.
				bool other = (t == 4 && m.len >= 32) || (t == 1 && m.len == 148) ||
					     (t == 2 && m.len == 92) || (t == 3 && m.len == 64);
				CAPTURE(m.name);
				CAPTURE(t);
				CHECK(prog.decide(eth(ip)) == (other ? CLONE_MATCH_WG_DATA : CLONE_NO_MATCH));
			}
			for (int byte = 1; byte < 4; byte++)
				for (int bit = 0; bit < 8; bit++) {
					Bytes ip = f.packet();
					ip[type_off + byte] ^= 1 << bit;
					CAPTURE(m.name);
					CAPTURE(byte);
					CHECK(prog.decide(eth(ip)) == CLONE_NO_MATCH);
				}
		}
	prog.clones();
}

TEST_CASE("WireGuard: handshake sizes are exact, data needs 32 bytes")
{
	CloneProg prog = CloneProg::wireguard(false);
	for (bool v6 : {false, true}) {
		Form f = forms()[0];
		f.v6 = v6;
		struct Size {
			uint8_t type;
			size_t len;
			Outcome outcome;
		};
		for (Size s : {Size{1, 147, CLONE_NO_MATCH}, {1, 149, CLONE_NO_MATCH}, {1, 92, CLONE_NO_MATCH},
			       {2, 91, CLONE_NO_MATCH}, {2, 93, CLONE_NO_MATCH}, {2, 148, CLONE_NO_MATCH},
			       {3, 63, CLONE_NO_MATCH}, {3, 65, CLONE_NO_MATCH}, {3, 32, CLONE_NO_MATCH},
			       {4, 31, CLONE_NO_MATCH}, {4, 0, CLONE_NO_MATCH}, {4, 3, CLONE_NO_MATCH},
			       {4, 33, CLONE_MATCH_WG_DATA}, {4, 148, CLONE_MATCH_WG_DATA},
			       {4, 1400, CLONE_MATCH_WG_DATA}}) {
			f.l4 = wg_udp(s.type, s.len);
			CAPTURE(v6);
			CAPTURE(int(s.type));
			CAPTURE(s.len);
			CHECK(prog.decide(eth(f.packet())) == s.outcome);
		}
	}
	prog.clones();
}

TEST_CASE("WireGuard: the UDP length decides the message size, and must fit")
{
	CloneProg prog = CloneProg::wireguard(false);
	for (bool v6 : {false, true}) {
		Form f = forms()[0];
		f.v6 = v6;
		auto with_len = [&](uint8_t type, size_t msg_len, size_t trailing, uint16_t udp_len) {
			Udp u;
			u.len = udp_len;
			f.l4 = udp(u, wg_message(type, msg_len) + Bytes(trailing, 0xee));
			return eth(f.packet());
		};
		CAPTURE(v6);
		// Bytes after the datagram (the IP length says more): the receiver trims them.
		CHECK(prog.decide(with_len(1, 148, 4, 8 + 148)) == CLONE_MATCH_WG_INITIATION);
		CHECK(prog.decide(with_len(1, 148, 0, 8 + 147)) == CLONE_NO_MATCH);
		CHECK(prog.decide(with_len(1, 148, 0, 8 + 149)) == CLONE_MALFORMED);
		CHECK(prog.decide(with_len(4, 64, 0, 8 + 31)) == CLONE_NO_MATCH);
		CHECK(prog.decide(with_len(4, 64, 0, 8 + 32)) == CLONE_MATCH_WG_DATA);
		for (uint16_t bad : {0, 1, 7, 0xffff})
			CHECK(prog.decide(with_len(4, 64, 0, bad)) == CLONE_MALFORMED);
		CHECK(prog.decide(with_len(4, 64, 0, 8)) == CLONE_NO_MATCH);  // empty datagram
	}
	prog.clones();
}

TEST_CASE("WireGuard: only the peer's address and port are considered")
{
	CloneProg prog = CloneProg::wireguard(false);
	Bytes msg = wg_message(4, 100);
	for (bool v6 : {false, true}) {
		auto make = [&](const char *daddr, uint16_t sport, uint16_t dport, uint8_t proto = 17) {
			Udp u;
			u.sport = sport;
			u.dport = dport;
			Bytes l4 = udp(u, msg);
			if (v6) {
				Ipv6 ip;
				ip.daddr = daddr;
				ip.nexthdr = proto;
				return eth(ipv6(ip, l4));
			}
			Ipv4 ip;
			ip.daddr = addr(daddr);
			ip.protocol = proto;
			return eth(ipv4(ip, l4));
		};
		const char *peer = v6 ? default_peer6 : default_peer;
		const char *other = v6 ? "2001:db8:1::2" : "198.18.1.2";
		CAPTURE(v6);
		CHECK(prog.decide(make(peer, 40000, kPort)) == CLONE_MATCH_WG_DATA);
		CHECK(prog.decide(make(peer, kPort, 40000)) == CLONE_MATCH_WG_DATA);
		CHECK(prog.decide(make(peer, kPort, kPort)) == CLONE_MATCH_WG_DATA);
		// Port 0 is the address entry's key: never an endpoint.
		for (uint16_t near : {kPort - 1, kPort + 1, kPort ^ 0x100, 0x6cca /* byte-swapped */, 0})
			CHECK(prog.decide(make(peer, 40000, near)) == CLONE_NO_MATCH);
		for (uint16_t near : {kPort - 1, kPort + 1, 0x6cca, 0})
			CHECK(prog.decide(make(peer, near, 40000)) == CLONE_NO_MATCH);
		CHECK(prog.decide(make(peer, 0, 0)) == CLONE_NO_MATCH);
		CHECK(prog.decide(make(other, 40000, kPort)) == CLONE_NO_PEER);
		CHECK(prog.decide(make(other, kPort, 40000)) == CLONE_NO_PEER);
		// Not UDP: TCP, GRE, or UDP-Lite to the peer.
		for (uint8_t proto : {6, 47, 136})
			CHECK(prog.decide(make(peer, 40000, kPort, proto)) == CLONE_NO_MATCH);
		// Another endpoint of the same address.
		prog.add_wg_peer(peer, 443);
		CHECK(prog.decide(make(peer, 40000, 443)) == CLONE_MATCH_WG_DATA);
		CHECK(prog.decide(make(peer, 443, 40000)) == CLONE_MATCH_WG_DATA);
		CHECK(prog.decide(make(other, 40000, 443)) == CLONE_NO_PEER);
	}
	// IPv6 to ::ffff:198.18.1.1 has the IPv4 peer's key (never on a wire).
	Ipv6 ip;
	ip.daddr = "::ffff:198.18.1.1";
	CHECK(prog.decide(eth(ipv6(ip, udp({}, msg)))) == CLONE_MATCH_WG_DATA);
	// The PPTP peers map is not the profile's.
	prog.add_peer("198.18.1.3");
	Ipv4 v4;
	v4.daddr = addr("198.18.1.3");
	v4.protocol = 17;
	CHECK(prog.decide(eth(ipv4(v4, udp({}, msg)))) == CLONE_NO_PEER);
	prog.clones();
}

TEST_CASE("WireGuard: truncation at every byte")
{
	CloneProg prog = CloneProg::wireguard(false);
	for (bool ext : {false, true})
		for (const Form &f : forms(ext)) {
			if (f.l4.size() > 200)
				continue;  // the long data message: its first 200 bytes are the short one's
			Bytes full = f.packet();
			for (size_t len = 1; len <= full.size(); len++) {
				CAPTURE(f.name);
				CAPTURE(len);
				// The frame ends early, the length field still claims all;
				// BPF_PROG_TEST_RUN refuses frames shorter than the IP header ...
				if (len >= f.l3_len())
					CHECK(prog.decide(eth(Bytes(full.begin(), full.begin() + len))) ==
					      expected_when_truncated(f, len, false));
				// ... or the length field ends early.
				if (len >= f.l3_len() || !f.v6)
					CHECK(prog.decide(eth(with_ip_len(full, len))) ==
					      expected_when_truncated(f, len, true));
			}
		}
	prog.clones();
}

TEST_CASE("WireGuard: IPv6 extension headers are followed, six at most")
{
	CloneProg prog = CloneProg::wireguard(false);
	Bytes l4 = wg_udp(4, 64);
	auto chain = [&](size_t n, uint8_t type) {
		Bytes ext;
		for (size_t i = 0; i < n; i++)
			ext = ext + ipv6_ext(i + 1 == n ? 17 : type, i % 3);
		Ipv6 ip;
		ip.nexthdr = n ? type : 17;
		return ipv6(ip, ext + l4);
	};
	for (uint8_t type : {0, 43, 60})
		for (size_t n = 0; n <= 6; n++) {
			CAPTURE(int(type));
			CAPTURE(n);
			CHECK(prog.decide(eth(chain(n, type))) == CLONE_MATCH_WG_DATA);
		}
	for (uint8_t type : {0, 43, 60})
		CHECK(prog.decide(eth(chain(7, type))) == CLONE_NO_MATCH);
	// Headers the program does not follow: AH, ESP, no next header, mobility.
	for (uint8_t type : {51, 50, 59, 135}) {
		Ipv6 ip;
		ip.nexthdr = type;
		CAPTURE(int(type));
		CHECK(prog.decide(eth(ipv6(ip, ipv6_ext(17) + l4))) == CLONE_NO_MATCH);
	}
	// A header's length past the end of the packet.
	Ipv6 ip;
	ip.nexthdr = 60;
	Bytes ext = ipv6_ext(17, 1);
	ext[1] = 40;
	CHECK(prog.decide(eth(ipv6(ip, ext + l4))) == CLONE_MALFORMED);
	// The extension header's length is honoured: a UDP header where a
	// 1-unit header would have ended is not read as one.
	ext[1] = 0;
	CHECK(prog.decide(eth(ipv6(ip, ext + l4))) == CLONE_NO_MATCH);
	prog.clones();
}

TEST_CASE("WireGuard: fragments to a peer are counted, never parsed or cloned")
{
	CloneProg prog = CloneProg::wireguard(false);
	Bytes l4 = wg_udp(4, 64);
	for (uint16_t frag_off : {0x2000, 0x0001, 0x2001, 0x3fff, 0x6000}) {
		Ipv4 ip;
		ip.protocol = 17;
		ip.frag_off = frag_off;
		CAPTURE(frag_off);
		CHECK(prog.decide(eth(ipv4(ip, l4))) == CLONE_FRAGMENT);
	}
	for (uint16_t offset : {0, 1, 100})
		for (bool more : {true, false}) {
			for (bool behind_ext : {false, true}) {
				Ipv6 ip;
				ip.nexthdr = behind_ext ? 0 : 44;
				Bytes frag = ipv6_frag(17, offset, more);
				CAPTURE(offset);
				CAPTURE(more);
				CHECK(prog.decide(eth(ipv6(ip, (behind_ext ? ipv6_ext(44) : Bytes{}) + frag + l4))) ==
				      CLONE_FRAGMENT);
			}
		}
	// To a non-peer: just traffic to a non-peer.
	Ipv6 other;
	other.daddr = "2001:db8:9::9";
	other.nexthdr = 44;
	CHECK(prog.decide(eth(ipv6(other, ipv6_frag(17) + l4))) == CLONE_NO_PEER);
	// DF alone is a whole packet.
	Ipv4 df;
	df.protocol = 17;
	CHECK(prog.decide(eth(ipv4(df, l4))) == CLONE_MATCH_WG_DATA);
	CHECK(prog.clones().size() == 1);
}

TEST_CASE("WireGuard: 802.1Q and 802.1ad tags, IPv4 and IPv6")
{
	CloneProg prog = CloneProg::wireguard(false);
	for (const Form &f : forms()) {
		uint16_t type = f.v6 ? 0x86dd : 0x0800;
		CAPTURE(f.name);
		CHECK(prog.decide(ethernet({{0x8100}, type}, f.packet())) == f.outcome);
		CHECK(prog.decide(ethernet({{0x88a8, 0x8100}, type}, f.packet())) == f.outcome);
		CHECK(prog.decide(ethernet({{0x88a8, 0x8100, 0x8100}, type}, f.packet())) == CLONE_NOT_IP);
	}
	prog.clones();
}

TEST_CASE("WireGuard: not IP, or the EtherType and the version disagree")
{
	CloneProg prog = CloneProg::wireguard(false);
	Form v4 = forms()[0], v6 = forms()[10];
	REQUIRE(v6.v6);
	CHECK(prog.decide(ethernet({{}, 0x0806}, v4.packet())) == CLONE_NOT_IP);
	CHECK(prog.decide(ethernet({{}, 0x86dd}, v4.packet())) == CLONE_NOT_IP);
	CHECK(prog.decide(ethernet({{}, 0x0800}, v6.packet())) == CLONE_NOT_IP);
	CHECK(prog.clones().empty());
}

TEST_CASE("WireGuard: L3 devices (tun, ppp): the version nibble decides")
{
	// BPF_PROG_TEST_RUN takes every frame for Ethernet, so the copy's first
	// 14 bytes are stripped as a MAC header here: only the count is checked
	// (tests/netns/test-clone-datapath.sh sends through a real L3 device).
	CloneProg prog = CloneProg::wireguard(true);
	for (const Form &f : forms()) {
		CAPTURE(f.name);
		CHECK(prog.decide(f.packet()) == f.outcome);
		CHECK(prog.clones().size() == 1);
	}
	Bytes p = forms()[0].packet();
	p[0] = 0x55;
	CHECK(prog.decide(p) == CLONE_NOT_IP);
	CHECK(prog.decide(eth(forms()[0].packet())) == CLONE_NOT_IP);
	CHECK(prog.clones().empty());
}

TEST_CASE("profiles: PPTP ignores WireGuard and IPv6, WireGuard ignores PPTP")
{
	CloneProg pptp(false), wg = CloneProg::wireguard(false);
	for (const Form &f : forms())
		CHECK(pptp.decide(eth(f.packet())) == (f.v6 ? CLONE_NOT_IPV4 : CLONE_NO_MATCH));
	Ipv4 ip;
	Gre g;
	CHECK(wg.decide(eth(ipv4(ip, gre(g, ppp_mppe())))) == CLONE_NO_MATCH);
	CHECK(pptp.decide(eth(ipv4(ip, gre(g, ppp_mppe())))) == CLONE_MATCH_GRE_DATA);
	CHECK(wg.clones().empty());
	CHECK(pptp.clones().size() == 1);
}

TEST_CASE("WireGuard: copies larger than the target's MTU are counted and still sent")
{
	CloneProg prog = CloneProg::wireguard(false, 100);
	Ipv4 ip;
	ip.protocol = 17;
	Counters d = prog.run(eth(ipv4(ip, udp({}, wg_message(4, 100 - 28)))));
	CHECK(d[CLONE_OVER_MTU] == 0);
	CHECK(d[CLONE_CLONED_BYTES] == 100);
	Ipv6 ip6;
	d = prog.run(eth(ipv6(ip6, udp({}, wg_message(4, 101 - 48)))));
	CHECK(d[CLONE_OVER_MTU] == 1);
	CHECK(d[CLONE_CLONED] == 1);
	CHECK(d[CLONE_CLONED_BYTES] == 101);
	CHECK(prog.clones().size() == 2);
}
