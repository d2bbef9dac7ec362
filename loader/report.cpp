// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "report.h"

#include <iterator>
#include <sstream>

namespace dupgre {

namespace {

// In enum clone_counter order.
const char *const counter_names[] = {
	"seen", "not_ipv4", "malformed", "no_peer", "fragment", "no_match",
	"gre_data", "gre_lcp_echo", "pptp_echo", "cloned", "cloned_bytes",
	"clone_errors", "clone_xmit_drops", "over_mtu",
};
static_assert(std::size(counter_names) == CLONE_COUNTER_MAX, "a clone counter has no name");

}  // namespace

const char *clone_counter_name(unsigned counter)
{
	return counter < CLONE_COUNTER_MAX ? counter_names[counter] : "unknown";
}

static std::string target_desc(const CloneStatus &st)
{
	std::ostringstream o;
	o << st.info.target_name << " (ifindex " << st.info.target_ifindex << ", mtu "
	  << st.info.target_mtu << (st.target_present ? "" : ", gone") << ")";
	return o.str();
}

std::string status_text(const std::vector<CloneStatus> &clone)
{
	std::ostringstream o;
	if (clone.empty())
		o << "no dupgre state\n";
	for (const CloneStatus &st : clone) {
		o << st.device << ": clone " << st.state();
		if (st.info.attached)
			o << " on egress, copies to " << target_desc(st) << ", prog id "
			  << st.info.prog_id;
		o << ", " << st.peers << (st.peers == 1 ? " peer" : " peers") << "\n";
	}
	return o.str();
}

void status_json(Json &out, const std::vector<CloneStatus> &clone, const std::string &state_dir)
{
	out.begin_object().field("state_dir", state_dir).key("clone").begin_array();
	for (const CloneStatus &st : clone) {
		out.begin_object()
			.field("device", st.device)
			.field("state", st.state())
			.field("ifindex", st.info.ifindex)
			.field("device_present", st.device_present)
			.field("l3_device", static_cast<bool>(st.info.l3_device))
			.field("peers", static_cast<uint64_t>(st.peers));
		if (st.info.attached) {
			out.field("target", std::string(st.info.target_name))
				.field("target_ifindex", st.info.target_ifindex)
				.field("target_present", st.target_present)
				.field("target_mtu", st.info.target_mtu)
				.field("prog_id", st.info.prog_id)
				.field("filter_present", st.filter_present)
				.field("created_qdisc", static_cast<bool>(st.info.created_qdisc));
		}
		out.end_object();
	}
	out.end_array().end_object();
}

std::string stats_text(const std::vector<CloneReport> &clone)
{
	std::ostringstream o;
	if (clone.empty())
		o << "no dupgre state\n";
	for (const CloneReport &r : clone) {
		o << r.status.device << ": clone " << r.status.state() << "\n";
		for (unsigned i = 0; i < CLONE_COUNTER_MAX; i++) {
			std::string name = counter_names[i];
			o << "  " << name << std::string(18 - name.size(), ' ') << r.counters[i] << "\n";
		}
	}
	return o.str();
}

void stats_json(Json &out, const std::vector<CloneReport> &clone)
{
	out.begin_object().key("clone").begin_array();
	for (const CloneReport &r : clone) {
		out.begin_object()
			.field("device", r.status.device)
			.field("state", r.status.state())
			.key("counters")
			.begin_object();
		for (unsigned i = 0; i < CLONE_COUNTER_MAX; i++)
			out.field(counter_names[i], static_cast<uint64_t>(r.counters[i]));
		out.end_object().end_object();
	}
	out.end_array().end_object();
}

namespace {

// Label values escape backslash, double quote and newline.
std::string label_value(const std::string &v)
{
	std::string out;
	for (char c : v) {
		if (c == '\\' || c == '"')
			out += '\\';
		if (c == '\n') {
			out += "\\n";
			continue;
		}
		out += c;
	}
	return out;
}

struct Metric {
	const char *name;
	const char *type;
	const char *help;
	const char *label;  // extra label, or nullptr
	// counters reported under this metric, with their label value
	std::vector<std::pair<unsigned, const char *>> counters;
};

const Metric clone_metrics[] = {
	{"dupgre_clone_seen_packets_total", "counter",
	 "Packets the clone program saw on the device's egress.", nullptr, {{CLONE_SEEN, ""}}},
	{"dupgre_clone_skipped_packets_total", "counter",
	 "Packets not cloned, by reason.", "reason",
	 {{CLONE_NOT_IPV4, "not_ipv4"}, {CLONE_MALFORMED, "malformed"}, {CLONE_NO_PEER, "no_peer"},
	  {CLONE_FRAGMENT, "fragment"}, {CLONE_NO_MATCH, "no_match"}}},
	{"dupgre_clone_matched_packets_total", "counter",
	 "Packets to a peer that match the guide's rules, by class.", "class",
	 {{CLONE_MATCH_GRE_DATA, "gre_data"}, {CLONE_MATCH_GRE_LCP_ECHO, "gre_lcp_echo"},
	  {CLONE_MATCH_PPTP_ECHO, "pptp_echo"}}},
	{"dupgre_clone_cloned_packets_total", "counter",
	 "Copies handed to the clone target.", nullptr, {{CLONE_CLONED, ""}}},
	{"dupgre_clone_cloned_bytes_total", "counter",
	 "IPv4 bytes of the copies handed to the clone target.", nullptr, {{CLONE_CLONED_BYTES, ""}}},
	{"dupgre_clone_failed_packets_total", "counter",
	 "Matching packets whose copy failed: errno (no copy made, e.g. target gone) or "
	 "xmit_drop (dropped by the target's queue).", "reason",
	 {{CLONE_ERRORS, "errno"}, {CLONE_XMIT_DROPS, "xmit_drop"}}},
	{"dupgre_clone_over_mtu_packets_total", "counter",
	 "Copies larger than the clone target's MTU when attached.", nullptr, {{CLONE_OVER_MTU, ""}}},
};

}  // namespace

std::string stats_prometheus(const std::vector<CloneReport> &clone)
{
	std::ostringstream o;
	for (const Metric &m : clone_metrics) {
		o << "# HELP " << m.name << " " << m.help << "\n# TYPE " << m.name << " " << m.type << "\n";
		for (const CloneReport &r : clone)
			for (const auto &[counter, label] : m.counters) {
				o << m.name << "{device=\"" << label_value(r.status.device) << "\"";
				if (m.label)
					o << "," << m.label << "=\"" << label << "\"";
				o << "} " << r.counters[counter] << "\n";
			}
	}
	o << "# HELP dupgre_clone_peers Peers whose packets the clone program copies.\n"
	  << "# TYPE dupgre_clone_peers gauge\n";
	for (const CloneReport &r : clone)
		o << "dupgre_clone_peers{device=\"" << label_value(r.status.device) << "\"} "
		  << r.status.peers << "\n";
	o << "# HELP dupgre_clone_attached Whether the clone program is attached and running (1) "
	     "or not (0).\n"
	  << "# TYPE dupgre_clone_attached gauge\n";
	for (const CloneReport &r : clone)
		o << "dupgre_clone_attached{device=\"" << label_value(r.status.device) << "\"} "
		  << (r.status.state() == "attached" ? 1 : 0) << "\n";
	return o.str();
}

}  // namespace dupgre
