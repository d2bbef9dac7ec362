# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# The order stage's test helpers on the three-site bench (sourced after
# three-site.sh, by test-order.sh and test-order-lifecycle.sh): the holder
# on the primary, one PPTP stream measured by a model of the kernel's
# receiver (pptprecv --nobuffer), numbered on from run to run as a real
# stream is (a jump far ahead would cost the packets that confirm it).

HOLDER=
HOLDER_LOG=/dev/null  # where the holder's stderr goes
field() { jq -r "$1" <<<"$2"; }
hold() { ctl "$NS_PRIMARY" -j stats | jq -r ".eliminate.hold.$1"; }
elim() { ctl "$NS_PRIMARY" -j stats | jq -r ".eliminate.totals.counters.$1"; }
# wait_for WHAT CMD...: polls CMD (every 20 ms, at most 20 s) until it succeeds.
wait_for() {
	local what=$1 i
	shift
	for i in $(seq 1000); do
		"$@" && return 0
		sleep 0.02
	done
	echo "FATAL: timed out waiting for $what"; exit 1
}
holder_running() { [ "$(hold running)" = true ]; }
start_holder() {  # returns once its first beat says the queue is bound
	ip netns exec "$NS_PRIMARY" "$CTL" hold 2>>"$HOLDER_LOG" & HOLDER=$!
	TOPO_PIDS+=("$HOLDER")
	wait_for "the holder's first beat" holder_running
}
stop_holder() {  # stop_holder [SIGNAL]: as systemctl stop does it (TERM), or killed
	if [ -n "$HOLDER" ]; then
		kill -"${1:-TERM}" "$HOLDER" 2>/dev/null || true
		wait "$HOLDER" 2>/dev/null || true
	fi
	HOLDER=
}
holder_took() { [ "$(hold counters.received)" -gt "$1" ]; }
holding() { [ "$(hold held)" -gt "$1" ]; }
in_order() {  # in_order REPORT: nothing delivered twice or after a newer number
	[ "$(field .duplicate "$1")" = 0 ] && [ "$(field .late "$1")" = 0 ]
}
seq_start=0 next_seq=1000
numbers() { seq_start=$next_seq next_seq=$((next_seq + $1)); }
# stream_start COUNT: the receiver and the sender ($RATE per second) in the
# background; the receiver's report comes from stream_end. The receiver
# stops RECV_IDLE_MS (default 1000) after the last packet.
stream_start() {
	numbers "$1"
	coproc RECV { ip netns exec "$NS_PRIMARY" "$BUILD/tests/tools/pptprecv" --src "$CLIENT_PUB" \
		--call-id 7 --count "$1" --seq-start "$seq_start" --nobuffer --idle-ms "${RECV_IDLE_MS:-1000}" --ready; }
	exec {rfd}<&"${RECV[0]}"
	read -r -t 10 -u "$rfd" line && [ "$line" = ready ] || { echo "FATAL: pptprecv"; exit 1; }
	ip netns exec "$NS_CLIENT" "$BUILD/tests/tools/pptpgen" --dst "$PRIMARY_PUB" --call-id 7 \
		--count "$1" --rate "$RATE" --seq-start "$seq_start" >/dev/null & gen=$!
}
stream_end() {
	wait "$gen"
	read -r -u "$rfd" report
	exec {rfd}<&-
	echo "$report"
}
