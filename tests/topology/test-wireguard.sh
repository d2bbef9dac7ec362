#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# WireGuard through the three sites (three-site.sh): userspace WireGuard
# (wireguard-go, on TUN) between the client and the primary over path A,
# dupgre's WireGuard profile cloning into the dual links on both sites, the
# secondary relaying the copies (path B). Inside the tunnel, the bench's
# PPTP-like pair (pptpgen, pptprecv) from client to primary. Path A loses
# 10 %, path B nothing: without dupgre ~10 % is lost, with it nothing, and
# nothing is delivered twice. The copies reach the primary by the relay
# (eliminate: discarded, rescued on bvpn), and WireGuard counts each message
# once: its received bytes are the passed copies', not all that arrived.
source "$(dirname "$0")/../netns/lib.sh" "$1"
source "$(dirname "$0")/three-site.sh"
trap 'topo_down; cleanup' EXIT

COUNT=1000
PORT=$WG_PORT
# Each packet is a WireGuard data message of MSG bytes: IPv4 20 + GRE 12 +
# PPP 200 = 232, padded to 240, + 16 header + 16 tag.
MSG=272
topo_up "dg-wg-$$-" "$BUILD"
topo_relay
topo_wireguard
WGP=$WG_PRIMARY

# measure SEQ_START: COUNT packets through the tunnel, client to primary,
# at 500/s, all the same size (no acks, LCP or FF 03 frames); the report.
measure() {
	local line report fd pid
	coproc RECV { ip netns exec "$NS_PRIMARY" "$BUILD/tests/tools/pptprecv" --src 10.77.0.1 \
		--call-id 7 --count "$COUNT" --seq-start "$1" --ready; }
	exec {fd}<&"${RECV[0]}"
	pid=$RECV_PID
	read -r -t 10 -u "$fd" line || { echo "pptprecv did not start" >&2; return 1; }
	ip netns exec "$NS_CLIENT" "$BUILD/tests/tools/pptpgen" --dst 10.77.0.2 --call-id 7 --count "$COUNT" \
		--rate 500 --seq-start "$1" --ack-every 0 --lcp-every 0 --ff03-every 0 >/dev/null
	read -r -u "$fd" report
	exec {fd}<&-
	wait "$pid" || true
	echo "$report"
}

report=$(measure 0)  # the handshake happens here
check_eq "the tunnel carries the traffic" 0 "$(jq .lost <<<"$report")"

topo_set path_a both "loss=0.1 delay=10ms"
topo_set path_b both "delay=20ms"
topo_set relay both "delay=5ms"

echo "# one path"
report=$(measure 10000)
echo "     $report"
lost=$(jq .lost <<<"$report")
check "one path: $lost of $COUNT lost, consistent with 10 %" binomial_within "$lost" "$COUNT" 0.1

echo "# dupgre's WireGuard profile on the client and the primary"
ctl "$NS_CLIENT" attach --dev wan0 --clone-to dual0 --tunnel wireguard
ctl "$NS_CLIENT" peer add --dev wan0 "$PRIMARY_PUB:$PORT"  # to the server's port
ctl "$NS_PRIMARY" attach --dev wan0 --clone-to bvpn --tunnel wireguard
ctl "$NS_PRIMARY" peer add --dev wan0 "$CLIENT_PUB:$PORT"  # from the server's port
for dev in wan0 bvpn; do ctl "$NS_PRIMARY" eliminate add --dev "$dev" --tunnel wireguard; done
for dev in wan0 dual0; do ctl "$NS_CLIENT" eliminate add --dev "$dev" --tunnel wireguard; done
wg_rx_before=$(in_ns "$NS_PRIMARY" wg show "$WGP" transfer | awk '{ print $2 }')
udp_before=$(in_ns "$NS_PRIMARY" nstat -az UdpInDatagrams | awk '/UdpInDatagrams/ { print $2 }')
report=$(measure 20000)
echo "     $report"
check_eq "dupgre: nothing lost (path B loses nothing)" 0 "$(jq .lost <<<"$report")"
check_eq "dupgre: nothing delivered twice to the application" 0 "$(jq .duplicate <<<"$report")"

stats_p=$(ctl "$NS_PRIMARY" -j stats)
stats_c=$(ctl "$NS_CLIENT" -j stats)
cloned_c=$(jq '.clone[] | select(.device == "wan0") | .counters.cloned' <<<"$stats_c")
wg_data_c=$(jq '.clone[] | select(.device == "wan0") | .counters.wg_data' <<<"$stats_c")
check "the client cloned every data message ($cloned_c cloned, $wg_data_c wg_data)" test "$cloned_c" -ge "$COUNT"
passed=$(jq '.eliminate.totals.counters.passed' <<<"$stats_p")
discarded=$(jq '.eliminate.totals.counters.discarded' <<<"$stats_p")
rescued_b=$(jq '.eliminate.paths[] | select(.device == "bvpn") | .counters.rescued' <<<"$stats_p")
echo "     primary: passed $passed, discarded $discarded, rescued by bvpn $rescued_b"
check "the copies reached the primary by the relay (discarded $discarded)" test "$discarded" -ge "$((COUNT * 8 / 10))"
check "path B rescued what path A lost ($rescued_b)" test "$rescued_b" -ge "$((COUNT / 20))"
streams=$(jq '[.eliminate.streams[] | select(.tunnel == "wireguard" and .source == "198.18.0.1")] | length' <<<"$stats_p")
check "the client's session is a stream at the primary" test "$streams" -ge 1

# WireGuard counts what it accepts: wg's received bytes grew by MSG per
# passed message (and a few keepalives, 32, and handshakes, 148), not per
# copy that arrived (passed + discarded): its replay window dropped the rest.
wg_rx=$(($(in_ns "$NS_PRIMARY" wg show "$WGP" transfer | awk '{ print $2 }') - wg_rx_before))
udp_in=$(($(in_ns "$NS_PRIMARY" nstat -az UdpInDatagrams | awk '/UdpInDatagrams/ { print $2 }') - udp_before))
echo "     wg received $wg_rx bytes; $MSG x passed = $((MSG * passed)), x (passed + discarded) = $((MSG * (passed + discarded))); UDP delivered $udp_in datagrams"
check "WireGuard counted each message once (its replay window dropped the $discarded duplicates)" \
	awk "BEGIN { d = $wg_rx - $MSG * $passed; exit !(d >= -$MSG * 4 && d <= 4 * 148 + 32 * 8) }"
check "while UDP handed it both copies" test "$udp_in" -ge "$((passed + discarded))"

finish
