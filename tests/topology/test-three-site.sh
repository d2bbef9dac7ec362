#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# End to end on the three-site bench (three-site.sh): 10 % independent
# loss on each of the two paths. Without dupgre the primary's PPTP receiver loses ~10 %; with
# dupgre cloning on the client it loses ~1 % (0.1 x 0.1). Enough packets
# that the two are far apart: 3000 → 300 ± 54 vs 30 ± 18 (99.9 %).
source "$(dirname "$0")/../netns/lib.sh" "$1"
source "$(dirname "$0")/three-site.sh"
trap 'topo_down; cleanup' EXIT

COUNT=3000
field() { jq -r "$1" <<<"$2"; }

topo_up "dg-e2e-$$-" "$BUILD"
topo_secondary_routes
topo_set path_a both "loss=0.1 delay=15ms"
topo_set path_b both "loss=0.1 delay=25ms"

echo "# single path"
single=$(topo_measure client primary "$COUNT" 1000)
echo "     $single"
lost=$(field .lost "$single")
check "single path: $lost of $COUNT lost, consistent with 10 %" binomial_within "$lost" "$COUNT" 0.1
check_eq "single path: no duplicates" 0 "$(field .duplicate "$single")"

echo "# dupgre cloning on the client"
ctl "$NS_CLIENT" attach --dev wan0 --clone-to dual0
ctl "$NS_CLIENT" peer add --dev wan0 "$PRIMARY_PUB"
topo_reset_stats
dual=$(topo_measure client primary "$COUNT" 1000)
echo "     $dual"
lost=$(field .lost "$dual")
check "dupgre: $lost of $COUNT lost, consistent with 1 %" binomial_within "$lost" "$COUNT" 0.01
check "dupgre: not consistent with 10 %" bash -c "! awk 'BEGIN { exit !($lost >= 200) }'"
check_eq "every packet was cloned" "$COUNT" "$(counter "$NS_CLIENT" wan0 cloned)"
a_lost=$(jq .a2b.lost_packets <<<"$(topo_stats path_a)")
b_lost=$(jq .a2b.lost_packets <<<"$(topo_stats path_b)")
echo "     path A lost $a_lost, path B lost $b_lost"
check_eq "receiver's duplicates = copies that survived both paths" \
	"$((COUNT - a_lost - b_lost + lost))" "$(field .duplicate "$dual")"

# With both paths lossy, every gap lost on both holds the receiver's reorder
# buffer for its 300 ms timeout, so latency is not bounded by the paths.
# With a loss-free path B (the guide's first row) it is.
echo "# path B loss-free: nothing lost, latency at most path B's"
topo_set path_b both "delay=25ms"
clean=$(topo_measure client primary "$COUNT" 1000)
echo "     $clean"
check_eq "dupgre, path B clean: nothing lost" 0 "$(field .lost "$clean")"
check "dupgre, path B clean: p99 latency under 40 ms" \
	awk "BEGIN { exit !($(field .latency_ms.p99 "$clean") < 40) }"

finish
