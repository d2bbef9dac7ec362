// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "core/netfilter.h"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "core/error.h"
#include "core/spawn.h"

namespace dupgre {

namespace {

std::string hex(uint32_t v)
{
	char buf[16];
	snprintf(buf, sizeof(buf), "0x%08x", v);
	return buf;
}

// The comment names the rule in both ways of writing it.
constexpr const char *rule_comment = "dupgre order stage";

// nft: table ip dupgre, chain order, one rule. Each command is one
// transaction: the chain is made and filled at once, or not at all.
std::string nft_rule(const NfqueueRule &r)
{
	return "meta mark & " + hex(r.mask) + " == " + hex(r.mark) + " counter queue num " +
	       std::to_string(r.queue) + " bypass comment \"" + rule_comment + "\"";
}
int nft_add(const NfqueueRule &r)
{
	return run_tool({"nft", "add table ip dupgre; "
			   "add chain ip dupgre order { type filter hook prerouting priority raw; policy accept; }; "
			   "flush chain ip dupgre order; "
			   "add rule ip dupgre order " + nft_rule(r)});
}
bool nft_present()
{
	std::string out;
	return run_tool({"nft", "list", "chain", "ip", "dupgre", "order"}, &out) == 0 &&
	       out.find(std::string("comment \"") + rule_comment + "\"") != std::string::npos;
}

// iptables -w -t raw ACTION PREROUTING <the rule>.
int iptables(const char *action, const NfqueueRule &r)
{
	return run_tool({"iptables", "-w", "-t", "raw", action, "PREROUTING", "-m", "mark", "--mark",
		    hex(r.mark) + "/" + hex(r.mask), "-m", "comment", "--comment", rule_comment, "-j", "NFQUEUE",
		    "--queue-num", std::to_string(r.queue), "--queue-bypass"});
}

}  // namespace

std::optional<std::string> nfqueue_rule_where(const NfqueueRule &rule)
{
	if (nft_present())
		return "nft table ip dupgre, chain order";
	if (iptables("-C", rule) == 0)
		return "iptables raw PREROUTING";
	return std::nullopt;
}

bool nfqueue_rule_add(const NfqueueRule &rule)
{
	if (nfqueue_rule_where(rule))
		return false;
	int nft = nft_add(rule);
	if (nft == 0)
		return true;
	int ipt = iptables("-I", rule);
	if (ipt == 0)
		return true;
	if (nft == -1 && ipt == -1)
		throw Error("order mode needs nft (nftables) or iptables to hand packets to the holder");
	throw Error("neither nft nor iptables could add the order stage's NFQUEUE rule: the kernel needs "
		    "nfnetlink_queue and nft_queue (or xt_NFQUEUE, xt_mark, xt_comment)");
}

void nfqueue_rule_remove(const NfqueueRule &rule)
{
	run_tool({"nft", "delete", "table", "ip", "dupgre"});
	// Once more than enough: -D removes one copy per call.
	for (int i = 0; i < 8 && iptables("-C", rule) == 0; i++)
		if (iptables("-D", rule) != 0)
			break;
}

std::optional<NfqueueStats> parse_nfqueue_stats(std::istream &in, uint16_t queue)
{
	// "%5u %6u %5u %1u %5u %5u %5u %8u %2d": queue number, portid,
	// queue_total, copy_mode, copy_range, queue_dropped, user_dropped,
	// id_sequence, 1.
	for (std::string line; std::getline(in, line);) {
		std::istringstream f(line);
		unsigned num, copy_mode, copy_range;
		NfqueueStats s;
		if (f >> num >> s.portid >> s.total >> copy_mode >> copy_range >> s.dropped >> s.user_dropped >>
		    s.id_sequence && num == queue)
			return s;
	}
	return std::nullopt;
}

std::optional<NfqueueStats> nfqueue_stats(uint16_t queue)
{
	std::ifstream in("/proc/net/netfilter/nfnetlink_queue");
	return in ? parse_nfqueue_stats(in, queue) : std::nullopt;
}

}  // namespace dupgre
