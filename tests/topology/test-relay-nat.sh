#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# All three mechanisms on the three-site bench (three-site.sh), in both
# directions: clone on the client and the primary, relay on the secondary
# (no routes, no fwmark: the secondary has no route to either public
# address), and the NAT fix for a primary behind 1:1 NAT.
source "$(dirname "$0")/../netns/lib.sh" "$1"
source "$(dirname "$0")/three-site.sh"
trap 'topo_down; cleanup' EXIT

COUNT=3000
field() { jq -r "$1" <<<"$2"; }
relay_counter() {  # relay_counter LINK NAME
	ctl "$NS_SECONDARY" -j stats --dev "$1" | jq ".relay[0].counters.$2"
}
measure_both() {  # measure_both LABEL EXPECTED_LOSS: both directions
	local dir report lost
	for dir in "client primary" "primary client"; do
		report=$(topo_measure $dir "$COUNT" 1000)
		lost=$(field .lost "$report")
		echo "     ${dir/ / → }: $report"
		check "$1, ${dir/ / → }: $lost of $COUNT lost, consistent with $2" \
			binomial_within "$lost" "$COUNT" "$2"
		LAST_DUPLICATES=$(field .duplicate "$report")
	done
}

echo "# relay: copies cross the secondary in both directions"
topo_up "dg-relay-$$-" "$BUILD"
topo_relay
ctl "$NS_CLIENT" attach --dev wan0 --clone-to dual0
ctl "$NS_CLIENT" peer add --dev wan0 "$PRIMARY_PUB"
ctl "$NS_PRIMARY" attach --dev wan0 --clone-to bvpn
ctl "$NS_PRIMARY" peer add --dev wan0 "$CLIENT_PUB"
check "the secondary has no route to the sites" bash -c \
	"! ip -n $NS_SECONDARY route get $PRIMARY_PUB >/dev/null 2>&1"

# One packet traced: it arrives at the primary as sent, but for one hop.
first_of() {  # first_of LABEL: the first packet pktmix labels so, from $TMP/mix
	awk -v label="$1" '$1 == label { print $2; exit }' "$TMP/mix"
}
"$PKTMIX" --peer "$PRIMARY_PUB" --src "$CLIENT_PUB" --count 40 --seed 5 >"$TMP/mix"
first_of gre_data >"$TMP/one.hex"
start_ready cap ip netns exec "$NS_PRIMARY" "$PKTCAP" --dev bvpn --count 1 >"$TMP/relayed.hex"
in_ns "$NS_CLIENT" "$PKTSEND" <"$TMP/one.hex" 2>/dev/null
wait "$cap"
sent=$(cat "$TMP/one.hex") got=$(cat "$TMP/relayed.hex")
check_eq "TTL one lower" "$(( 16#${sent:16:2} - 1 ))" "$(( 16#${got:16:2} ))"
check_eq "everything else unchanged (source too)" "${sent:0:16}${sent:24}" "${got:0:16}${got:24}"
check "header checksum right (recomputed)" "$PKTCSUM" <"$TMP/relayed.hex"

topo_set path_a both "loss=0.1 delay=15ms"
topo_set path_b both "loss=0.1 delay=25ms"
topo_reset_stats
relayed_before=$(relay_counter dual0 relayed)
measure_both "relay" 0.01
check_eq "relayed from the client's link = copies path B delivered" \
	"$(jq .a2b.delivered_packets <<<"$(topo_stats path_b)")" \
	"$(($(relay_counter dual0 relayed) - relayed_before))"
check_eq "relayed from the primary's link = copies the relay link delivered" \
	"$(jq .a2b.delivered_packets <<<"$(topo_stats relay)")" "$(relay_counter bvpn relayed)"
check_eq "nothing dropped for TTL" 0 "$(relay_counter dual0 ttl_expired)"
topo_down

echo "# a primary behind 1:1 NAT"
topo_up "dg-nat-$$-" "$BUILD" nat
topo_relay
topo_set path_a both "loss=0.1 delay=15ms"
topo_set path_b both "loss=0.1 delay=25ms"
ctl "$NS_CLIENT" attach --dev wan0 --clone-to dual0
ctl "$NS_CLIENT" peer add --dev wan0 "$PRIMARY_PUB"
ctl "$NS_PRIMARY" attach --dev wan0 --clone-to bvpn
ctl "$NS_PRIMARY" peer add --dev wan0 "$CLIENT_PUB"
echo "  without the NAT fix the copies are useless"
measure_both "no NAT fix" 0.1
check_eq "no NAT fix: the client's receiver got no copy" 0 "$LAST_DUPLICATES"

echo "  with --snat and dnat they count"
ctl "$NS_PRIMARY" attach --dev wan0 --clone-to bvpn --snat "$PRIMARY_PRIVATE=$PRIMARY_PUB"
ctl "$NS_PRIMARY" dnat --dev bvpn "$PRIMARY_PUB=$PRIMARY_PRIVATE"
measure_both "NAT fix" 0.01
check "NAT fix: the client's receiver got copies" test "$LAST_DUPLICATES" -gt 0
check "NAT fix: copies rewritten" test "$(ctl "$NS_PRIMARY" -j stats --dev wan0 | jq '.clone[0].counters.snat')" -gt 0
check "NAT fix: arrivals rewritten" test "$(ctl "$NS_PRIMARY" -j stats --dev bvpn | jq '.dnat[0].counters.rewritten')" -gt 0

# A PPTP control echo (TCP 1723) from the primary: its copy reaches the
# client with the public source and a TCP checksum that still adds up.
topo_set path_b both ""
"$PKTMIX" --peer "$CLIENT_PUB" --src "$PRIMARY_PRIVATE" --count 200 --seed 9 >"$TMP/mix"
first_of pptp_echo >"$TMP/echo.hex"
start_ready cap ip netns exec "$NS_CLIENT" "$PKTCAP" --dev dual0 --count 1 >"$TMP/echo-copy.hex"
in_ns "$NS_PRIMARY" "$PKTSEND" <"$TMP/echo.hex" 2>/dev/null
wait "$cap"
check "copy of a TCP 1723 echo: checksums right (recomputed)" "$PKTCSUM" <"$TMP/echo-copy.hex"
check_eq "copy of a TCP 1723 echo: public source" "$PRIMARY_PUB" "$("$PKTCSUM" <"$TMP/echo-copy.hex" | cut -d' ' -f1)"

finish
