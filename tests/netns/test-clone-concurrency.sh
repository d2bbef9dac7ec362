#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# pppd runs ip-up/ip-down hooks for several links at once. Rounds of 20
# concurrent dupgre-ctl invocations (attach, retarget, peer add/del, detach)
# must all succeed and leave a state consistent with some serial order:
# pins, the tc filter or tcx link and `status` agree, and no peer is lost.
source "$(dirname "$0")/lib.sh" "$1"

ns_add site
ns_add peer
veth_pair "$site" wan0 198.18.0.1/24 "$peer" wan1 198.18.0.2/24
for t in tgtA tgtB; do
	ip -n "$site" tuntap add mode tun name "$t"
	ip -n "$site" link set "$t" up
done
PINS=/sys/fs/bpf/dupgre/netns/$site/clone/wan0

# run_round NAME CMD...: each CMD is one dupgre-ctl argument string; all
# start together and every one must exit 0.
run_round() {
	local name=$1 pids=() failed=0 i=0
	shift
	for args in "$@"; do
		# shellcheck disable=SC2086
		ctl "$site" $args >"$TMP/r$i.out" 2>"$TMP/r$i.err" &
		pids+=("$!")
		i=$((i + 1))
	done
	i=0
	for pid in "${pids[@]}"; do
		if ! wait "$pid"; then
			failed=$((failed + 1))
			echo "     failed: ${!i}: $(cat "$TMP/r$i.err")"
		fi
		i=$((i + 1))
	done
	check_eq "$name: all $# invocations succeed" 0 "$failed"
}

consistent() {  # the pins, the tc filter and status tell the same story
	local filters prog state
	filters=$(hook_progs "$site" wan0 egress | grep -c dupgre_clone || true)
	if [ ! -e "$PINS" ]; then
		[ "$filters" = 0 ] && ! in_ns "$site" tc qdisc show dev wan0 | grep -q clsact &&
			[ ! -e "${PINS%/clone/wan0}/tcx" ]  # no link pinned
		return
	fi
	state=$(ctl "$site" -j status --dev wan0)
	case $state in
	*'"state":"attached"'*)
		prog=$(grep -o '"prog_id":[0-9]*' <<<"$state" | cut -d: -f2)
		[ "$filters" = 1 ] && hook_progs "$site" wan0 egress | grep -q "^$prog dupgre_clone$" &&
			[ "$(ls "$PINS" | wc -l)" = 7 ]  # prog, info, stats, peers, wg_peers, copy, copy_stash
		;;
	*'"state":"detached"'*)
		[ "$filters" = 0 ] && [ "$(ls "$PINS" | wc -l)" = 6 ]
		;;
	*) false ;;
	esac
}

echo "# 10 peers added while 10 attaches race to two targets"
cmds=()
for i in $(seq 1 10); do cmds+=("peer add --dev wan0 198.18.1.$i"); done
for i in $(seq 1 5); do cmds+=("attach --dev wan0 --clone-to tgtA" "attach --dev wan0 --clone-to tgtB"); done
run_round "round 1" "${cmds[@]}"
check_eq "no peer lost" 10 "$(ctl "$site" peer list --dev wan0 | wc -l)"
check "consistent" consistent
check "attached to one of the two targets" bash -c \
	"ip netns exec $site $CTL -j status --dev wan0 | grep -Eq '\"target\":\"tgt[AB]\"'"

echo "# peers removed while retargets continue"
cmds=()
for i in $(seq 1 10); do cmds+=("peer del --dev wan0 198.18.1.$i" "attach --dev wan0 --clone-to tgt$([ $((i % 2)) = 0 ] && echo A || echo B)"); done
run_round "round 2" "${cmds[@]}"
check_eq "all peers removed" 0 "$(ctl "$site" peer list --dev wan0 | wc -l)"
check "consistent" consistent

echo "# attach and detach racing, five times"
for round in 1 2 3 4 5; do
	cmds=()
	for i in $(seq 1 5); do
		cmds+=("attach --dev wan0 --clone-to tgtA" "detach --dev wan0" "peer add --dev wan0 198.18.2.$i" "status")
	done
	run_round "race $round" "${cmds[@]}"
	check "race $round: consistent" consistent
done

ctl "$site" detach --dev wan0
check "all gone after the last detach" consistent
check "no pins" test ! -e "/sys/fs/bpf/dupgre/netns/$site"
finish
