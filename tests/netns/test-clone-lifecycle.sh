#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# attach / retarget / detach as pppd hooks drive them, seen through the
# kernel's own tools (tc, bpftool, the tcx hook's query) and the pins; by a
# tcx link, or a clsact filter with DUPGRE_ATTACH=tc:
#
#   [site: wan0 (veth) 198.18.0.1] ---- [peer: wan1 198.18.0.2]
#          sec0, sec1: TUN clone targets, read by pktcap; tgt0: one nobody reads
#
# Retargeting while traffic flows loses and doubles no clone; detach leaves
# no filter or link, no pins, and removes the clsact qdisc only when dupgre
# created it and nothing else uses it; bad input changes nothing.
source "$(dirname "$0")/lib.sh" "$1"

ns_add site
ns_add peer
veth_pair "$site" wan0 198.18.0.1/24 "$peer" wan1 198.18.0.2/24
ip -n "$site" link add wan2 type veth peer name wan3
ip -n "$site" route add default via 198.18.0.2
ip -n "$site" tuntap add mode tun name tgt0  # a target that outlives the captures
ip -n "$site" link set tgt0 up
PINS=/sys/fs/bpf/dupgre/netns/$site
DIR=$PINS/clone/wan0

filters() { in_ns "$site" tc filter show dev wan0 "$1"; }
dupgre_filters() { hook_progs "$site" wan0 egress | grep -c 'dupgre_clone' || true; }
has_clsact() { in_ns "$site" tc qdisc show dev wan0 | grep -q clsact; }
no_clsact() { ! has_clsact; }
status_field() { ctl "$site" -j status --dev wan0 | grep -o "\"$1\":[^,}]*" | cut -d: -f2 | tr -d '"'; }
no_state() { [ ! -e "$PINS" ]; }
"$PKTMIX" --peer 198.18.0.2 --count 45000 --seed 3 | grep '^gre_data ' | cut -d' ' -f2 >"$TMP/gre.hex"
gre_packets() {  # gre_packets FIRST_ID COUNT: matching GRE data to the peer, ids from FIRST_ID
	awk -v id="$1" -v n="$2" 'NR <= n { printf "%s%04x%s\n", substr($0, 1, 8), id++, substr($0, 13) }' "$TMP/gre.hex"
}

echo "# attach: one filter, visible to tc and bpftool, state pinned"
tun_capture cap0 "$site" sec0 "$TMP/sec0.hex" --until-id 65534
tun_capture cap1 "$site" sec1 "$TMP/sec1.hex" --until-id 65535
ctl "$site" peer add --dev wan0 198.18.0.2 198.18.0.7
check_eq "peers before attach: state detached" detached "$(status_field state)"
ctl "$site" attach --dev wan0 --clone-to sec0
check_eq "one dupgre filter on egress" 1 "$(dupgre_filters)"
check_eq "status: attached by $ATTACH_MODE" "$ATTACH_MODE" "$(status_field attach)"
if [ "$ATTACH_MODE" = tc ]; then
	check "at dupgre's handle and priority" bash -c "ip netns exec $site tc filter show dev wan0 egress | grep -q 'pref 13 bpf chain 0 handle 0xd06e dupgre_clone'"
else
	check "the tcx link pinned by the device's ifindex" test -e "$PINS/tcx/$(ifindex "$site" wan0)/clone"
	check_eq "no clsact qdisc with tcx" 0 "$(in_ns "$site" tc qdisc show dev wan0 | grep -c clsact || true)"
fi
prog=$(status_field prog_id)
check "bpftool sees the program" bash -c "bpftool prog show id $prog | grep -q 'name dupgre_clone'"
check "bpftool sees the pinned peer map" bash -c "bpftool map show pinned $DIR/peers | grep -q 'name peers'"
check "pins: prog peers wg_peers stats info copy copy_stash" test "$(ls "$DIR" | sort | tr '\n' ' ')" = "copy copy_stash info peers prog stats wg_peers "
check_eq "peers kept across attach" "198.18.0.2 198.18.0.7" "$(ctl "$site" peer list --dev wan0 | tr '\n' ' ' | sed 's/ $//')"
check "attach is idempotent" ctl "$site" attach --dev wan0 --clone-to sec0
check_eq "still one dupgre filter" 1 "$(dupgre_filters)"

echo "# retarget while traffic flows: every packet cloned exactly once"
ids=16000
gre_packets 1 "$ids" >"$TMP/flow.hex"
gre_packets 65534 1 >"$TMP/marker0.hex"
gre_packets 65535 1 >"$TMP/marker1.hex"
retarget_under_traffic "$site" "$TMP/flow.hex" "$TMP/marker0.hex" "$TMP/marker1.hex" 40
wait "$cap0" "$cap1"
echo "     ($RETARGETS retargets during $ids packets)"
check "retargeted at least 10 times during the flow" test "$RETARGETS" -ge 10
cat "$TMP/sec0.hex" "$TMP/sec1.hex" | cut -c9-12 | sort >"$TMP/ids"
check_eq "clones across both targets" "$((ids + 2))" "$(wc -l <"$TMP/ids")"
check_eq "no packet cloned twice" 0 "$(uniq -d "$TMP/ids" | wc -l)"
check "both targets received clones" test -s "$TMP/sec0.hex" -a -s "$TMP/sec1.hex"
check_eq "counters survive retargets" "$((ids + 2))" "$(counter "$site" wan0 cloned)"
check_eq "one dupgre filter after retargets" 1 "$(dupgre_filters)"
check_eq "target now sec1" sec1 "$(status_field target)"

echo "# the clone target goes away and comes back (the secondary link flaps)"
tun_capture cap0 "$site" sec0 "$TMP/sec0b.hex" --count 1
ctl "$site" attach --dev wan0 --clone-to sec0
kill "$cap0"; wait "$cap0" || true
check_eq "status: target gone" false "$(status_field target_present)"
gre_packets 100 5 | in_ns "$site" "$PKTSEND" 2>/dev/null
check_eq "clones to a missing target are counted as errors" 5 "$(counter "$site" wan0 errors)"
tun_capture cap0 "$site" sec0 "$TMP/sec0c.hex" --count 1
ctl "$site" attach --dev wan0 --clone-to sec0
gre_packets 200 1 | in_ns "$site" "$PKTSEND" 2>/dev/null
wait "$cap0"
check_eq "re-attach resumes cloning" 1 "$(wc -l <"$TMP/sec0c.hex")"
check_eq "errors stop" 5 "$(counter "$site" wan0 errors)"

echo "# detach leaves nothing behind"
ctl "$site" detach --dev wan0
check_eq "no filter" "" "$(filters egress)"
check_eq "no dupgre program on the hook" 0 "$(dupgre_filters)"
check "clsact dupgre created is removed" no_clsact
check "no pins" no_state
check "the program is gone" bash -c "! bpftool prog show id $prog >/dev/null 2>&1"
check "detach again is a no-op" ctl "$site" detach --dev wan0

echo "# a clsact qdisc someone else created, with their filters, stays"
in_ns "$site" tc qdisc add dev wan0 clsact
in_ns "$site" tc filter add dev wan0 egress prio 1 u32 match u32 0 0 classid 1:1
ctl "$site" attach --dev wan0 --clone-to tgt0
check_eq "status: dupgre did not create the qdisc" false "$(status_field created_qdisc)"
ctl "$site" detach --dev wan0
check "qdisc kept" has_clsact
check "their filter kept" bash -c "ip netns exec $site tc filter show dev wan0 egress | grep -q 'pref 1 u32'"
check_eq "ours gone" 0 "$(dupgre_filters)"
in_ns "$site" tc qdisc del dev wan0 clsact

if [ "$ATTACH_MODE" = tc ]; then  # tcx makes no qdisc
	echo "# a qdisc dupgre created stays while another filter uses it"
	ctl "$site" attach --dev wan0 --clone-to tgt0
	in_ns "$site" tc filter add dev wan0 ingress prio 1 u32 match u32 0 0 classid 1:1
	ctl "$site" detach --dev wan0
	check "qdisc kept for the other filter" has_clsact
	check "their filter kept" bash -c "ip netns exec $site tc filter show dev wan0 ingress | grep -q 'pref 1 u32'"
	in_ns "$site" tc qdisc del dev wan0 clsact
fi

echo "# the device goes away while attached (ppp down)"
ip -n "$site" link add tmp0 type veth peer name tmp1
ip -n "$site" link set tmp0 up
ctl "$site" attach --dev tmp0 --clone-to tgt0
ip -n "$site" link del tmp0
check_eq "status: stale" stale "$(ctl "$site" -j status --dev tmp0 | grep -o '"state":"[a-z]*"' | cut -d'"' -f4)"
check "detach of a vanished device cleans up" ctl "$site" detach --dev tmp0
check "no pins" no_state

echo "# peers without attach, and the last peer removed"
ctl "$site" peer add --dev wan0 198.18.0.2 198.18.0.2
check_eq "a peer added twice is there once" 1 "$(ctl "$site" peer list --dev wan0 | wc -l)"
check "deleting an absent peer is fine" ctl "$site" peer del --dev wan0 198.18.7.7
ctl "$site" peer del --dev wan0 198.18.0.2
check "state without peers or attachment is removed" no_state

echo "# bad input: one line on stderr, non-zero exit, no state"
bad() {  # bad WHAT ARGS...: runs dupgre-ctl ARGS in the site namespace
	local what=$1 rc=0
	shift
	ctl "$site" "$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
	if [ "$rc" -ne 0 ] && [ "$(wc -l <"$TMP/err")" -eq 1 ] && [ ! -s "$TMP/out" ] && no_state && no_clsact; then
		echo "ok   - $what: $(cat "$TMP/err")"
		PASSES=$((PASSES + 1))
	else
		echo "FAIL - $what: rc=$rc stderr=[$(cat "$TMP/err")] stdout=[$(cat "$TMP/out")]"
		FAILURES=$((FAILURES + 1))
	fi
}
bad "unknown device" attach --dev nosuch0 --clone-to tgt0
bad "unknown clone target" attach --dev wan0 --clone-to nosuch0
bad "clone target is the device" attach --dev wan0 --clone-to wan0
bad "Ethernet clone target" attach --dev wan0 --clone-to wan2
bad "missing --clone-to" attach --dev wan0
bad "bad interface name" attach --dev ../x --clone-to tgt0
bad "bad address" peer add --dev wan0 198.18.0
bad "out of range" peer add --dev wan0 198.18.0.256
bad "multicast peer" peer add --dev wan0 224.0.0.5
bad "one bad address adds none" peer add --dev wan0 198.18.0.2 nope
bad "peer on an unknown device" peer add --dev nosuch0 198.18.0.2
bad "detach of an unknown device" detach --dev nosuch0
bad "peer list of an unknown device" peer list --dev nosuch0
bad "peer del on an unknown device" peer del --dev nosuch0 198.18.0.2
bad "unknown command" frobnicate
is_json_error() { [[ $1 =~ ^\{\"error\":\"[^\"]+\"\}$ ]]; }
check "JSON errors are JSON" is_json_error "$(ctl "$site" -j attach --dev nosuch0 --clone-to tgt0 || true)"
check "JSON usage errors are JSON" is_json_error "$(ctl "$site" -j attach --dev wan0 || true)"
rc=0
ip netns exec "$site" setpriv --reuid=65534 --regid=65534 --clear-groups "$CTL" status 2>"$TMP/err" || rc=$?
check "not root: refused with one line" test "$rc" -ne 0 -a "$(wc -l <"$TMP/err")" -eq 1
echo "     ($(cat "$TMP/err"))"

finish
