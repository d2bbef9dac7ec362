#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# dupgre-ctl serve on loopback in a namespace of its own: 200 concurrent
# clients for 30 s (httpload checks every response), the server's RSS and
# open descriptors flat; a slow client, an oversized and a malformed
# request answered or closed without affecting the others; read-only;
# OpenMetrics on request; one line when the port is taken; a clean stop on
# SIGTERM.
source "$(dirname "$0")/lib.sh" "$1"
HTTPLOAD="$BUILD/tests/httpload"
PORT=9473
MAXCONN=64
URL="http://127.0.0.1:$PORT"

ns_add NS
# Some state, so /metrics has samples: a peer on a device.
ip -n "$NS" link add d0 type veth peer name d1
ctl "$NS" peer add --dev d0 198.18.0.9

coproc SERVE { exec ip netns exec "$NS" "$CTL" serve --listen "127.0.0.1:$PORT" --max-connections "$MAXCONN" 2>&1; }
SERVE_PID=$SERVE_PID
PIDS+=("$SERVE_PID")
exec {SERVE_OUT}<&"${SERVE[0]}"
read -r -t 10 -u "$SERVE_OUT" line
check "serve says where it listens" grep -q "listening on http://127.0.0.1:$PORT/metrics" <<<"$line"
fds_before=$(ls "/proc/$SERVE_PID/fd" | wc -l)

echo "# the port taken: one line, exit 1"
out=$(ctl "$NS" serve --listen "127.0.0.1:$PORT" 2>&1) && rc=0 || rc=$?
check_eq "a second serve on the port fails" 1 "$rc"
check_eq "with one clear line" "dupgre-ctl: cannot listen on 127.0.0.1:$PORT: Address already in use" "$out"
out=$(ctl "$NS" serve --listen "198.18.0.1:$PORT" 2>&1) || true
check_eq "an address not here: one line" \
	"dupgre-ctl: cannot listen on 198.18.0.1:$PORT: Cannot assign requested address" "$out"

echo "# read-only, formats"
status() { in_ns "$NS" curl -s -o /dev/null -w '%{http_code}' "$@"; }
check_eq "GET /metrics" 200 "$(status "$URL/metrics")"
check_eq "HEAD /metrics" 200 "$(status -I "$URL/metrics")"
check_eq "POST is refused" 405 "$(status -X POST -d x "$URL/metrics")"
check_eq "DELETE is refused" 405 "$(status -X DELETE "$URL/metrics")"
check "405 says what is allowed" bash -c "ip netns exec $NS curl -si -X PUT $URL/metrics | grep -q '^Allow: GET, HEAD'"
check_eq "unknown path" 404 "$(status "$URL/nothing")"
check_eq "/healthz" ok "$(in_ns "$NS" curl -s "$URL/healthz")"
in_ns "$NS" curl -s "$URL/metrics" >"$TMP/text"
check "the text format passes promtool check metrics" promtool check metrics <"$TMP/text"
check "it has the peer's device" grep -q 'dupgre_clone_peers{device="d0"} 1' "$TMP/text"
PROM_ACCEPT='application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1'
in_ns "$NS" curl -s -D "$TMP/om.head" -H "Accept: $PROM_ACCEPT" "$URL/metrics" >"$TMP/om"
check "Prometheus's Accept gets OpenMetrics 1.0.0" \
	grep -qi '^Content-Type: application/openmetrics-text; version=1.0.0; charset=utf-8' "$TMP/om.head"
check_eq "which ends with # EOF" "# EOF" "$(tail -n1 "$TMP/om")"
check "counter families without _total in TYPE" grep -qx '# TYPE dupgre_clone_cloned_packets counter' "$TMP/om"
check "samples as in the text format" diff <(grep -v '^#' "$TMP/text") <(grep -v '^#' "$TMP/om")

echo "# 200 clients for 30 s, and three abusive ones"
"$HTTPLOAD" --help >/dev/null
result=$(in_ns "$NS" "$HTTPLOAD" --port "$PORT" --clients 200 --keepalive 20 --seconds 30 --timeout 20 \
	--watch "$SERVE_PID" --warmup 5 --abuse --expect 'dupgre_clone_peers{device="d0"} 1' \
	--content-type "text/plain; version=0.0.4; charset=utf-8")
echo "     $result"
j() { jq -r "$1" <<<"$result"; }
check "thousands of responses" test "$(j .ok)" -gt 5000
check_eq "every response valid" 0 "$(j .bad)"
check_eq "no refused connection" 0 "$(j .connect_errors)"
check "RSS flat after warm-up (max - min < 1 MiB)" test $(( $(j .rss_kb_max) - $(j .rss_kb_min) )) -lt 1024
check "open descriptors bounded by --max-connections" test "$(j .fds_max)" -le $((fds_before + MAXCONN + 2))
check_eq "the malformed request: 400" 400 "$(j .abuse.malformed.status)"
check "the oversized request: 413/414/431" grep -qE '^(413|414|431)$' <<<"$(j .abuse.oversized.status)"
check_eq "the slow client: closed" true "$(j .abuse.slow.closed)"
check "after the 10 s per connection" awk -v t="$(j .abuse.slow.closed_after)" 'BEGIN { exit !(t >= 9 && t <= 13) }'
# Every connection gone: the descriptors come back to what they were.
for _ in $(seq 50); do
	[ "$(ls "/proc/$SERVE_PID/fd" | wc -l)" -eq "$fds_before" ] && break
	read -r -t 0.1 -u "$SERVE_OUT" _ || true
done
check_eq "descriptors as before the load" "$fds_before" "$(ls "/proc/$SERVE_PID/fd" | wc -l)"

echo "# SIGTERM"
kill -TERM "$SERVE_PID"
read -r -t 10 -u "$SERVE_OUT" line || line=timeout
check_eq "serve says it stopped" "dupgre-ctl serve: stopped" "$line"
wait "$SERVE_PID" && rc=0 || rc=$?
check_eq "and exits 0" 0 "$rc"
finish
