// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "cli/report.h"

#include <iterator>
#include <sstream>

namespace dupgre {

namespace {

// In enum clone_counter order.
const char *const counter_names[] = {
	"seen", "not_ipv4", "malformed", "no_peer", "fragment", "no_match",
	"gre_data", "gre_lcp_echo", "pptp_echo", "cloned", "cloned_bytes",
	"clone_errors", "clone_xmit_drops", "over_mtu", "snat", "snat_errors",
};
static_assert(std::size(counter_names) == CLONE_COUNTER_MAX, "a clone counter has no name");

// In enum relay_counter order.
const char *const relay_names[] = {
	"seen", "not_ipv4", "no_peer", "no_link", "loop", "ttl_expired", "relayed", "relayed_bytes",
	"redirect_errors",
};
static_assert(std::size(relay_names) == RELAY_COUNTER_MAX, "a relay counter has no name");

const char *const dnat_names[] = {"seen", "rewritten", "errors"};

// In enum elim_counter order.
const char *const elim_names[] = {
	"passed", "discarded", "out_of_order", "rogue", "lost", "tagless", "resets", "first", "rescued",
};
static_assert(std::size(elim_names) == ELIM_COUNTER_MAX, "an eliminate counter has no name");
static_assert(std::size(dnat_names) == DNAT_COUNTER_MAX, "a DNAT counter has no name");

}  // namespace

const char *clone_counter_name(unsigned counter)
{
	return counter < CLONE_COUNTER_MAX ? counter_names[counter] : "unknown";
}

const char *relay_counter_name(unsigned counter)
{
	return counter < RELAY_COUNTER_MAX ? relay_names[counter] : "unknown";
}

const char *elim_counter_name(unsigned counter)
{
	return counter < ELIM_COUNTER_MAX ? elim_names[counter] : "unknown";
}

static std::string elim_mode(const ElimPath &p)
{
	return p.info.drop ? "drop" : "monitor";
}

static std::string addr_list(const std::vector<Ipv4> &addrs)
{
	std::string s;
	for (const Ipv4 &a : addrs)
		s += (s.empty() ? "" : " ") + a.str();
	return s;
}

static std::string target_desc(const CloneStatus &st)
{
	std::ostringstream o;
	o << st.info.target_name << " (ifindex " << st.info.target_ifindex << ", mtu "
	  << st.info.target_mtu << (st.target_present ? "" : ", gone") << ")";
	return o.str();
}

std::string status_text(const Report &r)
{
	std::ostringstream o;
	if (r.clone.empty() && r.relay.empty() && r.dnat.empty() && r.eliminate.empty())
		o << "no dupgre state\n";
	for (const CloneReport &cr : r.clone) {
		const CloneStatus &st = cr.status;
		o << st.device << ": clone " << st.state();
		if (st.info.attached)
			o << " on egress, copies to " << target_desc(st) << ", prog id "
			  << st.info.prog_id;
		o << ", " << st.peers << (st.peers == 1 ? " peer" : " peers");
		if (st.info.snat_private)
			o << ", copies from " << Ipv4{st.info.snat_private}.str() << " leave as "
			  << Ipv4{st.info.snat_public}.str();
		o << "\n";
	}
	for (const RelayLink &l : r.relay)
		o << l.name << ": relay " << (l.attached ? "attached" : "stale") << " on ingress, to "
		  << addr_list(l.peers) << "\n";
	for (const DnatStatus &d : r.dnat)
		o << d.device << ": dnat " << (d.attached ? "attached" : "stale") << " on ingress, "
		  << Ipv4{d.info.public_addr}.str() << " -> " << Ipv4{d.info.private_addr}.str() << "\n";
	for (const ElimPath &p : r.eliminate)
		o << p.name << ": eliminate " << (p.attached ? "attached" : "stale") << " on ingress (path "
		  << p.index << "), mode " << elim_mode(p) << ", window " << p.info.window << ", reset "
		  << p.info.reset_ms << " ms\n";
	return o.str();
}

void status_json(Json &out, const Report &r, const std::string &state_dir)
{
	out.begin_object().field("state_dir", state_dir).key("clone").begin_array();
	for (const CloneReport &cr : r.clone) {
		const CloneStatus &st = cr.status;
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
				.field("created_qdisc", st.created_qdisc);
			if (st.info.snat_private)
				out.field("snat_private", Ipv4{st.info.snat_private}.str())
					.field("snat_public", Ipv4{st.info.snat_public}.str());
		}
		out.end_object();
	}
	out.end_array().key("relay").begin_array();
	for (const RelayLink &l : r.relay) {
		out.begin_object()
			.field("device", l.name)
			.field("state", l.attached ? "attached" : "stale")
			.field("ifindex", l.ifindex)
			.field("created_qdisc", l.created_qdisc)
			.key("peers")
			.begin_array();
		for (const Ipv4 &a : l.peers)
			out.value(a.str());
		out.end_array().end_object();
	}
	out.end_array().key("dnat").begin_array();
	for (const DnatStatus &d : r.dnat)
		out.begin_object()
			.field("device", d.device)
			.field("state", d.attached ? "attached" : "stale")
			.field("public", Ipv4{d.info.public_addr}.str())
			.field("private", Ipv4{d.info.private_addr}.str())
			.field("prog_id", d.info.prog_id)
			.end_object();
	out.end_array().key("eliminate").begin_array();
	for (const ElimPath &p : r.eliminate)
		out.begin_object()
			.field("device", p.name)
			.field("state", p.attached ? "attached" : "stale")
			.field("path", p.index)
			.field("mode", elim_mode(p))
			.field("window", p.info.window)
			.field("reset_ms", p.info.reset_ms)
			.field("prog_id", p.info.prog_id)
			.end_object();
	out.end_array().end_object();
}

static void counter_lines(std::ostringstream &o, const char *const *names, const __u64 *values, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		std::string name = names[i];
		o << "  " << name << std::string(18 - name.size(), ' ') << values[i] << "\n";
	}
}

std::string stats_text(const Report &rep)
{
	std::ostringstream o;
	if (rep.clone.empty() && rep.relay.empty() && rep.dnat.empty() && rep.eliminate.empty())
		o << "no dupgre state\n";
	for (const CloneReport &r : rep.clone) {
		o << r.status.device << ": clone " << r.status.state() << "\n";
		counter_lines(o, counter_names, r.counters.data(), CLONE_COUNTER_MAX);
	}
	for (const RelayLink &l : rep.relay) {
		o << l.name << ": relay\n";
		counter_lines(o, relay_names, l.counters.data(), RELAY_COUNTER_MAX);
	}
	for (const DnatStatus &d : rep.dnat) {
		o << d.device << ": dnat\n";
		counter_lines(o, dnat_names, d.counters.data(), DNAT_COUNTER_MAX);
	}
	for (const ElimPath &p : rep.eliminate) {
		o << p.name << ": eliminate, path " << p.index << "\n";
		counter_lines(o, elim_names, p.counters.data(), ELIM_COUNTER_MAX);
		o << "  copy gap (us)    ";
		for (unsigned b = 0; b < ELIM_GAP_BUCKETS; b++)
			if (p.gaps[b])
				o << " <" << (1ull << b) << ":" << p.gaps[b];
		o << "\n";
	}
	if (!rep.eliminate.empty()) {
		o << "eliminate, all paths\n";
		counter_lines(o, elim_names, rep.elim_totals.data(), ELIM_COUNTER_MAX);
	}
	for (const ElimStream &st : rep.elim_streams) {
		o << "stream " << st.saddr.str() << " call " << st.call_id << ", last " << st.recov_seq << "\n";
		counter_lines(o, elim_names, st.counters.data(), ELIM_FIRST);
	}
	return o.str();
}

static void counter_object(Json &out, const char *const *names, const __u64 *values, unsigned n)
{
	out.key("counters").begin_object();
	for (unsigned i = 0; i < n; i++)
		out.field(names[i], static_cast<uint64_t>(values[i]));
	out.end_object();
}

void stats_json(Json &out, const Report &rep)
{
	out.begin_object().key("clone").begin_array();
	for (const CloneReport &r : rep.clone) {
		out.begin_object()
			.field("device", r.status.device)
			.field("state", r.status.state());
		counter_object(out, counter_names, r.counters.data(), CLONE_COUNTER_MAX);
		out.end_object();
	}
	out.end_array().key("relay").begin_array();
	for (const RelayLink &l : rep.relay) {
		out.begin_object().field("device", l.name);
		counter_object(out, relay_names, l.counters.data(), RELAY_COUNTER_MAX);
		out.end_object();
	}
	out.end_array().key("dnat").begin_array();
	for (const DnatStatus &d : rep.dnat) {
		out.begin_object().field("device", d.device);
		counter_object(out, dnat_names, d.counters.data(), DNAT_COUNTER_MAX);
		out.end_object();
	}
	out.end_array().key("eliminate").begin_object().key("paths").begin_array();
	for (const ElimPath &p : rep.eliminate) {
		out.begin_object().field("device", p.name).field("path", p.index);
		counter_object(out, elim_names, p.counters.data(), ELIM_COUNTER_MAX);
		out.key("copy_gap_us_log2").begin_array();
		for (__u64 g : p.gaps)
			out.value(static_cast<uint64_t>(g));
		out.end_array().field("copy_gap_sum_us", static_cast<uint64_t>(p.gap_sum_us)).end_object();
	}
	out.end_array().key("totals").begin_object();
	counter_object(out, elim_names, rep.elim_totals.data(), ELIM_COUNTER_MAX);
	out.end_object().key("streams").begin_array();
	for (const ElimStream &st : rep.elim_streams) {
		out.begin_object()
			.field("source", st.saddr.str())
			.field("call_id", st.call_id)
			.field("last_seq", st.recov_seq);
		counter_object(out, elim_names, st.counters.data(), ELIM_FIRST);
		out.end_object();
	}
	out.end_array().end_object().end_object();
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
	{"dupgre_clone_snat_packets_total", "counter",
	 "Copies whose source the NAT fix rewrote, and rewrites that failed.", "result",
	 {{CLONE_SNAT, "rewritten"}, {CLONE_SNAT_ERRORS, "failed"}}},
};

const Metric relay_metrics[] = {
	{"dupgre_relay_packets_total", "counter",
	 "Packets entering a dual link, by what the relay did with them.", "result",
	 {{RELAY_RELAYED, "relayed"}, {RELAY_NOT_IPV4, "not_ipv4"}, {RELAY_NO_PEER, "no_peer"},
	  {RELAY_NO_LINK, "no_link"}, {RELAY_LOOP, "loop"}, {RELAY_TTL_EXPIRED, "ttl_expired"},
	  {RELAY_REDIRECT_ERRORS, "redirect_error"}}},
	{"dupgre_relay_relayed_bytes_total", "counter",
	 "Bytes the relay sent out of their destination's link.", nullptr, {{RELAY_RELAYED_BYTES, ""}}},
};

const Metric dnat_metrics[] = {
	{"dupgre_dnat_packets_total", "counter",
	 "Packets entering the device whose destination the NAT fix rewrote, or failed to.",
	 "result", {{DNAT_REWRITTEN, "rewritten"}, {DNAT_ERRORS, "failed"}}},
};

const Metric elim_metrics[] = {
	{"dupgre_eliminate_packets_total", "counter",
	 "PPTP data packets arriving by a path, by what sequence recovery did: passed (first copy), "
	 "discarded (duplicate), rogue (outside the window, passed), tagless (no sequence number).",
	 "result",
	 {{ELIM_PASSED, "passed"}, {ELIM_DISCARDED, "discarded"}, {ELIM_ROGUE, "rogue"},
	  {ELIM_TAGLESS, "tagless"}}},
	{"dupgre_eliminate_out_of_order_packets_total", "counter",
	 "Passed packets whose number was not the last passed + 1.", nullptr, {{ELIM_OUT_OF_ORDER, ""}}},
	{"dupgre_eliminate_first_packets_total", "counter",
	 "Passed packets whose first copy came by this path.", nullptr, {{ELIM_FIRST, ""}}},
	{"dupgre_eliminate_rescued_packets_total", "counter",
	 "Packets only this path delivered within the window: the other path lost them or was later.",
	 nullptr, {{ELIM_RESCUED, ""}}},
};

// One metric's HELP, TYPE and samples, for every item's counters.
template <typename Items, typename Name, typename Values>
void metric_lines(std::ostringstream &o, const Metric &m, const Items &items, Name name, Values values)
{
	o << "# HELP " << m.name << " " << m.help << "\n# TYPE " << m.name << " " << m.type << "\n";
	for (const auto &item : items)
		for (const auto &[counter, label] : m.counters) {
			o << m.name << "{device=\"" << label_value(name(item)) << "\"";
			if (m.label)
				o << "," << m.label << "=\"" << label << "\"";
			o << "} " << values(item)[counter] << "\n";
		}
}

}  // namespace

std::string stats_prometheus(const Report &rep)
{
	const auto &clone = rep.clone;
	std::ostringstream o;
	for (const Metric &m : clone_metrics)
		metric_lines(o, m, clone, [](const CloneReport &r) { return r.status.device; },
			     [](const CloneReport &r) { return r.counters.data(); });
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
	for (const Metric &m : relay_metrics)
		metric_lines(o, m, rep.relay, [](const RelayLink &l) { return l.name; },
			     [](const RelayLink &l) { return l.counters.data(); });
	for (const Metric &m : dnat_metrics)
		metric_lines(o, m, rep.dnat, [](const DnatStatus &d) { return d.device; },
			     [](const DnatStatus &d) { return d.counters.data(); });
	for (const Metric &m : elim_metrics)
		metric_lines(o, m, rep.eliminate, [](const ElimPath &p) { return p.name; },
			     [](const ElimPath &p) { return p.counters.data(); });
	o << "# HELP dupgre_eliminate_lost_packets_total Sequence numbers that left the window never "
	     "seen on any path.\n# TYPE dupgre_eliminate_lost_packets_total counter\n";
	if (!rep.eliminate.empty())
		o << "dupgre_eliminate_lost_packets_total " << rep.elim_totals[ELIM_LOST] << "\n";
	o << "# HELP dupgre_eliminate_resets_total Streams idle longer than the reset time.\n"
	     "# TYPE dupgre_eliminate_resets_total counter\n";
	if (!rep.eliminate.empty())
		o << "dupgre_eliminate_resets_total " << rep.elim_totals[ELIM_RESETS] << "\n";
	// Per stream series would be unbounded (one per PPTP call): JSON only.
	o << "# HELP dupgre_eliminate_copy_gap_seconds How much later the second copy of a packet "
	     "arrived, by the path it arrived on.\n# TYPE dupgre_eliminate_copy_gap_seconds histogram\n";
	for (const ElimPath &p : rep.eliminate) {
		std::string dev = label_value(p.name);
		__u64 cumulative = 0;
		for (unsigned b = 0; b < ELIM_GAP_BUCKETS; b++) {
			cumulative += p.gaps[b];
			o << "dupgre_eliminate_copy_gap_seconds_bucket{device=\"" << dev << "\",le=\"";
			if (b + 1 == ELIM_GAP_BUCKETS)
				o << "+Inf";
			else
				o << (1ull << b) / 1e6;
			o << "\"} " << cumulative << "\n";
		}
		o << "dupgre_eliminate_copy_gap_seconds_sum{device=\"" << dev << "\"} " << p.gap_sum_us / 1e6
		  << "\ndupgre_eliminate_copy_gap_seconds_count{device=\"" << dev << "\"} " << cumulative << "\n";
	}
	return o.str();
}

}  // namespace dupgre
