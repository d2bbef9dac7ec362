# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Shared by the namespace tests: unique names, a teardown that never leaks,
# background helpers that say when they are ready, and checks.
#
# Usage: source lib.sh BUILD_DIR; then use ns_add, in_ns, start_ready, ...
set -euo pipefail

BUILD=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
CTL="$BUILD/loader/dupgre-ctl"
PKTSEND="$BUILD/tests/pktsend"
PKTCAP="$BUILD/tests/pktcap"
PKTMIX="$BUILD/tests/pktmix"
PKTCSUM="$BUILD/tests/pktcsum"
TCPROG="$BUILD/tests/tools/tcprog"
TEST_NAME=$(basename "$0" .sh)
TMP=$(mktemp -d "/tmp/dupgre-$TEST_NAME.XXXXXX")
NAMESPACES=()
PIDS=()
FAILURES=0
PASSES=0

[ "$(id -u)" = 0 ] || { echo "$TEST_NAME: needs root" >&2; exit 1; }

cleanup() {
	local pid ns
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
	for ns in "${NAMESPACES[@]}"; do
		# Pins live in the host's bpffs and outlive the namespace.
		ip netns exec "$ns" "$CTL" flush >/dev/null 2>&1 || true
		ip netns del "$ns" 2>/dev/null || true
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'echo "FATAL: $0 line $LINENO: $BASH_COMMAND failed" >&2' ERR

# ns_add VAR: a fresh namespace, named after the test and this shell's pid.
ns_add() {
	local name="dg-${TEST_NAME#test-}-$1-$$"
	ip netns add "$name"
	NAMESPACES+=("$name")
	ip -n "$name" link set lo up
	ip netns exec "$name" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	printf -v "$1" %s "$name"
}

in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# retarget_under_traffic NS FLOW MARKER0 MARKER1 MAX: sends FLOW (hex
# packets, GRE to a peer of wan0) from NS at 4000/s while retargeting
# wan0's clone between sec1 and sec0 (at most MAX times; 0: as long as it
# flows), then MARKER0 through sec0 and MARKER1 through sec1: each TUN is
# FIFO, so its reader has seen every clone before it sees its marker.
# RETARGETS: how many there were.
retarget_under_traffic() {
	local ns=$1 flow=$2 m0=$3 m1=$4 max=$5 sender
	in_ns "$ns" "$PKTSEND" --pps 4000 <"$flow" 2>/dev/null &
	sender=$!
	PIDS+=("$sender")
	RETARGETS=0
	while kill -0 "$sender" 2>/dev/null && { [ "$max" = 0 ] || [ "$RETARGETS" -lt "$max" ]; }; do
		ctl "$ns" attach --dev wan0 --clone-to sec1
		ctl "$ns" attach --dev wan0 --clone-to sec0
		RETARGETS=$((RETARGETS + 2))
	done
	wait "$sender"
	ctl "$ns" attach --dev wan0 --clone-to sec0
	in_ns "$ns" "$PKTSEND" <"$m0" 2>/dev/null
	ctl "$ns" attach --dev wan0 --clone-to sec1
	in_ns "$ns" "$PKTSEND" <"$m1" 2>/dev/null
}
ctl() { local ns=$1; shift; ip netns exec "$ns" "$CTL" "$@"; }

# veth_pair NS_A DEV_A ADDR_A NS_B DEV_B ADDR_B (addresses with /len): up,
# addressed, and with permanent neighbour entries so no ARP is involved.
veth_pair() {
	ip -n "$1" link add "$2" type veth peer name "$5" netns "$4"
	ip -n "$1" addr add "$3" dev "$2"
	ip -n "$4" addr add "$6" dev "$5"
	ip -n "$1" link set "$2" up
	ip -n "$4" link set "$5" up
	local mac_a mac_b
	mac_a=$(ip -n "$1" -br link show "$2" | awk '{print $3}')
	mac_b=$(ip -n "$4" -br link show "$5" | awk '{print $3}')
	ip -n "$1" neigh replace "${6%/*}" lladdr "$mac_b" dev "$2" nud permanent
	ip -n "$4" neigh replace "${3%/*}" lladdr "$mac_a" dev "$5" nud permanent
}

# start_ready VAR CMD...: runs CMD in the background and waits (at most 10 s)
# for it to print "ready" on stderr; VAR gets its pid.
start_ready() {
	local var=$1 fifo line fd
	shift
	fifo="$TMP/fifo.$RANDOM$RANDOM"
	mkfifo "$fifo"
	"$@" 2>"$fifo" &
	PIDS+=("$!")
	printf -v "$var" %s "$!"
	exec {fd}<"$fifo"
	if ! read -r -t 10 -u "$fd" line || [ "$line" != ready ]; then
		echo "FATAL: '$*' did not get ready: ${line:-timeout}" >&2
		exit 1
	fi
	cat <&"$fd" >&2 &  # whatever it says later (errors) reaches the log
	exec {fd}<&-
}

# tun_capture VAR NS TUN OUT [ARGS...]: a TUN device held open by pktcap,
# which writes every packet it receives to OUT as a hex line.
tun_capture() {
	local var=$1 ns=$2 tun=$3 out=$4
	shift 4
	start_ready "$var" ip netns exec "$ns" "$PKTCAP" --tun "$tun" "$@" >"$out"
	# A queue long enough for a test's burst: the reader drains it.
	ip -n "$ns" link set "$tun" txqueuelen 10000 up
}

check() {
	local what=$1
	shift
	if "$@"; then
		echo "ok   - $what"
		PASSES=$((PASSES + 1))
	else
		echo "FAIL - $what"
		FAILURES=$((FAILURES + 1))
	fi
}
check_eq() {  # check_eq WHAT EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then
		echo "ok   - $1 ($3)"
		PASSES=$((PASSES + 1))
	else
		echo "FAIL - $1: expected '$2', got '$3'"
		FAILURES=$((FAILURES + 1))
	fi
}

# counter NS DEV NAME: one clone counter from `dupgre-ctl stats -j`.
counter() {
	ctl "$1" -j stats --dev "$2" | grep -o "\"$3\":[0-9]*" | cut -d: -f2
}

# How dupgre-ctl attaches programs here: tcx where the kernel has it, tc
# (clsact) where it has not or where DUPGRE_ATTACH=tc forces it (run the
# tests both ways: DUPGRE_ATTACH=tc ctest -R netns).
if [ "${DUPGRE_ATTACH:-auto}" = tc ] || ! "$TCPROG" list lo ingress >/dev/null; then
	ATTACH_MODE=tc
else
	ATTACH_MODE=tcx
fi

# hook_progs NS DEV ingress|egress: the BPF programs on the hook, whichever
# way they are attached, in the order they run: "ID NAME" a line, the tcx
# links first, then the clsact filters.
hook_progs() {
	in_ns "$1" "$TCPROG" list "$2" "$3" 2>/dev/null || true
	in_ns "$1" tc filter show dev "$2" "$3" 2>/dev/null | sed -n 's/.* id \([0-9]*\) name \([^ ]*\).*/\1 \2/p'
}

# ifindex NS DEV
ifindex() { ip -n "$1" -j link show "$2" | grep -o '"ifindex":[0-9]*' | cut -d: -f2; }

finish() {
	echo "$TEST_NAME: $PASSES passed, $FAILURES failed"
	[ "$FAILURES" -eq 0 ]
}
