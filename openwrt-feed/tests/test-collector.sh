#!/usr/bin/env bash
# The prometheus-node-exporter-lua collector (net/dupgre/files/dupgre.lua),
# run by a Lua 5.1 harness that gives it what the exporter gives collectors
# (lua/exporter-harness.lua), fed by the real dupgre-ctl (DUPGRE_CTL, as
# tests/CMakeLists.txt sets it) on a state this test sets up in a network
# namespace: clone attached with a peer, eliminate, traffic counted. The page
# must be dupgre-ctl's own exposition text, every line, valid, with
# node_scrape_collector_success 1; and 0 with the error logged when
# dupgre-ctl fails. No metric names are assumed beyond "dupgre_".
#
#   DUPGRE_CTL=build/loader/dupgre-ctl openwrt-feed/tests/test-collector.sh   (root)
HERE=$(cd "$(dirname "$0")" && pwd)
TREE=$(cd "$HERE/../.." && pwd)
: "${DUPGRE_CTL:?set DUPGRE_CTL to the dupgre-ctl to test}"
DUPGRE_CTL=$(cd "$(dirname "$DUPGRE_CTL")" && pwd)/$(basename "$DUPGRE_CTL")
[ -x "$DUPGRE_CTL" ] || { echo "FATAL: $DUPGRE_CTL is not executable" >&2; exit 1; }
command -v lua5.1 >/dev/null || { echo "FATAL: lua5.1 not found (scripts/install-deps)" >&2; exit 1; }
# lib.sh wants a build dir; only its dupgre-ctl is used here, the one given.
source "$TREE/tests/netns/lib.sh" "$(dirname "$DUPGRE_CTL")"
CTL=$DUPGRE_CTL

# The collector installed as the package installs it.
mkdir -p "$TMP/lua/prometheus-collectors"
cp "$TREE/openwrt-feed/net/dupgre/files/dupgre.lua" "$TMP/lua/prometheus-collectors/"
API=out
scrape() { # scrape NS DUPGRE_CTL: the exporter's page; stderr to $TMP/err
	ip netns exec "$1" env DUPGRE_CTL="$2" \
		lua5.1 "$HERE/lua/exporter-harness.lua" "$TMP/lua" dupgre "$API" 2>"$TMP/err"
}

# site: a0 198.18.0.1/30, the WAN, cloning into the tunnel t0; far: a1.
ns_add site
ns_add far
veth_pair "$site" a0 198.18.0.1/30 "$far" a1 198.18.0.2/30
ip -n "$site" tuntap add mode tun name t0
ip -n "$site" link set t0 up
ctl "$site" attach --dev a0 --clone-to t0
ctl "$site" peer add --dev a0 198.18.0.2
ctl "$site" eliminate add --dev a0 --mode monitor
# Three datagrams out of a0: TC egress runs in the sender's write(), and the
# neighbour is permanent, so they are counted when the writes return.
in_ns "$site" bash -c 'for i in 1 2 3; do echo dupgre >/dev/udp/198.18.0.2/9; done'

# Today's exporter (out:write), then the ones before 2025 (output()).
for API in out output; do
echo "# the exporter's API: $API"
rc=0; page=$(scrape "$site" "$CTL") || rc=$?
check_eq "the harness runs the collector" 0 "$rc"
check "no error on stderr" test ! -s "$TMP/err"
[ -s "$TMP/err" ] && sed 's/^/    /' "$TMP/err"
check_eq "node_scrape_collector_success" 'node_scrape_collector_success{collector="dupgre"} 1' \
	"$(grep '^node_scrape_collector_success' <<<"$page")"

# dupgre-ctl's text, every line of it, in order and nothing else (no traffic
# runs between the two reads, so the counters are the same).
own=$(ctl "$site" stats --format prometheus)
collected=$(grep -v -e '^node_scrape_collector_success' -e '^# TYPE node_scrape_collector_success' <<<"$page")
check "dupgre-ctl's output has samples" grep -q '^dupgre_[a-z_]*{device="a0"' <<<"$own"
check "the page is dupgre-ctl's exposition text, line for line" test "$own" = "$collected"
[ "$own" = "$collected" ] || { diff <(echo "$own") <(echo "$collected") || true; } | head -10 | sed "s/^/    /"
check "traffic is counted: a sample for a0 is above 0" \
	grep -Eq '^dupgre_[a-z_]*\{device="a0"[^}]*\} [1-9][0-9]*$' <<<"$page"
# Exposition format: comments, or name{labels} value, and one TYPE per name.
check "every line is a comment or a sample" bash -c '! grep -Evx \
	"# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .*|[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-z_]+=\"[^\"]*\"(,[a-z_]+=\"[^\"]*\")*\})? [-+0-9.eInf]+" <<<"$1"' _ "$page"
check "one TYPE line per metric" test -z "$(grep '^# TYPE ' <<<"$page" | awk '{print $3}' | sort | uniq -d)"
check "no empty lines" bash -c '! grep -qx "" <<<"$1"' _ "$page"
done

# dupgre-ctl failing (here: no bpffs where it looks, simulated by a
# dupgre-ctl that fails like it): the scrape fails, and says why.
printf '#!/bin/sh\necho "dupgre-ctl: no bpffs at /sys/fs/bpf" >&2\nexit 1\n' >"$TMP/failing-ctl"
chmod +x "$TMP/failing-ctl"
page=$(scrape "$site" "$TMP/failing-ctl")
check_eq "dupgre-ctl fails: success 0" 'node_scrape_collector_success{collector="dupgre"} 0' \
	"$(grep '^node_scrape_collector_success' <<<"$page")"
check "dupgre-ctl fails: no dupgre samples" bash -c '! grep -q "^dupgre_" <<<"$1"' _ "$page"
check "dupgre-ctl fails: its message is logged" grep -q 'dupgre-ctl stats failed: dupgre-ctl: no bpffs' "$TMP/err"

finish
