// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// dupgre-ctl: attach, configure and inspect dupgre's eBPF programs. This
// file only parses: each command has its options struct and its function
// (commands.h), and global options work before or after the command.
#include <CLI/CLI.hpp>
#include <bpf/libbpf.h>
#include <syslog.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <string>

#include "cli/commands.h"
#include "cli/usage.h"
#include "site/config.h"
#include "observe/report.h"
#include "core/error.h"

using namespace dupgre;

namespace {

bool debug_output = false;

// libbpf's own messages would break the one-line error rule; -d shows them.
// (A printf format passed through: clang's -Wformat-nonliteral.)
__attribute__((format(printf, 2, 0))) int libbpf_print(enum libbpf_print_level, const char *fmt, va_list args)
{
	return debug_output ? vfprintf(stderr, fmt, args) : 0;
}

// Known before parsing, so that even a usage error is valid JSON: --json,
// --pretty, or a cluster of global short flags holding j or p (-j, -jp, -dp).
bool wants_json(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		std::string a = argv[i];
		if (a == "--")
			break;
		if (a == "--json" || a == "--pretty")
			return true;
		if (a.size() > 1 && a[0] == '-' && a[1] != '-' &&
		    a.find_first_not_of("jpd", 1) == std::string::npos &&
		    a.find_first_of("jp", 1) != std::string::npos)
			return true;
	}
	return false;
}

void print_error(bool json, const std::string &msg)
{
	if (json)
		std::cout << Json{{"error", msg}}.dump() << "\n";
	else
		std::cerr << "dupgre-ctl: " << msg << "\n";
}

struct Command {
	std::function<void()> run;
	bool needs_root = true;
};

// Every runnable command, by the parser node that names it; the deepest
// parsed node runs, so no order among them matters.
class Commands {
public:
	explicit Commands(GlobalOptions &g) : g_(g) {}

	template <typename Options>
	CLI::App *add(CLI::App *parent, const char *name, const char *help,
		      void (*fn)(const GlobalOptions &, const Options &), Options &o)
	{
		CLI::App *cmd = parent->add_subcommand(name, help);
		commands_[cmd] = {[this, fn, &o] { fn(g_, o); }};
		return cmd;
	}
	CLI::App *add(CLI::App *parent, const char *name, const char *help, void (*fn)(const GlobalOptions &),
		      bool needs_root = true)
	{
		CLI::App *cmd = parent->add_subcommand(name, help);
		commands_[cmd] = {[this, fn] { fn(g_); }, needs_root};
		return cmd;
	}
	const Command *parsed(CLI::App &app) const
	{
		CLI::App *leaf = &app;
		while (!leaf->get_subcommands().empty())
			leaf = leaf->get_subcommands().front();
		auto it = commands_.find(leaf);
		return it == commands_.end() ? nullptr : &it->second;
	}

private:
	GlobalOptions &g_;
	std::map<CLI::App *, Command> commands_;
};

CLI::Option *dev_option(CLI::App *cmd, std::string &dev, bool required = true)
{
	auto *opt = cmd->add_option("--dev", dev, "network device");
	return required ? opt->required() : opt;
}

void rp_option(CLI::App *cmd, bool &flag, const char *where)
{
	cmd->add_flag("--set-rp-filter", flag, std::string("set rp_filter on ") + where + " to loose (2) if it is strict");
}

}  // namespace

int main(int argc, char **argv)
{
	GlobalOptions g;
	g.json = wants_json(argc, argv);
	g.config = getenv("DUPGRE_CONFIG") ? getenv("DUPGRE_CONFIG") : default_config_path;

	CLI::App app{"dupgre-ctl: duplicate tunnel packets over a second path with eBPF"};
	// Subcommands made after this hand options they do not know to their
	// parent: the global ones work after the command too.
	app.fallthrough();
	app.set_version_flag("--version", [&g] { return version_text(g.json); },
			     "print the version, the git revision, libbpf's version and what the kernel offers");
	app.add_flag("-j,--json", g.json, "JSON output (errors too)");
	app.add_flag("-p,--pretty", g.pretty, "pretty-printed JSON output (implies --json)");
	app.add_flag("-d,--debug", g.debug, "print libbpf's and the verifier's messages");
	auto *config_opt = app.add_option("--config", g.config, "configuration for apply, hook, config and check (or $DUPGRE_CONFIG)")
		->capture_default_str();
	app.require_subcommand(1);
	Commands commands(g);

	AttachOptions attach;
	auto *c = commands.add(&app, "attach", "attach the clone program to DEV's egress, or retarget it",
			       cmd_attach, attach);
	dev_option(c, attach.dev);
	c->add_option("--clone-to", attach.clone_to, "tunnel device that receives the copies")->required();
	c->add_option("--snat", attach.snat, "PRIVATE=PUBLIC: copies from PRIVATE leave with source PUBLIC (1:1 NAT)");
	c->add_option("--tunnel", attach.tunnel, "the tunnel whose packets are cloned: pptp (default) or wireguard")
		->check(CLI::IsMember({"pptp", "wireguard"}));
	rp_option(c, attach.set_rp_filter, "the clone target");

	DetachOptions detach;
	c = commands.add(&app, "detach", "remove the clone program and all state for DEV", cmd_detach, detach);
	dev_option(c, detach.dev);
	c->add_flag("--keep-peers", detach.keep_peers, "keep the peers for the next attach");

	PeerOptions peer;
	auto *peer_cmd = app.add_subcommand("peer", "the peers whose tunnel packets are cloned");
	peer_cmd->require_subcommand(1);
	const char *peer_help = "pptp: the peer's public IPv4 address; wireguard: ADDR[:PORT] or [IPV6]:PORT, "
				"the server's endpoint (on the server: a client's address and the server's port; "
				"PORT defaults to 51820)";
	const char *peer_tunnel_help = "pptp or wireguard (default: the device's, else pptp)";
	c = commands.add(peer_cmd, "add", "clone what goes to ADDR...", cmd_peer_add, peer);
	dev_option(c, peer.dev);
	c->add_option("addr", peer.addrs, peer_help)->required();
	c->add_option("--tunnel", peer.tunnel, peer_tunnel_help)->check(CLI::IsMember({"pptp", "wireguard"}));
	c->add_option("--copy", peer.copy,
		      "which tunnel data packets are copied: always (default), budget (--copy-rate, "
		      "--copy-max-size) or adaptive (while the receiving site reports path A losing)")
		->check(CLI::IsMember({"always", "budget", "adaptive"}));
	c->add_option("--copy-rate", peer.copy_rate, "budget: bytes per second of copies (k, M, G: x1000)");
	c->add_option("--copy-max-size", peer.copy_max_size, "budget: copy only packets up to this many IP bytes")
		->check(CLI::Range(20, 65535));
	c->add_option("--copy-sample", peer.copy_sample,
		      "adaptive: while path A is clean, copy one packet in N (a power of 2; default 16; 0: none)");
	c->add_option("--copy-quiet-ms", peer.copy_quiet_ms,
		      "adaptive: keep copying this long after the last loss report (default 10000)");
	c->add_option("--copy-stale-ms", peer.copy_stale_ms,
		      "adaptive: copy everything when no report came for this long (default 3000)");
	c = commands.add(peer_cmd, "del", "stop cloning what goes to ADDR...", cmd_peer_del, peer);
	dev_option(c, peer.dev);
	c->add_option("addr", peer.addrs, peer_help)->required();
	c->add_option("--tunnel", peer.tunnel, peer_tunnel_help)->check(CLI::IsMember({"pptp", "wireguard"}));
	c = commands.add(peer_cmd, "list", "list DEV's peers", cmd_peer_list, peer);
	dev_option(c, peer.dev);

	RelayOptions relay;
	auto *relay_cmd = app.add_subcommand("relay", "secondary server: send copies out of their destination's link");
	relay_cmd->require_subcommand(1);
	c = commands.add(relay_cmd, "add", "dual link DEV leads to the site at ADDR", cmd_relay_add, relay);
	dev_option(c, relay.dev);
	c->add_option("--peer", relay.peers, "the site's public address, IPv4 or IPv6 (repeatable)")->required();
	rp_option(c, relay.set_rp_filter, "DEV");
	c = commands.add(relay_cmd, "del", "unregister DEV (or only --peer ADDR)", cmd_relay_del, relay);
	dev_option(c, relay.dev);
	c->add_option("--peer", relay.peers, "only this site");
	commands.add(relay_cmd, "list", "registered links and their sites", cmd_relay_list);

	DnatOptions dnat;
	auto *dnat_cmd = commands.add(&app, "dnat", "1:1 NAT fix: rewrite packets entering DEV for PUBLIC to PRIVATE",
				      cmd_dnat, dnat);
	dev_option(dnat_cmd, dnat.dev, false);
	dnat_cmd->add_option("mapping", dnat.mapping, "PUBLIC=PRIVATE");
	rp_option(dnat_cmd, dnat.set_rp_filter, "DEV");
	DevOptions dnat_del;
	c = commands.add(dnat_cmd, "del", "remove the rewrite from DEV", cmd_dnat_del, dnat_del);
	dev_option(c, dnat_del.dev);

	EliminateOptions elim;
	auto *elim_cmd = app.add_subcommand("eliminate", "receiver: 802.1CB duplicate elimination and counters");
	elim_cmd->require_subcommand(1);
	c = commands.add(elim_cmd, "add", "eliminate across DEV (where copies arrive)", cmd_eliminate_add, elim);
	dev_option(c, elim.dev);
	c->add_option("--mode", elim.mode,
		      "monitor (count only, default), drop (discard duplicates) or order (drop, and deliver in "
		      "sequence order through the holder, dupgre-ctl hold)")
		->check(CLI::IsMember({"monitor", "drop", "order"}));
	c->add_option("--wait", elim.wait, "order: how long a gap is waited for, auto (default) or MS");
	c->add_option("--tunnel", elim.tunnel,
		      "pptp (default) or wireguard (monitor and drop modes: WireGuard's receiver reorders)")
		->check(CLI::IsMember({"pptp", "wireguard"}));
	c->add_option("--port", elim.port, "wireguard: the server's UDP port, as source or destination (default 51820)")
		->check(CLI::Range(1u, 65535u));
	c->add_option("--window", elim.window, "sequence history, 2-64 (default 64)");
	c->add_option("--reset-ms", elim.reset_ms, "idle time after which any number is taken (default 1000)");
	rp_option(c, elim.set_rp_filter, "DEV");
	DevOptions elim_del;
	c = commands.add(elim_cmd, "del", "stop eliminating on DEV", cmd_eliminate_del, elim_del);
	dev_option(c, elim_del.dev);

	DevOptions status;
	c = commands.add(&app, "status", "what is attached where: peers, targets", cmd_status, status);
	dev_option(c, status.dev, false);

	DevOptions stats;
	c = commands.add(&app, "stats", "counters", cmd_stats, stats);
	dev_option(c, stats.dev, false);
	c->add_option("--format", stats.format, "text, json or prometheus")
		->check(CLI::IsMember({"text", "json", "prometheus"}));
	c->add_option("--textfile", stats.textfile,
		      "write the Prometheus exposition to DIR/dupgre.prom atomically (node_exporter's textfile collector)");

	ServeOptions serve;
	c = commands.add(&app, "serve", "Prometheus /metrics (and OpenMetrics) and /healthz over HTTP", cmd_serve,
			 serve);
	c->add_option("--listen", serve.listen, "ADDR:PORT or [ADDR]:PORT")->capture_default_str();
	c->add_option("--window", serve.window, "seconds the derived gauges (rates, loss, percentiles) cover")
		->capture_default_str();
	c->add_option("--max-connections", serve.max_connections, "connections served at once; more wait")
		->capture_default_str();

	TopOptions top;
	c = commands.add(&app, "top", "live view of rates, rescued, lost and copy gaps; q quits", cmd_top, top);
	dev_option(c, top.dev, false);

	CheckOptions check;
	c = commands.add(&app, "check", "test every precondition, each with its fix: bpffs, BPF, tc, kernel, and from "
					"--config each dual link's MTU room, WireGuard AllowedIPs, routes, rp_filter",
			 cmd_check, check);
	c->add_option("--live", check.live_seconds,
		      "also watch the datapath for SECONDS: copies failing, a clone copying nothing, relayed copies dropped")
		->check(CLI::Range(1u, 600u));
	commands.add(&app, "config", "check the configuration file and show it", cmd_config, false);
	commands.add(&app, "flush", "detach everything and remove all state in this network namespace", cmd_flush)
		->alias("uninstall-state");

	AdaptOptions adapt;
	commands.add(&app, "adapt",
		     "the adaptive copy policy's feedback: reports what this site's eliminate sees to the "
		     "copying peers, through the tunnel, and takes theirs (run by its service)",
		     cmd_adapt, adapt);

	HoldOptions hold;
	c = commands.add(&app, "hold", "order mode's holder: deliver packets after a gap in sequence order "
				       "(runs until SIGTERM; one per network namespace)",
			 cmd_hold, hold);
	c->add_option("--queue-len", hold.queue_len, "packets the kernel queues for the holder at most")
		->capture_default_str()
		->check(CLI::Range(64u, 65536u));
	c->add_option("--max-held", hold.max_held, "packets held in all before a gap is skipped early")
		->capture_default_str()
		->check(CLI::Range(16u, 65536u));
	c->add_option("--max-held-stream", hold.max_held_stream, "packets held per stream before its gap is skipped early")
		->capture_default_str()
		->check(CLI::Range(16u, 65536u));

	ApplyOptions apply;
	c = commands.add(&app, "apply", "make this site match --config: what is missing set up, what the "
					"configuration no longer wants undone; idempotent",
			 cmd_apply, apply);
	c->add_flag("--dry-run", apply.dry_run, "print the plan, change nothing");
	c->add_option("--down", apply.down, "a device going away (pppd's ip-down, ifupdown's if-down: still up)");

	HookOptions hook;
	c = commands.add(&app, "hook", "apply the configuration to a link: from pppd (ip-pre-up, ip-up, ip-down) or "
				       "for links the system brings up (link-up, link-down); always exits 0",
			 cmd_hook, hook);
	c->add_option("event", hook.event, "ip-pre-up, ip-up, ip-down, link-up or link-down")
		->required();  // an unknown one is logged, and the hook exits 0 still
	c->add_option("args", hook.args,
		      "pppd: interface tty speed local remote ipparam (else PPP_IFACE... from the environment); "
		      "link-up/link-down: DEV (else $IFACE, else $DEVICE)");
	CLI::App *hook_cmd = c;

	try {
		app.parse(argc, argv);
	} catch (const CLI::ParseError &e) {
		if (e.get_exit_code() == 0)
			return app.exit(e);
		std::string msg = explain_parse_error(app, argc, argv, e);
		print_error(g.json, msg);
		// A hook must never fail the link it runs for, nor go unheard.
		if (top_command(app, argc, argv) == "hook") {
			syslog(LOG_DAEMON | LOG_ERR, "dupgre: hook: %s", msg.c_str());
			return 0;
		}
		return 2;
	}
	g.json = g.json || g.pretty;
	g.config_given = config_opt->count() > 0 || getenv("DUPGRE_CONFIG");
	debug_output = g.debug;
	libbpf_set_print(libbpf_print);

	const Command *cmd = commands.parsed(app);
	try {
		if (!cmd)
			throw UsageError("no command given (dupgre-ctl --help lists them)");
		if (cmd->needs_root && geteuid() != 0)
			throw Error("permission denied: dupgre-ctl must run as root (BPF, tc and bpffs)");
		cmd->run();
	} catch (const CheckFailed &) {
		return 1;
	} catch (const UsageError &e) {
		print_error(g.json, e.what());
		return hook_cmd->parsed() ? 0 : 2;
	} catch (const std::exception &e) {
		print_error(g.json, e.what());
		// A hook must never fail the link it runs for.
		return hook_cmd->parsed() ? 0 : 1;
	}
	return 0;
}
