#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# check on a datapath that fails while its configuration looks right, and
# check --live SECONDS sampling the counters while traffic flows:
#
#   [site: wan0 (veth) 198.18.0.1] ---- [peer: wan1 198.18.0.2]
#          sec0 (TUN): the dual link, with no reader (NO-CARRIER), then read
#   [c1: dual0 198.18.1.1] ==linkemu== [secondary: to-c1, relay for c1]
#
#   - a clone target without carrier: check fails naming it (before, all
#     OK while stats showed xmit_drops); --live counts the copies failing;
#     with the target read (carrier), both pass;
#   - a clone copying nothing while GRE leaves (the peer is wrong): --live
#     fails, naming peer list;
#   - a relay dropping its site's copies as no_link: --live fails;
#   - GRE dual links: a WARN (the security note), and check still passes.
source "$(dirname "$0")/lib.sh" "$1"
LINKEMU="$BUILD/tests/tools/linkemu"

ns_add site
ns_add peer
veth_pair "$site" wan0 198.18.0.1/24 "$peer" wan1 198.18.0.2/24
ip -n "$site" route add default via 198.18.0.2
in_ns "$site" ip tuntap add mode tun name sec0
ip -n "$site" link set sec0 txqueuelen 16 up
"$PKTMIX" --peer 198.18.0.2 --other 198.18.9.9 --count 2000 --seed 7 >"$TMP/mix"
awk '$1 == "gre_data" && n++ < 400 { print $2 }' "$TMP/mix" >"$TMP/gre.hex"

# run_check NS ARGS...: check's output in $OUT, its exit status in $RC.
run_check() {
	local ns=$1
	shift
	RC=0
	OUT=$(ctl "$ns" check "$@" 2>&1) || RC=$?
}
# checks_with WHAT LEVEL TEXT: a line of $OUT at LEVEL (OK, WARN, FAIL) holds TEXT.
has_line() { grep -Eq "^$1 .*$2" <<<"$OUT"; }
# send_gre: the GRE packets to the peer at 100 a second (4 s), in the background.
send_gre() {
	in_ns "$site" "$PKTSEND" --pps 100 <"$TMP/gre.hex" 2>/dev/null &
	SENDER=$!
	PIDS+=("$SENDER")
}

echo "# a clone target without carrier"
ctl "$site" attach --dev wan0 --clone-to sec0
ctl "$site" peer add --dev wan0 198.18.0.2
run_check "$site"
check_eq "check fails" 1 "$RC"
check "... naming the target without carrier" \
	grep -qF "FAIL  clone on wan0: clone target sec0 is without carrier (NO-CARRIER): every copy is dropped" <<<"$OUT"
send_gre
run_check "$site" --live 2
wait "$SENDER" || true
check_eq "check --live 2 fails" 1 "$RC"
check "... counting the copies that failed" has_line FAIL "live: clone on wan0: [0-9]+ of [0-9]+ copies failed in 2 s"
check "... xmit_drops among them" grep -Eq "live: clone on wan0: .*xmit_drops [1-9]" <<<"$OUT"

echo "# the target read: carrier"
in_ns "$site" ip link del sec0
tun_capture CAP "$site" sec0 "$TMP/clones.hex"
ctl "$site" attach --dev wan0 --clone-to sec0
send_gre
run_check "$site" --live 2
wait "$SENDER" || true
check_eq "check --live 2 passes" 0 "$RC"
check "... the copies made, none failed" has_line OK "live: clone on wan0: [1-9][0-9]* copies in 2 s, none failed"

echo "# a clone that copies nothing: the peer is wrong"
ctl "$site" peer del --dev wan0 198.18.0.2
ctl "$site" peer add --dev wan0 198.18.0.99
send_gre
run_check "$site" --live 2
wait "$SENDER" || true
check_eq "check --live 2 fails" 1 "$RC"
check "... packets left, none copied" has_line FAIL "live: clone on wan0: [0-9]+ packets left in 2 s, none copied"
check "... the fix names peer list" grep -q "fix: are the peers .*peer list --dev wan0" <<<"$OUT"

echo "# a relay dropping its site's copies (no link for their destination)"
ns_add c1
ns_add secondary
mkfifo "$TMP/ready"
"$LINKEMU" --ns-a "$c1" --dev-a dual0 --ns-b "$secondary" --dev-b to-c1 --mtu 1448 \
	--control "$TMP/c1.sock" >"$TMP/ready" &
PIDS+=("$!")
read -r -t 10 line <"$TMP/ready" && [ "$line" = ready ]
ip -n "$c1" addr add 198.18.1.1/32 dev dual0
ip -n "$c1" route add 198.18.0.0/16 dev dual0
in_ns "$secondary" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.to-c1.rp_filter=0
# A route onwards: what no site's link takes would be forwarded (so the
# relay drops it rather than leave it to the stack: no_link).
ip -n "$secondary" link add wan0 type veth peer name wan1
ip -n "$secondary" addr add 198.18.3.1/24 dev wan0
ip -n "$secondary" link set wan0 up
ip -n "$secondary" link set wan1 up
ip -n "$secondary" route add default via 198.18.3.254 dev wan0
ip -n "$secondary" neigh replace 198.18.3.254 lladdr 02:00:00:00:00:01 dev wan0 nud permanent
ctl "$secondary" relay add --dev to-c1 --peer 198.18.1.1
"$PKTMIX" --src 198.18.1.1 --peer 198.18.2.9 --count 400 --seed 3 | awk '$1 == "gre_data" { print $2 }' >"$TMP/c1.hex"
in_ns "$c1" "$PKTSEND" --pps 100 <"$TMP/c1.hex" 2>/dev/null &
SENDER=$!
PIDS+=("$SENDER")
run_check "$secondary" --live 1
wait "$SENDER" || true
check_eq "check --live 1 fails" 1 "$RC"
check "... the relay's drops counted" \
	has_line FAIL "live: relay on to-c1: dropped [1-9][0-9]* copies from its sites for an address with no link"
run_check "$secondary" --live 1
check_eq "with no traffic, it passes" 0 "$RC"

echo "# GRE dual links: a warning, not a failure"
printf '%s\n' "role = client" "wan = wan0" "primary = 198.18.0.2" "dual = gre" "dual_dev = sec0" \
	"dual_mtu = 0" >"$TMP/gre.conf"
ctl "$site" peer del --dev wan0 198.18.0.99
ctl "$site" peer add --dev wan0 198.18.0.2
run_check "$site" --config "$TMP/gre.conf"
check "WARN: gre neither authenticates nor encrypts, with the fix" \
	grep -q "^WARN  gre neither authenticates nor encrypts" <<<"$OUT"
RC=0
J=$(ctl "$site" -j check --config "$TMP/gre.conf") || RC=$?
check_eq "-j: the warning's level" '"warn"' \
	"$(jq -c '[.[] | select(.check | test("neither authenticates")) | .level][0]' <<<"$J")"
# (sec0 is a TUN device standing in for GRE, which this kernel lacks: that
# check fails, and only that one.)
check_eq "... the only failure is the stand-in's device kind" '["dual link sec0 (gre): sec0 is not a gre device (it is a TUN or WireGuard device)"]' \
	"$(jq -c '[.[] | select(.level == "fail") | .check]' <<<"$J")"

finish
