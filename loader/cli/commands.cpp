// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "cli/commands.h"

#include <chrono>
#include <csignal>
#include <iostream>
#include <optional>
#include <thread>

#include "site/config.h"
#include "cli/hook.h"
#include "observe/report.h"
#include "site/link_record.h"
#include "observe/textfile.h"
#include "core/addr.h"
#include "core/bpffs.h"
#include "core/error.h"
#include "core/lock.h"
#include "core/netdev.h"
#include "core/tc.h"

namespace dupgre {

namespace {

std::vector<Ipv4> parse_addrs(const std::vector<std::string> &texts)
{
	std::vector<Ipv4> out;
	for (const auto &t : texts) {
		Ipv4 a = parse_ipv4(t);
		if (!a.is_unicast())
			throw UsageError("'" + t + "' is not a unicast IPv4 address");
		out.push_back(a);
	}
	return out;
}

// The tunnel a peer command is about: --tunnel, else the device's, else PPTP.
Tunnel peer_tunnel(const PeerOptions &o)
{
	if (!o.tunnel.empty())
		return parse_tunnel(o.tunnel);
	return CloneState(o.dev).tunnel().value_or(Tunnel::pptp);
}

std::vector<Endpoint> parse_endpoints(const std::vector<std::string> &texts)
{
	std::vector<Endpoint> out;
	for (const auto &t : texts)
		out.push_back(parse_endpoint(t, WG_DEFAULT_PORT));
	return out;
}

// PPTP peers are IPv4 addresses: say what to do with a WireGuard endpoint.
std::vector<Ipv4> parse_pptp_peers(const PeerOptions &o)
{
	for (const auto &t : o.addrs)
		if (t.find(':') != std::string::npos)
			throw UsageError("'" + t + "': a port or an IPv6 address is for WireGuard peers (" + o.dev +
				    " clones PPTP; attach or peer add with --tunnel wireguard)");
	return parse_addrs(o.addrs);
}

void print_json(const GlobalOptions &g, const Json &j)
{
	std::cout << j.dump(g.pretty ? 2 : -1) << "\n";
}

// The result of a command that changes state: nothing in text, unless it
// has something to say; an object in JSON.
void done(const GlobalOptions &g, const Json &j, const std::string &text = "")
{
	if (g.json)
		print_json(g, j);
	else if (!text.empty())
		std::cout << text << "\n";
}

// The end of every removal command: nothing to remove is fine (ip-down may
// run without ip-up), unless the device never existed either.
void removed(const GlobalOptions &g, const std::string &dev, bool had, const char *what)
{
	if (!had && !find_device(dev))
		throw Error("unknown device '" + dev + "'");
	done(g, {{"device", dev}, {"removed", had}}, had ? "" : dev + ": no " + what);
}

// Order mode with no holder orders nothing: packets after a gap pass
// unordered (--queue-bypass). A holder started just before writes its
// heartbeat within 100 ms of seeing eliminate's state, so it gets a second.
bool holder_runs()
{
	using clock = std::chrono::steady_clock;
	auto deadline = clock::now() + std::chrono::seconds(1);
	for (;;) {
		{
			StateLock lock(StateLock::Mode::shared);
			if (EliminateState().hold().running)
				return true;
		}
		if (clock::now() >= deadline)
			return false;
		std::this_thread::sleep_for(std::chrono::milliseconds(50));  // a map, no event to wait on
	}
}

// For commands that read or trim state: fine on a device that is gone (its
// state may outlive it), an error on a name that never had either.
void require_known(const std::string &dev)
{
	if (!CloneState(dev).exists() && !find_device(dev))
		throw Error("unknown device '" + dev + "'");
}

}  // namespace

namespace {

void print_status(const GlobalOptions &g, const Report &r)
{
	if (g.json)
		print_json(g, status_json(r, display_path(state_root())));
	else
		std::cout << status_text(r);
}

}  // namespace

void cmd_attach(const GlobalOptions &g, const AttachOptions &o)
{
	std::optional<std::pair<Ipv4, Ipv4>> snat;
	if (!o.snat.empty())
		snat = parse_mapping(o.snat, "--snat PRIVATE=PUBLIC");
	Tunnel tunnel = parse_tunnel(o.tunnel);
	StateLock lock(StateLock::Mode::exclusive);
	NetDevice dev = require_device(o.dev);
	NetDevice target = require_device(o.clone_to);
	CloneState(o.dev).attach(dev, target, snat, tunnel);
	// Copies from the peer arrive on the clone target's link.
	if (o.set_rp_filter)
		relax_rp_filter(target.name);
	done(g, {{"device", o.dev}, {"clone_to", o.clone_to}, {"tunnel", tunnel_name(tunnel)}});
}

void cmd_detach(const GlobalOptions &g, const DetachOptions &o)
{
	StateLock lock(StateLock::Mode::exclusive);
	removed(g, o.dev, CloneState(o.dev).detach(o.keep_peers), "clone attached");
}

namespace {

CopyPolicy copy_policy_of(const PeerOptions &o)
{
	CopyPolicy p;
	p.mode = parse_copy_mode(o.copy);
	if (!o.copy_rate.empty())
		p.rate = parse_copy_rate(o.copy_rate);
	p.max_size = o.copy_max_size;
	p.sample = o.copy_sample;
	p.quiet_ms = o.copy_quiet_ms;
	p.stale_ms = o.copy_stale_ms;
	validate(p);
	return p;
}

}  // namespace

void cmd_peer_add(const GlobalOptions &g, const PeerOptions &o)
{
	CopyPolicy copy = copy_policy_of(o);
	StateLock lock(StateLock::Mode::exclusive);
	Tunnel tunnel = peer_tunnel(o);
	if (tunnel == Tunnel::wireguard) {
		auto eps = parse_endpoints(o.addrs);
		NetDevice dev = require_device(o.dev);
		CloneState(o.dev).add_endpoints(dev, eps, copy);
	} else {
		auto addrs = parse_pptp_peers(o);
		NetDevice dev = require_device(o.dev);
		CloneState(o.dev).add_peers(dev, addrs, copy);
	}
	done(g, {{"device", o.dev}, {"copy", copy.str()}});
}

void cmd_peer_del(const GlobalOptions &g, const PeerOptions &o)
{
	StateLock lock(StateLock::Mode::exclusive);
	Tunnel tunnel = peer_tunnel(o);
	if (tunnel == Tunnel::wireguard) {
		auto eps = parse_endpoints(o.addrs);
		require_known(o.dev);
		CloneState(o.dev).del_endpoints(eps);
	} else {
		auto addrs = parse_pptp_peers(o);
		require_known(o.dev);
		CloneState(o.dev).del_peers(addrs);
	}
	done(g, {{"device", o.dev}});
}

void cmd_peer_list(const GlobalOptions &g, const PeerOptions &o)
{
	StateLock lock(StateLock::Mode::shared);
	require_known(o.dev);
	CloneState state(o.dev);
	std::vector<std::string> peers;
	if (state.tunnel() == Tunnel::wireguard)
		for (const Endpoint &e : state.endpoints())
			peers.push_back(e.str());
	else
		for (const Ipv4 &p : state.peers())
			peers.push_back(p.str());
	Json j = Json::array();
	for (const auto &p : peers)
		j.push_back(p);
	if (g.json)
		print_json(g, j);
	else
		for (const auto &p : peers)
			std::cout << p << "\n";
}

void cmd_relay_add(const GlobalOptions &g, const RelayOptions &o)
{
	std::vector<IpAddr> addrs;
	for (const auto &p : o.peers)
		addrs.push_back(parse_ipaddr(p));
	StateLock lock(StateLock::Mode::exclusive);
	NetDevice dev = require_device(o.dev);
	RelayState().add(dev, addrs);
	if (o.set_rp_filter)
		relax_rp_filter(dev.name);
	done(g, {{"device", o.dev}});
}

void cmd_relay_del(const GlobalOptions &g, const RelayOptions &o)
{
	std::vector<IpAddr> addrs;
	for (const auto &p : o.peers)
		addrs.push_back(parse_ipaddr(p));
	StateLock lock(StateLock::Mode::exclusive);
	removed(g, o.dev, RelayState().del(o.dev, addrs), "relay registered");
}

void cmd_relay_list(const GlobalOptions &g)
{
	StateLock lock(StateLock::Mode::shared);
	Report r;
	r.relay = RelayState().links();
	print_status(g, r);
}

void cmd_dnat(const GlobalOptions &g, const DnatOptions &o)
{
	if (o.dev.empty() || o.mapping.empty())
		throw UsageError("usage: dupgre-ctl dnat --dev DEV PUBLIC=PRIVATE, or dnat del --dev DEV");
	auto [pub, priv] = parse_mapping(o.mapping, "PUBLIC=PRIVATE");
	StateLock lock(StateLock::Mode::exclusive);
	NetDevice dev = require_device(o.dev);
	DnatState(o.dev).attach(dev, pub, priv);
	if (o.set_rp_filter)
		relax_rp_filter(dev.name);
	done(g, {{"device", o.dev}});
}

void cmd_dnat_del(const GlobalOptions &g, const DevOptions &o)
{
	StateLock lock(StateLock::Mode::exclusive);
	removed(g, o.dev, DnatState(o.dev).detach(), "dnat attached");
}

void cmd_eliminate_add(const GlobalOptions &g, const EliminateOptions &o)
{
	std::optional<StateLock> lock(std::in_place, StateLock::Mode::exclusive);
	NetDevice dev = require_device(o.dev);
	std::optional<ElimMode> mode;
	if (!o.mode.empty())
		mode = parse_mode(o.mode);
	std::optional<unsigned> wait_ms;
	if (o.wait == "auto") {
		wait_ms = 0;
	} else if (!o.wait.empty()) {
		size_t end = 0;
		unsigned long ms = 0;
		try {
			ms = std::stoul(o.wait, &end);
		} catch (const std::exception &) {
		}
		if (end != o.wait.size() || ms < 1 || ms > 10000)
			throw UsageError("--wait must be auto or 1 to 10000 ms, not '" + o.wait + "'");
		wait_ms = static_cast<unsigned>(ms);
	}
	std::optional<Tunnel> tunnel;
	if (!o.tunnel.empty())
		tunnel = parse_tunnel(o.tunnel);
	auto before = EliminateState().settings();
	EliminateState().add(dev, mode, o.window, o.reset_ms, wait_ms, tunnel, o.port);
	if (o.set_rp_filter)
		relax_rp_filter(dev.name);
	auto running = EliminateState().settings();
	// Every path receives copies of the same streams, so one mode is right
	// for all; changing it from one path changes it for the others, said.
	if (before && running && before->mode != running->mode) {
		std::string others;
		for (const ElimPath &p : EliminateState().paths())
			if (p.name != dev.name)
				others += (others.empty() ? "" : ", ") + p.name;
		if (!others.empty())
			std::cerr << "dupgre-ctl: note: mode " << mode_name(running->mode) << " (was "
				  << mode_name(before->mode) << ") now applies to " << others
				  << " too: every path carries copies of the same streams\n";
	}
	// The wait for a holder must not keep other commands (hooks) waiting.
	lock.reset();
	if (running && running->mode == ElimMode::order && !holder_runs())
		std::cerr << "dupgre-ctl: warning: order mode, but no holder runs in this network namespace: packets "
			     "after a gap pass unordered (start it: systemctl start dupgre-hold, on OpenWrt "
			     "/etc/init.d/dupgre-hold start, or dupgre-ctl hold)\n";
	done(g, {{"device", o.dev}});
}

void cmd_eliminate_del(const GlobalOptions &g, const DevOptions &o)
{
	StateLock lock(StateLock::Mode::exclusive);
	removed(g, o.dev, EliminateState().del(o.dev), "eliminate attached");
}

void cmd_status(const GlobalOptions &g, const DevOptions &o)
{
	StateLock lock(StateLock::Mode::shared);
	print_status(g, gather(o.dev));
}

void cmd_stats(const GlobalOptions &g, const DevOptions &o)
{
	StateLock lock(StateLock::Mode::shared);
	Report r = gather(o.dev);
	if (!o.textfile.empty()) {
		write_textfile(o.textfile, stats_prometheus(r));
		done(g, {{"textfile", o.textfile + "/" + textfile_name}});
	} else if (o.format == "prometheus")
		std::cout << stats_prometheus(r);
	else if (g.json || o.format == "json")
		print_json(g, stats_json(r));
	else
		std::cout << stats_text(r);
}

void cmd_config(const GlobalOptions &g)
{
	Config c = load_config(g.config);
	if (!g.json) {
		std::cout << g.config << ": OK (" << role_name(c.role) << ")\n";
		for (const auto &[key, value] : config_lines(c))
			std::cout << key << " = " << value << "\n";
		return;
	}
	// The same keys as the text, with JSON types: numbers, booleans, arrays
	// of addresses, relay as {DEV: [sites]}.
	Json j = {{"file", g.config}};
	auto addrs = [](const std::vector<IpAddr> &v) {
		Json a = Json::array();
		for (const IpAddr &x : v)
			a.push_back(x.str());
		return a;
	};
	for (const auto &[key, value] : config_lines(c)) {
		if (key == "tunnel_port")
			j[key] = c.tunnel_port;
		else if (key == "dual_mtu")
			j[key] = c.dual_mtu;
		else if (key == "client_mtu")
			j[key] = c.client_mtu;
		else if (key == "rp_filter")
			j[key] = c.rp_filter;
		else if (key == "clients")
			j[key] = addrs(c.clients);
		else if (key == "relay") {
			j[key] = Json::object();
			j["relay_kind"] = Json::object();
			for (const RelayLinkConf &l : c.relay) {
				j[key][l.dev] = addrs(l.sites);
				j["relay_kind"][l.dev] = dual_kind_name(l.kind);
			}
		} else
			j[key] = value;
	}
	print_json(g, j);
}

// Everything dupgre attached and pinned in this network namespace, gone:
// for uninstalling, and for tests' teardown.
void cmd_flush(const GlobalOptions &g)
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
	forget_all_devices();
	// What apply set on the dual links (MTU, rp_filter) put back.
	n += LinkRecord().restore_all();
	done(g, {{"removed", n}});
}

void cmd_hook(const GlobalOptions &g, const HookOptions &o)
{
	hook_command(o.event, o.args, g.config);
}

}  // namespace dupgre
