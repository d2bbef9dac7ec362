#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Order mode on the three-site bench, received by a model of the kernel's
# PPTP (pptprecv --nobuffer: anything at or below the newest number taken
# is dropped, as drivers/net/ppp/pptp.c does). Without order, the second
# path saves only full outages; with it, the guide's table holds. The
# receiver is the witness: it reports every packet delivered twice or after
# a newer one, and there must be none.
source "$(dirname "$0")/../netns/lib.sh" "$1"
source "$(dirname "$0")/three-site.sh"
source "$(dirname "$0")/order-lib.sh"
trap 'stop_holder; topo_down; cleanup' EXIT

COUNT=2000
RATE=500
passed_over() {  # passed_over N: eliminate passed more than N in all
	[ "$(ctl "$NS_PRIMARY" -j stats | jq .eliminate.totals.counters.passed)" -gt "$1" ]
}
# measure runs in $(...): the numbers are taken before, in this shell.
measure() {  # measure COUNT: client -> primary, the kernel's rule at the receiver
	MEASURE_SEQ_START=$seq_start topo_measure client primary "$1" "$RATE" --nobuffer
}
row() {  # row A_LOSS A_DELAY B_LOSS B_DELAY
	topo_set path_a both "loss=$1 delay=${2}ms"
	topo_set path_b both "loss=$3 delay=${4}ms"
}

topo_up "dg-order-$$-" "$BUILD"
topo_relay
ctl "$NS_CLIENT" attach --dev wan0 --clone-to dual0
ctl "$NS_CLIENT" peer add --dev wan0 "$PRIMARY_PUB"

echo "# without order (drop mode): the kernel's rule loses what path A loses"
for dev in wan0 bvpn; do ctl "$NS_PRIMARY" eliminate add --dev "$dev" --mode drop --reset-ms 60000; done
row 0.1 150 0 250
numbers "$COUNT"
r=$(measure "$COUNT"); echo "     $r"
check "row 1 without order: about 10 % lost" binomial_within "$(field .lost "$r")" "$COUNT" 0.1
check_eq "no NFQUEUE rule outside order mode" 0 \
	"$(ip netns exec "$NS_PRIMARY" iptables -t raw -S PREROUTING | grep -c NFQUEUE || true)"

echo "# order mode: the guide's table"
for dev in wan0 bvpn; do ctl "$NS_PRIMARY" eliminate add --dev "$dev" --mode order; done
check "the NFQUEUE rule is in place" ip netns exec "$NS_PRIMARY" iptables -t raw -C PREROUTING \
	-m mark --mark 0xd06e0000/0xffff0000 -m comment --comment "dupgre order stage" \
	-j NFQUEUE --queue-num 13 --queue-bypass
start_holder
# The guide's rows: A loss/delay, B loss/delay, expected loss (the guide's
# 0 % taken as 0.1 %, as vmtests does: a gap whose copy an overloaded
# emulator delays past the wait is lost, and must stay rare).
n=0
declare -A reports
for spec in "0.1 150 0 250 0.001" "1 150 0 250 0.001" "0.1 150 0.1 250 0.01" "0.1 150 0 550 0.1"; do
	n=$((n + 1))
	read -r al ad bl bd want <<<"$spec"
	row "$al" "$ad" "$bl" "$bd"
	numbers "$COUNT"
	r=$(measure "$COUNT"); echo "     row $n: $r"
	reports[$n]=$r
	check "row $n with order: lost within bounds of $want" binomial_within "$(field .lost "$r")" "$COUNT" "$want"
	check "row $n: nothing delivered twice or out of order" in_order "$r"
done
check "the holder gave up on gaps (rows 3 and 4) and counted them" test "$(hold counters.gaps_skipped)" -gt 0
check "row 1: p50 is path B's delay, not a fixed window (< 270 ms)" \
	test "$(field '.latency_ms.p50 < 270' "${reports[1]}")" = true
check "row 3: p99 within the auto wait (< 350 ms; pptp-linux's 300 ms window gives ~490)" \
	test "$(field '.latency_ms.p99 < 350' "${reports[3]}")" = true
# Row 4: path B 400 ms behind, beyond the longest auto wait (333 ms): its
# copies come too late to help, and waiting for them would only delay what
# follows each gap (p50 ~425 ms). The wait gives up: p50 is path A's delay.
check "row 4: the auto wait gave up on copies that come too late" test "$(hold counters.wait_gave_up)" -gt 0
check "row 4: p50 within 20 ms of path A's delay (< 170 ms)" \
	test "$(field '.latency_ms.p50 < 170' "${reports[4]}")" = true

echo "# the wait follows path B's delay (what the last 5 s measured)"
row 0.1 150 0 200
numbers 3500; measure 3500 >/dev/null
w1=$(hold wait_ms)
row 0.1 150 0 300
numbers 3500; measure 3500 >/dev/null
w2=$(hold wait_ms)
echo "     wait $w1 ms with B 50 ms behind, $w2 ms with B 150 ms behind"
check "a 50 ms copy gap: a wait under 100 ms" awk -v w="$w1" 'BEGIN { exit !(w > 50 && w < 100) }'
check "a 150 ms copy gap: a wait over 150 ms" awk -v w="$w2" 'BEGIN { exit !(w > 150 && w <= 333) }'

echo "# a forged run far ahead (200 in a row, each near the one before) costs those packets, in order and in drop mode"
for mode in order drop; do
	for dev in wan0 bvpn; do ctl "$NS_PRIMARY" eliminate add --dev "$dev" --mode "$mode"; done
	row 0 150 0 250
	base=$(ctl "$NS_PRIMARY" -j stats | jq .eliminate.totals.counters.passed)
	stream_start "$COUNT"
	wait_for "500 packets through" passed_over $((base + 500))
	rogue=$(ctl "$NS_PRIMARY" -j stats | jq .eliminate.totals.counters.rogue)
	ip netns exec "$NS_CLIENT" "$BUILD/tests/tools/pptpgen" --dst "$PRIMARY_PUB" --call-id 7 --count 200 \
		--rate 1000 --seq-start $((seq_start + 1000000)) >/dev/null
	r=$(stream_end); echo "     $mode: $r"
	check_eq "$mode: nothing of the stream lost" 0 "$(field .lost "$r")"
	check "$mode: the forged run was dropped as rogue (200)" \
		test "$(ctl "$NS_PRIMARY" -j stats | jq .eliminate.totals.counters.rogue)" -ge $((rogue + 200))
done

echo "# 20 000 packets/s, 10 % lost on each path: memory within its bounds, nothing twice or late"
for dev in wan0 bvpn; do ctl "$NS_PRIMARY" eliminate add --dev "$dev" --mode order; done
row 0.1 150 0.1 250
RATE=20000
numbers 60000
r=$(measure 60000)
RATE=500
echo "     $r"
rss=$(awk '/VmRSS/ {print $2}' "/proc/$HOLDER/status")
echo "     holder RSS $rss kB, overflows $(hold counters.overflow)"
check "the holder's RSS stays small (< 32 MiB)" test "$rss" -lt 32768
check "nothing delivered twice or late at 20 kpps" in_order "$r"
holds_nothing() { [ "$(hold held)" = 0 ]; }
wait_for "the holder to release the stream's tail" holds_nothing
check "the holder holds nothing once the stream ends" holds_nothing
check "lost at 20 kpps: below 5 % (the limits skip gaps early)" \
	test "$(field '.lost < 3000' "$r")" = true

echo "# the holder killed mid-stream: traffic goes on, unordered"
for dev in wan0 bvpn; do ctl "$NS_PRIMARY" eliminate add --dev "$dev" --mode order; done
row 0.1 150 0 250
base=$(hold counters.received)
stream_start 3000
wait_for "the holder to take 500 packets" holder_took $((base + 500))
held=$(hold held)
stop_holder KILL
r=$(stream_end)
echo "     $r (the holder held $held when killed)"
check "traffic went on: most of 3000 delivered" test "$(field .delivered "$r")" -gt 2500
check "nothing delivered twice" test "$(field .duplicate "$r")" = 0
check_eq "the holder is seen as gone" false "$(hold running)"

echo "# flush removes the rule with the last order path"
ctl "$NS_PRIMARY" eliminate del --dev wan0 >/dev/null
ctl "$NS_PRIMARY" eliminate del --dev bvpn >/dev/null
check_eq "no NFQUEUE rule left" 0 "$(ip netns exec "$NS_PRIMARY" iptables -t raw -S PREROUTING | grep -c NFQUEUE || true)"
finish
