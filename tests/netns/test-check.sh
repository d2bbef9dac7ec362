#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# `dupgre-ctl check --config` on three sites with WireGuard (wireguard-go on
# TUN) as the main tunnel and as the dual links: a correct setup passes,
# then each misconfiguration in turn fails with its line and its fix, and
# running the printed fix makes check pass again.
#
#   client                                primary
#   wan0 198.18.0.1/30 ===== veth ======= wan0 198.18.0.2/30
#   wgt (main tunnel, MTU 1380) -> 198.18.0.2:51820   wgt (listens on 51820)
#   wgd (dual, MTU 1448)                  wgd (dual, MTU 1448)
#   ul0 198.18.1.1/30                     ul0 198.18.2.1/30
#        \\ veth, MTU 1520                     // veth, MTU 1520
#         ulc 198.18.1.2/30  secondary  ulp 198.18.2.2/30
#                wgs (one WireGuard device, a peer per site)
#
# The dual links' AllowedIPs hold the other sites' public addresses, with
# no routes for them (wg-quick's Table = off). One case moves the client's
# dual link onto IPv6 (2001:db8:1::/64 on ul0). Nothing is sent: check
# reads configuration, and no packet ever leaves the namespaces.
source "$(dirname "$0")/lib.sh" "$1"
command -v wireguard-go >/dev/null && command -v wg >/dev/null ||
	{ echo "$TEST_NAME: needs wireguard-go and wg (scripts/install-deps)"; exit 1; }

CLIENT_PUB=198.18.0.1
PRIMARY_PUB=198.18.0.2
SUFFIX=$$  # wireguard-go's UAPI sockets are global: unique device names
WGT_C=wtc$SUFFIX WGT_P=wtp$SUFFIX WGD_C=wdc$SUFFIX WGD_P=wdp$SUFFIX WGS=wgs$SUFFIX
WG_PIDS=()
stop_wg() {
	local pid dev
	for pid in "${WG_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${WG_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
	for dev in "$WGT_C" "$WGT_P" "$WGD_C" "$WGD_P" "$WGS"; do rm -f "/var/run/wireguard/$dev.sock"; done
}
trap 'stop_wg; cleanup' EXIT

ns_add NS_C
ns_add NS_P
ns_add NS_S
for ns in "$NS_C" "$NS_P" "$NS_S"; do
	in_ns "$ns" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
done
veth_pair "$NS_C" wan0 "$CLIENT_PUB/30" "$NS_P" wan0 "$PRIMARY_PUB/30"
veth_pair "$NS_C" ul0 198.18.1.1/30 "$NS_S" ulc 198.18.1.2/30
veth_pair "$NS_P" ul0 198.18.2.1/30 "$NS_S" ulp 198.18.2.2/30
for pair in "$NS_C ul0" "$NS_S ulc" "$NS_P ul0" "$NS_S ulp"; do
	set -- $pair
	ip -n "$1" link set "$2" mtu 1520
done
set -- "$BUILD"
# The secondary reaches the sites' public addresses by its underlays (the
# Internet, here), not by the WireGuard device.
ip -n "$NS_S" route add "$CLIENT_PUB" via 198.18.1.1
ip -n "$NS_S" route add "$PRIMARY_PUB" via 198.18.2.1

# wg_dev NS DEV MTU ADDR PEER_ADDR: wireguard-go on a TUN, a fresh key, up.
wg_dev() {
	ip netns exec "$1" wireguard-go -f "$2" >"$TMP/$2.log" 2>&1 &
	WG_PIDS+=("$!")
	local i
	for i in $(seq 50); do [ -S "/var/run/wireguard/$2.sock" ] && break; sleep 0.1; done
	(umask 077 && wg genkey >"$TMP/$2.key")
	wg pubkey <"$TMP/$2.key" >"$TMP/$2.pub"
	in_ns "$1" wg set "$2" private-key "$TMP/$2.key"
	ip -n "$1" addr add "$4" peer "$5" dev "$2"
	ip -n "$1" link set "$2" mtu "$3" up
}
pub() { cat "$TMP/$1.pub"; }

wg_dev "$NS_C" "$WGT_C" 1380 10.77.0.1 10.77.0.2
wg_dev "$NS_P" "$WGT_P" 1380 10.77.0.2 10.77.0.1
wg_dev "$NS_C" "$WGD_C" 1448 10.66.4.66 10.66.4.1
wg_dev "$NS_P" "$WGD_P" 1448 10.66.4.61 10.66.4.1
wg_dev "$NS_S" "$WGS" 1448 10.66.4.1 10.66.4.66
# The main tunnel.
in_ns "$NS_P" wg set "$WGT_P" listen-port 51820 peer "$(pub "$WGT_C")" allowed-ips 10.77.0.1/32
in_ns "$NS_C" wg set "$WGT_C" listen-port 40001 \
	peer "$(pub "$WGT_P")" allowed-ips 10.77.0.2/32 endpoint "$PRIMARY_PUB:51820"
# The dual links: each site's peer on the secondary holds that site's
# public address; each site's one peer (the secondary) holds the other's.
# The secondary sees each site's dual link come from its public address
# (the endpoint WireGuard learns), which its underlay route leads to.
in_ns "$NS_C" wg set "$WGD_C" listen-port 51822 \
	peer "$(pub "$WGS")" allowed-ips "10.66.4.1/32,$PRIMARY_PUB/32" endpoint 198.18.1.2:51821
in_ns "$NS_P" wg set "$WGD_P" listen-port 51823 \
	peer "$(pub "$WGS")" allowed-ips "10.66.4.1/32,$CLIENT_PUB/32" endpoint 198.18.2.2:51821
in_ns "$NS_S" wg set "$WGS" listen-port 51821 \
	peer "$(pub "$WGD_C")" allowed-ips "10.66.4.66/32,$CLIENT_PUB/32" endpoint "$CLIENT_PUB:51822" \
	peer "$(pub "$WGD_P")" allowed-ips "10.66.4.61/32,$PRIMARY_PUB/32" endpoint "$PRIMARY_PUB:51823"

cat >"$TMP/client.conf" <<CONF
role = client
wan = wan0
tunnel = wireguard
primary = $PRIMARY_PUB
dual = wireguard
dual_dev = $WGD_C
dual_mtu = 1448
CONF
cat >"$TMP/primary.conf" <<CONF
role = primary
wan = wan0
tunnel = wireguard
clients = $CLIENT_PUB
dual = wireguard
dual_dev = $WGD_P
dual_mtu = 1448
CONF
cat >"$TMP/secondary.conf" <<CONF
role = secondary
dual = wireguard
relay = $WGS=$CLIENT_PUB,$PRIMARY_PUB
CONF

# run_check NS SITE: check's text output in $OUT, its exit status in $RC.
run_check() {
	RC=0
	OUT=$(ctl "$1" check --config "$TMP/$2.conf" 2>&1) || RC=$?
}
# passes NS SITE WHAT: check exits 0 with no FAIL line.
passes() {
	run_check "$1" "$2"
	if [ "$RC" != 0 ] || grep -q '^FAIL' <<<"$OUT"; then
		echo "FAIL - $3: check on the $2 failed (exit $RC):"
		sed 's/^/       /' <<<"$OUT"
		FAILURES=$((FAILURES + 1))
	else
		echo "ok   - $3"
		PASSES=$((PASSES + 1))
	fi
}
# fails NS SITE WHAT LINE FIX: check exits 1; a FAIL line holds LINE, and
# the fix line right after it holds FIX (fixed strings). FIXCMD gets the
# fix's command, up to " (" or ", and" or " if ".
fails() {
	run_check "$1" "$2"
	local got_line got_fix
	got_line=$(grep -F -- "$4" <<<"$OUT" | grep '^FAIL' | head -n1 || true)
	got_fix=$(grep -A1 -F -- "$4" <<<"$OUT" | grep '^      fix: ' | head -n1 || true)
	if [ "$RC" = 1 ] && [ -n "$got_line" ] && [[ "$got_fix" == *"$5"* ]]; then
		echo "ok   - $3"
		echo "       $got_line"
		echo "       $got_fix"
		PASSES=$((PASSES + 1))
	else
		echo "FAIL - $3: expected exit 1, a FAIL line with '$4' and a fix with '$5'; exit $RC:"
		sed 's/^/       /' <<<"$OUT"
		FAILURES=$((FAILURES + 1))
	fi
	FIXCMD=${got_fix#      fix: }
	FIXCMD=${FIXCMD%% (*}
	FIXCMD=${FIXCMD%%, and *}
	FIXCMD=${FIXCMD%% if *}
}
# apply NS: run the printed fix there.
apply() {
	if [ -z "$FIXCMD" ]; then
		echo "FAIL - no fix to apply"
		FAILURES=$((FAILURES + 1))
		return
	fi
	echo "       applying: $FIXCMD"
	# shellcheck disable=SC2086 # the fix is a command line
	in_ns "$1" $FIXCMD
}

echo "# a correct setup"
passes "$NS_C" client "client: every check passes"
passes "$NS_P" primary "primary: every check passes"
passes "$NS_S" secondary "secondary: every check passes"
run_check "$NS_C" client
check "client: the largest tunnel packet is the main tunnel's (1380 + 60)" \
	grep -qF "holds the largest tunnel packet, 1440 B ($WGT_C's MTU 1380 + WireGuard's 60 B over IPv4)" <<<"$OUT"
check "client: the underlay's room is shown (WireGuard over IPv4 adds 60 B)" \
	grep -qF "WireGuard over IPv4 adds 60 B: $WGD_C's 1448 B packets to 198.18.1.2:51821 need 1508: ul0 under it has MTU 1520" <<<"$OUT"
run_check "$NS_S" secondary
check "secondary: each site's address is under its own peer" \
	grep -qF "AllowedIPs of $WGS for the site $PRIMARY_PUB: peer $(pub "$WGD_P" | cut -c1-8)…, whose endpoint it is" <<<"$OUT"

echo "# the dual link's MTU too small for the largest tunnel packet"
ip -n "$NS_C" link set "$WGD_C" mtu 1400
fails "$NS_C" client "client: dual MTU 1400 < 1440" \
	"MTU of $WGD_C (dual link): 1400 is smaller than the largest tunnel packet, 1440 B" \
	"ip link set dev $WGD_C mtu 1448"
apply "$NS_C"
passes "$NS_C" client "client: the fix makes it pass"

echo "# the dual link's underlay too small for its packets and WireGuard's 60 B"
ip -n "$NS_C" link set ul0 mtu 1500
fails "$NS_C" client "client: underlay MTU 1500 < 1448 + 60" \
	"$WGD_C's 1448 B packets to 198.18.1.2:51821 need 1508, more than the MTU of ul0 under it, 1500" \
	"ip link set dev ul0 mtu 1508"
apply "$NS_C"
passes "$NS_C" client "client: the fix makes it pass"

echo "# the same dual link reaching the secondary over IPv6: WireGuard adds 80 B"
in_ns "$NS_C" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.ul0.disable_ipv6=0
ip -n "$NS_C" addr add 2001:db8:1::1/64 dev ul0 nodad
in_ns "$NS_C" wg set "$WGD_C" peer "$(pub "$WGS")" endpoint "[2001:db8:1::2]:51821"
fails "$NS_C" client "client: IPv6 underlay MTU 1508 < 1448 + 80" \
	"WireGuard over IPv6 adds 80 B: $WGD_C's 1448 B packets to [2001:db8:1::2]:51821 need 1528, more than the MTU of ul0 under it, 1508" \
	"ip link set dev ul0 mtu 1528"
apply "$NS_C"
passes "$NS_C" client "client: the fix makes it pass"
in_ns "$NS_C" wg set "$WGD_C" peer "$(pub "$WGS")" endpoint 198.18.1.2:51821

echo "# dual_mtu in the configuration below the largest tunnel packet"
sed -i 's/^dual_mtu = .*/dual_mtu = 1420/' "$TMP/client.conf"
fails "$NS_C" client "client: dual_mtu = 1420 < 1440" \
	"dual_mtu = 1420 in $TMP/client.conf is smaller than the largest tunnel packet, 1440 B" \
	"dual_mtu = 1440 in $TMP/client.conf"
sed -i 's/^dual_mtu = .*/dual_mtu = 1448/' "$TMP/client.conf"

echo "# the primary's address missing from the client's AllowedIPs"
in_ns "$NS_C" wg set "$WGD_C" peer "$(pub "$WGS")" allowed-ips 10.66.4.1/32
fails "$NS_C" client "client: the primary is in no peer's AllowedIPs" \
	"AllowedIPs of $WGD_C for the primary $PRIMARY_PUB: no peer holds it: WireGuard drops the copies" \
	"wg set $WGD_C peer $(pub "$WGS") allowed-ips 10.66.4.1/32,$PRIMARY_PUB/32"
apply "$NS_C"
passes "$NS_C" client "client: the fix makes it pass"

echo "# the client's address missing from the primary's AllowedIPs"
in_ns "$NS_P" wg set "$WGD_P" peer "$(pub "$WGS")" allowed-ips 10.66.4.1/32
fails "$NS_P" primary "primary: the client is in no peer's AllowedIPs" \
	"AllowedIPs of $WGD_P for the client $CLIENT_PUB: no peer holds it" \
	"wg set $WGD_P peer $(pub "$WGS") allowed-ips 10.66.4.1/32,$CLIENT_PUB/32"
apply "$NS_P"
passes "$NS_P" primary "primary: the fix makes it pass"

echo "# on the secondary, the primary's address under the client's peer"
in_ns "$NS_S" wg set "$WGS" peer "$(pub "$WGD_C")" allowed-ips "10.66.4.66/32,$CLIENT_PUB/32,$PRIMARY_PUB/32"
fails "$NS_S" secondary "secondary: a site's address under the wrong peer" \
	"AllowedIPs of $WGS for the site $PRIMARY_PUB: it is under peer $(pub "$WGD_C" | cut -c1-8)… (endpoint $CLIENT_PUB:51822), not under the site's own peer" \
	"wg set $WGS peer $(pub "$WGD_P") allowed-ips 10.66.4.61/32,$PRIMARY_PUB/32"
apply "$NS_S"
passes "$NS_S" secondary "secondary: the fix makes it pass"

echo "# on the secondary, a site's address in no peer's AllowedIPs"
in_ns "$NS_S" wg set "$WGS" peer "$(pub "$WGD_C")" allowed-ips 10.66.4.66/32
fails "$NS_S" secondary "secondary: a site's address in no AllowedIPs" \
	"AllowedIPs of $WGS for the site $CLIENT_PUB: no peer holds it" \
	"wg set $WGS peer $(pub "$WGD_C") allowed-ips 10.66.4.66/32,$CLIENT_PUB/32"
apply "$NS_S"
passes "$NS_S" secondary "secondary: the fix makes it pass"

echo "# a route for the primary's address into the dual link (wg-quick's Table = auto)"
ip -n "$NS_C" route add "$PRIMARY_PUB/32" dev "$WGD_C"
fails "$NS_C" client "client: the route to the primary leaves by the dual link" \
	"route to the primary $PRIMARY_PUB: by $WGD_C, the dual link (route $PRIMARY_PUB/32)" \
	"ip route del $PRIMARY_PUB/32 dev $WGD_C (wg-quick: Table = off in $WGD_C's [Interface])"
apply "$NS_C"
passes "$NS_C" client "client: the fix makes it pass"

echo "# the same, in a table of its own behind a rule"
ip -n "$NS_C" route add 198.18.0.0/30 dev "$WGD_C" table 51820
ip -n "$NS_C" rule add to "$PRIMARY_PUB" table 51820 pref 100
fails "$NS_C" client "client: a policy route to the primary by the dual link" \
	"route to the primary $PRIMARY_PUB: by $WGD_C, the dual link (route 198.18.0.0/30 table 51820)" \
	"ip route del 198.18.0.0/30 dev $WGD_C table 51820"
apply "$NS_C"
ip -n "$NS_C" rule del pref 100
passes "$NS_C" client "client: the fix makes it pass"

echo "# on the secondary, a route for a site's address into its WireGuard device"
ip -n "$NS_S" route replace "$CLIENT_PUB" dev "$WGS"
fails "$NS_S" secondary "secondary: the route to a site leaves by the dual link" \
	"route to the site $CLIENT_PUB: by $WGS, the dual link (route $CLIENT_PUB/32)" \
	"ip route del $CLIENT_PUB/32 dev $WGS"
apply "$NS_S"
ip -n "$NS_S" route add "$CLIENT_PUB" via 198.18.1.1
passes "$NS_S" secondary "secondary: the fix makes it pass"

echo "# strict rp_filter where copies arrive"
in_ns "$NS_P" sysctl -qw "net.ipv4.conf.$WGD_P.rp_filter=1"
fails "$NS_P" primary "primary: strict rp_filter on the dual link" \
	"rp_filter on $WGD_P (dual link, where copies arrive): 1 (strict)" \
	"sysctl -w net.ipv4.conf.$WGD_P.rp_filter=2"
apply "$NS_P"
passes "$NS_P" primary "primary: the fix makes it pass"
# The kernel applies the larger of "all" and the device's own value.
in_ns "$NS_P" sysctl -qw net.ipv4.conf.all.rp_filter=1
passes "$NS_P" primary "primary: all = 1 (strict) with the device at 2 (loose) passes"
in_ns "$NS_P" sysctl -qw "net.ipv4.conf.$WGD_P.rp_filter=0"
fails "$NS_P" primary "primary: all = 1 (strict) with the device at 0 is strict" \
	"rp_filter on $WGD_P (dual link, where copies arrive): 1 (strict)" \
	"sysctl -w net.ipv4.conf.$WGD_P.rp_filter=2"
in_ns "$NS_P" sysctl -qw net.ipv4.conf.all.rp_filter=0

echo "# the dual link missing, and the JSON form"
sed -i "s/^dual_dev = .*/dual_dev = nodev0/" "$TMP/client.conf"
fails "$NS_C" client "client: the configured dual link is missing" \
	"dual link nodev0 (wireguard): no such device" "wg-quick up nodev0"
json=$(ip netns exec "$NS_C" "$CTL" -j check --config "$TMP/client.conf" || true)
check_eq "-j: the failing check and its fix" "wg-quick up nodev0 (or networkctl up nodev0, ifup nodev0)" \
	"$(jq -r '.[] | select(.ok == false) | .fix' <<<"$json")"
sed -i "s/^dual_dev = .*/dual_dev = ul0/" "$TMP/client.conf"
fails "$NS_C" client "client: dual_dev is not a WireGuard device" \
	"dual link ul0 (wireguard): ul0 is not a wireguard device" "dual = <its kind>"

finish
