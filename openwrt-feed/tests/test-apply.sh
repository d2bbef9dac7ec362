#!/usr/bin/env bash
# Unit tests of net/dupgre/files/dupgre-apply (UCI -> dupgre-ctl) and of the
# iface hotplug hook, on Debian: the OpenWrt shell functions they use are the
# stubs in stubs/lib (written from the documented behaviour), dupgre-ctl is a
# fake that records its calls, and the links' state is files in a temp dir.
# Every check compares the exact list of dupgre-ctl calls, in order.
#
#   tests/test-apply.sh [SHELL...]   default: dash and busybox sh (OpenWrt's ash)
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
FILES=$HERE/../net/dupgre/files
APPLY=$FILES/dupgre-apply
HOTPLUG=$FILES/dupgre.hotplug

SHELLS=("$@")
if [ ${#SHELLS[@]} = 0 ]; then
	command -v dash >/dev/null && SHELLS+=("dash")
	command -v busybox >/dev/null && SHELLS+=("busybox sh")
	[ ${#SHELLS[@]} = 0 ] && SHELLS=("sh")
fi

pass=0 fail=0
T=

ok() { pass=$((pass + 1)); }
bad() {
	fail=$((fail + 1))
	echo "FAIL [$SH] $CASE: $1"
	[ -n "${2:-}" ] && echo "$2" | sed 's/^/    /'
}

# --- fixture -------------------------------------------------------------

setup() {
	[ -n "$T" ] && rm -rf "$T"
	T=$(mktemp -d)
	mkdir -p "$T/config" "$T/net" "$T/dns" "$T/state" "$T/proc/sys/net/ipv4/conf"
	: > "$T/calls"
	: > "$T/log"
	kinds pptp pptp
	config "option enabled '1'"
	link wan up eth0.2
}

# kinds MAIN DUAL [LINE...]: /etc/config/network with the main tunnel vpn
# (pptp or wireguard, to the primary at 203.0.113.10) and the dual link vpn2
# (pptp, wireguard, gre, grev6, ipip, gretap: to the secondary at
# 198.51.100.20), as the guide's router has them, plus LINEs at the end. A
# WireGuard primary's peer has endpoint_port $WG_PORT (51820 unless set).
# DEV_vpn and DEV_vpn2: the devices netifd makes for them.
kinds() {
	local main=$1 dual=$2
	shift 2
	{
		printf "config interface 'wan'\n\toption device 'eth0.2'\n\toption proto 'dhcp'\n\n"
		case $main in
		pptp) printf "config interface 'vpn'\n\toption proto 'pptp'\n\toption server '203.0.113.10'\n\n" ;;
		wireguard)
			printf "config interface 'vpn'\n\toption proto 'wireguard'\n\toption private_key 'K1'\n\n"
			printf "config wireguard_vpn 'primary'\n\toption public_key 'P1'\n\toption endpoint_host '203.0.113.10'\n"
			printf "\toption endpoint_port '%s'\n\tlist allowed_ips '0.0.0.0/0'\n\toption route_allowed_ips '1'\n\n" "${WG_PORT:-51820}" ;;
		esac
		case $dual in
		pptp) printf "config interface 'vpn2'\n\toption proto 'pptp'\n\toption server '198.51.100.20'\n\n" ;;
		wireguard)
			printf "config interface 'vpn2'\n\toption proto 'wireguard'\n\toption private_key 'K2'\n\n"
			printf "config wireguard_vpn2 'secondary'\n\toption public_key 'P2'\n\toption endpoint_host '198.51.100.20'\n"
			printf "\toption endpoint_port '51821'\n\tlist allowed_ips '203.0.113.10/32'\n\toption route_allowed_ips '0'\n\n" ;;
		gre | gretap | ipip) printf "config interface 'vpn2'\n\toption proto '%s'\n\toption peeraddr '198.51.100.20'\n\toption mtu '1476'\n\n" "$dual" ;;
		grev6) printf "config interface 'vpn2'\n\toption proto 'grev6'\n\toption peer6addr '2001:db8::20'\n\n" ;;
		esac
		local l
		for l in "$@"; do printf '%s\n' "$l"; done
	} > "$T/config/network"
	DEV_vpn=pptp-vpn
	[ "$main" = wireguard ] && DEV_vpn=vpn
	case $dual in
	pptp) DEV_vpn2=pptp-vpn2 ;;
	wireguard) DEV_vpn2=vpn2 ;;
	gre) DEV_vpn2=gre4-vpn2 ;;
	gretap) DEV_vpn2=gre4t-vpn2 ;;
	grev6) DEV_vpn2=gre6-vpn2 ;;
	ipip) DEV_vpn2=ipip-vpn2 ;;
	esac
}

# config LINE...: /etc/config/dupgre with primary vpn, secondary vpn2 and LINEs.
config() {
	{
		echo "config dupgre 'main'"
		echo "	option primary 'vpn'"
		echo "	option secondary 'vpn2'"
		local l
		for l in "$@"; do echo "	$l"; done
	} > "$T/config/dupgre"
}

# link IFACE up [DEV] | down: what `ubus call network.interface.IFACE status`
# would say; a tunnel device (by default the one netifd makes for IFACE's
# proto) appears with rp_filter 1 and vanishes when down.
link() {
	local d="$T/net/$1"
	mkdir -p "$d"
	if [ "$2" = up ]; then
		local dev=${3:-}
		[ -n "$dev" ] || eval "dev=\${DEV_$1:-pptp-$1}"
		echo 1 > "$d/up"
		echo "$dev" > "$d/l3_device"
		mkdir -p "$T/proc/sys/net/ipv4/conf/$dev"
		[ -f "$T/proc/sys/net/ipv4/conf/$dev/rp_filter" ] ||
			echo 1 > "$T/proc/sys/net/ipv4/conf/$dev/rp_filter"
	else
		[ -f "$d/l3_device" ] && case $(cat "$d/l3_device") in
			eth*) ;;
			*) rm -rf "$T/proc/sys/net/ipv4/conf/$(cat "$d/l3_device")" ;;
		esac
		echo 0 > "$d/up"
		rm -f "$d/l3_device"
	fi
}

env_run() {
	env PATH="$HERE/stubs/bin:$PATH" \
		DUPGRE_LIB="$HERE/stubs/lib" DUPGRE_CTL="$HERE/stubs/bin/dupgre-ctl" \
		DUPGRE_STATE_DIR="$T/state" DUPGRE_PROC="$T/proc" DUPGRE_LOGGER="$HERE/stubs/bin/logger" \
		UCI_CONFIG_DIR="$T/config" FAKE_NET="$T/net" FAKE_DNS="$T/dns" \
		CALLS="$T/calls" LOG="$T/log" FAKE_CTL_FAIL="${FAKE_CTL_FAIL:-}" \
		"$@"
}

# apply ARGS...: run dupgre-apply; $OUT its stdout, $RC its status. The call
# log is emptied first, so each expectation is about one run.
apply() {
	: > "$T/calls"
	OUT=$(env_run $SH "$APPLY" "$@" 2>"$T/stderr")
	RC=$?
}

# expect CASE-NAME <<EOF ... EOF: the calls of the last run, exactly.
expect() {
	CASE=$1
	local want got
	want=$(cat)
	got=$(cat "$T/calls")
	if [ "$got" = "$want" ]; then ok; else
		bad "calls differ" "$(diff <(echo "$want") <(echo "$got") | sed -n '2,$p')"
	fi
}

expect_rc() { if [ "$RC" = "$1" ]; then ok; else bad "exit $RC, want $1 $(cat "$T/stderr")"; fi; }
expect_log() { if grep -q -- "$1" "$T/log"; then ok; else bad "log lacks '$1'" "$(cat "$T/log")"; fi; }
rp() { cat "$T/proc/sys/net/ipv4/conf/$1/rp_filter"; }
expect_rp() { if [ "$(rp "$1")" = "$2" ]; then ok; else bad "rp_filter of $1 is $(rp "$1"), want $2"; fi; }

# --- cases -----------------------------------------------------------------

test_basics() {
	setup; config "option enabled '0'"; link vpn up; link vpn2 up
	apply sync; expect "disabled: nothing" </dev/null; expect_rc 0
	expect_rp pptp-vpn2 1

	setup
	apply sync; expect "both links down: nothing" </dev/null; expect_rc 0

	setup; link vpn up
	apply sync; expect "primary up alone: peers, no target yet" <<-EOF
	peer add --dev eth0.2 203.0.113.10
	EOF
	link vpn2 up
	apply sync; expect "then the secondary: attach" <<-EOF
	peer add --dev eth0.2 203.0.113.10
	attach --dev eth0.2 --clone-to pptp-vpn2
	EOF
	link vpn2 down
	apply sync; expect "secondary down: no detach, copies count as clone_errors" <<-EOF
	peer add --dev eth0.2 203.0.113.10
	EOF
	link vpn2 up
	apply sync; expect "secondary back: attach again (retarget)" <<-EOF
	peer add --dev eth0.2 203.0.113.10
	attach --dev eth0.2 --clone-to pptp-vpn2
	EOF
	link vpn down
	apply sync; expect "primary down: detach" <<-EOF
	detach --dev eth0.2
	EOF
	apply sync; expect "primary still down: nothing more" </dev/null

	setup; link vpn2 up
	apply sync; expect "secondary up first: nothing to attach to" </dev/null
	link vpn up
	apply sync; expect "then the primary: peers and attach" <<-EOF
	peer add --dev eth0.2 203.0.113.10
	attach --dev eth0.2 --clone-to pptp-vpn2
	EOF

	setup; link vpn up
	apply sync
	link vpn down
	apply sync; expect "primary down before any attach: detach drops the peers" <<-EOF
	detach --dev eth0.2
	EOF
}

test_wan_and_server() {
	setup; config "option enabled '1'" "option wan 'wan2'"; link wan2 up pppoe-wan2; link vpn up; link vpn2 up
	apply sync; expect "option wan names the interface" <<-EOF
	peer add --dev pppoe-wan2 203.0.113.10
	attach --dev pppoe-wan2 --clone-to pptp-vpn2
	EOF

	setup; config "option enabled '1'" "option wan_device 'eth1'"; link vpn up; link vpn2 up
	apply sync; expect "option wan_device overrides" <<-EOF
	peer add --dev eth1 203.0.113.10
	attach --dev eth1 --clone-to pptp-vpn2
	EOF

	setup; link wan down; link vpn up; link vpn2 up
	apply sync; expect "WAN without a device: nothing" </dev/null
	expect_log "has no device"

	setup; link vpn up; link vpn2 up
	apply sync
	link wan up pppoe-wan
	apply sync; expect "WAN device changes: detach the old, attach the new" <<-EOF
	detach --dev eth0.2
	peer add --dev pppoe-wan 203.0.113.10
	attach --dev pppoe-wan --clone-to pptp-vpn2
	EOF

	setup; config "option enabled '1'" "list server '192.0.2.1'" "list server '192.0.2.2'"
	link vpn up; link vpn2 up
	apply sync; expect "list server overrides network.vpn.server" <<-EOF
	peer add --dev eth0.2 192.0.2.1 192.0.2.2
	attach --dev eth0.2 --clone-to pptp-vpn2
	EOF
	config "option enabled '1'" "option server '192.0.2.2'"
	apply sync; expect "a server removed on reload: peer del" <<-EOF
	peer del --dev eth0.2 192.0.2.1
	peer add --dev eth0.2 192.0.2.2
	attach --dev eth0.2 --clone-to pptp-vpn2
	EOF

	setup; sed -i "s/203.0.113.10/vpn.example.net/" "$T/config/network"
	printf '203.0.113.10\n2001:db8::10\n203.0.113.11\n' > "$T/dns/vpn.example.net"
	link vpn up; link vpn2 up
	apply sync; expect "a server name resolves (resolveip), all its IPv4 addresses" <<-EOF
	peer add --dev eth0.2 203.0.113.10 203.0.113.11
	attach --dev eth0.2 --clone-to pptp-vpn2
	EOF
	rm "$T/dns/vpn.example.net"
	apply sync; expect "DNS fails later: keep the last addresses" <<-EOF
	peer add --dev eth0.2 203.0.113.10 203.0.113.11
	attach --dev eth0.2 --clone-to pptp-vpn2
	EOF
	expect_log "cannot resolve"

	setup; sed -i "s/203.0.113.10/nx.example.net/" "$T/config/network"
	link vpn up; link vpn2 up
	apply sync; expect "server never resolved: nothing" </dev/null
	expect_log "no address for the primary server"
}

test_eliminate() {
	setup; config "option enabled '1'" "option eliminate 'monitor'"; link vpn up
	apply sync; expect "monitor, primary alone: on the WAN" <<-EOF
	peer add --dev eth0.2 203.0.113.10
	eliminate add --dev eth0.2 --mode monitor
	EOF
	link vpn2 up
	apply sync; expect "monitor, both: WAN and secondary" <<-EOF
	peer add --dev eth0.2 203.0.113.10
	attach --dev eth0.2 --clone-to pptp-vpn2
	eliminate add --dev eth0.2 --mode monitor
	eliminate add --dev pptp-vpn2 --mode monitor
	EOF
	link vpn2 down
	apply sync; expect "monitor, secondary down: keep" <<-EOF
	peer add --dev eth0.2 203.0.113.10
	eliminate add --dev eth0.2 --mode monitor
	EOF
	link vpn2 up; link vpn down
	apply sync; expect "monitor, primary down: detach and both eliminate del" <<-EOF
	detach --dev eth0.2
	eliminate del --dev eth0.2
	eliminate del --dev pptp-vpn2
	EOF

	setup; config "option enabled '1'" "option eliminate 'drop'" "option eliminate_window '32'" "option eliminate_reset_ms '2000'"
	link vpn up; link vpn2 up
	apply sync; expect "drop with window and reset" <<-EOF
	peer add --dev eth0.2 203.0.113.10
	attach --dev eth0.2 --clone-to pptp-vpn2
	eliminate add --dev eth0.2 --mode drop --window 32 --reset-ms 2000
	eliminate add --dev pptp-vpn2 --mode drop --window 32 --reset-ms 2000
	EOF

	config "option enabled '1'" "option eliminate 'off'"
	apply sync; expect "reload with eliminate off: eliminate del" <<-EOF
	peer add --dev eth0.2 203.0.113.10
	attach --dev eth0.2 --clone-to pptp-vpn2
	eliminate del --dev eth0.2
	eliminate del --dev pptp-vpn2
	EOF

	apply sync; expect "and off stays off" <<-EOF
	peer add --dev eth0.2 203.0.113.10
	attach --dev eth0.2 --clone-to pptp-vpn2
	EOF

	setup; config "option enabled '1'" "option eliminate 'order'" "option eliminate_wait '120'"
	link vpn up; link vpn2 up
	apply sync; expect "order (the kernel's PPTP) with a fixed wait" <<-EOF
	peer add --dev eth0.2 203.0.113.10
	attach --dev eth0.2 --clone-to pptp-vpn2
	eliminate add --dev eth0.2 --mode order --wait 120
	eliminate add --dev pptp-vpn2 --mode order --wait 120
	EOF
	setup; config "option enabled '1'" "option eliminate 'order'" "option eliminate_wait 'forever'"
	link vpn up; link vpn2 up
	apply sync; expect "a bad wait: nothing done" </dev/null; expect_rc 2

	setup; config "option enabled '1'" "option eliminate 'monitor'"; link vpn up; link vpn2 up; link vpn3 up
	apply sync
	config "option enabled '1'" "option eliminate 'monitor'"
	sed -i "s/'vpn2'/'vpn3'/" "$T/config/dupgre"
	apply sync; expect "secondary renamed on reload: retarget, move eliminate" <<-EOF
	peer add --dev eth0.2 203.0.113.10
	attach --dev eth0.2 --clone-to pptp-vpn3
	eliminate add --dev eth0.2 --mode monitor
	eliminate del --dev pptp-vpn2
	eliminate add --dev pptp-vpn3 --mode monitor
	EOF
}

test_rp_filter() {
	setup; link vpn2 up
	apply sync; expect "rp_filter needs no dupgre-ctl call" </dev/null
	expect_rp pptp-vpn2 2
	apply stop; expect_rp pptp-vpn2 1

	setup; config "option enabled '1'" "option rp_filter '0'"; link vpn2 up
	apply sync; expect_rp pptp-vpn2 0
	link vpn2 down; link vpn2 up
	CASE="reconnect: set again on the new device"
	apply sync; expect_rp pptp-vpn2 0
	config "option enabled '1'" "option rp_filter 'keep'"
	CASE="reload with keep: restored"
	apply sync; expect_rp pptp-vpn2 1

	setup; config "option enabled '1'" "option rp_filter 'keep'"; link vpn2 up
	CASE="keep: untouched"
	apply sync; expect_rp pptp-vpn2 1

	setup; link vpn2 up
	apply sync
	config "option enabled '0'"
	CASE="disabled on reload: restored"
	apply sync; expect_rp pptp-vpn2 1
}

test_stop_disable() {
	setup; config "option enabled '1'" "option eliminate 'monitor'"; link vpn up; link vpn2 up
	apply sync
	apply stop; expect "stop: everything recorded goes" <<-EOF
	detach --dev eth0.2
	eliminate del --dev eth0.2
	eliminate del --dev pptp-vpn2
	EOF
	if [ -e "$T/state/state" ]; then bad "state file left after stop"; else ok; fi
	apply stop; expect "stop again: nothing" </dev/null
	apply sync; expect "start after stop: all again" <<-EOF
	peer add --dev eth0.2 203.0.113.10
	attach --dev eth0.2 --clone-to pptp-vpn2
	eliminate add --dev eth0.2 --mode monitor
	eliminate add --dev pptp-vpn2 --mode monitor
	EOF
	config "option enabled '0'" "option eliminate 'monitor'"
	apply sync; expect "disabled on reload: like stop" <<-EOF
	detach --dev eth0.2
	eliminate del --dev eth0.2
	eliminate del --dev pptp-vpn2
	EOF
}

test_bad_config() {
	local line
	# Values dupgre-ctl refuses (the stub refuses them as it does) are
	# reported before any call.
	for line in "option eliminate 'on'" "option rp_filter 'loose'" "option eliminate_window 'big'" \
		"option eliminate_reset_ms '-1'" "option eliminate_window '1'" "option eliminate_window '65'" \
		"option eliminate_window '256'" "option eliminate_reset_ms '0'" \
		"option eliminate_reset_ms '3600001'" "option wan_device 'eth0/2'" \
		"option wan_device 'a-name-too-long0'"; do
		setup; link vpn up; link vpn2 up
		apply sync
		config "option enabled '1'" "$line"
		apply sync; expect "bad value ($line): nothing changed" </dev/null
		expect_rc 2; expect_log "nothing changed"
	done
	setup; printf "config dupgre 'main'\n\toption enabled '1'\n\toption secondary 'vpn2'\n" > "$T/config/dupgre"
	link vpn up; link vpn2 up
	apply sync; expect "no primary" </dev/null; expect_rc 2; expect_log "option primary is not set"
	setup; config "option enabled '1'"; sed -i "s/'vpn2'/'vpn'/" "$T/config/dupgre"
	apply sync; expect "primary = secondary" </dev/null; expect_rc 2
	setup
	apply bogus; expect "unknown command" </dev/null; expect_rc 2
}

# The shipped /etc/config/dupgre with its commented options turned on: every
# value it suggests is one dupgre-ctl takes.
test_example_config() {
	setup
	sed -e "s/^\t#option eliminate_/\toption eliminate_/" -e "s/option enabled '0'/option enabled '1'/" \
		-e "s/option eliminate 'off'/option eliminate 'drop'/" "$FILES/dupgre.config" > "$T/config/dupgre"
	link vpn up; link vpn2 up
	apply sync
	CASE="the example config's values, turned on"
	if grep -q -- '--window' "$T/calls" && ! grep -q '^refused' "$T/calls"; then ok; else
		bad "calls with the example's values" "$(cat "$T/calls")"
	fi
	expect_rc 0
}

test_events_and_errors() {
	setup; link vpn up; link vpn2 up
	apply event lan; expect "event for another interface: nothing" </dev/null
	for i in vpn vpn2 wan; do
		apply event $i; expect "event for $i: sync" <<-EOF
		peer add --dev eth0.2 203.0.113.10
		attach --dev eth0.2 --clone-to pptp-vpn2
		EOF
	done

	setup; config "option enabled '1'" "option eliminate 'monitor'"; link vpn up; link vpn2 up
	FAKE_CTL_FAIL=attach apply sync
	expect "a failing call: the others still run" <<-EOF
	peer add --dev eth0.2 203.0.113.10
	attach --dev eth0.2 --clone-to pptp-vpn2
	eliminate add --dev eth0.2 --mode monitor
	eliminate add --dev pptp-vpn2 --mode monitor
	EOF
	expect_rc 1; expect_log "attach --dev eth0.2 --clone-to pptp-vpn2 failed"

	setup; link vpn up; link vpn2 up
	apply -n sync; expect "-n: no calls" </dev/null
	if [ "$OUT" = "dupgre-ctl peer add --dev eth0.2 203.0.113.10
dupgre-ctl attach --dev eth0.2 --clone-to pptp-vpn2
echo 2 > $T/proc/sys/net/ipv4/conf/pptp-vpn2/rp_filter" ]; then ok; else bad "-n output" "$OUT"; fi
	expect_rp pptp-vpn2 1
	if [ -e "$T/state/state" ]; then bad "-n recorded state"; else ok; fi
}

# The main tunnel over WireGuard: network.vpn.proto 'wireguard', the primary
# server is the endpoint of a wireguard_vpn peer.
test_wireguard() {
	setup; kinds wireguard wireguard; config "option enabled '1'" "option eliminate 'drop'"
	link vpn up
	apply sync; expect "wireguard, primary up alone: the server's endpoint, eliminate on its port" <<-EOF
	peer add --dev eth0.2 --tunnel wireguard 203.0.113.10:51820
	eliminate add --dev eth0.2 --mode drop --tunnel wireguard --port 51820
	EOF
	link vpn2 up
	apply sync; expect "wireguard, then the WireGuard dual link: clone into its device (the interface's name)" <<-EOF
	peer add --dev eth0.2 --tunnel wireguard 203.0.113.10:51820
	attach --dev eth0.2 --clone-to vpn2 --tunnel wireguard
	eliminate add --dev eth0.2 --mode drop --tunnel wireguard --port 51820
	eliminate add --dev vpn2 --mode drop --tunnel wireguard --port 51820
	EOF
	expect_rp vpn2 2
	link vpn2 down
	apply sync; expect "wireguard, dual link down: keep" <<-EOF
	peer add --dev eth0.2 --tunnel wireguard 203.0.113.10:51820
	eliminate add --dev eth0.2 --mode drop --tunnel wireguard --port 51820
	EOF
	link vpn2 up; link vpn down
	apply sync; expect "wireguard, primary down: detach, eliminate del" <<-EOF
	detach --dev eth0.2
	eliminate del --dev eth0.2
	eliminate del --dev vpn2
	EOF

	setup; WG_PORT=4500 kinds wireguard wireguard; link vpn up; link vpn2 up
	apply sync; expect "the port is the peer's endpoint_port" <<-EOF
	peer add --dev eth0.2 --tunnel wireguard 203.0.113.10:4500
	attach --dev eth0.2 --clone-to vpn2 --tunnel wireguard
	EOF
	config "option enabled '1'" "option tunnel_port '443'" "option eliminate 'monitor'" \
		"list server '192.0.2.1'" "list server '2001:db8::1'"
	apply sync; expect "option tunnel_port and list server override it, IPv6 in brackets; the old endpoint goes" <<-EOF
	peer del --dev eth0.2 --tunnel wireguard 203.0.113.10:4500
	peer add --dev eth0.2 --tunnel wireguard 192.0.2.1:443 [2001:db8::1]:443
	attach --dev eth0.2 --clone-to vpn2 --tunnel wireguard
	eliminate add --dev eth0.2 --mode monitor --tunnel wireguard --port 443
	eliminate add --dev vpn2 --mode monitor --tunnel wireguard --port 443
	EOF

	setup; kinds wireguard wireguard; sed -i "s/'203.0.113.10'/'2001:db8::10'/" "$T/config/network"
	link vpn up; link vpn2 up
	apply sync; expect "an IPv6 endpoint_host" <<-EOF
	peer add --dev eth0.2 --tunnel wireguard [2001:db8::10]:51820
	attach --dev eth0.2 --clone-to vpn2 --tunnel wireguard
	EOF

	setup; kinds wireguard wireguard; sed -i "s/'203.0.113.10'/'vpn.example.net'/" "$T/config/network"
	printf '203.0.113.10\n2001:db8::10\n' > "$T/dns/vpn.example.net"
	link vpn up; link vpn2 up
	apply sync; expect "a name: every address it has, IPv4 and IPv6" <<-EOF
	peer add --dev eth0.2 --tunnel wireguard 203.0.113.10:51820 [2001:db8::10]:51820
	attach --dev eth0.2 --clone-to vpn2 --tunnel wireguard
	EOF
	rm "$T/dns/vpn.example.net"
	apply sync; expect "wireguard, DNS fails later: keep the last endpoints" <<-EOF
	peer add --dev eth0.2 --tunnel wireguard 203.0.113.10:51820 [2001:db8::10]:51820
	attach --dev eth0.2 --clone-to vpn2 --tunnel wireguard
	EOF

	# Peers of the primary that are not the server: disabled, or no
	# endpoint_host (a roaming client of this router); another port.
	setup; kinds wireguard wireguard \
		"config wireguard_vpn 'off'" "	option endpoint_host '192.0.2.9'" "	option disabled '1'" \
		"config wireguard_vpn 'phone'" "	list allowed_ips '10.0.0.2/32'" \
		"config wireguard_vpn 'other'" "	option endpoint_host '192.0.2.7'" "	option endpoint_port '51000'"
	link vpn up; link vpn2 up
	apply sync; expect "disabled peers and peers without endpoint_host are not servers; one port" <<-EOF
	peer add --dev eth0.2 --tunnel wireguard 203.0.113.10:51820 192.0.2.7:51820
	attach --dev eth0.2 --clone-to vpn2 --tunnel wireguard
	EOF
	expect_log "endpoint_port 51000 is not 51820"

	setup; kinds wireguard wireguard; sed -i "/endpoint_host/d" "$T/config/network"; link vpn up; link vpn2 up
	apply sync; expect "no peer with an endpoint: nothing" </dev/null
	expect_log "endpoint_host in a wireguard_vpn peer"

	setup; kinds wireguard wireguard; config "option enabled '1'" "option eliminate 'order'"; link vpn up; link vpn2 up
	apply sync; expect "order with WireGuard: refused, nothing done" </dev/null
	expect_rc 2; expect_log "eliminate 'order' is for PPTP: WireGuard reorders packets itself"

	setup; kinds pptp wireguard; config "option enabled '1'" "option tunnel 'wireguard'" "option server '192.0.2.1'"
	link vpn up; link vpn2 up
	apply sync; expect "option tunnel 'wireguard' with option server: a WireGuard link netifd does not run" <<-EOF
	peer add --dev eth0.2 --tunnel wireguard 192.0.2.1:51820
	attach --dev eth0.2 --clone-to vpn2 --tunnel wireguard
	EOF

	setup; rm "$T/config/network"; config "option enabled '1'" "option server '192.0.2.1'"; link vpn up; link vpn2 up
	apply sync; expect "no /etc/config/network: PPTP, option server" <<-EOF
	peer add --dev eth0.2 192.0.2.1
	attach --dev eth0.2 --clone-to pptp-vpn2
	EOF

	setup; kinds wireguard wireguard; config "option enabled '1'" "option tunnel 'pptp'"; link vpn up; link vpn2 up
	apply sync; expect "option tunnel 'pptp' on a WireGuard primary: no server address" </dev/null
	expect_log "network.vpn.server"

	# The main tunnel changes kind on reload: its peers and eliminate's
	# settings are the tunnel's, so everything goes first.
	setup; config "option enabled '1'" "option eliminate 'monitor'"; link vpn up; link vpn2 up
	apply sync
	kinds wireguard pptp; link vpn down; link vpn up
	apply sync; expect "pptp -> wireguard: detach, eliminate del, then all again" <<-EOF
	detach --dev eth0.2
	eliminate del --dev eth0.2
	eliminate del --dev pptp-vpn2
	peer add --dev eth0.2 --tunnel wireguard 203.0.113.10:51820
	attach --dev eth0.2 --clone-to pptp-vpn2 --tunnel wireguard
	eliminate add --dev eth0.2 --mode monitor --tunnel wireguard --port 51820
	eliminate add --dev pptp-vpn2 --mode monitor --tunnel wireguard --port 51820
	EOF
	kinds pptp pptp
	apply sync; expect "wireguard -> pptp: the same" <<-EOF
	detach --dev eth0.2
	eliminate del --dev eth0.2
	eliminate del --dev pptp-vpn2
	peer add --dev eth0.2 203.0.113.10
	attach --dev eth0.2 --clone-to pptp-vpn2
	eliminate add --dev eth0.2 --mode monitor
	eliminate add --dev pptp-vpn2 --mode monitor
	EOF
	sed -i "/^S_tunnel=/d" "$T/state/state"
	kinds wireguard pptp
	apply sync; expect "a state file from before WireGuard was PPTP" <<-EOF
	detach --dev eth0.2
	eliminate del --dev eth0.2
	eliminate del --dev pptp-vpn2
	peer add --dev eth0.2 --tunnel wireguard 203.0.113.10:51820
	attach --dev eth0.2 --clone-to pptp-vpn2 --tunnel wireguard
	eliminate add --dev eth0.2 --mode monitor --tunnel wireguard --port 51820
	eliminate add --dev pptp-vpn2 --mode monitor --tunnel wireguard --port 51820
	EOF

	setup; kinds wireguard wireguard; link vpn up; link vpn2 up
	apply -n sync; expect "wireguard -n: no calls" </dev/null
	if [ "$OUT" = "dupgre-ctl peer add --dev eth0.2 --tunnel wireguard 203.0.113.10:51820
dupgre-ctl attach --dev eth0.2 --clone-to vpn2 --tunnel wireguard
echo 2 > $T/proc/sys/net/ipv4/conf/vpn2/rp_filter" ]; then ok; else bad "wireguard -n output" "$OUT"; fi

	local line
	for line in "option tunnel 'wg'" "option tunnel_port '0'" "option tunnel_port '65536'" "option tunnel_port 'x'"; do
		setup; kinds wireguard wireguard; link vpn up; link vpn2 up
		apply sync
		config "option enabled '1'" "$line"
		apply sync; expect "bad value ($line): nothing changed" </dev/null
		expect_rc 2; expect_log "nothing changed"
	done
}

# The dual link's kind: whatever netifd runs, the clone target is its device.
test_dual_kinds() {
	local main dual k
	for main in pptp wireguard; do
		k=
		[ $main = wireguard ] && k=" --tunnel wireguard"
		for dual in wireguard gre grev6 ipip; do
			setup; kinds $main $dual; link vpn up; link vpn2 up
			apply sync; expect "$main main tunnel, $dual dual link: clone into $DEV_vpn2" <<-EOF
			peer add --dev eth0.2$k 203.0.113.10$([ $main = wireguard ] && echo :51820)
			attach --dev eth0.2 --clone-to $DEV_vpn2$k
			EOF
			expect_rp "$DEV_vpn2" 2
		done
	done

	setup; kinds wireguard gretap; link vpn up; link vpn2 up
	apply sync; expect "gretap dual link: refused, nothing done" </dev/null
	expect_rc 2; expect_log "network.vpn2.proto 'gretap' is an Ethernet (L2) tunnel"

	setup; kinds wireguard wireguard; sed -i "s/route_allowed_ips '0'/route_allowed_ips '1'/" "$T/config/network"
	link vpn up; link vpn2 up
	apply sync; expect "route_allowed_ips on the dual link's peer: still set up, with a warning" <<-EOF
	peer add --dev eth0.2 --tunnel wireguard 203.0.113.10:51820
	attach --dev eth0.2 --clone-to vpn2 --tunnel wireguard
	EOF
	expect_log "warning network.wireguard_vpn2 ( secondary ): route_allowed_ips"
}

# The hook: ACTION/INTERFACE from netifd, `/etc/init.d/dupgre enabled`.
test_hotplug() {
	local action enabled want
	setup
	printf '#!/bin/sh\necho "$@" >> "%s/apply-calls"\n' "$T" > "$T/apply"
	printf '#!/bin/sh\n[ "$1" = enabled ] && [ -e "%s/enabled" ]\n' "$T" > "$T/initd"
	chmod +x "$T/apply" "$T/initd"
	for enabled in 1 0; do
		for action in ifup ifdown ifupdate ifup-failed free; do
			rm -f "$T/apply-calls" "$T/enabled"
			[ $enabled = 1 ] && touch "$T/enabled"
			( export ACTION=$action INTERFACE=vpn2 DEVICE=pptp-vpn2 \
				DUPGRE_INITD="$T/initd" DUPGRE_APPLY="$T/apply"; $SH -c ". $HOTPLUG" )
			want=
			[ $enabled = 1 ] && case $action in ifup|ifdown|ifupdate) want="event vpn2" ;; esac
			CASE="hotplug $action enabled=$enabled"
			if [ "$(cat "$T/apply-calls" 2>/dev/null)" = "$want" ]; then ok; else
				bad "apply called with '$(cat "$T/apply-calls" 2>/dev/null)', want '$want'"; fi
		done
	done
}

# Link states as a de Bruijn sequence: every sequence of three states of
# (primary, secondary) occurs once, so every transition and every pair of
# them is taken, in one run per eliminate mode. At each step the calls must
# be what a model of the rules says.
DB=()
debruijn() { # debruijn T P: k=4 symbols, order n=3 (Ruskey's algorithm)
	local t=$1 p=$2 j
	if [ "$t" -gt 3 ]; then
		[ $((3 % p)) = 0 ] && for ((j = 1; j <= p; j++)); do DB+=("${db_a[j]}"); done
	else
		db_a[t]=${db_a[t - p]}
		debruijn $((t + 1)) "$p"
		for ((j = db_a[t - p] + 1; j < 4; j++)); do
			db_a[t]=$j
			debruijn $((t + 1)) "$t"
		done
	fi
	return 0
}
db_a=(0); debruijn 1 1; DB+=("${DB[0]}" "${DB[1]}")

# all_orders MAIN DUAL MODE: the de Bruijn walk with that main tunnel, dual
# link and eliminate mode. Each step reports one event, as netifd would: for
# the link that changed (both changed: the primary's; none: the WAN's).
all_orders() {
	local main=$1 dual=$2 mode=$3 i p s pp ps ev elim_sec calls want k= ek= peer=203.0.113.10
	if [ "$main" = wireguard ]; then
		k=" --tunnel wireguard" ek=" --tunnel wireguard --port 51820" peer=203.0.113.10:51820
	fi
	setup; kinds "$main" "$dual"; config "option enabled '1'" "option eliminate '$mode'"
	pp=0 ps=0 elim_sec=0
	for ((i = 0; i < ${#DB[@]}; i++)); do
		p=$((DB[i] >> 1)) s=$((DB[i] & 1))
		if [ "$p" = 1 ]; then link vpn up; else link vpn down; fi
		if [ "$s" = 1 ]; then link vpn2 up; else link vpn2 down; fi
		ev=wan
		[ "$s" != "$ps" ] && ev=vpn2
		[ "$p" != "$pp" ] && ev=vpn
		apply event $ev
		want=
		if [ "$p" = 1 ]; then
			want="peer add --dev eth0.2$k $peer"
			[ "$s" = 1 ] && want="$want
attach --dev eth0.2 --clone-to $DEV_vpn2$k"
			if [ "$mode" != off ]; then
				want="$want
eliminate add --dev eth0.2 --mode $mode$ek"
				[ "$s" = 1 ] && { want="$want
eliminate add --dev $DEV_vpn2 --mode $mode$ek"; elim_sec=1; }
			fi
		elif [ "$pp" = 1 ]; then
			want="detach --dev eth0.2"
			[ "$mode" != off ] && want="$want
eliminate del --dev eth0.2"
			[ "$elim_sec" = 1 ] && want="$want
eliminate del --dev $DEV_vpn2"
			elim_sec=0
		fi
		pp=$p ps=$s
		calls=$(cat "$T/calls")
		CASE="link states ${DB[*]:0:i+1} ($main, $dual dual link, eliminate $mode)"
		if [ "$calls" = "$want" ]; then ok; else
			bad "calls differ" "$(diff <(echo "$want") <(echo "$calls") | sed -n '2,$p')"
			break
		fi
	done
}

test_all_orders() {
	all_orders pptp pptp off
	all_orders pptp pptp monitor
	all_orders pptp gre monitor
	all_orders wireguard wireguard drop
	all_orders wireguard ipip off
	all_orders wireguard pptp monitor
}

for SH in "${SHELLS[@]}"; do
	test_basics
	test_wan_and_server
	test_eliminate
	test_rp_filter
	test_stop_disable
	test_bad_config
	test_example_config
	test_events_and_errors
	test_wireguard
	test_dual_kinds
	test_hotplug
	test_all_orders
done
[ -n "$T" ] && rm -rf "$T"

echo "test-apply (${SHELLS[*]}): $pass passed, $fail failed"
[ "$fail" = 0 ]
