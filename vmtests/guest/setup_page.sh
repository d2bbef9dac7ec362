# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# shellcheck shell=bash disable=SC2016
# (the page markers hold literal backquotes)
# scenario_setup: docs/setup.md's PPTP sites as the page gives them, so the
# page cannot drift. Each site's files are read out of the page (dupgre.conf,
# pptpd.conf, pptpd-options, chap-secrets, the peer files; only <secret> is
# filled in) and installed as a user would, over Debian's own /etc/ppp
# (its options, options.pptp and ip-up scripts), with dupgre's pppd hooks:
# `ip netns exec` binds /etc/netns/SITE/{ppp,dupgre,pptpd.conf} over /etc,
# so every site has its own /etc in one guest. The sites hold the page's
# addresses (client 192.0.2.30, primary 198.51.100.7, secondary
# 203.0.113.20) on eth0, behind a router; the links are dialled as the page
# says (pptpd, `pon NAME`). Then, with nothing but those files:
#   - the hooks set up what the page says: the client and the primary clone
#     into their link to the secondary, the secondary relays both sites;
#   - `dupgre-ctl check` passes at each site;
#   - 200 probe packets each way through the client's tunnel all arrive,
#     and are copied, relayed, and the copies dropped (client) and counted
#     (primary) on arrival.
# Source this file (scenario.sh does).
source "$(dirname "${BASH_SOURCE[0]}")/../../tests/page-blocks.sh"

SETUP_SITES=(client primary secondary)
declare -A SETUP_PUBLIC=([client]=192.0.2.30 [primary]=198.51.100.7 [secondary]=203.0.113.20)
declare -A SETUP_SECTION=([client]="## Client (a Linux router; for OpenWrt see \`openwrt-feed/\`)"
	[primary]="## Primary (the exit server)" [secondary]="## Secondary (the relay)")

# _setup_file SITE PATH MARKER: the page's block after MARKER in SITE's
# section, written to PATH under the site's /etc/netns tree (PATH relative
# to /etc), secrets filled in.
_setup_file() {
	local dst=/etc/netns/$1/$2
	mkdir -p "$(dirname "$dst")"
	page_block "${SETUP_SECTION[$1]}" "$3" | sed 's/<secret>/vmtests-secret/' >"$dst"
	[ -s "$dst" ]
}

# The site's /etc: Debian's /etc/ppp as installed (saved before the other
# scenarios changed it), dupgre's pppd hooks, and the page's files.
_setup_etc() {
	local site=$1 event
	rm -rf "/etc/netns/$site"
	mkdir -p "/etc/netns/$site"
	cp -a /etc/vmtests/ppp.debian "/etc/netns/$site/ppp"
	for event in ip-pre-up ip-up ip-down; do
		install -m 0755 "$HOOKS/$event.d/dupgre" "/etc/netns/$site/ppp/$event.d/dupgre"
	done
	_setup_file "$site" dupgre/dupgre.conf '^`/etc/dupgre/dupgre.conf`'
	_setup_file "$site" ppp/chap-secrets '^`/etc/ppp/chap-secrets`'
	chmod 600 "/etc/netns/$site/ppp/chap-secrets"
	case $site in
	client)
		_setup_file client ppp/peers/primary '`/etc/ppp/peers/primary`:$'
		_setup_file client ppp/peers/bvpn '`/etc/ppp/peers/bvpn`:$' ;;
	primary)
		_setup_file primary ppp/peers/bvpn '^`/etc/ppp/peers/bvpn`'
		_setup_file primary pptpd.conf '^`/etc/pptpd.conf`'
		_setup_file primary ppp/pptpd-options '^`/etc/ppp/pptpd-options`' ;;
	secondary)
		_setup_file secondary pptpd.conf '^`/etc/pptpd.conf`'
		# "the pptpd-options as on the primary"
		cp "/etc/netns/primary/ppp/pptpd-options" "/etc/netns/secondary/ppp/" ;;
	esac
}

# _setup_run SITE CMD...: CMD in SITE's namespace with its /etc, and a
# /run/pptp of its own (pptp names its call manager's socket by the
# server's address alone: the client and the primary both dial the
# secondary).
_setup_run() {
	local site=$1
	shift
	ip netns exec "$site" unshare -m --propagation private sh -c \
		'mkdir -p /run/pptp && mount -t tmpfs tmpfs /run/pptp && exec "$@"' "$site" "$@"
}

# _setup_wait WHAT SECONDS CMD...: until CMD succeeds.
_setup_wait() {
	local what=$1 secs=$2 i
	shift 2
	for ((i = 0; i < secs * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "setup: $what: not after $secs s" >&2
	return 1
}
_setup_json() { ip netns exec "$1" "$CTL" -j "${@:2}"; }
_setup_cloning() {  # SITE: clones into its dual link, for its peer
	_setup_json "$1" status | jq -e '.clone[0].target_ifindex > 0 and .clone[0].peers == 1' >/dev/null
}
_setup_relaying() {
	_setup_json secondary status | jq -e '[.relay[] | select(.state == "attached")] | length == 2' >/dev/null
}
_setup_count() {  # SITE JQ: a number from the site's stats
	_setup_json "$1" stats | jq "$2"
}

scenario_setup() {
	local site t0
	t0=$(date +%s)
	ln -sf "$CTL" /usr/sbin/dupgre-ctl
	mkdir -p /etc/dupgre	# where ip netns exec binds each site's
	for site in "${SETUP_SITES[@]}"; do _setup_etc "$site"; done
	for site in inet "${SETUP_SITES[@]}"; do
		ip netns add "$site"
		ip -n "$site" link set lo up
		nsx "$site" sysctl -qw net.ipv4.ip_forward=1
	done
	local n=1
	for site in "${SETUP_SITES[@]}"; do
		ip link add eth0 netns "$site" type veth peer name "to-$site" netns inet
		ip -n "$site" addr add "${SETUP_PUBLIC[$site]}" peer "198.18.9.$n" dev eth0
		ip -n inet addr add "198.18.9.$n" peer "${SETUP_PUBLIC[$site]}" dev "to-$site"
		ip -n "$site" link set eth0 up
		ip -n inet link set "to-$site" up
		ip -n "$site" route add default via "198.18.9.$n"
		n=$((n + 1))
	done
	for site in primary secondary; do
		_setup_run "$site" pptpd
	done
	_setup_wait "pptpd on the secondary" 30 nsx secondary sh -c 'ss -ltn | grep -q ":1723 "'
	_setup_wait "pptpd on the primary" 30 nsx primary sh -c 'ss -ltn | grep -q ":1723 "'
	# pon NAME is pppd call NAME; pppd detaches once the link is up.
	_setup_run primary pon bvpn
	_setup_run client pon primary
	_setup_run client pon bvpn
	_setup_wait "the client's tunnel" 90 sh -c "ip -n client -o -4 addr show | grep -q 'peer 10.66.6.1/32'"
	_setup_wait "the client's dual link" 90 sh -c "ip -n client -o -4 addr show | grep -q 'peer 10.66.4.1/32'"
	_setup_wait "the primary's dual link" 90 sh -c "ip -n primary -o -4 addr show | grep -q 'peer 10.66.4.1/32'"
	echo "setup: the page's links up after $(($(date +%s) - t0)) s"
	# The hooks run after the link is up: what they set up, as the page says.
	_setup_wait "the client cloning" 30 _setup_cloning client
	_setup_wait "the primary cloning" 30 _setup_cloning primary
	_setup_wait "the secondary relaying both sites" 30 _setup_relaying
	for site in "${SETUP_SITES[@]}"; do
		nsx "$site" "$CTL" status
		ip netns exec "$site" "$CTL" check || { echo "setup: check fails at the $site" >&2; return 1; }
	done
	# Traffic: the probe both ways at once through the client's tunnel
	# (the page's pools give the client 10.66.6.66, as the other scenarios).
	local cloned_c cloned_p relayed dropped seen dir
	PACKETS=200 RATE=100 measure_start
	measure_finish
	for dir in up down; do
		jq -e '.received == 200' /run/probe.recv.$dir >/dev/null ||
			{ echo "setup: $dir: $(cat /run/probe.recv.$dir)" >&2; return 1; }
	done
	cloned_c=$(_setup_count client '[.clone[].counters.cloned] | add')
	cloned_p=$(_setup_count primary '[.clone[].counters.cloned] | add')
	relayed=$(_setup_count secondary '[.relay[].counters.relayed] | add')
	dropped=$(_setup_count client '.eliminate.totals.counters.discarded')
	seen=$(_setup_count primary '.eliminate.totals.counters.discarded')
	echo "setup: copies: client $cloned_c, primary $cloned_p; relayed $relayed;" \
		"duplicates dropped at the client $dropped, counted at the primary $seen"
	if ! { [ "$cloned_c" -ge 200 ] && [ "$cloned_p" -ge 200 ] && [ "$relayed" -ge 400 ] &&
		[ "$dropped" -ge 150 ] && [ "$seen" -ge 150 ]; }; then
		echo "setup: the page's sites do not duplicate as it says" >&2
		return 1
	fi
	# pppd waits ~9 s for its peer's Terminate-Ack, and the peers go too.
	for site in "${SETUP_SITES[@]}" inet; do
		ip netns pids "$site" | xargs -r kill -TERM 2>/dev/null || true
	done
	sleep 1
	for site in "${SETUP_SITES[@]}"; do
		ip netns pids "$site" | xargs -r kill -KILL 2>/dev/null || true
		nsx "$site" "$CTL" flush
	done
	for site in "${SETUP_SITES[@]}" inet; do ip netns del "$site"; done
	rm -rf /etc/netns /usr/sbin/dupgre-ctl
}
