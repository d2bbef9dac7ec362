// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// conformance_corpus: the packets test-conformance.sh sends through both the
// guide's iptables u32 rules and dupgre's program. Deterministic for a seed.
//
//   conformance_corpus [--seed N] [--fuzz N] --src A --peer A... --other A... --meta FILE
//
// stdout: one hex IPv4 packet a line, IPv4 ids 1..N in order, then the
// marker (a matching GRE data packet, id 65535). FILE: "id section expect
// description" per packet; expect is y (both must clone), n (neither may)
// or - (conformance_check decides: agreement, or a deviation the spec
// documents). Summary on stderr.
//
// The decisive bytes are where u32 reads whole 32-bit words, so the corpus
// walks every one of them: the 18 rule forms, each decisive field off by one
// bit or value, every truncation length across the decisive region (the raw
// socket sets tot_len to the buffer length), IPv4 and TCP options, peers and
// non-peers, then seeded fuzz biased towards almost-matching packets.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "packet.h"

using pkt::Bytes;
using pkt::operator+;  // Bytes is a std::vector: ADL would not find it

namespace {

constexpr uint16_t MARKER_ID = 65535;
constexpr size_t MAX_LEN = 1400;  // below every MTU on the way: no EMSGSIZE, no drop for size

const uint32_t gre_words[] = {0x2001880b, 0x3001880b, 0x2081880b, 0x3081880b};

struct PppForm {
	const char *name;
	Bytes ppp;
};

// The PPP frame starts the guide's GRE rules accept (LCP codes 9 and 10).
std::vector<PppForm> ppp_forms(bool both_lcp_codes)
{
	std::vector<PppForm> f = {{"fd", pkt::ppp_mppe(32)}, {"ff0300fd", pkt::ppp_mppe_full_header(32)},
				  {"c02109", pkt::ppp_lcp_echo(9)}, {"ff03c02109", pkt::ppp_lcp_echo(9, true)}};
	if (both_lcp_codes) {
		f.push_back({"c0210a", pkt::ppp_lcp_echo(10)});
		f.push_back({"ff03c0210a", pkt::ppp_lcp_echo(10, true)});
	}
	return f;
}

std::string hex32(uint32_t v)
{
	char s[9];
	snprintf(s, sizeof(s), "%08x", v);
	return s;
}

// IPv4 options of 4*(ihl-5) bytes: NOPs, EOLs, or Router Alert then NOPs and EOL.
Bytes ip_options(unsigned ihl, unsigned pattern)
{
	Bytes o(4 * (ihl - 5), pattern == 1 ? 0x00 : 0x01);
	if (pattern == 2 && !o.empty()) {
		o[0] = 0x94, o[1] = 0x04, o[2] = 0x00, o[3] = 0x00;
		o.back() = 0x00;
	}
	return o;
}

// TCP options of 4*(doff-5) bytes: NOPs, or MSS then NOPs and EOL.
Bytes tcp_options(unsigned doff, unsigned pattern)
{
	Bytes o(4 * (doff - 5), 0x01);
	if (pattern % 2 && !o.empty()) {
		o[0] = 0x02, o[1] = 0x04, o[2] = 0x05, o[3] = 0xb4;
		o.back() = 0x00;
	}
	return o;
}

class Corpus {
public:
	Corpus(uint32_t src, std::vector<uint32_t> peers, std::vector<uint32_t> others)
		: src_(src), peers_(std::move(peers)), others_(std::move(others))
	{
	}

	// Destinations spread over the peers (or the non-peers) by a hash of the
	// next id, so that no section sends all its matches to the same one.
	uint32_t peer() const { return peers_[spread() % peers_.size()]; }
	uint32_t other() const { return others_[spread() % others_.size()]; }
	uint32_t spread() const { return (uint32_t(pkts_.size() + 1) * 2654435761u) >> 16; }

	Bytes gre(uint32_t word0, const Bytes &ppp, const Bytes &opts = {}, int plen = -1) const
	{
		pkt::Gre g;
		g.word0 = word0;
		if (plen >= 0)
			g.payload_len = plen;
		return ip(47, pkt::gre(g, ppp), opts, peer());
	}

	Bytes tcp(uint16_t sport, uint16_t dport, const Bytes &payload, unsigned doff = 5,
		  unsigned opt_pattern = 0, const Bytes &ipopts = {}) const
	{
		pkt::Tcp t;
		t.sport = sport;
		t.dport = dport;
		t.doff = doff;
		if (doff > 5)
			t.options = tcp_options(doff, opt_pattern);
		return ip(6, pkt::tcp(t, payload), ipopts, peer());
	}

	Bytes ip(uint8_t protocol, const Bytes &payload, const Bytes &opts, uint32_t dst) const
	{
		pkt::Ipv4 h;
		h.saddr = src_;
		h.daddr = dst;
		h.protocol = protocol;
		h.options = opts;
		return pkt::ipv4(h, payload);
	}

	// Gives p the next id; expect: 'y', 'n' or '-' (see the header comment).
	void add(Bytes p, const std::string &section, const std::string &desc, char expect = '-',
		 uint16_t id = 0)
	{
		if (!id && pkts_.size() + 1 >= MARKER_ID)
			throw std::runtime_error("corpus larger than the IPv4 id space");
		if (p.size() < 20 || p.size() < size_t(p[0] & 0x0f) * 4 || p.size() > MAX_LEN)
			throw std::runtime_error("unsendable packet in " + section + ": " + desc);
		pkt::put16(p, 2, p.size());  // what the kernel does anyway
		id = id ? id : pkts_.size() + 1;
		pkt::put16(p, 4, id);
		pkt::put16(p, 10, pkt::ipv4_checksum(p));
		pkts_.push_back(p);
		meta_.push_back(std::to_string(id) + " " + section + " " + expect + " " + desc);
		counts_[section]++;
	}

	const std::vector<Bytes> &packets() const { return pkts_; }
	const std::vector<std::string> &meta() const { return meta_; }
	const std::map<std::string, int> &counts() const { return counts_; }

private:
	uint32_t src_;
	std::vector<uint32_t> peers_, others_;
	std::vector<Bytes> pkts_;
	std::vector<std::string> meta_;
	std::map<std::string, int> counts_;
};

Bytes pptp(uint16_t ctrl_type = 5, uint16_t msg_type = 1) { return pkt::pptp_control(ctrl_type, msg_type); }

// The 18 rules' forms (LCP and PPTP echo with both codes), to peers and not.
void rule_forms(Corpus &c)
{
	for (uint32_t w : gre_words)
		for (const auto &f : ppp_forms(true)) {
			c.add(c.gre(w, f.ppp), "form", "gre " + hex32(w) + " " + f.name, 'y');
			Bytes p = c.gre(w, f.ppp);
			pkt::put16(p, 6, 0);  // TEE sets DF on its copy, dupgre copies as is
			c.add(p, "form", "gre " + hex32(w) + " " + f.name + " without DF", 'y');
			pkt::put32(p, 16, c.other());
			c.add(p, "form", "gre " + hex32(w) + " " + f.name + " to a non-peer", 'n');
		}
	for (uint16_t type : {5, 6}) {
		std::string t = " pptp type " + std::to_string(type);
		c.add(c.tcp(1723, 40000, pptp(type)), "form", "tcp sport 1723" + t, 'y');
		c.add(c.tcp(40000, 1723, pptp(type)), "form", "tcp dport 1723" + t, 'y');
		c.add(c.tcp(1723, 1723, pptp(type)), "form", "tcp 1723->1723" + t, 'y');
		Bytes p = c.tcp(40000, 1723, pptp(type));
		pkt::put16(p, 6, 0);
		c.add(p, "form", "tcp dport 1723 without DF" + t, 'y');
		p = c.tcp(40000, 1723, pptp(type));
		pkt::put32(p, 16, c.other());
		c.add(p, "form", "tcp dport 1723 to a non-peer" + t, 'n');
	}
}

// Every decisive field off by one bit or one value.
void near_misses(Corpus &c)
{
	for (uint32_t w : gre_words) {
		for (int bit = 0; bit < 32; bit++) {
			uint32_t flipped = w ^ (1u << bit);
			for (const auto &f : ppp_forms(false)) {
				// The word changes, the layout stays that of w...
				Bytes p = c.gre(w, f.ppp);
				pkt::put32(p, 20, flipped);
				c.add(p, "word0", hex32(flipped) + " in " + hex32(w) + " layout, " + f.name);
				// ...or follows the flipped S and A flags.
				c.add(c.gre(flipped, f.ppp), "word0", hex32(flipped) + " layout, " + f.name);
			}
		}
		for (const auto &f : ppp_forms(false))
			for (int plen : {0, 1, 2, 0x00ff, 0x0100, 0x7fff, 0xfffe, 0xffff})
				c.add(c.gre(w, f.ppp, {}, plen), "paylen",
				      hex32(w) + " " + f.name + " payload length " + std::to_string(plen));
		for (const auto &f : ppp_forms(false))
			for (size_t bit = 0; bit < 40; bit++) {
				Bytes ppp = f.ppp;
				ppp.at(bit / 8) ^= 0x80 >> (bit % 8);
				c.add(c.gre(w, ppp), "pppbit",
				      hex32(w) + " " + f.name + " ppp bit " + std::to_string(bit) + " flipped");
			}
		for (bool full : {false, true})
			for (int code : {0, 1, 7, 8, 9, 10, 11, 12, 0x89, 0x8a, 0xff})
				c.add(c.gre(w, pkt::ppp_lcp_echo(code, full)), "lcpcode",
				      hex32(w) + (full ? " ff03c021" : " c021") + " code " + std::to_string(code));
	}
	for (int msg : {0, 1, 2, 0x0101, 0xffff})
		for (int ctrl : {0, 4, 5, 6, 7, 0x0105, 0xffff}) {
			std::string d = " msg type " + std::to_string(msg) + " ctrl type " + std::to_string(ctrl);
			c.add(c.tcp(1723, 40000, pptp(ctrl, msg)), "pptp", "sport 1723" + d);
			c.add(c.tcp(40000, 1723, pptp(ctrl, msg)), "pptp", "dport 1723" + d);
		}
	for (int port : {1722, 1724, 0}) {
		for (int bit = 0; bit < 16; bit++) {
			// port 0 stands for "1723 with one bit flipped"
			uint16_t p = port ? port : 1723 ^ (1 << bit);
			c.add(c.tcp(p, 40000, pptp()), "port", "sport " + std::to_string(p));
			c.add(c.tcp(40000, p, pptp(6)), "port", "dport " + std::to_string(p));
			if (port)
				break;
		}
	}
	// The same bytes under another IPv4 protocol.
	for (int proto : {6, 17, 46, 48, 0, 255})
		for (uint32_t w : gre_words)
			for (const auto &f : ppp_forms(false)) {
				Bytes p = c.gre(w, f.ppp);
				p[9] = proto;
				c.add(p, "proto", "gre " + hex32(w) + " " + f.name + " as protocol " + std::to_string(proto));
			}
	for (int proto : {47, 17, 7, 0}) {
		Bytes p = c.tcp(1723, 40000, pptp());
		p[9] = proto;
		c.add(p, "proto", "tcp sport 1723 echo as protocol " + std::to_string(proto));
		p = c.tcp(1723, 1723, pptp(6));
		p[9] = proto;
		c.add(p, "proto", "tcp 1723->1723 echo as protocol " + std::to_string(proto));
	}
}

// Every length from the end of the IPv4 header to just past the last word a
// rule reads, with and without IPv4 and TCP options.
void truncations(Corpus &c)
{
	for (unsigned ihl : {5, 6, 15}) {
		Bytes opts = ip_options(ihl, ihl % 3);
		for (uint32_t w : gre_words)
			for (const auto &f : ppp_forms(false)) {
				Bytes p = c.gre(w, f.ppp, opts);
				size_t end = std::min(p.size(), 4 * ihl + pkt::gre_header_len(w) + 12);
				for (size_t len = 4 * ihl; len <= end; len++)
					c.add(Bytes(p.begin(), p.begin() + len), "trunc",
					      "ihl " + std::to_string(ihl) + " gre " + hex32(w) + " " + f.name +
						      " cut to " + std::to_string(len));
			}
	}
	for (unsigned ihl : {5, 15})
		for (unsigned doff : {5, 6, 15})
			for (bool sport : {true, false}) {
				Bytes p = sport ? c.tcp(1723, 40000, pptp(5), doff, 0, ip_options(ihl, 0))
						: c.tcp(40000, 1723, pptp(6), doff, 1, ip_options(ihl, 2));
				size_t end = 4 * ihl + 4 * doff + 14;
				for (size_t len = 4 * ihl; len <= end; len++)
					c.add(Bytes(p.begin(), p.begin() + len), "trunc",
					      "ihl " + std::to_string(ihl) + " tcp " + (sport ? "sport" : "dport") +
						      " 1723 doff " + std::to_string(doff) + " cut to " +
						      std::to_string(len));
			}
}

void options(Corpus &c)
{
	for (unsigned ihl = 6; ihl <= 15; ihl++) {
		Bytes opts = ip_options(ihl, ihl % 3);
		std::string d = "ihl " + std::to_string(ihl) + " ";
		for (uint32_t w : gre_words)
			for (const auto &f : ppp_forms(true))
				c.add(c.gre(w, f.ppp, opts), "ipopt", d + "gre " + hex32(w) + " " + f.name);
		c.add(c.tcp(1723, 40000, pptp(5), 5, 0, opts), "ipopt", d + "tcp sport 1723");
		c.add(c.tcp(40000, 1723, pptp(6), 5, 0, opts), "ipopt", d + "tcp dport 1723");
		c.add(c.tcp(1723, 1723, pptp(6), 5, 0, opts), "ipopt", d + "tcp 1723->1723");
	}
	for (unsigned doff = 6; doff <= 15; doff++)
		for (unsigned pattern : {0, 1}) {
			std::string d = "doff " + std::to_string(doff) + (pattern ? " mss" : " nops");
			c.add(c.tcp(1723, 40000, pptp(5), doff, pattern), "tcpopt", d + " sport 1723");
			c.add(c.tcp(40000, 1723, pptp(6), doff, pattern), "tcpopt", d + " dport 1723");
			c.add(c.tcp(1723, 1723, pptp(5), doff, pattern), "tcpopt", d + " 1723->1723");
		}
}

// Data offset below 5: u32 applies it anyway, dupgre never clones. Some are
// made so that the words u32 then reads (inside the TCP header) do match.
void short_doff(Corpus &c)
{
	for (unsigned doff = 0; doff < 5; doff++) {
		for (bool sport : {true, false}) {
			Bytes p = sport ? c.tcp(1723, 40000, pptp()) : c.tcp(40000, 1723, pptp(6));
			p[32] = doff << 4;
			c.add(p, "doff", std::string(sport ? "sport" : "dport") + " 1723 doff " + std::to_string(doff));
		}
		if (doff == 1)
			continue;  // u32 would read byte 12 (doff << 4) as a control type's high byte
		Bytes p = c.tcp(1723, 40000, pptp());
		size_t t = 20, at = t + 4 * doff;
		p[t + 12] = doff << 4;
		pkt::put16(p, at + 2, 1);  // message type 1 (doff 0: the destination port)...
		pkt::put16(p, at + 8, 5);  // ...control type 5, inside the header
		c.add(p, "doff", "sport 1723 doff " + std::to_string(doff) + " crafted so that u32 matches");
	}
}

// Fragments: u32 reads them like any packet, dupgre never clones them.
void fragments(Corpus &c)
{
	for (uint16_t frag : {0x2000, 0x6000, 0x0001, 0x2001, 0x00b9}) {
		std::string d = "frag_off " + hex32(frag).substr(4) + " ";
		for (uint32_t w : gre_words)
			for (const auto &f : ppp_forms(false)) {
				Bytes p = c.gre(w, f.ppp);
				pkt::put16(p, 6, frag);
				c.add(p, "frag", d + "gre " + hex32(w) + " " + f.name);
			}
		for (bool sport : {true, false}) {
			Bytes p = sport ? c.tcp(1723, 40000, pptp()) : c.tcp(40000, 1723, pptp(6));
			pkt::put16(p, 6, frag);
			c.add(p, "frag", d + "tcp " + (sport ? "sport" : "dport") + " 1723");
		}
	}
}

class Fuzz {
public:
	Fuzz(Corpus &c, uint64_t seed) : c_(c), rng_(seed) {}

	void run(int gre_n, int tcp_n, int random_n)
	{
		for (int i = 0; i < gre_n; i++)
			finish(gre(), "fuzzgre");
		for (int i = 0; i < tcp_n; i++)
			finish(tcp(), "fuzztcp");
		for (int i = 0; i < random_n; i++) {
			static const uint8_t protos[] = {47, 6, 17, 1};
			uint8_t proto = chance(80) ? protos[below(4)] : below(256);
			finish(c_.ip(proto, bytes(below(100)), options(), dst()), "random");
		}
	}

private:
	uint32_t below(uint32_t n) { return rng_() % n; }
	bool chance(unsigned percent) { return below(100) < percent; }
	Bytes bytes(size_t n)
	{
		Bytes b(n);
		for (auto &x : b)
			x = below(256);
		return b;
	}
	uint32_t dst() { return chance(85) ? c_.peer() : c_.other(); }
	Bytes options() { return chance(20) ? ip_options(6 + below(10), below(3)) : Bytes{}; }

	Bytes gre()
	{
		pkt::Gre g;
		g.word0 = gre_words[below(4)];
		if (chance(15))
			g.word0 ^= 1u << below(32);
		else if (chance(15))
			g.word0 = rng_();
		g.call_id = rng_(), g.seq = rng_(), g.ack = rng_();
		auto forms = ppp_forms(true);
		Bytes ppp = chance(90) ? forms[below(forms.size())].ppp : Bytes{};
		if (chance(30) && !ppp.empty())
			ppp[below(std::min<size_t>(ppp.size(), 6))] = below(256);
		ppp.resize(std::min<size_t>(ppp.size(), 1 + below(12)));  // the decisive part
		ppp = ppp + bytes(below(48));
		unsigned r = below(100);
		g.payload_len = uint16_t(r < 60 ? ppp.size() : r < 75 ? 0 : r < 85 ? 1 : rng_());
		return c_.ip(47, pkt::gre(g, ppp), options(), dst());
	}

	Bytes tcp()
	{
		static const uint16_t ports[] = {1723, 1723, 1723, 1722, 1724};
		pkt::Tcp t;
		t.sport = chance(50) ? ports[below(5)] : rng_();
		t.dport = chance(50) ? ports[below(5)] : rng_();
		t.doff = chance(70) ? 5 : chance(90) ? 6 + below(10) : below(5);
		if (t.doff > 5)
			t.options = tcp_options(t.doff, below(2));
		uint16_t msg = chance(70) ? 1 : rng_() % 4;
		uint16_t ctrl = chance(60) ? 5 + below(2) : below(16);
		Bytes payload = pkt::pptp_control(ctrl, msg, 12 + below(20)) + bytes(below(16));
		Bytes seg = pkt::tcp(t, payload);
		for (size_t i = 4; i < 20; i++)  // seq, ack, flags, window, checksum, urgent
			if (i != 12)
				seg[i] = below(256);
		return c_.ip(6, seg, options(), dst());
	}

	void finish(Bytes p, const char *section)
	{
		size_t hl = (p[0] & 0x0f) * 4;
		if (chance(20))
			p.resize(hl + below(p.size() - hl + 1));
		if (chance(30))
			pkt::put16(p, 6, chance(10) ? 0x8000 : 0);  // no DF; sometimes the reserved bit
		c_.add(p, section, "seeded fuzz");
	}

	Corpus &c_;
	std::mt19937_64 rng_;  // fully specified by the standard: same corpus everywhere
};

}  // namespace

int main(int argc, char **argv)
{
	try {
		uint64_t seed = 1;
		int fuzz = 1500;  // fuzzed GRE packets; 2/3 as many TCP, 1/5 random
		uint32_t src = 0;
		std::vector<uint32_t> peers, others;
		std::string meta_path;
		for (int i = 1; i + 1 < argc; i += 2) {
			std::string opt = argv[i], val = argv[i + 1];
			if (opt == "--seed")
				seed = std::stoull(val);
			else if (opt == "--fuzz")
				fuzz = std::stoi(val);
			else if (opt == "--src")
				src = pkt::addr(val.c_str());
			else if (opt == "--peer")
				peers.push_back(pkt::addr(val.c_str()));
			else if (opt == "--other")
				others.push_back(pkt::addr(val.c_str()));
			else if (opt == "--meta")
				meta_path = val;
			else
				throw std::runtime_error("unknown option " + opt);
		}
		if (argc % 2 == 0 || !src || peers.empty() || others.empty() || meta_path.empty())
			throw std::runtime_error(
				"usage: conformance_corpus [--seed N] [--fuzz N] --src A --peer A... --other A... --meta FILE");

		Corpus c(src, peers, others);
		rule_forms(c);
		near_misses(c);
		truncations(c);
		options(c);
		short_doff(c);
		fragments(c);
		Fuzz(c, seed).run(fuzz, fuzz * 2 / 3, fuzz / 5);
		c.add(c.gre(0x3001880b, pkt::ppp_mppe(32)), "marker", "end of corpus", 'y', MARKER_ID);

		std::ofstream meta(meta_path);
		for (size_t i = 0; i < c.packets().size(); i++) {
			std::cout << pkt::hex(c.packets()[i]) << "\n";
			meta << c.meta()[i] << "\n";
		}
		if (!meta.flush() || !std::cout.flush())
			throw std::runtime_error("write failed");
		std::cerr << "conformance_corpus: seed " << seed << ", " << c.packets().size() << " packets:";
		for (const auto &[section, n] : c.counts())
			std::cerr << " " << section << " " << n;
		std::cerr << "\n";
	} catch (const std::exception &e) {
		std::cerr << "conformance_corpus: " << e.what() << "\n";
		return 1;
	}
	return 0;
}
