# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# shellcheck shell=bash
# The scenarios in the guest. Each brings the three sites up, runs its
# measurements and takes them down again; every measurement sends probe
# packets both ways at once through the client's tunnel to the primary and
# appends one JSON line per direction to /run/vmout/results.jsonl.
# Parameters (params.sh): SCENARIOS ROWS MODES RECEIVERS TRANSPORTS TUNNELS
# PACKETS RATE CTL PROBE KPPTP FULL (1: the rows the default run leaves out).
#
#   setup     docs/setup.md's PPTP sites from the page's own files (no
#             measurement: dupgre set up by the hooks, check, copies)
#   table     the guide's loss table: ROWS x MODES, for each of RECEIVERS
#   nat       the primary behind 1:1 NAT: row 2 with the guide's recipe
#             (which needs xtables-addons' RAWSNAT there), rows 2 and 3 with
#             dupgre's NAT fix
#   flap      the client's dual link killed mid-measurement; pppd redials it
#             and runs the hooks; then row 1 again
#   kernel    ROWS x MODES with the kernel's PPTP (pptp.c) receiving on both
#             ends of the client's link to the primary (kpptp); mode "order"
#             is dupgre with the order stage and its holder
#   dual      dupgre with dual links of each of TRANSPORTS (wireguard, gre,
#             ipip; ppp too) for each of TUNNELS (pptp: the client's PPTP
#             link with pptp's buffer; wireguard: the kernel's WireGuard):
#             ROWS for wireguard and ppp, row 3 for gre and ipip
#   dual-nat  the primary behind 1:1 NAT with the first non-ppp transport's
#             dual links (wireguard by default): rows 2 and 3
#   dual-flap the client's dual link (first non-ppp transport) deleted 5 s
#             into a row-1 measurement and re-created, its link hook run;
#             then row 1 again
#   router    the configuration the docs recommend for an OpenWrt router,
#             as one: the kernel's PPTP (kpptp) receiving at both ends, the
#             order stage and its holders, a WireGuard dual link; ROWS
here=$(dirname "${BASH_SOURCE[0]}")
source "$here/topology.sh"
source "$here/modes.sh"
source "$here/setup_page.sh"

# The guide's table: path A loss % and delay, path B loss % and delay (one
# way, each direction), the guide's resulting loss %. Row 0, both paths
# clean, is not the guide's: what a copy policy saves where nothing is lost.
declare -A ROW=(
	[0]="0 150 0 250 0"
	[1]="10 150 0 250 0"
	[2]="100 150 0 250 0"
	[3]="10 150 10 250 1"
	[4]="10 150 0 550 10"
)

set_row() {  # set_row N: netem on both paths as the table's row N says
	local a_loss a_delay b_loss b_delay guide
	read -r a_loss a_delay b_loss b_delay guide <<<"${ROW[$1]}"
	set_path A "$a_loss" "$a_delay"
	set_path B "$b_loss" "$b_delay"
}

# measure_start / measure_finish: the probe both ways at once. up: client →
# primary (received by pptpd's pptpctrl); down: primary → client (received
# by the client's pptp in the receiver mode under test).
PORT=5000
measure_start() {
	local dir tx rx dst port i
	PORT=$((PORT + 2))
	rm -f /run/probe.*
	for dir in up down; do
		rx=primary port=$PORT
		[ $dir = down ] && rx=client port=$((PORT + 1))
		ip netns exec $rx "$PROBE" recv --port $port --count "$PACKETS" \
			--ready /run/probe.ready.$dir >/run/probe.recv.$dir &
		echo $! >/run/probe.rpid.$dir
	done
	for ((i = 0; i < 100; i++)); do
		[ -e /run/probe.ready.up ] && [ -e /run/probe.ready.down ] && break
		sleep 0.1
	done
	[ "$i" -lt 100 ] || { echo "scenario: the probe receivers did not start" >&2; return 1; }
	for dir in up down; do
		tx=client dst=10.66.6.1 port=$PORT
		[ $dir = down ] && tx=primary dst=10.66.6.66 port=$((PORT + 1))
		ip netns exec $tx "$PROBE" send --dst $dst --port $port --count "$PACKETS" \
			--rate "$RATE" >/run/probe.send.$dir &
		echo $! >/run/probe.spid.$dir
	done
}

measure_finish() {
	local dir
	for dir in up down; do wait "$(cat /run/probe.spid.$dir)"; done
	# Drain: what is still in flight (the slowest path, 550 ms, plus a
	# reorder timeout) arrives within this; what is lost never does.
	sleep 2
	for dir in up down; do
		kill -TERM "$(cat /run/probe.rpid.$dir)"
		wait "$(cat /run/probe.rpid.$dir)"
	done
}

# Bytes the dual links sent during a measurement: path B's, the copies (up:
# the client's dual link; down: the primary's), counted by the kernel.
dual_tx_bytes() {  # dual_tx_bytes NS DEV
	nsx "$1" cat "/sys/class/net/$2/statistics/tx_bytes" 2>/dev/null || echo 0
}
path_b_start() {
	PATH_B_UP=$(dual_tx_bytes client "${DUAL_CLIENT:-}") PATH_B_DOWN=$(dual_tx_bytes primary "${DUAL_PRIMARY:-}")
}
path_b_finish() {
	echo $(($(dual_tx_bytes client "${DUAL_CLIENT:-}") - PATH_B_UP)) >/run/path_b.up
	echo $(($(dual_tx_bytes primary "${DUAL_PRIMARY:-}") - PATH_B_DOWN)) >/run/path_b.down
}

# record SCENARIO ROW MODE RECEIVER [EXTRA_JSON]: the last measurement's two
# lines, with what was measured. Mode "order" is recorded as dupgre with
# "order": true (every other row has "order": false); mode "adaptive" as
# order with "copy": "adaptive" (every other row: "always").
record() {
	local dir a_loss a_delay b_loss b_delay guide res extra=${5:-'{}'} mode=$3 order=false copy=always
	[ "$mode" = order ] && mode=dupgre order=true
	[ "$mode" = adaptive ] && mode=dupgre order=true copy=adaptive
	read -r a_loss a_delay b_loss b_delay guide <<<"${ROW[$2]}"
	for dir in up down; do
		res=$(jq -c --slurpfile s /run/probe.send.$dir \
			'. + {send_errors: $s[0].send_errors, send_seconds: $s[0].seconds}' /run/probe.recv.$dir)
		echo "scenario: $1 row $2 $3 $4 $dir: $res"
		jq -c --arg sc "$1" --argjson row "$2" --arg mode "$mode" --argjson order $order --arg recv "$4" \
			--arg rname "$(receiver_name "$4" $dir)" --arg dir $dir \
			--argjson al "$a_loss" --argjson ad "$a_delay" --argjson bl "$b_loss" \
			--argjson bd "$b_delay" --argjson g "$guide" --argjson rate "$RATE" \
			--argjson extra "$extra" --arg tunnel "$TUNNEL" --arg transport "$TRANSPORT" \
			--arg copy "$copy" --argjson pb "$(cat /run/path_b.$dir 2>/dev/null || echo null)" \
			'{scenario: $sc, row: $row, mode: $mode, order: $order, copy: $copy, receiver: $recv,
			  receiver_stack: $rname, tunnel: $tunnel, transport: $transport, direction: $dir,
			  path_a: {loss_pct: $al, delay_ms: $ad}, path_b: {loss_pct: $bl, delay_ms: $bd, tx_bytes: $pb},
			  guide_loss_pct: $g, rate_pps: $rate}
			 + $extra + .' <<<"$res" >>"$LOG/results.jsonl"
	done
}

receiver_name() {  # the receiving PPTP stack for a direction
	if [ "$1" = wireguard ]; then echo "kernel WireGuard"
	elif [ "$1" = kernel ]; then echo "kernel pptp.c + ppp_mppe"
	elif [ "$2" = up ]; then echo "pptpd (pptpctrl buffer)"
	elif [ "$1" = nobuffer ]; then echo "pptp --nobuffer"
	else echo "pptp --timeout 0.3"; fi
}

# run_rows SCENARIO MODE RECEIVER ROWS: one measurement per row.
run_rows() {
	local row t0 PACKETS=$PACKETS all=$PACKETS
	for row in ${4//,/ }; do
		set_row "$row"
		# Short rows where the bounds decide with fewer packets: in the
		# dual scenarios all but row 3 (1 % against pptpd's 6-7 % needs them).
		PACKETS=$all
		case $1-$row in dual*-[124] | after-dual-flap-*) PACKETS=$((all * 2 / 3)) ;; esac
		t0=$(date +%s)
		rm -f /run/path_b.*
		path_b_start
		measure_start
		measure_finish
		path_b_finish
		echo "scenario: $1 row $row $2 $3 took $(($(date +%s) - t0)) s"
		record "$1" "$row" "$2" "$3"
		if [ "$3" = kernel ]; then
			# MPPE never saw a late packet (pptp.c drops them first): no
			# decompression errors, no Reset-Requests.
			echo "scenario: kpptp client: $(cat /run/kpptp-client.status)"
			echo "scenario: kpptp primary: $(cat /run/kpptp-primary.status)"
		fi
	done
	mode_counters "$2" || true
}

# measure_rows SCENARIO MODE RECEIVER ROWS [nat]: ROWS (comma-separated) on
# tunnels dialled for them. Under the guide's recipe with pptp's buffer,
# duplicates can stall pptp's reorder queue for good, so each row gets
# fresh tunnels there, or the stall would count against the next row; but
# row 2 (path A down: no duplicate reaches pptp, nothing can stall) leaves
# its tunnels to the row after it. Elsewhere one set of tunnels serves
# every row: dialling takes ~30 s under TCG.
measure_rows() {
	local rows dials=$4	# each word: the rows of one set of tunnels
	if [ "$2-$3" = guide-buffer ]; then
		dials=${4//,/ }
		dials=${dials/2 /2,}
	fi
	local t0 t1 t2 t3
	for rows in $dials; do
		t0=$(date +%s)
		topo_up "$3" "${5:-}"
		t1=$(date +%s)
		"mode_${2}_up"
		t2=$(date +%s)
		run_rows "$1" "$2" "$3" "$rows"
		t3=$(date +%s)
		"mode_${2}_down"
		topo_down
		echo "scenario: $1 $2 $3 (tunnel $TUNNEL, dual links $TRANSPORT): links up $((t1 - t0)) s," \
			"mode up $((t2 - t1)) s, rows $((t3 - t2)) s, down $(($(date +%s) - t3)) s"
	done
}

scenario_table() {
	local receiver mode row rows
	for receiver in ${RECEIVERS//,/ }; do
		for mode in ${MODES//,/ }; do
			# The order stage is for receivers without a buffer: kernel.
			[ "$mode" = order ] && continue
			# Without duplication the receiver's buffer changes nothing:
			# a single path loses what it loses.
			[ "$mode" = none ] && [ "$receiver" = nobuffer ] && continue
			rows=
			for row in ${ROWS//,/ }; do
				# What needs no measuring: one path in row 2 (A down:
				# everything lost) and row 4 (as row 1), and row 4 without
				# a buffer (the late copies are old either way: as with
				# the buffer). One path in row 3 is row 1 (path B unused):
				# with --full only.
				case $mode-$receiver-$row in none-*-[24] | *-nobuffer-4) continue ;; esac
				[ "${FULL:-0}" = 1 ] || [ "$mode-$row" != none-3 ] || continue
				rows+=${rows:+,}$row
			done
			[ -z "$rows" ] || measure_rows table "$mode" "$receiver" "$rows"
		done
	done
}

# The guide's recipe only in row 2: it shows the recipe cannot work here.
scenario_nat() {
	measure_rows nat guide buffer 2 nat
	measure_rows nat dupgre buffer 2,3 nat
}

# The client's link to the secondary dies 5 s into a row-1 measurement
# (its pptp is killed, as when the path drops the control connection);
# pppd redials it (persist, holdoff 2) and runs ip-down and ip-up, whose
# hooks detach and re-attach duplication on the client and the relay on the
# secondary. Recorded: the measurement across the flap, how long the client
# had no dual link, and row 1 measured again afterwards.
scenario_flap() {
	local old new t0 outage i pids no_link
	topo_up buffer
	mode_dupgre_up
	set_row 1
	old=$(ip -n client -o link show ppp-dual | cut -d: -f1)
	measure_start
	sleep 5
	t0=$(date +%s%N)
	pids=$(ip netns pids client | while read -r p; do
		if tr '\0' ' ' <"/proc/$p/cmdline" | grep "^pptp $SECONDARY_PUB " >/dev/null; then echo "$p"; fi
	done)
	echo "scenario: flap: killing the client's pptp to the secondary (pids" $pids ")"
	# shellcheck disable=SC2086
	kill -KILL $pids
	for ((i = 0; i < 600; i++)); do
		new=$(ip -n client -o link show ppp-dual 2>/dev/null | cut -d: -f1 || true)
		# Duplication is back when the hook has attached to the new link.
		[ -n "$new" ] && [ "$new" != "$old" ] &&
			[ "$(nsx client "$CTL" -j status | jq '.clone[0].target_ifindex // 0')" = "$new" ] &&
			[ "$(nsx secondary "$CTL" -j status | jq '[.relay[] | select(.state == "attached")] | length')" = 2 ] &&
			break
		sleep 0.1
	done
	outage=$((($(date +%s%N) - t0) / 1000000))
	[ "$i" -lt 600 ] || { echo "scenario: flap: duplication did not come back within 60 s" >&2; return 1; }
	echo "scenario: flap: ppp-dual ifindex $old -> $new; duplication back after $outage ms"
	measure_finish
	# The primary's copies for the client that the secondary's relay
	# dropped while the client had no link there (routed instead, they
	# would reach the client's pptp with no elimination in the way).
	no_link=$(nsx secondary "$CTL" -j stats | jq '[.relay[].counters.no_link] | add // 0')
	record flap 1 dupgre buffer "$(jq -nc --argjson o "$outage" --argjson n "$no_link" \
		'{outage_ms: $o, relay_no_link: $n,
		  note: "the dual link killed 5 s in; pppd redials it and its hooks re-attach; the secondary dropped \($n) copies for the client meanwhile"}')"
	mode_counters dupgre || true
	run_rows after-flap dupgre buffer 1
	mode_dupgre_down
	topo_down
}

# The kernel's PPTP receiving at both ends of the client's link to the
# primary: one set of tunnels for every mode (no receiver here stalls), the
# modes one after the other on it. One path in rows 1 and 3 only (row 2
# loses everything, row 4 is row 1 for it). What the order stage is for:
# copies without it come too late for pptp.c (dupgre rows 1 and 3, ~10 %
# each). Only with --full: one path (the table's none rows show it), the
# guide's recipe (it copies as dupgre does) and dupgre's rows 2 and 4
# without order (A down needs no ordering; B's copies in row 4 are late
# with or without it).
scenario_kernel() {
	local mode row rows
	topo_up kernel
	for mode in ${MODES//,/ }; do
		rows=
		for row in ${ROWS//,/ }; do
			case $mode-$row in none-[24]) continue ;; esac
			if [ "${FULL:-0}" != 1 ]; then
				case $mode-$row in none-* | guide-* | dupgre-[24]) continue ;; esac
			fi
			rows+=${rows:+,}$row
		done
		[ -n "$rows" ] || continue
		"mode_${mode}_up"
		run_rows kernel "$mode" kernel "$rows"
		[ "$mode" = order ] && _restart_row
		"mode_${mode}_down"
	done
	topo_down
}

# Row 1 again, the holders restarted half way through as systemctl restart
# does it: what they held is released before they stop, and the new runs
# order from what was delivered (recorded as scenario kernel-restart, with
# how long the holders took to stop and to run again: the gaps of that
# time pass unordered).
_restart_row() {
	local t0 stop_ms restart_ms
	set_row 1
	measure_start
	sleep $((PACKETS / RATE / 2))
	t0=$(date +%s%N)
	_hold_stop
	stop_ms=$((($(date +%s%N) - t0) / 1000000))
	_hold_start
	restart_ms=$(((HOLD_BOUND_AT - t0) / 1000000))
	echo "scenario: kernel-restart: holders stopped after $stop_ms ms, bound to their queue again after $restart_ms ms"
	measure_finish
	record kernel-restart 1 order kernel "$(jq -nc --argjson s "$stop_ms" --argjson r "$restart_ms" \
		'{stop_ms: $s, restart_ms: $r,
		  note: "the holders stopped \($s) ms after SIGTERM and ran again \($r) ms after it; the gaps of that time passed unordered"}')"
}

# The first non-ppp transport in TRANSPORTS (for dual-nat and dual-flap).
_dual_transport() {
	local t
	for t in ${TRANSPORTS//,/ }; do [ "$t" = ppp ] || { echo "$t"; return; }; done
	echo wireguard
}

# Dual links of other kinds than PPP (issue 16), and the kernel's WireGuard
# as the client's tunnel (issue 17): dupgre only, one set of links per
# tunnel and transport. PPTP with pptp's buffer (its default) on the
# client; WireGuard's receiver reorders and drops duplicates itself.
scenario_dual() {
	local tunnel transport kinds receiver t0 t1 rows
	for tunnel in ${TUNNELS//,/ }; do
		receiver=buffer
		[ "$tunnel" = wireguard ] && receiver=wireguard
		TUNNEL=$tunnel
		# PPP dual links are dialled on their own (the hooks' way).
		if [[ ,$TRANSPORTS, == *,ppp,* ]]; then
			TRANSPORT=ppp
			measure_rows dual dupgre "$receiver" "$ROWS"
		fi
		# The other kinds side by side on one set of links, one after
		# the other (a mode is set up and taken down for each).
		kinds=$(tr ',' '\n' <<<"$TRANSPORTS" | grep -vx ppp | xargs)
		[ -n "$kinds" ] || continue
		TRANSPORT=${kinds%% *}
		t0=$(date +%s)
		DUAL_KINDS=$kinds topo_up "$receiver"
		echo "scenario: dual: links up ($kinds, tunnel $tunnel) in $(($(date +%s) - t0)) s"
		for transport in $kinds; do
			dual_select "$transport"
			t1=$(date +%s)
			mode_dupgre_up
			rows=$(_dual_rows "$transport")
			[ -z "$rows" ] || run_rows dual dupgre "$receiver" "$rows"
			mode_dupgre_down
			echo "scenario: dual: $transport (tunnel $tunnel) took $(($(date +%s) - t1)) s"
		done
		topo_down
	done
	TUNNEL=pptp TRANSPORT=ppp
}

# _dual_rows KIND: ROWS for wireguard (and ppp); GRE and IPIP: row 3, the
# row that tells dual links apart (row 3 upstream: 1 %, where pptpd's hold
# on PPP dual links gives 6-7 %).
_dual_rows() {
	local row rows=
	for row in ${ROWS//,/ }; do
		case $1-$row in gre-[124] | ipip-[124]) continue ;; esac
		rows+=${rows:+,}$row
	done
	echo "$rows"
}

# The NAT case with dual links that cross NAT on their own (WireGuard's
# endpoints; the primary dials the secondary): dupgre's NAT fix as in nat.
scenario_dual-nat() {
	TUNNEL=pptp TRANSPORT=$(_dual_transport)
	measure_rows dual-nat dupgre buffer 2,3 nat
	TUNNEL=pptp TRANSPORT=ppp
}

# The client's dual link goes away 5 s into a row-1 measurement, as with
# wg-quick down or ifdown (the device is deleted), and comes back 2 s later
# as a new device; each time the client's link hook runs (`hook link-down`:
# detach; `hook link-up`: attach to the new device). Recorded: that measurement, how
# long duplication was away, and row 1 again.
scenario_dual-flap() {
	local old new t0 outage i
	TUNNEL=pptp TRANSPORT=$(_dual_transport)
	topo_up buffer
	mode_dupgre_up
	set_row 1
	old=$(ip -n client -o link show "$DUAL_CLIENT" | cut -d: -f1)
	# Twice as long as a row: the flap and the return of duplication (22 s
	# under TCG on a busy machine: the hook's dupgre-ctl calls) within it.
	local full=$PACKETS PACKETS=$((PACKETS * 2))
	measure_start
	sleep 5
	t0=$(date +%s%N)
	echo "scenario: dual-flap: deleting the client's $TRANSPORT dual link (ifindex $old)"
	ip -n client link del "$DUAL_CLIENT"
	link_hook client down "$DUAL_CLIENT"
	sleep 2
	# The new device, configured but down; link-up runs when it appears
	# (as dupgre-link@.service, bound to the device, runs it), so that
	# elimination is on it before it passes a packet; then the link goes
	# up and link-up runs again (as ifupdown's if-up.d or
	# networkd-dispatcher would), changing nothing. Run only after the
	# link is up, the hook leaves a window in which the primary's copies
	# reach the client's pptp with no elimination: pptp 1.10 stalls on
	# them (an earlier run: 22 % lost downstream across the flap).
	LINK_DOWN=1 dual_client_up "$TRANSPORT"
	link_hook client up "$DUAL_CLIENT"
	ip -n client link set "$DUAL_CLIENT" up
	link_hook client up "$DUAL_CLIENT"
	new=$(ip -n client -o link show "$DUAL_CLIENT" | cut -d: -f1)
	for ((i = 0; i < 100; i++)); do
		[ "$(nsx client "$CTL" -j status | jq '.clone[0].target_ifindex // 0')" = "$new" ] && break
		sleep 0.1
	done
	[ "$TRANSPORT" != wireguard ] || _wg_wait client "$DUAL_CLIENT"
	outage=$((($(date +%s%N) - t0) / 1000000))
	[ "$i" -lt 100 ] || { echo "scenario: dual-flap: duplication did not come back" >&2; return 1; }
	echo "scenario: dual-flap: dual ifindex $old -> $new; duplication back after $outage ms"
	measure_finish
	record dual-flap 1 dupgre buffer "$(jq -nc --argjson o "$outage" \
		'{outage_ms: $o, note: "the client'"'"'s dual link deleted 5 s in and re-created 2 s later; its hook link-down detached duplication, hook link-up attached it to the new device"}')"
	mode_counters dupgre || true
	PACKETS=$full
	run_rows after-dual-flap dupgre buffer 1
	mode_dupgre_down
	topo_down
	TUNNEL=pptp TRANSPORT=ppp
}

# The router as the docs recommend it, all of it at once: the kernel's PPTP
# (what OpenWrt's ppp-mod-pptp uses) receiving at both ends, dupgre with
# the order stage (holders on the client and the primary), and WireGuard
# dual links. What each piece does alone is measured above; this is the
# combination a router runs.
# Then the adaptive copy policy on the same sites (issue 26): row 3, whose
# path A loses all the time (so the policy copies all the time: the same
# loss), and row 0, both paths clean, where it copies one packet in 16
# (path B's bytes against always's row 0, measured first).
scenario_router() {
	TUNNEL=pptp TRANSPORT=wireguard
	measure_rows router order kernel "0,$ROWS"
	measure_rows router adaptive kernel "0,3"
	TUNNEL=pptp TRANSPORT=ppp
}

scenario_main() {
	local sc t0
	echo "scenario: $SCENARIOS; rows $ROWS, modes $MODES, receivers $RECEIVERS," \
		"transports $TRANSPORTS, tunnels $TUNNELS," \
		"$PACKETS packets each way at $RATE/s"
	for m in veth sch_netem ppp_generic ppp_async ppp_mppe xt_u32 xt_TEE xt_mark cls_bpf sch_ingress \
		iptable_nat pptp nfnetlink_queue xt_NFQUEUE xt_comment iptable_raw wireguard ip_gre ipip; do
		modprobe "$m"
	done
	# On tmpfs: pptp logs every buffered packet through syslog(), and a
	# syslogd writing to 9p under TCG is slow enough to stall it.
	busybox syslogd -n -O /run/syslog.log &
	# Debian's /etc/ppp as installed, for the setup scenario: the
	# others replace its options (auth, crtscts, lock: meant for a modem).
	mkdir -p /etc/vmtests
	cp -a /etc/ppp /etc/vmtests/ppp.debian
	topo_ppp_config
	"$CTL" --version
	for sc in ${SCENARIOS//,/ }; do
		t0=$(date +%s)
		"scenario_$sc"
		echo "scenario: $sc done in $(($(date +%s) - t0)) s"
	done
}
