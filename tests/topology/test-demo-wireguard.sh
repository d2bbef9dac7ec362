#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# scripts/demo --tunnel wireguard, short: the guide's four rows through a
# real WireGuard tunnel (wireguard-go), 500 packets at 500/s per run. With
# duplication, each row loses what both paths lose (p_A x p_B, binomial
# bounds: row 2's 100 % outage of path A costs nothing), row 1's median
# latency is path A's delay (no reorder wait), and nothing is delivered twice.
# Without duplication rows 1, 2 and 4 lose ~10 %, 100 %, ~10 %: the checks fail.
source "$(dirname "$0")/../netns/lib.sh" "$1"
source "$(dirname "$0")/three-site.sh"
N=500
out=$("$(dirname "$0")/../../scripts/demo" --tunnel wireguard --json --packets "$N" --rate 500 --build "$BUILD")
echo "$out" | jq -c '.[]'
row() { jq -r --argjson r "$1" ".[] | select(.row == \$r) | $2" <<<"$out"; }

check_eq "four rows" 4 "$(jq length <<<"$out")"
for r in 1 2 3 4; do
	a=$(row "$r" .a_loss) b=$(row "$r" .b_loss)
	single=$(row "$r" '.single_path_loss * .packets | round')
	dual=$(row "$r" '.dupgre_loss * .packets | round')
	check "row $r: one path lost $single of $N, consistent with $a" binomial_within "$single" "$N" "$a"
	check "row $r: with dupgre $dual of $N lost, consistent with $a x $b" \
		binomial_within "$dual" "$N" "$(awk -v a="$a" -v b="$b" 'BEGIN { print a * b }')"
	check_eq "row $r: nothing delivered twice" 0 "$(row "$r" .delivered_twice)"
	check_eq "row $r: the receiver's tunnel is WireGuard" wireguard "$(row "$r" .tunnel)"
done
# Row 1: path A 150 ms, path B 250 ms. Most packets come by A; one lost on A
# comes by B 100 ms later, and nothing behind it waits.
p50=$(row 1 .dupgre_p50_ms)
check "row 1: p50 $p50 ms is path A's 150 ms delay, not a reorder wait" \
	awk "BEGIN { exit !($p50 >= 150 && $p50 <= 160) }"
p99=$(row 4 .dupgre_p99_ms)
check "row 4: path B's copies, 400 ms behind, still deliver (p99 $p99 ms ~ 550)" \
	awk "BEGIN { exit !($p99 >= 540 && $p99 <= 570) }"
finish
