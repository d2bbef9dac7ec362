#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# The clone datapath end to end, on both kinds of device dupgre attaches to:
#
#   ethernet:  [site: wan0 (veth) 198.18.0.1] ---- [peer: wan1 198.18.0.2]
#                    sec0 (TUN, read by pktcap): the clones
#   l3:        [site: ppp0 (TUN, read by pktcap: the originals)]
#                    sec1 (TUN, read by pktcap): the clones
#
# Labelled traffic from pktmix goes out through the IP stack; every packet
# the guide's rules match arrives on the TUN byte for byte, every original
# arrives unchanged, and the counters equal what was sent.
source "$(dirname "$0")/lib.sh" "$1"

COUNT=${COUNT:-3000}
"$PKTMIX" --peer 198.18.0.2 --other 198.18.9.9 --count "$COUNT" --seed 7 --marker >"$TMP/mix"
cut -d' ' -f2 "$TMP/mix" >"$TMP/all.hex"
grep -E '^(gre_data|gre_lcp_echo|pptp_echo|marker) ' "$TMP/mix" | cut -d' ' -f2 >"$TMP/cloned.hex"
labelled() { grep -c "^$1 " "$TMP/mix" || true; }
cloned_bytes=$(awk '{ n += length($1) / 2 } END { print n }' "$TMP/cloned.hex")

check_site() {  # check_site NS DEV ORIGINALS CLONES
	local ns=$1 dev=$2
	check "originals arrive unchanged, in order" cmp -s "$TMP/all.hex" "$3"
	check "exactly the matching packets are cloned, byte for byte" cmp -s "$TMP/cloned.hex" "$4"
	check_eq "$dev: seen" "$(wc -l <"$TMP/all.hex")" "$(counter "$ns" "$dev" seen)"
	check_eq "$dev: cloned" "$(wc -l <"$TMP/cloned.hex")" "$(counter "$ns" "$dev" cloned)"
	check_eq "$dev: cloned bytes" "$cloned_bytes" "$(counter "$ns" "$dev" cloned_bytes)"
	check_eq "$dev: gre_data" "$(($(labelled gre_data) + 1))" "$(counter "$ns" "$dev" gre_data)"
	check_eq "$dev: gre_lcp_echo" "$(labelled gre_lcp_echo)" "$(counter "$ns" "$dev" gre_lcp_echo)"
	check_eq "$dev: pptp_echo" "$(labelled pptp_echo)" "$(counter "$ns" "$dev" pptp_echo)"
	check_eq "$dev: no_match" "$(labelled no_match)" "$(counter "$ns" "$dev" no_match)"
	check_eq "$dev: no_peer" "$(labelled no_peer)" "$(counter "$ns" "$dev" no_peer)"
	check_eq "$dev: clone errors" 0 "$(counter "$ns" "$dev" errors)"
	check_eq "$dev: clone xmit drops" 0 "$(counter "$ns" "$dev" xmit_drops)"
}

echo "# ethernet device"
ns_add site
ns_add peer
veth_pair "$site" wan0 198.18.0.1/24 "$peer" wan1 198.18.0.2/24
ip -n "$site" route add default via 198.18.0.2
tun_capture clones_pid "$site" sec0 "$TMP/eth-clones.hex" --until-id 65535
ip -n "$site" addr add 10.66.4.2 peer 10.66.4.1 dev sec0
start_ready orig_pid ip netns exec "$peer" "$PKTCAP" --dev wan1 --until-id 65535 >"$TMP/eth-originals.hex"
ctl "$site" attach --dev wan0 --clone-to sec0
ctl "$site" peer add --dev wan0 198.18.0.2
in_ns "$site" "$PKTSEND" <"$TMP/all.hex" 2>/dev/null
wait "$clones_pid" "$orig_pid"
check_site "$site" wan0 "$TMP/eth-originals.hex" "$TMP/eth-clones.hex"

echo "# L3 device (ppp, pppoe-wan, tun: no MAC header)"
ns_add l3
tun_capture orig_pid "$l3" ppp0 "$TMP/l3-originals.hex" --until-id 65535
tun_capture clones_pid "$l3" sec1 "$TMP/l3-clones.hex" --until-id 65535
ip -n "$l3" addr add 10.66.6.2 peer 10.66.6.1 dev ppp0
ip -n "$l3" addr add 10.66.4.2 peer 10.66.4.1 dev sec1
ip -n "$l3" route add default dev ppp0
ctl "$l3" attach --dev ppp0 --clone-to sec1
ctl "$l3" peer add --dev ppp0 198.18.0.2
check_eq "status reports an L3 device" true \
	"$(ctl "$l3" -j status --dev ppp0 | grep -o '"l3_device":[a-z]*' | cut -d: -f2)"
in_ns "$l3" "$PKTSEND" <"$TMP/all.hex" 2>/dev/null
wait "$clones_pid" "$orig_pid"
check_site "$l3" ppp0 "$TMP/l3-originals.hex" "$TMP/l3-clones.hex"

finish
