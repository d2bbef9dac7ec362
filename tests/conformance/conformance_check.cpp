// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// conformance_check: compares what the guide's iptables rules teed (tee0)
// with what dupgre cloned (bpf0), packet by packet, for test-conformance.sh.
//
//   conformance_check --corpus HEX --meta META --tee HEX --bpf HEX
//                     --stats JSON --ipt "PKTS..."
//
// HEX files hold one IPv4 packet a line; the corpus' IPv4 ids are unique and
// the copies keep them. JSON is `dupgre-ctl -j stats --dev DEV`; PKTS are the
// packet counters of the dupgre chain's rules. Exits 1 on any mismatch.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "packet.h"

using pkt::Bytes;

namespace {

constexpr uint16_t MARKER_ID = 65535;
constexpr int MAX_PRINTED = 40;

uint16_t get16(const Bytes &b, size_t off) { return b.at(off) << 8 | b.at(off + 1); }
uint16_t ipv4_id(const Bytes &p) { return get16(p, 4); }

// Where dupgre deviates on purpose (docs/guide.md).
enum Class { COMPARED, BOTH_1723, SHORT_DOFF, FRAGMENT };

Class classify(const Bytes &p)
{
	if (get16(p, 6) & 0x3fff)  // MF or an offset
		return FRAGMENT;
	size_t t = (p[0] & 0x0f) * 4;
	if (p[9] == 6 && p.size() >= t + 13) {
		bool sport = get16(p, t) == 1723, dport = get16(p, t + 2) == 1723;
		if ((sport || dport) && p[t + 12] >> 4 < 5)
			return SHORT_DOFF;  // u32 applies it, dupgre calls it malformed
		if (sport && dport)
			return BOTH_1723;  // matches both TCP rules: teed twice, cloned once
	}
	return COMPARED;
}

struct Entry {
	Bytes sent;  // as the kernel sends it (tot_len and checksum filled in)
	std::string section, desc;
	char expect;
	Class cls;
	std::vector<Bytes> tee, bpf;
};

std::vector<std::string> lines(const std::string &path)
{
	std::ifstream in(path);
	if (!in)
		throw std::runtime_error("cannot read " + path);
	std::vector<std::string> out;
	for (std::string l; std::getline(in, l);)
		if (!l.empty())
			out.push_back(l);
	return out;
}

std::string diff(const Bytes &want, const Bytes &got)
{
	std::ostringstream o;
	o << "length " << got.size() << " (want " << want.size() << "), differing bytes at";
	for (size_t i = 0; i < std::min(want.size(), got.size()); i++)
		if (want[i] != got[i])
			o << " " << i;
	return o.str();
}

// Mismatches: each packet's on one line (the first MAX_PRINTED of them) with
// its hex, and any differing copy; counter mismatches always.
class Check {
public:
	void packet(const Entry &e, const std::vector<std::string> &problems, const std::vector<Bytes> &copies)
	{
		if (problems.empty() || ++failures_ > MAX_PRINTED)
			return;
		std::cout << "MISMATCH id " << ipv4_id(e.sent) << " [" << e.section << ": " << e.desc << "] teed "
			  << e.tee.size() << ", cloned " << e.bpf.size() << ":";
		for (size_t i = 0; i < problems.size(); i++)
			std::cout << (i ? "; " : " ") << problems[i];
		std::cout << "\n  sent " << pkt::hex(e.sent) << "\n";
		for (const Bytes &c : copies)
			std::cout << "  copy " << pkt::hex(c) << "\n";
	}
	void global(const std::string &what, const Bytes *p = nullptr)
	{
		failures_++;
		std::cout << "MISMATCH " << what << (p ? "\n  " + pkt::hex(*p) : "") << "\n";
	}
	int failures() const { return failures_; }

private:
	int failures_ = 0;
};

}  // namespace

int main(int argc, char **argv)
{
	std::map<std::string, std::string> opt;
	for (int i = 1; i + 1 < argc; i += 2)
		opt[argv[i]] = argv[i + 1];
	for (const char *o : {"--corpus", "--meta", "--tee", "--bpf", "--stats", "--ipt"})
		if (!opt.count(o)) {
			std::cerr << "usage: conformance_check --corpus HEX --meta META --tee HEX --bpf HEX "
				     "--stats JSON --ipt \"PKTS...\"\n";
			return 2;
		}

	try {
		std::map<uint16_t, Entry> corpus;
		auto hex = lines(opt["--corpus"]), meta = lines(opt["--meta"]);
		if (hex.size() != meta.size())
			throw std::runtime_error("corpus and meta differ in length");
		for (size_t i = 0; i < hex.size(); i++) {
			Entry e;
			e.sent = pkt::unhex(hex[i]);
			pkt::put16(e.sent, 2, e.sent.size());
			pkt::put16(e.sent, 10, pkt::ipv4_checksum(e.sent));
			std::istringstream m(meta[i]);
			unsigned id;
			m >> id >> e.section >> e.expect >> std::ws;
			std::getline(m, e.desc);
			e.cls = classify(e.sent);
			if (id != ipv4_id(e.sent) || !corpus.emplace(id, e).second)
				throw std::runtime_error("corpus line " + std::to_string(i + 1) + ": bad or duplicate id");
		}

		Check check;
		size_t other = 0, tee_total = 0, bpf_total = 0;
		for (auto [path, tee] : {std::pair{opt["--tee"], true}, std::pair{opt["--bpf"], false}})
			for (const auto &l : lines(path)) {
				Bytes p = pkt::unhex(l);
				if (p.size() < 20 || p[0] >> 4 != 4) {
					other++;  // not IPv4: not ours (IPv6 is off in the namespace)
					continue;
				}
				auto it = corpus.find(ipv4_id(p));
				if (it == corpus.end()) {
					check.global(std::string("a copy on ") + (tee ? "tee0" : "bpf0") +
							     " that is not in the corpus", &p);
					continue;
				}
				(tee ? it->second.tee : it->second.bpf).push_back(p);
				(tee ? tee_total : bpf_total)++;
			}

		// Per section: cloned by both, by TEE only, by dupgre only, by neither.
		std::map<std::string, std::array<int, 4>> sections;
		std::map<Class, int> deviations;  // u32 teed, dupgre (rightly) did not clone
		size_t tee_df_only = 0, bytes_differ = 0, ipt_expected = 0;
		for (auto &[id, e] : corpus) {
			size_t t = e.tee.size(), b = e.bpf.size();
			sections[e.section][t && b ? 0 : t ? 1 : b ? 2 : 3]++;
			ipt_expected += t + t * t;  // each TEE clone goes through OUTPUT again and
						    // hits the same rules (without being teed again)

			// Bytes: dupgre's copy is the packet as sent; TEE's sets DF.
			std::vector<std::string> problems;
			std::vector<Bytes> bad;
			Bytes teed = e.sent;
			teed[6] |= 0x40;
			pkt::put16(teed, 10, pkt::ipv4_checksum(teed));
			for (const Bytes &p : e.bpf)
				if (p != e.sent) {
					problems.push_back("dupgre's copy differs from the packet sent: " + diff(e.sent, p));
					bad.push_back(p);
				}
			for (const Bytes &p : e.tee) {
				if (p != teed) {
					problems.push_back("TEE's copy differs from the packet sent with DF set: " + diff(teed, p));
					bad.push_back(p);
				} else if (teed != e.sent) {
					tee_df_only++;
				}
			}

			switch (e.cls) {
			case COMPARED:
				if (t > 1 || b > 1 || t != b)
					problems.push_back("decisions differ");
				break;
			case BOTH_1723:
				if (!(t == 0 && b == 0) && !(t == 2 && b == 1))
					problems.push_back("1723->1723: want teed twice and cloned once, or neither");
				else if (t)
					deviations[e.cls]++;
				break;
			case SHORT_DOFF:
			case FRAGMENT:
				if (b)
					problems.push_back(e.cls == FRAGMENT ? "dupgre cloned a fragment"
										   : "dupgre cloned a TCP data offset < 5");
				else if (t)
					deviations[e.cls]++;
				break;
			}
			if (e.expect == 'y' && !(t && b))
				problems.push_back("a rule form both must clone");
			if (e.expect == 'n' && (t || b))
				problems.push_back("a packet neither may clone");
			bytes_differ += bad.size();
			check.packet(e, problems, bad);
		}
		if (!corpus.count(MARKER_ID))
			check.global("no marker packet in the corpus");

		// dupgre's counters agree with what arrived on bpf0.
		std::map<std::string, uint64_t> st;
		std::ifstream js(opt["--stats"]);
		std::string json((std::istreambuf_iterator<char>(js)), {});
		std::regex field("\"(\\w+)\":(\\d+)");
		for (std::sregex_iterator i(json.begin(), json.end(), field), end; i != end; ++i)
			st[(*i)[1]] = std::stoull((*i)[2]);
		auto want = [&](const char *what, uint64_t got, uint64_t expected) {
			if (got != expected)
				check.global(std::string(what) + ": " + std::to_string(got) + ", want " +
							    std::to_string(expected));
		};
		want("dupgre seen (every packet reached cv0's egress)", st["seen"], corpus.size());
		want("dupgre cloned", st["cloned"], bpf_total);
		want("dupgre matched", st["gre_data"] + st["gre_lcp_echo"] + st["pptp_echo"], bpf_total);
		want("dupgre errors", st["errors"], 0);
		want("dupgre xmit_drops", st["xmit_drops"], 0);

		// iptables' counters agree with what arrived on tee0, every rule was hit.
		std::istringstream ipt(opt["--ipt"]);
		std::vector<uint64_t> rules;
		for (uint64_t n; ipt >> n;)
			rules.push_back(n);
		uint64_t ipt_sum = 0;
		for (size_t i = 0; i < rules.size(); i++) {
			ipt_sum += rules[i];
			if (!rules[i])
				check.global("iptables rule " + std::to_string(i + 1) + " of the dupgre chain never matched");
		}
		want("dupgre chain rules", rules.size(), 18);
		want("iptables rule packets (originals + TEE clones passing OUTPUT again)", ipt_sum, ipt_expected);

		std::cout << "corpus: " << corpus.size() << " packets; copies: " << tee_total << " on tee0 (iptables TEE), "
			  << bpf_total << " on bpf0 (dupgre)" << (other ? ", plus non-IPv4 packets: " : "")
			  << (other ? std::to_string(other) : "") << "\n";
		std::cout << "  section     packets  cloned by: both / TEE only / dupgre only / neither\n";
		for (const auto &[s, n] : sections) {
			std::printf("  %-10s %8d  ", s.c_str(), n[0] + n[1] + n[2] + n[3]);
			for (int i = 0; i < 4; i++)
				std::printf("%s%d", i ? " / " : "", n[i]);
			std::printf("\n");
		}
		std::cout << "documented deviations (teed by u32, not cloned by dupgre): fragments "
			  << deviations[FRAGMENT] << ", TCP data offset < 5 " << deviations[SHORT_DOFF]
			  << "; TCP 1723->1723 teed twice, cloned once " << deviations[BOTH_1723] << "\n";
		std::cout << "bytes: copies not as expected " << bytes_differ << " (dupgre's: the packet sent; TEE's: "
			     "the same with DF set, which changed " << tee_df_only << " copies)\n";
		std::cout << "counters: dupgre seen " << st["seen"] << " cloned " << st["cloned"] << " malformed "
			  << st["malformed"] << " fragment " << st["fragment"] << "; iptables rule packets " << ipt_sum
			  << " (expected " << ipt_expected << ")\n";
		std::cout << "mismatches: " << check.failures()
			  << (check.failures() > MAX_PRINTED ? " (first ones printed)" : "") << "\n";
		return check.failures() ? 1 : 0;
	} catch (const std::exception &e) {
		std::cerr << "conformance_check: " << e.what() << "\n";
		return 2;
	}
}
