// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// The reconciler's plans (site/reconcile.h): for each role, tunnel and dual
// link kind, what runs against what the configuration wants. Nothing is
// run: a plan is its steps' words.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "site/config.h"
#include "site/reconcile.h"

using namespace dupgre;

namespace {

std::vector<std::string> words(const Config &c, const RunningSite &r, const ApplyEvent &ev = {})
{
	std::vector<std::string> out;
	for (const PlanStep &s : make_plan(c, r, ev))
		out.push_back(s.text());
	return out;
}

Config conf(const std::string &text)
{
	return parse_config(text, "t.conf");
}

LinkFacts up(unsigned mtu, bool l3 = false)
{
	LinkFacts l;
	l.present = true;
	l.l3 = l3;
	l.mtu = mtu;
	l.rp_filter = 0;
	return l;
}

ElimSettings settings(ElimMode mode, Tunnel tunnel = Tunnel::pptp, unsigned port = 0)
{
	ElimSettings s;
	s.mode = mode;
	s.tunnel = tunnel;
	s.port = port;
	return s;
}

// Clone state attached from dev into target.
RunningSite::Clone attached(const std::string &dev, const std::string &target, Tunnel t = Tunnel::pptp)
{
	RunningSite::Clone cl;
	cl.dev = dev;
	cl.target = target;
	cl.attached = true;
	cl.tunnel = t;
	return cl;
}

const char client_gre[] = "role = client\nwan = eth0\nprimary = 198.18.0.1\ndual = gre\ndual_dev = gre1\n"
			  "eliminate = drop\n";

// A client over GRE as apply leaves it.
RunningSite client_gre_running()
{
	RunningSite r;
	r.links = {{"eth0", up(1500)}, {"gre1", up(1476)}};
	r.clones = {attached("eth0", "gre1")};
	r.clones[0].peers = {parse_ipv4("198.18.0.1")};
	r.elim_paths = {{"eth0", true}, {"gre1", true}};
	r.elim = settings(ElimMode::drop);
	return r;
}

}  // namespace

TEST_CASE("a client over GRE, from nothing: links, elimination, then cloning")
{
	RunningSite r;
	r.links = {{"eth0", up(1500)}, {"gre1", up(1500)}};
	r.links["gre1"].rp_filter = 1;
	CHECK(words(conf(client_gre), r) == std::vector<std::string>{
		"mtu --dev gre1 1476", "rp_filter --dev gre1 loose",
		"eliminate add --dev eth0 --mode drop", "eliminate add --dev gre1 --mode drop",
		"attach --dev eth0 --clone-to gre1 --tunnel pptp", "peer add --dev eth0 198.18.0.1"});
}

TEST_CASE("a site as the configuration wants it: an empty plan")
{
	CHECK(words(conf(client_gre), client_gre_running()).empty());
}

TEST_CASE("a client's dual link down: cloning and elimination undone, peers too")
{
	RunningSite r = client_gre_running();
	r.links["gre1"].present = false;
	CHECK(words(conf(client_gre), r) == std::vector<std::string>{
		"eliminate del --dev eth0", "eliminate del --dev gre1", "detach --dev eth0"});
}

TEST_CASE("a primary's dual link down: its clients' peers wait for it")
{
	Config c = conf("role = primary\nwan = eth0\ntunnel = wireguard\nclients = 198.18.0.20\n"
			"dual = wireguard\ndual_dev = wg1\n");
	RunningSite r;
	r.links = {{"eth0", up(1500)}, {"wg1", LinkFacts{}}};
	r.clones = {attached("eth0", "wg1", Tunnel::wireguard)};
	r.clones[0].endpoints = {{parse_ipaddr("198.18.0.20"), 51820}};
	CHECK(words(c, r) == std::vector<std::string>{"detach --dev eth0 --keep-peers"});
	// Detached with its peers kept: nothing more to do while it is down.
	r.clones[0].attached = false;
	CHECK(words(c, r).empty());
	// Back up: attached again, the peers as they were.
	r.links["wg1"] = up(1440);
	CHECK(words(c, r) == std::vector<std::string>{"attach --dev eth0 --clone-to wg1 --tunnel wireguard"});
}

TEST_CASE("WireGuard endpoints made exactly the configuration's")
{
	Config c = conf("role = primary\nwan = eth0\ntunnel = wireguard\nclients = 198.18.0.20 2001:db8::20\n"
			"dual = wireguard\ndual_dev = wg1\neliminate = monitor\n");
	RunningSite r;
	r.links = {{"eth0", up(1500)}, {"wg1", up(1440)}};
	r.clones = {attached("eth0", "wg1", Tunnel::wireguard)};
	r.clones[0].endpoints = {{parse_ipaddr("198.18.0.20"), 51820}, {parse_ipaddr("198.18.0.99"), 51820}};
	r.elim_paths = {{"eth0", true}, {"wg1", true}};
	r.elim = settings(ElimMode::monitor, Tunnel::wireguard, 51820);
	CHECK(words(c, r) == std::vector<std::string>{"peer del --dev eth0 198.18.0.99:51820",
						       "peer add --dev eth0 --tunnel wireguard [2001:db8::20]:51820"});
}

TEST_CASE("the tunnel changed: attached anew, every peer of the new kind added, none of the old deleted")
{
	Config c = conf("role = client\nwan = eth0\ntunnel = wireguard\nprimary = 198.18.0.1\n"
			"dual = gre\ndual_dev = gre1\neliminate = drop\n");
	RunningSite r = client_gre_running();
	CHECK(words(c, r) == std::vector<std::string>{
		"eliminate add --dev eth0 --mode drop --tunnel wireguard --port 51820",
		"eliminate add --dev gre1 --mode drop --tunnel wireguard --port 51820",
		"attach --dev eth0 --clone-to gre1 --tunnel wireguard",
		"peer add --dev eth0 --tunnel wireguard 198.18.0.1:51820"});
}

TEST_CASE("eliminate = off removes elimination, and the holder with order mode")
{
	std::string text = client_gre;
	text.replace(text.find("eliminate = drop"), 16, "eliminate = off");
	RunningSite r = client_gre_running();
	r.elim = settings(ElimMode::order);
	r.holder = true;
	CHECK(words(conf(text), r) == std::vector<std::string>{"eliminate del --dev eth0", "eliminate del --dev gre1",
							       "holder stop"});
}

TEST_CASE("order mode: every path re-added in it, then the holder started")
{
	std::string text = client_gre;
	text.replace(text.find("eliminate = drop"), 16, "eliminate = order");
	CHECK(words(conf(text), client_gre_running()) == std::vector<std::string>{
		"eliminate add --dev eth0 --mode order", "eliminate add --dev gre1 --mode order", "holder start"});
	RunningSite r = client_gre_running();
	r.elim = settings(ElimMode::order);
	r.holder = true;
	CHECK(words(conf(text), r).empty());
	// The dual link down: no path left in order mode, no holder.
	r.links["gre1"].present = false;
	CHECK(words(conf(text), r).back() == "holder stop");
}

TEST_CASE("what an older configuration set up is undone")
{
	RunningSite r = client_gre_running();
	r.clones.push_back(attached("eth9", "gre9"));
	r.elim_paths.push_back({"gre9", true});
	r.dnat = {"gre9"};
	r.relay = {{"gre9", {}}};
	CHECK(words(conf(client_gre), r) == std::vector<std::string>{
		"detach --dev eth9", "dnat del --dev gre9", "relay del --dev gre9", "eliminate del --dev gre9"});
}

TEST_CASE("a PPP dual link: the device pppd named, or the one cloned into while it is up")
{
	Config c = conf("role = client\nwan = eth0\nprimary = 198.18.0.1\ndual_ipparam = bvpn\neliminate = monitor\n");
	RunningSite r;
	r.links = {{"eth0", up(1500)}, {"ppp1", up(1448, true)}};
	ApplyEvent ev;
	ev.ppp_dual = "ppp1";
	// ip-pre-up: elimination before anything arrives; cloning at ip-up.
	ev.ppp_pre_up = true;
	CHECK(words(c, r, ev) == std::vector<std::string>{"eliminate add --dev eth0 --mode monitor",
							   "eliminate add --dev ppp1 --mode monitor"});
	ev.ppp_pre_up = false;
	CHECK(words(c, r, ev) == std::vector<std::string>{
		"eliminate add --dev eth0 --mode monitor", "eliminate add --dev ppp1 --mode monitor",
		"attach --dev eth0 --clone-to ppp1 --tunnel pptp", "peer add --dev eth0 198.18.0.1"});
	r.clones = {attached("eth0", "ppp1")};
	r.clones[0].peers = {parse_ipv4("198.18.0.1")};
	r.elim_paths = {{"eth0", true}, {"ppp1", true}};
	r.elim = settings(ElimMode::monitor);
	CHECK(words(c, r).empty());
	// pppd's ip-down: the device is still up, the event says it goes.
	r.links["ppp1"].present = false;
	CHECK(words(c, r) == std::vector<std::string>{"eliminate del --dev eth0", "eliminate del --dev ppp1",
						       "detach --dev eth0"});
}

TEST_CASE("behind 1:1 NAT: the NAT fix on the dual link, and the clone's source rewrite")
{
	Config c = conf("role = primary\nwan = eth0\nclient_remote = 10.66.6.0/24\nsnat = 10.0.0.5=198.18.0.5\n"
			"dual = gre\ndual_dev = gre1\n");
	RunningSite r;
	r.links = {{"eth0", up(1500)}, {"gre1", up(1476)}};
	CHECK(words(c, r) == std::vector<std::string>{"attach --dev eth0 --clone-to gre1 --tunnel pptp",
						       "dnat --dev gre1 198.18.0.5=10.0.0.5"});
}

TEST_CASE("a secondary: each relay link with exactly its sites, while it is up")
{
	Config c = conf("role = secondary\ndual = wireguard\nrelay = wg0=198.18.0.7,198.18.0.20 wg1=198.18.0.30\n");
	RunningSite r;
	r.links = {{"wg0", up(1440)}, {"wg1", LinkFacts{}}, {"wg9", up(1440)}};
	r.relay = {{"wg0", {parse_ipaddr("198.18.0.7"), parse_ipaddr("198.18.0.99")}}, {"wg9", {}}, {"wg1", {}}};
	CHECK(words(c, r) == std::vector<std::string>{"relay del --dev wg0 198.18.0.99", "relay del --dev wg9",
						       "relay del --dev wg1", "relay add --dev wg0 198.18.0.20"});
}

TEST_CASE("a secondary with PPP dual links keeps the relays their ip-up made")
{
	Config c = conf("role = secondary\ndual_remote = 10.66.4.60/30\n");
	RunningSite r;
	r.links = {{"ppp3", up(1448, true)}, {"ppp4", LinkFacts{}}};
	r.links["ppp4"].l3 = true;
	r.relay = {{"ppp3", {parse_ipaddr("198.18.0.7")}}, {"ppp4", {}}};
	CHECK(words(c, r) == std::vector<std::string>{"relay del --dev ppp4"});
}

TEST_CASE("a secondary moving its sites from PPP to WireGuard: both kinds at once, each link's MTU by its kind")
{
	Config c = conf("role = secondary\ndual_remote = 10.66.4.60/30\nrelay = wireguard:wg0=198.18.0.20\n");
	RunningSite r;
	r.links = {{"ppp3", up(1448, true)}, {"wg0", up(1420, true)}};
	r.relay = {{"ppp3", {parse_ipaddr("198.18.0.7")}}};
	CHECK(words(c, r) == std::vector<std::string>{"mtu --dev wg0 1440", "relay add --dev wg0 198.18.0.20"});
}

TEST_CASE("elimination's window, reset and wait from the file: changed, every path re-added with them")
{
	std::string text = client_gre;
	text += "eliminate_window = 32\neliminate_reset_ms = 2000\n";
	CHECK(words(conf(text), client_gre_running()) == std::vector<std::string>{
		"eliminate add --dev eth0 --mode drop --window 32 --reset-ms 2000",
		"eliminate add --dev gre1 --mode drop --window 32 --reset-ms 2000"});
	RunningSite r = client_gre_running();
	r.elim->window = 32;
	r.elim->reset_ms = 2000;
	CHECK(words(conf(text), r).empty());
	// Left out of the file again: back to eliminate's defaults.
	CHECK(words(conf(client_gre), r).size() == 2);
}

TEST_CASE("a PPP dual link with a fixed name (netifd's pptp-IFACE): no event needed")
{
	Config c = conf("role = client\nwan = eth0\nprimary = 198.18.0.1\ndual_dev = pptp-vpn2\ndual_mtu = 0\n");
	RunningSite r;
	r.links = {{"eth0", up(1500)}, {"pptp-vpn2", up(1448, true)}};
	CHECK(words(c, r) == std::vector<std::string>{"attach --dev eth0 --clone-to pptp-vpn2 --tunnel pptp",
						       "peer add --dev eth0 198.18.0.1"});
	r.links["pptp-vpn2"].present = false;
	CHECK(words(c, r).empty());
}

TEST_CASE("a primary with several addresses (its name has IPv4 and IPv6): each cloned")
{
	Config c = conf("role = client\nwan = eth0\ntunnel = wireguard\nprimary = 198.18.0.1 2001:db8::1\n"
			"dual = wireguard\ndual_dev = wg1\n");
	RunningSite r;
	r.links = {{"eth0", up(1500)}, {"wg1", up(1440, true)}};
	CHECK(words(c, r) == std::vector<std::string>{
		"attach --dev eth0 --clone-to wg1 --tunnel wireguard",
		"peer add --dev eth0 --tunnel wireguard 198.18.0.1:51820 [2001:db8::1]:51820"});
	Config pptp = conf("role = client\nwan = eth0\nprimary = 198.18.0.1 198.18.0.2\ndual = gre\ndual_dev = wg1\n");
	r.clones = {attached("eth0", "wg1")};
	r.clones[0].peers = {parse_ipv4("198.18.0.2"), parse_ipv4("198.18.0.9")};
	CHECK(words(pptp, r) == std::vector<std::string>{"mtu --dev wg1 1476", "peer del --dev eth0 198.18.0.9",
							  "peer add --dev eth0 198.18.0.1"});
}

TEST_CASE("copy policies: new peers get the configured one, kept peers are brought to it")
{
	Config c = conf(std::string(client_gre) + "copy = budget\ncopy_rate = 125k\ncopy_max_size = 300\n");
	RunningSite r;
	r.links = {{"eth0", up(1500)}, {"gre1", up(1476)}};
	r.elim_paths = {{"eth0", true}, {"gre1", true}};
	r.elim = settings(ElimMode::drop);
	CHECK(words(c, r) == std::vector<std::string>{
		"attach --dev eth0 --clone-to gre1 --tunnel pptp",
		"peer add --dev eth0 198.18.0.1 --copy budget --copy-rate 125000 --copy-max-size 300"});
	// Running with the policy: nothing to do.
	r = client_gre_running();
	r.clones[0].copy[parse_ipaddr("198.18.0.1")] = c.copy;
	CHECK(words(c, r).empty());
	// The file changed to adaptive, then back to always: the kept peer follows.
	Config a = conf(std::string(client_gre) + "copy = adaptive\n");
	CHECK(words(a, r) == std::vector<std::string>{"peer add --dev eth0 198.18.0.1 --copy adaptive", "adapt start"});
	r.adapt = true;
	CHECK(words(a, r) == std::vector<std::string>{"peer add --dev eth0 198.18.0.1 --copy adaptive"});
	r.adapt = false;
	CHECK(words(conf(client_gre), r) == std::vector<std::string>{"peer add --dev eth0 198.18.0.1 --copy always"});
}

TEST_CASE("copy policies: a PPTP primary's client peers (added by their hooks) follow the file")
{
	Config c = conf("role = primary\nwan = eth0\nclient_remote = 10.66.6.0/24\ndual = gre\ndual_dev = gre1\n"
			"copy = adaptive\ncopy_sample = 32\n");
	RunningSite r;
	r.links = {{"eth0", up(1500)}, {"gre1", up(1476)}};
	r.clones = {attached("eth0", "gre1")};
	r.clones[0].peers = {parse_ipv4("198.18.0.20"), parse_ipv4("198.18.0.21")};
	r.clones[0].copy[parse_ipaddr("198.18.0.21")] = c.copy;
	CHECK(words(c, r) == std::vector<std::string>{
		"peer add --dev eth0 198.18.0.20 --copy adaptive --copy-sample 32 --copy-quiet-ms 10000 "
		"--copy-stale-ms 3000",
		"adapt start"});
}

TEST_CASE("the copy reports' daemon runs where the site copies adaptively or reports to peers that do")
{
	RunningSite r = client_gre_running();
	CHECK(words(conf(client_gre), r).empty());
	CHECK(words(conf(std::string(client_gre) + "copy_reports = yes\n"), r) == std::vector<std::string>{"adapt start"});
	r.adapt = true;
	CHECK(words(conf(std::string(client_gre) + "copy_reports = yes\n"), r).empty());
	CHECK(words(conf(client_gre), r) == std::vector<std::string>{"adapt stop"});
}
