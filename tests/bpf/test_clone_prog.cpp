// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// The classifier against the spec's decoded rules ("The cloning rules,
// decoded"): every rule form, near misses for every decisive field,
// truncation at every byte, IPv4 and TCP options, VLAN tags, L3 devices,
// fragments. Expectations come from the spec, never from the program.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "clone_prog.h"

using namespace pkt;

namespace {

const uint32_t gre_words[] = {0x2001880b, 0x3001880b, 0x2081880b, 0x3081880b};

// One of the guide's 18 rules, with a packet it matches.
struct Form {
	std::string name;
	Ipv4 ip;
	Bytes l4;          // GRE or TCP header and payload
	Outcome outcome;
	size_t decisive;   // bytes after the IPv4 header that the rule reads
	Bytes packet() const { return ipv4(ip, l4); }
	size_t decisive_end() const { return ipv4_header_len(ip) + decisive; }
};

Ipv4 ip_with(uint8_t protocol, Bytes options = {})
{
	Ipv4 ip;
	ip.protocol = protocol;
	ip.options = std::move(options);
	return ip;
}

Bytes gre_l4(uint32_t word0, const Bytes &ppp)
{
	Gre g;
	g.word0 = word0;
	return gre(g, ppp);
}

Bytes tcp_l4(uint16_t sport, uint16_t dport, uint16_t ctrl_type, uint8_t doff = 5)
{
	Tcp t;
	t.sport = sport;
	t.dport = dport;
	t.doff = doff;
	t.options = Bytes((doff - 5) * 4, 0x01);  // NOPs
	return tcp(t, pptp_control(ctrl_type));
}

std::vector<Form> rule_forms(const Bytes &ip_options = {}, uint8_t tcp_doff = 5)
{
	struct Ppp {
		const char *name;
		Bytes frame;
		Outcome outcome;
		size_t reads;  // u32 words read from the PPP frame, in bytes
	};
	const Ppp ppps[] = {
		{"FD", ppp_mppe(), CLONE_MATCH_GRE_DATA, 4},
		{"FF0300FD", ppp_mppe_full_header(), CLONE_MATCH_GRE_DATA, 4},
		{"C02109", ppp_lcp_echo(9), CLONE_MATCH_GRE_LCP_ECHO, 4},
		{"C0210A", ppp_lcp_echo(10), CLONE_MATCH_GRE_LCP_ECHO, 4},
		{"FF03C021-09", ppp_lcp_echo(9, true), CLONE_MATCH_GRE_LCP_ECHO, 8},
		{"FF03C021-0A", ppp_lcp_echo(10, true), CLONE_MATCH_GRE_LCP_ECHO, 8},
	};
	std::vector<Form> forms;
	for (uint32_t w : gre_words)
		for (const Ppp &p : ppps) {
			char name[64];
			snprintf(name, sizeof(name), "GRE %08x %s", w, p.name);
			forms.push_back({name, ip_with(47, ip_options), gre_l4(w, p.frame), p.outcome,
					 gre_header_len(w) + p.reads});
		}
	for (uint16_t ctrl : {5, 6}) {
		size_t decisive = tcp_doff * 4 + 12;
		forms.push_back({"TCP sport 1723 ctrl " + std::to_string(ctrl), ip_with(6, ip_options),
				 tcp_l4(1723, 40000, ctrl, tcp_doff), CLONE_MATCH_PPTP_ECHO, decisive});
		forms.push_back({"TCP dport 1723 ctrl " + std::to_string(ctrl), ip_with(6, ip_options),
				 tcp_l4(40000, 1723, ctrl, tcp_doff), CLONE_MATCH_PPTP_ECHO, decisive});
	}
	return forms;
}

Bytes eth(const Bytes &ip)
{
	return ethernet({}, ip);
}

// The packet with its IPv4 total length set to len (checksum left stale:
// the program never reads it).
Bytes with_tot_len(Bytes ip, size_t len)
{
	put16(ip, 2, len);
	return ip;
}

Outcome expected_when_truncated(const Form &f, size_t len)
{
	if (len < ipv4_header_len(f.ip))
		return CLONE_MALFORMED;
	return len >= f.decisive_end() ? f.outcome : CLONE_NO_MATCH;
}

}  // namespace

TEST_CASE("every rule form is cloned, byte for byte, and only once")
{
	CloneProg prog(false);
	auto forms = rule_forms();
	CHECK(forms.size() == 28);  // 4 flag words x 6 PPP starts + 2 ports x 2 echo types
	for (const Form &f : forms) {
		CAPTURE(f.name);
		CHECK(prog.decide(eth(f.packet())) == f.outcome);
		auto clones = prog.clones();
		REQUIRE(clones.size() == 1);
		CHECK_MESSAGE(clones[0] == f.packet(), "clone differs from the IPv4 packet");
	}
}

TEST_CASE("a segment from port 1723 to port 1723 is cloned once")
{
	CloneProg prog(false);
	CHECK(prog.decide(eth(ipv4(ip_with(6), tcp_l4(1723, 1723, 5)))) == CLONE_MATCH_PPTP_ECHO);
	CHECK(prog.clones().size() == 1);
}

TEST_CASE("near misses in the GRE flags word are not cloned")
{
	CloneProg prog(false);
	for (uint32_t w : gre_words)
		for (int bit = 0; bit < 32; bit++) {
			uint32_t flipped = w ^ (1u << bit);
			bool valid = false;
			for (uint32_t v : gre_words)
				valid |= flipped == v;
			if (valid)
				continue;  // another rule's word: covered by the forms
			Bytes ip = ipv4(ip_with(47), gre_l4(w, ppp_mppe()));
			put32(ip, 20, flipped);
			CAPTURE(flipped);
			CHECK(prog.decide(eth(ip)) == CLONE_NO_MATCH);
		}
	CHECK(prog.clones().empty());
}

TEST_CASE("GRE payload length: 0 is an ack and never cloned, 1 and 0xffff are")
{
	CloneProg prog(false);
	for (uint32_t w : gre_words) {
		Gre g;
		g.word0 = w;
		for (auto c : {std::pair{0, CLONE_NO_MATCH}, {1, CLONE_MATCH_GRE_DATA},
			       {0xffff, CLONE_MATCH_GRE_DATA}}) {
			// Not a structured binding: CAPTURE's lambda cannot capture one in
			// C++17 (g++ lets it, clang++ does not).
			int len = c.first;
			clone_counter outcome = c.second;
			g.payload_len = len;
			CAPTURE(w);
			CAPTURE(len);
			CHECK(prog.decide(eth(ipv4(ip_with(47), gre(g, ppp_mppe())))) == outcome);
		}
	}
}

TEST_CASE("near misses in the PPP frame are not cloned")
{
	CloneProg prog(false);
	const Bytes misses[] = {
		{0xfc, 1, 2, 3}, {0xfe, 1, 2, 3}, {0x7d, 1, 2, 3},          // FD
		{0xff, 0x03, 0x00, 0xfc}, {0xff, 0x03, 0x01, 0xfd},           // FF 03 00 FD
		{0xff, 0x02, 0x00, 0xfd}, {0xfe, 0x03, 0x00, 0xfd},
		{0xc0, 0x21, 0x08, 0}, {0xc0, 0x21, 0x0b, 0},                 // C0 21 09/0A
		{0xc0, 0x23, 0x09, 0}, {0xc1, 0x21, 0x09, 0}, {0x80, 0x21, 0x09, 0},
		{0xff, 0x03, 0xc0, 0x21, 0x08, 0}, {0xff, 0x03, 0xc0, 0x21, 0x0b, 0},  // FF 03 C0 21
		{0xff, 0x03, 0xc0, 0x23, 0x09, 0}, {0xff, 0x03, 0xc1, 0x21, 0x09, 0},
		{0xff, 0x03, 0x80, 0xfd, 0x01, 0}, {0x21, 0x45, 0, 0},        // CCP, raw IP
		{0xfd}, {0xfd, 1, 2}, {0xc0, 0x21, 0x09},                     // too short for u32's word
		{0xff, 0x03, 0xc0, 0x21, 0x09, 1, 0},                         // code, but no whole word
	};
	for (uint32_t w : gre_words)
		for (const Bytes &ppp : misses) {
			CAPTURE(w);
			CAPTURE(hex(ppp));
			CHECK(prog.decide(eth(ipv4(ip_with(47), gre_l4(w, ppp)))) == CLONE_NO_MATCH);
		}
	CHECK(prog.clones().empty());
}

TEST_CASE("near misses in PPTP control messages are not cloned")
{
	CloneProg prog(false);
	auto control = [](uint16_t sport, uint16_t dport, uint16_t ctrl, uint16_t msg_type) {
		Tcp t;
		t.sport = sport;
		t.dport = dport;
		return eth(ipv4(ip_with(6), tcp(t, pptp_control(ctrl, msg_type))));
	};
	for (uint16_t ctrl : {0, 1, 4, 7, 0x105, 0x500})
		CHECK(prog.decide(control(40000, 1723, ctrl, 1)) == CLONE_NO_MATCH);
	for (uint16_t msg_type : {0, 2, 0x101})
		CHECK(prog.decide(control(40000, 1723, 5, msg_type)) == CLONE_NO_MATCH);
	for (uint16_t port : {1722, 1724, 0x6bb0})
		CHECK(prog.decide(control(40000, port, 5, 1)) == CLONE_NO_MATCH);
	// Echo-Request payload, but 12 bytes are needed to read bytes 8-11.
	Tcp t;
	CHECK(prog.decide(eth(ipv4(ip_with(6), tcp(t, pptp_control(5, 1, 11))))) == CLONE_NO_MATCH);
	CHECK(prog.decide(eth(ipv4(ip_with(6), tcp(t, pptp_control(5, 1, 12))))) == CLONE_MATCH_PPTP_ECHO);
	CHECK(prog.clones().size() == 1);
}

TEST_CASE("the protocol decides which rules apply")
{
	CloneProg prog(false);
	CHECK(prog.decide(eth(ipv4(ip_with(17), gre_l4(0x3001880b, ppp_mppe())))) == CLONE_NO_MATCH);
	CHECK(prog.decide(eth(ipv4(ip_with(6), gre_l4(0x3001880b, ppp_mppe())))) == CLONE_NO_MATCH);
	CHECK(prog.decide(eth(ipv4(ip_with(47), tcp_l4(1723, 40000, 5)))) == CLONE_NO_MATCH);
	CHECK(prog.decide(eth(ipv4(ip_with(17), tcp_l4(1723, 40000, 5)))) == CLONE_NO_MATCH);
}

TEST_CASE("only packets to a peer are considered")
{
	CloneProg prog(false);
	Ipv4 ip = ip_with(47);
	ip.daddr = addr("198.18.1.2");
	Bytes to_other = eth(ipv4(ip, gre_l4(0x3001880b, ppp_mppe())));
	CHECK(prog.decide(to_other) == CLONE_NO_PEER);
	ip.daddr = addr("198.18.1.1");
	ip.saddr = addr("198.18.1.2");  // a non-peer as source does not matter
	ip.protocol = 6;
	CHECK(prog.decide(eth(ipv4(ip, tcp_l4(1723, 1723, 5)))) == CLONE_MATCH_PPTP_ECHO);
	prog.add_peer("198.18.1.2");
	CHECK(prog.decide(to_other) == CLONE_MATCH_GRE_DATA);
}

TEST_CASE("truncation at every byte: a word past the end is no match")
{
	CloneProg prog(false);
	for (const Form &f : rule_forms()) {
		Bytes full = f.packet();
		for (size_t len = 1; len <= full.size(); len++) {
			CAPTURE(f.name);
			CAPTURE(len);
			Outcome want = expected_when_truncated(f, len);
			// The frame ends early (tot_len still claims the whole packet);
			// BPF_PROG_TEST_RUN refuses IPv4 frames shorter than an IPv4
			// header, so those lengths are covered by tot_len alone ...
			if (len >= 20)
				CHECK(prog.decide(eth(Bytes(full.begin(), full.begin() + len))) == want);
			// ... or tot_len ends early and bytes beyond it are not packet.
			CHECK(prog.decide(eth(with_tot_len(full, len))) == want);
		}
	}
	prog.clones();
}

TEST_CASE("IPv4 options: IHL 6 to 15 move every rule's offsets")
{
	CloneProg prog(false);
	for (size_t words = 1; words <= 10; words++) {
		// NOPs and an end-of-options: content is irrelevant to the rules.
		Bytes options(words * 4, 0x01);
		options.back() = 0x00;
		for (const Form &f : rule_forms(options)) {
			CAPTURE(f.name);
			CAPTURE(words);
			CHECK(prog.decide(eth(f.packet())) == f.outcome);
			auto clones = prog.clones();
			REQUIRE(clones.size() == 1);
			CHECK(clones[0] == f.packet());
			// The last decisive byte missing: no match.
			Bytes cut = f.packet();
			cut.resize(f.decisive_end() - 1);
			CHECK(prog.decide(eth(cut)) == CLONE_NO_MATCH);
		}
	}
	prog.clones();
}

TEST_CASE("TCP options: data offsets 6 to 15")
{
	CloneProg prog(false);
	for (uint8_t doff = 6; doff <= 15; doff++)
		for (const Form &f : rule_forms({}, doff)) {
			if (f.outcome != CLONE_MATCH_PPTP_ECHO)
				continue;
			CAPTURE(f.name);
			CAPTURE(int(doff));
			CHECK(prog.decide(eth(f.packet())) == CLONE_MATCH_PPTP_ECHO);
			Bytes cut = f.packet();
			cut.resize(f.decisive_end() - 1);
			CHECK(prog.decide(eth(cut)) == CLONE_NO_MATCH);
		}
	CHECK(prog.clones().size() == 40);
}

TEST_CASE("TCP data offset below 5 words is malformed, never cloned")
{
	CloneProg prog(false);
	for (uint8_t doff = 0; doff < 5; doff++) {
		Bytes ip = ipv4(ip_with(6), tcp_l4(1723, 40000, 5));
		ip[20 + 12] = doff << 4;
		CAPTURE(int(doff));
		CHECK(prog.decide(eth(ip)) == CLONE_MALFORMED);
	}
	CHECK(prog.clones().empty());
}

TEST_CASE("malformed IPv4 headers are counted, never parsed")
{
	CloneProg prog(false);
	Bytes good = ipv4(ip_with(47), gre_l4(0x3001880b, ppp_mppe()));
	for (uint8_t ihl = 0; ihl < 5; ihl++) {
		Bytes ip = good;
		ip[0] = 0x40 | ihl;
		CHECK(prog.decide(eth(ip)) == CLONE_MALFORMED);
	}
	Bytes ihl_past_end = good;
	ihl_past_end[0] = 0x4f;  // 60-byte header in a 20-byte-header packet ...
	CHECK(prog.decide(eth(Bytes(ihl_past_end.begin(), ihl_past_end.begin() + 40))) == CLONE_MALFORMED);
	CHECK(prog.decide(eth(with_tot_len(good, 19))) == CLONE_MALFORMED);
	CHECK(prog.clones().empty());
}

TEST_CASE("fragments to a peer are counted, never parsed or cloned")
{
	CloneProg prog(false);
	for (uint16_t frag_off : {0x2000, 0x0001, 0x2001, 0x3fff, 0x6000, 0x4001}) {
		for (const Form &f : rule_forms()) {
			Ipv4 ip = f.ip;
			ip.frag_off = frag_off;
			CAPTURE(f.name);
			CAPTURE(frag_off);
			CHECK(prog.decide(eth(ipv4(ip, f.l4))) == CLONE_FRAGMENT);
		}
	}
	// DF alone and no flags at all are whole packets.
	for (uint16_t frag_off : {0x0000, 0x4000, 0x8000}) {
		Ipv4 ip = ip_with(47);
		ip.frag_off = frag_off;
		CHECK(prog.decide(eth(ipv4(ip, gre_l4(0x3001880b, ppp_mppe())))) == CLONE_MATCH_GRE_DATA);
	}
	// A fragment to a non-peer is just traffic to a non-peer.
	Ipv4 other = ip_with(47);
	other.daddr = addr("198.18.9.9");
	other.frag_off = 0x2000;
	CHECK(prog.decide(eth(ipv4(other, gre_l4(0x3001880b, ppp_mppe())))) == CLONE_NO_PEER);
	CHECK(prog.clones().size() == 3);
}

TEST_CASE("802.1Q and 802.1ad tags in the packet data")
{
	CloneProg prog(false);
	Bytes ip = ipv4(ip_with(47), gre_l4(0x3001880b, ppp_mppe()));
	CHECK(prog.decide(ethernet({{0x8100}}, ip)) == CLONE_MATCH_GRE_DATA);
	CHECK(prog.decide(ethernet({{0x88a8, 0x8100}}, ip)) == CLONE_MATCH_GRE_DATA);
	CHECK(prog.decide(ethernet({{0x8100, 0x8100}}, ip)) == CLONE_MATCH_GRE_DATA);
	// A third tag is beyond what the program unwraps.
	CHECK(prog.decide(ethernet({{0x88a8, 0x8100, 0x8100}}, ip)) == CLONE_NOT_IPV4);
	CHECK(prog.decide(ethernet({{0x8100}, 0x86dd}, ip)) == CLONE_NOT_IPV4);
	// A tag cut short.
	Bytes cut = ethernet({{0x8100}}, ip);
	cut.resize(16);
	CHECK(prog.decide(cut) == CLONE_NOT_IPV4);
	prog.clones();
}

TEST_CASE("non-IPv4 frames are not cloned")
{
	CloneProg prog(false);
	Bytes ip = ipv4(ip_with(47), gre_l4(0x3001880b, ppp_mppe()));
	CHECK(prog.decide(ethernet({{}, 0x86dd}, ip)) == CLONE_NOT_IPV4);
	CHECK(prog.decide(ethernet({{}, 0x0806}, ip)) == CLONE_NOT_IPV4);
	Bytes v6 = ip;
	v6[0] = 0x65;
	CHECK(prog.decide(eth(v6)) == CLONE_NOT_IPV4);
	CHECK(prog.clones().empty());
}

TEST_CASE("L3 devices (ppp, tun): the IPv4 header is at offset 0")
{
	CloneProg prog(true);
	for (const Form &f : rule_forms()) {
		CAPTURE(f.name);
		CHECK(prog.decide(f.packet()) == f.outcome);
		Bytes cut = f.packet();
		cut.resize(std::max<size_t>(f.decisive_end() - 1, 20));
		CHECK(prog.decide(cut) == CLONE_NO_MATCH);
	}
	Bytes v6 = ipv4(ip_with(47), gre_l4(0x3001880b, ppp_mppe()));
	v6[0] = 0x60;
	CHECK(prog.decide(v6) == CLONE_NOT_IPV4);
	// The same bytes behind an Ethernet header are not IPv4 at offset 0.
	CHECK(prog.decide(eth(ipv4(ip_with(47), gre_l4(0x3001880b, ppp_mppe())))) == CLONE_NOT_IPV4);
}

TEST_CASE("copies larger than the target's MTU are counted and still sent")
{
	CloneProg prog(false, 100);
	Bytes small = ipv4(ip_with(47), gre_l4(0x3001880b, ppp_mppe(100 - 20 - 12)));
	Bytes big = ipv4(ip_with(47), gre_l4(0x3001880b, ppp_mppe(101 - 20 - 12)));
	Counters d = prog.run(eth(small));
	CHECK(d[CLONE_OVER_MTU] == 0);
	CHECK(d[CLONE_CLONED_BYTES] == 100);
	d = prog.run(eth(big));
	CHECK(d[CLONE_OVER_MTU] == 1);
	CHECK(d[CLONE_CLONED] == 1);
	CHECK(d[CLONE_CLONED_BYTES] == 101);
	CHECK(prog.clones().size() == 2);
}
