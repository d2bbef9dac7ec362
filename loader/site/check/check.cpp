// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// check from the state: what is attached in this namespace, each program
// and its hooks, then the configuration's checks (links.h).
#include "site/check/check.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <unistd.h>

#include <algorithm>

#include "core/bpffs.h"
#include "core/error.h"
#include "core/fd.h"
#include "core/kernel.h"
#include "core/netdev.h"
#include "core/tc.h"
#include "core/tcx.h"
#include "programs/clone.h"
#include "programs/dnat.h"
#include "programs/eliminate.h"
#include "programs/relay.h"
#include "site/check/links.h"

namespace dupgre {

namespace {

const char *const rp_names[] = {"off", "strict", "loose"};

CheckResult rp_check(const std::string &dev, const std::string &role)
{
	int rp = effective_rp_filter(dev);
	std::string what = "rp_filter on " + dev + " (" + role + ")";
	if (rp < 0)
		return {false, what + ": cannot read it", "is the device there?"};
	what += " is " + std::to_string(rp) + " (" + rp_names[std::min(rp, 2)] + ")";
	if (rp != 1)
		return {true, what, ""};
	return {false, what + ": copies arriving there are dropped",
		"sysctl -w net.ipv4.conf." + dev + ".rp_filter=2, or --set-rp-filter"};
}

void check_clone(std::vector<CheckResult> &out, const std::string &device)
{
	CloneStatus st = CloneState(device).status();
	std::string name = "clone on " + device;
	if (!st.info.attached) {
		out.push_back({true, name + ": peers only, not attached", ""});
		return;
	}
	if (st.state() != "attached") {
		out.push_back({false, name + ": stale (device or filter gone)",
			       "dupgre-ctl attach again, or dupgre-ctl detach --dev " + device});
		return;
	}
	out.push_back({true, name + ": attached, copies to " + st.info.target_name, ""});
	auto target = find_device(st.info.target_name);
	if (!st.target_present || !target) {
		out.push_back({false, name + ": clone target " + st.info.target_name + " is gone",
			       "dupgre-ctl attach --dev " + device + " --clone-to <new link>"});
		return;
	}
	if (!target->up || !target->running)
		out.push_back({false,
			       name + ": clone target " + target->name + " is " +
				       (target->up ? "without carrier (NO-CARRIER)" : "down") +
				       ": every copy is dropped (xmit_drops)",
			       "bring the dual link up (ip link show " + target->name +
				       "; a ppp or tun device has carrier while its daemon holds it)"});
	__u64 over = CloneState(device).counters()[CLONE_OVER_MTU];
	bool mtu_ok = target->mtu >= st.info.target_mtu && over == 0;
	out.push_back({mtu_ok, "MTU of " + target->name + ": " + std::to_string(target->mtu) +
				       (over ? ", " + std::to_string(over) + " copies were larger" : ""),
		       mtu_ok ? "" : "lower the MTU of the tunnel inside so packets fit, then attach again"});
	if (target->is_ppp()) {
		KernelVersion k = running_kernel();
		bool ok = redirect_strips_ppp_mac_header(k);
		out.push_back({ok, "kernel " + k.str() + " hands ppp devices bare IP packets on redirect",
			       ok ? "" : ppp_redirect_requirement()});
	}
	out.push_back(rp_check(target->name, "copies from the peer arrive here"));
}

// Order mode has two halves outside the programs: the rule that hands
// marked packets to NFQUEUE, and the holder that orders them. Without
// either, packets after a gap pass unordered and nothing else says so.
void check_order(std::vector<CheckResult> &out, const std::vector<ElimPath> &paths)
{
	auto order = std::find_if(paths.begin(), paths.end(), [](const ElimPath &p) { return p.info.order; });
	if (order == paths.end())
		return;
	HoldReport h = EliminateState().hold();
	if (h.running)
		out.push_back({true, "holder (order mode): running, pid " + std::to_string(h.info.pid), ""});
	else
		out.push_back({false, "holder (order mode): not running: packets after a gap pass unordered",
			       "start the holder: systemctl start dupgre-hold (OpenWrt: /etc/init.d/dupgre-hold start), "
			       "or dupgre-ctl hold"});
	if (auto where = nfqueue_rule_where(order_rule))
		out.push_back({true, "order rule: " + *where + " hands marked packets to NFQUEUE " +
					     std::to_string(ELIM_ORDER_QUEUE), ""});
	else
		out.push_back({false, "order rule: missing (a firewall flush?): packets after a gap pass unordered",
			       "dupgre-ctl eliminate add --dev " + order->name +
				       " --mode order (re-adds it; or restart the holder, which puts it back)"});
}

// The configuration's checks: skipped when the default file is absent
// (a site set up by hand), a failure when a named one cannot be read.
void check_config(std::vector<CheckResult> &out, const std::string &file, bool given)
{
	if (!given && access(file.c_str(), F_OK) != 0) {
		out.push_back({true, "no " + file + ": the configuration's checks skipped (--config FILE)", ""});
		return;
	}
	Config c;
	try {
		c = load_config(file);
	} catch (const Error &e) {
		out.push_back({false, e.what(), "dupgre-ctl config --config " + file + " (see dupgre.conf.example)"});
		return;
	}
	try {
		check_links(out, c, file);
	} catch (const Error &e) {
		out.push_back({false, file + ": " + e.what(), "dupgre-ctl -d check"});
	}
}

}  // namespace

std::vector<CheckResult> run_checks(const std::string &config, bool config_given)
{
	std::vector<CheckResult> out;
	try {
		out.push_back({true, "bpffs for pins: " + display_path(state_root()), ""});
	} catch (const Error &e) {
		out.push_back({false, std::string("bpffs: ") + e.what(), "mount -t bpf bpf /sys/fs/bpf"});
		return out;
	}
	Fd probe(bpf_map_create(BPF_MAP_TYPE_ARRAY, "dupgre_probe", 4, 4, 1, nullptr));
	bool bpf = bool(probe);
	out.push_back({bpf, bpf ? "BPF system call" : "BPF system call: " + strerror_text(probe.get()),
		       bpf ? "" : "a kernel with CONFIG_BPF_SYSCALL, run as root"});
	bool cls = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_SCHED_CLS, nullptr) == 1;
	out.push_back({cls, "tc BPF programs (cls_bpf)", cls ? "" : "CONFIG_NET_CLS_BPF and CONFIG_NET_SCH_INGRESS (clsact)"});
	// How programs attached from now on go on their hooks (core/tc.h).
	try {
		bool tcx = wanted_attach_mode() == AttachMode::tcx;
		out.push_back({true, tcx ? "TC hooks: tcx links"
				 : tcx_supported() ? "TC hooks: clsact and cls_bpf (DUPGRE_ATTACH=tc)"
						   : "TC hooks: clsact and cls_bpf (tcx needs Linux 6.6)",
			       ""});
	} catch (const Error &e) {
		out.push_back({false, std::string("TC hooks: ") + e.what(), "DUPGRE_ATTACH=tc, tcx or auto, or unset"});
	}

	for (const auto &d : CloneState::devices())
		check_clone(out, d);
	for (const RelayLink &l : RelayState().links()) {
		bool ok = l.attached;
		out.push_back({ok, "relay on " + l.name + (ok ? "" : ": link gone or filter missing"),
			       ok ? "" : "dupgre-ctl relay add --dev " + l.name + " --peer <site> (from ip-up)"});
	}
	auto elim_paths = EliminateState().paths();
	for (const ElimPath &p : elim_paths) {
		out.push_back({p.attached, "eliminate on " + p.name + (p.attached ? "" : ": device gone or filter missing"),
			       p.attached ? "" : "dupgre-ctl eliminate add --dev " + p.name + " (from ip-up)"});
		if (p.attached)
			out.push_back(rp_check(p.name, "copies arrive here"));
	}
	check_order(out, elim_paths);
	for (const auto &d : DnatState::devices()) {
		DnatStatus st = DnatState(d).status();
		out.push_back({st.attached, "DNAT on " + d + (st.attached ? "" : ": device gone or filter missing"),
			       st.attached ? "" : "dupgre-ctl dnat --dev " + d + " PUBLIC=PRIVATE"});
		if (st.attached)
			out.push_back(rp_check(d, "relayed copies arrive here"));
	}
	check_config(out, config, config_given);
	// The configuration's checks may repeat the state's (rp_filter on a
	// dual link): each once.
	std::vector<CheckResult> once;
	for (CheckResult &r : out)
		if (std::none_of(once.begin(), once.end(), [&](const CheckResult &o) { return o.what == r.what; }))
			once.push_back(std::move(r));
	return once;
}

}  // namespace dupgre
