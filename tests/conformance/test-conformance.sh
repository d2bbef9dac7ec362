#!/bin/bash
# Conformance: dupgre's clone decisions against the kernel's own iptables u32
# + TEE rules from the guide (docs/guide.md), on a generated
# corpus. Usage: test-conformance.sh BUILD_DIR   (root)
# CONFORMANCE_SEED=N picks another corpus; CONFORMANCE_FUZZ=N (default 1500,
# at most ~30000) makes its fuzzed part larger.
#
# Each corpus packet is sent once, through a raw socket, to a peer address
# routed out of veth cv0. On the way, mangle OUTPUT runs the guide's rules,
# whose TEE copies go to TUN tee0; then dupgre's program on cv0's egress
# clones into TUN bpf0. pktcap prints what arrives on each TUN; every packet
# has its own IPv4 id, which the copies keep, and conformance_check compares
# the two sets of ids, the copies' bytes and both sides' counters.
# Everything happens in two namespaces created here and always removed.
set -euo pipefail

BUILD=$(realpath "${1:?usage: test-conformance.sh BUILD_DIR}")
CTL=$BUILD/loader/dupgre-ctl
PKTSEND=$BUILD/tests/pktsend
PKTCAP=$BUILD/tests/pktcap
CORPUS=$BUILD/tests/conformance/conformance_corpus
CHECK=$BUILD/tests/conformance/conformance_check
SEED=${CONFORMANCE_SEED:-1}
FUZZ=${CONFORMANCE_FUZZ:-1500}

if [ "$(id -u)" != 0 ]; then
	echo "conformance: needs root (namespaces, iptables, BPF)" >&2
	exit 1
fi
for bin in "$CTL" "$PKTSEND" "$PKTCAP" "$CORPUS" "$CHECK"; do
	[ -x "$bin" ] || { echo "conformance: $bin not built" >&2; exit 1; }
done

NS=conf-$$
SINK=conf-$$-sink
SRC=198.18.0.1           # cv0
SINK_ADDR=198.18.0.2     # cs0, the next hop towards the peers
PEERS="198.19.1.1 198.19.1.2"
OTHER=198.19.2.1         # routed the same way, but not a peer
PPP_REMOTE=10.200.0.2    # TEE's gateway, through tee0
MARKER_ID=65535          # the corpus' last packet: both copies of it mean "done"
START=$SECONDS
WORK=$(mktemp -d /tmp/conformance.XXXXXX)
declare -A CAP  # TUN name -> its pktcap's pid

in_ns() { ip netns exec "$NS" "$@"; }

cleanup() {
	local rc=$?
	set +e
	for pid in "${CAP[@]}"; do kill "$pid" 2>/dev/null; done
	wait 2>/dev/null
	if [ -e "/run/netns/$NS" ]; then
		in_ns "$CTL" detach --dev cv0 >/dev/null
		ip netns del "$NS"
	fi
	[ -e "/run/netns/$SINK" ] && ip netns del "$SINK"
	rm -rf "$WORK"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Waits up to 20 s for a command to succeed: for events, never as a delay.
wait_for() {
	local what=$1 deadline=$((SECONDS + 20))
	shift
	until "$@"; do
		[ $SECONDS -lt $deadline ] || { echo "conformance: timed out waiting for $what" >&2; return 1; }
		sleep 0.05
	done
}

# --- Namespaces: cv0 to a sink that drops everything; IPv6 off, so the TUNs
#     see only what the test sends.
ip netns add "$NS"
ip netns add "$SINK"
for ns in "$NS" "$SINK"; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	ip -n "$ns" link set lo up
done
ip -n "$NS" link add cv0 type veth peer name cs0 netns "$SINK"
ip -n "$NS" addr add $SRC/24 dev cv0
ip -n "$SINK" addr add $SINK_ADDR/24 dev cs0
ip -n "$NS" link set cv0 up
ip -n "$SINK" link set cs0 up
ip -n "$NS" neigh replace $SINK_ADDR lladdr "$(ip netns exec "$SINK" cat /sys/class/net/cs0/address)" dev cv0 nud permanent
ip -n "$NS" route add 198.19.0.0/16 via $SINK_ADDR dev cv0
# The sink neither routes nor answers (no ICMP errors back into $NS).
ip netns exec "$SINK" iptables -t raw -A PREROUTING -j DROP

# --- The two TUNs, each read by a pktcap that stops after the marker.
for tun in tee0 bpf0; do
	ip netns exec "$NS" "$PKTCAP" --tun $tun --until-id $MARKER_ID >"$WORK/$tun.hex" 2>"$WORK/$tun.err" &
	CAP[$tun]=$!
	wait_for "pktcap on $tun" grep -q ready "$WORK/$tun.err"
	# Any corpus (< 65536 ids) fits in the TUN's queue even if pktcap falls behind.
	ip -n "$NS" link set $tun txqueuelen 65536 up
done
ip -n "$NS" addr add 10.200.0.1 peer $PPP_REMOTE dev tee0

source "$(dirname "$0")/../guide/dupgre-chain.sh"
# --- The guide's rules, verbatim (ip-up.d/ip-up-dupgre, lines 138-159), and its
#     per-client jump (ip-up of the client link).
iptables() { ip netns exec "$NS" iptables "$@"; }  # so that the lines below stay verbatim
iptables -t mangle -N dupgre

guide_fill_dupgre_chain

for peer in $PEERS; do
	iptables -t mangle -I OUTPUT -d "$peer" -j dupgre
done
unset -f iptables

# --- dupgre, for the same peers.
in_ns "$CTL" peer add --dev cv0 $PEERS
in_ns "$CTL" attach --dev cv0 --clone-to bpf0

# --- Send the corpus; both pktcaps end with the marker's copy.
corpus_args=(--seed "$SEED" --fuzz "$FUZZ" --src $SRC --other $OTHER)
for peer in $PEERS; do corpus_args+=(--peer "$peer"); done
"$CORPUS" "${corpus_args[@]}" --meta "$WORK/corpus.meta" >"$WORK/corpus.hex"
in_ns "$PKTSEND" <"$WORK/corpus.hex"
rc=0
for tun in tee0 bpf0; do
	if ! wait_for "the marker's copy on $tun" eval "! kill -0 ${CAP[$tun]} 2>/dev/null"; then
		kill "${CAP[$tun]}"  # and compare what did arrive, to show what is missing
		rc=1
	fi
done

# --- Compare.
in_ns "$CTL" -j stats --dev cv0 >"$WORK/stats.json"
ipt=$(in_ns iptables -t mangle -L dupgre -v -x -n | awk 'NR > 2 { print $1 }' | xargs)
"$CHECK" --corpus "$WORK/corpus.hex" --meta "$WORK/corpus.meta" --tee "$WORK/tee0.hex" \
	--bpf "$WORK/bpf0.hex" --stats "$WORK/stats.json" --ipt "$ipt" || rc=$?
echo "conformance: seed $SEED, $((SECONDS - START)) s, $([ $rc = 0 ] && echo PASS || echo FAIL)"
exit $rc
