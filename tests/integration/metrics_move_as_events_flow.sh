#!/usr/bin/env bash
# Prometheus metrics at a collector and an aggregator (metrics/listen): the text parses as the
# exposition format; the numbers move as events flow (intake counts, batches acknowledged, the
# child's records at the city, commits); anything but GET /metrics is 404 or 405.
. "$(dirname "$0")/lib.sh"

keys 510104
aggregator_config city 510100 "metrics
    listen = 127.0.0.1:0"
start city
collector_config county 510104 "$(endpoint_of city)" "metrics
    listen = 127.0.0.1:0
rules
    catalog = $SRC/config/catalog.json
    calendar = $SRC/config/cn-workdays.tsv"
start county
wait_until 10 test -s "$T/county/metrics.port" || fail "no metrics port at the county"
wait_until 10 test -s "$T/city/metrics.port" || fail "no metrics port at the city"
scrape() { curl -sf "http://127.0.0.1:$(cat "$T/$1/metrics.port")/metrics"; }
value() { # NODE SAMPLE: the value of one sample line (name with its labels, as printed)
    scrape "$1" | awk -v s="$2" '$1 == s { print $2 }'
}
# the exposition format: HELP and TYPE before each family's samples, every sample "name{..} v"
for n in county city; do
    scrape "$n" >"$T/$n.metrics" || fail "cannot scrape the $n"
    python3 - "$T/$n.metrics" <<'PY' || fail "$n: not the exposition format: $(head -n 5 "$T/$n.metrics")"
import re, sys
typed = {}
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    if line.startswith("# HELP ") or not line:
        continue
    if line.startswith("# TYPE "):
        _, _, name, kind = line.split(" ")
        assert kind in ("counter", "gauge", "histogram"), line
        typed[name] = kind
        continue
    m = re.fullmatch(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"]*")*\})? (-?[0-9.e+]+|\+Inf)', line)
    assert m, line
    base = re.sub(r"_(bucket|sum|count)$", "", m.group(1))
    assert m.group(1) in typed or base in typed, "sample before its TYPE: " + line
PY
done
grep -q '^jiancha_info{node="510104",role="collector",version="' "$T/county.metrics" || fail "no jiancha_info at the county"
[ "$(value county 'jiancha_intake_records_total{outcome="accepted"}')" = 0 ] || fail "accepted before any event"

"$EVENTGEN" --node 510104 --count 2000 --seed 31 >"$T/events.jsonl"
"$JIANCHA" send --data "$T/county" "$T/events.jsonl" >/dev/null || fail "send"
printf '%s\n' '{"type":"case.accept","id":"bad-1"}' >"$T/bad.jsonl"
"$JIANCHA" send --data "$T/county" "$T/bad.jsonl" >/dev/null 2>&1 || true
moved() {
    [ "$(value county 'jiancha_intake_records_total{outcome="accepted"}')" = 2000 ] &&
        [ "$(value county 'jiancha_intake_records_total{outcome="rejected"}')" = 1 ] &&
        [ "$(value county jiancha_backlog_batches)" = 0 ] &&
        [ "$(value county jiancha_batches_acknowledged)" -gt 0 ] &&
        [ "$(value county jiancha_uplink_up)" = 1 ] &&
        awk -v v="$(value city 'jiancha_child_records{child="510104"}')" 'BEGIN { exit !(v >= 2000) }'
}
wait_until 20 moved || fail "metrics did not move: $(scrape county | grep -E 'intake|backlog|acknowledged|uplink_up'; scrape city | grep child_records)"
awk -v v="$(value county jiancha_store_commit_seconds_count)" 'BEGIN { exit !(v > 0) }' ||
    fail "no commit counted"
[ "$(value county 'jiancha_store_commit_seconds_bucket{le="+Inf"}')" = "$(value county jiancha_store_commit_seconds_count)" ] ||
    fail "the histogram's +Inf bucket is not its count"
[ -n "$(value county jiancha_calendar_coverage_days)" ] || fail "no calendar coverage days"
[ "$(value city jiancha_server_sessions)" = 1 ] || fail "city sessions: $(value city jiancha_server_sessions)"
# anything else is refused, and the daemon goes on
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
port=$(cat "$T/county/metrics.port")
[ "$(code "http://127.0.0.1:$port/")" = 404 ] || fail "/ is not 404"
[ "$(code "http://127.0.0.1:$port/metrics/../etc/passwd")" = 404 ] || fail "a path trick is not 404"
[ "$(code -X POST "http://127.0.0.1:$port/metrics")" = 405 ] || fail "POST is not 405"
scrape county >/dev/null || fail "the county stopped serving metrics"
# the shipped alerting rules and dashboard ask only for metrics the daemons give
scrape county >"$T/all.metrics"
scrape city >>"$T/all.metrics"
grep -ohE 'jiancha_[a-z_]+' "$SRC/packaging/prometheus/jiancha-alerts.yml" "$SRC/packaging/prometheus/jiancha-grafana.json" |
    sed -E 's/_(bucket|sum|count)$//' | sort -u >"$T/asked"
for m in $(cat "$T/asked"); do
    grep -qE "^# TYPE $m " "$T/all.metrics" || fail "packaging/prometheus asks for $m, which no daemon gives"
done
say "ok: metrics parse and move as events flow; the shipped rules and dashboard use $(wc -l <"$T/asked") of them"
