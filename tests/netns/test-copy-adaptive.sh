#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# The adaptive copy policy end to end: the copying site (cl) and the site
# that receives and eliminates its packets (pri), each running
# `dupgre-ctl adapt`, three linkemu TUN pairs between them:
#
#   cl wan0  192.0.2.30  ====== path A (loss set at run time) ====== pri wan0  198.51.100.7
#   cl dual0 10.66.4.2   ====== path B (the copies) ================ pri dual0 10.66.4.1
#   cl tun0  10.66.6.66  ====== the VPN tunnel (hellos, reports) === pri tun0  10.66.6.1
#
#   - no report yet: every packet copied (fail-safe);
#   - pri's reports reach cl through the tunnel: path A clean, cl goes
#     quiet ("sampling": a sample copied now and then);
#   - loss on path A: cl copies again within a second or so;
#   - clean again: quiet once the quiet time has passed;
#   - pri's adapt gone: after the stale time, every packet again;
#   - a report from outside the tunnel, or from another tunnel address:
#     refused, by reason;
#   - the Prometheus exposition follows the states (state set gauge).
#
# test-copy-adaptive-v6.sh sources this with TUNNEL_FAMILY=6: the tunnel's
# addresses are then IPv6 only (fd00:66:6::66 and fd00:66:6::1, IPv6 on
# tun0 alone), so hellos and reports go over IPv6, and the report from
# another tunnel address comes from fd00:66:6::5.
source "$(dirname "$0")/lib.sh" "$1"
LINKEMU="$BUILD/tests/tools/linkemu"
PPTPGEN="$BUILD/tests/tools/pptpgen"

ns_add cl
ns_add pri
link() {  # link NAME CL_ADDR PRI_ADDR: a linkemu pair, devices NAME in both
	local ctl=$TMP/$1.ctl
	"$LINKEMU" --ns-a "$cl" --dev-a "$1" --ns-b "$pri" --dev-b "$1" --control "$ctl" --seed 5 >"$TMP/$1.ready" &
	PIDS+=("$!")
	for ((i = 0; i < 100; i++)); do grep -q ready "$TMP/$1.ready" 2>/dev/null && break; sleep 0.05; done
	if [[ $2 == *:* ]]; then  # the namespaces have IPv6 off (lib.sh): on for this link only
		in_ns "$cl" sysctl -qw "net.ipv6.conf.$1.disable_ipv6=0"
		in_ns "$pri" sysctl -qw "net.ipv6.conf.$1.disable_ipv6=0"
	fi
	ip -n "$cl" addr add "$2" peer "$3" dev "$1"
	ip -n "$pri" addr add "$3" peer "$2" dev "$1"
}
link wan0 192.0.2.30 198.51.100.7
link dual0 10.66.4.2 10.66.4.1
if [ "${TUNNEL_FAMILY:-4}" = 6 ]; then
	CL_TUN=fd00:66:6::66 PRI_TUN=fd00:66:6::1 FORGED=fd00:66:6::5
else
	CL_TUN=10.66.6.66 PRI_TUN=10.66.6.1 FORGED=10.66.6.5
fi
link tun0 "$CL_TUN" "$PRI_TUN"
for ns in "$cl" "$pri"; do
	in_ns "$ns" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
	for d in wan0 dual0 tun0; do in_ns "$ns" sysctl -qw "net.ipv4.conf.$d.rp_filter=0"; done
done

cat >"$TMP/cl.conf" <<EOF
role = client
wan = wan0
primary = 198.51.100.7
dual = gre
dual_dev = dual0
copy = adaptive
copy_sample = 1024
copy_quiet_ms = 2000
copy_stale_ms = 3000
EOF
cat >"$TMP/pri.conf" <<EOF
role = primary
wan = wan0
client_remote = 10.66.6.0/24
dual = gre
dual_dev = dual0
eliminate = monitor
EOF
ctl "$cl" attach --dev wan0 --clone-to dual0
ctl "$cl" peer add --dev wan0 198.51.100.7 --copy adaptive --copy-sample 1024 --copy-quiet-ms 2000 \
	--copy-stale-ms 3000
ctl "$pri" eliminate add --dev wan0 --mode monitor
ctl "$pri" eliminate add --dev dual0 --mode monitor

state() { ctl "$cl" -j status | jq -r '.clone[0].copy[0].state'; }
# wait_state STATE SECONDS: until cl's policy is in STATE; prints how long it took (ms).
wait_state() {
	local t0 i
	t0=$(date +%s%N)
	for ((i = 0; i < $2 * 20; i++)); do
		[ "$(state)" = "$1" ] && { echo $((($(date +%s%N) - t0) / 1000000)); return 0; }
		sleep 0.05
	done
	echo "never (now $(state))"
	return 1
}
# check_state WHAT STATE SECONDS: a check that cl reaches STATE; TOOK: in how many ms.
check_state() {
	local rc=0
	TOOK=$(wait_state "$2" "$3") || rc=$?
	check "$1 (after $TOOK ms)" test "$rc" = 0
	[ "$rc" = 0 ] || TOOK=999999
}
if [ "${TUNNEL_FAMILY:-4}" = 6 ]; then
	check_eq "the tunnel has no IPv4 address (cl, pri)" "" \
		"$(ip -n "$cl" -4 -o addr show dev tun0)$(ip -n "$pri" -4 -o addr show dev tun0)"
fi
check_eq "before any report: no reports" "no reports" "$(state)"
# prom_state STATE: cl's exposition has its peer's policy in STATE (1).
# grep reads it all (no -q: under pipefail, stats killed by SIGPIPE after
# an early match would fail the check).
prom_state() {
	ctl "$cl" stats --format prometheus | grep -xF >/dev/null \
		"dupgre_clone_copy_policy_state{device=\"wan0\",peer=\"198.51.100.7\",policy=\"adaptive\",state=\"$1\"} 1"
}
check "Prometheus: no_reports" prom_state no_reports

start_adapt() {  # start_adapt NS CONF LOG: sets ADAPT_PID
	ip netns exec "$1" "$CTL" --config "$2" adapt 2>"$3" &
	ADAPT_PID=$!
	PIDS+=("$ADAPT_PID")
}
start_adapt "$cl" "$TMP/cl.conf" "$TMP/cl.log"
CL_ADAPT=$ADAPT_PID
start_adapt "$pri" "$TMP/pri.conf" "$TMP/pri.log"
PRI_ADAPT=$ADAPT_PID
ip netns exec "$cl" "$PPTPGEN" --dst 198.51.100.7 --call-id 7 --rate 250 --duration 60 --lcp-every 0 >/dev/null &
GEN=$!
PIDS+=("$GEN")

echo "# path A clean: the reports make cl quiet"
check_state "cl goes quiet (sampling) after pri's first reports" sampling 10
# One adapt per namespace: a second one says so and exits 1 (after its
# 200 ms of retries, which let a starting daemon through apply's probe;
# timeout: a second one that ran would never exit).
rc=0
out=$(timeout 5 ip netns exec "$cl" "$CTL" --config "$TMP/cl.conf" adapt 2>&1) || rc=$?
check "a second adapt in cl's namespace exits 1, saying one runs ($out)" \
	test "$rc" = 1 -a -n "$(grep 'already runs in this network namespace' <<<"$out")"
check "the first one still runs" kill -0 "$CL_ADAPT"
check "Prometheus: sampling" prom_state sampling
q0=$(counter "$cl" wan0 quiet) s0=$(counter "$cl" wan0 sample) c0=$(counter "$cl" wan0 cloned)
in_ns "$cl" sleep 2  # a measured interval of traffic, not a wait for an event
q1=$(counter "$cl" wan0 quiet) s1=$(counter "$cl" wan0 sample) c1=$(counter "$cl" wan0 cloned)
check "quiet: about 500 packets withheld in 2 s" test $((q1 - q0)) -gt 300
check "quiet: copies are samples only (1 in 1024)" test $((c1 - c0)) -le $((s1 - s0 + 2))

echo "# loss on path A: copying again"
"$LINKEMU" --control "$TMP/wan0.ctl" --cmd "set a2b loss=20%" >/dev/null
check_state "cl copies again after a loss on path A" copying 5
check "Prometheus: copying" prom_state copying
check "a second at most after the loss (250 packets/s, 64-packet window)" test "$TOOK" -le 1500 2>/dev/null
l0=$(counter "$cl" wan0 loss)
in_ns "$cl" sleep 1
check "copying: every data packet copied (loss counter moves)" test $(($(counter "$cl" wan0 loss) - l0)) -gt 150

echo "# clean again: quiet after the quiet time"
"$LINKEMU" --control "$TMP/wan0.ctl" --cmd "set a2b none" >/dev/null
check_state "cl goes quiet again (sampling)" sampling 8
check "not before the quiet time" test "$TOOK" -ge 1500 2>/dev/null

echo "# forged reports: refused"
report() {  # report HOST: a well-formed report from pri to cl's HOST, on whatever route pri takes
	local hex
	hex=444741440102$(printf '00')
	hex+=00000000000000000000ffffc6336407  # reporter 198.51.100.7
	hex+=00000000000000000000ffffc000021e  # stream source 192.0.2.30
	hex+=00000007000000010000000000000001000000050000000000000000
	in_ns "$pri" bash -c "printf '$(sed 's/../\\x&/g' <<<"$hex")' >/dev/udp/$1/5445"
}
report 192.0.2.30  # by wan0: not a tunnel device
if [ "${TUNNEL_FAMILY:-4}" = 6 ]; then
	# Deprecated (preferred_lft 0): pri's own sends never pick it, only
	# the route's src does (a second refusal would be pri's adapt's).
	ip -n "$pri" addr add "$FORGED/128" dev tun0 preferred_lft 0
	ip -n "$pri" -6 route replace "$CL_TUN/128" dev tun0 proto kernel metric 256 src "$FORGED"
	report "$CL_TUN"  # by tun0 from fd00:66:6::5: not the tunnel's peer address
	ip -n "$pri" -6 route replace "$CL_TUN/128" dev tun0 proto kernel metric 256
else
	ip -n "$pri" addr add 10.66.6.5/32 dev tun0
	ip -n "$pri" route replace 192.0.2.30/32 dev tun0 src 10.66.6.5
	report 192.0.2.30  # by tun0 from 10.66.6.5: not the tunnel's peer address
	ip -n "$pri" route replace 192.0.2.30/32 dev wan0 proto kernel scope link src 198.51.100.7
fi

echo "# pri's adapt gone: every packet after the stale time"
kill -TERM "$PRI_ADAPT"
wait "$PRI_ADAPT" || true
check_state "cl copies everything without reports" "no reports" 6
n0=$(counter "$cl" wan0 no_reports)
in_ns "$cl" sleep 1
check "no reports: every data packet copied" test $(($(counter "$cl" wan0 no_reports) - n0)) -gt 150

kill -TERM "$CL_ADAPT"
wait "$CL_ADAPT" || true
check "cl's adapt counted the report from outside the tunnel" grep -q "refused_wrong_device 1" "$TMP/cl.log"
check "... and the one from another tunnel address" grep -q "refused_wrong_source 1" "$TMP/cl.log"
check "cl applied pri's reports" grep -Eq "reports_applied [1-9]" "$TMP/cl.log"
check "pri sent them" grep -Eq "reports_sent [1-9]" "$TMP/pri.log"
echo "# cl's adapt: $(tail -1 "$TMP/cl.log")"
echo "# pri's adapt: $(tail -1 "$TMP/pri.log")"
kill -TERM "$GEN" 2>/dev/null || true
wait "$GEN" 2>/dev/null || true  # before its links go
finish
