// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "observe/report.h"

#include <algorithm>
#include <sstream>

#include "core/clock.h"
#include "core/error.h"

namespace dupgre {

Report gather(const std::string &dev)
{
	Report r;
	for (const auto &d : CloneState::devices()) {
		if (!dev.empty() && d != dev)
			continue;
		CloneState state(d);
		r.clone.push_back({state.status(), state.counters(), state.copy_policies().list()});
	}
	for (RelayLink &l : RelayState().links())
		if (dev.empty() || l.name == dev)
			r.relay.push_back(std::move(l));
	for (const auto &d : DnatState::devices())
		if (dev.empty() || d == dev)
			r.dnat.push_back(DnatState(d).status());
	EliminateState elim;
	for (ElimPath &p : elim.paths())
		if (dev.empty() || p.name == dev)
			r.eliminate.push_back(std::move(p));
	if (!r.eliminate.empty()) {
		r.elim_totals = elim.totals();
		r.elim_streams = elim.streams();
		for (const ElimPath &p : r.eliminate)
			if (p.info.order)
				r.hold = elim.hold();
	}
	if (!dev.empty() && r.empty())
		throw Error("no dupgre state for device '" + dev + "'");
	return r;
}

namespace {

std::string elim_mode(const ElimPath &p)
{
	return p.info.order ? "order" : p.info.drop ? "drop" : "monitor";
}

std::string addr_list(const std::vector<IpAddr> &addrs)
{
	std::string s;
	for (const IpAddr &a : addrs)
		s += (s.empty() ? "" : " ") + a.str();
	return s;
}

std::string target_desc(const CloneStatus &st)
{
	std::ostringstream o;
	o << st.info.target_name << " (ifindex " << st.info.target_ifindex << ", mtu "
	  << st.info.target_mtu << (st.target_present ? "" : ", gone") << ")";
	return o.str();
}

std::string elim_wait(const ElimPath &p)
{
	return p.info.wait_ms ? std::to_string(p.info.wait_ms) + " ms" : "auto";
}

const char *attached_or_stale(bool attached)
{
	return attached ? "attached" : "stale";
}

// How a program runs: " (tcx)" or " (tc)"; nothing where it does not.
std::string mode_note(const std::optional<AttachMode> &mode)
{
	return mode ? std::string(" (") + attach_mode_name(*mode) + ")" : "";
}

Json mode_json(const std::optional<AttachMode> &mode)
{
	return mode ? Json(attach_mode_name(*mode)) : Json(nullptr);
}

// The holder at a glance: without it order mode orders nothing.
std::string holder_state(const HoldReport &h)
{
	return h.running ? "running, pid " + std::to_string(h.info.pid)
			 : "not running: packets after a gap pass unordered (start it: systemctl start dupgre-hold, "
			   "or dupgre-ctl hold)";
}

// The kernel's side of the holder's queue (drops the holder cannot see).
std::string queue_text(const HoldReport &h)
{
	std::string name = "queue " + std::to_string(ELIM_ORDER_QUEUE);
	if (!h.queue)
		return name + ": no holder bound";
	return name + ": " + std::to_string(h.queue->total) + " waiting, queue_dropped " +
	       std::to_string(h.queue->dropped) + " (queue full), user_dropped " +
	       std::to_string(h.queue->user_dropped) + " (holder's socket full)";
}

Json queue_json(const HoldReport &h)
{
	NfqueueStats q = h.queue.value_or(NfqueueStats{});
	return {{"number", ELIM_ORDER_QUEUE},
		{"bound", h.queue.has_value()},
		{"queue_total", q.total},
		{"queue_dropped", q.dropped},
		{"user_dropped", q.user_dropped}};
}

// Each peer's copy policy and what it does now (copy_state).
Json copy_json(const std::vector<std::pair<IpAddr, copy_policy>> &copy)
{
	Json out = Json::array();
	int64_t now = monotonic_ns();
	for (const auto &[addr, v] : copy) {
		CopyPolicy p = decode(v);
		Json j = {{"peer", addr.str()}, {"policy", copy_mode_name(p.mode)}, {"state", copy_state(v, now)}};
		if (p.mode == CopyMode::budget) {
			j["rate"] = p.rate;
			j["max_size"] = p.max_size;
		} else if (p.mode == CopyMode::adaptive) {
			j["sample"] = p.sample;
			j["quiet_ms"] = p.quiet_ms;
			j["stale_ms"] = p.stale_ms;
			// Ages of what the report receiver wrote (null: never).
			auto age = [now](__u64 t) { return t ? Json((now - static_cast<int64_t>(t)) / 1000000) : Json(); };
			j["report_age_ms"] = age(v.report_ns);
			j["copying_for_ms"] = static_cast<int64_t>(v.copy_until_ns) > now
						      ? Json((static_cast<int64_t>(v.copy_until_ns) - now) / 1000000)
						      : Json(0);
		}
		out.push_back(std::move(j));
	}
	return out;
}

}  // namespace

std::string status_text(const Report &r)
{
	std::ostringstream o;
	if (r.empty())
		o << "no dupgre state\n";
	for (const CloneReport &cr : r.clone) {
		const CloneStatus &st = cr.status;
		o << st.device << ": clone " << st.state();
		if (static_cast<Tunnel>(st.info.tunnel) == Tunnel::wireguard)
			o << " (wireguard)";
		if (st.info.attached)
			o << " on egress" << mode_note(st.attach_mode) << ", copies to " << target_desc(st) << ", prog id "
			  << st.info.prog_id;
		o << ", " << st.peers << (st.peers == 1 ? " peer" : " peers");
		if (st.info.snat_private)
			o << ", copies from " << Ipv4{st.info.snat_private}.str() << " leave as "
			  << Ipv4{st.info.snat_public}.str();
		o << "\n";
		int64_t now = monotonic_ns();
		for (const auto &[addr, v] : cr.copy)
			o << "  copy " << addr.str() << ": " << decode(v).str() << ", " << copy_state(v, now) << "\n";
	}
	for (const RelayLink &l : r.relay)
		o << l.name << ": relay " << attached_or_stale(l.attached) << " on ingress" << mode_note(l.attach_mode)
		  << ", to " << addr_list(l.peers) << "\n";
	for (const DnatStatus &d : r.dnat)
		o << d.device << ": dnat " << attached_or_stale(d.attached) << " on ingress" << mode_note(d.attach_mode)
		  << ", " << Ipv4{d.info.public_addr}.str() << " -> " << Ipv4{d.info.private_addr}.str() << "\n";
	for (const ElimPath &p : r.eliminate)
		o << p.name << ": eliminate " << attached_or_stale(p.attached) << " on ingress ("
		  << (p.attach_mode ? std::string(attach_mode_name(*p.attach_mode)) + ", " : "") << "path " << p.index
		  << "), mode " << elim_mode(p) << ", window " << p.info.window << ", reset " << p.info.reset_ms
		  << " ms" << (p.info.order ? ", wait " + elim_wait(p) : "")
		  << (static_cast<Tunnel>(p.info.tunnel) == Tunnel::wireguard ? ", wireguard port " + std::to_string(p.info.port) : "")
		  << "\n";
	if (r.hold)
		o << "holder: " << holder_state(*r.hold) << "; " << queue_text(*r.hold) << "\n";
	return o.str();
}

Json status_json(const Report &r, const std::string &state_dir)
{
	Json out = {{"state_dir", state_dir}, {"clone", Json::array()}, {"relay", Json::array()},
		    {"dnat", Json::array()}, {"eliminate", Json::array()}};
	for (const CloneReport &cr : r.clone) {
		const CloneStatus &st = cr.status;
		Json c = {{"device", st.device},
			  {"state", st.state()},
			  {"ifindex", st.info.ifindex},
			  {"device_present", st.device_present},
			  {"l3_device", static_cast<bool>(st.info.l3_device)},
			  {"tunnel", tunnel_name(static_cast<Tunnel>(st.info.tunnel))},
			  {"peers", st.peers}};
		if (st.info.attached) {
			c["target"] = std::string(st.info.target_name);
			c["target_ifindex"] = st.info.target_ifindex;
			c["target_present"] = st.target_present;
			c["target_mtu"] = st.info.target_mtu;
			c["prog_id"] = st.info.prog_id;
			c["filter_present"] = st.filter_present;
			c["attach"] = mode_json(st.attach_mode);  // "tcx", "tc"; null while not running
			c["created_qdisc"] = st.created_qdisc;
			if (st.info.snat_private) {
				c["snat_private"] = Ipv4{st.info.snat_private}.str();
				c["snat_public"] = Ipv4{st.info.snat_public}.str();
			}
		}
		c["copy"] = copy_json(cr.copy);
		out["clone"].push_back(std::move(c));
	}
	for (const RelayLink &l : r.relay) {
		Json peers = Json::array();
		for (const IpAddr &a : l.peers)
			peers.push_back(a.str());
		out["relay"].push_back({{"device", l.name},
					{"state", attached_or_stale(l.attached)},
					{"attach", mode_json(l.attach_mode)},
					{"ifindex", l.ifindex},
					{"created_qdisc", l.created_qdisc},
					{"peers", std::move(peers)}});
	}
	for (const DnatStatus &d : r.dnat)
		out["dnat"].push_back({{"device", d.device},
				       {"state", attached_or_stale(d.attached)},
				       {"attach", mode_json(d.attach_mode)},
				       {"public", Ipv4{d.info.public_addr}.str()},
				       {"private", Ipv4{d.info.private_addr}.str()},
				       {"prog_id", d.info.prog_id}});
	for (const ElimPath &p : r.eliminate)
		out["eliminate"].push_back({{"device", p.name},
					    {"state", attached_or_stale(p.attached)},
					    {"attach", mode_json(p.attach_mode)},
					    {"path", p.index},
					    {"mode", elim_mode(p)},
					    {"window", p.info.window},
					    {"reset_ms", p.info.reset_ms},
					    {"wait_ms", p.info.wait_ms},  // order mode; 0: auto
					    {"tunnel", tunnel_name(static_cast<Tunnel>(p.info.tunnel))},
					    {"port", p.info.port},  // wireguard; 0 for pptp
					    {"prog_id", p.info.prog_id}});
	if (r.hold)
		out["hold"] = {{"running", r.hold->running}, {"pid", r.hold->info.pid}, {"queue", queue_json(*r.hold)}};
	return out;
}

namespace {

void counter_lines(std::ostringstream &o, const CounterSchema &schema, const __u64 *values, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		std::string name = schema.name(i);
		o << "  " << name << std::string(std::max<size_t>(18, name.size() + 1) - name.size(), ' ')
		  << values[i] << "\n";
	}
}

}  // namespace

std::string stats_text(const Report &rep)
{
	std::ostringstream o;
	if (rep.empty())
		o << "no dupgre state\n";
	for (const CloneReport &r : rep.clone) {
		o << r.status.device << ": clone " << r.status.state() << "\n";
		counter_lines(o, clone_schema(), r.counters.data(), CLONE_COUNTER_MAX);
	}
	for (const RelayLink &l : rep.relay) {
		o << l.name << ": relay\n";
		counter_lines(o, relay_schema(), l.counters.data(), RELAY_COUNTER_MAX);
	}
	for (const DnatStatus &d : rep.dnat) {
		o << d.device << ": dnat\n";
		counter_lines(o, dnat_schema(), d.counters.data(), DNAT_COUNTER_MAX);
	}
	for (const ElimPath &p : rep.eliminate) {
		o << p.name << ": eliminate, path " << p.index << "\n";
		counter_lines(o, elim_schema(), p.counters.data(), ELIM_COUNTER_MAX);
		o << "  copy gap (us)    ";
		for (unsigned b = 0; b < ELIM_GAP_BUCKETS; b++)
			if (p.gaps[b])
				o << " <" << (1ull << b) << ":" << p.gaps[b];
		o << "\n";
	}
	if (!rep.eliminate.empty()) {
		o << "eliminate, all paths\n";
		counter_lines(o, elim_schema(), rep.elim_totals.data(), ELIM_COUNTER_MAX);
	}
	if (rep.hold) {
		const HoldReport &h = *rep.hold;
		o << "holder: " << (h.running ? "running, pid " + std::to_string(h.info.pid) : std::string("not running"))
		  << ", wait " << (h.info.gave_up ? std::string("none (copies come too late)") : std::to_string(h.info.wait_us / 1000) + " ms")
		  << ", held " << h.info.held << " in " << h.info.streams
		  << (h.info.streams == 1 ? " stream\n" : " streams\n");
		counter_lines(o, hold_schema(), h.counters.data(), HOLD_COUNTER_MAX);
		o << queue_text(h) << "\n";
	}
	for (const ElimStream &st : rep.elim_streams) {
		o << "stream " << st.saddr.str()
		  << (st.tunnel == Tunnel::wireguard ? " receiver " : " call ") << st.id << ", last "
		  << st.recov_seq << "\n";
		counter_lines(o, elim_schema(), st.counters.data(), ELIM_STREAM_COUNTERS);
	}
	return o.str();
}

Json counters_json(const CounterSchema &schema, const __u64 *values, unsigned n)
{
	Json out = Json::object();
	for (unsigned i = 0; i < n; i++)
		out[schema.name(i)] = values[i];
	return out;
}

Json stats_json(const Report &rep)
{
	Json clone = Json::array(), relay = Json::array(), dnat = Json::array(), paths = Json::array(),
	     streams = Json::array();
	for (const CloneReport &r : rep.clone)
		clone.push_back({{"device", r.status.device},
				 {"state", r.status.state()},
				 {"counters", counters_json(clone_schema(), r.counters.data(), CLONE_COUNTER_MAX)}});
	for (const RelayLink &l : rep.relay)
		relay.push_back({{"device", l.name},
				 {"counters", counters_json(relay_schema(), l.counters.data(), RELAY_COUNTER_MAX)}});
	for (const DnatStatus &d : rep.dnat)
		dnat.push_back({{"device", d.device},
				{"counters", counters_json(dnat_schema(), d.counters.data(), DNAT_COUNTER_MAX)}});
	for (const ElimPath &p : rep.eliminate)
		paths.push_back({{"device", p.name},
				 {"path", p.index},
				 {"counters", counters_json(elim_schema(), p.counters.data(), ELIM_COUNTER_MAX)},
				 {"copy_gap_us_log2", p.gaps},
				 {"copy_gap_sum_us", p.gap_sum_us}});
	for (const ElimStream &st : rep.elim_streams)
	{
		Json j = {{"source", st.saddr.str()},
			  {"tunnel", tunnel_name(st.tunnel)},
			  {"last_seq", st.recov_seq},
			  {"counters", counters_json(elim_schema(), st.counters.data(), ELIM_STREAM_COUNTERS)}};
		j[st.tunnel == Tunnel::wireguard ? "receiver_index" : "call_id"] = st.id;
		streams.push_back(std::move(j));
	}
	Json totals = {{"counters", counters_json(elim_schema(), rep.elim_totals.data(), ELIM_COUNTER_MAX)}};
	Json eliminate = {{"paths", std::move(paths)}, {"totals", std::move(totals)}, {"streams", std::move(streams)}};
	if (rep.hold) {
		const HoldReport &h = *rep.hold;
		eliminate["hold"] = {{"running", h.running},
				     {"pid", h.info.pid},
				     {"wait_ms", h.info.wait_us / 1000.0},
				     {"wait_gave_up", h.info.gave_up != 0},
				     {"held", h.info.held},
				     {"streams_held", h.info.streams},
				     {"counters", counters_json(hold_schema(), h.counters.data(), HOLD_COUNTER_MAX)},
				     {"hold_time_us_log2", h.times},
				     {"hold_time_sum_us", h.time_sum_us},
				     {"queue", queue_json(h)}};
	}
	return {{"clone", std::move(clone)},
		{"relay", std::move(relay)},
		{"dnat", std::move(dnat)},
		{"eliminate", std::move(eliminate)}};
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

// One device's counters (or all devices', for a total-scope family).
struct CounterRow {
	std::string device;
	const __u64 *values;
};

void help_type(std::ostringstream &o, const std::string &name, const char *type, const char *help)
{
	o << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n";
}

// Every family of a schema: HELP and TYPE once, then one sample per row
// and counter of the family (a total-scope family from totals alone).
void schema_lines(std::ostringstream &o, const CounterSchema &schema, const std::vector<CounterRow> &rows,
		  const __u64 *totals = nullptr)
{
	for (const CounterFamily &f : schema.families) {
		std::string metric = schema.metric(f);
		help_type(o, metric, "counter", f.help);
		bool total = f.scope == CounterFamily::Scope::total;
		if (total && (!totals || rows.empty()))
			continue;
		std::vector<CounterRow> series = total ? std::vector<CounterRow>{{"", totals}} : rows;
		for (const CounterRow &row : series)
			for (const Counter &c : schema.counters) {
				if (std::string(c.family) != f.name)
					continue;
				std::string labels;
				if (!total)
					labels = "device=\"" + label_value(row.device) + "\"";
				if (*f.label)
					labels += (labels.empty() ? "" : ",") + std::string(f.label) + "=\"" + c.name + "\"";
				o << metric << (labels.empty() ? "" : "{" + labels + "}") << " " << row.values[c.id]
				  << "\n";
			}
	}
}

// A histogram of log2 microsecond buckets (bucket b: below 2^b us, the last
// one everything longer), in seconds; one series per (device, buckets) row,
// no device label for "".
void log2_histogram(std::ostringstream &o, const char *name, const char *help,
		    const std::vector<std::pair<std::string, const __u64 *>> &rows, unsigned nbuckets,
		    const std::vector<__u64> &sums_us)
{
	help_type(o, name, "histogram", help);
	for (size_t r = 0; r < rows.size(); r++) {
		std::string dev = rows[r].first.empty() ? "" : "device=\"" + label_value(rows[r].first) + "\"";
		std::string sep = dev.empty() ? "" : ",";
		__u64 cumulative = 0;
		for (unsigned b = 0; b < nbuckets; b++) {
			cumulative += rows[r].second[b];
			o << name << "_bucket{" << dev << sep << "le=\"";
			if (b + 1 == nbuckets)
				o << "+Inf";
			else
				o << (1ull << b) / 1e6;
			o << "\"} " << cumulative << "\n";
		}
		std::string labels = dev.empty() ? "" : "{" + dev + "}";
		o << name << "_sum" << labels << " " << sums_us[r] / 1e6 << "\n"
		  << name << "_count" << labels << " " << cumulative << "\n";
	}
}

// A state as a label value: "no reports" is no_reports, as the
// adaptive_copies reason that counts its copies.
std::string prom_state(std::string state)
{
	std::replace(state.begin(), state.end(), ' ', '_');
	return state;
}

template <typename Items, typename Name, typename Values>
std::vector<CounterRow> rows_of(const Items &items, Name name, Values values)
{
	std::vector<CounterRow> rows;
	for (const auto &item : items)
		rows.push_back({name(item), values(item)});
	return rows;
}

}  // namespace

std::string stats_prometheus(const Report &rep)
{
	std::ostringstream o;
	// Samples even for an idle site: a scrape that finds nothing attached
	// still says which build answered, and that nothing runs.
	help_type(o, "dupgre_build_info", "gauge", "The dupgre-ctl that answered (1), by version.");
	o << "dupgre_build_info{version=\"" << label_value(DUPGRE_VERSION) << "\"} 1\n";
	auto attached_count = [](const auto &items, auto attached) {
		return std::count_if(items.begin(), items.end(), attached);
	};
	help_type(o, "dupgre_program_attached", "gauge", "Devices each of dupgre's programs runs on now.");
	o << "dupgre_program_attached{program=\"clone\"} "
	  << attached_count(rep.clone, [](const CloneReport &r) { return r.status.state() == "attached"; }) << "\n"
	  << "dupgre_program_attached{program=\"relay\"} "
	  << attached_count(rep.relay, [](const RelayLink &l) { return l.attached; }) << "\n"
	  << "dupgre_program_attached{program=\"dnat\"} "
	  << attached_count(rep.dnat, [](const DnatStatus &d) { return d.attached; }) << "\n"
	  << "dupgre_program_attached{program=\"eliminate\"} "
	  << attached_count(rep.eliminate, [](const ElimPath &p) { return p.attached; }) << "\n";
	schema_lines(o, clone_schema(),
		     rows_of(rep.clone, [](const CloneReport &r) { return r.status.device; },
			     [](const CloneReport &r) { return r.counters.data(); }));
	help_type(o, "dupgre_clone_peers", "gauge", "Peers whose packets the clone program copies.");
	for (const CloneReport &r : rep.clone)
		o << "dupgre_clone_peers{device=\"" << label_value(r.status.device) << "\"} " << r.status.peers
		  << "\n";
	help_type(o, "dupgre_clone_attached", "gauge",
		  "Whether the clone program is attached and running (1) or not (0).");
	for (const CloneReport &r : rep.clone)
		o << "dupgre_clone_attached{device=\"" << label_value(r.status.device) << "\"} "
		  << (r.status.state() == "attached" ? 1 : 0) << "\n";
	// A state set (OpenMetrics' StateSet as a gauge): every state the
	// peer's policy can be in (copy_states), 1 for the one it is in now, 0
	// for the others. Not one series whose state label changes: a change
	// of state is then a change of value in the same series, nothing goes
	// stale or appears, and avg_over_time(...{state="copying"}[1d]) is the
	// share of the day spent copying. Peers without a policy (always) have
	// no series, as in status; the set is as large as the configuration
	// (at most DUPGRE_MAX_PEERS per device), not the traffic.
	help_type(o, "dupgre_clone_copy_policy_state", "gauge",
		  "The copy policy of each peer that has one, and what it does now (1; its other states 0): "
		  "copying, sampling (one packet in copy_sample), quiet (none) or no_reports (fail-safe: every "
		  "packet) for adaptive.");
	int64_t now = monotonic_ns();
	for (const CloneReport &r : rep.clone)
		for (const auto &[addr, v] : r.copy) {
			CopyMode mode = decode(v).mode;
			std::string current = copy_state(v, now);
			for (const std::string &state : copy_states(mode))
				o << "dupgre_clone_copy_policy_state{device=\"" << label_value(r.status.device)
				  << "\",peer=\"" << addr.str() << "\",policy=\"" << copy_mode_name(mode)
				  << "\",state=\"" << prom_state(state) << "\"} " << (state == current ? 1 : 0) << "\n";
		}
	schema_lines(o, relay_schema(),
		     rows_of(rep.relay, [](const RelayLink &l) { return l.name; },
			     [](const RelayLink &l) { return l.counters.data(); }));
	schema_lines(o, dnat_schema(),
		     rows_of(rep.dnat, [](const DnatStatus &d) { return d.device; },
			     [](const DnatStatus &d) { return d.counters.data(); }));
	schema_lines(o, elim_schema(),
		     rows_of(rep.eliminate, [](const ElimPath &p) { return p.name; },
			     [](const ElimPath &p) { return p.counters.data(); }),
		     rep.elim_totals.data());
	std::vector<CounterRow> hold_rows;
	if (rep.hold)
		hold_rows.push_back({"", rep.hold->counters.data()});
	schema_lines(o, hold_schema(), hold_rows, rep.hold ? rep.hold->counters.data() : nullptr);
	help_type(o, "dupgre_hold_running", "gauge", "Whether the order stage's holder runs (1) or not (0).");
	help_type(o, "dupgre_hold_wait_seconds", "gauge", "How long the holder waits for a gap now.");
	help_type(o, "dupgre_hold_held_packets", "gauge", "Packets the holder holds now.");
	help_type(o, "dupgre_hold_wait_gave_up", "gauge",
		  "Whether the auto wait waits for nothing (1): most copies come after the longest wait.");
	if (rep.hold)
		o << "dupgre_hold_running " << (rep.hold->running ? 1 : 0) << "\ndupgre_hold_wait_seconds "
		  << rep.hold->info.wait_us / 1e6 << "\ndupgre_hold_held_packets " << rep.hold->info.held
		  << "\ndupgre_hold_wait_gave_up " << (rep.hold->info.gave_up ? 1 : 0) << "\n";
	// The kernel's own counts for the holder's NFQUEUE (zero while none is
	// bound; they start over when a holder binds anew).
	help_type(o, "dupgre_hold_queue_packets", "gauge",
		  "Packets in the kernel's NFQUEUE waiting for the holder's verdict now (queue_total).");
	help_type(o, "dupgre_hold_queue_dropped_packets_total", "counter",
		  "Packets the kernel's NFQUEUE dropped because it was full (queue_dropped; the holder's fail-open "
		  "passes them unordered instead).");
	help_type(o, "dupgre_hold_queue_user_dropped_packets_total", "counter",
		  "Packets the kernel could not hand to the holder because its socket buffer was full (user_dropped).");
	if (rep.hold) {
		NfqueueStats q = rep.hold->queue.value_or(NfqueueStats{});
		o << "dupgre_hold_queue_packets " << q.total << "\ndupgre_hold_queue_dropped_packets_total " << q.dropped
		  << "\ndupgre_hold_queue_user_dropped_packets_total " << q.user_dropped << "\n";
	}
	log2_histogram(o, "dupgre_hold_time_seconds", "How long the holder held the packets it released.",
		       rep.hold ? std::vector<std::pair<std::string, const __u64 *>>{{"", rep.hold->times.data()}}
				: std::vector<std::pair<std::string, const __u64 *>>{},
		       HOLD_TIME_BUCKETS, rep.hold ? std::vector<__u64>{rep.hold->time_sum_us} : std::vector<__u64>{});
	// Per stream series would be unbounded (one per PPTP call): JSON only.
	std::vector<std::pair<std::string, const __u64 *>> gap_rows;
	std::vector<__u64> gap_sums;
	for (const ElimPath &p : rep.eliminate) {
		gap_rows.push_back({p.name, p.gaps.data()});
		gap_sums.push_back(p.gap_sum_us);
	}
	log2_histogram(o, "dupgre_eliminate_copy_gap_seconds",
		       "How much later the second copy of a packet arrived, by the path it arrived on.", gap_rows,
		       ELIM_GAP_BUCKETS, gap_sums);
	return o.str();
}

}  // namespace dupgre
