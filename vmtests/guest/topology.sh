# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# shellcheck shell=bash
# The guide's three sites as network namespaces in the guest, with real PPTP
# (pptpd on the servers, pppd + pptp on the dialling side, MPPE-128):
#
#   client 198.18.0.1        inet 198.18.3.1              primary 198.18.1.1
#     wan ============== wan  pri ==== path A (netem) ==== wan-c
#     ppp-pri 10.66.6.66 ........ PPTP (user client) ..... pppN 10.66.6.1
#     ppp-dual 10.66.4.65      sec                           wan-s
#           :                   \\ path B (netem)          // bvpn 10.66.4.67
#           : PPTP               wan-c    secondary   wan-p  (the guide's peer file)
#           :..................  pppN 10.66.4.1 (both) ..... PPTP
#                                      198.18.2.1
#
# Every site has one public address (on each of its point-to-point veths).
# The client has one WAN, as a router does, and "inet" routes it to either
# path.
# Tunnel pools as in the guide: 10.66.6.0/24 on the primary, 10.66.4.0/24
# on the secondary (sdual → .67, cdual → .65).
#
# TUNNEL (pptp, wireguard) is the client's tunnel to the primary: with
# "wireguard" the kernel's WireGuard at both ends (wg-pri 10.66.6.66 on the
# client, wg-client 10.66.6.1 on the primary, UDP port 51820), no PPTP.
# TRANSPORT (ppp, wireguard, gre, ipip) is the kind of the dual links
# (client-secondary, primary-secondary): "ppp" as above; otherwise one
# device "dual-KIND" (dual-wg, dual-gre, dual-ipip) on the client and on the
# primary, and on the secondary one device per site (dual-wg-c, dual-wg-p)
# or, for WireGuard with WG_SHARED=1 (the default), one device "dual-wg" with both sites
# as peers; the secondary then runs no pptpd and no pppd. DUAL_KINDS
# (default: TRANSPORT) may name several kinds, brought up side by side
# (dual_select picks the one the modes use). WireGuard's AllowedIPs hold the other
# sites' public addresses with no routes for them (Table = off), so the
# sites' own traffic still takes the WAN; GRE and IPIP carry no sequence
# numbers, keys or checksums.
#
# With "nat" the primary is a cloud instance behind 1:1 NAT: a namespace
# "ec2" owns 198.18.1.1 on the two links above (DNAT to the instance, SNAT
# from it, and the cloud's source/destination check), and the primary has
# only PRIMARY_PRIVATE on "wan", its link to ec2. Source this file.

CLIENT_PUB=198.18.0.1 PRIMARY_PUB=198.18.1.1 SECONDARY_PUB=198.18.2.1
PRIMARY_PRIVATE=10.123.82.34 INET=198.18.3.1
TUNNEL=pptp TRANSPORT=ppp WG_SHARED=${WG_SHARED:-1}
# WireGuard ports: the main tunnel's (eliminate --tunnel wireguard matches
# it), the dual links' on the secondary (per site: +1 client, +2 primary).
WG_PORT=51820 WG_DUAL_PORT=51830
# Set by topo_up: NAMESPACES, PRIMARY_WAN (the primary's device towards the
# client: "wan" behind NAT), PATH_A_FAR (the namespace at path A's far end),
# DUAL_CLIENT, DUAL_PRIMARY (the dual links' devices there), DUAL_SEC_C,
# DUAL_SEC_P (the secondary's devices to the client and the primary).
TOPO_PIDS=()
LOG=/run/vmout

nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# PPP configuration in the overlay (the host's /etc/ppp/options has auth,
# crtscts and lock, meant for a modem).
topo_ppp_config() {
	echo "# vmtests: options come from the peer and pptpd option files" >/etc/ppp/options
	cat >/etc/ppp/chap-secrets <<-'EOF'
	# client        server  secret          IP addresses
	client          *       password        10.66.6.66
	sdual           *       password        10.66.4.67
	cdual           *       password        10.66.4.65
	EOF
	chmod 600 /etc/ppp/chap-secrets
	# The guide's /etc/ppp/peers/bvpn, with the secondary's address.
	cat >/etc/ppp/peers/bvpn <<-EOF
	pty "pptp $SECONDARY_PUB --nolaunchpppd"
	noauth
	require-mschap-v2
	require-mppe-128
	name sdual
	nodefaultroute
	maxfail 0
	holdoff 30
	persist
	remotename bvpn
	ipparam bvpn
	file /etc/ppp/options.pptp
	EOF
	mkdir -p /etc/vmtests
	local site local_ip
	for site in primary secondary; do
		local_ip=10.66.6.1
		[ "$site" = secondary ] && local_ip=10.66.4.1
		# delegate: pppd takes the peer's address from chap-secrets, as the
		# guide's fixed addresses need.
		printf 'option /etc/vmtests/pptpd-options-%s\ndelegate\n' "$site" \
			>"/etc/vmtests/pptpd-$site.conf"
		cat >"/etc/vmtests/pptpd-options-$site" <<-EOF
		name $site
		refuse-pap
		refuse-chap
		refuse-mschap
		require-mschap-v2
		require-mppe-128
		nodefaultroute
		nobsdcomp
		nodeflate
		novj
		novjccomp
		noipv6
		$local_ip:
		logfile $LOG/ppp-$site.log
		EOF
	done
	# Hooks: none of Debian's; the modes install what they need.
	rm -f /etc/ppp/ip-{pre-up,up,down}.d/* 2>/dev/null || true
	# WireGuard keys, one per device (the dual link's on the secondary per site too).
	local k
	for k in main-client main-primary dual-client dual-primary dual-secondary dual-c dual-p; do
		(umask 077 && wg genkey >"/etc/vmtests/wg-$k.key")
		wg pubkey <"/etc/vmtests/wg-$k.key" >"/etc/vmtests/wg-$k.pub"
	done
	grep -q '^30 dual' /etc/iproute2/rt_tables 2>/dev/null || echo "30 dual" >>/etc/iproute2/rt_tables
}

# _veth NS_A DEV_A ADDR_A NS_B DEV_B ADDR_B: a point-to-point link. The
# neighbours are permanent: netem's loss stands for loss beyond the first
# hop, and must not take ARP with it (on a real path the first hop still
# answers; with ARP failing, packets die before the egress hook that
# clones them, and the guide's TEE, in OUTPUT, would still copy them).
_veth() {
	ip link add "$2" netns "$1" type veth peer name "$5" netns "$4"
	ip -n "$1" addr add "$3" peer "$6" dev "$2"
	ip -n "$4" addr add "$6" peer "$3" dev "$5"
	ip -n "$1" link set "$2" up
	ip -n "$4" link set "$5" up
	ip -n "$1" neigh replace "$6" lladdr "$(ip -n "$4" -j link show "$5" | jq -r '.[0].address')" \
		dev "$2" nud permanent
	ip -n "$4" neigh replace "$3" lladdr "$(ip -n "$1" -j link show "$2" | jq -r '.[0].address')" \
		dev "$5" nud permanent
}

# _bg NS NAME CMD...: runs CMD in NS in the background, in a mount
# namespace of its own: a private /run/pptp (pptp's call manager sockets are
# named by the server's address alone, and the client and the primary both
# dial the secondary), and the site's /etc/dupgre/dupgre.conf, which the
# hooks that pppd runs (with a cleared environment) read.
_bg() {
	local ns=$1 name=$2
	shift 2
	ip netns exec "$ns" unshare -m --propagation private sh -c \
		'mkdir -p /run/pptp && mount -t tmpfs tmpfs /run/pptp &&
		 mount --bind "/etc/vmtests/dupgre-$0.conf" /etc/dupgre/dupgre.conf && exec "$@"' \
		"$ns" "$@" >>"$LOG/$name.out" 2>&1 &
	TOPO_PIDS+=("$!")
}

# ppp_dev NS PEER: the ppp device in NS whose peer address is PEER.
ppp_dev() {
	ip -n "$1" -o -4 addr show | awk -v p="peer $2/32" '$0 ~ p { print $2; exit }'
}

_wait_ppp() {  # _wait_ppp NS PEER SECONDS
	local i
	for ((i = 0; i < $3 * 2; i++)); do
		[ -n "$(ppp_dev "$1" "$2")" ] && return 0
		sleep 0.5
	done
	echo "topology: no ppp link to $2 in $1 after $3 s" >&2
	return 1
}

# Each site's /etc/dupgre/dupgre.conf (docs/setup.md), as a user installs
# it; it does nothing until dupgre's hooks are installed (mode dupgre).
# The client drops duplicates before its pptp: pptp 1.10's reorder queue
# stops delivering once a copy of a packet it holds arrives (vmtests/README.md).
_dupgre_configs() {  # _dupgre_configs [nat]
	cat >/etc/vmtests/dupgre-client.conf <<-EOF
	role = client
	wan = wan
	primary = $PRIMARY_PUB
	dual_ipparam = dual
	dual_mtu = 0
	eliminate = drop
	EOF
	cat >/etc/vmtests/dupgre-primary.conf <<-EOF
	role = primary
	wan = $PRIMARY_WAN
	dual_ipparam = bvpn
	client_remote = 10.66.6.66
	dual_mtu = 0
	client_mtu = 0
	eliminate = monitor
	EOF
	[ "${1:-}" = nat ] && echo "snat = $PRIMARY_PRIVATE=$PRIMARY_PUB" >>/etc/vmtests/dupgre-primary.conf
	cat >/etc/vmtests/dupgre-secondary.conf <<-EOF
	role = secondary
	dual_remote = 10.66.4.64/29
	dual_mtu = 0
	EOF
	mkdir -p /etc/dupgre
	: >/etc/dupgre/dupgre.conf
}

# The cloud's 1:1 NAT in front of the primary (topo_up ... nat).
_ec2_nat() {
	ip link add wan netns primary type veth peer name lan netns ec2
	ip -n ec2 addr add 10.123.82.1/24 dev lan
	ip -n primary addr add "$PRIMARY_PRIVATE/24" dev wan
	ip -n ec2 link set lan up
	ip -n primary link set wan up
	ip -n primary route add default via 10.123.82.1
	nsx ec2 iptables -t nat -A PREROUTING -d "$PRIMARY_PUB" -j DNAT --to-destination "$PRIMARY_PRIVATE"
	nsx ec2 iptables -t nat -A POSTROUTING -s "$PRIMARY_PRIVATE" -j SNAT --to-source "$PRIMARY_PUB"
	# The source/destination check: the instance sends from its own address only.
	nsx ec2 iptables -A FORWARD -i lan ! -s "$PRIMARY_PRIVATE" -j DROP
}

# topo_up RECEIVER [nat]: namespaces, links, pptpd, the three dialled
# tunnels. RECEIVER is the reorder mode of the client's pptp on its link to
# the primary: buffer (--timeout 0.3, pptp's default) or nobuffer (like the
# kernel's PPTP module), or kernel: that link is the kernel's own PPTP on
# both ends (kpptp, below) instead of pppd + pptp and pptpd. Its link to the
# secondary, which only carries copies, runs --nobuffer: a reorder buffer
# there holds every copy behind a loss on path B, past the primary link's
# own 300 ms (vmtests/README.md).
topo_up() {
	local recv_opt="--timeout 0.3" ns listen=$PRIMARY_PUB far
	[ "$1" = nobuffer ] && recv_opt="--nobuffer"
	NAMESPACES=(client inet primary secondary) PRIMARY_WAN=wan-c PATH_A_FAR=primary
	if [ "${2:-}" = nat ]; then
		NAMESPACES+=(ec2) PRIMARY_WAN=wan PATH_A_FAR=ec2 listen=$PRIMARY_PRIVATE
	fi
	_dupgre_configs "${2:-}"
	for ns in "${NAMESPACES[@]}"; do
		ip netns add "$ns"
		ip -n "$ns" link set lo up
		# The guide's step 1 (and "default" so that ppp devices get it too).
		nsx "$ns" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
			net.ipv4.ip_forward=1 net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1
	done
	far=$PATH_A_FAR
	_veth client wan "$CLIENT_PUB" inet wan "$INET"
	_veth inet pri "$INET" "$far" wan-c "$PRIMARY_PUB"                  # path A
	_veth inet sec "$INET" secondary wan-c "$SECONDARY_PUB"             # path B
	_veth "$far" wan-s "$PRIMARY_PUB" secondary wan-p "$SECONDARY_PUB"  # servers
	ip -n client route add default via "$INET" dev wan
	ip -n "$far" route add "$CLIENT_PUB" via "$INET" dev wan-c
	ip -n secondary route add "$CLIENT_PUB" via "$INET" dev wan-c
	[ "${2:-}" = nat ] && _ec2_nat
	for ns in "${NAMESPACES[@]}"; do
		for dev in $(ip -n "$ns" -br link | awk '$1 != "lo" { sub(/@.*/, "", $1); print $1 }'); do
			nsx "$ns" sysctl -qw "net.ipv4.conf.$dev.rp_filter=0"
		done
	done

	# pptpd where PPTP is dialled: on the primary for the client's PPTP
	# link (not the kernel's, not WireGuard), on the secondary for PPP dual
	# links.
	local main_pptp=1
	[ "$1" = kernel ] || [ "$TUNNEL" = wireguard ] && main_pptp=0
	[ $main_pptp = 0 ] ||
		_bg primary pptpd-primary pptpd -f -c /etc/vmtests/pptpd-primary.conf -l "$listen" \
			-p /run/pptpd-primary.pid
	[ "$TRANSPORT" != ppp ] ||
		_bg secondary pptpd-secondary pptpd -f -c /etc/vmtests/pptpd-secondary.conf \
			-l "$SECONDARY_PUB" -p /run/pptpd-secondary.pid
	[ $main_pptp = 0 ] || _wait_listen primary "$listen"
	if [ "$TRANSPORT" = ppp ]; then
		_wait_listen secondary "$SECONDARY_PUB"
		_bg primary pppd-bvpn pppd call bvpn ifname bvpn noipv6 nodetach logfile "$LOG/ppp-bvpn.log"
		# The client's two links (the guide's OpenWrt: "client" and "cdual").
		# shellcheck disable=SC2086
		_bg client pppd-dual pppd pty "pptp $SECONDARY_PUB --nolaunchpppd --nobuffer" name cdual \
			remotename secondary ipparam dual ifname ppp-dual file /etc/ppp/options.pptp \
			require-mschap-v2 require-mppe-128 noauth nodefaultroute persist maxfail 0 \
			holdoff 2 noipv6 nodetach logfile "$LOG/ppp-dual.log"
	else
		_dual_links_up "${2:-}"
	fi
	if [ "$TUNNEL" = wireguard ]; then
		_wg_main_up
	elif [ "$1" = kernel ]; then
		_kpptp_up
	else
		# shellcheck disable=SC2086
		_bg client pppd-pri pppd pty "pptp $PRIMARY_PUB --nolaunchpppd $recv_opt" name client \
			remotename primary ipparam primary ifname ppp-pri file /etc/ppp/options.pptp \
			require-mschap-v2 require-mppe-128 noauth nodefaultroute persist maxfail 0 \
			holdoff 2 noipv6 nodetach logfile "$LOG/ppp-pri.log"
	fi
	_wait_ppp client 10.66.6.1 90
	[ "$TUNNEL" = wireguard ] || _wait_ppp primary 10.66.6.66 30
	if [ "$TRANSPORT" = ppp ]; then
		_wait_ppp client 10.66.4.1 90
		_wait_ppp primary 10.66.4.1 90
		_wait_ppp secondary 10.66.4.65 30
		_wait_ppp secondary 10.66.4.67 30
		DUAL_CLIENT=ppp-dual DUAL_PRIMARY=bvpn
		DUAL_SEC_C=$(ppp_dev secondary 10.66.4.65) DUAL_SEC_P=$(ppp_dev secondary 10.66.4.67)
		# MTUs from the guide's hooks: 1448 on the dual links.
		ip -n primary link set bvpn mtu 1448
		ip -n secondary link set "$DUAL_SEC_C" mtu 1448
		ip -n secondary link set "$DUAL_SEC_P" mtu 1448
	else
		# Issue 16's point: the secondary needs no PPTP for copies.
		if ip netns pids secondary | xargs -r -I{} cat /proc/{}/comm | grep -E '^(pptpd|pptpctrl|pppd)$' >/dev/null; then
			echo "topology: the secondary runs pptpd or pppd with $TRANSPORT dual links" >&2
			return 1
		fi
	fi
	# The guide's hooks: 1380 on the primary's client link.
	[ "$TUNNEL" = wireguard ] || ip -n primary link set "$(ppp_dev primary 10.66.6.66)" mtu 1380
	echo "topology: up (receiver $1${2:+, $2}; tunnel $TUNNEL, dual links $TRANSPORT), links:"
	for ns in "${NAMESPACES[@]}"; do
		ip -n "$ns" -br -4 addr show | sed "s/^/  $ns: /"
	done
}

# _wg_dev NS DEV PORT KEY [MTU]: a WireGuard device listening on PORT, up,
# with no address and no route (what wg-quick's Table = off leaves).
_wg_dev() {
	ip -n "$1" link add "$2" type wireguard
	nsx "$1" wg set "$2" listen-port "$3" private-key "/etc/vmtests/wg-$4.key"
	ip -n "$1" link set "$2" mtu "${5:-1420}"
	[ "${LINK_DOWN:-0}" = 1 ] || ip -n "$1" link set "$2" up
}

# A dual link's MTU: room for a copy of the largest tunnel packet the
# 1500-byte WAN carries, WireGuard's 60 bytes of IPv4 + UDP + header on top
# (GRE and IPIP keep the kernel's 1476 and 1480).
WG_DUAL_MTU=1440

# _wg_peer NS DEV KEY ENDPOINT ALLOWED_IPS [KEEPALIVE]: a peer. A keepalive
# (the dialling side's, as behind NAT) also starts the handshake at once.
_wg_peer() {
	nsx "$1" wg set "$2" peer "$(cat "/etc/vmtests/wg-$3.pub")" endpoint "$4" \
		allowed-ips "$5" ${6:+persistent-keepalive "$6"}
}

# _wg_wait NS DEV: until every peer of DEV has completed a handshake.
_wg_wait() {
	local i
	for ((i = 0; i < 150; i++)); do
		nsx "$1" wg show "$2" latest-handshakes | awk '$2 == 0 { bad = 1 } END { exit bad }' && return 0
		sleep 0.1
	done
	echo "topology: WireGuard $2 in $1: no handshake within 15 s" >&2
	nsx "$1" wg show "$2" >&2
	return 1
}

# _tunnel_dev NS DEV KIND LOCAL REMOTE: a GRE or IPIP device (no sequence
# numbers, no key, no checksum), up, no address and no route.
_tunnel_dev() {
	ip -n "$1" link add "$2" type "$3" local "$4" remote "$5" ttl 64
	[ "${LINK_DOWN:-0}" = 1 ] || ip -n "$1" link set "$2" up
}

# Device names per kind, so that the kinds can share one topology:
# "dual-wg", "dual-gre", "dual-ipip" on the client and the primary;
# "dual-wg-c", "dual-wg-p", ... on the secondary (one "dual-wg" there with
# WG_SHARED=1: both sites as peers of one WireGuard device).
_dual_tag() { case $1 in wireguard) echo wg ;; *) echo "$1" ;; esac; }

# dual_select KIND: the dual links the modes use (and the results record).
dual_select() {
	local tag
	tag=$(_dual_tag "$1")
	TRANSPORT=$1 DUAL_CLIENT=dual-$tag DUAL_PRIMARY=dual-$tag
	DUAL_SEC_C=dual-$tag-c DUAL_SEC_P=dual-$tag-p
	[ "$1" = wireguard ] && [ "$WG_SHARED" = 1 ] && DUAL_SEC_C=dual-wg DUAL_SEC_P=dual-wg
	return 0
}

# dual_client_up KIND: the client's dual link of KIND on its own: the flap
# scenario deletes and re-creates it, as wg-quick down/up or ifdown/ifup do
# (LINK_DOWN=1: configured, not yet up).
dual_client_up() {
	local port=$WG_DUAL_PORT key=dual-secondary dev
	dev=dual-$(_dual_tag "$1")
	[ "$WG_SHARED" = 1 ] || port=$((WG_DUAL_PORT + 1)) key=dual-c
	case $1 in
	wireguard)
		_wg_dev client "$dev" $((WG_DUAL_PORT + 1)) dual-client $WG_DUAL_MTU
		_wg_peer client "$dev" $key "$SECONDARY_PUB:$port" "$PRIMARY_PUB/32" 25
		;;
	gre | ipip) _tunnel_dev client "$dev" "$1" "$CLIENT_PUB" "$SECONDARY_PUB" ;;
	esac
}

# Dual links of each kind in DUAL_KINDS (wireguard, gre, ipip; default
# TRANSPORT) for every site, the secondary's first, so the others'
# handshakes find their peers; then TRANSPORT's are selected.
_dual_links_up() {  # [nat]
	local prim_local=$PRIMARY_PUB kind port key
	[ "${1:-}" = nat ] && prim_local=$PRIMARY_PRIVATE
	for kind in ${DUAL_KINDS:-$TRANSPORT}; do
		case $kind in
		wireguard)
			if [ "$WG_SHARED" = 1 ]; then
				# One device, both sites as peers: the relay sends a copy
				# back out of the device it came in by, to the other peer.
				_wg_dev secondary dual-wg $WG_DUAL_PORT dual-secondary $WG_DUAL_MTU
				_wg_peer secondary dual-wg dual-client "$CLIENT_PUB:$((WG_DUAL_PORT + 1))" "$CLIENT_PUB/32"
				_wg_peer secondary dual-wg dual-primary "$PRIMARY_PUB:$((WG_DUAL_PORT + 2))" "$PRIMARY_PUB/32"
				port=$WG_DUAL_PORT key=dual-secondary
			else
				_wg_dev secondary dual-wg-c $((WG_DUAL_PORT + 1)) dual-c $WG_DUAL_MTU
				_wg_peer secondary dual-wg-c dual-client "$CLIENT_PUB:$((WG_DUAL_PORT + 1))" "$CLIENT_PUB/32"
				_wg_dev secondary dual-wg-p $((WG_DUAL_PORT + 2)) dual-p $WG_DUAL_MTU
				_wg_peer secondary dual-wg-p dual-primary "$PRIMARY_PUB:$((WG_DUAL_PORT + 2))" "$PRIMARY_PUB/32"
				port=$((WG_DUAL_PORT + 2)) key=dual-p
			fi
			_wg_dev primary dual-wg $((WG_DUAL_PORT + 2)) dual-primary $WG_DUAL_MTU
			_wg_peer primary dual-wg $key "$SECONDARY_PUB:$port" "$CLIENT_PUB/32" 25
			;;
		gre | ipip)
			_tunnel_dev secondary "dual-$kind-c" "$kind" "$SECONDARY_PUB" "$CLIENT_PUB"
			_tunnel_dev secondary "dual-$kind-p" "$kind" "$SECONDARY_PUB" "$PRIMARY_PUB"
			_tunnel_dev primary "dual-$kind" "$kind" "$prim_local" "$SECONDARY_PUB"
			;;
		*) echo "topology: unknown dual link transport '$kind'" >&2; return 1 ;;
		esac
		dual_client_up "$kind"
		if [ "$kind" = wireguard ]; then
			_wg_wait client dual-wg
			_wg_wait primary dual-wg
		fi
	done
	dual_select "$TRANSPORT"
}

# The client's tunnel to the primary as the kernel's WireGuard: addresses
# as pptpd gives them (so the probe runs unchanged), port 51820 at both
# ends, the client keeping the handshake alive.
_wg_main_up() {
	_wg_dev primary wg-client $WG_PORT main-primary
	_wg_peer primary wg-client main-client "$CLIENT_PUB:$WG_PORT" 10.66.6.66/32
	ip -n primary addr add 10.66.6.1 peer 10.66.6.66 dev wg-client
	_wg_dev client wg-pri $WG_PORT main-client
	_wg_peer client wg-pri main-primary "$PRIMARY_PUB:$WG_PORT" 10.66.6.1/32 25
	ip -n client addr add 10.66.6.66 peer 10.66.6.1 dev wg-pri
	_wg_wait client wg-pri
}

# The client's link to the primary carried by the kernel's PPTP
# (drivers/net/ppp/pptp.c) on both ends, as OpenWrt's ppp-mod-pptp and
# accel-ppp use it: kpptp (vmtests/kpptp.cpp) opens the PPTP channel with
# fixed call IDs and attaches it to a ppp unit, MPPE-128 stateless with
# fixed keys, one per direction. No control connection, LCP or IPCP: the
# addresses are pptpd's (client 10.66.6.66, primary 10.66.6.1). The call IDs
# are global in the kernel (not per namespace): these are far from the ones
# pptp and pptpd pick.
KPPTP_CALL_CLIENT=53358 KPPTP_CALL_PRIMARY=53359
KPPTP_KEY_UP=00112233445566778899aabbccddeeff KPPTP_KEY_DOWN=0f1e2d3c4b5a69788796a5b4c3d2e1f0

_kpptp_status() {  # _kpptp_status SITE FIELD
	jq -r ".$2" "/run/kpptp-$1.status" 2>/dev/null
}

_kpptp_up() {
	local i try site
	rm -f /run/kpptp-*.status
	_bg client kpptp-client "$KPPTP" --local "$CLIENT_PUB" --local-call $KPPTP_CALL_CLIENT \
		--remote "$PRIMARY_PUB" --remote-call $KPPTP_CALL_PRIMARY --tx-key $KPPTP_KEY_UP \
		--rx-key $KPPTP_KEY_DOWN --ifname ppp-pri --status /run/kpptp-client.status
	_bg primary kpptp-primary "$KPPTP" --local "$PRIMARY_PUB" --local-call $KPPTP_CALL_PRIMARY \
		--remote "$CLIENT_PUB" --remote-call $KPPTP_CALL_CLIENT --tx-key $KPPTP_KEY_DOWN \
		--rx-key $KPPTP_KEY_UP --ifname kpptp-client --status /run/kpptp-primary.status
	for ((i = 0; i < 100; i++)); do
		[ -s /run/kpptp-client.status ] && [ -s /run/kpptp-primary.status ] && break
		sleep 0.1
	done
	[ "$i" -lt 100 ] || { echo "topology: kpptp did not start" >&2; return 1; }
	ip -n client addr add 10.66.6.66 peer 10.66.6.1 dev ppp-pri
	ip -n primary addr add 10.66.6.1 peer 10.66.6.66 dev kpptp-client
	ip -n client link set ppp-pri mtu 1400 up
	ip -n primary link set kpptp-client mtu 1400 up
	# MPPE: each end's CCP Configure-Ack starts its compressor and, at the
	# other end, the decompressor. Nothing else uses the link yet and
	# there is no netem, so one round normally does; a repeat re-inits
	# both ends alike.
	for ((try = 0; try < 3; try++)); do
		kill -USR1 "$(_kpptp_status client pid)" "$(_kpptp_status primary pid)"
		for ((i = 0; i < 30; i++)); do
			[ "$(_kpptp_status client 'comp and .decomp')" = true ] &&
				[ "$(_kpptp_status primary 'comp and .decomp')" = true ] && break 2
			sleep 0.1
		done
	done
	[ "$try" -lt 3 ] || { echo "topology: kpptp: MPPE did not start" >&2; cat /run/kpptp-*.status >&2; return 1; }
	kill -USR2 "$(_kpptp_status client pid)" "$(_kpptp_status primary pid)"
	for ((i = 0; i < 30; i++)); do
		[ "$(_kpptp_status client ccp_up)" = true ] && [ "$(_kpptp_status primary ccp_up)" = true ] && break
		sleep 0.1
	done
	for site in client primary; do echo "topology: kpptp $site: $(cat "/run/kpptp-$site.status")"; done
}

_wait_listen() {  # _wait_listen NS ADDR: until pptpd accepts on ADDR:1723
	local i
	for ((i = 0; i < 100; i++)); do
		nsx "$1" ss -Hltn "src $2:1723" | grep -q . && return 0
		sleep 0.1
	done
	echo "topology: pptpd in $1 is not listening on $2:1723" >&2
	return 1
}

# set_path A|B LOSS_PERCENT DELAY_MS: netem on both ends of the path.
set_path() {
	local ends=("inet pri" "$PATH_A_FAR wan-c")
	[ "$1" = B ] && ends=("inet sec" "secondary wan-c")
	local end
	for end in "${ends[@]}"; do
		ip netns exec "${end% *}" tc qdisc replace dev "${end#* }" root netem \
			loss "$2%" delay "$3ms" limit 100000
	done
}

topo_down() {
	local pid ns
	for pid in "${TOPO_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	for ns in "${NAMESPACES[@]}"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -TERM 2>/dev/null || true
	done
	sleep 1
	for ns in "${NAMESPACES[@]}"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
	done
	for pid in "${TOPO_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
	TOPO_PIDS=()
	for ns in "${NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
}
