#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Copy policies per peer (peer add --copy), end to end on an L3 device:
#
#   [site: ppp0 (TUN: the originals)]  sec1 (TUN, read by pktcap: the copies)
#
#   - bad combinations: one line, exit 2, nothing made;
#   - budget --copy-max-size: exactly the data packets up to the size are
#     copied (keepalives and echoes always), the rest counted too_large;
#   - status shows each peer's policy and what it does now, and so does
#     the Prometheus exposition (a state set; promtool accepts it);
#   - adaptive with no receiver reporting copies everything (no_reports);
#   - peer add without --copy goes back to always, peer del forgets it;
#   - pins of an older dupgre (fewer counters, no policy maps): made anew.
source "$(dirname "$0")/lib.sh" "$1"

COUNT=${COUNT:-2000}
"$PKTMIX" --peer 198.18.0.2 --other 198.18.9.9 --count "$COUNT" --seed 11 --marker >"$TMP/mix"
cut -d' ' -f2 "$TMP/mix" >"$TMP/all.hex"
# IP bytes of each labelled packet (the L3 device's frames are IP packets).
awk '{ print $1, length($2) / 2 }' "$TMP/mix" >"$TMP/sizes"
small=$(awk '($1 == "gre_data" || $1 == "marker") && $2 <= 300' "$TMP/sizes" | wc -l)
large=$(awk '($1 == "gre_data" || $1 == "marker") && $2 > 300' "$TMP/sizes" | wc -l)
control=$(awk '$1 == "gre_lcp_echo" || $1 == "pptp_echo"' "$TMP/sizes" | wc -l)
data=$((small + large))
check "the mix has data packets on both sides of 300 B" test "$small" -gt 50 -a "$large" -gt 50

ns_add l3
# Both TUNs held open by captures that run to the end: the originals'
# unread, the copies' counted.
tun_capture orig_pid "$l3" ppp0 /dev/null
tun_capture clones_pid "$l3" sec1 "$TMP/clones.hex"
ip -n "$l3" addr add 10.66.6.2 peer 10.66.6.1 dev ppp0
ip -n "$l3" addr add 10.66.4.2 peer 10.66.4.1 dev sec1
ip -n "$l3" route add default dev ppp0
ctl "$l3" attach --dev ppp0 --clone-to sec1
# check_states WHAT EXPECTED: the copy policy state set's samples in the
# exposition stats writes are EXPECTED, and promtool accepts all of it.
check_states() {
	ctl "$l3" stats --format prometheus >"$TMP/stats.prom"
	check "$1: promtool check metrics accepts the exposition" promtool check metrics <"$TMP/stats.prom"
	check_eq "$1" "$2" "$(grep '^dupgre_clone_copy_policy_state' "$TMP/stats.prom" || true)"
}
# wait_lines FILE N: until FILE has N lines (the capture is behind the
# sender by what the TUN queues), at most 10 s.
wait_lines() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(wc -l <"$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
}

echo "# bad combinations: one line, exit 2, nothing made"
bad() {  # bad WHAT ARGS...
	local what=$1 out rc
	shift
	out=$(ctl "$l3" peer add --dev ppp0 198.18.0.2 "$@" 2>&1) && rc=0 || rc=$?
	check_eq "$what: exit 2" 2 "$rc"
	check_eq "$what: one line" 1 "$(wc -l <<<"$out")"
}
bad "budget of nothing" --copy budget
bad "a rate for always" --copy-rate 1M
bad "a size for adaptive" --copy adaptive --copy-max-size 300
bad "a sample that is not a power of 2" --copy adaptive --copy-sample 3
bad "a rate in bits" --copy budget --copy-rate 10Mbit
bad "no such policy" --copy sometimes
check_eq "no peer was added" 0 "$(ctl "$l3" -j status | jq '.clone[0].peers')"

echo "# budget: data packets up to 300 B"
ctl "$l3" peer add --dev ppp0 198.18.0.2 --copy budget --copy-max-size 300
check_eq "status: the peer's policy" '198.18.0.2 budget 300 budget' \
	"$(ctl "$l3" -j status | jq -r '.clone[0].copy[0] | "\(.peer) \(.policy) \(.max_size) \(.state)"')"
check "status text names it" grep -q "copy 198.18.0.2: budget max 300 B" <<<"$(ctl "$l3" status)"
check_states "Prometheus: the peer's budget" \
	'dupgre_clone_copy_policy_state{device="ppp0",peer="198.18.0.2",policy="budget",state="budget"} 1'
in_ns "$l3" "$PKTSEND" <"$TMP/all.hex" 2>/dev/null
wait_lines "$TMP/clones.hex" $((small + control))
check_eq "copies: small data, keepalives and echoes" $((small + control)) "$(wc -l <"$TMP/clones.hex")"
check_eq "cloned" $((small + control)) "$(counter "$l3" ppp0 cloned)"
check_eq "too_large" "$large" "$(counter "$l3" ppp0 too_large)"
check_eq "over_budget" 0 "$(counter "$l3" ppp0 over_budget)"
check "every copy is at most 300 B or a keepalive" awk -v ctl="$control" \
	'length($1) / 2 > 300 { n++ } END { exit !(n + 0 <= ctl) }' "$TMP/clones.hex"

echo "# adaptive, no receiver reporting: every packet (fail-safe)"
ctl "$l3" peer add --dev ppp0 198.18.0.2 --copy adaptive
check_eq "state: no reports" "adaptive no reports" \
	"$(ctl "$l3" -j status | jq -r '.clone[0].copy[0] | "\(.policy) \(.state)"')"
check_states "Prometheus: every adaptive state listed, 1 for no_reports" \
	'dupgre_clone_copy_policy_state{device="ppp0",peer="198.18.0.2",policy="adaptive",state="copying"} 0
dupgre_clone_copy_policy_state{device="ppp0",peer="198.18.0.2",policy="adaptive",state="sampling"} 0
dupgre_clone_copy_policy_state{device="ppp0",peer="198.18.0.2",policy="adaptive",state="quiet"} 0
dupgre_clone_copy_policy_state{device="ppp0",peer="198.18.0.2",policy="adaptive",state="no_reports"} 1'
before=$(counter "$l3" ppp0 cloned)
in_ns "$l3" "$PKTSEND" <"$TMP/all.hex" 2>/dev/null
check_eq "no_reports: every data packet" "$data" "$(counter "$l3" ppp0 no_reports)"
check_eq "all copied" $((before + data + control)) "$(counter "$l3" ppp0 cloned)"

echo "# back to always; peer del forgets the policy"
ctl "$l3" peer add --dev ppp0 198.18.0.2
check_eq "peer add without --copy: always" 0 "$(ctl "$l3" -j status | jq '.clone[0].copy | length')"
check_states "Prometheus: no policy, no state series" ""
ctl "$l3" peer add --dev ppp0 198.18.0.2 --copy budget --copy-rate 64k
ctl "$l3" peer del --dev ppp0 198.18.0.2
dir=/sys/fs/bpf/dupgre/netns/$l3/clone/ppp0
check_eq "peer del: no policy left" 0 "$(bpftool -j map dump pinned "$dir/copy" | jq length)"
check_eq "peer del: no stash left" 0 "$(bpftool -j map dump pinned "$dir/copy_stash" | jq length)"

echo "# pins of an older dupgre: made anew"
ctl "$l3" peer add --dev ppp0 198.18.0.2
rm "$dir/stats" "$dir/copy" "$dir/copy_stash"
bpftool map create "$dir/stats" type percpu_array key 4 value 200 entries 1 name stats
out=$(ctl "$l3" peer add --dev ppp0 198.18.0.2 --copy budget --copy-rate 1M 2>&1)
check "peer add over an older layout says so" grep -q "older dupgre" <<<"$out"
check_eq "the policy is in place" "budget 1000000" \
	"$(ctl "$l3" -j status | jq -r '.clone[0].copy[0] | "\(.policy) \(.rate)"')"
check "stats in this build's layout (not the older 200 B)" \
	test "$(bpftool -j map show pinned "$dir/stats" | jq .bytes_value)" != 200
ctl "$l3" attach --dev ppp0 --clone-to sec1
check_eq "attached again on the new maps" attached "$(ctl "$l3" -j status | jq -r '.clone[0].state')"

ctl "$l3" detach --dev ppp0
check "detach removes the policy maps too" test ! -e "$dir/copy"
finish
