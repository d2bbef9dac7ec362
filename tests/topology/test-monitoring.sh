#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Monitoring on the three-site bench: cloning on the client, relay on the
# secondary, elimination on the primary, 10 % loss on each path. The
# exposition passes `promtool check metrics` in every form (stats, the
# textfile, serve's /metrics), and its values are the traffic tools' own
# counts: pptpgen's packets cloned, pptprecv's delivered and lost. Then
# `top` under tmux shows the rows with live traffic and gives the terminal
# back after q.
source "$(dirname "$0")/../netns/lib.sh" "$1"
source "$(dirname "$0")/three-site.sh"
trap 'tmux -L "$TMUX_SOCK" kill-server 2>/dev/null || true; topo_down; cleanup' EXIT
TMUX_SOCK=dupgre-top-$$
COUNT=2000
RATE=400
PORT=9473

topo_up "dg-mon-$$-" "$BUILD"
topo_relay
ctl "$NS_CLIENT" attach --dev wan0 --clone-to dual0
ctl "$NS_CLIENT" peer add --dev wan0 "$PRIMARY_PUB"
ctl "$NS_PRIMARY" eliminate add --dev wan0 --reset-ms 30000
ctl "$NS_PRIMARY" eliminate add --dev bvpn
topo_set path_a both "loss=0.1 delay=15ms"
topo_set path_b both "loss=0.1 delay=25ms"

coproc SERVE { exec ip netns exec "$NS_PRIMARY" "$CTL" serve --listen "127.0.0.1:$PORT" --window 60 2>&1; }
SERVE_PID=$SERVE_PID
PIDS+=("$SERVE_PID")
exec {SERVE_OUT}<&"${SERVE[0]}"
read -r -t 10 -u "$SERVE_OUT" line
check "serve listens in the primary" grep -q "listening on" <<<"$line"

echo "# $COUNT packets, 10 % loss on each path"
main=$(topo_measure client primary "$COUNT" "$RATE")
echo "     $main"
topo_set path_a both "delay=15ms"
topo_set path_b both "delay=25ms"
# A loss-free tail pushes every measured number out of the window.
tail=$(MEASURE_SEQ_START=$COUNT topo_measure client primary 100 "$RATE")
delivered=$(( $(jq .delivered <<<"$main") + $(jq .delivered <<<"$tail") ))
lost=$(jq .lost <<<"$main")

# metric FILE NAME{LABELS}: one sample's value.
metric() { awk -v m="$2" '$1 == m { print $2 }' "$1"; }
expect_values() {  # expect_values WHAT FILE_PRIMARY FILE_CLIENT
	check_eq "$1: lost = what the receiver lost" "$lost" "$(metric "$2" dupgre_eliminate_lost_packets_total)"
	sum_passed=$(awk '/^dupgre_eliminate_packets_total\{.*result="passed"\}/ { s += $2 } END { print s + 0 }' "$2")
	check_eq "$1: passed on both paths = delivered" "$delivered" "$sum_passed"
	[ -n "$3" ] && check_eq "$1: every packet sent was cloned" "$((COUNT + 100))" \
		"$(metric "$3" 'dupgre_clone_cloned_packets_total{device="wan0"}')"
	return 0
}

echo "# stats --format prometheus"
ctl "$NS_PRIMARY" stats --format prometheus >"$TMP/primary.prom"
ctl "$NS_CLIENT" stats --format prometheus >"$TMP/client.prom"
check "promtool check metrics: the primary's" promtool check metrics <"$TMP/primary.prom"
check "promtool check metrics: the client's" promtool check metrics <"$TMP/client.prom"
expect_values stats "$TMP/primary.prom" "$TMP/client.prom"
check_eq "matched, all classes = packets sent" "$((COUNT + 100))" \
	"$(awk '/^dupgre_clone_matched_packets_total\{device="wan0"/ { s += $2 } END { print s + 0 }' "$TMP/client.prom")"

echo "# stats --textfile"
mkdir "$TMP/textfile"
ctl "$NS_PRIMARY" stats --textfile "$TMP/textfile"
check "promtool check metrics: the textfile" promtool check metrics <"$TMP/textfile/dupgre.prom"
check "the textfile is the exposition" cmp "$TMP/textfile/dupgre.prom" "$TMP/primary.prom"
check_eq "nothing else left in the directory" "dupgre.prom" "$(ls -A "$TMP/textfile")"
out=$(ctl "$NS_PRIMARY" stats --textfile "$TMP/missing" 2>&1) && rc=0 || rc=$?
check_eq "a missing directory: exit 1" 1 "$rc"
check_eq "and one line" "dupgre-ctl: cannot write the textfile in '$TMP/missing': No such file or directory" "$out"
mkdir "$TMP/ro"
out=$(unshare -m bash -c "mount -t tmpfs -o ro none '$TMP/ro' && ip netns exec '$NS_PRIMARY' '$CTL' stats --textfile '$TMP/ro'" 2>&1) || true
check_eq "a read-only directory: one line" "dupgre-ctl: cannot write the textfile in '$TMP/ro': Read-only file system" "$out"

echo "# serve's /metrics"
# Wait for a sample taken after the traffic: passed reaches the count.
for _ in $(seq 100); do
	in_ns "$NS_PRIMARY" curl -sf "http://127.0.0.1:$PORT/metrics" >"$TMP/serve.prom" || true
	sum=$(awk '/^dupgre_eliminate_packets_total\{.*result="passed"\}/ { s += $2 } END { print s + 0 }' "$TMP/serve.prom")
	[ "$sum" -ge "$delivered" ] && break
	read -r -t 0.1 -u "$SERVE_OUT" _ || true
done
check "promtool check metrics: /metrics" promtool check metrics <"$TMP/serve.prom"
expect_values /metrics "$TMP/serve.prom" ""
check "/metrics has the derived gauges" grep -q '^dupgre_eliminate_rescued_packets_per_second{device="bvpn"}' "$TMP/serve.prom"
loss=$(metric "$TMP/serve.prom" dupgre_eliminate_effective_loss_ratio)
check "effective loss over the window is about 1 % ($loss)" \
	awk -v l="$loss" 'BEGIN { exit !(l > 0.001 && l < 0.03) }'
p50=$(metric "$TMP/serve.prom" 'dupgre_eliminate_copy_gap_percentile_seconds{device="bvpn",percentile="50"}')
check "path B's median copy gap is about 10 ms ($p50 s)" awk -v p="$p50" 'BEGIN { exit !(p > 0.004 && p < 0.032) }'
in_ns "$NS_PRIMARY" curl -sf -H 'Accept: application/openmetrics-text' "http://127.0.0.1:$PORT/metrics" >"$TMP/serve.om"
check_eq "OpenMetrics ends with # EOF" "# EOF" "$(tail -n1 "$TMP/serve.om")"

echo "# top under tmux, with live traffic"
stty_file=$TMP/stty
tmux -L "$TMUX_SOCK" -f /dev/null new-session -d -x 80 -y 24 "bash --norc --noprofile"
tmux -L "$TMUX_SOCK" send-keys "PS1='prompt> '; stty -g >$stty_file.before; ip netns exec $NS_PRIMARY $CTL top; stty -g >$stty_file.after; echo top-exited-\$?" Enter
MEASURE_SEQ_START=5000 topo_measure client primary 4000 "$RATE" >"$TMP/live.json" &
live=$!
screen_has() { tmux -L "$TMUX_SOCK" capture-pane -p >"$TMP/pane"; grep -qE "$1" "$TMP/pane"; }
seen=no
for _ in $(seq 100); do
	# bvpn's passed column above zero: top shows live rates.
	if screen_has '^  bvpn +[0-9.]+ +[0-9.]+ +[0-9.]+ +[1-9]'; then seen=yes; break; fi
	read -r -t 0.1 -u "$SERVE_OUT" _ || true
done
cat "$TMP/pane"
check_eq "top shows path B's rates with live traffic" yes "$seen"
check "a clone-less receiver: the ELIMINATE rows" grep -q '^ELIMINATE' "$TMP/pane"
check "path A's row" grep -qE '^  wan0 +[0-9]' "$TMP/pane"
check "the effective loss" grep -q 'effective loss' "$TMP/pane"
check "the copy-gap chart" grep -q '^COPY GAP' "$TMP/pane"
check "the order stage's place" grep -q '^ORDER' "$TMP/pane"
check "fits 80 columns" awk 'length > 80 { exit 1 }' "$TMP/pane"
tmux -L "$TMUX_SOCK" send-keys q
for _ in $(seq 50); do
	screen_has '^top-exited-' && break
	read -r -t 0.1 -u "$SERVE_OUT" _ || true
done
check "q quits top with status 0" grep -q '^top-exited-0' "$TMP/pane"
check "the screen is the shell's again" bash -c "! grep -q '^ELIMINATE' '$TMP/pane'"
check "the terminal settings are restored" cmp "$stty_file.before" "$stty_file.after"
tmux -L "$TMUX_SOCK" send-keys "ip netns exec $NS_PRIMARY $CTL top | cat; echo piped-\${PIPESTATUS[0]}" Enter
for _ in $(seq 50); do
	screen_has '^piped-' && break
	read -r -t 0.1 -u "$SERVE_OUT" _ || true
done
check "stdout not a terminal: one clear error" \
	grep -q '^dupgre-ctl: top needs a terminal: stdout is not a tty' "$TMP/pane"
check "and exit 1" grep -q '^piped-1' "$TMP/pane"
wait "$live" || true
finish
