#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# contrib/: the alert rules pass `promtool check rules` and their own unit
# tests (`promtool test rules`), the dashboard is valid JSON, and every
# dupgre metric named in the dashboard's and the rules' expressions is one
# dupgre-ctl really exports: the names come from `serve`'s /metrics (every
# family's TYPE line, with the derived gauges) and `stats --format
# prometheus`, in a namespace of this test's own.
source "$(dirname "$0")/../netns/lib.sh" "$1"
CONTRIB=$(cd "$(dirname "$0")/../../contrib" && pwd)
PORT=9473

check "promtool check rules" promtool check rules "$CONTRIB/prometheus/alerts.yml"
check "promtool test rules (the alerts' unit tests)" \
	bash -c "cd '$CONTRIB/prometheus' && promtool test rules alerts_test.yml"
check "the dashboard is JSON with panels" jq -e '.panels | length > 0' "$CONTRIB/grafana/dupgre.json"

ns_add NS
# serve prints one line on stderr once it listens; the derived gauges come
# with the second sample, a second later: wait for them, not for a time.
coproc SERVE { exec ip netns exec "$NS" "$CTL" serve --listen "127.0.0.1:$PORT" 2>&1; }
PIDS+=("$SERVE_PID")
read -r -t 10 -u "${SERVE[0]}" line
check "serve starts" grep -q "listening on" <<<"$line"
for _ in $(seq 100); do
	in_ns "$NS" curl -sf "http://127.0.0.1:$PORT/metrics" >"$TMP/metrics" || true
	grep -q '^# TYPE dupgre_derived_window_seconds gauge' "$TMP/metrics" && break
	read -r -t 0.1 -u "${SERVE[0]}" _ || true
done
ctl "$NS" stats --format prometheus >"$TMP/stats"
# Every sample name a family gives: counters as written, a histogram's
# _bucket, _sum and _count.
awk '$1 == "#" && $2 == "TYPE" {
	print $3
	if ($4 == "histogram") { print $3 "_bucket"; print $3 "_sum"; print $3 "_count" }
}' "$TMP/metrics" "$TMP/stats" | sort -u >"$TMP/exported"
echo "     $(wc -l <"$TMP/exported") metric names exported"
check "the derived gauges are among them" grep -qx dupgre_eliminate_effective_loss_ratio "$TMP/exported"

{
	jq -r '.. | objects | (.expr?, .definition?, (.query? | if type == "object" then .query else . end)) // empty' \
		"$CONTRIB/grafana/dupgre.json"
	grep -E '^\s+expr:' -A8 "$CONTRIB/prometheus/alerts.yml"
	grep -E "series: " "$CONTRIB/prometheus/alerts_test.yml"
} | grep -o 'dupgre_[a-z0-9_]*' | sort -u >"$TMP/used"
echo "     $(wc -l <"$TMP/used") metric names used by the dashboard and the alerts"
check "the dashboard and the alerts use metrics" test -s "$TMP/used"
unknown=$(comm -23 "$TMP/used" "$TMP/exported")
check_eq "every metric they use is exported" "" "$unknown"
finish
