#!/usr/bin/env bash
# net/dupgre/files/dupgre-apply and the iface hotplug hook, on Debian, with
# the real dupgre-ctl of BUILD_DIR; OpenWrt's shell libraries are the stubs
# in stubs/lib (UCI from files, netifd's interface status from files).
#
# 1. The translation (dupgre-apply -n, any user): UCI and netifd's view of
#    the links -> dupgre.conf and the `dupgre-ctl apply` call, exactly; the
#    real `dupgre-ctl config` checks every value, and a refused one changes
#    nothing.
#    The README's configuration blocks (PPTP, WireGuard, GRE dual link)
#    and docs/setup.md's OpenWrt client block (its WireGuard dual link),
#    run line by line with the fake uci (stubs/bin/uci) on /etc/config as
#    a new router has it: what -n sync then prints is what the page says.
# 2. The router (root): dupgre-apply runs dupgre-ctl apply in a namespace
#    whose TUN devices stand in for netifd's (eth0.2, pptp-vpn2, vpn2). The
#    pinned state follows what netifd says of the links, in every order of
#    events (a de Bruijn walk); stop flushes; a refused value or a DNS
#    failure changes nothing; concurrent events end in one state.
#
#   tests/test-apply.sh BUILD_DIR [SHELL...]   default: dash and busybox sh
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
FILES=$HERE/../net/dupgre/files
APPLY=$FILES/dupgre-apply
HOTPLUG=$FILES/dupgre.hotplug
BUILD=$(cd "${1:?usage: $0 BUILD_DIR [SHELL...]}" && pwd)
shift
CTL=$BUILD/loader/dupgre-ctl
[ -x "$CTL" ] || { echo "test-apply: no $CTL" >&2; exit 1; }

SHELLS=("$@")
if [ ${#SHELLS[@]} = 0 ]; then
	command -v dash >/dev/null && SHELLS+=("dash")
	command -v busybox >/dev/null && SHELLS+=("busybox sh")
	[ ${#SHELLS[@]} = 0 ] && SHELLS=("sh")
fi

pass=0 fail=0
T=$(mktemp -d)
NS=
cleanup() {
	if [ -n "$NS" ]; then
		ip netns exec "$NS" "$CTL" flush >/dev/null 2>&1
		ip netns del "$NS" 2>/dev/null
	fi
	rm -rf "$T"
}
trap cleanup EXIT

ok() { pass=$((pass + 1)); }
bad() {
	fail=$((fail + 1))
	echo "FAIL [$SH] $CASE: $1"
	[ -n "${2:-}" ] && echo "$2" | sed 's/^/    /'
}

# --- fixture -------------------------------------------------------------

setup() {
	rm -rf "${T:?}"/*
	mkdir -p "$T/config" "$T/net" "$T/dns" "$T/state"
	: >"$T/log"
	printf '#!/bin/sh\necho "$@" >> "%s/hold-calls"\n' "$T" >"$T/hold-init"
	chmod +x "$T/hold-init"
	kinds pptp pptp
	config "option enabled '1'" "option eliminate 'drop'"
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
		gre | gretap | ipip) printf "config interface 'vpn2'\n\toption proto '%s'\n\toption peeraddr '198.51.100.20'\n\n" "$dual" ;;
		grev6) printf "config interface 'vpn2'\n\toption proto 'grev6'\n\toption peer6addr '2001:db8::20'\n\n" ;;
		esac
		local l
		for l in "$@"; do printf '%s\n' "$l"; done
	} >"$T/config/network"
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
	} >"$T/config/dupgre"
}

# link IFACE up [DEV] | down: what `ubus call network.interface.IFACE status`
# would say (l3_device only while up, as netifd).
link() {
	local d="$T/net/$1" dev=${3:-}
	mkdir -p "$d"
	if [ "$2" = up ]; then
		[ -n "$dev" ] || eval "dev=\${DEV_$1}"
		echo 1 >"$d/up"
		echo "$dev" >"$d/l3_device"
	else
		echo 0 >"$d/up"
		rm -f "$d/l3_device"
	fi
}

# run [ip netns exec NS] SHELL SCRIPT ARGS... with the stubs and the real
# dupgre-ctl.
env_run() {
	env PATH="$HERE/stubs/bin:$PATH" \
		DUPGRE_LIB="$HERE/stubs/lib" DUPGRE_CTL="$CTL" DUPGRE_HOLD_INIT="$T/hold-init" \
		DUPGRE_STATE_DIR="$T/state" DUPGRE_LOGGER="$HERE/stubs/bin/logger" \
		UCI_CONFIG_DIR="$T/config" FAKE_NET="$T/net" FAKE_DNS="$T/dns" LOG="$T/log" TMPDIR="$T" \
		"$@"
}

# dry ARGS...: dupgre-apply -n; $OUT its stdout without comments, $RC its
# status.
dry() {
	: >"$T/log"
	env_run $SH "$APPLY" -n "$@" >"$T/out" 2>"$T/stderr"
	RC=$?
	OUT=$(grep -v '^#' "$T/out")
}

# expect CASE-NAME <<EOF ... EOF: the last output, exactly.
expect() {
	CASE=$1
	local want
	want=$(cat)
	if [ "$OUT" = "$want" ]; then ok; else
		bad "output differs" "$(diff <(echo "$want") <(echo "$OUT") | sed -n '2,$p')"
	fi
}
expect_rc() { if [ "$RC" = "$1" ]; then ok; else bad "exit $RC, want $1 $(cat "$T/stderr" "$T/log")"; fi; }
expect_log() { if grep -q -- "$1" "$T/log"; then ok; else bad "log lacks '$1'" "$(cat "$T/log")"; fi; }

# conf KEY=VALUE...: the configuration the guide's router (PPTP main tunnel
# and PPP dual link, eliminate drop) translates to, with these keys changed
# (KEY= drops it), then the apply call.
conf() {
	local kv lines="role = client
wan = eth0.2
tunnel = pptp
primary = 203.0.113.10
dual = ppp
dual_dev = pptp-vpn2
dual_mtu = 0
rp_filter = yes
eliminate = drop"
	for kv in "$@"; do
		case $kv in
		*=*) if echo "$lines" | grep -q "^${kv%%=*} = "; then
				lines=$(echo "$lines" | sed "s|^${kv%%=*} = .*|${kv%%=*} = ${kv#*=}|; /^${kv%%=*} = $/d")
			else
				lines="$lines
${kv%%=*} = ${kv#*=}"
			fi ;;
		esac
	done
	echo "$lines"
}
call() { echo "dupgre-ctl --config $T/state/dupgre.conf apply${1:+ $1}"; }

# --- 1. the translation -----------------------------------------------------

test_basics() {
	setup; link vpn up; link vpn2 up
	dry sync
	expect "the guide's router, both links up" <<-EOF
	$(conf)
	$(call)
	EOF
	expect_rc 0

	link vpn2 down
	dry sync
	expect "the dual link down: its fixed name, going" <<-EOF
	$(conf)
	$(call "--down pptp-vpn2")
	EOF

	link vpn down; link vpn2 up
	dry sync
	expect "the main tunnel down: nothing depends on it" <<-EOF
	$(conf)
	$(call)
	EOF

	config "option enabled '0'"
	dry sync
	expect "disabled: flush, and the holder stopped" <<-EOF
	dupgre-ctl flush
	$T/hold-init stop
	EOF
	dry stop
	expect "stop: the same" <<-EOF
	dupgre-ctl flush
	$T/hold-init stop
	EOF

	config "option enabled '1'" "option eliminate 'order'" "option eliminate_window '32'" \
		"option eliminate_reset_ms '500'" "option eliminate_wait '40'" "option rp_filter 'keep'"
	dry sync
	expect "elimination's options and rp_filter keep" <<-EOF
	$(conf eliminate=order rp_filter=no eliminate_window=32 eliminate_reset_ms=500 eliminate_wait=40)
	$(call)
	EOF

	dry event lan
	expect "an event for another interface: nothing" </dev/null
	expect_rc 0
	dry event wan
	expect "an event for the WAN: applied" <<-EOF
	$(conf eliminate=order rp_filter=no eliminate_window=32 eliminate_reset_ms=500 eliminate_wait=40)
	$(call)
	EOF
}

test_wan_and_server() {
	setup; link vpn up; link vpn2 up
	config "option enabled '1'" "option wan_device 'eth1'" "list server '203.0.113.11'" "list server '203.0.113.12'"
	dry sync
	expect "wan_device and several servers" <<-EOF
	$(conf wan=eth1 "primary=203.0.113.11 203.0.113.12" eliminate=off)
	$(call)
	EOF

	config "option enabled '1'" "list server 'vpn.example.net'"
	printf '203.0.113.20\n2001:db8::20\n203.0.113.21\n' >"$T/dns/vpn.example.net"
	dry sync
	expect "pptp: a name's IPv4 addresses" <<-EOF
	$(conf "primary=203.0.113.20 203.0.113.21" eliminate=off)
	$(call)
	EOF

	# A DNS failure keeps what was written last.
	rm "$T/dns/vpn.example.net"
	conf "primary=203.0.113.20 203.0.113.21" eliminate=off >"$T/state/dupgre.conf"
	dry sync
	expect "DNS fails: the last file's addresses" <<-EOF
	$(conf "primary=203.0.113.20 203.0.113.21" eliminate=off)
	$(call)
	EOF
	expect_log "cannot resolve the primary server 'vpn.example.net'"
	rm "$T/state/dupgre.conf"
	dry sync
	expect "DNS fails and nothing was written: nothing" </dev/null
	expect_rc 1
	expect_log "no address for the primary server"

	setup; link vpn up; link vpn2 up
	link wan down
	dry sync
	expect "the WAN has no device yet: nothing" </dev/null
	expect_rc 1
	expect_log "waiting for interface 'wan' to have a device"
	conf >"$T/state/dupgre.conf"
	dry sync
	expect "... after one was known: the last one" <<-EOF
	$(conf)
	$(call)
	EOF
}

test_wireguard() {
	setup; kinds wireguard wireguard; link vpn up; link vpn2 up
	dry sync
	expect "WireGuard both ways: the peer's endpoint, port 51820" <<-EOF
	$(conf tunnel=wireguard dual=wireguard dual_dev=vpn2 tunnel_port=51820)
	$(call)
	EOF

	WG_PORT=51999 kinds wireguard wireguard
	dry sync
	expect "the peer's endpoint_port" <<-EOF
	$(conf tunnel=wireguard dual=wireguard dual_dev=vpn2 tunnel_port=51999)
	$(call)
	EOF

	config "option enabled '1'" "option tunnel_port '4500'" "list server '[2001:db8::10]'" "list server 'wg.example.net'"
	printf '203.0.113.30\n2001:db8::30\n' >"$T/dns/wg.example.net"
	dry sync
	expect "servers: IPv6 literals and all of a name's addresses" <<-EOF
	$(conf tunnel=wireguard dual=wireguard dual_dev=vpn2 tunnel_port=4500 "primary=2001:db8::10 203.0.113.30 2001:db8::30" eliminate=off)
	$(call)
	EOF
	expect_log "endpoint_port 51999 is not 4500"

	config "option enabled '1'" "option eliminate 'order'"
	dry sync
	expect "order with WireGuard: refused by dupgre-ctl, nothing done" </dev/null
	expect_rc 2
	expect_log "order is for tunnel = pptp"
}

test_dual_kinds() {
	local k dev dual
	for k in wireguard:vpn2:wireguard gre:gre4-vpn2:gre grev6:gre6-vpn2:gre ipip:ipip-vpn2:ipip pptp:pptp-vpn2:ppp; do
		dev=${k#*:} dual=${dev#*:} dev=${dev%:*}
		setup; kinds pptp "${k%%:*}"; link vpn up; link vpn2 down
		dry sync
		expect "${k%%:*} down: netifd's device name, going" <<-EOF
		$(conf dual=$dual dual_dev=$dev)
		$(call "--down $dev")
		EOF
	done
	setup; kinds pptp wireguard; link vpn up; link vpn2 up wg-other
	dry sync
	expect "up: the device netifd reports" <<-EOF
	$(conf dual=wireguard dual_dev=wg-other)
	$(call)
	EOF
	setup; kinds pptp gretap; link vpn up; link vpn2 up
	dry sync
	expect "an Ethernet tunnel: refused" </dev/null
	expect_rc 2
	expect_log "'gretap' is an Ethernet (L2) tunnel"
}

test_bad_config() {
	local c
	for c in "option eliminate 'bogus'|eliminate" "option eliminate_window '99'|eliminate_window" \
		"option eliminate_wait 'soon'|eliminate_wait" "option wan_device 'a/b'|wan" \
		"option tunnel 'l2tp'|tunnel" "option rp_filter '1'|rp_filter '1'" \
		"option secondary 'vpn'|the same interface"; do
		setup; link vpn up; link vpn2 up
		config "option enabled '1'" "${c%|*}"
		dry sync
		expect "${c%|*}: refused, nothing done" </dev/null
		expect_rc 2
		expect_log "${c#*|}"
		expect_log "nothing changed"
	done
}

# The shipped /etc/config/dupgre with its commented options turned on: every
# value it suggests is one dupgre-ctl takes.
test_example_config() {
	setup; link vpn up; link vpn2 up
	sed -e "s/^\t#option eliminate_/\toption eliminate_/" -e "s/option enabled '0'/option enabled '1'/" \
		"$FILES/dupgre.config" >"$T/config/dupgre"
	dry sync
	CASE="the example config's values, turned on"
	if echo "$OUT" | grep -q '^eliminate_window = ' && echo "$OUT" | grep -q ' apply$'; then ok; else
		bad "not applied" "$OUT $(cat "$T/log")"
	fi
	expect_rc 0
}

# The hook: ACTION/INTERFACE from netifd, `/etc/init.d/dupgre enabled`.
test_hotplug() {
	local action enabled want
	printf '#!/bin/sh\necho "$@" >> "%s/apply-calls"\n' "$T" >"$T/apply"
	printf '#!/bin/sh\n[ "$1" = enabled ] && [ -e "%s/enabled" ]\n' "$T" >"$T/initd"
	chmod +x "$T/apply" "$T/initd"
	for enabled in 1 0; do
		for action in ifup ifdown ifupdate ifup-failed free; do
			rm -f "$T/apply-calls" "$T/enabled"
			[ $enabled = 1 ] && touch "$T/enabled"
			(export ACTION=$action INTERFACE=vpn2 DUPGRE_INITD="$T/initd" DUPGRE_APPLY="$T/apply"
				$SH -c ". $HOTPLUG")
			want=
			[ $enabled = 1 ] && case $action in ifup | ifdown | ifupdate) want="event vpn2" ;; esac
			CASE="hotplug $action enabled=$enabled"
			if [ "$(cat "$T/apply-calls" 2>/dev/null)" = "$want" ]; then ok; else
				bad "apply called with '$(cat "$T/apply-calls" 2>/dev/null)', want '$want'"
			fi
		done
	done
}

# --- 1b. the README's configuration, as the page gives it -------------------

README=$HERE/../README.md
# shellcheck source=tests/page-blocks.sh
source "$HERE/../../tests/page-blocks.sh"

# readme_block HEADING: the first fenced block of the README section whose
# heading line is HEADING. Fails when there is none, so a renamed heading is
# a test failure (as tests/page-blocks.sh for docs/setup.md).
readme_block() {
	awk -v sec="$1" '
		/^```/ && in_sec { if (inside) { done = 1; exit } inside = 1; next }
		/^```/ { fence = !fence; next }
		inside { print; next }
		!fence && $0 == sec { in_sec = 1; next }
		!fence && in_sec && /^#+ / { exit }
		END { exit !done }' "$README"
}

# readme_claim HEADING: the `key = value` items of "prints what it makes of
# them (...)" in that section's prose, one a line.
readme_claim() {
	awk -v sec="$1" '
		/^```/ { fence = !fence; next }
		!fence && $0 == sec { in_sec = 1; next }
		!fence && in_sec && /^#+ / { exit }
		!fence && in_sec { text = text " " $0 }
		END {
			if (!match(text, /prints what it makes of them \([^)]*\)/)) exit 1
			n = split(substr(text, RSTART + 30, RLENGTH - 31), item, /, */)
			for (i = 1; i <= n; i++) { gsub(/`/, "", item[i]); print item[i] }
		}' "$README"
}

# fresh: /etc/config as a new OpenWrt router has it: network from
# config_generate (a WAN on eth0.2), firewall4's shipped firewall
# (openwrt/firewall4 07a6d85973a6: its defaults, the lan and wan zones and
# the forwarding; not its rules), the package's dupgre.
fresh() {
	setup
	cat >"$T/config/network" <<'EOF'

config interface 'loopback'
	option device 'lo'
	option proto 'static'
	option ipaddr '127.0.0.1'
	option netmask '255.0.0.0'

config globals 'globals'
	option ula_prefix 'fd00:db8:1::/48'

config device
	option name 'br-lan'
	option type 'bridge'
	list ports 'eth0.1'

config interface 'lan'
	option device 'br-lan'
	option proto 'static'
	option ipaddr '192.168.1.1'
	option netmask '255.255.255.0'
	option ip6assign '60'

config interface 'wan'
	option device 'eth0.2'
	option proto 'dhcp'

config interface 'wan6'
	option device 'eth0.2'
	option proto 'dhcpv6'

EOF
	cat >"$T/config/firewall" <<'EOF'
config defaults
	option syn_flood	1
	option input		REJECT
	option output		ACCEPT
	option forward		REJECT
# Uncomment this line to disable ipv6 rules
#	option disable_ipv6	1

config zone
	option name		lan
	list   network		'lan'
	option input		ACCEPT
	option output		ACCEPT
	option forward		ACCEPT

config zone
	option name		wan
	list   network		'wan'
	list   network		'wan6'
	option input		REJECT
	option output		ACCEPT
	option forward		DROP
	option masq		1
	option mtu_fix		1

config forwarding
	option src		lan
	option dest		wan
EOF
	cp "$FILES/dupgre.config" "$T/config/dupgre"
}

# readme_run HEADING: that section's block, run by $SH line by line as the
# page has it, through the fake uci (stubs/bin/uci, itself run by $SH),
# with only the init scripts' calls left out and the credentials and keys
# the page leaves to the reader filled in.
readme_run() {
	CASE="README \"$1\": the block runs"
	if ! readme_block "$1" >"$T/block"; then
		bad "no fenced block under that heading in $README"
		return 1
	fi
	block_run
}

# page_run SECTION MARKER: the same for docs/setup.md's block after MARKER
# in SECTION (tests/page-blocks.sh).
page_run() {
	CASE="docs/setup.md \"$1\", $2: the block runs"
	if ! page_block "$1" "$2" >"$T/block"; then
		bad "no such block in docs/setup.md"
		return 1
	fi
	block_run
}

# block_run: $T/block, as readme_run says; `opkg install` left out too.
block_run() {
	# shellcheck disable=SC2016 # the block's own $( ) and "$@"
	{
		printf 'uci() { %s "%s" "$@"; }\n' "$SH" "$HERE/stubs/bin/uci"
		sed -e 's#; */etc/init\.d/[^;]*##g' -e 's/=\.\.\.\( \|$\)/=test-secret\1/g' -e '/^opkg /d' \
			-e 's#"\$(cat \(/etc/wireguard/\)\{0,1\}\([a-z0-9]*\)\.key)"#test-\2-private-key#g' \
			-e "s/<the \([a-z]*\)'s public key>/test-\1-public-key/g" \
			-e "s/<the \([a-z]*\)'s [a-z0-9]*\.pub>/test-\1-public-key/g" "$T/block"
	} >"$T/block.sh"
	if env_run $SH -e "$T/block.sh" >"$T/stderr" 2>&1; then ok; else
		bad "exit $?" "$(cat "$T/stderr")"
		return 1
	fi
}

# says LINE...: the last dry run applied (exit 0, the apply call) a
# configuration holding each LINE.
says() {
	local l
	if [ "$RC" = 0 ] && echo "$OUT" | grep -qx "dupgre-ctl --config .* apply.*"; then ok; else
		bad "not applied (exit $RC)" "$OUT $(cat "$T/stderr" "$T/log")"
	fi
	for l in "$@"; do
		if echo "$OUT" | grep -qxF -- "$l"; then ok; else bad "no line '$l'" "$OUT"; fi
	done
}

# dry_both DEV LINE...: dupgre-apply -n sync says LINEs with the dual link
# up (the device netifd reports: DEV) and down (the name dupgre-apply
# expects netifd to give it).
dry_both() {
	local dev=$1 case=$CASE
	shift
	link vpn2 up "$dev"
	dry sync
	CASE="$case, the dual link up"
	says "$@"
	link vpn2 down
	dry sync
	CASE="$case, the dual link down"
	says "$@"
}

test_readme() {
	local pptp="## Configuring" wg="### WireGuard main tunnel, WireGuard dual link"
	local gre="### GRE or IPIP dual links" claim keys zones

	fresh
	readme_run "$pptp" || return
	CASE="README PPTP: @zone[1] is the wan zone"
	# shellcheck disable=SC2016 # expanded by $SH
	zones=$(env_run $SH -c '. "$DUPGRE_LIB/functions.sh"; config_load firewall
		z() { config_get n "$1" name; config_get l "$1" network; echo "$n: $l"; }
		config_foreach z zone')
	if echo "$zones" | grep -qx "wan: wan wan6 vpn"; then ok; else bad "zones" "$zones"; fi
	link vpn up pptp-vpn
	CASE="README PPTP"
	dry_both pptp-vpn2 "tunnel = pptp" "primary = 198.51.100.7" "dual = ppp" \
		"dual_dev = pptp-vpn2" "eliminate = order"

	# The GRE dual link replaces the PPTP one, under the same PPTP main
	# tunnel.
	readme_run "$gre" || return
	CASE="README GRE"
	dry_both gre4-vpn2 "tunnel = pptp" "primary = 198.51.100.7" "dual = gre" "dual_dev = gre4-vpn2"

	fresh
	readme_run "$wg" || return
	CASE="README WireGuard: the prose says what -n sync prints"
	claim=$(readme_claim "$wg")
	keys=$(echo "$claim" | sed 's/ = .*//' | tr '\n' ' ')
	if [ "$keys" = "tunnel tunnel_port primary dual dual_dev " ]; then ok; else
		bad "the page names '$keys'" "$claim"
	fi
	link vpn up vpn
	CASE="README WireGuard"
	mapfile -t claim <<<"$claim"
	dry_both vpn2 "${claim[@]}"

	# docs/setup.md's client on OpenWrt: its WireGuard dual link under the
	# README's PPTP main tunnel.
	fresh
	readme_run "$pptp" || return
	page_run "### 4. The client" '^\*\*OpenWrt, UCI\*\*' || return
	link vpn up pptp-vpn
	CASE="docs/setup.md's OpenWrt client"
	dry_both vpn2 "tunnel = pptp" "primary = 198.51.100.7" "dual = wireguard" "dual_dev = vpn2"
}

# The state in one line, as dupgre-ctl status has it: clone (device, state,
# target, peers) and eliminate's paths and mode.
state() {
	ip netns exec "$NS" "$CTL" -j status | jq -r '[(.clone[]? | "clone:\(.device):\(.state):\(.target // "-"):\(.peers)"),
		(.eliminate[]? | "elim:\(.device):\(.mode)")] | join(" ")'
}
real() { env_run ip netns exec "$NS" $SH "$APPLY" "$@" >/dev/null 2>"$T/stderr"; RC=$?; }
expect_state() {
	CASE=$1
	local got
	got=$(state)
	if [ "$got" = "$2" ]; then ok; else bad "state '$got', want '$2'" "$(cat "$T/log")"; fi
}

# debruijn: every sequence of two link states of (vpn, vpn2, wan), k = 8
# symbols, order 2 (Ruskey's algorithm): 64 steps, every transition once.
debruijn() {
	local k=8 n=2 a
	a=(0 0 0)
	db() {
		local t=$1 p=$2 j
		if [ "$t" -gt "$n" ]; then
			[ $((n % p)) = 0 ] && for ((j = 1; j <= p; j++)); do echo "${a[j]}"; done
		else
			a[t]=${a[t - p]}
			db $((t + 1)) "$p"
			for ((j = a[t - p] + 1; j < k; j++)); do
				a[t]=$j
				db $((t + 1)) "$t"
			done
		fi
	}
	db 1 1
}

# router MAIN DUAL: the pinned state after every step of the walk is what
# netifd's view of the dual link then calls for, whatever came before.
router() {
	local main=$1 dual=$2 s prev=0 bits changed up dev
	setup; kinds "$main" "$dual"
	ip netns exec "$NS" "$CTL" flush >/dev/null
	for dev in eth0.2 "$DEV_vpn" "$DEV_vpn2"; do
		ip netns exec "$NS" ip tuntap add mode tun name "$dev" 2>/dev/null
		ip -n "$NS" link set "$dev" up
	done
	up="clone:eth0.2:attached:$DEV_vpn2:1 elim:eth0.2:drop elim:$DEV_vpn2:drop"
	link vpn down; link vpn2 down; link wan down
	for s in $(debruijn); do
		bits=$((s ^ prev)) prev=$s
		[ $((s & 1)) = 1 ] && link vpn up || link vpn down
		[ $((s & 2)) = 2 ] && link vpn2 up || link vpn2 down
		[ $((s & 4)) = 4 ] && link wan up eth0.2 || link wan down
		# One event, as netifd sends: for the link that changed (several:
		# the first; none: the WAN's).
		changed=wan
		[ $((bits & 4)) = 4 ] && changed=wan
		[ $((bits & 2)) = 2 ] && changed=vpn2
		[ $((bits & 1)) = 1 ] && changed=vpn
		real event "$changed"
		# Before the WAN was ever up there is no WAN device to name.
		if [ $((s & 2)) = 2 ] && [ -f "$T/state/dupgre.conf" ]; then
			expect_state "$main/$dual walk: state $s after $changed" "$up"
		else
			expect_state "$main/$dual walk: state $s after $changed" ""
		fi
	done
	real stop
	expect_state "$main/$dual: stop flushes" ""
	for dev in eth0.2 "$DEV_vpn" "$DEV_vpn2"; do ip -n "$NS" link del "$dev"; done
}

test_router() {
	local pids="" got dev
	NS=dg-openwrt-apply-$$
	ip netns add "$NS" || { bad "cannot make a namespace (root?)"; return; }
	ip -n "$NS" link set lo up
	router pptp pptp
	router wireguard wireguard

	CASE="the router: setup"
	setup; kinds pptp gre; link vpn up; link vpn2 up
	for dev in eth0.2 gre4-vpn2; do
		ip netns exec "$NS" ip tuntap add mode tun name "$dev"
		ip -n "$NS" link set "$dev" up
	done
	UP="clone:eth0.2:attached:gre4-vpn2:1 elim:eth0.2:drop elim:gre4-vpn2:drop"
	real sync
	expect_state "GRE dual link: applied" "$UP"
	config "option enabled '1'" "option eliminate 'bogus'"
	real sync
	expect_state "a refused value changes nothing" "$UP"
	config "option enabled '1'" "option eliminate 'drop'" "list server 'vpn.example.net'"
	real sync
	expect_state "DNS fails: the last addresses stay" "$UP"
	config "option enabled '1'" "option eliminate 'monitor'"
	for _ in 1 2 3 4 5 6; do
		env_run ip netns exec "$NS" $SH "$APPLY" event vpn2 >/dev/null 2>&1 &
		pids="$pids $!"
	done
	# shellcheck disable=SC2086
	wait $pids
	expect_state "six events at once: one state" \
		"clone:eth0.2:attached:gre4-vpn2:1 elim:eth0.2:monitor elim:gre4-vpn2:monitor"
	CASE="... and nothing left to do"
	got=$(ip netns exec "$NS" "$CTL" --config "$T/state/dupgre.conf" apply)
	if [ "$got" = "nothing to do: the site matches $T/state/dupgre.conf" ]; then ok; else bad "$got"; fi
	config "option enabled '0'"
	real sync
	expect_state "disabled: flushed" ""
	CASE="... and the holder stopped"
	if [ "$(cat "$T/hold-calls" 2>/dev/null)" = stop ]; then ok; else bad "holder init got '$(cat "$T/hold-calls" 2>/dev/null)'"; fi
	CASE="... and no configuration left"
	if [ ! -e "$T/state/dupgre.conf" ]; then ok; else bad "dupgre.conf is still there"; fi
	ip netns exec "$NS" "$CTL" flush >/dev/null
	ip netns del "$NS"
	NS=
}

for SH in "${SHELLS[@]}"; do
	test_basics
	test_wan_and_server
	test_wireguard
	test_dual_kinds
	test_bad_config
	test_example_config
	test_hotplug
	test_readme
done
SH=${SHELLS[-1]}
test_router

echo "test-apply: $pass passed, $fail failed (${SHELLS[*]})"
[ "$fail" = 0 ]
