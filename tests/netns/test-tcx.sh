#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# dupgre's programs on tcx links (Linux >= 6.6), and the clsact path forced
# beside them (DUPGRE_ATTACH=tc), seen through the kernel's tcx query
# (tcprog list), tc and the pins:
#
#   [site: wan0 (veth) 198.18.0.1] ---- [peer: wan1 198.18.0.2]
#          sec0, sec1: TUN clone targets, read by pktcap; tgt0: one nobody reads
#          dl0: a TUN dual link, for the ingress programs
#
# status says how each program runs; links are pinned by ifindex and
# unpinned by detach, del and flush; retargeting under traffic swaps the
# program in the same link and misses no packet; someone else's clsact
# filter, and a tcx program after dupgre's, see every packet dupgre's
# programs pass on (and a tcx program before them that passes packets hides
# them from both, as tcx does); dupgre's ingress programs stay in order
# (dnat, eliminate, relay) around other programs; a device deleted under its
# links; the clsact path forced, kept by re-attaching, and followed by the
# next program on the same hook. A kernel without tcx fails the test: it
# runs where tcx is (this project's machines, 6.18); the 6.1 guests run the
# clsact path.
source "$(dirname "$0")/lib.sh" "$1"
unset DUPGRE_ATTACH  # this test chooses

"$TCPROG" list lo ingress >/dev/null || { echo "FATAL: $TEST_NAME: this kernel ($(uname -r)) has no tcx (Linux >= 6.6)"; exit 1; }

ns_add site
ns_add peer
veth_pair "$site" wan0 198.18.0.1/24 "$peer" wan1 198.18.0.2/24
ip -n "$site" route add default via 198.18.0.2
ip -n "$site" tuntap add mode tun name tgt0
ip -n "$site" tuntap add mode tun name dl0
ip -n "$site" link set tgt0 up
ip -n "$site" link set dl0 up
ROOT=/sys/fs/bpf/dupgre/netns/$site
WAN=$(ifindex "$site" wan0)

status_json() { ctl "$site" -j status; }
tcx_names() { in_ns "$site" "$TCPROG" list "$1" "$2" | cut -d' ' -f2 | tr '\n' ' ' | sed 's/ $//'; }
no_clsact() { ! in_ns "$site" tc qdisc show dev "$1" | grep -q clsact; }
link_id() { bpftool -j link show pinned "$1" | jq .id; }
"$PKTMIX" --peer 198.18.0.2 --other 198.18.9.9 --count 3000 --seed 5 >"$TMP/out.mix"
cut -d' ' -f2 "$TMP/out.mix" >"$TMP/out.hex"
"$PKTMIX" --src 198.18.0.2 --peer 198.18.0.1 --other 198.18.0.1 --count 3000 --seed 6 | cut -d' ' -f2 >"$TMP/in.hex"
"$PKTMIX" --peer 198.18.0.2 --count 16000 --seed 3 | grep '^gre_data ' | cut -d' ' -f2 >"$TMP/gre.hex"
gre_packets() {  # gre_packets FIRST_ID COUNT: matching GRE data to the peer, ids from FIRST_ID
	awk -v id="$1" -v n="$2" 'NR <= n { printf "%s%04x%s\n", substr($0, 1, 8), id++, substr($0, 13) }' "$TMP/gre.hex"
}

echo "# attach: a tcx link pinned by the device's ifindex; status says tcx"
ctl "$site" peer add --dev wan0 198.18.0.2
ctl "$site" attach --dev wan0 --clone-to tgt0
check_eq "status -j: attach" tcx "$(status_json | jq -r '.clone[0].attach')"
check "status: (tcx)" bash -c "ip netns exec $site $CTL status | grep -q '^wan0: clone attached on egress (tcx)'"
check_eq "the kernel's tcx egress hook runs it" dupgre_clone "$(tcx_names wan0 egress)"
check "pinned as tcx/$WAN/clone" test -e "$ROOT/tcx/$WAN/clone"
check_eq "the link runs the program status names" "$(status_json | jq '.clone[0].prog_id')" \
	"$(bpftool -j link show pinned "$ROOT/tcx/$WAN/clone" | jq .prog_id)"
check "no clsact qdisc" no_clsact wan0
check "check: TC hooks by tcx" bash -c "ip netns exec $site $CTL check | grep -q '^OK    TC hooks: tcx links'"

echo "# retarget under traffic: the same link, a new program, every packet cloned once"
link=$(link_id "$ROOT/tcx/$WAN/clone")
prog=$(status_json | jq '.clone[0].prog_id')
tun_capture cap0 "$site" sec0 "$TMP/sec0.hex" --until-id 65534
tun_capture cap1 "$site" sec1 "$TMP/sec1.hex" --until-id 65535
ctl "$site" attach --dev wan0 --clone-to sec0
gre_packets 1 6000 >"$TMP/flow.hex"
ids=$(wc -l <"$TMP/flow.hex")
gre_packets 65534 1 >"$TMP/marker0.hex"
gre_packets 65535 1 >"$TMP/marker1.hex"
retarget_under_traffic "$site" "$TMP/flow.hex" "$TMP/marker0.hex" "$TMP/marker1.hex" 0
wait "$cap0" "$cap1"
echo "     ($RETARGETS retargets during $ids packets)"
check "retargeted at least 4 times during the flow" test "$RETARGETS" -ge 4
cat "$TMP/sec0.hex" "$TMP/sec1.hex" | cut -c9-12 | sort >"$TMP/ids"
check_eq "every packet cloned (none missed while replacing)" "$((ids + 2))" "$(wc -l <"$TMP/ids")"
check_eq "none cloned twice" 0 "$(uniq -d "$TMP/ids" | wc -l)"
check_eq "the same link throughout" "$link" "$(link_id "$ROOT/tcx/$WAN/clone")"
check "a new program in it" test "$(status_json | jq '.clone[0].prog_id')" != "$prog"
check_eq "still one program on the hook" dupgre_clone "$(tcx_names wan0 egress)"
ctl "$site" attach --dev wan0 --clone-to tgt0

echo "# someone else's programs around dupgre's see every packet it passes on"
stop() { kill "$@"; wait "$@" || true; }  # a counter writes its count as it stops
seen() { ctl "$site" -j stats --dev wan0 | jq ".clone[0].counters.seen"; }
in_ns "$site" tc qdisc add dev wan0 clsact
start_ready after ip netns exec "$site" "$TCPROG" hold wan0 egress --count >"$TMP/after"
start_ready filter ip netns exec "$site" "$TCPROG" hold wan0 egress --tc 100 --count >"$TMP/filter"
check_eq "tcx egress: dupgre's first, then the other's" "dupgre_clone foreign" "$(tcx_names wan0 egress)"
before=$(seen)
in_ns "$site" "$PKTSEND" <"$TMP/out.hex" 2>/dev/null
n=$(wc -l <"$TMP/out.hex")
check_eq "dupgre's clone saw them all" "$n" "$(($(seen) - before))"
stop "$after" "$filter"
check_eq "a tcx program after it saw them all" "$n" "$(cat "$TMP/after")"
check_eq "a clsact filter (someone else's) saw them all" "$n" "$(cat "$TMP/filter")"
# A tcx program that passes (TCX_PASS, TC_ACT_OK) ends the hook: what comes
# after it, dupgre's program or a clsact filter, never sees the packet.
start_ready filter ip netns exec "$site" "$TCPROG" hold wan0 egress --tc 100 --count >"$TMP/filter"
start_ready passer ip netns exec "$site" "$TCPROG" hold wan0 egress --first --ret 0
before=$(seen)
gre_packets 1 100 | in_ns "$site" "$PKTSEND" 2>/dev/null
check_eq "after a program that passes: dupgre's sees nothing" 0 "$(($(seen) - before))"
stop "$filter" "$passer"
check_eq "nor does the clsact filter" 0 "$(cat "$TMP/filter")"
echo "  ingress (dnat and eliminate on wan0)"
ctl "$site" dnat --dev wan0 203.0.113.1=198.18.0.1
ctl "$site" eliminate add --dev wan0
start_ready filter ip netns exec "$site" "$TCPROG" hold wan0 ingress --tc 100 --count >"$TMP/filter"
in_ns "$peer" "$PKTSEND" <"$TMP/in.hex" 2>/dev/null
stop "$filter"
check_eq "a clsact filter on ingress saw them all" "$(wc -l <"$TMP/in.hex")" "$(cat "$TMP/filter")"
in_ns "$site" tc qdisc del dev wan0 clsact
ctl "$site" dnat del --dev wan0
ctl "$site" eliminate del --dev wan0

echo "# the ingress programs in order, around someone else's"
start_ready other1 ip netns exec "$site" "$TCPROG" hold dl0 ingress
ctl "$site" relay add --dev dl0 --peer 10.9.9.9
ctl "$site" eliminate add --dev dl0
ctl "$site" dnat --dev dl0 203.0.113.1=10.0.0.1
check_eq "dnat, eliminate, relay, then the program there before" \
	"dupgre_dnat dupgre_eliminat dupgre_relay foreign" "$(tcx_names dl0 ingress)"
start_ready other2 ip netns exec "$site" "$TCPROG" hold dl0 ingress --first
DL=$(ifindex "$site" dl0)
link=$(link_id "$ROOT/tcx/$DL/eliminate")
ctl "$site" eliminate add --dev dl0 --mode drop
check_eq "eliminate replaced in its place" \
	"foreign dupgre_dnat dupgre_eliminat dupgre_relay foreign" "$(tcx_names dl0 ingress)"
check_eq "in the same link" "$link" "$(link_id "$ROOT/tcx/$DL/eliminate")"
check_eq "status -j: all three by tcx" "tcx tcx tcx" \
	"$(status_json | jq -r '[.dnat[0].attach, .eliminate[0].attach, .relay[0].attach] | join(" ")')"
ctl "$site" eliminate del --dev dl0
check_eq "eliminate del: its link gone" "foreign dupgre_dnat dupgre_relay foreign" "$(tcx_names dl0 ingress)"
check "and unpinned" test ! -e "$ROOT/tcx/$DL/eliminate"
ctl "$site" eliminate add --dev dl0
check_eq "added again: between dnat and relay" \
	"foreign dupgre_dnat dupgre_eliminat dupgre_relay foreign" "$(tcx_names dl0 ingress)"
ctl "$site" dnat del --dev dl0
ctl "$site" relay del --dev dl0
ctl "$site" eliminate del --dev dl0
check_eq "dnat del, relay del, eliminate del: the others' stay" "foreign foreign" "$(tcx_names dl0 ingress)"
check "and dl0's pins are gone" test ! -e "$ROOT/tcx/$DL"
stop "$other1" "$other2"

echo "# a device deleted under its links"
ip -n "$site" link add tmp0 type veth peer name tmp1
ip -n "$site" link set tmp0 up
ctl "$site" attach --dev tmp0 --clone-to tgt0
ctl "$site" dnat --dev tmp0 203.0.113.1=10.0.0.1
TMPX=$(ifindex "$site" tmp0)
ip -n "$site" link del tmp0
check_eq "status: stale, no attach mode" "stale null stale null" \
	"$(status_json | jq -r '[(.clone[] | select(.device == "tmp0") | .state, (.attach | tostring)),
		(.dnat[] | select(.device == "tmp0") | .state, (.attach | tostring))] | join(" ")')"
check "its links, detached by the kernel, still pinned" test -e "$ROOT/tcx/$TMPX/clone" -a -e "$ROOT/tcx/$TMPX/dnat"
ip -n "$site" link add tmp0 type veth peer name tmp1
ip -n "$site" link set tmp0 up
ctl "$site" attach --dev tmp0 --clone-to tgt0
TMPY=$(ifindex "$site" tmp0)
check "the device back, attached again: the old clone link unpinned" test ! -e "$ROOT/tcx/$TMPX/clone"
check_eq "and a new link on it" dupgre_clone "$(tcx_names tmp0 egress)"
ctl "$site" detach --dev tmp0
ctl "$site" dnat del --dev tmp0
check "detach and dnat del: nothing of tmp0 pinned" test ! -e "$ROOT/tcx/$TMPX" -a ! -e "$ROOT/tcx/$TMPY"

echo "# the clsact path forced: DUPGRE_ATTACH=tc"
ctl "$site" detach --dev wan0
check "detach: no link left, nothing pinned" test ! -e "$ROOT"
check_eq "and nothing on the hook" "" "$(tcx_names wan0 egress)"
ctl "$site" peer add --dev wan0 198.18.0.2
DUPGRE_ATTACH=tc ctl "$site" attach --dev wan0 --clone-to tgt0
check_eq "status -j: tc" tc "$(status_json | jq -r '.clone[0].attach')"
check "a cls_bpf filter at dupgre's handle and priority" bash -c \
	"ip netns exec $site tc filter show dev wan0 egress | grep -q 'pref 13 bpf chain 0 handle 0xd06e dupgre_clone'"
check_eq "no tcx link" "" "$(tcx_names wan0 egress)"
check "nothing pinned under tcx/" test ! -e "$ROOT/tcx"
check "check: TC hooks by clsact, forced" bash -c \
	"DUPGRE_ATTACH=tc ip netns exec $site $CTL check | grep -q 'TC hooks: clsact and cls_bpf (DUPGRE_ATTACH=tc)'"
prog=$(status_json | jq '.clone[0].prog_id')
ctl "$site" attach --dev wan0 --clone-to tgt0
check_eq "re-attached without it: replaced in the filter, still tc" tc "$(status_json | jq -r '.clone[0].attach')"
check "a new program" test "$(status_json | jq '.clone[0].prog_id')" != "$prog"
check_eq "one filter" 1 "$(hook_progs "$site" wan0 egress | grep -c dupgre_clone)"
DUPGRE_ATTACH=tc ctl "$site" relay add --dev dl0 --peer 10.9.9.9
ctl "$site" eliminate add --dev dl0
check_eq "eliminate added without it on dl0 follows the relay's clsact" "tc tc" \
	"$(status_json | jq -r '[.eliminate[0].attach, .relay[0].attach] | join(" ")')"
check_eq "in order: eliminate, relay" "dupgre_eliminat dupgre_relay" \
	"$(hook_progs "$site" dl0 ingress | cut -d' ' -f2 | tr '\n' ' ' | sed 's/ $//')"
rc=0
DUPGRE_ATTACH=sometimes ctl "$site" dnat --dev wan0 203.0.113.1=10.0.0.1 2>"$TMP/err" || rc=$?
check_eq "DUPGRE_ATTACH=sometimes: a usage error" 2 "$rc"
echo "     ($(cat "$TMP/err"))"
DUPGRE_ATTACH=tcx ctl "$site" dnat --dev wan0 203.0.113.1=10.0.0.1
check_eq "DUPGRE_ATTACH=tcx: dnat by tcx" tcx "$(status_json | jq -r '.dnat[0].attach')"

echo "# flush: every link and filter gone, nothing pinned"
ctl "$site" flush >/dev/null
check "nothing pinned" test ! -e "$ROOT"
check_eq "no tcx program" "" "$(tcx_names wan0 egress)$(tcx_names wan0 ingress)$(tcx_names dl0 ingress)"
check_eq "no program on the hooks" 0 \
	"$({ hook_progs "$site" wan0 egress; hook_progs "$site" wan0 ingress; hook_progs "$site" dl0 ingress; } | wc -l)"
check "the clsact qdiscs dupgre made are gone" bash -c "! ip netns exec $site tc qdisc show | grep -q clsact"

finish
