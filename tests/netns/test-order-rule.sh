#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Order mode's two halves outside the programs, in one namespace with a
# veth pair (no packet is sent): the NFQUEUE rule and the holder.
#   - eliminate add --mode order with no holder warns; status and check say
#     the holder is missing, with the fix.
#   - the running holder puts the rule back after nft flush ruleset,
#     iptables -t raw -F and iptables -D of the rule itself, within 5 s,
#     counts each (rule_restored) and says so on its stderr.
#   - stats shows the kernel's counts for the queue while the holder is bound.
#   - with the holder stopped and the rule removed, check fails naming the
#     rule, and the printed fix puts it back.
source "$(dirname "$0")/lib.sh" "$1"
command -v nft >/dev/null || { echo "$TEST_NAME: needs nft (scripts/install-deps)"; exit 1; }

ns_add NS
in_ns "$NS" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
ip -n "$NS" link add v0 type veth peer name v1
ip -n "$NS" link set v0 up
ip -n "$NS" link set v1 up

# wait_until SECONDS CMD...: polls CMD until it succeeds (0) or the time is
# up (1); WAITED gets the seconds it took.
wait_until() {
	local limit=$1 start=$EPOCHREALTIME now
	shift
	while :; do
		now=$EPOCHREALTIME
		WAITED=$(awk -v a="$start" -v b="$now" 'BEGIN { printf "%.2f", b - a }')
		"$@" >/dev/null 2>&1 && return 0
		awk -v w="$WAITED" -v l="$limit" 'BEGIN { exit !(w >= l) }' && return 1
		sleep 0.05
	done
}
hold_json() { ctl "$NS" -j stats | jq -c "$1"; }
holder_running() { [ "$(hold_json .eliminate.hold.running)" = true ]; }
holder_stopped() { [ "$(hold_json .eliminate.hold.running)" = false ]; }
restored_is() { [ "$(hold_json .eliminate.hold.counters.rule_restored)" = "$1" ]; }
rule_present() { in_ns "$NS" iptables -w -t raw -C PREROUTING "${RULE[@]}"; }
log_lines() { grep -c "NFQUEUE rule .* put it back" "$TMP/hold.err" || true; }

# run_check: check's output in $OUT, its exit status in $RC.
run_check() {
	RC=0
	OUT=$(ctl "$NS" check 2>&1) || RC=$?
}
# check_fails WHAT LINE FIX: exit 1, a FAIL line holding LINE, its fix FIX.
check_fails() {
	run_check
	local line fix
	line=$(grep '^FAIL' <<<"$OUT" | grep -F -- "$2" | head -n1 || true)
	fix=$(grep -A1 '^FAIL' <<<"$OUT" | grep -A1 -F -- "$2" | grep '^      fix: ' | head -n1 || true)
	if [ "$RC" = 1 ] && [ -n "$line" ] && [[ "$fix" == *"$3"* ]]; then
		echo "ok   - $1"
		echo "       $line"
		echo "       $fix"
		PASSES=$((PASSES + 1))
	else
		echo "FAIL - $1: expected exit 1, a FAIL line with '$2' and a fix with '$3'; exit $RC:"
		sed 's/^/       /' <<<"$OUT"
		FAILURES=$((FAILURES + 1))
	fi
	FIXCMD=${fix#      fix: }
	FIXCMD=${FIXCMD%% (*}
	FIXCMD=${FIXCMD/#dupgre-ctl /$CTL }
}

echo "# order mode with no holder"
RC=0
ctl "$NS" eliminate add --dev v0 --mode order 2>"$TMP/add.err" || RC=$?
check_eq "eliminate add --mode order without a holder succeeds" 0 "$RC"
check "... and warns on stderr that no holder runs, with how to start one" \
	grep -q "^dupgre-ctl: warning: .*no holder runs.*systemctl start dupgre-hold" "$TMP/add.err"
check "status says the holder is not running" \
	grep -q "^holder: not running: packets after a gap pass unordered" <<<"$(ctl "$NS" status)"
check_fails "check fails naming the holder" "holder (order mode): not running" \
	"start the holder: systemctl start dupgre-hold"

# The rule as eliminate add wrote it, to name it exactly.
line=$(in_ns "$NS" iptables -w -t raw -S PREROUTING | grep -F 'dupgre order stage' || true)
check "the rule hands marked packets to NFQUEUE 13" grep -q -- "-j NFQUEUE --queue-num 13 --queue-bypass" <<<"$line"
eval "RULE=(${line#-A PREROUTING })"

echo "# the holder"
ip netns exec "$NS" "$CTL" hold 2>"$TMP/hold.err" &
HOLDER=$!
PIDS+=("$HOLDER")
check "the holder's heartbeat within 5 s" wait_until 5 holder_running
ctl "$NS" eliminate add --dev v0 --mode order 2>"$TMP/add.err"
check "eliminate add --mode order with the holder running warns of nothing" test ! -s "$TMP/add.err"
run_check
check_eq "check passes with the holder and the rule in place" 0 "$RC"
check "... naming the holder" grep -q "^OK    holder (order mode): running, pid $HOLDER" <<<"$OUT"
check "... and the rule" grep -q "^OK    order rule: iptables raw PREROUTING hands marked packets to NFQUEUE 13" <<<"$OUT"
check "status: the holder runs, and its queue is bound" \
	grep -q "^holder: running, pid $HOLDER; queue 13: [0-9]* waiting, queue_dropped 0 (queue full), user_dropped 0" \
	<<<"$(ctl "$NS" status)"
check_eq "stats -j: the kernel's counts for the holder's queue" \
	'{"number":13,"bound":true,"queue_total":0,"queue_dropped":0,"user_dropped":0}' "$(hold_json .eliminate.hold.queue)"
prom=$(ctl "$NS" stats --format prometheus)
for sample in dupgre_hold_queue_dropped_packets_total dupgre_hold_queue_user_dropped_packets_total \
	dupgre_hold_rule_restores_total; do
	check "Prometheus: $sample 0" grep -qx "$sample 0" <<<"$prom"
done

n=0
for how in "nft flush ruleset" "iptables -t raw -F" "iptables -t raw -D PREROUTING <the rule>"; do
	n=$((n + 1))
	echo "# $how"
	case $how in
	nft*) in_ns "$NS" nft flush ruleset ;;
	*-F) in_ns "$NS" iptables -w -t raw -F ;;
	*-D*) in_ns "$NS" iptables -w -t raw -D PREROUTING "${RULE[@]}" ;;
	esac
	if wait_until 5 rule_present; then
		echo "ok   - the rule is back after $how, in ${WAITED} s"
		PASSES=$((PASSES + 1))
	else
		echo "FAIL - the rule is not back after $how within 5 s"
		FAILURES=$((FAILURES + 1))
	fi
	check "rule_restored counts it ($n)" wait_until 2 restored_is "$n"
	check_eq "the holder said so on stderr, once each time" "$n" "$(log_lines)"
done
check_eq "one rule, not two" 1 "$(in_ns "$NS" iptables -w -t raw -S PREROUTING | grep -c 'dupgre order stage')"

echo "# the holder stopped"
kill "$HOLDER"
wait "$HOLDER" || true
check "status: the heartbeat stops within 5 s" wait_until 5 holder_stopped
check_eq "stats -j: no holder bound to the queue" \
	'{"number":13,"bound":false,"queue_total":0,"queue_dropped":0,"user_dropped":0}' "$(hold_json .eliminate.hold.queue)"
check_fails "check fails naming the holder" "holder (order mode): not running" \
	"start the holder: systemctl start dupgre-hold"
in_ns "$NS" iptables -w -t raw -D PREROUTING "${RULE[@]}"
check_fails "with the rule removed, check fails naming it" "order rule: missing" \
	"dupgre-ctl eliminate add --dev v0 --mode order"
echo "       applying: $FIXCMD"
# shellcheck disable=SC2086 # the fix is a command line
in_ns "$NS" $FIXCMD 2>"$TMP/add.err"
check "the fix puts the rule back" rule_present
check "... and warns again that no holder runs" grep -q "no holder runs" "$TMP/add.err"

echo "# a second path with another mode"
ctl "$NS" eliminate add --dev v1 --mode drop 2>"$TMP/add.err"
check "the new mode applies to the first path too, and eliminate add says so in one line" \
	grep -qx "dupgre-ctl: note: mode drop (was order) now applies to v0 too: every path carries copies of the same streams" \
	"$TMP/add.err"
check_eq "status -j: both paths drop" '[["v0","drop"],["v1","drop"]]' \
	"$(ctl "$NS" -j status | jq -c '[.eliminate[] | [.device, .mode]]')"
RC=0
rule_present || RC=$?
check "out of order mode, the rule is gone" test "$RC" != 0
ctl "$NS" eliminate add --dev v1 --mode drop 2>"$TMP/add.err"
check "the same mode again: nothing to say" test ! -s "$TMP/add.err"

finish
