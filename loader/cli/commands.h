// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// dupgre-ctl's commands: one options struct each (xdp-tools' way), filled
// by the parser in main.cpp, and the function that runs it.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace dupgre {

// Options every command takes, before or after its name.
struct GlobalOptions {
	bool json = false;
	bool pretty = false;  // implies json
	bool debug = false;
	std::string config;   // hook, config and check: the configuration file
	bool config_given = false;  // by --config or $DUPGRE_CONFIG, not the default
};

struct AttachOptions {
	std::string dev, clone_to, snat;
	std::string tunnel = "pptp";  // pptp or wireguard
	bool set_rp_filter = false;
};
struct DetachOptions {
	std::string dev;
	bool keep_peers = false;
};
struct PeerOptions {
	std::string dev;
	std::vector<std::string> addrs;
	std::string tunnel;  // empty: the device's, else pptp
	std::string copy = "always", copy_rate;
	unsigned copy_max_size = 0, copy_sample = 16, copy_quiet_ms = 10000, copy_stale_ms = 3000;
};
struct RelayOptions {
	std::string dev;
	std::vector<std::string> peers;
	bool set_rp_filter = false;
};
struct DnatOptions {
	std::string dev, mapping;
	bool set_rp_filter = false;
};
struct EliminateOptions {
	std::string dev, mode, wait;  // wait: "auto" or milliseconds
	std::string tunnel;           // empty: the running one, else pptp
	std::optional<unsigned> port; // wireguard: the server's port
	std::optional<unsigned> window, reset_ms;
	bool set_rp_filter = false;
};
struct DevOptions {  // status, stats, and the removals
	std::string dev;
	std::string format = "text";  // stats only
	std::string textfile;         // stats only: write DIR/dupgre.prom instead
};
struct ServeOptions {
	std::string listen = "127.0.0.1:9473";
	unsigned window = 60;            // seconds the derived gauges cover
	unsigned max_connections = 64;
};
struct TopOptions {
	std::string dev;
};
struct AdaptOptions {};
struct HoldOptions {
	unsigned queue_len = 8192, max_held_stream = 2048, max_held = 8192;
};
struct CheckOptions {
	unsigned live_seconds = 0;  // 0: the state only, no sampling
};
struct ApplyOptions {
	bool dry_run = false;
	std::vector<std::string> down;  // devices going away (still up during ip-down, if-down)
};
struct HookOptions {
	std::string event;
	std::vector<std::string> args;  // pppd's, or link-up/link-down's DEV
};

// Each throws dupgre::Error on bad input or failure (one line, nothing
// changed); CheckFailed when `check` found a problem it already printed.
struct CheckFailed {};

void cmd_attach(const GlobalOptions &g, const AttachOptions &o);
void cmd_detach(const GlobalOptions &g, const DetachOptions &o);
void cmd_peer_add(const GlobalOptions &g, const PeerOptions &o);
void cmd_peer_del(const GlobalOptions &g, const PeerOptions &o);
void cmd_peer_list(const GlobalOptions &g, const PeerOptions &o);
void cmd_relay_add(const GlobalOptions &g, const RelayOptions &o);
void cmd_relay_del(const GlobalOptions &g, const RelayOptions &o);
void cmd_relay_list(const GlobalOptions &g);
void cmd_dnat(const GlobalOptions &g, const DnatOptions &o);
void cmd_dnat_del(const GlobalOptions &g, const DevOptions &o);
void cmd_eliminate_add(const GlobalOptions &g, const EliminateOptions &o);
void cmd_eliminate_del(const GlobalOptions &g, const DevOptions &o);
void cmd_status(const GlobalOptions &g, const DevOptions &o);
void cmd_stats(const GlobalOptions &g, const DevOptions &o);
// serve_http.cpp, top.cpp: run until SIGTERM/SIGINT, or q.
void cmd_serve(const GlobalOptions &g, const ServeOptions &o);
void cmd_top(const GlobalOptions &g, const TopOptions &o);
// check.cpp (the binary: netlink through libmnl).
void cmd_check(const GlobalOptions &g, const CheckOptions &o);
void cmd_config(const GlobalOptions &g);
void cmd_flush(const GlobalOptions &g);
// Runs the order stage's holder until SIGTERM or SIGINT.
void cmd_hold(const GlobalOptions &g, const HoldOptions &o);
void cmd_adapt(const GlobalOptions &g, const AdaptOptions &o);
// apply.cpp: the site made to match the configuration; CheckFailed when
// a step failed (each said).
void cmd_apply(const GlobalOptions &g, const ApplyOptions &o);
// Never throws, whatever goes wrong: pppd, ifupdown or systemd must not fail the link.
void cmd_hook(const GlobalOptions &g, const HookOptions &o);

}  // namespace dupgre
