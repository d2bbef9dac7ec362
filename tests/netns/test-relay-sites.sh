#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# One secondary relaying for two primaries and two clients at once:
#
#   c1 198.18.1.1 --\                         /-- p1 198.18.2.1
#                    dual0 == to-X [secondary] to-X == dual0
#   c2 198.18.1.2 --/   (linkemu TUN pairs)   \-- p2 198.18.2.2
#
# Every site sends to every other through its dual link; each must receive
# exactly what is addressed to it. Then TTL expiry, a site's packet for
# itself, copies for no link, strangers' packets, packets for the secondary
# itself, IPv6 the stack would forward (forwarding off on the link only,
# payload length 0), unregistering under traffic and a link flap. The secondary
# forwards (as a real one does) and has a WAN with a default route, so what
# the relay lets through would be routed onwards.
source "$(dirname "$0")/lib.sh" "$1"

LINKEMU="$BUILD/tests/tools/linkemu"
SITES=(c1 c2 p1 p2)
declare -A ADDR=([c1]=198.18.1.1 [c2]=198.18.1.2 [p1]=198.18.2.1 [p2]=198.18.2.2)
declare -A NS LINK_PID
ns_add secondary
SECONDARY_OWN=198.18.3.1  # an address of the secondary's own
ip -n "$secondary" link add wan0 type veth peer name wan1
ip -n "$secondary" addr add "$SECONDARY_OWN/24" dev wan0
ip -n "$secondary" link set wan0 up
ip -n "$secondary" link set wan1 up
ip -n "$secondary" route add default via 198.18.3.254 dev wan0
ip -n "$secondary" neigh replace 198.18.3.254 lladdr 02:00:00:00:00:01 dev wan0 nud permanent
ip netns exec "$secondary" sysctl -qw net.ipv4.ip_forward=1
link_up() {  # link_up SITE: (re)creates the site's dual link
	local s=$1 fifo="$TMP/$1.ready" line
	rm -f "$fifo"
	mkfifo "$fifo"
	"$LINKEMU" --ns-a "${NS[$s]}" --dev-a dual0 --ns-b "$secondary" --dev-b "to-$s" \
		--mtu 1448 --control "$TMP/$s.sock" >"$fifo" &
	LINK_PID[$s]=$!
	PIDS+=("$!")
	read -r -t 10 line <"$fifo" && [ "$line" = ready ]
	ip -n "${NS[$s]}" addr add "${ADDR[$s]}/32" dev dual0
	ip -n "${NS[$s]}" route add 198.18.0.0/16 dev dual0
	ip netns exec "$secondary" sysctl -qw "net.ipv4.conf.to-$s.rp_filter=0"
}
for s in "${SITES[@]}"; do
	ns_add "site_$s"
	v=site_$s
	NS[$s]=${!v}
	link_up "$s"
	# Nothing listens for GRE at the sites: their "protocol unreachable"
	# answers would be relayed too and muddle the counts.
	in_ns "${NS[$s]}" iptables -A OUTPUT -p icmp -j DROP
done
relay() { ctl "$secondary" "$@"; }
rcount() { relay -j stats --dev "to-$1" | jq ".relay[0].counters.$2"; }
for s in "${SITES[@]}"; do relay relay add --dev "to-$s" --peer "${ADDR[$s]}"; done

# packet SRC DST_ADDR ID [TTL]: a GRE data packet as hex, from site SRC's
# address or, if SRC is no site, from address SRC.
packet() {
	"$PKTMIX" --src "${ADDR[$1]:-$1}" --peer "$2" --count 20 --seed 1 | awk -v id="$3" -v ttl="${4:-64}" '
		$1 == "gre_data" && !done {
			printf "%s%04x%s%02x%s\n", substr($2, 1, 8), id, substr($2, 13, 4), ttl, substr($2, 19)
			done = 1
		}'
}

echo "# every site to every other: each receives exactly its own"
# The packets first (slow on a loaded machine), then the captures and sends.
id=1
for s in "${SITES[@]}"; do
	for d in "${SITES[@]}"; do
		[ "$s" = "$d" ] && continue
		for n in 1 2 3 4 5; do packet "$s" "${ADDR[$d]}" "$id"; id=$((id + 1)); done
	done >"$TMP/$s.tx"
done
for s in "${SITES[@]}"; do
	start_ready cap_$s ip netns exec "${NS[$s]}" "$PKTCAP" --dev dual0 --count 15 --idle-ms 10000 >"$TMP/$s.rx"
done
for s in "${SITES[@]}"; do in_ns "${NS[$s]}" "$PKTSEND" <"$TMP/$s.tx" 2>/dev/null; done
for s in "${SITES[@]}"; do
	v=cap_$s
	wait "${!v}"
	got=$("$PKTCSUM" <"$TMP/$s.rx" | awk '{ print $2 }' | sort | uniq -c | awk '{ print $1 " " $2 }')
	check_eq "$s received 15 packets, all addressed to it" "15 ${ADDR[$s]}" "$got"
	check_eq "$s: from 3 sites" 3 "$("$PKTCSUM" <"$TMP/$s.rx" | awk '{ print $1 }' | sort -u | wc -l)"
	check_eq "to-$s relayed what $s sent" 15 "$(rcount "$s" relayed)"
done

echo "# TTL, loops, no link, strangers, the secondary's own"
start_ready cap ip netns exec "${NS[p1]}" "$PKTCAP" --dev dual0 --count 1 --idle-ms 5000 >"$TMP/ttl.rx"
packet c1 "${ADDR[p1]}" 100 1 | in_ns "${NS[c1]}" "$PKTSEND" 2>/dev/null
packet c1 "${ADDR[p1]}" 101 2 | in_ns "${NS[c1]}" "$PKTSEND" 2>/dev/null
wait "$cap"
check_eq "TTL 1 dropped and counted" 1 "$(rcount c1 ttl_expired)"
check_eq "TTL 2 arrives with TTL 1" "ttl=1" "$("$PKTCSUM" <"$TMP/ttl.rx" | awk '{ print $3 }')"
# Straight onto the link: the site's own stack would keep its own address.
packet c1 "${ADDR[c1]}" 102 | in_ns "${NS[c1]}" "$PKTSEND" --dev dual0 2>/dev/null
check_eq "a site's packet for itself is a loop: dropped" 1 "$(rcount c1 loop)"
# What the secondary's IP layer received, and what it forwarded: the
# kernel's own counts.
snmp() {
	ip netns exec "$secondary" awk -v f="$1" '$1 == "Ip:" { if (!n) { for (i = 2; i <= NF; i++) if ($i == f) n = i } else print $n }' /proc/net/snmp
}
in0=$(snmp InReceives) fwd0=$(snmp ForwDatagrams)
ip_in() { echo $(($(snmp InReceives) - in0)) $(($(snmp ForwDatagrams) - fwd0)); }
# From no site to no site, through the secondary: someone using it as a router.
packet 10.66.4.99 198.18.9.9 104 | in_ns "${NS[c1]}" "$PKTSEND" --dev dual0 2>/dev/null
check_eq "from and to no site, routed onwards: a stranger's, dropped (IP received, forwarded)" "1 0 0" \
	"$(rcount c1 stranger) $(ip_in)"
# From a site to no site: a copy for a site whose link is down.
packet c1 198.18.9.9 103 | in_ns "${NS[c1]}" "$PKTSEND" 2>/dev/null
check_eq "a site's copy for no link is dropped, never routed" "1 0 0" "$(rcount c1 no_link) $(ip_in)"
# A stranger's packet for a site, and a site's address on another site's link.
# Then c1's own copy, in order behind them on the link: the first packet p1
# receives must be that one.
start_ready cap ip netns exec "${NS[p1]}" "$PKTCAP" --dev dual0 --count 1 --idle-ms 5000 >"$TMP/stranger.rx"
packet 10.66.4.99 "${ADDR[p1]}" 105 | in_ns "${NS[c1]}" "$PKTSEND" --dev dual0 2>/dev/null
packet c2 "${ADDR[p1]}" 106 | in_ns "${NS[c1]}" "$PKTSEND" --dev dual0 2>/dev/null
packet c1 "${ADDR[p1]}" 109 | in_ns "${NS[c1]}" "$PKTSEND" --dev dual0 2>/dev/null
wait "$cap"
check_eq "a stranger's packet for a site and c2's address on c1's link: dropped" "3 0 0" \
	"$(rcount c1 stranger) $(ip_in)"
check_eq "p1 received neither, only c1's copy behind them" "${ADDR[c1]}" "$("$PKTCSUM" <"$TMP/stranger.rx" | awk '{ print $1 }')"
# For the secondary itself: delivered, from a site or not.
packet 10.66.4.99 "$SECONDARY_OWN" 107 | in_ns "${NS[c1]}" "$PKTSEND" --dev dual0 2>/dev/null
packet c1 "$SECONDARY_OWN" 108 | in_ns "${NS[c1]}" "$PKTSEND" --dev dual0 2>/dev/null
check_eq "packets for the secondary itself reach its stack (IP received, forwarded)" "2 2 0" \
	"$(rcount c1 to_host) $(ip_in)"

echo "# IPv6 the stack would route on: forwarding off on the link only; payload length 0"
# The kernel forwards IPv6 by net.ipv6.conf.all.forwarding (or the ingress
# link's force_forwarding), not by the link's own forwarding, which is all
# that the relay's route lookup reads: registering records the real rule.
in_ns "$secondary" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.to-c1.disable_ipv6=0 \
	net.ipv6.conf.wan0.disable_ipv6=0 net.ipv6.conf.wan0.accept_dad=0
ip -n "$secondary" -6 addr add 2001:db8:3::1/64 dev wan0
ip -n "$secondary" -6 route add default via 2001:db8:3::fe dev wan0
ip -n "$secondary" -6 neigh replace 2001:db8:3::fe lladdr 02:00:00:00:00:01 dev wan0 nud permanent
in_ns "$secondary" sysctl -qw net.ipv6.conf.all.forwarding=1 net.ipv6.conf.to-c1.forwarding=0
relay relay add --dev to-c1 --peer "${ADDR[c1]}"  # the refresh point: the link's record
snmp6() { ip netns exec "$secondary" awk -v f="$1" '$1 == f { print $2 }' /proc/net/snmp6; }
# v6 SRC DST PAYLOAD_LENGTH: a UDP packet (16 bytes of payload after the
# header whatever the length says) from SRC to DST, 32 hex digits each.
v6() { echo "6000000000${3}1140${1}${2}04d2162e00100000a1a2a3a4a5a6a7a8"; }
STRANGER6=20010db8009900000000000000000009 BEYOND6=20010db8004000000000000000000001
fwd6=$(snmp6 Ip6OutForwDatagrams) stranger=$(rcount c1 stranger)
# c1's copy for p1 behind them on the link: once p1 has it, both were decided.
start_ready cap ip netns exec "${NS[p1]}" "$PKTCAP" --dev dual0 --count 1 --idle-ms 5000 >"$TMP/v6.rx"
v6 "$STRANGER6" "$BEYOND6" 10 | in_ns "${NS[c1]}" "$PKTSEND" --dev dual0 2>/dev/null
v6 "$STRANGER6" "$BEYOND6" 00 | in_ns "${NS[c1]}" "$PKTSEND" --dev dual0 2>/dev/null
packet c1 "${ADDR[p1]}" 110 | in_ns "${NS[c1]}" "$PKTSEND" --dev dual0 2>/dev/null
wait "$cap"
check_eq "p1 received c1's copy behind them" "${ADDR[c1]}" "$("$PKTCSUM" <"$TMP/v6.rx" | awk '{ print $1 }')"
check_eq "a stranger's IPv6 for beyond the WAN, and one with payload length 0: dropped, none forwarded" \
	"1 1 0" "$(($(rcount c1 stranger) - stranger)) $(rcount c1 malformed) $(($(snmp6 Ip6OutForwDatagrams) - fwd6))"
# Without the relay the stack forwards both out of the WAN (the second
# trimmed to its header): what the relay used to leave to it.
relay relay del --dev to-c1
start_ready cap ip netns exec "$secondary" "$PKTCAP" --dev wan1 --proto ipv6 --count 2 --idle-ms 5000 >"$TMP/wan6.rx"
v6 "$STRANGER6" "$BEYOND6" 10 | in_ns "${NS[c1]}" "$PKTSEND" --dev dual0 2>/dev/null
v6 "$STRANGER6" "$BEYOND6" 00 | in_ns "${NS[c1]}" "$PKTSEND" --dev dual0 2>/dev/null
wait "$cap"
check_eq "without the relay, the stack forwards both" "2 2" \
	"$(wc -l <"$TMP/wan6.rx") $(($(snmp6 Ip6OutForwDatagrams) - fwd6))"
relay relay add --dev to-c1 --peer "${ADDR[c1]}"

echo "# unregistering and registering again while traffic flows"
before=$(( $(rcount c2 relayed) + $(rcount c2 no_link) ))
one=$(packet c2 "${ADDR[p2]}" 1000)
# 3 s of flow: enough cycles even when dupgre-ctl is slow on a loaded machine.
for n in $(seq 1 12000); do echo "$one"; done >"$TMP/flow.tx"
in_ns "${NS[c2]}" "$PKTSEND" --pps 4000 <"$TMP/flow.tx" 2>/dev/null &
sender=$!
PIDS+=("$sender")
flips=0
while kill -0 "$sender" 2>/dev/null; do
	relay relay del --dev to-p2 >/dev/null
	relay relay add --dev to-p2 --peer "${ADDR[p2]}"
	flips=$((flips + 1))
done
wait "$sender"
echo "     ($flips unregister/register cycles)"
check "at least 5 cycles during the flow" test "$flips" -ge 5
check_eq "every copy from c2 was either relayed or, while p2 had no link, dropped" 12000 \
	"$(( $(rcount c2 relayed) + $(rcount c2 no_link) - before ))"

echo "# a dual link flaps: it comes back with a new ifindex"
old=$(relay -j status --dev to-c2 | jq '.relay[0].ifindex')
kill "${LINK_PID[c2]}"
wait "${LINK_PID[c2]}" || true
check_eq "status: the link is stale" stale "$(relay -j status --dev to-c2 | jq -r '.relay[0].state')"
link_up c2
relay relay add --dev to-c2 --peer "${ADDR[c2]}"
check "registered again with a new ifindex" test "$(relay -j status --dev to-c2 | jq '.relay[0].ifindex')" != "$old"
check_eq "one registration for to-c2" 1 "$(relay -j relay list | jq '[.relay[] | select(.device == "to-c2")] | length')"
start_ready cap ip netns exec "${NS[c2]}" "$PKTCAP" --dev dual0 --count 1 --idle-ms 5000 >"$TMP/flap.rx"
packet p1 "${ADDR[c2]}" 200 | in_ns "${NS[p1]}" "$PKTSEND" 2>/dev/null
wait "$cap"
check_eq "relaying to it works again" 1 "$(wc -l <"$TMP/flap.rx")"

echo "# unregistering everything leaves nothing"
for s in "${SITES[@]}"; do relay relay del --dev "to-$s"; done
check "no pins" test ! -e "/sys/fs/bpf/dupgre/netns/$secondary"
check_eq "no filters or qdiscs" "" "$(for s in "${SITES[@]}"; do in_ns "$secondary" tc qdisc show dev "to-$s" | grep clsact; done)"
rc=0
relay relay del --dev nosuch0 2>"$TMP/err" || rc=$?
check "unregistering an unknown device fails with one line" test "$rc" -ne 0 -a "$(wc -l <"$TMP/err")" -eq 1
rc=0
relay relay add --dev to-c1 --peer 198.18.0 2>"$TMP/err" || rc=$?
check "a bad address fails with one line, no state" test "$rc" -ne 0 -a ! -e "/sys/fs/bpf/dupgre/netns/$secondary"
rc=0
relay relay add --dev to-c1 --peer "::ffff:${ADDR[c1]}" 2>"$TMP/err" || rc=$?
check "an IPv4-mapped IPv6 site is refused with one line, no state: $(cat "$TMP/err")" \
	test "$rc" -ne 0 -a "$(wc -l <"$TMP/err")" -eq 1 -a ! -e "/sys/fs/bpf/dupgre/netns/$secondary"
ip -n "$secondary" link add eth9 type veth peer name eth10
rc=0
relay relay add --dev eth9 --peer 198.18.3.3 2>"$TMP/err" || rc=$?
check "an Ethernet link is refused: $(cat "$TMP/err")" test "$rc" -ne 0 -a ! -e "/sys/fs/bpf/dupgre/netns/$secondary"

finish
