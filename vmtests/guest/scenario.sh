# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# shellcheck shell=bash
# The guide's loss table in the guest: for each receiver mode, bring up the
# three sites, then for each duplication mode and table row set netem on
# both paths and measure each direction with the UDP probe through the
# client's tunnel to the primary. One JSON line per measurement goes to
# /run/vmout/results.jsonl. Parameters (params.sh): ROWS MODES RECEIVERS
# DIRECTIONS DUAL_RECEIVER PACKETS RATE CTL PROBE.
here=$(dirname "${BASH_SOURCE[0]}")
source "$here/topology.sh"
source "$here/modes.sh"

# The guide's table: path A loss % and delay, path B loss % and delay (one
# way, each direction), the guide's resulting loss %.
declare -A ROW=(
	[1]="10 150 0 250 0"
	[2]="100 150 0 250 0"
	[3]="10 150 10 250 1"
	[4]="10 150 0 550 10"
)

# measure DIRECTION: prints the probe receiver's JSON. up: client → primary
# (received through pptpd's pptpctrl), down: primary → client (received
# through the client's pptp, in the receiver mode under test).
PORT=5000
measure() {
	local tx=client rx=primary dst=10.66.6.1 ready=/run/probe.ready rpid sent
	[ "$1" = down ] && tx=primary rx=client dst=10.66.6.66
	PORT=$((PORT + 1))
	rm -f "$ready"
	ip netns exec "$rx" "$PROBE" recv --port "$PORT" --count "$PACKETS" --ready "$ready" >/run/probe.recv &
	rpid=$!
	while [ ! -e "$ready" ]; do sleep 0.1; done
	sent=$(nsx "$tx" "$PROBE" send --dst "$dst" --port "$PORT" --count "$PACKETS" --rate "$RATE")
	# Drain: the slowest path (550 ms), a reorder timeout (300 ms), TCG.
	sleep 2
	kill -TERM "$rpid"
	wait "$rpid"
	jq -c --argjson s "$sent" '. + {send_errors: $s.send_errors, send_seconds: $s.seconds}' /run/probe.recv
}

receiver_name() {  # the receiving PPTP stack for a direction
	if [ "$2" = up ]; then echo "pptpd (pptpctrl buffer)"
	elif [ "$1" = nobuffer ]; then echo "pptp --nobuffer"
	else echo "pptp --timeout 0.3"; fi
}

scenario_main() {
	local receiver mode row dir a_loss a_delay b_loss b_delay guide res t0
	echo "scenario: rows $ROWS, modes $MODES, receivers $RECEIVERS, directions $DIRECTIONS," \
		"dual link $DUAL_RECEIVER, $PACKETS packets at $RATE/s"
	for m in veth sch_netem ppp_generic ppp_async ppp_mppe xt_u32 xt_TEE xt_mark cls_bpf sch_ingress; do
		modprobe "$m"
	done
	# On tmpfs: pptp logs every buffered packet through syslog(), and a
	# syslogd writing to 9p under TCG is slow enough to stall it.
	busybox syslogd -n -O /run/syslog.log &
	topo_ppp_config
	"$CTL" --version 2>/dev/null || true
	for receiver in ${RECEIVERS//,/ }; do
		t0=$(date +%s)
		topo_up "$receiver" "$DUAL_RECEIVER"
		echo "scenario: tunnels up in $(($(date +%s) - t0)) s"
		for mode in ${MODES//,/ }; do
			echo "scenario: mode $mode up"
			"mode_${mode}_up"
			for row in ${ROWS//,/ }; do
				read -r a_loss a_delay b_loss b_delay guide <<<"${ROW[$row]}"
				set_path A "$a_loss" "$a_delay"
				set_path B "$b_loss" "$b_delay"
				sleep 1
				for dir in ${DIRECTIONS//,/ }; do
					t0=$(date +%s)
					res=$(measure "$dir")
					echo "scenario: row $row $mode $receiver $dir ($(($(date +%s) - t0)) s): $res"
					jq -c --argjson row "$row" --arg mode "$mode" --arg recv "$receiver" --arg dual "$DUAL_RECEIVER" \
						--arg rname "$(receiver_name "$receiver" "$dir")" --arg dir "$dir" \
						--argjson al "$a_loss" --argjson ad "$a_delay" --argjson bl "$b_loss" \
						--argjson bd "$b_delay" --argjson g "$guide" --argjson rate "$RATE" \
						'{scenario: "row\($row)", row: $row, mode: $mode, receiver: $recv,
						  receiver_stack: $rname, dual_link_receiver: $dual, direction: $dir,
						  path_a: {loss_pct: $al, delay_ms: $ad}, path_b: {loss_pct: $bl, delay_ms: $bd},
						  guide_loss_pct: $g, rate_pps: $rate} + .' <<<"$res" >>"$LOG/results.jsonl"
				done
				mode_counters "$mode" || true
			done
			echo "scenario: mode $mode down"
			"mode_${mode}_down"
		done
		topo_down
	done
}
