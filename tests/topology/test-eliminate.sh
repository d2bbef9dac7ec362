#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Duplicate elimination on the primary of the three-site bench, cloning on
# the client, relay on the secondary, 10 % loss on each path. Its counters
# must agree exactly with two independent witnesses: the PPTP receiver's
# own report and the link emulator's loss counters.
source "$(dirname "$0")/../netns/lib.sh" "$1"
source "$(dirname "$0")/three-site.sh"
trap 'topo_down; cleanup' EXIT

# 400 packets/s: the 64-number window spans 160 ms, far more than the 10 ms
# between the paths even when a busy machine delays the emulator.
COUNT=2000
RATE=400
field() { jq -r "$1" <<<"$2"; }
elim() {  # elim JQ-PATH: from the primary's `stats -j`
	ctl "$NS_PRIMARY" -j stats | jq "$1"
}
path_counter() {  # path_counter DEV NAME
	elim ".eliminate.paths[] | select(.device == \"$1\") | .counters.$2"
}

topo_up "dg-elim-$$-" "$BUILD"
topo_relay
ctl "$NS_CLIENT" attach --dev wan0 --clone-to dual0
ctl "$NS_CLIENT" peer add --dev wan0 "$PRIMARY_PUB"
# A reset time longer than the pause between the two runs below: the
# stream must not restart before the first run's numbers leave the window.
ctl "$NS_PRIMARY" eliminate add --dev wan0 --reset-ms 30000   # copies via path A
ctl "$NS_PRIMARY" eliminate add --dev bvpn                    # via path B and the relay
topo_set path_a both "loss=0.1 delay=15ms"
topo_set path_b both "loss=0.1 delay=25ms"

echo "# monitor mode, 10 % loss on each path"
topo_reset_stats
main=$(topo_measure client primary "$COUNT" "$RATE")
echo "     $main"
a_lost=$(jq .a2b.lost_packets <<<"$(topo_stats path_a)")
b_lost=$(jq .a2b.lost_packets <<<"$(topo_stats path_b)")
# A loss-free tail pushes every measured number out of the window.
topo_set path_a both "delay=15ms"
topo_set path_b both "delay=25ms"
tail=$(MEASURE_SEQ_START=$COUNT topo_measure client primary 100 "$RATE")
both_lost=$(field .lost "$main")
echo "     path A lost $a_lost, path B lost $b_lost, both $both_lost"
check "the receiver lost about 1 %" binomial_within "$both_lost" "$COUNT" 0.01
check_eq "lost = what the receiver lost" "$both_lost" "$(elim .eliminate.totals.counters.lost)"
passed=$(( $(field .delivered "$main") + $(field .delivered "$tail") ))
check_eq "passed = packets the receiver delivered" "$passed" "$(elim .eliminate.totals.counters.passed)"
# The receiver stops at its count, before the tail's last slow copies;
# the emulator saw every copy that reached the primary.
arrived=$(( $(jq .a2b.delivered_packets <<<"$(topo_stats path_a)") + $(jq .b2a.delivered_packets <<<"$(topo_stats relay)") ))
check_eq "discarded = copies that arrived, less those passed" "$((arrived - passed))" \
	"$(elim .eliminate.totals.counters.discarded)"
check_eq "path B rescued what only path A lost" "$((a_lost - both_lost))" "$(path_counter bvpn rescued)"
check_eq "path A rescued what only path B lost" "$((b_lost - both_lost))" "$(path_counter wan0 rescued)"
check "path A, the faster, delivered most first" test "$(path_counter wan0 first)" -gt "$(path_counter bvpn first)"
check_eq "no rogue packets" 0 "$(elim .eliminate.totals.counters.rogue)"
check_eq "no resets" 0 "$(elim .eliminate.totals.counters.resets)"
# Path B's copies come ~10 ms later: the 8-16 ms bucket (index 14) holds most.
gaps=$(elim '.eliminate.paths[] | select(.device == "bvpn") | .copy_gap_us_log2')
check "the gap histogram puts path B's copies ~10 ms behind" \
	test "$(jq '.[13] + .[14] + .[15]' <<<"$gaps")" -gt "$(( $(jq 'add' <<<"$gaps") * 9 / 10 ))"
check_eq "one stream" 1 "$(elim '.eliminate.streams | length')"
check "Prometheus exposes the gap histogram" bash -c \
	"ip netns exec $NS_PRIMARY $CTL stats --format prometheus | grep -q 'dupgre_eliminate_copy_gap_seconds_bucket{device=\"bvpn\",le=\"+Inf\"}'"

echo "# drop mode: the stack never sees a duplicate"
ctl "$NS_PRIMARY" eliminate add --dev wan0 --mode drop
check_eq "a new mode applies to every path" "drop drop" \
	"$(ctl "$NS_PRIMARY" -j status | jq -r '[.eliminate[].mode] | join(" ")')"
ctl "$NS_PRIMARY" eliminate add --dev wan0 --mode monitor
ctl "$NS_PRIMARY" eliminate del --dev wan0
ctl "$NS_PRIMARY" eliminate del --dev bvpn
check "no eliminate state left" test ! -e "/sys/fs/bpf/dupgre/netns/$NS_PRIMARY/eliminate"
ctl "$NS_PRIMARY" eliminate add --dev wan0 --mode drop
ctl "$NS_PRIMARY" eliminate add --dev bvpn --mode drop
topo_set path_a both "loss=0.1 delay=15ms"
topo_set path_b both "loss=0.1 delay=25ms"
dropped=$(MEASURE_SEQ_START=10000 topo_measure client primary "$COUNT" "$RATE")
echo "     $dropped"
check_eq "the receiver got no duplicate" 0 "$(field .duplicate "$dropped")"
check "and lost about 1 %" binomial_within "$(field .lost "$dropped")" "$COUNT" 0.01
check "duplicates were discarded" test "$(elim .eliminate.totals.counters.discarded)" -gt 1000

finish
