#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# bench/routercost's comparison inside the 32-bit MIPS guest (busybox sh),
# run by vmtests/arch-tests mipsel --bench as the guest's only job; the
# host reads its console (bench/routercost --guest LOG).
#
#   routercost-guest.sh BIN_DIR ROUNDS TARGET_MS
#
# The same namespaces, cells and checks as bench/routercost, made with
# busybox (unshare --net=FILE and nsenter for `ip netns`; TUNs made
# persistent by sendbench --make-tun, busybox has no `ip tuntap`), with
# these differences, all forced by the guest: path A is a dummy device
# (no qdisc, its transmit frees the packet, like the host's ifb, which
# this kernel's busybox tc cannot strip of its qdisc); path B of the
# userspace duplicator is routed by a less specific route via t0 (busybox
# `ip rule` has no oif; a socket bound to t0 skips d0's route and takes
# it); iptables is the legacy backend and runs only if the guest has
# iptables. One CPU: everything on CPU 0.
#
# Under qemu -icount shift=0 every guest instruction advances the virtual
# clock by 1 ns, so the CPU times sendbench reads are instruction counts
# times the rate the kernel calibrated its clock to; sendbench --calibrate
# (a loop of known instructions) measures that factor, before and after.
# Output: sendbench's sample/total lines, then "check WHAT: GOT ok|FAIL
# (want N)" and "info KEY VALUE" lines, between
#   routercost-guest: begin   and   routercost-guest: end
BIN=${1:-/tests} ROUNDS=${2:-21} TARGET_MS=${3:-50}
PEER=198.19.0.1 GW=10.200.0.2
# benchctl: dupgre-ctl's attach, peer add, stats and status (a static
# dupgre-ctl cannot be linked for mipsel: bench/benchctl.cpp).
CTL=$BIN/dupgre_bench_ctl SEND=$BIN/dupgre_bench_send
mkdir -p /run/netns /sbin /usr/bin /usr/sbin
busybox --install -s 2>/dev/null  # the applets the arch-tests initramfs does not link
CELLS=""

n() { ns=$1; shift; nsenter --net="/run/netns/$ns" "$@"; }
ns_add() {
	touch "/run/netns/$1"
	unshare --net="/run/netns/$1" true || { echo "routercost-guest: unshare failed"; return 1; }
	n "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null
	n "$1" ip link set lo up
	n "$1" ip link add d0 type dummy
	n "$1" ip addr add 198.18.0.1/24 dev d0
	n "$1" ip link set d0 up
	n "$1" ip route add 198.19.0.0/16 dev d0
	"$SEND" --make-tun "$1:t0"
	n "$1" ip addr add 10.200.0.1 peer $GW dev t0
	n "$1" ip link set t0 up
	CELLS="$CELLS --tun $1:t0"
}
echo "routercost-guest: begin"
for c in base base2; do
	ns_add $c
	CELLS="$CELLS --cell $c/gre:$c:gre:$PEER --cell $c/wg:$c:wg:$PEER"
done
CELLS="$CELLS --cell base/wgB:base:wg:$GW"
# dupgre with the eBPF JIT (as the vm-mipsel tests check it compiles every
# program) and, for reference, the same loaded while the JIT is off (the
# interpreter): the JIT compiles a program when it is loaded.
jit=/proc/sys/net/core/bpf_jit_enable
echo 0 >$jit
ns_add dupgre-wg-interp
n dupgre-wg-interp "$CTL" attach d0 t0 wireguard >/dev/null
n dupgre-wg-interp "$CTL" peer-add d0 $PEER:51820
CELLS="$CELLS --cell dupgre-wg-interp/wg:dupgre-wg-interp:wg:$PEER"
echo 1 >$jit
ns_add dupgre-wg
n dupgre-wg "$CTL" attach d0 t0 wireguard >/dev/null
n dupgre-wg "$CTL" peer-add d0 $PEER:51820
CELLS="$CELLS --cell dupgre-wg/wg:dupgre-wg:wg:$PEER"
ns_add dupgre-pptp
n dupgre-pptp "$CTL" peer-add d0 $PEER
n dupgre-pptp "$CTL" attach d0 t0 >/dev/null
CELLS="$CELLS --cell dupgre-pptp/gre:dupgre-pptp:gre:$PEER"
IPT=
# Debian's iptables package, unpacked: iptables is an alternative its
# postinst would make; the legacy backend needs fewer modules.
IPTABLES=$(command -v iptables-legacy)
if [ -n "$IPTABLES" ]; then
	IPT="ipt tee-wg"
	. /bench/dupgre-chain.sh
	ns_add ipt
	iptables() { n ipt "$IPTABLES" "$@"; }
	iptables -t mangle -N dupgre
	PPP_REMOTE=$GW guide_fill_dupgre_chain
	iptables -t mangle -A OUTPUT -d $PEER -j dupgre
	unset -f iptables
	CELLS="$CELLS --cell ipt/gre:ipt:gre:$PEER"
	ns_add tee-wg
	n tee-wg "$IPTABLES" -t mangle -A OUTPUT -d $PEER -p udp --dport 51820 -j TEE --gateway $GW
	CELLS="$CELLS --cell tee-wg/wg:tee-wg:wg:$PEER"
fi
ns_add userdup
n userdup ip route add 198.18.0.0/15 dev t0
: >/tmp/count
# nsenter execs userdup (no shell function between): $! is userdup's pid,
# whose CPU sendbench counts.
nsenter --net=/run/netns/userdup "$BIN/dupgre_bench_userdup" --listen 127.0.0.1:51820 --path d0:198.18.0.1 \
	--path t0:10.200.0.1 --to $PEER:51820 --cpu 0 --count /tmp/count 2>/tmp/userdup.err &
udpid=$!
i=0
while ! grep -q ready /tmp/userdup.err && [ $i -lt 60 ]; do sleep 1; i=$((i + 1)); done
cat /tmp/userdup.err
CELLS="$CELLS --cell userdup/wg:userdup:wg:127.0.0.1 --helper userdup/wg:$udpid:/tmp/count"

# (busybox has no pgrep here)
# How many instructions a guest CPU ns is (before and after: it must not move).
"$SEND" --cpu 0 --calibrate 1000000
softirqd=$(grep -lx ksoftirqd/0 /proc/[0-9]*/comm | cut -d/ -f3)
# shellcheck disable=SC2086 # CELLS is a word list
"$SEND" --cpu 0 --rounds "$ROUNDS" --target-ms "$TARGET_MS" --extra-cpu "$softirqd" $CELLS >/tmp/send.txt
echo "routercost-guest: sendbench exit $?"
"$SEND" --cpu 0 --calibrate 1000000
kill "$udpid"
wait "$udpid"
cat /tmp/send.txt

# The checks of bench/routercost, with dummy's tx_packets for ifb's rx_dropped.
# A device's counters from /proc/net/dev (per namespace, unlike /sys, which
# shows the namespace that mounted it): devstat NS DEV tx_packets|tx_dropped.
devstat() {
	n "$1" cat /proc/net/dev | tr ':' ' ' | awk -v d="$2" -v f="$3" \
		'$1 == d { print (f == "tx_packets") ? $11 : $13 }'
}
qlen() { n "$1" ip link show "$2" | sed -n 's/.* qlen \([0-9]*\).*/\1/p'; }
check() {
	if [ "$2" = "$3" ]; then echo "check $1: $2 ok"; else echo "check $1: $2 FAIL (want $3)"; fi
}
for c in base base2 dupgre-pptp $IPT dupgre-wg dupgre-wg-interp userdup; do
	sent=$(awk -v c="$c/" '$1 == "total" && index($2, c) == 1 && $2 != "base/wgB" { s += $3 } END { print s + 0 }' /tmp/send.txt)
	want=$sent
	case $c in base2) want=0 ;; base) want=$(awk '$1 == "total" && $2 == "base/wgB" { print $3 }' /tmp/send.txt) ;; esac
	[ "$want" = 0 ] || want=$((want - $(qlen $c t0)))
	check "$c packets at t0" $(($(devstat $c t0 tx_packets) + $(devstat $c t0 tx_dropped))) $want
	check "$c packets out of d0" "$(devstat $c d0 tx_packets)" "$sent"
	case $c in
	dupgre-*)
		j=$(n $c "$CTL" stats d0 | tr -d ' \n')
		get() { echo "$j" | grep -o "\"$1\":[0-9]*" | head -1 | cut -d: -f2; }
		check "$c dupgre cloned + xmit_drops" $(($(get cloned) + $(get xmit_drops))) "$sent"
		check "$c dupgre errors" "$(get errors)" 0 ;;
	userdup)
		check "userdup received" "$(sed -n 's/^userdup: received \([0-9]*\) .*/\1/p' /tmp/userdup.err)" "$sent" ;;
	esac
done
echo "info kernel $(uname -rm)"
echo "info cpu $(sed -n 's/^cpu model[[:space:]]*: //p' /proc/cpuinfo | head -1)"
echo "info clock $(dmesg | grep -m1 -o 'sched_clock: .*')"
echo "info clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
echo "info bpf_jit_enable $(cat $jit)"
echo "info attach $(n dupgre-wg "$CTL" status d0 | tr -d ' \n' | grep -o '"attach":"[a-z]*"' | head -1)"
echo "routercost-guest: end"
