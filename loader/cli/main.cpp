// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// dupgre-ctl: attach, configure and inspect dupgre's eBPF programs.
#include <CLI/CLI.hpp>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdlib>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "core/addr.h"
#include "core/bpffs.h"
#include "cli/check.h"
#include "programs/clone.h"
#include "cli/config.h"
#include "programs/dnat.h"
#include "programs/eliminate.h"
#include "core/error.h"
#include "cli/hook.h"
#include "core/json.h"
#include "core/lock.h"
#include "core/netdev.h"
#include "programs/relay.h"
#include "cli/report.h"
#include "core/tc.h"

using namespace dupgre;

namespace {

struct Options {
	bool json = false;
	bool pretty = false;
	bool debug = false;
	std::string dev;
	std::string clone_to;
	std::vector<std::string> addrs;
	std::string format = "text";
	std::string snat;
	std::string mapping;
	bool set_rp_filter = false;
	std::string mode;
	std::optional<unsigned> window;
	std::optional<unsigned> reset_ms;
	bool keep_peers = false;
	std::string config = default_config_path;
	std::string event;
	std::vector<std::string> hook_args;
};

bool debug_output = false;

// libbpf's own messages would break the one-line error rule; -d shows them.
int libbpf_print(enum libbpf_print_level, const char *fmt, va_list args)
{
	return debug_output ? vfprintf(stderr, fmt, args) : 0;
}

void require_root()
{
	if (geteuid() != 0)
		throw Error("permission denied: dupgre-ctl must run as root (BPF, tc and bpffs)");
}

// `check` found a problem: already reported, exit 1 with no further line.
struct CheckFailed {};

std::vector<Ipv4> parse_addrs(const std::vector<std::string> &texts)
{
	std::vector<Ipv4> out;
	for (const auto &t : texts) {
		Ipv4 a = parse_ipv4(t);
		if (!a.is_unicast())
			throw Error("'" + t + "' is not a unicast IPv4 address");
		out.push_back(a);
	}
	return out;
}

// Prints the result of a command that changes state.
void done(const Options &o, const std::string &text, Json &&json)
{
	if (o.json)
		std::cout << json.str() << "\n";
	else if (!text.empty())
		std::cout << text << "\n";
}

void print_status(const Options &o, const Report &r)
{
	if (o.json) {
		Json j(o.pretty);
		status_json(j, r, display_path(state_root()));
		std::cout << j.str() << "\n";
	} else {
		std::cout << status_text(r);
	}
}

// The end of every removal command: nothing to remove is fine (ip-down may
// run without ip-up), unless the device never existed either.
void removed(const Options &o, bool had, const char *what)
{
	if (!had && !find_device(o.dev))
		throw Error("unknown device '" + o.dev + "'");
	Json j(o.pretty);
	j.begin_object().field("device", o.dev).field("removed", had).end_object();
	done(o, had ? "" : o.dev + ": no " + what, std::move(j));
}

void cmd_attach(const Options &o)
{
	std::optional<std::pair<Ipv4, Ipv4>> snat;
	if (!o.snat.empty())
		snat = parse_mapping(o.snat, "--snat PRIVATE=PUBLIC");
	StateLock lock(StateLock::Mode::exclusive);
	NetDevice dev = require_device(o.dev);
	NetDevice target = require_device(o.clone_to);
	CloneState(o.dev).attach(dev, target, snat);
	// Copies from the peer arrive on the clone target's link.
	if (o.set_rp_filter)
		relax_rp_filter(target.name);
	Json j(o.pretty);
	j.begin_object().field("device", o.dev).field("clone_to", o.clone_to).end_object();
	done(o, "", std::move(j));
}

void cmd_relay_add(const Options &o)
{
	auto addrs = parse_addrs(o.addrs);
	StateLock lock(StateLock::Mode::exclusive);
	NetDevice dev = require_device(o.dev);
	RelayState().add(dev, addrs);
	if (o.set_rp_filter)
		relax_rp_filter(dev.name);
	done(o, "", std::move(Json(o.pretty).begin_object().field("device", o.dev).end_object()));
}

void cmd_relay_del(const Options &o)
{
	auto addrs = parse_addrs(o.addrs);
	StateLock lock(StateLock::Mode::exclusive);
	removed(o, RelayState().del(o.dev, addrs), "relay registered");
}

void cmd_relay_list(const Options &o)
{
	StateLock lock(StateLock::Mode::shared);
	Report r;
	r.relay = RelayState().links();
	print_status(o, r);
}

void cmd_dnat(const Options &o)
{
	if (o.dev.empty() || o.mapping.empty())
		throw Error("usage: dupgre-ctl dnat --dev DEV PUBLIC=PRIVATE, or dnat del --dev DEV");
	auto [pub, priv] = parse_mapping(o.mapping, "PUBLIC=PRIVATE");
	StateLock lock(StateLock::Mode::exclusive);
	NetDevice dev = require_device(o.dev);
	DnatState(o.dev).attach(dev, pub, priv);
	if (o.set_rp_filter)
		relax_rp_filter(dev.name);
	done(o, "", std::move(Json(o.pretty).begin_object().field("device", o.dev).end_object()));
}

void cmd_dnat_del(const Options &o)
{
	StateLock lock(StateLock::Mode::exclusive);
	removed(o, DnatState(o.dev).detach(), "dnat attached");
}

void cmd_eliminate_add(const Options &o)
{
	StateLock lock(StateLock::Mode::exclusive);
	NetDevice dev = require_device(o.dev);
	std::optional<bool> drop;
	if (!o.mode.empty())
		drop = o.mode == "drop";
	EliminateState().add(dev, drop, o.window, o.reset_ms);
	if (o.set_rp_filter)
		relax_rp_filter(dev.name);
	done(o, "", std::move(Json(o.pretty).begin_object().field("device", o.dev).end_object()));
}

void cmd_eliminate_del(const Options &o)
{
	StateLock lock(StateLock::Mode::exclusive);
	removed(o, EliminateState().del(o.dev), "eliminate attached");
}

// Everything dupgre attached and pinned in this network namespace, gone:
// for uninstalling, and for tests' teardown.
void cmd_flush(const Options &o)
{
	StateLock lock(StateLock::Mode::exclusive);
	size_t n = 0;
	for (const auto &d : CloneState::devices())
		n += CloneState(d).detach();
	for (const RelayLink &l : RelayState().links())
		n += RelayState().del(l.name, {});
	for (const auto &d : DnatState::devices())
		n += DnatState(d).detach();
	for (const ElimPath &p : EliminateState().paths())
		n += EliminateState().del(p.name);
	forget_all_clsact();
	Json j(o.pretty);
	j.begin_object().field("removed", static_cast<uint64_t>(n)).end_object();
	done(o, "", std::move(j));
}

// pppd's ip-up.d/ip-down.d scripts call this; it never fails a connection.
void cmd_hook(const Options &o)
{
	PppLink link = ppp_link(o.hook_args);
	run_hook(o.event, link, load_config(o.config));
}

void cmd_config(const Options &o)
{
	Config c = load_config(o.config);
	static const char *const roles[] = {"primary", "secondary", "client"};
	Json j(o.pretty);
	j.begin_object().field("file", o.config).field("role", roles[static_cast<int>(c.role)]);
	if (!c.wan.empty())
		j.field("wan", c.wan);
	if (c.role != Role::secondary)
		j.field("dual_ipparam", c.dual_ipparam);
	if (c.client_remote)
		j.field("client_remote", c.client_remote->str());
	if (c.dual_remote)
		j.field("dual_remote", c.dual_remote->str());
	if (c.primary)
		j.field("primary", c.primary->str());
	if (c.snat)
		j.field("snat", c.snat->first.str() + "=" + c.snat->second.str());
	j.field("dual_mtu", c.dual_mtu).field("client_mtu", c.client_mtu).field("eliminate", c.eliminate)
		.field("rp_filter", c.rp_filter).end_object();
	if (o.json)
		std::cout << j.str() << "\n";
	else
		std::cout << o.config << ": OK (" << roles[static_cast<int>(c.role)] << ")\n";
}

void cmd_check(const Options &o)
{
	StateLock lock(StateLock::Mode::shared);
	auto results = run_checks();
	bool ok = true;
	Json j(o.pretty);
	j.begin_array();
	for (const CheckResult &r : results) {
		ok &= r.ok;
		if (o.json) {
			j.begin_object().field("ok", r.ok).field("check", r.what);
			if (!r.fix.empty())
				j.field("fix", r.fix);
			j.end_object();
		} else {
			std::cout << (r.ok ? "OK    " : "FAIL  ") << r.what
				  << (r.fix.empty() ? "" : "\n      fix: " + r.fix) << "\n";
		}
	}
	if (o.json)
		std::cout << j.end_array().str() << "\n";
	if (!ok)
		throw CheckFailed();
}

void cmd_detach(const Options &o)
{
	StateLock lock(StateLock::Mode::exclusive);
	removed(o, CloneState(o.dev).detach(o.keep_peers), "clone attached");
}

void cmd_peer_add(const Options &o)
{
	auto addrs = parse_addrs(o.addrs);
	StateLock lock(StateLock::Mode::exclusive);
	NetDevice dev = require_device(o.dev);
	CloneState(o.dev).add_peers(dev, addrs);
	done(o, "", std::move(Json(o.pretty).begin_object().field("device", o.dev).end_object()));
}

// For commands that read or trim state: fine on a device that is gone (its
// state may outlive it), an error on a name that never had either.
void require_known(const std::string &dev)
{
	if (!CloneState(dev).exists() && !find_device(dev))
		throw Error("unknown device '" + dev + "'");
}

void cmd_peer_del(const Options &o)
{
	auto addrs = parse_addrs(o.addrs);
	StateLock lock(StateLock::Mode::exclusive);
	require_known(o.dev);
	CloneState(o.dev).del_peers(addrs);
	done(o, "", std::move(Json(o.pretty).begin_object().field("device", o.dev).end_object()));
}

void cmd_peer_list(const Options &o)
{
	StateLock lock(StateLock::Mode::shared);
	require_known(o.dev);
	auto peers = CloneState(o.dev).peers();
	if (o.json) {
		Json j(o.pretty);
		j.begin_array();
		for (const Ipv4 &p : peers)
			j.value(p.str());
		std::cout << j.end_array().str() << "\n";
		return;
	}
	for (const Ipv4 &p : peers)
		std::cout << p.str() << "\n";
}

// Everything in this namespace, or what concerns --dev.
Report gather(const Options &o)
{
	Report r;
	for (const auto &d : CloneState::devices()) {
		if (!o.dev.empty() && d != o.dev)
			continue;
		CloneState state(d);
		r.clone.push_back({state.status(), state.counters()});
	}
	for (RelayLink &l : RelayState().links())
		if (o.dev.empty() || l.name == o.dev)
			r.relay.push_back(std::move(l));
	for (const auto &d : DnatState::devices())
		if (o.dev.empty() || d == o.dev)
			r.dnat.push_back(DnatState(d).status());
	EliminateState elim;
	for (ElimPath &p : elim.paths())
		if (o.dev.empty() || p.name == o.dev)
			r.eliminate.push_back(std::move(p));
	if (!r.eliminate.empty()) {
		r.elim_totals = elim.totals();
		r.elim_streams = elim.streams();
	}
	if (!o.dev.empty() && r.clone.empty() && r.relay.empty() && r.dnat.empty() && r.eliminate.empty())
		throw Error("no dupgre state for device '" + o.dev + "'");
	return r;
}

void cmd_status(const Options &o)
{
	StateLock lock(StateLock::Mode::shared);
	print_status(o, gather(o));
}

void cmd_stats(const Options &o)
{
	StateLock lock(StateLock::Mode::shared);
	Report r = gather(o);
	if (o.format == "prometheus") {
		std::cout << stats_prometheus(r);
	} else if (o.json || o.format == "json") {
		Json j(o.pretty);
		stats_json(j, r);
		std::cout << j.str() << "\n";
	} else {
		std::cout << stats_text(r);
	}
}

void print_error(bool json, const std::string &msg)
{
	if (json)
		std::cout << Json().begin_object().field("error", msg).end_object().str() << "\n";
	else
		std::cerr << "dupgre-ctl: " << msg << "\n";
}

}  // namespace

int main(int argc, char **argv)
{
	Options o;
	// Known before parsing, so that even a usage error is valid JSON.
	for (int i = 1; i < argc; i++) {
		std::string a = argv[i];
		if (a == "-j" || a == "--json" || a == "-p" || a == "--pretty")
			o.json = true;
	}

	if (const char *path = getenv("DUPGRE_CONFIG"))
		o.config = path;
	CLI::App app{"dupgre-ctl: duplicate PPTP tunnel packets over a second path with eBPF"};
	app.set_version_flag("--version", DUPGRE_VERSION);
	app.add_flag("-j,--json", o.json, "JSON output (errors too)");
	app.add_flag("-p,--pretty", o.pretty, "pretty-printed JSON output (implies --json)");
	app.add_flag("-d,--debug", o.debug, "print libbpf's and the verifier's messages");
	app.require_subcommand(1);

	std::vector<std::pair<CLI::App *, void (*)(const Options &)>> commands;
	auto dev_option = [&](CLI::App *cmd, bool required) {
		auto *opt = cmd->add_option("--dev", o.dev, "network device (egress of the tunnel's transport)");
		if (required)
			opt->required();
	};

	auto rp_option = [&](CLI::App *cmd, const char *where) {
		cmd->add_flag("--set-rp-filter", o.set_rp_filter,
			      std::string("set rp_filter on ") + where + " to loose (2) if it is strict");
	};

	auto *attach = app.add_subcommand("attach", "attach the clone program to DEV's egress, or retarget it");
	dev_option(attach, true);
	attach->add_option("--clone-to", o.clone_to, "tunnel device that receives the copies")->required();
	attach->add_option("--snat", o.snat, "PRIVATE=PUBLIC: copies from PRIVATE leave with source PUBLIC (1:1 NAT)");
	rp_option(attach, "the clone target");
	commands.emplace_back(attach, cmd_attach);

	auto *relay = app.add_subcommand("relay", "secondary server: send copies out of their destination's link");
	relay->require_subcommand(1);
	auto *relay_add = relay->add_subcommand("add", "dual link DEV leads to the site at ADDR");
	dev_option(relay_add, true);
	relay_add->add_option("--peer", o.addrs, "the site's public IPv4 address")->required();
	rp_option(relay_add, "DEV");
	commands.emplace_back(relay_add, cmd_relay_add);
	auto *relay_del = relay->add_subcommand("del", "unregister DEV (or only --peer ADDR)");
	dev_option(relay_del, true);
	relay_del->add_option("--peer", o.addrs, "only this site");
	commands.emplace_back(relay_del, cmd_relay_del);
	auto *relay_list = relay->add_subcommand("list", "registered links and their sites");
	commands.emplace_back(relay_list, cmd_relay_list);

	auto *dnat = app.add_subcommand("dnat", "1:1 NAT fix: rewrite packets entering DEV for PUBLIC to PRIVATE");
	dev_option(dnat, false);
	dnat->add_option("mapping", o.mapping, "PUBLIC=PRIVATE");
	rp_option(dnat, "DEV");
	auto *dnat_del = dnat->add_subcommand("del", "remove the rewrite from DEV");
	dev_option(dnat_del, true);
	commands.emplace_back(dnat_del, cmd_dnat_del);
	commands.emplace_back(dnat, cmd_dnat);

	auto *elim = app.add_subcommand("eliminate", "receiver: 802.1CB duplicate elimination and counters");
	elim->require_subcommand(1);
	auto *elim_add = elim->add_subcommand("add", "eliminate across DEV (where copies arrive)");
	dev_option(elim_add, true);
	elim_add->add_option("--mode", o.mode, "monitor (count only, default) or drop (discard duplicates)")
		->check(CLI::IsMember({"monitor", "drop"}));
	elim_add->add_option("--window", o.window, "sequence history, 2-64 (default 64)");
	elim_add->add_option("--reset-ms", o.reset_ms, "idle time after which any number is taken (default 1000)");
	rp_option(elim_add, "DEV");
	commands.emplace_back(elim_add, cmd_eliminate_add);
	auto *elim_del = elim->add_subcommand("del", "stop eliminating on DEV");
	dev_option(elim_del, true);
	commands.emplace_back(elim_del, cmd_eliminate_del);

	auto *flush = app.add_subcommand("flush", "detach everything and remove all state in this network namespace");
	flush->alias("uninstall-state");
	commands.emplace_back(flush, cmd_flush);

	app.add_option("--config", o.config, "configuration for hook and config (or $DUPGRE_CONFIG)")
		->capture_default_str();
	auto *hook = app.add_subcommand("hook", "pppd ip-pre-up/ip-up/ip-down: apply the configuration to a link; "
						"always exits 0");
	hook->add_option("event", o.event, "ip-pre-up, ip-up or ip-down")
		->required()
		->check(CLI::IsMember({"ip-pre-up", "ip-up", "ip-down"}));
	hook->add_option("pppd-args", o.hook_args,
			 "interface tty speed local remote ipparam (else PPP_IFACE... from the environment)");
	commands.emplace_back(hook, cmd_hook);
	auto *config = app.add_subcommand("config", "check the configuration file and show it");
	commands.emplace_back(config, cmd_config);

	auto *check = app.add_subcommand("check", "test every precondition: bpffs, BPF, tc, MTU, rp_filter, kernel");
	commands.emplace_back(check, cmd_check);

	auto *detach = app.add_subcommand("detach", "remove the clone program and all state for DEV");
	dev_option(detach, true);
	detach->add_flag("--keep-peers", o.keep_peers, "keep the peers for the next attach");
	commands.emplace_back(detach, cmd_detach);

	auto *peer = app.add_subcommand("peer", "the peers whose tunnel packets are cloned");
	peer->require_subcommand(1);
	auto *peer_add = peer->add_subcommand("add", "clone what goes to ADDR...");
	dev_option(peer_add, true);
	peer_add->add_option("addr", o.addrs, "peer public IPv4 address")->required();
	commands.emplace_back(peer_add, cmd_peer_add);
	auto *peer_del = peer->add_subcommand("del", "stop cloning what goes to ADDR...");
	dev_option(peer_del, true);
	peer_del->add_option("addr", o.addrs, "peer public IPv4 address")->required();
	commands.emplace_back(peer_del, cmd_peer_del);
	auto *peer_list = peer->add_subcommand("list", "list DEV's peers");
	dev_option(peer_list, true);
	commands.emplace_back(peer_list, cmd_peer_list);

	auto *status = app.add_subcommand("status", "what is attached where: peers, targets");
	dev_option(status, false);
	commands.emplace_back(status, cmd_status);

	auto *stats = app.add_subcommand("stats", "counters");
	dev_option(stats, false);
	stats->add_option("--format", o.format, "text, json or prometheus")
		->check(CLI::IsMember({"text", "json", "prometheus"}));
	commands.emplace_back(stats, cmd_stats);

	try {
		app.parse(argc, argv);
	} catch (const CLI::ParseError &e) {
		if (e.get_exit_code() == 0)
			return app.exit(e);
		print_error(o.json, e.what());
		return 2;
	}
	o.json = o.json || o.pretty;
	debug_output = o.debug;
	libbpf_set_print(libbpf_print);

	try {
		require_root();
		// The first parsed command in the list runs: a sub-subcommand
		// (dnat del) is listed before its parent.
		for (const auto &[cmd, run] : commands) {
			if (cmd->parsed()) {
				run(o);
				break;
			}
		}
	} catch (const CheckFailed &) {
		return 1;
	} catch (const std::exception &e) {
		print_error(o.json, e.what());
		// A hook must never fail the pppd connection it runs for.
		return hook->parsed() ? 0 : 1;
	}
	return 0;
}
