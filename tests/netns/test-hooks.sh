#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# The pppd hooks (scripts/ppp/ip-{pre-up,up,down}.d/dupgre), run exactly
# as Debian's /etc/ppp/ip-up runs them: pppd's six arguments, and the same
# as PPP_* variables. PPTP and WireGuard main tunnels; PPTP dual links, and
# the WAN from pppd with a dual link it does not bring up. TUN devices named pppN stand for the links; every
# order pppd can produce, and after each step `status` must say what the
# guide's scripts would have left. When all links are down, nothing is left.
source "$(dirname "$0")/lib.sh" "$1"

HOOKS=$(cd "$(dirname "$0")/../../scripts/ppp" && pwd)
LOGSINK="$BUILD/tests/tools/logsink"
export DUPGRE_CTL=$CTL

# link NS IFACE up|pre-up|down: a ppp link appearing (pre-up: still down,
# as pppd has it when it runs ip-pre-up) or going away.
link() {
	if [ "$3" != down ]; then
		ip -n "$1" link show "$2" >/dev/null 2>&1 || ip -n "$1" tuntap add mode tun name "$2"
		[ "$3" = pre-up ] || ip -n "$1" link set "$2" up
	else
		ip -n "$1" link del "$2"
	fi
}
# hook NS CONF ip-up|ip-down IFACE REMOTE IPPARAM: what pppd does.
hook() {
	local ns=$1 conf=$2 event=$3 iface=$4 remote=$5 ipparam=$6 rc=0
	ip netns exec "$ns" env DUPGRE_CONFIG="$conf" PPP_IFACE="$iface" PPP_TTY=/dev/pts/3 \
		PPP_SPEED=0 PPP_LOCAL=10.66.0.1 PPP_REMOTE="$remote" PPP_IPPARAM="$ipparam" \
		"$HOOKS/$event.d/dupgre" "$iface" /dev/pts/3 0 10.66.0.1 "$remote" "$ipparam" \
		2>"$TMP/hook.err" || rc=$?
	[ "$rc" = 0 ] || { echo "FAIL - hook $event $iface exited $rc"; FAILURES=$((FAILURES + 1)); }
}
# hook_syslog NS CONF EVENT [ARGS...]: the hook as pppd runs it (its stderr
# discarded), without PPP_* variables, logging to this test's own syslog:
# logsink listens on $TMP/dev/log, and the hook runs in a mount namespace of
# its own whose /dev is $TMP/dev (glibc's syslog() sends to /dev/log). What
# logsink received is in $TMP/syslog once this returns.
hook_syslog() {
	local ns=$1 conf=$2 event=$3 rc=0 sink
	shift 3
	rm -rf "$TMP/dev"
	mkdir "$TMP/dev"
	touch "$TMP/dev/null"
	start_ready sink "$LOGSINK" "$TMP/dev/log" >"$TMP/syslog"
	ip netns exec "$ns" unshare --mount --propagation private sh -c \
		'mount --bind /dev/null "$1/null" && mount --rbind "$1" /dev && shift && exec "$@"' \
		sh "$TMP/dev" env DUPGRE_CONFIG="$conf" "$HOOKS/$event.d/dupgre" "$@" 2>/dev/null || rc=$?
	kill "$sink"
	wait "$sink"
	[ "$rc" = 0 ] || { echo "FAIL - hook $event $* exited $rc"; FAILURES=$((FAILURES + 1)); }
}
# logged PATTERN: an error (LOG_DAEMON | LOG_ERR = <27>) from "dupgre[PID]"
# in the last hook_syslog's messages whose text matches PATTERN (grep -E).
logged() { grep -Eq "^<27>.* dupgre\[[0-9]+\]: $1" "$TMP/syslog"; }
status() { ctl "$1" -j status; }
# The state in one line: clone on the WAN (state, target, peers), eliminate paths.
clone_state() {
	status "$1" | jq -r '[(.clone[] | "\(.device):\(.state):\(.target // "-"):\(.peers)"),
		(.eliminate[] | "elim:\(.device)")] | join(" ")'
}
nothing_left() { [ ! -e "/sys/fs/bpf/dupgre/netns/$1" ] && ! in_ns "$1" tc qdisc show | grep -q clsact; }
mtu() { ip -n "$1" -j link show "$2" | jq .[0].mtu; }

echo "# primary"
ns_add primary
ns_add internet
veth_pair "$primary" wan0 198.18.0.2/24 "$internet" wan1 198.18.0.1/24
in_ns "$primary" sysctl -qw net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.default.rp_filter=1
cat >"$TMP/primary.conf" <<CONF
role = primary
wan = wan0
client_remote = 10.66.6.0/24
eliminate = monitor
CONF
link "$primary" ppp0 up
hook "$primary" "$TMP/primary.conf" ip-up ppp0 10.66.6.66 198.18.5.1
check_eq "a client before the dual link: its peer waits" "wan0:detached:-:1" "$(clone_state "$primary")"
check_eq "client link MTU" 1380 "$(mtu "$primary" ppp0)"
link "$primary" ppp1 up
hook "$primary" "$TMP/primary.conf" ip-up ppp1 10.66.4.1 bvpn
check_eq "the dual link comes up: cloning into it" "wan0:attached:ppp1:1 elim:wan0 elim:ppp1" "$(clone_state "$primary")"
check_eq "dual link MTU" 1448 "$(mtu "$primary" ppp1)"
check_eq "rp_filter loosened on the dual link only" "2 1" \
	"$(in_ns "$primary" cat /proc/sys/net/ipv4/conf/ppp1/rp_filter /proc/sys/net/ipv4/conf/all/rp_filter | tr '\n' ' ' | sed 's/ $//')"
link "$primary" ppp2 up
hook "$primary" "$TMP/primary.conf" ip-up ppp2 10.66.6.67 198.18.5.2
check_eq "a second client" "wan0:attached:ppp1:2 elim:wan0 elim:ppp1" "$(clone_state "$primary")"
hook "$primary" "$TMP/primary.conf" ip-up ppp2 10.66.6.67 198.18.5.2
hook "$primary" "$TMP/primary.conf" ip-up ppp1 10.66.4.1 bvpn
check_eq "ip-up twice changes nothing" "wan0:attached:ppp1:2 elim:wan0 elim:ppp1" "$(clone_state "$primary")"
check_eq "one clone filter" 1 "$(hook_progs "$primary" wan0 egress | grep -c dupgre_clone)"

hook "$primary" "$TMP/primary.conf" ip-down ppp1 10.66.4.1 bvpn
link "$primary" ppp1 down
check_eq "the dual link goes down: clients' peers stay" "wan0:detached:-:2" "$(clone_state "$primary")"
link "$primary" ppp1 up
hook "$primary" "$TMP/primary.conf" ip-up ppp1 10.66.4.1 bvpn
check_eq "and comes back with a new ifindex" "wan0:attached:ppp1:2 elim:wan0 elim:ppp1" "$(clone_state "$primary")"
check_eq "cloning into the new one" "$(ip -n "$primary" -j link show ppp1 | jq .[0].ifindex)" \
	"$(status "$primary" | jq '.clone[0].target_ifindex')"

hook "$primary" "$TMP/primary.conf" ip-down ppp7 10.66.6.99 198.18.5.9
check_eq "ip-down without ip-up changes nothing" "wan0:attached:ppp1:2 elim:wan0 elim:ppp1" "$(clone_state "$primary")"
hook "$primary" "$TMP/primary.conf" ip-up ppp8 10.9.9.9 198.18.5.8
check_eq "a link that is neither is not dupgre's" "wan0:attached:ppp1:2 elim:wan0 elim:ppp1" "$(clone_state "$primary")"
hook "$primary" "$TMP/primary.conf" ip-up ppp9 10.66.6.70 not-an-address
check "a bad ipparam is logged, the connection never fails" grep -q "not the peer's public address" "$TMP/hook.err"

for c in "ppp0 10.66.6.66 198.18.5.1" "ppp2 10.66.6.67 198.18.5.2"; do
	set -- $c
	hook "$primary" "$TMP/primary.conf" ip-down "$1" "$2" "$3"
	link "$primary" "$1" down
done
check_eq "clients gone, the dual link stays" "wan0:attached:ppp1:0 elim:wan0 elim:ppp1" "$(clone_state "$primary")"
hook "$primary" "$TMP/primary.conf" ip-down ppp1 10.66.4.1 bvpn
link "$primary" ppp1 down
check "all links down: nothing attached or pinned" nothing_left "$primary"

echo "# primary: dual link first, down in the other order, NAT fix"
printf 'snat = 10.123.82.34=198.18.0.2\n' >>"$TMP/primary.conf"
link "$primary" ppp1 up
hook "$primary" "$TMP/primary.conf" ip-up ppp1 10.66.4.1 bvpn
link "$primary" ppp0 up
hook "$primary" "$TMP/primary.conf" ip-up ppp0 10.66.6.66 198.18.5.1
check_eq "NAT fix: copies' source, arrivals' destination" "10.123.82.34 198.18.0.2 198.18.0.2 10.123.82.34" \
	"$(status "$primary" | jq -r '"\(.clone[0].snat_private) \(.clone[0].snat_public) \(.dnat[0].public) \(.dnat[0].private)"')"
hook "$primary" "$TMP/primary.conf" ip-down ppp1 10.66.4.1 bvpn
link "$primary" ppp1 down
check_eq "dual link down first: the client's peer stays, NAT fix gone" "wan0:detached:-:1 0" \
	"$(clone_state "$primary") $(status "$primary" | jq '.dnat | length')"
hook "$primary" "$TMP/primary.conf" ip-down ppp0 10.66.6.66 198.18.5.1
link "$primary" ppp0 down
check "then the client: nothing left" nothing_left "$primary"

echo "# secondary"
ns_add secondary
cat >"$TMP/secondary.conf" <<CONF
role = secondary
dual_remote = 10.66.4.60/30
CONF
relays() { ctl "$secondary" -j relay list | jq -r '[.relay[] | "\(.device)>\(.peers | join(","))"] | join(" ")'; }
link "$secondary" ppp0 up
link "$secondary" ppp1 up
link "$secondary" ppp2 up
hook "$secondary" "$TMP/secondary.conf" ip-up ppp0 10.66.4.61 198.18.0.2
hook "$secondary" "$TMP/secondary.conf" ip-up ppp1 10.66.4.62 198.18.0.1
hook "$secondary" "$TMP/secondary.conf" ip-up ppp2 10.66.4.70 198.18.0.3
check_eq "two dual connections relayed, the third not one" "ppp0>198.18.0.2 ppp1>198.18.0.1" "$(relays)"
hook "$secondary" "$TMP/secondary.conf" ip-down ppp1 10.66.4.62 198.18.0.1
link "$secondary" ppp1 down
link "$secondary" ppp1 up
hook "$secondary" "$TMP/secondary.conf" ip-up ppp1 10.66.4.62 198.18.0.1
check_eq "a dual connection flaps" "ppp0>198.18.0.2 ppp1>198.18.0.1" "$(relays)"
hook "$secondary" "$TMP/secondary.conf" ip-down ppp0 10.66.4.61 198.18.0.2
hook "$secondary" "$TMP/secondary.conf" ip-down ppp1 10.66.4.62 198.18.0.1
check "all down: nothing left" nothing_left "$secondary"

echo "# client"
ns_add client
veth_pair "$client" wan0 198.18.0.1/24 "$internet" wan2 198.18.0.5/24
cat >"$TMP/client.conf" <<CONF
role = client
wan = wan0
primary = 198.18.0.2
eliminate = drop
CONF
link "$client" ppp0 up
link "$client" ppp1 up
hook "$client" "$TMP/client.conf" ip-up ppp0 10.66.6.1 vpn    # the tunnel to the primary
check_eq "the primary link alone: nothing to do" "" "$(clone_state "$client")"
hook "$client" "$TMP/client.conf" ip-up ppp1 10.66.4.1 bvpn   # the tunnel to the secondary
check_eq "the dual link: cloning what goes to the primary" "wan0:attached:ppp1:1 elim:wan0 elim:ppp1" \
	"$(clone_state "$client")"
check_eq "drop mode" drop "$(status "$client" | jq -r '.eliminate[0].mode')"
hook "$client" "$TMP/client.conf" ip-down ppp1 10.66.4.1 bvpn
link "$client" ppp1 down
check "dual link down: nothing left" nothing_left "$client"
link "$client" ppp1 pre-up
hook "$client" "$TMP/client.conf" ip-pre-up ppp1 10.66.4.1 bvpn
check_eq "ip-pre-up, the link still down: elimination only" "elim:wan0 elim:ppp1" "$(clone_state "$client")"
check_eq "and it is down" false "$(ip -n "$client" -j link show ppp1 | jq '.[0].flags | index("UP") != null')"
hook "$client" "$TMP/client.conf" ip-pre-up ppp0 10.66.6.1 vpn
check_eq "not the dual link: nothing" "elim:wan0 elim:ppp1" "$(clone_state "$client")"
link "$client" ppp1 up
hook "$client" "$TMP/client.conf" ip-up ppp1 10.66.4.1 bvpn
check_eq "then ip-up: cloning, one filter each" "wan0:attached:ppp1:1 elim:wan0 elim:ppp1 1" \
	"$(clone_state "$client") $(hook_progs "$client" ppp1 ingress | grep -c dupgre)"
hook "$client" "$TMP/client.conf" ip-down ppp1 10.66.4.1 bvpn
check "down again: nothing left" nothing_left "$client"

echo "# client: WireGuard as the main tunnel, the PPTP dual link from pppd"
cat >"$TMP/client-wg.conf" <<CONF
role = client
wan = wan0
tunnel = wireguard
primary = 198.18.0.2
eliminate = drop
CONF
link "$client" ppp1 pre-up
hook "$client" "$TMP/client-wg.conf" ip-pre-up ppp1 10.66.4.1 bvpn
link "$client" ppp1 up
hook "$client" "$TMP/client-wg.conf" ip-up ppp1 10.66.4.1 bvpn
check_eq "the WireGuard profile, the server's endpoint" \
	"wan0:attached:ppp1:1 elim:wan0 elim:ppp1 wireguard wireguard:51820 [\"198.18.0.2:51820\"]" \
	"$(clone_state "$client") $(status "$client" | jq -r '"\(.clone[0].tunnel) \(.eliminate[0].tunnel):\(.eliminate[0].port)"') $(ctl "$client" -j peer list --dev wan0 | jq -c .)"
hook "$client" "$TMP/client-wg.conf" ip-down ppp1 10.66.4.1 bvpn
link "$client" ppp1 down
check "dual link down: nothing left" nothing_left "$client"

echo "# client: a GRE dual link, the WAN from pppd (PPPoE)"
cat >"$TMP/client-gre.conf" <<CONF
role = client
wan = ppp0
primary = 198.18.0.2
dual = gre
dual_dev = gre1
CONF
ip -n "$client" tuntap add mode tun name gre1
ip -n "$client" link set gre1 up
hook "$client" "$TMP/client-gre.conf" ip-up ppp1 10.66.4.1 bvpn
check_eq "a pppd link named bvpn is not the dual link now" "" "$(clone_state "$client")"
hook "$client" "$TMP/client-gre.conf" ip-up ppp0 10.66.6.1 wan
check_eq "the WAN's ip-up sets the GRE link up" "ppp0:attached:gre1:1" "$(clone_state "$client")"
hook "$client" "$TMP/client-gre.conf" ip-down ppp0 10.66.6.1 wan
check "its ip-down takes it down" nothing_left "$client"
ip -n "$client" link del gre1

echo "# primary: a WireGuard dual link, PPTP client connections from pppd"
cat >"$TMP/primary-wg.conf" <<CONF
role = primary
wan = wan0
client_remote = 10.66.6.0/24
dual = wireguard
dual_dev = wg1
CONF
link "$primary" ppp0 up
hook "$primary" "$TMP/primary-wg.conf" ip-up ppp0 10.66.6.66 198.18.5.1
link "$primary" ppp1 up
hook "$primary" "$TMP/primary-wg.conf" ip-up ppp1 10.66.4.1 bvpn
check_eq "a client connection's peer; a pppd link named bvpn is not the dual link" "wan0:detached:-:1" \
	"$(clone_state "$primary")"
hook "$primary" "$TMP/primary-wg.conf" ip-down ppp1 10.66.4.1 bvpn
hook "$primary" "$TMP/primary-wg.conf" ip-down ppp0 10.66.6.66 198.18.5.1
link "$primary" ppp0 down
link "$primary" ppp1 down
check "the client gone: nothing left" nothing_left "$primary"

echo "# a broken configuration never fails the connection"
printf 'role = primary\nwan = wan0\n' >"$TMP/broken.conf"
hook "$primary" "$TMP/broken.conf" ip-up ppp0 10.66.6.66 198.18.5.1
check "the error names the file and key" grep -q "broken.conf: client_remote: required" "$TMP/hook.err"
check "and nothing was done" nothing_left "$primary"

echo "# every problem reaches syslog, where pppd's hooks can be read"
hook_syslog "$primary" "$TMP/primary.conf" ip-up ppp9 /dev/pts/3 0 10.66.0.1 10.66.6.70 not-an-address
check "a failed step (the test's syslog works)" logged "ip-up ppp9 \(client connection\): .*not the peer's public address"
hook_syslog "$primary" "$TMP/broken.conf" ip-up ppp0 /dev/pts/3 0 10.66.0.1 10.66.6.66 198.18.5.1
check "a configuration that does not parse" logged "ip-up ppp0: .*broken.conf: client_remote: required"
hook_syslog "$primary" "$TMP/primary.conf" ip-up
check "no interface (neither pppd's arguments nor PPP_IFACE)" logged "ip-up: .*no interface"
hook_syslog "$primary" "$TMP/primary.conf" ip-up "bad/name"
check "an interface name the kernel never accepts" logged "ip-up: .*invalid interface name 'bad/name'"
hook_syslog "$primary" "$TMP/missing.conf" ip-down ppp0 /dev/pts/3 0 10.66.0.1 10.66.6.66 198.18.5.1
# No configuration: dupgre installed, not configured; every PPP link of
# the machine runs the hooks, which then do nothing and say nothing.
check "no configuration file: the hook says nothing" test ! -s "$TMP/syslog"
check "nothing was done" nothing_left "$primary"
finish
