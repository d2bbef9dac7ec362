#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# dupgre-ctl apply in one namespace, the kernel's state read with dupgre-ctl
# status and tc (no packet is sent): a client whose dual link is a device
# (GRE, stood in for by TUN devices), and a secondary with relay links.
#   - --dry-run plans and changes nothing; apply does it; a second apply has
#     nothing to do; -j says the same as JSON.
#   - what the configuration no longer wants is undone: eliminate = off, a
#     WAN renamed, a relay site dropped; a dual link gone or going (--down);
#     the MTU and rp_filter apply set on a link put back when it is no longer
#     a dual link, and by flush (unless someone changed them since).
#   - hook link-up then apply: nothing more to do (one policy).
#   - bad configuration: one line, exit 2, nothing changed.
#   - eight applies at once end in one state.
#   - order mode: the holder is part of the plan; where no service manager
#     runs it for this namespace, that step fails with what to do.
source "$(dirname "$0")/lib.sh" "$1"

ns_add NS
in_ns "$NS" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=1
ip -n "$NS" link add wan0 type veth peer name wan1
ip -n "$NS" link add wan2 type veth peer name wan3
for dev in gre1 gre2; do in_ns "$NS" ip tuntap add mode tun name "$dev"; done
for dev in wan0 wan1 wan2 wan3 gre1 gre2; do ip -n "$NS" link set "$dev" up; done

conf() {  # conf FILE KEY=VALUE...: a client over GRE with these keys changed
	local f=$1 kv
	shift
	printf '%s\n' "role = client" "wan = wan0" "primary = 198.18.0.1" "dual = gre" "dual_dev = gre1" \
		"eliminate = drop" >"$f"
	for kv in "$@"; do
		sed -i "/^${kv%%=*} = /d" "$f"
		echo "${kv%%=*} = ${kv#*=}" >>"$f"
	done
}
apply() { ctl "$NS" --config "$CONF" apply "$@"; }
# The state in one line: clone (device, state, target, peers), eliminate
# paths and mode, relay links and sites.
state() {
	ctl "$NS" -j status | jq -r '[(.clone[]? | "clone:\(.device):\(.state):\(.target // "-"):\(.peers)"),
		(.eliminate[]? | "elim:\(.device):\(.mode)"),
		(.relay[]? | "relay:\(.device):\(.peers | join(","))")] | join(" ")'
}
# Our programs on each device, as the kernel shows them (tc filters or tcx
# links): egress/ingress.
filters() {
	local out="" dev
	for dev in wan0 wan2 gre1 gre2; do
		ip -n "$NS" link show "$dev" >/dev/null 2>&1 || continue
		out+="$dev:$(hook_progs "$NS" "$dev" egress | grep -c 'dupgre' || true)"
		out+="/$(hook_progs "$NS" "$dev" ingress | grep -c 'dupgre' || true) "
	done
	echo "${out% }"
}

echo "# a client over GRE, from nothing"
CONF=$TMP/client.conf
conf "$CONF"
plan=$(apply --dry-run)
check_eq "--dry-run: the plan" "plan: mtu --dev gre1 1476|plan: rp_filter --dev gre1 loose|plan: eliminate add --dev wan0 --mode drop|plan: eliminate add --dev gre1 --mode drop|plan: attach --dev wan0 --clone-to gre1 --tunnel pptp|plan: peer add --dev wan0 198.18.0.1" \
	"$(paste -sd'|' <<<"$plan")"
check_eq "--dry-run changed nothing" "" "$(state)"
check_eq "... not even the MTU" 1500 "$(ip -n "$NS" -j link show gre1 | jq '.[0].mtu')"
apply >"$TMP/out"
check_eq "apply does each step" 6 "$(grep -c '^done: ' "$TMP/out")"
UP="clone:wan0:attached:gre1:1 elim:wan0:drop elim:gre1:drop"
check_eq "the state" "$UP / wan0:1/1 wan2:0/0 gre1:0/1 gre2:0/0" "$(state) / $(filters)"
check_eq "the dual link's MTU and rp_filter" "1476 2" \
	"$(ip -n "$NS" -j link show gre1 | jq '.[0].mtu') $(in_ns "$NS" sysctl -n net.ipv4.conf.gre1.rp_filter)"
check_eq "a second apply has nothing to do" "nothing to do: the site matches $CONF" "$(apply)"
check_eq "-j: no step, none failed" '{"dry_run":false,"failed":0,"steps":[]}' "$(apply -j)"

echo "# hooks run the same policy"
ctl "$NS" flush
DUPGRE_CONFIG=$CONF ctl "$NS" hook link-up gre1 2>/dev/null
check_eq "hook link-up: the same state" "$UP" "$(state)"
check_eq "then apply: nothing to do" "nothing to do: the site matches $CONF" "$(apply)"

echo "# what the configuration no longer wants is undone"
conf "$CONF" eliminate=off
check_eq "eliminate = off: elimination removed" "done: eliminate del --dev wan0|done: eliminate del --dev gre1" \
	"$(apply | paste -sd'|')"
check_eq "... cloning stays" "clone:wan0:attached:gre1:1" "$(state)"
conf "$CONF" wan=wan2 dual_dev=gre2
apply >/dev/null
check_eq "WAN and dual link renamed: the old ones' state gone, the new set up" \
	"clone:wan2:attached:gre2:1 elim:wan2:drop elim:gre2:drop / wan0:0/0 wan2:1/1 gre1:0/0 gre2:0/1" \
	"$(state) / $(filters)"
check_eq "... the old dual link's MTU and rp_filter put back" "1500 1" \
	"$(ip -n "$NS" -j link show gre1 | jq '.[0].mtu') $(in_ns "$NS" sysctl -n net.ipv4.conf.gre1.rp_filter)"
check_eq "... and nothing more to do" "nothing to do: the site matches $CONF" "$(apply)"

echo "# the dual link going, and gone"
check_eq "--down gre2 (if-down: still there): undone, its settings forgotten (it goes)" \
	"done: eliminate del --dev wan2|done: eliminate del --dev gre2|done: detach --dev wan2|done: forget --dev gre2" \
	"$(apply --down gre2 | paste -sd'|')"
check_eq "nothing left" "" "$(state)"
apply >/dev/null
ip -n "$NS" link del gre2
apply >/dev/null
check_eq "the device deleted: undone by the next apply" "" "$(state)"
check_eq "... no filter left behind" "wan0:0/0 wan2:0/0 gre1:0/0" "$(filters)"
in_ns "$NS" ip tuntap add mode tun name gre2
ip -n "$NS" link set gre2 up

echo "# flush puts back what apply set"
apply >/dev/null
ctl "$NS" flush >/dev/null
check_eq "the dual link's MTU and rp_filter as before apply" "1500 1" \
	"$(ip -n "$NS" -j link show gre1 | jq '.[0].mtu') $(in_ns "$NS" sysctl -n net.ipv4.conf.gre1.rp_filter)"
in_ns "$NS" ip link set gre1 mtu 1400
apply >/dev/null
in_ns "$NS" ip link set gre1 mtu 1300
ctl "$NS" flush >/dev/null
check_eq "... but not a value someone changed since" 1300 "$(ip -n "$NS" -j link show gre1 | jq '.[0].mtu')"
in_ns "$NS" ip link set gre1 mtu 1500

echo "# bad input changes nothing"
conf "$CONF"
apply >/dev/null
before=$(state)
printf 'role = client\nwan = wan0\nfrobnicate = 1\n' >"$TMP/bad.conf"
RC=0
OUT=$(ctl "$NS" --config "$TMP/bad.conf" apply 2>&1) || RC=$?
check_eq "a bad configuration: exit 2" 2 "$RC"
check "... one line naming the file, line and key" \
	test "$(wc -l <<<"$OUT")" = 1 -a -n "$(grep -F "$TMP/bad.conf:3: frobnicate" <<<"$OUT")"
RC=0
OUT=$(ctl "$NS" --config "$TMP/bad.conf" apply -j 2>&1) || RC=$?
check "... with -j, one JSON object" jq -e '.error | test("frobnicate")' <<<"$OUT"
check_eq "... and nothing changed" "$before" "$(state)"

echo "# eight applies at once"
ctl "$NS" flush
pids=()
for i in 1 2 3 4 5 6 7 8; do
	apply >"$TMP/par.$i" 2>&1 &
	pids+=("$!")
done
rcs=""
for p in "${pids[@]}"; do
	rc=0
	wait "$p" || rc=$?
	rcs+="$rc"
done
check_eq "every one exits 0" 00000000 "$rcs"
check_eq "each step done once, by one of them" 6 "$(cat "$TMP"/par.* | grep -c '^done: ')"
check_eq "one state" "$UP / wan0:1/1 wan2:0/0 gre1:0/1 gre2:0/0" "$(state) / $(filters)"

echo "# order mode: the holder belongs to the site"
conf "$CONF" eliminate=order
RC=0
apply >"$TMP/out" 2>&1 || RC=$?
check_eq "no service manager runs a holder for this namespace: apply exits 1" 1 "$RC"
check "... the holder's step fails saying what to do" \
	grep -q '^FAIL: holder start: .*run `dupgre-ctl hold` in this one' "$TMP/out"
check "... and the rest is done" grep -q '^done: eliminate add --dev gre1 --mode order' "$TMP/out"
ip netns exec "$NS" "$CTL" hold 2>"$TMP/hold.err" &
HOLDER=$!
PIDS+=("$HOLDER")
for _ in $(seq 50); do
	[ "$(ctl "$NS" -j stats | jq '.eliminate.hold.running')" = true ] && break
	sleep 0.1
done
check_eq "with a holder running here: nothing to do" "nothing to do: the site matches $CONF" "$(apply)"
conf "$CONF" eliminate=drop
RC=0
apply >"$TMP/out" 2>&1 || RC=$?
check "out of order mode: stopping the holder is planned" grep -q '^FAIL: holder stop: ' "$TMP/out"
kill "$HOLDER"
wait "$HOLDER" 2>/dev/null || true

echo "# a PPP dual link: pppd names it at ip-up; apply then knows it from the pins"
ctl "$NS" flush
CONF=$TMP/ppp.conf
printf '%s\n' "role = client" "wan = wan0" "primary = 198.18.0.1" "dual_ipparam = bvpn" "eliminate = monitor" \
	"dual_mtu = 0" >"$CONF"
pppd_hook() {  # pppd_hook EVENT: the dual link's hook as pppd runs it (gre1 stands in for ppp0)
	ip netns exec "$NS" env DUPGRE_CONFIG="$CONF" PPP_IFACE=gre1 PPP_TTY= PPP_SPEED=0 PPP_LOCAL=10.66.4.2 \
		PPP_REMOTE=10.66.4.1 PPP_IPPARAM=bvpn "$CTL" hook "$1" 2>/dev/null
}
pppd_hook ip-pre-up
check_eq "ip-pre-up: elimination only" "elim:wan0:monitor elim:gre1:monitor" "$(state)"
pppd_hook ip-up
check_eq "ip-up: cloning too" "clone:wan0:attached:gre1:1 elim:wan0:monitor elim:gre1:monitor" "$(state)"
check_eq "apply: nothing to do" "nothing to do: the site matches $CONF" "$(apply)"
pppd_hook ip-down
check_eq "ip-down (the device still there): undone" "" "$(state)"
check_eq "apply: still nothing to do" "nothing to do: the site matches $CONF" "$(apply)"

echo "# a secondary: relay links with exactly their sites"
ctl "$NS" flush
CONF=$TMP/secondary.conf
printf '%s\n' "role = secondary" "dual = gre" "relay = gre1=198.18.0.7,198.18.0.20 gre2=198.18.0.30" \
	"dual_mtu = 0" >"$CONF"
apply >/dev/null
check_eq "both links relayed" "relay:gre1:198.18.0.7,198.18.0.20 relay:gre2:198.18.0.30" "$(state)"
printf '%s\n' "role = secondary" "dual = gre" "relay = gre1=198.18.0.7" "dual_mtu = 0" >"$CONF"
check_eq "a site and a link dropped from the file: undone, the link's rp_filter put back" \
	"done: relay del --dev gre1 198.18.0.20|done: relay del --dev gre2|done: restore --dev gre2 rp_filter 1" \
	"$(apply | paste -sd'|')"
check_eq "... the state" "relay:gre1:198.18.0.7" "$(state)"
check_eq "... and nothing more to do" "nothing to do: the site matches $CONF" "$(apply)"

finish
