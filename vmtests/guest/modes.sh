# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# shellcheck shell=bash
# Duplication modes: each is mode_NAME_up / mode_NAME_down, run once the
# topology's tunnels are up. They get what pppd would hand a hook: the ppp
# device, the local and remote addresses and ipparam (pptpd's ipparam is the
# peer's public address). To test real hooks, replace a mode's functions by
# ones that install the hooks and redial, or call them with these arguments.
# Source this file after topology.sh.

# --- none: a single path, no duplication ------------------------------------
mode_none_up() { :; }
mode_none_down() { :; }

# --- guide: the guide's own recipe -------------------------------------------
source "$(dirname "${BASH_SOURCE[0]}")/../../tests/guide/dupgre-chain.sh"
# Its ip-up-dupgre body, verbatim apart from `iptables` running in namespace
# $GUIDE_NS (and no EC2 NAT lines: the primary here has a public address).
# shellcheck disable=SC2086 # verbatim from the guide
guide_ip_up_dupgre() {  # PPP_IFACE PPP_LOCAL PPP_REMOTE
	local PPP_IFACE=$1 PPP_REMOTE=$3
	iptables() { ip netns exec "$GUIDE_NS" iptables "$@"; }
	ip -n "$GUIDE_NS" link set "$PPP_IFACE" mtu 1448
	guide_fill_dupgre_chain
	unset -f iptables
}

# The guide's secondary, ip-up-dual, for one dual link (remote 10.66.4.6x).
guide_ip_up_dual() {  # PPP_IFACE PPP_LOCAL PPP_REMOTE PPP_IPPARAM
	local ns=secondary
	ip -n $ns link set "$1" mtu 1448
	nsx $ns iptables -t mangle -I PREROUTING -i "$1" -j MARK --set-mark 0xf222
	# The guide's `via $PPP_LOCAL`: the kernel accepts no local gateway, so
	# the route names the device alone, which is what it means on a ppp link.
	ip -n $ns route add table dual "$4" via "$2" dev "$1" 2>/dev/null ||
		ip -n $ns route add table dual "$4" dev "$1"
	# Run once per link, as the guide's hook is: the second add finds the rule.
	ip -n $ns rule add fwmark 0xf222 table dual priority 2 2>/dev/null || true
}

mode_guide_up() {
	# Primary: the chain (rc.local), the client link's jump (ip-up-client,
	# PPP_IPPARAM = the client's public address from pptpd) and the rules
	# when bvpn comes up (ip-up-dupgre, gateway = bvpn's remote).
	nsx primary iptables -t mangle -N dupgre
	GUIDE_NS=primary guide_ip_up_dupgre bvpn 10.66.4.67 10.66.4.1
	ip -n primary link set "$(ppp_dev primary 10.66.6.66)" mtu 1380
	nsx primary iptables -t mangle -I OUTPUT -d "$CLIENT_PUB" -j dupgre
	# Client (the guide's OpenWrt package, gfw-dualpptp): the same chain,
	# for what goes to the primary, teed into the dual link.
	nsx client iptables -t mangle -N dupgre
	GUIDE_NS=client guide_ip_up_dupgre ppp-dual 10.66.4.65 10.66.4.1
	nsx client iptables -t mangle -I OUTPUT -d "$PRIMARY_PUB" -j dupgre
	# Secondary: policy routing of what enters from either dual link.
	guide_ip_up_dual "$(ppp_dev secondary 10.66.4.67)" 10.66.4.1 10.66.4.67 "$PRIMARY_PUB"
	guide_ip_up_dual "$(ppp_dev secondary 10.66.4.65)" 10.66.4.1 10.66.4.65 "$CLIENT_PUB"
}

mode_guide_down() {
	local ns dev
	for ns in primary client; do
		nsx $ns iptables -t mangle -D OUTPUT -d "$([ $ns = primary ] && echo "$CLIENT_PUB" || echo "$PRIMARY_PUB")" -j dupgre
		nsx $ns iptables -t mangle -F dupgre
		nsx $ns iptables -t mangle -X dupgre
	done
	for dev in "$(ppp_dev secondary 10.66.4.67)" "$(ppp_dev secondary 10.66.4.65)"; do
		nsx secondary iptables -t mangle -D PREROUTING -i "$dev" -j MARK --set-mark 0xf222
	done
	ip -n secondary route flush table dual
	ip -n secondary rule del fwmark 0xf222 table dual priority 2 || true
}

# --- dupgre ----------------------------------------------------------------
# Installed as a user installs it (docs/setup.md): one dupgre.conf per site
# (topology.sh) and the pppd hooks in /etc/ppp/ip-{pre-up,up,down}.d, which pppd
# runs whenever a link comes up or goes down (the flap scenario relies on
# that). The tunnels are already up when a mode starts, so the hooks are
# also run once for the live links, with the arguments and environment
# pppd gives them.
HOOKS=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../scripts/ppp" && pwd)

# dupgre_hook NS EVENT IFACE LOCAL REMOTE IPPARAM: what pppd runs.
dupgre_hook() {
	local ns=$1 event=$2 iface=$3 local_ip=$4 remote=$5 ipparam=$6
	ip netns exec "$ns" env DUPGRE_CONFIG="/etc/vmtests/dupgre-$ns.conf" \
		PPP_IFACE="$iface" PPP_TTY=/dev/pts/0 PPP_SPEED=0 PPP_LOCAL="$local_ip" \
		PPP_REMOTE="$remote" PPP_IPPARAM="$ipparam" \
		"/etc/ppp/$event.d/dupgre" "$iface" /dev/pts/0 0 "$local_ip" "$remote" "$ipparam"
}

# Every dual link and client connection of the three sites, for one event.
dupgre_links() {  # dupgre_links ip-pre-up|ip-up|ip-down
	dupgre_hook client "$1" ppp-dual 10.66.4.65 10.66.4.1 dual
	dupgre_hook primary "$1" bvpn 10.66.4.67 10.66.4.1 bvpn
	dupgre_hook primary "$1" "$(ppp_dev primary 10.66.6.66)" 10.66.6.1 10.66.6.66 "$CLIENT_PUB"
	dupgre_hook secondary "$1" "$(ppp_dev secondary 10.66.4.67)" 10.66.4.1 10.66.4.67 "$PRIMARY_PUB"
	dupgre_hook secondary "$1" "$(ppp_dev secondary 10.66.4.65)" 10.66.4.1 10.66.4.65 "$CLIENT_PUB"
}

mode_dupgre_up() {
	ln -sf "$CTL" /usr/sbin/dupgre-ctl
	local event ns
	if _dupgre_direct; then
		_dupgre_site_confs
		for event in ip-pre-up ip-up ip-down; do
			install -m 0755 "$HOOKS/$event.d/dupgre" "/etc/ppp/$event.d/dupgre"
		done
		_dupgre_links_up
		for ns in client primary secondary; do nsx $ns "$CTL" status; done
		dupgre_attached
		return
	fi
	for event in ip-pre-up ip-up ip-down; do
		install -m 0755 "$HOOKS/$event.d/dupgre" "/etc/ppp/$event.d/dupgre"
	done
	dupgre_links ip-pre-up
	dupgre_links ip-up
	for ns in client primary secondary; do nsx $ns "$CTL" status; done
}

mode_dupgre_down() {
	local ns
	if _dupgre_direct; then
		_dupgre_links_down
		# The next kind of dual links starts from nothing.
		for ns in client primary secondary; do nsx $ns "$CTL" flush; done
		rm -f /etc/ppp/ip-{pre-up,up,down}.d/dupgre /usr/sbin/dupgre-ctl
		return
	fi
	dupgre_links ip-down
	rm -f /etc/ppp/ip-{pre-up,up,down}.d/dupgre /usr/sbin/dupgre-ctl
}

# Dual links that pppd does not bring up (WireGuard, GRE, IPIP), or a
# WireGuard tunnel to the primary: each site's dupgre.conf says so
# (tunnel, dual, dual_dev; relay on the secondary), and the link hooks do
# what the system's (ifupdown, networkd-dispatcher, wg-quick's unit) would
# run them for: `dupgre-ctl hook link-up DEV` once the link is there,
# `link-down` when it goes. A PPTP primary's client connection is still
# pppd's: its ip-up hook adds the client as a peer.
_dupgre_direct() { [ "$TRANSPORT" != ppp ] || [ "$TUNNEL" != pptp ]; }

# _dupgre_site_confs [nat]: the three sites' dupgre.conf for TUNNEL and
# TRANSPORT and the dual links dual_select chose, rewritten in place (pppd's
# mount namespaces bind-mount them), each checked by `dupgre-ctl config`.
_dupgre_site_confs() {
	local site f dual_lines relay
	if [ "$TRANSPORT" = ppp ]; then
		dual_lines=("dual = ppp")
	else
		dual_lines=("dual = $TRANSPORT")
	fi
	{
		echo "role = client"
		echo "wan = wan"
		echo "primary = $PRIMARY_PUB"
		echo "tunnel = $TUNNEL"
		printf '%s\n' "${dual_lines[@]}"
		if [ "$TRANSPORT" = ppp ]; then echo "dual_ipparam = dual"; else echo "dual_dev = $DUAL_CLIENT"; fi
		echo "dual_mtu = 0"
		# PPTP: pptp 1.10's queue stalls on duplicates. WireGuard: its
		# replay window (8128) drops them and takes copies far behind,
		# which drop mode discards as stale beyond its 64 numbers (row 4:
		# 2-3 % lost at 100 packets/s with drop). The kernel's PPTP:
		# order, when mode order runs.
		if [ "${ORDER:-0}" = 1 ]; then echo "eliminate = order"
		elif [ "$TUNNEL" = wireguard ]; then echo "eliminate = monitor"
		else echo "eliminate = drop"; fi
		[ -z "${COPY:-}" ] || echo "copy = $COPY"
	} >/etc/vmtests/dupgre-client.conf.new
	{
		echo "role = primary"
		echo "wan = $PRIMARY_WAN"
		echo "tunnel = $TUNNEL"
		if [ "$TUNNEL" = wireguard ]; then
			echo "clients = $CLIENT_PUB"
			# WireGuard drops duplicates itself: counters only (as on the client).
			echo "eliminate = monitor"
		else
			echo "client_remote = 10.66.6.66"
			echo "client_mtu = 0"
			# PPTP: pptpd discards duplicates itself: counters only;
			# the kernel's PPTP drops what comes late: order.
			if [ "${ORDER:-0}" = 1 ]; then echo "eliminate = order"; else echo "eliminate = monitor"; fi
			[ "$PRIMARY_WAN" != wan ] || echo "snat = $PRIMARY_PRIVATE=$PRIMARY_PUB"
		fi
		printf '%s\n' "${dual_lines[@]}"
		if [ "$TRANSPORT" = ppp ]; then echo "dual_ipparam = bvpn"; else echo "dual_dev = $DUAL_PRIMARY"; fi
		echo "dual_mtu = 0"
		[ -z "${COPY:-}" ] || echo "copy = $COPY"
	} >/etc/vmtests/dupgre-primary.conf.new
	relay="$DUAL_SEC_C=$CLIENT_PUB $DUAL_SEC_P=$PRIMARY_PUB"
	[ "$DUAL_SEC_C" != "$DUAL_SEC_P" ] || relay="$DUAL_SEC_C=$CLIENT_PUB,$PRIMARY_PUB"
	{
		echo "role = secondary"
		printf '%s\n' "${dual_lines[@]}"
		if [ "$TRANSPORT" = ppp ]; then echo "dual_remote = 10.66.4.64/29"; else echo "relay = $relay"; fi
		echo "dual_mtu = 0"
	} >/etc/vmtests/dupgre-secondary.conf.new
	for site in client primary secondary; do
		f=/etc/vmtests/dupgre-$site.conf
		"$CTL" --config "$f.new" config >/dev/null
		cat "$f.new" >"$f"
		rm "$f.new"
	done
}

# link_hook SITE up|down DEV: what the system runs when DEV comes or goes.
link_hook() {
	nsx "$1" env DUPGRE_CONFIG="/etc/vmtests/dupgre-$1.conf" "$CTL" hook "link-$2" "$3"
}

# The sites' dual links through their link hooks, or, for PPP dual links
# under a WireGuard tunnel, through pppd's hooks.
_dupgre_links_up() {
	if [ "$TRANSPORT" = ppp ]; then
		dupgre_links ip-pre-up
		dupgre_links ip-up
		return
	fi
	link_hook secondary up "$DUAL_SEC_C"
	[ "$DUAL_SEC_P" = "$DUAL_SEC_C" ] || link_hook secondary up "$DUAL_SEC_P"
	link_hook client up "$DUAL_CLIENT"
	link_hook primary up "$DUAL_PRIMARY"
	# The PPTP client connection: pptpd's pppd runs ip-up with the client's
	# public address as ipparam.
	[ "$TUNNEL" != pptp ] ||
		dupgre_hook primary ip-up "$(ppp_dev primary 10.66.6.66)" 10.66.6.1 10.66.6.66 "$CLIENT_PUB"
}

_dupgre_links_down() {
	if [ "$TRANSPORT" = ppp ]; then
		dupgre_links ip-down
		return
	fi
	[ "$TUNNEL" != pptp ] ||
		dupgre_hook primary ip-down "$(ppp_dev primary 10.66.6.66)" 10.66.6.1 10.66.6.66 "$CLIENT_PUB"
	link_hook primary down "$DUAL_PRIMARY"
	link_hook client down "$DUAL_CLIENT"
	link_hook secondary down "$DUAL_SEC_C"
	[ "$DUAL_SEC_P" = "$DUAL_SEC_C" ] || link_hook secondary down "$DUAL_SEC_P"
}

# _ifindex NS DEV
_ifindex() { ip -n "$1" -o link show "$2" | cut -d: -f1; }

# dupgre_attached: the hooks' work is in place (a hook always exits 0 and
# only logs what failed): the client and the primary clone into their dual
# links with a peer, and the secondary relays from each of its links.
dupgre_attached() {
	local site dev n
	for site in client primary; do
		dev=$DUAL_CLIENT
		[ $site = primary ] && dev=$DUAL_PRIMARY
		[ "$(nsx $site "$CTL" -j status | jq '.clone[0].target_ifindex // 0')" = "$(_ifindex $site "$dev")" ] ||
			{ echo "modes: $site does not clone into $dev" >&2; return 1; }
	done
	n=$(nsx secondary "$CTL" -j status | jq '[.relay[] | select(.state == "attached")] | length')
	[ "$n" -ge 1 ] || { echo "modes: the secondary relays from no link" >&2; return 1; }
}

# --- order: dupgre with the order stage on the receivers ---------------------
# dupgre as above, with `eliminate = order` on the client and the primary
# (both receive on the kernel's PPTP in the kernel scenario) and the holder,
# `dupgre-ctl hold`, running in each of their namespaces, as its service
# would. Recorded as mode dupgre with "order": true.
HOLD_PIDS=()

# _set_eliminate SITE MODE: the site's dupgre.conf says `eliminate = MODE`
# (rewritten in place: pppd's mount namespaces bind-mount the file).
_set_eliminate() {
	local f=/etc/vmtests/dupgre-$1.conf c
	c=$(sed "s/^eliminate = .*/eliminate = $2/" "$f")
	printf '%s\n' "$c" >"$f"
}

_hold_start() {
	local ns i
	for ns in client primary; do
		ip netns exec $ns "$CTL" hold >>"$LOG/hold-$ns.out" 2>&1 &
		HOLD_PIDS+=("$!")
	done
	# Bound to its queue (the kernel's own list: cheap to poll, where a
	# dupgre-ctl stats would take the CPU the starting holders need), then
	# beating, as the program sees it.
	for ns in client primary; do
		for ((i = 0; i < 200; i++)); do
			nsx $ns awk '$1 == 13 { found = 1 } END { exit !found }' /proc/net/netfilter/nfnetlink_queue 2>/dev/null &&
				break
			sleep 0.05
		done
		[ "$i" -lt 200 ] || { echo "modes: the holder in $ns did not bind its queue" >&2; return 1; }
	done
	HOLD_BOUND_AT=$(date +%s%N)
	for ns in client primary; do
		for ((i = 0; i < 50; i++)); do
			[ "$(nsx $ns "$CTL" -j stats | jq '.eliminate.hold.running')" = true ] && break
			sleep 0.2
		done
		[ "$i" -lt 50 ] || { echo "modes: the holder in $ns is not running" >&2; return 1; }
	done
}

# _order_rule_in_nft NS: the queue rule is dupgre's own nft chain (the way
# OpenWrt's fw4 wants it; this kernel has nft_queue), not an iptables rule.
# Under pipefail, grep -q would stop reading at its match and nft, still
# writing, would die of SIGPIPE and fail the pipeline (seen in CI): grep
# reads everything here.
_order_rule_in_nft() {
	nsx $1 nft list chain ip dupgre order | grep 'queue.* 13.*comment "dupgre order stage"' >/dev/null &&
		! nsx $1 iptables -t raw -S PREROUTING | grep 'dupgre order stage' >/dev/null
}

mode_order_up() {
	local ns i
	# PPP dual links: the hooks read these files; other dual links: the
	# site configurations are written with order (ORDER).
	_set_eliminate client order
	_set_eliminate primary order
	ORDER=1 mode_dupgre_up
	_hold_start
	# A firewall flush (fw4 flush, /etc/init.d/firewall stop) under the
	# client's holder: it puts its nft rule back.
	nsx client nft list ruleset
	for ns in client primary; do
		_order_rule_in_nft $ns || { echo "modes: no nft queue rule in $ns" >&2; return 1; }
	done
	nsx client nft flush ruleset
	for ((i = 0; i < 50; i++)); do
		_order_rule_in_nft client && break
		sleep 0.1
	done
	[ "$i" -lt 50 ] || { echo "modes: the client's holder did not put its nft rule back within 5 s" >&2; return 1; }
	echo "modes: the client's holder put its nft rule back $((i * 100)) ms after nft flush ruleset"
}

# _hold_stop: both holders stopped as systemctl stop does it (SIGTERM,
# then wait for the exit: they release what they hold first).
_hold_stop() {
	local pid
	for pid in "${HOLD_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	for pid in "${HOLD_PIDS[@]}"; do wait "$pid" || echo "modes: holder $pid exited with $?"; done
	HOLD_PIDS=()
}

mode_order_down() {
	_hold_stop
	mode_dupgre_down
	_set_eliminate client drop
	_set_eliminate primary monitor
}

# --- adaptive: order, with the adaptive copy policy (issue 26) --------------
# As order, with `copy = adaptive` in the client's and the primary's
# dupgre.conf, and `dupgre-ctl adapt` running in both namespaces as its
# service would (started before the sites apply their configuration, so
# apply finds it running, as systemd would have it). Recorded as order with
# "copy": "adaptive".
ADAPT_PIDS=()

# _adapt_running NS: the daemon holds its instance lock (read from
# /proc/locks: taking the lock to test it could make a starting daemon fail).
_adapt_running() {
	local ino
	ino=$(nsx "$1" stat -L -c %i /proc/self/ns/net)
	[ -e "/run/dupgre/adapt.$ino.lock" ] || return 1
	ino=$(stat -c %i "/run/dupgre/adapt.$ino.lock")
	awk -v i=":$ino" '$2 == "FLOCK" && $4 == "WRITE" && substr($6, length($6) - length(i) + 1) == i { f = 1 }
		END { exit !f }' /proc/locks
}

mode_adaptive_up() {
	local ns i
	COPY=adaptive ORDER=1 _dupgre_site_confs
	for ns in client primary; do
		ip netns exec $ns env DUPGRE_CONFIG="/etc/vmtests/dupgre-$ns.conf" "$CTL" adapt \
			>>"$LOG/adapt-$ns.out" 2>&1 &
		ADAPT_PIDS+=("$!")
	done
	for ns in client primary; do
		for ((i = 0; i < 100; i++)); do
			_adapt_running $ns && break
			sleep 0.1
		done
		[ "$i" -lt 100 ] || { echo "modes: adapt in $ns did not start" >&2; cat "$LOG/adapt-$ns.out" >&2; return 1; }
	done
	COPY=adaptive mode_order_up
	nsx client "$CTL" -j status | jq -c '[.clone[].copy[]?]'
}

mode_adaptive_down() {
	local pid
	mode_order_down
	for pid in "${ADAPT_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	for pid in "${ADAPT_PIDS[@]}"; do wait "$pid" || echo "modes: adapt $pid exited with $?"; done
	ADAPT_PIDS=()
	tail -n 2 "$LOG"/adapt-*.out
}

# mode_counters MODE: what the mode's machinery saw (for the log).
mode_counters() {
	local ns
	ip -n client -s link show ppp-pri | sed -n '3,6p'
	dmesg | grep -iE 'mppe|ppp' | tail -5 || true
	case $1 in
	guide)
		nsx client iptables -t mangle -L OUTPUT -v -n | head -5
		nsx primary iptables -t mangle -L dupgre -v -n -x | awk 'NR > 2 { s += $1 } END { print "primary teed packets:", s }'
		nsx client iptables -t mangle -L dupgre -v -n -x | awk 'NR > 2 { s += $1 } END { print "client teed packets:", s }'
		;;
	dupgre | order)
		for ns in client primary secondary; do
			ip netns exec $ns wg show all 2>/dev/null | sed "s/^/$ns: /"
		done
		nsx client "$CTL" -j stats
		nsx primary "$CTL" -j stats
		nsx secondary "$CTL" -j stats
		;;
	esac
}
