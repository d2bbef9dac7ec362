#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Integration test of linkemu, driven by pptpgen and pptprecv. Needs root.
# Usage: test-linkemu.sh BUILD_DIR   (the directory holding the three tools)
#
#   netns $NS_A                                    netns $NS_B
#   pptpgen --dst 10.99.0.2                        pptprecv --src 10.99.0.1
#   le0 10.99.0.1/30 <=== linkemu (a2b, b2a) ===> le0 10.99.0.2/30
#
# Every packet stays inside the two namespaces this script creates: linkemu
# moves packets between the TUN descriptors, never through the root
# namespace. The namespaces, the devices (non-persistent, they go with
# linkemu) and the processes are removed on any exit.
#
# Checks, each printing what it measured:
#  (a) loss=0.1: measured loss inside the 99.9 % binomial interval, and
#      linkemu's counters equal what the receiver saw
#  (b) delay=50ms: no packet faster than 50 ms, p50 within 3 ms of 50 ms
#  (c) delay=0: end-to-end p99 (which bounds linkemu's own added latency)
#      below 1 ms
#  (d) loss=1: nothing delivered
#  (e) a fresh linkemu with the same seed loses exactly the same packets
#  (f) dup, reorder and jitter together: the receiver repairs the order
#      and discards exactly the copies linkemu made
#  (g) --schedule 'a2b:5s:none;loss=1': what is sent in the clean phase all
#      arrives; once the control socket reports phase 1, nothing does
#  (h) a schedule started over the control socket takes effect at once;
#      a bad one is refused
set -euo pipefail

BIN=${1:?usage: test-linkemu.sh BUILD_DIR}

# What this test needs is installed by scripts/install-deps; a machine
# without it fails here, loudly, rather than skipping.
need() { echo "FAIL: $*"; exit 1; }
[[ $EUID -eq 0 ]] || need "needs root (network namespaces, TUN)"
[[ -c /dev/net/tun ]] || need "no /dev/net/tun"
command -v jq >/dev/null || need "needs jq (scripts/install-deps installs it)"
for tool in linkemu pptpgen pptprecv; do
	[[ -x $BIN/$tool ]] || { echo "FAIL: $BIN/$tool not found"; exit 1; }
done

# The tools run SCHED_FIFO when possible: on a shared 2-core machine a
# compiler at normal priority would otherwise add milliseconds of scheduling
# delay to (c), which measures the emulator, not the scheduler.
RT=()
if chrt -f 20 true 2>/dev/null; then
	RT=(chrt -f 20)
fi

NS_A=dupgre-le-a-$$
NS_B=dupgre-le-b-$$
ADDR_A=10.99.0.1
ADDR_B=10.99.0.2
DEV=le0
CALL_ID=4660
SEED=7
TMP=$(mktemp -d /tmp/test-linkemu.XXXXXX)
CTL=$TMP/linkemu.sock
PIDS=()
FAILED=0

cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	ip netns del "$NS_A" 2>/dev/null || true
	ip netns del "$NS_B" 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT

# Drops a process that has been waited for from the cleanup list, so that
# cleanup never signals a recycled pid.
forget_pid() {
	local keep=() pid
	for pid in "${PIDS[@]}"; do
		[[ $pid == "$1" ]] || keep+=("$pid")
	done
	PIDS=("${keep[@]}")
}

check() { # check DESCRIPTION CONDITION-AWK-EXPR
	if awk "BEGIN { exit !($2) }"; then
		echo "  PASS: $1"
	else
		echo "  FAIL: $1   [$2]"
		FAILED=1
	fi
}

# Starts linkemu (with any extra options) and waits for its "ready" line
# (an event, not a sleep).
LE_PID=
start_linkemu() {
	rm -f "$TMP/linkemu.out"
	mkfifo "$TMP/linkemu.out"
	# "trap - EXIT": a background subshell killed before its exec must
	# not run the cleanup itself.
	(trap - EXIT; exec "${RT[@]}" "$BIN/linkemu" --ns-a "$NS_A" --dev-a "$DEV" --ns-b "$NS_B" \
		--dev-b "$DEV" --control "$CTL" --seed "$SEED" --mtu 1500 "$@" >"$TMP/linkemu.out") &
	LE_PID=$!
	PIDS+=("$LE_PID")
	local line=
	exec {LE_FD}<"$TMP/linkemu.out"
	read -r -t 10 -u "$LE_FD" line || true
	[[ $line == ready ]] || { echo "FAIL: linkemu did not become ready"; exit 1; }
	ip -n "$NS_A" addr add "$ADDR_A/30" dev "$DEV"
	ip -n "$NS_B" addr add "$ADDR_B/30" dev "$DEV"
}

stop_linkemu() {
	kill -TERM "$LE_PID"
	wait "$LE_PID" || { echo "FAIL: linkemu exited with an error"; exit 1; }
	forget_pid "$LE_PID"
	exec {LE_FD}<&-
	[[ ! -e $CTL ]] || { echo "FAIL: linkemu left its control socket"; exit 1; }
}

emu() { "$BIN/linkemu" --control "$CTL" --cmd "$*"; }

# run_case SPEC COUNT RATE [idle]: sends COUNT packets at RATE/s from A to B
# over a link with SPEC ("-": leave the link as it is). Sets GEN, RECV (the tools' JSON) and EMU (linkemu's
# stats). The receiver stops once COUNT numbers are settled, or with "idle"
# only when the link has been quiet for a second, so that it also sees the
# copies still in flight.
run_case() {
	local spec=$1 count=$2 rate=$3 line=''
	local stop=(--count "$2")
	[[ ${4:-} != idle ]] || stop=()
	[[ $spec == - ]] || emu set a2b "$spec" >/dev/null
	emu reset-stats >/dev/null

	rm -f "$TMP/recv.out"
	mkfifo "$TMP/recv.out"
	(trap - EXIT; exec ip netns exec "$NS_B" "${RT[@]}" "$BIN/pptprecv" --src "$ADDR_A" \
		--call-id "$CALL_ID" --seq-start 0 "${stop[@]}" --idle-ms 1000 \
		--ready >"$TMP/recv.out") &
	local recv_pid=$!
	PIDS+=("$recv_pid")
	exec {RECV_FD}<"$TMP/recv.out"
	read -r -t 10 -u "$RECV_FD" line || true
	[[ $line == ready ]] || { echo "FAIL: pptprecv did not become ready"; exit 1; }

	GEN=$(timeout 120 ip netns exec "$NS_A" "${RT[@]}" "$BIN/pptpgen" --dst "$ADDR_B" \
		--call-id "$CALL_ID" --count "$count" --rate "$rate" --size 200)
	wait "$recv_pid" || { echo "FAIL: pptprecv failed"; exit 1; }
	forget_pid "$recv_pid"
	read -r -t 10 -u "$RECV_FD" RECV || true
	exec {RECV_FD}<&-
	EMU=$(emu stats)
	echo "  pptpgen:  $GEN"
	echo "  pptprecv: $RECV"
	echo "  linkemu:  $(jq -c .a2b <<<"$EMU")"
}

g() { jq -r "$1" <<<"$GEN"; }
r() { jq -r "$1" <<<"$RECV"; }
e() { jq -r "$1" <<<"$EMU"; }

ip netns add "$NS_A"
ip netns add "$NS_B"
for ns in "$NS_A" "$NS_B"; do
	ip -n "$ns" link set lo up
	# No IPv6 autoconfiguration chatter on the link: the counters below
	# must see only the test's own packets.
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
done
start_linkemu

echo "scheduling: ${RT[*]:-normal (chrt -f unavailable: (c) may fail on a busy machine)}"
echo "(a) loss=0.1, 5000 packets at 5000/s"
run_case "loss=0.1" 5000 5000
N=$(g .sent)
LOST=$(r .lost)
LOST_A=$LOST
# 99.9 % two-sided binomial interval: n p +- 3.29 sqrt(n p (1-p))
read -r LO HI < <(awk -v n="$N" -v p=0.1 'BEGIN { m = n*p; d = 3.29*sqrt(n*p*(1-p));
	printf "%d %d\n", m - d + 0.999, m + d }')
echo "  measured loss $LOST/$N = $(awk -v l="$LOST" -v n="$N" 'BEGIN{printf "%.2f", 100*l/n}') %," \
	"99.9 % interval [$LO, $HI]"
check "all 5000 sent" "$N == 5000"
check "loss count within [$LO, $HI]" "$LOST >= $LO && $LOST <= $HI"
check "linkemu rx_packets == sent" "$(e .a2b.rx_packets) == $N"
check "linkemu lost_packets == receiver lost" "$(e .a2b.lost_packets) == $LOST"
check "linkemu delivered_packets == receiver received" \
	"$(e .a2b.delivered_packets) == $(r .received)"
check "receiver delivered + lost == sent" "$(r .delivered) + $LOST == $N"
check "no duplicates, late packets or socket drops" \
	"$(r .duplicate) == 0 && $(r .late) == 0 && $(r .socket_drops) == 0"
check "no queue drops or write errors in linkemu" \
	"$(e .a2b.queue_drops) == 0 && $(e .a2b.tx_errors) == 0"

echo "(b) delay=50ms, 2000 packets at 2000/s"
run_case "delay=50ms" 2000 2000
MIN=$(r .latency_ms.min)
P50=$(r .latency_ms.p50)
echo "  latency min $MIN ms, p50 $P50 ms, p99 $(r .latency_ms.p99) ms, max $(r .latency_ms.max) ms"
check "everything delivered" "$(r .delivered) == 2000 && $(r .lost) == 0"
check "no packet faster than the delay (min >= 50 ms)" "$MIN >= 50.0"
check "p50 within 3 ms of 50 ms" "$P50 >= 50.0 && $P50 <= 53.0"

echo "(c) delay=0, 5000 packets at 5000/s: linkemu's own latency"
run_case "none" 5000 5000
P50=$(r .latency_ms.p50)
P99=$(r .latency_ms.p99)
echo "  end-to-end latency (stack + linkemu): p50 $P50 ms, p99 $P99 ms, max $(r .latency_ms.max) ms"
check "everything delivered" "$(r .delivered) == 5000 && $(r .lost) == 0"
check "p99 below 1 ms" "$P99 < 1.0"

echo "(d) loss=1 (link down), 1000 packets at 5000/s"
run_case "loss=1" 1000 5000
check "receiver got nothing" "$(r .received) == 0 && $(r .delivered) == 0 && $(r .lost) == 1000"
check "linkemu lost everything" \
	"$(e .a2b.lost_packets) == 1000 && $(e .a2b.delivered_packets) == 0"

echo "(e) a fresh linkemu with the same seed repeats (a) exactly"
stop_linkemu
start_linkemu
run_case "loss=0.1" 5000 5000
echo "  lost $(r .lost) now, $LOST_A in (a)"
check "same loss count as (a)" "$(r .lost) == $LOST_A"

echo "(f) dup=0.2,reorder=0.1,delay=10ms,jitter=5ms, 3000 packets at 3000/s"
run_case "dup=0.2,reorder=0.1,delay=10ms,jitter=5ms" 3000 3000 idle
echo "  linkemu duplicated $(e .a2b.duplicated), reordered $(e .a2b.reordered);" \
	"receiver duplicate $(r .duplicate), late $(r .late)"
check "everything delivered once, in order" "$(r .delivered) == 3000 && $(r .lost) == 0"
check "receiver discarded exactly linkemu's copies" \
	"$(r .duplicate) == $(e .a2b.duplicated) && $(r .late) == 0"
check "some copies and some reordering happened" \
	"$(e .a2b.duplicated) > 0 && $(e .a2b.reordered) > 0"

echo "linkemu config: $(emu config)"
stop_linkemu

echo "(g) --schedule 'a2b:5s:none;loss=1': 500 packets in each phase at 2000/s"
start_linkemu --schedule 'a2b:5s:none;loss=1'
run_case - 500 2000
PHASE=$(emu schedule | jq .a2b.phase)
# 5 s is ample for this on an idle machine; if the first phase ended
# before its packets were through, this run says so rather than pass.
check "phase 0 still running after its packets (schedule: $(emu schedule))" "$PHASE == 0"
check "clean phase: all 500 delivered" \
	"$(r .delivered) == 500 && $(r .lost) == 0 && $(e .a2b.lost_packets) == 0"
# The phase boundary: polled on the control socket, bounded in time.
for ((i = 0; i < 100; i++)); do
	PHASE=$(emu schedule | jq .a2b.phase)
	[[ $PHASE == 0 ]] || break
	sleep 0.1
done
check "phase 1 reported within 10 s of the end of (g)'s first run" "$PHASE == 1"
check "config follows the schedule" "\"$(emu config | jq -r .a2b)\" == \"loss=1\""
run_case - 500 2000
check "lossy phase: none of 500 delivered" \
	"$(r .received) == 0 && $(r .lost) == 500 && $(e .a2b.lost_packets) == 500"
stop_linkemu

echo "(h) schedule a2b:loss=1 started at run time over the control socket"
start_linkemu
REPLY=$(emu "schedule a2b:loss=1")
check "the reply says when it started ($REPLY)" "$([[ $REPLY =~ ^ok\ a2b\ start_ns\ [0-9]+$ ]] && echo 1 || echo 0) == 1"
check "config follows it" "\"$(emu config | jq -r .a2b)\" == \"loss=1\""
run_case - 200 2000
check "none of 200 delivered" "$(r .received) == 0 && $(e .a2b.lost_packets) == 200"
BAD=0
emu "schedule a2b:loss=2" 2>/dev/null || BAD=$?
check "a bad schedule is refused (exit $BAD)" "$BAD == 1"
stop_linkemu
if [[ $FAILED -ne 0 ]]; then
	echo "test-linkemu: FAILED"
	exit 1
fi
echo "test-linkemu: all checks passed"
