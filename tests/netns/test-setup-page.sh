#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# docs/setup.md's WireGuard dual links ("Dual links over WireGuard, step by
# step"), applied as the page gives them, so the page cannot drift: for the
# secondary, the primary and the client, the page's wg-quick file and its
# dupgre.conf, read out of the page. Only the keys are put in (fresh ones)
# and the device name dual0 made unique (wireguard-go's control sockets are
# global to the machine); wg-quick brings the links up with wireguard-go,
# in three namespaces holding the page's public addresses behind a router.
#   - dupgre-ctl config takes each site's file; check passes on each;
#   - apply sets up what the page says each site gets;
#   - the client's PPTP packets to the primary are copied into its dual
#     link, the secondary relays them to the primary's, where they arrive.
# Then step 5, "A WireGuard main tunnel too", on the same sites: a main
# tunnel of the test's own (wg-quick, wireguard-go; the page has no file for
# it) from the client to the primary, listening on 198.51.100.7:51820, and
# each site's dupgre.conf out of the page's two-column block in "WireGuard
# as the main tunnel" (its column, and step 3's/4's dual link keys, as step
# 5 says), with the page's mangle rule for wireguard-go:
#   - config takes each, apply clones in WireGuard mode on both, check
#     passes, now the main tunnel's MTU included;
#   - WireGuard data both ways is copied into the sender's dual link,
#     relayed by the secondary and discarded by the receiver's eliminate.
source "$(dirname "$0")/lib.sh" "$1"
source "$(dirname "$0")/../page-blocks.sh"
for tool in wg wg-quick wireguard-go; do
	command -v "$tool" >/dev/null || { echo "$TEST_NAME: needs $tool (scripts/install-deps)"; exit 1; }
done
declare -A SECTION=([secondary]="### 2. The secondary (the relay)" [primary]="### 3. The primary"
	[client]="### 4. The client")
declare -A WGMARK=([secondary]='^\*\*wg-quick\*\*' [primary]='^\*\*wg-quick\*\*' [client]='^\*\*Linux, wg-quick\*\*')
declare -A PUBLIC=([secondary]=203.0.113.20 [primary]=198.51.100.7 [client]=192.0.2.30)
declare -A DEV NS_OF MAIN

WG_PIDS=()
stop_wg() {
	local site pid i pids=()
	for site in secondary primary client; do
		[ -n "${NS_OF[$site]:-}" ] || continue
		# What runs in the site's namespace is the test's: wireguard-go.
		while read -r pid; do pids+=("$pid"); done < <(ip netns pids "${NS_OF[$site]}" 2>/dev/null)
		[ -n "${MAIN[$site]:-}" ] &&
			ip netns exec "${NS_OF[$site]}" wg-quick down "$TMP/${MAIN[$site]}.conf" >/dev/null 2>&1
		[ -n "${DEV[$site]:-}" ] &&
			ip netns exec "${NS_OF[$site]}" wg-quick down "$TMP/${DEV[$site]}.conf" >/dev/null 2>&1
	done
	# wireguard-go takes a second or two to exit once its device is gone.
	for pid in "${pids[@]}"; do
		for ((i = 0; i < 50; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill "$pid" 2>/dev/null || true
	done
	return 0
}
trap 'stop_wg; cleanup' EXIT

ns_add INET
for site in secondary primary client; do
	ns_add "NS_$site"
	var=NS_$site
	NS=${!var}
	NS_OF[$site]=$NS
	DEV[$site]=d0${site:0:1}$$
	[ ${#DEV[$site]} -le 15 ] || DEV[$site]=d0${site:0:1}${RANDOM}
	umask 077
	wg genkey >"$TMP/$site.key"
	wg pubkey <"$TMP/$site.key" >"$TMP/$site.pub"
	# The site's WAN: eth0 with its public address, the router behind it.
	net=${PUBLIC[$site]%.*}
	veth_pair "$NS" eth0 "${PUBLIC[$site]}/24" "$INET" "to-$site" "$net.1/24"
	ip -n "$NS" route add default via "$net.1" dev eth0
done
in_ns "$INET" sysctl -qw net.ipv4.ip_forward=1
# The secondary relays to the primary's IPv6 address too: a route to it
# (check asks), as a dual-stack relay has.
in_ns "${NS_OF[secondary]}" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.eth0.disable_ipv6=0
ip -n "${NS_OF[secondary]}" -6 addr add 2001:db8:20::20/64 dev eth0 nodad
ip -n "${NS_OF[secondary]}" -6 route add default via 2001:db8:20::1 dev eth0

echo "# the page's files, keys put in"
for site in secondary primary client; do
	wgconf=$(page_block "${SECTION[$site]}" "${WGMARK[$site]}")
	conf=$(page_block "${SECTION[$site]}" '^`/etc/dupgre/dupgre.conf`')
	check "$site: a wg-quick file on the page" grep -q '^\[Interface\]' <<<"$wgconf"
	check "$site: a dupgre.conf on the page" grep -q "^role = $site$" <<<"$conf"
	for other in secondary primary client; do
		wgconf=${wgconf//"<the $other's dual0.key>"/$(cat "$TMP/$other.key")}
		wgconf=${wgconf//"<the $other's dual0.pub>"/$(cat "$TMP/$other.pub")}
	done
	check "$site: every placeholder filled" test -z "$(grep -o '<[^>]*>' <<<"$wgconf")"
	printf '%s\n' "$wgconf" >"$TMP/${DEV[$site]}.conf"
	sed "s/\bdual0\b/${DEV[$site]}/g" <<<"$conf" >"$TMP/$site.conf"
	check "$site: dupgre-ctl config takes it" ctl "${NS_OF[$site]}" --config "$TMP/$site.conf" config
done

echo "# wg-quick up, as the page says (wireguard-go)"
for site in secondary primary client; do
	check "$site: wg-quick up" in_ns "${NS_OF[$site]}" env WG_QUICK_USERSPACE_IMPLEMENTATION=wireguard-go \
		wg-quick up "$TMP/${DEV[$site]}.conf"
done
# The primary and the client dial the secondary (PersistentKeepalive = 25
# sends at once): both handshakes done.
for site in primary client; do
	for ((i = 0; i < 100; i++)); do
		[ "$(in_ns "${NS_OF[$site]}" wg show "${DEV[$site]}" latest-handshakes | awk '{print $2}')" != 0 ] && break
		sleep 0.1
	done
	check "$site: handshake with the secondary" test "$i" -lt 100
done

echo "# apply and check, as the page says"
for site in secondary primary client; do
	check "$site: apply" ctl "${NS_OF[$site]}" --config "$TMP/$site.conf" apply
	ctl "${NS_OF[$site]}" --config "$TMP/$site.conf" check >"$TMP/$site.check" 2>&1 || true
	# Until step 5 below there is no main tunnel: without it check takes the WAN's 1500 B as the largest tunnel packet, which a
	# 1440 B dual link cannot carry ("Room for a copy" on the page sizes the
	# main tunnel for it). Every other line must pass.
	# And the page's primary has two addresses under one peer on the
	# secondary: check warns that this is right only for one host.
	fails=$(grep -E '^(FAIL|WARN)' "$TMP/$site.check" |
		grep -v -e "is smaller than the largest tunnel packet, 1500 B (the MTU of eth0, the WAN)" \
			-e "right if it is that host's other address" || true)
	check "$site: check passes, but for the main tunnel's MTU" test -z "$fails" -a -s "$TMP/$site.check"
	[ -z "$fails" ] || sed 's/^/    /' <<<"$fails"
done
check_eq "the client clones into its dual link" "attached ${DEV[client]}" \
	"$(ctl "${NS_OF[client]}" -j status | jq -r '.clone[0] | "\(.state) \(.target)"')"
check_eq "the secondary relays its one device to the sites" "192.0.2.30 198.51.100.7 2001:db8::7" \
	"$(ctl "${NS_OF[secondary]}" -j status | jq -r '.relay[0].peers | sort | join(" ")')"

echo "# the client's PPTP packets to the primary: copied, relayed, arrived"
rx() { ip -n "${NS_OF[primary]}" -j -s link show "${DEV[primary]}" | jq '.[0].stats64.rx.packets'; }
before=$(rx)
"$PKTMIX" --src 192.0.2.30 --peer 198.51.100.7 --count 400 --seed 9 >"$TMP/mix"
grep '^gre_data ' "$TMP/mix" | sed -n 1,20p | cut -d' ' -f2 >"$TMP/gre.hex"
in_ns "${NS_OF[client]}" "$PKTSEND" <"$TMP/gre.hex" 2>/dev/null
for ((i = 0; i < 50; i++)); do
	[ $(($(rx) - before)) -ge 20 ] && break
	sleep 0.1
done
check_eq "20 copies reached the primary's dual link" 20 "$(($(rx) - before))"
check_eq "the client cloned 20" 20 "$(ctl "${NS_OF[client]}" -j stats | jq '.clone[0].counters.cloned')"

echo "# step 5: a WireGuard main tunnel too"
# The main tunnel, the test's own: the primary listens on the page's
# 198.51.100.7:51820; inside it the guide's PPTP tunnel addresses; MTU 1380,
# so a copy fits the 1440 B dual link ("Room for a copy").
declare -A INNER=([primary]=10.66.6.1 [client]=10.66.6.66)
for site in primary client; do
	MAIN[$site]=w0${site:0:1}$$
	[ ${#MAIN[$site]} -le 15 ] || MAIN[$site]=w0${site:0:1}${RANDOM}
	(umask 077 && wg genkey >"$TMP/main-$site.key")
	wg pubkey <"$TMP/main-$site.key" >"$TMP/main-$site.pub"
done
for site in primary client; do
	if [ "$site" = primary ]; then
		other=client listen="ListenPort = 51820" endpoint=''
	else
		other=primary listen='' endpoint="Endpoint = 198.51.100.7:51820"
	fi
	(umask 077 && cat >"$TMP/${MAIN[$site]}.conf" <<-EOF
		[Interface]
		PrivateKey = $(cat "$TMP/main-$site.key")
		Address = ${INNER[$site]}/32
		$listen
		MTU = 1380

		[Peer]
		PublicKey = $(cat "$TMP/main-$other.pub")
		$endpoint
		AllowedIPs = ${INNER[$other]}/32
	EOF
	)
	check "$site: the main tunnel up (wg-quick, wireguard-go)" in_ns "${NS_OF[$site]}" \
		env WG_QUICK_USERSPACE_IMPLEMENTATION=wireguard-go wg-quick up "$TMP/${MAIN[$site]}.conf"
done
udp() {  # udp SITE DST COUNT: datagrams into the main tunnel, to port 9
	in_ns "${NS_OF[$1]}" bash -c "for ((i = 0; i < $3; i++)); do echo dupgre >/dev/udp/$2/9; done"
}
noports() {  # noports SITE: datagrams UDP delivered to no socket (port 9's)
	in_ns "${NS_OF[$1]}" awk '/^Udp:/ {
		if (!c) { for (i = 1; i <= NF; i++) if ($i == "NoPorts") c = i; next }
		print $c; exit }' /proc/net/snmp
}

# The page's dupgre.conf for each: its column of the two-column block (the
# boundary is where "# primary" starts in its first line), and the dual link
# keys of step 3's and 4's files ("dual, dual_dev, dual_mtu as above").
columns=$(page_block "## WireGuard as the main tunnel" 'the primary listens on 51820 at')
column() {  # column client|primary: that column of $columns
	awk -v side="$1" '
		NR == 1 { col = index($0, "# primary"); if (!col) exit 1; next }
		{ s = side == "client" ? substr($0, 1, col - 1) : substr($0, col); sub(/[ \t]+$/, "", s) }
		s != "" { print s }
		END { exit !col }' <<<"$columns"
}
# Step 5's table (no fenced block): the section's rows.
step5=$(awk '$0 == "### 5. A WireGuard main tunnel too" { f = 1; next } f && /^#+ / { exit } f && /^\| /' "$SETUP_PAGE")
for site in primary client; do
	col=$(column "$site")
	check "$site: its column of the block is its dupgre.conf" grep -qx "role = $site" <<<"$col"
	dual=$(grep -E '^dual(_dev|_mtu)? = ' "$TMP/$site.conf")
	check_eq "$site: dual, dual_dev, dual_mtu from ${SECTION[$site]#\#\#\# }" 3 "$(wc -l <<<"$dual")"
	printf '%s\n' "$col" "$dual" >"$TMP/$site-wg.conf"
	check "$site: dupgre-ctl config takes it" ctl "${NS_OF[$site]}" --config "$TMP/$site-wg.conf" config
done
# What the block says agrees with step 5 and the sites the test built.
clients=$(sed -n 's/^clients = //p' "$TMP/primary-wg.conf")
check_eq "the primary's clients are the client" 192.0.2.30 "$clients"
check "step 5 has the same clients" grep -qF "\`clients = $clients\`" <<<"$step5"
check "step 5 keeps the dual link keys" grep -qF '`dual`, `dual_dev`, `dual_mtu` as above' <<<"$step5"
check_eq "the client's primary is the primary" 198.51.100.7 "$(sed -n 's/^primary = //p' "$TMP/client-wg.conf")"

# wireguard-go: the page's mangle rule, on the client as given, on the
# primary with what its comment says (--sport 51820 -d CLIENT_ADDR).
rule=$(page_block "## WireGuard as the main tunnel" 'A changed mark in mangle OUTPUT')
check "the rule's comment says what the primary's differs by" \
	grep -q '# primary: --sport 51820 -d CLIENT_ADDR$' <<<"$rule"
rule=$(grep '^iptables ' <<<"$rule")
declare -A RULE=([client]=$rule)
rule=${rule//-d 198.51.100.7/-d $clients}
RULE[primary]=${rule//--dport 51820/--sport 51820}
for site in primary client; do
	read -ra argv <<<"${RULE[$site]//dual0/${DEV[$site]}}"
	in_ns "${NS_OF[$site]}" "${argv[@]}"
	rules=$(in_ns "${NS_OF[$site]}" iptables -t mangle -S OUTPUT)
	check "$site: the page's mangle rule in place" grep -q -- "-o ${DEV[$site]} .*--set-xmark 0x5767" <<<"$rules"
done

for site in primary client; do
	check "$site: apply" ctl "${NS_OF[$site]}" --config "$TMP/$site-wg.conf" apply
	ctl "${NS_OF[$site]}" --config "$TMP/$site-wg.conf" check >"$TMP/$site.check" 2>&1 || true
	fails=$(grep -E '^(FAIL|WARN)' "$TMP/$site.check" || true)
	check "$site: check passes, the main tunnel's MTU too" test -z "$fails" -a -s "$TMP/$site.check"
	[ -z "$fails" ] || sed 's/^/    /' <<<"$fails"
done
clone_state() {  # clone_state SITE: the clone program's state, target, mode and peers
	echo "$(ctl "${NS_OF[$1]}" -j status | jq -r '.clone[0] | "\(.state) \(.target) \(.tunnel)"') $(
		ctl "${NS_OF[$1]}" -j peer list --dev eth0 | jq -r 'join(" ")')"
}
check_eq "the client clones into its dual link in WireGuard mode, to the server's port" \
	"attached ${DEV[client]} wireguard 198.51.100.7:51820" "$(clone_state client)"
check_eq "the primary clones into its dual link in WireGuard mode, to the client from the server's port" \
	"attached ${DEV[primary]} wireguard 192.0.2.30:51820" "$(clone_state primary)"

echo "# WireGuard data both ways: copied, relayed, discarded"
# metrics: "NAME VALUE" lines of what the copies move: the secondary's
# relayed; per site its clone counters, what its eliminate discarded, what
# arrived on its dual link, and the datagrams UDP delivered (to port 9, where
# nothing listens: NoPorts), once each or more.
metrics() {
	local site stats
	echo "relayed $(ctl "${NS_OF[secondary]}" -j stats | jq '.relay[0].counters.relayed')"
	for site in primary client; do
		stats=$(ctl "${NS_OF[$site]}" -j stats)
		jq -r --arg s "$site" --arg dual "${DEV[$site]}" '
			"\($s).cloned \(.clone[0].counters.cloned)",
			"\($s).wg_data \(.clone[0].counters.wg_data)",
			"\($s).discarded \(.eliminate.totals.counters.discarded)",
			(.eliminate.paths[] | select(.device == $dual) |
				"\($s).dual \(.counters.passed + .counters.discarded)")' <<<"$stats"
		echo "$site.udp $(noports "$site")"
	done
}
declare -A BEFORE AFTER
snapshot() {  # snapshot ARRAY
	local -n into=$1
	local name value
	while read -r name value; do into[$name]=$value; done < <(metrics)
}
delta() { echo $((AFTER[$1] - BEFORE[$1])); }
# arrived SITE COUNT: the site's UDP delivered COUNT more datagrams and its
# dual link saw COUNT more copies (they come later, by the relay).
arrived() {
	snapshot AFTER
	[ "$(delta "$1.udp")" -ge "$2" ] && [ "$(delta "$1.dual")" -ge "$2" ]
}
declare -A OTHER=([client]=primary [primary]=client)
for from in client primary; do
	to=${OTHER[$from]}
	snapshot BEFORE
	udp "$from" "${INNER[$to]}" 20
	for ((i = 0; i < 100; i++)); do
		arrived "$to" 20 && break
		sleep 0.1
	done
	snapshot AFTER
	echo "  $from to $to: $(for k in relayed $from.cloned $from.wg_data $to.dual $to.discarded $to.udp; do
		printf '%s +%s ' "$k" "$(delta "$k")"; done)"
	check_eq "$from to $to: the 20 datagrams arrived, each once" 20 "$(delta "$to.udp")"
	check "$from: cloned the WireGuard data (+$(delta "$from.cloned"), wg_data +$(delta "$from.wg_data"))" \
		test "$(delta "$from.cloned")" -ge 20 -a "$(delta "$from.wg_data")" -ge 20
	check "the secondary relayed the copies (+$(delta relayed))" test "$(delta relayed)" -ge 20
	check "$to: the copies arrived on its dual link (+$(delta "$to.dual"))" test "$(delta "$to.dual")" -ge 20
	check "$to: its eliminate counted the slower of each as discarded (+$(delta "$to.discarded"))" \
		test "$(delta "$to.discarded")" -ge 20
done
finish
