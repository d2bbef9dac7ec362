#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# The hooks for dual links that pppd does not bring up
# (scripts/ifupdown/if-{up,down,post-down}.d/dupgre and
# scripts/networkd-dispatcher/dupgre), run exactly as ifupdown and
# networkd-dispatcher run them: IFACE, LOGICAL, ADDRFAM, METHOD, MODE and
# PHASE (STATE) in the environment. A veth pair is the WAN, TUN devices stand
# for the WireGuard dual links. Every order of up and down events, repeated
# and concurrent ones; after each, the kernel's hooks and `dupgre-ctl status`
# must show what the devices present call for.
source "$(dirname "$0")/lib.sh" "$1"

IFUPDOWN=$(cd "$(dirname "$0")/../../scripts/ifupdown" && pwd)
DISPATCHER=$(cd "$(dirname "$0")/../../scripts/networkd-dispatcher" && pwd)
LOGSINK="$BUILD/tests/tools/logsink"
export DUPGRE_CTL=$CTL

# ifupdown NS CONF up|down IFACE: what `ifup IFACE` / `ifdown IFACE` run
# after (up: post-up) or around (down: pre-down while the device is there,
# post-down after) their own work; the device changes are the caller's.
# Every hook must exit 0.
ifupdown_hook() {
	local ns=$1 conf=$2 dir=$3 iface=$4 mode=$5 phase=$6 rc=0
	ip netns exec "$ns" env DUPGRE_CONFIG="$conf" IFACE="$iface" LOGICAL="$iface" ADDRFAM=inet \
		METHOD=manual MODE="$mode" PHASE="$phase" VERBOSITY=0 "$IFUPDOWN/$dir/dupgre" \
		2>>"$TMP/hook.err" || rc=$?
	[ "$rc" = 0 ] || { echo "FAIL - $dir $iface exited $rc"; FAILURES=$((FAILURES + 1)); }
}
if_pre_up() { ifupdown_hook "$1" "$2" if-pre-up.d "$3" start pre-up; }
if_up() { ifupdown_hook "$1" "$2" if-up.d "$3" start post-up; }
if_down() { ifupdown_hook "$1" "$2" if-down.d "$3" stop pre-down; }
if_post_down() { ifupdown_hook "$1" "$2" if-post-down.d "$3" stop post-down; }

status() { ctl "$1" -j status; }
# The state in one line: clone on the WAN (state, target, tunnel, peers),
# eliminate paths (tunnel, port).
clone_state() {
	status "$1" | jq -r '[(.clone[] | "\(.device):\(.state):\(.target // "-"):\(.tunnel):\(.peers)"),
		(.eliminate[] | "elim:\(.device):\(.tunnel):\(.port)")] | join(" ")'
}
# The kernel's view, apart from dupgre's: our filters on each hook point.
filters() {
	local ns=$1 out="" dev
	for dev in wan0 wg1; do
		if ip -n "$ns" link show "$dev" >/dev/null 2>&1; then
			out+="$dev:$(hook_progs "$ns" "$dev" egress | grep -c 'dupgre' || true)"
			out+="/$(hook_progs "$ns" "$dev" ingress | grep -c 'dupgre' || true) "
		fi
	done
	echo "${out% }"
}
nothing_left() { [ ! -e "/sys/fs/bpf/dupgre/netns/$1" ] && ! in_ns "$1" tc qdisc show | grep -q clsact; }
mtu() { ip -n "$1" -j link show "$2" | jq .[0].mtu; }
problems() { grep -c "check\` for the fix\|nothing done" "$TMP/hook.err" || true; }

ns_add client
ns_add internet

# Devices as the system brings them up and takes them down.
wan_add() { ip -n "$client" link show wan0 >/dev/null 2>&1 || veth_pair "$client" wan0 198.18.0.1/24 "$internet" wan9 198.18.0.9/24; }
wan_del() { ip -n "$client" link del wan0 2>/dev/null || true; }
dual_add() {
	ip -n "$client" link show wg1 >/dev/null 2>&1 || ip -n "$client" tuntap add mode tun name wg1
	ip -n "$client" link set wg1 up
}
dual_del() { ip -n "$client" link del wg1 2>/dev/null || true; }
# One ifupdown event each: the device's own change, and the hooks around it.
event() {
	local conf=$1
	case $2 in
	wan+) wan_add; if_up "$client" "$conf" wan0 ;;
	wan-) if_down "$client" "$conf" wan0; wan_del; if_post_down "$client" "$conf" wan0 ;;
	wg1+) dual_add; if_up "$client" "$conf" wg1 ;;
	wg1-) if_down "$client" "$conf" wg1; dual_del; if_post_down "$client" "$conf" wg1 ;;
	esac
}

cat >"$TMP/client.conf" <<CONF
role = client
wan = wan0
tunnel = wireguard
tunnel_port = 4500
primary = 198.18.0.2
dual = wireguard
dual_dev = wg1
dual_mtu = 1420
eliminate = drop
CONF
UP="wan0:attached:wg1:wireguard:1 elim:wan0:wireguard:4500 elim:wg1:wireguard:4500"
check_eq "config -j: the new keys, typed" \
	'{"tunnel":"wireguard","tunnel_port":4500,"primary":"198.18.0.2","dual":"wireguard","dual_dev":"wg1","dual_ipparam":null}' \
	"$("$CTL" --config "$TMP/client.conf" config -j | jq -c '{tunnel, tunnel_port, primary, dual, dual_dev, dual_ipparam}')"

echo "# client: the dual link and the WAN, each event alone"
event "$TMP/client.conf" wg1-
check "link-down before any link-up: nothing, no problem" nothing_left "$client"
event "$TMP/client.conf" wg1+
check_eq "the dual link up while the WAN is missing: nothing yet" "" "$(clone_state "$client")"
check "it says what it waits for" grep -q "link-up wg1 (dual link): the WAN wan0 does not exist yet" "$TMP/hook.err"
event "$TMP/client.conf" wan+
check_eq "then the WAN: cloning into the dual link, elimination on both" "$UP" "$(clone_state "$client")"
check_eq "one filter on each hook point" "wan0:1/1 wg1:0/1" "$(filters "$client")"
check_eq "the primary's endpoint at the tunnel's port" '["198.18.0.2:4500"]' "$(ctl "$client" -j peer list --dev wan0 | jq -c .)"
check_eq "dual link MTU" 1420 "$(mtu "$client" wg1)"
event "$TMP/client.conf" wg1+
event "$TMP/client.conf" wan+
event "$TMP/client.conf" wg1+
check_eq "up again and again changes nothing" "$UP / wan0:1/1 wg1:0/1" "$(clone_state "$client") / $(filters "$client")"
event "$TMP/client.conf" wg1-
check "the dual link goes: nothing left" nothing_left "$client"
event "$TMP/client.conf" wg1+
check_eq "and comes back with a new ifindex" "$UP" "$(clone_state "$client")"
check_eq "cloning into the new one" "$(ip -n "$client" -j link show wg1 | jq .[0].ifindex)" \
	"$(status "$client" | jq '.clone[0].target_ifindex')"
event "$TMP/client.conf" wan-
check "the WAN goes: nothing left" nothing_left "$client"
event "$TMP/client.conf" wan+
check_eq "it comes back: all set up again" "$UP / wan0:1/1 wg1:0/1" "$(clone_state "$client") / $(filters "$client")"
check_eq "no problem logged so far" 0 "$(problems)"
# ifup of a dual link whose stanza makes the device (pre-up ip link add):
# set up at pre-up, while the device is still down, before anything
# arrives by it.
event "$TMP/client.conf" wg1-
ip -n "$client" tuntap add mode tun name wg1
if_pre_up "$client" "$TMP/client.conf" wg1
check_eq "pre-up: set up while the dual link is still down" "false $UP" \
	"$(ip -n "$client" -j link show wg1 | jq -r '.[0].flags | index("UP") != null') $(clone_state "$client")"
ip -n "$client" link set wg1 up
if_up "$client" "$TMP/client.conf" wg1
check_eq "post-up then changes nothing" "$UP / wan0:1/1 wg1:0/1" "$(clone_state "$client") / $(filters "$client")"
for dev in lo eth7 --all; do if_up "$client" "$TMP/client.conf" "$dev"; done
check_eq "other interfaces (and ifup -a's --all) are not dupgre's" "$UP" "$(clone_state "$client")"

echo "# client: every order of the four events, from nothing"
# After each event the devices present call for one state: a link-down
# takes it all down, a link-up with both devices there sets it all up.
event "$TMP/client.conf" wan-
event "$TMP/client.conf" wg1-
orders=0 wrong=0
for a in wan+ wan- wg1+ wg1-; do for b in wan+ wan- wg1+ wg1-; do for c in wan+ wan- wg1+ wg1-; do for d in wan+ wan- wg1+ wg1-; do
	seq="$a $b $c $d"
	# Each event once: the 24 orders.
	[ "$(tr ' ' '\n' <<<"$seq" | sort -u | wc -l)" = 4 ] || continue
	orders=$((orders + 1))
	for e in $seq; do
		event "$TMP/client.conf" "$e"
		want=""
		if [ "${e: -1}" = + ] && ip -n "$client" link show wan0 >/dev/null 2>&1 &&
			ip -n "$client" link show wg1 >/dev/null 2>&1; then
			want=$UP
		fi
		got=$(clone_state "$client")
		if [ "$got" != "$want" ] || { [ -z "$want" ] && ! nothing_left "$client"; }; then
			echo "FAIL - order $seq: after $e: expected '$want', got '$got'"
			wrong=$((wrong + 1))
		fi
	done
	event "$TMP/client.conf" wan-
	event "$TMP/client.conf" wg1-
done; done; done; done
check_eq "24 orders, each state as the devices call for" "24 0" "$orders $wrong"
check "nothing left after the last" nothing_left "$client"
check_eq "and no problem logged" 0 "$(problems)"

echo "# client: concurrent events"
wan_add
dual_add
pids=()
for i in $(seq 12); do
	if_up "$client" "$TMP/client.conf" wg1 &
	pids+=($!)
	if_up "$client" "$TMP/client.conf" wan0 &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
check_eq "24 link-ups at once: one state, one filter each" "$UP / wan0:1/1 wg1:0/1" \
	"$(clone_state "$client") / $(filters "$client")"
check_eq "and no problem logged" 0 "$(problems)"
pids=()
for i in $(seq 8); do
	if_up "$client" "$TMP/client.conf" wg1 &
	pids+=($!)
	if_down "$client" "$TMP/client.conf" wan0 &
	pids+=($!)
	if_post_down "$client" "$TMP/client.conf" wg1 &
	pids+=($!)
	if_up "$client" "$TMP/client.conf" wan0 &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
got="$(clone_state "$client") / $(filters "$client")"
check "ups and downs at once: all or nothing, never half ($got)" \
	test "$got" = "$UP / wan0:1/1 wg1:0/1" -o "$got" = " / wan0:0/0 wg1:0/0"
if_up "$client" "$TMP/client.conf" wg1
check_eq "then one link-up settles it" "$UP / wan0:1/1 wg1:0/1" "$(clone_state "$client") / $(filters "$client")"
if_down "$client" "$TMP/client.conf" wg1
check "and one link-down clears it" nothing_left "$client"
check_eq "no problem logged" 0 "$(problems)"

echo "# client: networkd-dispatcher's states"
dispatch() {
	ip netns exec "$client" env DUPGRE_CONFIG="$TMP/client.conf" IFACE="$1" STATE="$2" \
		"$DISPATCHER/dupgre" 2>>"$TMP/hook.err" || { echo "FAIL - dispatcher $1 $2"; FAILURES=$((FAILURES + 1)); }
}
dispatch wg1 carrier
check_eq "carrier: up (a dual link may have no address)" "$UP" "$(clone_state "$client")"
dispatch wg1 routable
dispatch wg1 degraded
check_eq "routable, degraded: still up, once" "$UP / wan0:1/1 wg1:0/1" "$(clone_state "$client") / $(filters "$client")"
dispatch wg1 no-carrier
check "no-carrier: down" nothing_left "$client"
dispatch wan0 routable
check_eq "the WAN routable: up" "$UP" "$(clone_state "$client")"
dispatch wan0 off
check "the WAN off: down" nothing_left "$client"

echo "# client: the tunnel changes in the file"
sed -e 's/^tunnel = wireguard/tunnel = pptp/' -e '/^tunnel_port/d' "$TMP/client.conf" >"$TMP/client-pptp.conf"
if_up "$client" "$TMP/client.conf" wg1
if_up "$client" "$TMP/client-pptp.conf" wg1
check_eq "PPTP now: the WireGuard peer gone, the PPTP one there" \
	"wan0:attached:wg1:pptp:1 elim:wan0:pptp:0 elim:wg1:pptp:0" "$(clone_state "$client")"
check_eq "the primary's address" '["198.18.0.2"]' "$(ctl "$client" -j peer list --dev wan0 | jq -c .)"
if_up "$client" "$TMP/client.conf" wg1
check_eq "and back" "$UP" "$(clone_state "$client")"
if_down "$client" "$TMP/client.conf" wan0
check "down: nothing left" nothing_left "$client"

echo "# primary: WireGuard server, clients IPv4 and IPv6"
ns_add primary
ip netns exec "$primary" sysctl -qw net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.default.rp_filter=1
veth_pair "$primary" wan0 198.18.0.2/24 "$internet" wan8 198.18.0.8/24
cat >"$TMP/primary.conf" <<CONF
role = primary
wan = wan0
tunnel = wireguard
clients = 198.18.0.1 2001:db8::1
dual = gre
dual_dev = wg1
eliminate = monitor
CONF
ip -n "$primary" tuntap add mode tun name wg1
ip -n "$primary" link set wg1 up
if_up "$primary" "$TMP/primary.conf" wg1
check_eq "the dual link: cloning what goes to the clients" \
	"wan0:attached:wg1:wireguard:2 elim:wan0:wireguard:51820 elim:wg1:wireguard:51820" "$(clone_state "$primary")"
check_eq "the clients' endpoints, at the server's port" '["198.18.0.1:51820","[2001:db8::1]:51820"]' \
	"$(ctl "$primary" -j peer list --dev wan0 | jq -c 'sort')"
check_eq "rp_filter loosened on the dual link only" "2 1" \
	"$(in_ns "$primary" cat /proc/sys/net/ipv4/conf/wg1/rp_filter /proc/sys/net/ipv4/conf/all/rp_filter | tr '\n' ' ' | sed 's/ $//')"
if_down "$primary" "$TMP/primary.conf" wg1
check_eq "the dual link goes down: the clients' peers stay" "wan0:detached:-:wireguard:2" "$(clone_state "$primary")"
sed -i 's/^clients = .*/clients = 2001:db8::1 198.18.0.7/' "$TMP/primary.conf"
if_up "$primary" "$TMP/primary.conf" wg1
check_eq "up again after the file changed: its clients exactly" '["198.18.0.7:51820","[2001:db8::1]:51820"]' \
	"$(ctl "$primary" -j peer list --dev wan0 | jq -c 'sort')"
if_down "$primary" "$TMP/primary.conf" wan0
ip -n "$primary" link del wg1
if_post_down "$primary" "$TMP/primary.conf" wg1
check_eq "both down: only the peers wait" "wan0:detached:-:wireguard:2" "$(clone_state "$primary")"
ctl "$primary" flush >/dev/null

echo "# secondary: one WireGuard device to two sites, a GRE device to one (IPv4 and IPv6)"
ns_add secondary
cat >"$TMP/secondary.conf" <<CONF
role = secondary
dual = wireguard
relay = wg0=198.18.0.1,198.18.0.2 gre1=198.18.0.5,2001:db8::5
CONF
check_eq "config -j: relay as {DEV: [sites]}" '{"wg0":["198.18.0.1","198.18.0.2"],"gre1":["198.18.0.5","2001:db8::5"]}' \
	"$("$CTL" --config "$TMP/secondary.conf" config -j | jq -c .relay)"
relays() { ctl "$secondary" -j relay list | jq -r '[.relay[] | "\(.device)>\(.peers | sort | join(","))"] | sort | join(" ")'; }
if_up "$secondary" "$TMP/secondary.conf" wg0
check_eq "a relayed device that is not there: nothing" "" "$(relays)"
for d in wg0 gre1 wg7; do
	ip -n "$secondary" tuntap add mode tun name "$d"
	ip -n "$secondary" link set "$d" up
	if_up "$secondary" "$TMP/secondary.conf" "$d"
done
check_eq "each named device relayed with its sites, the others not" "gre1>198.18.0.5,2001:db8::5 wg0>198.18.0.1,198.18.0.2" "$(relays)"
check_eq "its MTU: dual = wireguard's default" 1440 "$(mtu "$secondary" wg0)"
check_eq "one relay filter each" "1 1 0" "$(for d in wg0 gre1 wg7; do hook_progs "$secondary" "$d" ingress | grep -c dupgre || true; done | tr '\n' ' ' | sed 's/ $//')"
if_up "$secondary" "$TMP/secondary.conf" wg0
if_down "$secondary" "$TMP/secondary.conf" wg7
check_eq "repeated up, another device's down: the same" "gre1>198.18.0.5,2001:db8::5 wg0>198.18.0.1,198.18.0.2" "$(relays)"
if_down "$secondary" "$TMP/secondary.conf" wg0
ip -n "$secondary" link del wg0
if_post_down "$secondary" "$TMP/secondary.conf" wg0
check_eq "wg0 down" "gre1>198.18.0.5,2001:db8::5" "$(relays)"
if_down "$secondary" "$TMP/secondary.conf" gre1
check "all down: nothing left" nothing_left "$secondary"

echo "# what the hooks log, where they are read"
: >"$TMP/hook.err"
printf 'role = client\nwan = wan0\n' >"$TMP/broken.conf"
wan_add
if_up "$client" "$TMP/broken.conf" wan0
check "a broken configuration: the error names the file and the key" \
	grep -q "link-up wan0: nothing done: .*broken.conf: primary: required" "$TMP/hook.err"
check "and nothing was done" nothing_left "$client"
: >"$TMP/hook.err"
if_up "$client" "$TMP/absent.conf" wan0
check_eq "no configuration: silence (every interface passes here)" "" "$(cat "$TMP/hook.err")"
# The test's own syslog, as test-hooks.sh has it.
rm -rf "$TMP/dev"
mkdir "$TMP/dev"
touch "$TMP/dev/null"
start_ready sink "$LOGSINK" "$TMP/dev/log" >"$TMP/syslog"
ip netns exec "$client" unshare --mount --propagation private sh -c \
	'mount --bind /dev/null "$1/null" && mount --rbind "$1" /dev && shift && exec "$@"' \
	sh "$TMP/dev" env DUPGRE_CONFIG="$TMP/broken.conf" IFACE=wan0 MODE=start PHASE=post-up \
	"$IFUPDOWN/if-up.d/dupgre" 2>/dev/null
kill "$sink"
wait "$sink" || true
check "syslog has it (LOG_DAEMON|LOG_ERR)" grep -Eq "^<27>.* dupgre\[[0-9]+\]: link-up wan0: nothing done: .*primary: required" "$TMP/syslog"
finish
