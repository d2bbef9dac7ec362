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
# With "nat" the primary is a cloud instance behind 1:1 NAT: a namespace
# "ec2" owns 198.18.1.1 on the two links above (DNAT to the instance, SNAT
# from it, and the cloud's source/destination check), and the primary has
# only PRIMARY_PRIVATE on "wan", its link to ec2. Source this file.

CLIENT_PUB=198.18.0.1 PRIMARY_PUB=198.18.1.1 SECONDARY_PUB=198.18.2.1
PRIMARY_PRIVATE=10.123.82.34 INET=198.18.3.1
# Set by topo_up: NAMESPACES, PRIMARY_WAN (the primary's device towards the
# client: "wan" behind NAT), PATH_A_FAR (the namespace at path A's far end).
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

	[ "$1" = kernel ] ||
		_bg primary pptpd-primary pptpd -f -c /etc/vmtests/pptpd-primary.conf -l "$listen" \
			-p /run/pptpd-primary.pid
	_bg secondary pptpd-secondary pptpd -f -c /etc/vmtests/pptpd-secondary.conf \
		-l "$SECONDARY_PUB" -p /run/pptpd-secondary.pid
	[ "$1" = kernel ] || _wait_listen primary "$listen"
	_wait_listen secondary "$SECONDARY_PUB"
	_bg primary pppd-bvpn pppd call bvpn ifname bvpn noipv6 nodetach logfile "$LOG/ppp-bvpn.log"
	# The client's two links (the guide's OpenWrt: "client" and "cdual").
	# shellcheck disable=SC2086
	_bg client pppd-dual pppd pty "pptp $SECONDARY_PUB --nolaunchpppd --nobuffer" name cdual \
		remotename secondary ipparam dual ifname ppp-dual file /etc/ppp/options.pptp \
		require-mschap-v2 require-mppe-128 noauth nodefaultroute persist maxfail 0 \
		holdoff 2 noipv6 nodetach logfile "$LOG/ppp-dual.log"
	if [ "$1" = kernel ]; then
		_kpptp_up
	else
		_bg client pppd-pri pppd pty "pptp $PRIMARY_PUB --nolaunchpppd $recv_opt" name client \
			remotename primary ipparam primary ifname ppp-pri file /etc/ppp/options.pptp \
			require-mschap-v2 require-mppe-128 noauth nodefaultroute persist maxfail 0 \
			holdoff 2 noipv6 nodetach logfile "$LOG/ppp-pri.log"
	fi
	_wait_ppp client 10.66.6.1 90
	_wait_ppp client 10.66.4.1 90
	_wait_ppp primary 10.66.4.1 90
	_wait_ppp primary 10.66.6.66 30
	_wait_ppp secondary 10.66.4.65 30
	_wait_ppp secondary 10.66.4.67 30
	# MTUs from the guide's hooks: 1380 on the primary's client link, 1448 on
	# the dual links.
	ip -n primary link set "$(ppp_dev primary 10.66.6.66)" mtu 1380
	ip -n primary link set bvpn mtu 1448
	ip -n secondary link set "$(ppp_dev secondary 10.66.4.65)" mtu 1448
	ip -n secondary link set "$(ppp_dev secondary 10.66.4.67)" mtu 1448
	echo "topology: up (receiver $1${2:+, $2}), links:"
	for ns in "${NAMESPACES[@]}"; do
		ip -n "$ns" -br -4 addr show | sed "s/^/  $ns: /"
	done
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
