#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# The secondary's relay on one WireGuard device (wireguard-go on TUN) with
# two peers, the primary's and the client's: copies from one site leave by
# the very device they came in by, and WireGuard sends them to the other
# peer, chosen by the inner destination. IPv4 and IPv6 site addresses.
#
#   primary  wgp ==(UDP over u0)==\                 /==(UDP over u0)== wgc  client
#   198.18.0.2, 2001:db8:2::2      wgs [secondary]    198.18.0.1, 2001:db8:1::1
#   (dual address 198.19.10.2,     relay on wgs ingress, both sites behind it
#    2001:db8:10::2: no site)      own address 198.19.10.1 on wgs
#
# A site sends its copies straight onto its WireGuard device (pktsend --dev,
# as the clone program does), the other site captures what its device
# receives. Then the primary's dual-link address, which WireGuard accepts
# from that peer but which is no site, sends to the client: a stranger's
# packet, dropped and counted, and only the copy behind it arrives. A packet
# for the secondary's own address reaches its stack.
source "$(dirname "$0")/lib.sh" "$1"
command -v wireguard-go >/dev/null && command -v wg >/dev/null ||
	{ echo "$TEST_NAME: needs wireguard-go and wg (scripts/install-deps)"; exit 1; }

CLIENT=198.18.0.1 PRIMARY=198.18.0.2
CLIENT6=2001:db8:1::1 PRIMARY6=2001:db8:2::2
# The same, as the bytes of an IPv6 header (no shell tool writes them).
declare -A HEX6=([$CLIENT6]=20010db8000100000000000000000001 [$PRIMARY6]=20010db8000200000000000000000002
	[2001:db8:10::2]=20010db8001000000000000000000002)
PRIMARY_DUAL=198.19.10.2 PRIMARY_DUAL6=2001:db8:10::2 SECONDARY_OWN=198.19.10.1
WGS=wgs$$ WGP=wgp$$ WGC=wgc$$  # wireguard-go's UAPI sockets are global: unique names
PORT=51820
N=20

ns_add secondary
ns_add primary
ns_add client
veth_pair "$primary" u0 198.19.1.2/24 "$secondary" up0 198.19.1.1/24
veth_pair "$client" u0 198.19.2.2/24 "$secondary" uc0 198.19.2.1/24
ip netns exec "$secondary" sysctl -qw net.ipv4.ip_forward=1

WG_PIDS=()
stop_wg() {
	local pid
	for pid in "${WG_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${WG_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
	rm -f "/var/run/wireguard/$WGS.sock" "/var/run/wireguard/$WGP.sock" "/var/run/wireguard/$WGC.sock"
}
trap 'stop_wg; cleanup' EXIT

# wg_up NS DEV: WireGuard on a TUN, its key in $TMP/DEV.key, listening, up.
wg_up() {
	(umask 077 && wg genkey >"$TMP/$2.key")
	ip netns exec "$1" wireguard-go -f "$2" >"$TMP/$2.log" 2>&1 &
	WG_PIDS+=("$!")
	local i
	for i in $(seq 50); do [ -S "/var/run/wireguard/$2.sock" ] && break; sleep 0.1; done
	in_ns "$1" wg set "$2" private-key "$TMP/$2.key" listen-port "$PORT"
	ip -n "$1" link set "$2" up
	# Nothing listens for the copies: "unreachable" answers would muddle the counts.
	in_ns "$1" iptables -A OUTPUT -p icmp -j DROP
}
pub() { wg pubkey <"$TMP/$1.key"; }
wg_up "$secondary" "$WGS"
wg_up "$primary" "$WGP"
wg_up "$client" "$WGC"
ip -n "$secondary" addr add "$SECONDARY_OWN/32" dev "$WGS"
# Each peer's AllowedIPs: the addresses its packets may come from, and that
# pick it as the destination. The primary may also send from its dual
# address (its own traffic to the secondary), which is no site.
in_ns "$secondary" wg set "$WGS" \
	peer "$(pub "$WGP")" endpoint "198.19.1.2:$PORT" \
	allowed-ips "$PRIMARY/32,$PRIMARY6/128,$PRIMARY_DUAL/32,$PRIMARY_DUAL6/128" \
	peer "$(pub "$WGC")" endpoint "198.19.2.2:$PORT" allowed-ips "$CLIENT/32,$CLIENT6/128"
in_ns "$primary" wg set "$WGP" peer "$(pub "$WGS")" endpoint "198.19.1.1:$PORT" \
	allowed-ips "$CLIENT/32,$CLIENT6/128,$SECONDARY_OWN/32"
in_ns "$client" wg set "$WGC" peer "$(pub "$WGS")" endpoint "198.19.2.1:$PORT" \
	allowed-ips "$PRIMARY/32,$PRIMARY6/128"

relay() { ctl "$secondary" "$@"; }
rcount() { relay -j stats --dev "$WGS" | jq ".relay[0].counters.$1"; }
relay relay add --dev "$WGS" --peer "$PRIMARY" --peer "$PRIMARY6"
relay relay add --dev "$WGS" --peer "$CLIENT" --peer "$CLIENT6"
check_eq "one link, four sites, IPv4 and IPv6" "$CLIENT $PRIMARY $CLIENT6 $PRIMARY6" \
	"$(relay -j relay list | jq -r '.relay[0].peers | join(" ")')"

# copy4 SRC DST: a GRE data packet (the PPTP tunnel's) as hex, TTL 64,
# its header checksum right (the copies are alike; send() passes an ID it ignores).
copy4() {
	"$PKTMIX" --src "$1" --peer "$2" --count 20 --seed 1 | awk '$1 == "gre_data" && !done { print $2; done = 1 }'
}
# copy6 SRC DST ID [HOPS]: an IPv6 packet with no next header (59), 16
# bytes of payload that carry ID.
copy6() {
	printf '6000000000103b%02x%s%s%032x\n' "${4:-64}" "${HEX6[$1]}" "${HEX6[$2]}" "$3"
}
# capture NS DEV OUT COUNT: what DEV receives, in the background ($cap).
capture() {
	start_ready cap ip netns exec "$1" "$PKTCAP" --dev "$2" --proto all --count "$4" --idle-ms 10000 >"$3"
}

echo "# the first copies wait for WireGuard's handshakes, then arrive"
capture "$client" "$WGC" "$TMP/warm.rx" 1
copy4 "$PRIMARY" "$CLIENT" | in_ns "$primary" "$PKTSEND" --dev "$WGP" 2>/dev/null
wait "$cap"
check_eq "the primary's first copy reached the client through the secondary" 1 "$(wc -l <"$TMP/warm.rx")"
capture "$primary" "$WGP" "$TMP/warm.rx" 1
copy4 "$CLIENT" "$PRIMARY" | in_ns "$client" "$PKTSEND" --dev "$WGC" 2>/dev/null
wait "$cap"
check_eq "and the client's the primary" 1 "$(wc -l <"$TMP/warm.rx")"
relayed0=$(rcount relayed)

echo "# hairpin: $N copies each way, IPv4 and IPv6"
# send SRC_NS SRC_DEV DST_NS DST_DEV FAMILY SRC DST: N copies, what arrives.
send() {
	local id out=$TMP/$6-$7.rx
	capture "$3" "$4" "$out" "$N"
	for id in $(seq 100 $((100 + N - 1))); do "copy$5" "$6" "$7" "$id"; done >"$TMP/tx"
	in_ns "$1" "$PKTSEND" --dev "$2" <"$TMP/tx" 2>/dev/null
	wait "$cap"
}
send "$primary" "$WGP" "$client" "$WGC" 4 "$PRIMARY" "$CLIENT"
check_eq "IPv4 primary -> client: $N copies, TTL one less, checksums right" "$N $PRIMARY $CLIENT ttl=63 ip=ok" \
	"$("$PKTCSUM" <"$TMP/$PRIMARY-$CLIENT.rx" | sort | uniq -c | awk '{ print $1, $2, $3, $4, $5 }')"
send "$client" "$WGC" "$primary" "$WGP" 4 "$CLIENT" "$PRIMARY"
check_eq "IPv4 client -> primary" "$N $CLIENT $PRIMARY ttl=63 ip=ok" \
	"$("$PKTCSUM" <"$TMP/$CLIENT-$PRIMARY.rx" | sort | uniq -c | awk '{ print $1, $2, $3, $4, $5 }')"
send "$primary" "$WGP" "$client" "$WGC" 6 "$PRIMARY6" "$CLIENT6"
want=$(for id in $(seq 100 $((100 + N - 1))); do copy6 "$PRIMARY6" "$CLIENT6" "$id" 63; done)
check_eq "IPv6 primary -> client: the $N copies byte for byte, hop limit one less" "$want" \
	"$(cat "$TMP/$PRIMARY6-$CLIENT6.rx")"
send "$client" "$WGC" "$primary" "$WGP" 6 "$CLIENT6" "$PRIMARY6"
want=$(for id in $(seq 100 $((100 + N - 1))); do copy6 "$CLIENT6" "$PRIMARY6" "$id" 63; done)
check_eq "IPv6 client -> primary" "$want" "$(cat "$TMP/$CLIENT6-$PRIMARY6.rx")"
check_eq "the relay counted them relayed" $((4 * N)) $(($(rcount relayed) - relayed0))

echo "# a stranger on the dual link"
snmp() {
	ip netns exec "$secondary" awk -v f="$1" '$1 == "Ip:" { if (!n) { for (i = 2; i <= NF; i++) if ($i == f) n = i } else print $n }' /proc/net/snmp
}
fwd0=$(snmp ForwDatagrams)
capture "$client" "$WGC" "$TMP/stranger.rx" 1
{
	copy4 "$PRIMARY_DUAL" "$CLIENT"  # WireGuard lets it in: the primary's peer may use that source
	copy6 "$PRIMARY_DUAL6" "$CLIENT6" 301
	copy4 "$PRIMARY" "$CLIENT"       # a copy behind them, in order on the link
} | in_ns "$primary" "$PKTSEND" --dev "$WGP" 2>/dev/null
wait "$cap"
check_eq "the client received only the copy behind them" "$PRIMARY $CLIENT" \
	"$("$PKTCSUM" <"$TMP/stranger.rx" | awk '{ print $1, $2 }')"
check_eq "both counted as strangers', none forwarded by the secondary's stack" "2 0" \
	"$(rcount stranger) $(($(snmp ForwDatagrams) - fwd0))"

echo "# the secondary's own address"
# A copy behind it: when the client has that, the secondary's WireGuard
# (in order, per peer) has handed the first to the relay.
capture "$client" "$WGC" "$TMP/own.rx" 1
{
	copy4 "$PRIMARY_DUAL" "$SECONDARY_OWN"
	copy4 "$PRIMARY" "$CLIENT"
} | in_ns "$primary" "$PKTSEND" --dev "$WGP" 2>/dev/null
wait "$cap"
check_eq "left to the stack" 1 "$(rcount to_host)"
check_eq "nothing else on the link was refused or lost" "0 0 0 0 0 0 0" \
	"$(for c in not_ip malformed v4_mapped no_link loop ttl_expired redirect_errors; do rcount "$c"; done | xargs)"

finish
