// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// dupgre-ctl: attach, configure and inspect dupgre's eBPF programs.
#include <CLI/CLI.hpp>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "addr.h"
#include "bpffs.h"
#include "clone_state.h"
#include "error.h"
#include "json.h"
#include "lock.h"
#include "netdev.h"
#include "report.h"

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

void cmd_attach(const Options &o)
{
	StateLock lock(StateLock::Mode::exclusive);
	NetDevice dev = require_device(o.dev);
	NetDevice target = require_device(o.clone_to);
	CloneState state(o.dev);
	state.attach(dev, target);
	Json j(o.pretty);
	j.begin_object().field("device", o.dev).field("clone_to", o.clone_to).end_object();
	done(o, "", std::move(j));
}

void cmd_detach(const Options &o)
{
	StateLock lock(StateLock::Mode::exclusive);
	CloneState state(o.dev);
	if (!state.exists() && !find_device(o.dev))
		throw Error("unknown device '" + o.dev + "'");
	bool had = state.detach();
	Json j(o.pretty);
	j.begin_object().field("device", o.dev).field("detached", had).end_object();
	done(o, had ? "" : o.dev + ": nothing attached", std::move(j));
}

void cmd_peer_add(const Options &o)
{
	auto addrs = parse_addrs(o.addrs);
	StateLock lock(StateLock::Mode::exclusive);
	NetDevice dev = require_device(o.dev);
	CloneState(o.dev).add_peers(dev, addrs);
	done(o, "", std::move(Json(o.pretty).begin_object().field("device", o.dev).end_object()));
}

void cmd_peer_del(const Options &o)
{
	auto addrs = parse_addrs(o.addrs);
	StateLock lock(StateLock::Mode::exclusive);
	CloneState(o.dev).del_peers(addrs);
	done(o, "", std::move(Json(o.pretty).begin_object().field("device", o.dev).end_object()));
}

void cmd_peer_list(const Options &o)
{
	StateLock lock(StateLock::Mode::shared);
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

std::vector<std::string> selected_devices(const Options &o)
{
	if (o.dev.empty())
		return CloneState::devices();
	CloneState state(o.dev);
	if (!state.exists())
		throw Error("no dupgre state for device '" + o.dev + "'");
	return {o.dev};
}

void cmd_status(const Options &o)
{
	StateLock lock(StateLock::Mode::shared);
	std::vector<CloneStatus> clone;
	for (const auto &d : selected_devices(o))
		clone.push_back(CloneState(d).status());
	if (o.json) {
		Json j(o.pretty);
		status_json(j, clone, display_path(state_root()));
		std::cout << j.str() << "\n";
	} else {
		std::cout << status_text(clone);
	}
}

void cmd_stats(const Options &o)
{
	StateLock lock(StateLock::Mode::shared);
	std::vector<CloneReport> clone;
	for (const auto &d : selected_devices(o)) {
		CloneState state(d);
		clone.push_back({state.status(), state.counters()});
	}
	if (o.format == "prometheus") {
		std::cout << stats_prometheus(clone);
	} else if (o.json || o.format == "json") {
		Json j(o.pretty);
		stats_json(j, clone);
		std::cout << j.str() << "\n";
	} else {
		std::cout << stats_text(clone);
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

	auto *attach = app.add_subcommand("attach", "attach the clone program to DEV's egress, or retarget it");
	dev_option(attach, true);
	attach->add_option("--clone-to", o.clone_to, "tunnel device that receives the copies")->required();
	commands.emplace_back(attach, cmd_attach);

	auto *detach = app.add_subcommand("detach", "remove the clone program and all state for DEV");
	dev_option(detach, true);
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
		for (const auto &[cmd, run] : commands)
			if (cmd->parsed())
				run(o);
	} catch (const std::exception &e) {
		print_error(o.json, e.what());
		return 1;
	}
	return 0;
}
