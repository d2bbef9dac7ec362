// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "site/reconcile.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "core/error.h"
#include "core/instance.h"
#include "core/netdev.h"
#include "core/spawn.h"
#include "programs/clone.h"
#include "programs/dnat.h"
#include "programs/relay.h"
#include "site/link_record.h"

namespace dupgre {

LinkFacts RunningSite::link(const std::string &dev) const
{
	auto it = links.find(dev);
	return it == links.end() ? LinkFacts{} : it->second;
}

const RunningSite::Clone *RunningSite::clone(const std::string &dev) const
{
	for (const Clone &c : clones)
		if (c.dev == dev)
			return &c;
	return nullptr;
}

std::string PlanStep::text() const
{
	return action + (dev.empty() ? "" : " --dev " + dev) + (detail.empty() ? "" : " " + detail);
}

namespace {

bool wireguard(const Config &c)
{
	return c.tunnel == Tunnel::wireguard;
}

// The endpoints whose WireGuard packets are cloned: the client's server,
// the server's clients, always at the server's port.
std::vector<Endpoint> wg_endpoints(const Config &c)
{
	std::vector<Endpoint> eps;
	if (c.role == Role::client)
		for (const IpAddr &a : c.primary)
			eps.push_back({a, c.tunnel_port});
	else
		for (const IpAddr &a : c.clients)
			eps.push_back({a, c.tunnel_port});
	return eps;
}

template <typename T> bool contains(const std::vector<T> &v, const T &x)
{
	return std::find(v.begin(), v.end(), x) != v.end();
}

// What `have` has that `want` lacks (stale), and what it lacks (missing).
template <typename T> std::pair<std::vector<T>, std::vector<T>> difference(const std::vector<T> &have,
									      const std::vector<T> &want)
{
	std::pair<std::vector<T>, std::vector<T>> d;
	for (const T &x : have)
		if (!contains(want, x))
			d.first.push_back(x);
	for (const T &x : want)
		if (!contains(have, x))
			d.second.push_back(x);
	return d;
}

template <typename T> std::string joined(const std::vector<T> &v)
{
	std::string s;
	for (const T &x : v)
		s += (s.empty() ? "" : " ") + x.str();
	return s;
}

// " --copy budget --copy-rate 125000": peer add's options for a policy.
std::string copy_options(const CopyPolicy &p)
{
	if (p.mode == CopyMode::always)
		return "";
	std::string s = std::string(" --copy ") + copy_mode_name(p.mode);
	if (p.rate)
		s += " --copy-rate " + std::to_string(p.rate);
	if (p.max_size)
		s += " --copy-max-size " + std::to_string(p.max_size);
	if (p.mode == CopyMode::adaptive && p != CopyPolicy{CopyMode::adaptive})
		s += " --copy-sample " + std::to_string(p.sample) + " --copy-quiet-ms " + std::to_string(p.quiet_ms) +
		     " --copy-stale-ms " + std::to_string(p.stale_ms);
	return s;
}

// The plan under construction, in phases that run in this order.
class Planner {
public:
	enum Phase { undo, links, eliminate, clone, holder, phases };
	std::set<std::string> arrival;  // the links where copies arrive now
	void add(Phase p, std::string action, std::string dev, std::string detail, std::function<void()> run)
	{
		steps_[p].push_back({std::move(action), std::move(dev), std::move(detail), std::move(run)});
	}
	std::vector<PlanStep> done()
	{
		std::vector<PlanStep> all;
		for (auto &phase : steps_)
			for (auto &s : phase)
				all.push_back(std::move(s));
		return all;
	}

private:
	std::vector<PlanStep> steps_[phases];
};

// A link where copies arrive: its MTU, and rp_filter no stricter than loose.
void arrival_link(Planner &p, const Config &c, const RunningSite &r, const std::string &dev, DualKind kind)
{
	LinkFacts l = r.link(dev);
	p.arrival.insert(dev);
	unsigned mtu = link_mtu(c, kind);
	if (mtu && l.mtu != mtu)
		p.add(Planner::links, "mtu", dev, std::to_string(mtu), [dev, mtu] { LinkRecord().set_mtu(dev, mtu); });
	if (c.rp_filter && l.rp_filter == 1)
		p.add(Planner::links, "rp_filter", dev, "loose", [dev] { LinkRecord().relax_rp_filter(dev); });
}

// A device apply changed that is no longer one of the links where copies
// arrive: what it set put back, where it is still what it set (a device
// gone, or going, is only forgotten).
void plan_restore(Planner &p, const RunningSite &r)
{
	for (const auto &[dev, v] : r.changed) {
		if (p.arrival.count(dev))
			continue;
		LinkFacts l = r.link(dev);
		std::string detail;
		if (l.present && l.ifindex == static_cast<int>(v.ifindex)) {
			if (v.orig_mtu && l.mtu == v.set_mtu && v.orig_mtu != v.set_mtu)
				detail = "mtu " + std::to_string(v.orig_mtu);
			if (v.orig_rp >= 0 && v.set_rp >= 0 && l.own_rp == v.set_rp && v.orig_rp != v.set_rp)
				detail += (detail.empty() ? "" : " ") + std::string("rp_filter ") + std::to_string(v.orig_rp);
		}
		if (detail.empty())
			p.add(Planner::undo, "forget", dev, "", [dev = dev] { LinkRecord().forget(dev); });
		else
			p.add(Planner::undo, "restore", dev, detail, [dev = dev] { LinkRecord().restore(dev); });
	}
}

// Elimination on `want` (empty: none) with the configuration's mode.
void plan_eliminate(Planner &p, const Config &c, const RunningSite &r, const std::vector<std::string> &want)
{
	for (const auto &[dev, attached] : r.elim_paths)
		if (!contains(want, dev))
			p.add(Planner::undo, "eliminate del", dev, "", [dev = dev] { EliminateState().del(dev); });
	if (want.empty())
		return;
	ElimMode mode = parse_mode(c.eliminate);
	Tunnel tunnel = c.tunnel;
	unsigned port = wireguard(c) ? c.tunnel_port : 0;
	// Settings the file leaves out are eliminate's defaults.
	ElimSettings defaults;
	unsigned window = c.eliminate_window.value_or(defaults.window);
	unsigned reset_ms = c.eliminate_reset_ms.value_or(defaults.reset_ms);
	unsigned wait_ms = c.eliminate_wait_ms.value_or(defaults.wait_ms);
	bool settings_ok = r.elim && r.elim->mode == mode && r.elim->tunnel == tunnel && r.elim->port == port &&
			   r.elim->window == window && r.elim->reset_ms == reset_ms && r.elim->wait_ms == wait_ms;
	for (const std::string &dev : want) {
		auto it = std::find_if(r.elim_paths.begin(), r.elim_paths.end(),
				       [&](const auto &e) { return e.first == dev; });
		if (settings_ok && it != r.elim_paths.end() && it->second)
			continue;
		std::string detail = std::string("--mode ") + mode_name(mode);
		if (wireguard(c))
			detail += " --tunnel wireguard --port " + std::to_string(port);
		if (c.eliminate_window)
			detail += " --window " + std::to_string(window);
		if (c.eliminate_reset_ms)
			detail += " --reset-ms " + std::to_string(reset_ms);
		if (c.eliminate_wait_ms)
			detail += " --wait " + (wait_ms ? std::to_string(wait_ms) : std::string("auto"));
		p.add(Planner::eliminate, "eliminate add", dev, detail,
		      [dev, mode, window, reset_ms, wait_ms, tunnel, port, wg = wireguard(c)] {
			      EliminateState().add(require_device(dev), mode, window, reset_ms, wait_ms, tunnel,
						   wg ? std::optional<unsigned>(port) : std::nullopt);
		      });
	}
}

// The dual link of a primary or client: the configured device, or for a
// PPP dual link the ppp device pppd named (the event), else the one the
// pins record as the clone target while it is up.
std::string dual_device(const Config &c, const RunningSite &r, const ApplyEvent &ev)
{
	if (!ev.ppp_dual.empty())
		return ev.ppp_dual;
	if (!c.dual_dev.empty())  // any kind; ppp when pppd's ifname (or netifd) fixes it
		return c.dual_dev;
	// (Only the dual link's hooks attach cloning: its target is the dual
	// link, whatever kind the device is.)
	const RunningSite::Clone *cl = r.clone(c.wan);
	if (cl && !cl->target.empty())
		return cl->target;
	for (const auto &[dev, attached] : r.elim_paths)
		if (dev != c.wan && r.link(dev).l3)
			return dev;
	return "";
}

// Returns whether paths in order mode remain.
// The peers that stay take the configured copy policy where theirs
// differs: one step for all of them, `peer add` again with --copy (which
// sets the policy of peers already there). peers: address, and the peer
// as peer add names it (a WireGuard endpoint with its port).
void plan_copy_policies(Planner &p, const Config &c, const RunningSite::Clone &cl,
			const std::vector<std::pair<IpAddr, std::string>> &peers)
{
	std::vector<IpAddr> change;
	std::string named;
	for (const auto &[a, name] : peers) {
		auto have = cl.copy.find(a);
		if ((have == cl.copy.end() ? CopyPolicy{} : have->second) == c.copy || contains(change, a))
			continue;
		change.push_back(a);
		named += (named.empty() ? "" : " ") + name;
	}
	if (change.empty())
		return;
	std::string options = c.copy.mode == CopyMode::always ? " --copy always" : copy_options(c.copy);
	p.add(Planner::clone, "peer add", cl.dev, (wireguard(c) ? "--tunnel wireguard " : "") + named + options,
	      [dev = cl.dev, change, copy = c.copy] { CloneState(dev).set_copy_policy(change, copy); });
}

bool plan_site(Planner &p, const Config &c, const RunningSite &r, const ApplyEvent &ev)
{
	std::string dual = dual_device(c, r, ev);
	bool up = r.link(c.wan).present && !dual.empty() && r.link(dual).present;
	const RunningSite::Clone *cl = r.clone(c.wan);
	Tunnel tunnel = c.tunnel;

	// Another device's clone state: an older configuration's WAN.
	for (const RunningSite::Clone &o : r.clones)
		if (o.dev != c.wan)
			p.add(Planner::undo, "detach", o.dev, "", [dev = o.dev] { CloneState(dev).detach(); });
	for (const std::string &d : r.dnat)
		if (!up || !c.snat || d != dual)
			p.add(Planner::undo, "dnat del", d, "", [d] { DnatState(d).detach(); });
	for (const auto &link : r.relay)
		p.add(Planner::undo, "relay del", link.first, "", [dev = link.first] { RelayState().del(dev, {}); });

	std::vector<std::string> elim;
	if (up && c.eliminate != "off")
		elim = {c.wan, dual};
	plan_eliminate(p, c, r, elim);
	if (up && ev.ppp_pre_up)
		return c.eliminate == "order";

	if (!up) {
		// A primary keeps its peers for the link's return (clients stay
		// connected); a client's are made anew then.
		bool keep = c.role == Role::primary;
		if (cl && (cl->attached || !keep))
			p.add(Planner::undo, "detach", c.wan, keep ? "--keep-peers" : "",
			      [wan = c.wan, keep] { CloneState(wan).detach(keep); });
		return false;
	}
	arrival_link(p, c, r, dual, c.dual);
	if (!cl || !cl->attached || cl->target != dual || cl->tunnel != tunnel || cl->snat != c.snat)
		p.add(Planner::clone, "attach", c.wan, "--clone-to " + dual + " --tunnel " + tunnel_name(c.tunnel),
		      [wan = c.wan, dual, snat = c.snat, tunnel] {
			      CloneState st(wan);
			      // Another tunnel's peers mean nothing to this one.
			      if (auto have = st.tunnel(); have && *have != tunnel)
				      st.detach();
			      st.attach(require_device(wan), require_device(dual), snat, tunnel);
		      });
	bool tunnel_kept = cl && cl->tunnel == tunnel;
	// (Another tunnel's peers are dropped with the state by attach.)
	if (wireguard(c)) {
		auto [stale, missing] = difference(tunnel_kept ? cl->endpoints : std::vector<Endpoint>{}, wg_endpoints(c));
		if (!stale.empty())
			p.add(Planner::clone, "peer del", c.wan, joined(stale),
			      [wan = c.wan, stale = stale] { CloneState(wan).del_endpoints(stale); });
		if (!missing.empty())
			p.add(Planner::clone, "peer add", c.wan, "--tunnel wireguard " + joined(missing) + copy_options(c.copy),
			      [wan = c.wan, missing = missing, copy = c.copy] {
				      CloneState(wan).add_endpoints(require_device(wan), missing, copy);
			      });
		std::vector<std::pair<IpAddr, std::string>> kept;
		for (const Endpoint &e : tunnel_kept ? cl->endpoints : std::vector<Endpoint>{})
			if (!contains(stale, e))
				kept.emplace_back(e.addr, e.str());
		if (cl)
			plan_copy_policies(p, c, *cl, kept);
	} else if (c.role == Role::client) {
		// PPTP peers are IPv4 (the configuration refuses an IPv6 primary).
		std::vector<Ipv4> want;
		for (const IpAddr &a : c.primary)
			want.push_back(a.ipv4().value_or(Ipv4{}));
		auto [stale, missing] = difference(tunnel_kept ? cl->peers : std::vector<Ipv4>{}, want);
		if (!stale.empty())
			p.add(Planner::clone, "peer del", c.wan, joined(stale),
			      [wan = c.wan, stale = stale] { CloneState(wan).del_peers(stale); });
		if (!missing.empty())
			p.add(Planner::clone, "peer add", c.wan, joined(missing) + copy_options(c.copy),
			      [wan = c.wan, missing = missing, copy = c.copy] {
				      CloneState(wan).add_peers(require_device(wan), missing, copy);
			      });
	}
	// (A PPTP primary's peers are its client connections: their hooks add
	// and remove them, with the configured copy policy; apply brings the
	// ones already there to it.)
	if (cl && tunnel_kept && !wireguard(c)) {
		std::vector<std::pair<IpAddr, std::string>> kept;
		for (const Ipv4 &a : cl->peers)
			if (c.role != Role::client || contains(c.primary, IpAddr::from_ipv4(a)))
				kept.emplace_back(IpAddr::from_ipv4(a), a.str());
		plan_copy_policies(p, c, *cl, kept);
	}
	if (c.snat && !contains(r.dnat, dual))
		p.add(Planner::clone, "dnat", dual, c.snat->second.str() + "=" + c.snat->first.str(),
		      [dual, snat = *c.snat] { DnatState(dual).attach(require_device(dual), snat.second, snat.first); });
	return c.eliminate == "order";
}

void plan_secondary(Planner &p, const Config &c, const RunningSite &r)
{
	for (const RunningSite::Clone &o : r.clones)
		p.add(Planner::undo, "detach", o.dev, "", [dev = o.dev] { CloneState(dev).detach(); });
	for (const std::string &d : r.dnat)
		p.add(Planner::undo, "dnat del", d, "", [d] { DnatState(d).detach(); });
	plan_eliminate(p, c, r, {});

	for (const auto &link : r.relay) {
		const std::string &dev = link.first;
		const std::vector<IpAddr> &sites = link.second;
		auto want = std::find_if(c.relay.begin(), c.relay.end(), [&](const RelayLinkConf &l) { return l.dev == dev; });
		if (want != c.relay.end() && r.link(dev).present) {
			std::vector<IpAddr> stale;
			for (const IpAddr &a : sites)
				if (!contains(want->sites, a))
					stale.push_back(a);
			if (!stale.empty())
				p.add(Planner::undo, "relay del", dev, joined(stale),
				      [dev = dev, stale] { RelayState().del(dev, stale); });
			continue;
		}
		// A PPP dual connection's relay comes from its ip-up (its site is
		// its ipparam): kept while its device is up.
		if (want == c.relay.end() && c.dual_remote && r.link(dev).l3 && r.link(dev).present)
			continue;
		p.add(Planner::undo, "relay del", dev, "", [dev = dev] { RelayState().del(dev, {}); });
	}
	for (const RelayLinkConf &want : c.relay) {
		const std::string &dev = want.dev;
		if (!r.link(dev).present)
			continue;
		arrival_link(p, c, r, dev, want.kind);
		auto have = std::find_if(r.relay.begin(), r.relay.end(), [&](const auto &l) { return l.first == dev; });
		std::vector<IpAddr> missing;
		for (const IpAddr &a : want.sites)
			if (have == r.relay.end() || !contains(have->second, a))
				missing.push_back(a);
		if (!missing.empty())
			p.add(Planner::clone, "relay add", dev, joined(missing),
			      [dev, missing] { RelayState().add(require_device(dev), missing); });
	}
}

}  // namespace

std::vector<PlanStep> make_plan(const Config &c, const RunningSite &r, const ApplyEvent &ev)
{
	Planner p;
	// The holder runs while a path is in order mode, and only then.
	bool order = false;
	if (c.role == Role::secondary)
		plan_secondary(p, c, r);
	else
		order = plan_site(p, c, r, ev);
	plan_restore(p, r);
	if (order != r.holder)
		p.add(Planner::holder, order ? "holder start" : "holder stop", "", "", [order] { holder_service(order); });
	if (c.adapt_runs() != r.adapt)
		p.add(Planner::holder, r.adapt ? "adapt stop" : "adapt start", "", "",
		      [start = !r.adapt] { adapt_service(start); });
	return p.done();
}

RunningSite read_running(const Config &c, const ApplyEvent &ev)
{
	RunningSite r;
	std::set<std::string> names = {c.wan, c.dual_dev};
	for (const std::string &dev : CloneState::devices()) {
		CloneState st(dev);
		CloneStatus s = st.status();
		RunningSite::Clone cl;
		cl.dev = dev;
		cl.attached = s.state() == "attached";
		cl.target = cl.attached ? std::string(s.info.target_name) : "";
		cl.tunnel = static_cast<Tunnel>(s.info.tunnel);
		if (cl.tunnel == Tunnel::wireguard)
			cl.endpoints = st.endpoints();
		else
			cl.peers = st.peers();
		if (s.info.snat_private)
			cl.snat = std::make_pair(Ipv4{s.info.snat_private}, Ipv4{s.info.snat_public});
		for (const auto &[addr, v] : st.copy_policies().list())
			cl.copy[addr] = decode(v);
		names.insert(dev);
		names.insert(cl.target);
		r.clones.push_back(std::move(cl));
	}
	EliminateState elim;
	for (const ElimPath &p : elim.paths()) {
		r.elim_paths.emplace_back(p.name, p.attached);
		names.insert(p.name);
	}
	r.elim = elim.settings();
	if (elim.exists())
		r.holder = elim.hold().running;
	r.adapt = instance_running("adapt");
	for (const RelayLink &l : RelayState().links()) {
		if (l.attached)
			r.relay.emplace_back(l.name, l.peers);
		else  // its device went away: undone as one that is down
			r.relay.emplace_back(l.name, std::vector<IpAddr>{});
		names.insert(l.name);
	}
	for (const RelayLinkConf &link : c.relay)
		names.insert(link.dev);
	for (const std::string &dev : DnatState::devices())
		if (DnatState(dev).status().attached) {
			r.dnat.push_back(dev);
			names.insert(dev);
		}
	if (!ev.ppp_dual.empty())
		names.insert(ev.ppp_dual);
	r.changed = LinkRecord().all();
	for (const auto &entry : r.changed)
		names.insert(entry.first);
	names.erase("");
	for (const std::string &name : names) {
		LinkFacts l;
		if (auto d = find_device(name)) {
			l.present = !ev.down.count(name);
			l.ifindex = d->ifindex;
			l.own_rp = device_rp_filter(name);
			l.l3 = !d->has_mac_header();
			l.mtu = d->mtu;
			l.rp_filter = effective_rp_filter(name);
		}
		r.links[name] = l;
	}
	return r;
}

std::vector<StepResult> apply_site(const Config &c, const ApplyEvent &ev, bool dry_run)
{
	std::vector<StepResult> out;
	for (PlanStep &s : make_plan(c, read_running(c, ev), ev)) {
		std::string error;
		if (!dry_run) {
			try {
				s.run();
			} catch (const std::exception &e) {
				error = e.what();
			}
		}
		out.push_back({std::move(s), std::move(error)});
	}
	return out;
}

namespace {

// Whether this process shares its network namespace with PID 1: the
// services the init system starts run there.
bool in_init_netns()
{
	struct stat self, init;
	return stat("/proc/self/ns/net", &self) == 0 && stat("/proc/1/ns/net", &init) == 0 &&
	       self.st_ino == init.st_ino && self.st_dev == init.st_dev;
}

// The site's daemon `dupgre-ctl CMD` (what: "holder"), by the init system
// that runs its service dupgre-UNIT: systemd's unit, or OpenWrt's procd
// init script.
void site_service(bool start, const std::string &what, const std::string &cmd, const std::string &unit)
{
	const char *verb = start ? "start" : "stop";
	if (!in_init_netns())
		throw Error("the init system's " + what + " runs in another network namespace: " +
			    (start ? "run `dupgre-ctl " + cmd + "` in this one (supervised)"
				   : "stop the " + what + " you started here"));
	int rc = -1;
	if (access("/run/systemd/system", F_OK) == 0)
		rc = run_tool({"systemctl", "--no-block", verb, unit + ".service"});
	else if (access(("/etc/init.d/" + unit).c_str(), X_OK) == 0)
		rc = run_tool({"/etc/init.d/" + unit, verb});
	else
		throw Error("no systemd or procd service runs the " + what + " here: run `dupgre-ctl " + cmd +
			    "` (supervised)");
	if (rc != 0)
		throw Error(std::string("could not ") + verb + " the " + what + "'s service (" + unit + "): exit " +
			    std::to_string(rc));
}

}  // namespace

void holder_service(bool start)
{
	site_service(start, "holder", "hold", "dupgre-hold");
}

void adapt_service(bool start)
{
	site_service(start, "copy reports' daemon", "adapt", "dupgre-adapt");
}

}  // namespace dupgre
