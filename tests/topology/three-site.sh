# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# The guide's three sites in network namespaces, joined by emulated links
# (linkemu: TUN pairs, no MAC header, like ppp), for tests and the demo.
#
#            path A: the client's WAN path to the primary
#   client  wan0 198.18.0.1  ======================  wan0 198.18.0.2  primary
#   dual0 10.66.4.66                                       bvpn 10.66.4.61
#        \\ path B: the client's tunnel              relay: the primary's //
#         \\ to the secondary                        tunnel to the secondary
#          ====  dual0 10.66.4.1  secondary  bvpn 10.66.4.1  ====
#
# Public addresses come from 198.18.0.0/15, tunnel addresses from the
# guide's secondary pool 10.66.4.0/24. The primary's own pool 10.66.6.0/24
# is inside the tunnel that the PPTP-like traffic (pptpgen) stands for.
# The secondary forwards a copy to the site whose public address it is for:
# by plain routes (the guide's policy routing, without the fwmark, since the
# bench has no other traffic), or by dupgre's relay once that is attached.
# No packet ever enters the root namespace.
#
# With "nat" (topo_up PREFIX BUILD_DIR nat) the primary sits behind a 1:1 NAT
# like an EC2 instance: its WAN device has PRIMARY_PRIVATE, and a namespace
# "nat" on path A owns PRIMARY_PUB and maps it (iptables DNAT/SNAT, and
# EC2's source/destination check). Copies relayed through the secondary bypass that NAT.
#
# topo_wireguard (after topo_up) runs WireGuard between the client and the
# primary over path A; topo_measure then measures inside that tunnel.
#
# Source this file, then: topo_up PREFIX BUILD_DIR [nat]; topo_set LINK DIR SPEC;
# topo_stats LINK; topo_down. LINK is path_a, path_b or relay; DIR is a2b
# (client→primary, client→secondary, primary→secondary), b2a or both.

CLIENT_PUB=198.18.0.1
PRIMARY_PUB=198.18.0.2
PRIMARY_PRIVATE=10.123.82.34
TOPO_NAMESPACES=()
TOPO_PIDS=()
TOPO_WG_SOCKS=()
# Where topo_measure's traffic goes: the public addresses, or the tunnel's.
TOPO_CLIENT_ADDR=$CLIENT_PUB
TOPO_PRIMARY_ADDR=$PRIMARY_PUB
# WireGuard (topo_wireguard): the server's port, the tunnel's addresses.
WG_PORT=51820
WG_CLIENT_ADDR=10.77.0.1
WG_PRIMARY_ADDR=10.77.0.2

_topo_link() {  # _topo_link NAME NS_A DEV_A NS_B DEV_B MTU SEED
	local ctl="$TOPO_DIR/$1.sock" fifo="$TOPO_DIR/$1.ready" line
	mkfifo "$fifo"
	"$TOPO_BUILD/tests/tools/linkemu" --ns-a "$2" --dev-a "$3" --ns-b "$4" --dev-b "$5" \
		--mtu "$6" --seed "$7" --control "$ctl" >"$fifo" &
	TOPO_PIDS+=("$!")
	if ! read -r -t 10 line <"$fifo" || [ "$line" != ready ]; then
		echo "three-site: linkemu for $1 did not start" >&2
		return 1
	fi
}

topo_up() {  # topo_up PREFIX BUILD_DIR [nat]
	TOPO_PREFIX=$1
	TOPO_BUILD=$(cd "$2" && pwd)
	TOPO_DIR=$(mktemp -d "/tmp/dupgre-topo.XXXXXX")
	NS_CLIENT=${TOPO_PREFIX}client
	NS_PRIMARY=${TOPO_PREFIX}primary
	NS_SECONDARY=${TOPO_PREFIX}secondary
	NS_NAT=
	[ "${3:-}" = nat ] && NS_NAT=${TOPO_PREFIX}nat
	local ns
	for ns in "$NS_CLIENT" "$NS_PRIMARY" "$NS_SECONDARY" $NS_NAT; do
		ip netns add "$ns"
		TOPO_NAMESPACES+=("$ns")
		ip -n "$ns" link set lo up
		# The guide's step 1: copies arrive on an interface that is not
		# the route back to their source.
		ip netns exec "$ns" sysctl -qw net.ipv4.conf.all.rp_filter=0 \
			net.ipv4.conf.default.rp_filter=0 net.ipv4.ip_forward=1 \
			net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	done
	# MTUs as in the guide: 1380 inside client tunnels, 1448 on dual links.
	# Each link its own seed: with one seed for all, links carrying the same
	# packets would lose the same ones, and the paths would not be
	# independent.
	local seed=${TOPO_SEED:-1}
	_topo_link path_a "$NS_CLIENT" wan0 "${NS_NAT:-$NS_PRIMARY}" wan0 1500 "$seed"
	_topo_link path_b "$NS_CLIENT" dual0 "$NS_SECONDARY" dual0 1448 "$((seed + 1000))"
	_topo_link relay "$NS_PRIMARY" bvpn "$NS_SECONDARY" bvpn 1448 "$((seed + 2000))"

	ip -n "$NS_CLIENT" addr add "$CLIENT_PUB" peer "$PRIMARY_PUB" dev wan0
	if [ -z "$NS_NAT" ]; then
		ip -n "$NS_PRIMARY" addr add "$PRIMARY_PUB" peer "$CLIENT_PUB" dev wan0
	else
		_topo_nat
	fi
	ip -n "$NS_CLIENT" addr add 10.66.4.66 peer 10.66.4.1 dev dual0
	ip -n "$NS_SECONDARY" addr add 10.66.4.1 peer 10.66.4.66 dev dual0
	ip -n "$NS_PRIMARY" addr add 10.66.4.61 peer 10.66.4.1 dev bvpn
	ip -n "$NS_SECONDARY" addr add 10.66.4.1 peer 10.66.4.61 dev bvpn
	for ns in "$NS_CLIENT" "$NS_PRIMARY" "$NS_SECONDARY" $NS_NAT; do
		for dev in $(ip -n "$ns" -br link | awk '$1 != "lo" { sub(/@.*/, "", $1); print $1 }'); do
			ip netns exec "$ns" sysctl -qw "net.ipv4.conf.$dev.rp_filter=0"
		done
	done
}

# The 1:1 NAT in front of the primary.
_topo_nat() {
	ip -n "$NS_NAT" addr add "$PRIMARY_PUB" peer "$CLIENT_PUB" dev wan0
	ip -n "$NS_NAT" link add lan0 type veth peer name wan0 netns "$NS_PRIMARY"
	ip -n "$NS_NAT" addr add 10.123.82.1/24 dev lan0
	ip -n "$NS_PRIMARY" addr add "$PRIMARY_PRIVATE/24" dev wan0
	ip -n "$NS_NAT" link set lan0 up
	ip -n "$NS_PRIMARY" link set wan0 up
	ip -n "$NS_PRIMARY" route add default via 10.123.82.1
	ip netns exec "$NS_NAT" iptables -t nat -A PREROUTING -i wan0 -d "$PRIMARY_PUB" \
		-j DNAT --to-destination "$PRIMARY_PRIVATE"
	ip netns exec "$NS_NAT" iptables -t nat -A POSTROUTING -o wan0 -s "$PRIMARY_PRIVATE" \
		-j SNAT --to-source "$PRIMARY_PUB"
	# EC2's source/destination check: the instance may only send from its
	# own address. Without it, a copy the primary forwards (addressed to
	# the public address it does not own) would come back through the
	# NAT's conntrack entry, which no cloud does.
	ip netns exec "$NS_NAT" iptables -A FORWARD -i lan0 ! -s "$PRIMARY_PRIVATE" -j DROP
}

# topo_secondary_routes: the secondary sends copies on by plain routing.
# topo_relay: by dupgre's relay.
topo_relay() {
	ip netns exec "$NS_SECONDARY" "$TOPO_BUILD/loader/dupgre-ctl" relay add --dev dual0 --peer "$CLIENT_PUB"
	ip netns exec "$NS_SECONDARY" "$TOPO_BUILD/loader/dupgre-ctl" relay add --dev bvpn --peer "$PRIMARY_PUB"
}

# topo_wireguard: userspace WireGuard (wireguard-go on TUN: the machines
# here have no kernel WireGuard) between the client (WG_CLIENT, WG_CLIENT_ADDR,
# port 40001) and the primary (WG_PRIMARY, WG_PRIMARY_ADDR, listening on
# WG_PORT), over path A; MTU 1380 as the guide's tunnels. The handshake
# happens on the first packet. From now on topo_measure measures inside it.
topo_wireguard() {
	command -v wireguard-go >/dev/null && command -v wg >/dev/null ||
		{ echo "three-site: needs wireguard-go and wg (scripts/install-deps)" >&2; return 1; }
	# wireguard-go's UAPI sockets (/var/run/wireguard) are global: unique names.
	WG_CLIENT=wgc$$ WG_PRIMARY=wgp$$
	(umask 077 && wg genkey >"$TOPO_DIR/client.key" && wg genkey >"$TOPO_DIR/primary.key")
	_topo_wg_up "$NS_CLIENT" "$WG_CLIENT" "$WG_CLIENT_ADDR" "$WG_PRIMARY_ADDR" client
	_topo_wg_up "$NS_PRIMARY" "$WG_PRIMARY" "$WG_PRIMARY_ADDR" "$WG_CLIENT_ADDR" primary
	ip netns exec "$NS_PRIMARY" wg set "$WG_PRIMARY" listen-port "$WG_PORT" \
		peer "$(wg pubkey <"$TOPO_DIR/client.key")" allowed-ips "$WG_CLIENT_ADDR/32"
	ip netns exec "$NS_CLIENT" wg set "$WG_CLIENT" listen-port 40001 \
		peer "$(wg pubkey <"$TOPO_DIR/primary.key")" allowed-ips "$WG_PRIMARY_ADDR/32" \
		endpoint "$PRIMARY_PUB:$WG_PORT"
	# wireguard-go (not the kernel's WireGuard) sends by the device the
	# peer's last packet came in by (sticky sockets: IP_PKTINFO's ifindex,
	# and the kernel takes any destination as on-link there): once a copy
	# comes first by the dual link, it would send by the dual link, past
	# the clone program. A changed mark in mangle OUTPUT routes the packet
	# again, without that device: by the WAN.
	ip netns exec "$NS_CLIENT" iptables -t mangle -A OUTPUT -o dual0 -d "$PRIMARY_PUB" \
		-p udp --dport "$WG_PORT" -j MARK --set-mark 0x5767
	ip netns exec "$NS_PRIMARY" iptables -t mangle -A OUTPUT -o bvpn -d "$CLIENT_PUB" \
		-p udp --sport "$WG_PORT" -j MARK --set-mark 0x5767
	TOPO_CLIENT_ADDR=$WG_CLIENT_ADDR TOPO_PRIMARY_ADDR=$WG_PRIMARY_ADDR
}

_topo_wg_up() {  # _topo_wg_up NS DEV ADDR PEER_ADDR KEYNAME
	local sock=/var/run/wireguard/$2.sock i
	TOPO_WG_SOCKS+=("$sock")
	ip netns exec "$1" wireguard-go -f "$2" >"$TOPO_DIR/$2.log" 2>&1 &
	TOPO_PIDS+=("$!")
	# wireguard-go says nothing when it is ready: its socket appears.
	for i in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
	[ -S "$sock" ] || { echo "three-site: wireguard-go $2 did not start" >&2; cat "$TOPO_DIR/$2.log" >&2; return 1; }
	ip netns exec "$1" wg set "$2" private-key "$TOPO_DIR/$5.key"
	ip -n "$1" addr add "$3" peer "$4" dev "$2"
	ip -n "$1" link set "$2" mtu 1380 up
}

topo_secondary_routes() {
	ip -n "$NS_SECONDARY" route replace "$PRIMARY_PUB" dev bvpn
	ip -n "$NS_SECONDARY" route replace "$CLIENT_PUB" dev dual0
}

topo_set() {  # topo_set LINK a2b|b2a|both SPEC
	local dir
	for dir in a2b b2a; do
		if [ "$2" = both ] || [ "$2" = "$dir" ]; then
			"$TOPO_BUILD/tests/tools/linkemu" --control "$TOPO_DIR/$1.sock" --cmd "set $dir $3" >/dev/null
		fi
	done
}

topo_stats() {  # topo_stats LINK: JSON counters of both directions
	"$TOPO_BUILD/tests/tools/linkemu" --control "$TOPO_DIR/$1.sock" --cmd stats
}

topo_reset_stats() {
	local link
	for link in path_a path_b relay; do
		"$TOPO_BUILD/tests/tools/linkemu" --control "$TOPO_DIR/$link.sock" --cmd reset-stats >/dev/null
	done
}

topo_down() {
	local ns dev pid
	for ns in "${TOPO_NAMESPACES[@]}"; do
		# Pins live in the host's bpffs and outlive the namespace.
		ip netns exec "$ns" "$TOPO_BUILD/loader/dupgre-ctl" flush >/dev/null 2>&1 || true
	done
	for pid in "${TOPO_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${TOPO_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
	for ns in "${TOPO_NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
	[ ${#TOPO_WG_SOCKS[@]} -gt 0 ] && rm -f "${TOPO_WG_SOCKS[@]}"
	[ -n "${TOPO_DIR:-}" ] && rm -rf "$TOPO_DIR"
	TOPO_NAMESPACES=()
	TOPO_PIDS=()
	TOPO_WG_SOCKS=()
	TOPO_CLIENT_ADDR=$CLIENT_PUB TOPO_PRIMARY_ADDR=$PRIMARY_PUB
}

# topo_measure FROM TO COUNT RATE [pptprecv options...]: PPTP-like traffic
# from site FROM to site TO (client or primary), COUNT packets at RATE/s,
# numbered from MEASURE_SEQ_START (default 0), between TOPO_CLIENT_ADDR and
# TOPO_PRIMARY_ADDR (the public addresses, or WireGuard's);
# prints the receiver's JSON report (pptprecv models the receiving PPTP
# stack: duplicates dropped, reordering within --timeout, 0.3 s default).
topo_measure() {
	local from=$1 to=$2 count=$3 rate=$4 line report fd pid
	shift 4
	local ns_from=$NS_CLIENT ns_to=$NS_PRIMARY src=$TOPO_CLIENT_ADDR dst=$TOPO_PRIMARY_ADDR
	if [ "$from" = primary ]; then
		ns_from=$NS_PRIMARY ns_to=$NS_CLIENT src=$TOPO_PRIMARY_ADDR dst=$TOPO_CLIENT_ADDR
	fi
	local first=${MEASURE_SEQ_START:-0}
	coproc RECV { ip netns exec "$ns_to" "$TOPO_BUILD/tests/tools/pptprecv" --src "$src" \
		--call-id 7 --count "$count" --seq-start "$first" --ready "$@"; }
	# Bash drops RECV and RECV_PID as soon as the receiver exits (with nothing arriving,
	# it may finish before the sender): read from a copy of its fd.
	exec {fd}<&"${RECV[0]}"
	pid=$RECV_PID
	if ! read -r -t 10 -u "$fd" line || [ "$line" != ready ]; then
		echo "three-site: pptprecv did not start" >&2
		return 1
	fi
	ip netns exec "$ns_from" "$TOPO_BUILD/tests/tools/pptpgen" --dst "$dst" --call-id 7 \
		--count "$count" --rate "$rate" --seq-start "$first" >/dev/null
	read -r -u "$fd" report
	exec {fd}<&-
	wait "$pid" || true
	echo "$report"
}

# binomial_within K N P: K of N is consistent with probability P (99.9 %
# two-sided normal interval, with continuity correction).
binomial_within() {
	awk -v k="$1" -v n="$2" -v p="$3" 'BEGIN {
		m = n * p; s = sqrt(n * p * (1 - p)); z = 3.29
		exit !(k >= m - z * s - 0.5 && k <= m + z * s + 0.5) }'
}
