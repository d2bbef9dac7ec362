#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Both copies of every packet, at a high rate, on two interfaces whose
# traffic is processed on two different CPUs at the same time:
#
#   [tx0: veth, 198.18.0.1, sender on CPU 0] --> e0 \
#                                                    [rx: eliminate --mode drop, pptprecv]
#   [tx1: veth, 198.18.0.1, sender on CPU 1] --> e1 /
#
# veth delivers on the sending CPU, so the two copies of a number race for
# the stream's state. No number may pass twice, none that arrived be lost.
source "$(dirname "$0")/lib.sh" "$1"

COUNT=${COUNT:-40000}
RATE=${RATE:-20000}
# Real-time priority keeps the two senders in lockstep on a busy machine.
RT=()
chrt -f 20 true 2>/dev/null && RT=(chrt -f 20)
[ "$(nproc)" -ge 2 ] || { echo "needs 2 CPUs"; exit 1; }
ns_add rx
for i in 0 1; do
	ns_add "tx$i"
	v=tx$i
	veth_pair "${!v}" "s$i" 198.18.0.1/24 "$rx" "e$i" 198.18.0.2/24
	in_ns "$rx" sysctl -qw "net.ipv4.conf.e$i.rp_filter=0" net.ipv4.conf.all.rp_filter=0
done
for i in 0 1; do ctl "$rx" eliminate add --dev "e$i" --mode drop; done

coproc RECV { ip netns exec "$rx" "${RT[@]}" "$BUILD/tests/tools/pptprecv" --src 198.18.0.1 --call-id 9 \
	--count "$COUNT" --seq-start 0 --ready; }
exec {recv}<&"${RECV[0]}"
read -r -t 10 -u "$recv" line && [ "$line" = ready ]
# One start time for both senders, half a second ahead: each number leaves
# both at the same instant.
start_at=$(( $(date +%s%N) + 500000000 ))
for i in 0 1; do
	v=tx$i
	ip netns exec "${!v}" taskset -c "$i" "${RT[@]}" "$BUILD/tests/tools/pptpgen" --dst 198.18.0.2 \
		--call-id 9 --count "$COUNT" --rate "$RATE" --lcp-every 0 --start-at "$start_at" >"$TMP/gen$i" &
	PIDS+=("$!")
	senders+=("$!")
done
wait "${senders[@]}"
read -r -u "$recv" report
echo "     $report"
totals=$(ctl "$rx" -j stats | jq -c .eliminate.totals.counters)
echo "     eliminate: $totals"
arrived=0
for i in 0 1; do
	arrived=$((arrived + $(ip -n "$rx" -j -s link show "e$i" | jq '.[0].stats64.rx.packets')))
done
check_eq "the receiver saw no duplicate" 0 "$(jq .duplicate <<<"$report")"
check_eq "every number passed once" "$COUNT" "$(jq .passed <<<"$totals")"
# What the receiver's own socket buffer drops (a starved receiver) is not
# the datapath's loss: every number reached its socket or was counted there.
check_eq "the receiver got each number once (or its socket dropped it)" "$COUNT" \
	"$(jq '.received + .socket_drops' <<<"$report")"
check_eq "the other copy of every number discarded (or too late: rogue)" "$COUNT" \
	"$(jq '.discarded + .rogue' <<<"$totals")"
check_eq "no spurious reset" 0 "$(jq .resets <<<"$totals")"
# The race must really have been run: copies within the window of each other.
check "at least 90 % of the copies raced within the window" \
	test "$(jq .discarded <<<"$totals")" -ge "$((COUNT * 9 / 10))"
check_eq "both copies of every number arrived" "$((2 * COUNT))" "$arrived"
finish
