#!/usr/bin/env bash
# The province's warehouse in PostgreSQL (docs/warehouse.md): a simulated November of two
# counties under a city, with the offices at work at every tier, reaches the province and its
# sink copies it into a real PostgreSQL: every record the province holds is there once (node and
# sequence, and the same record), the positions are the last sequences, alerts, counter sheets
# and audit entries have their typed rows, the views give `query scores` number for number and
# the monthly report's figures, and status and metrics say the warehouse is up and caught up.
. "$(dirname "$0")/lib.sh"

pg_start
CAL=$SRC/config/cn-workdays.tsv
for n in 510000 510100 510104 510105; do keys $n; done
UP=$FAST_UPLINK
DESK=$NOVEMBER_DESK
aggregator_config province 510000 "$DESK
metrics
    listen = 127.0.0.1:0
$(warehouse_section "    batch_records = 700")"
start province
aggregator_config city 510100 "aggregator
    key = $T/keys/510100.secret
uplink
    endpoint = $(endpoint_of province)
$UP
$DESK"
start city
november_county 510104 "$(endpoint_of city)" 11 5
november_county 510105 "$(endpoint_of city)" 12 5
for d in 02 03; do
    "$JIANCHA" patrol --data "$T/c510104" --supervisor he --target 510104 --kind data \
        --at "2026-11-${d}T09:00:00+08:00" >/dev/null || fail "patrol"
done
"$JIANCHA" patrol --data "$T/city" --supervisor wang --target 510105 --kind visit \
    --at 2026-11-04T10:00:00+08:00 >/dev/null || fail "patrol at the city"

wait_until 90 sheets_settled province 510104 510105 ||
    fail "the counties' sheets did not all reach the province"

say "-- the offices act on the counties' lights from above"
"$JIANCHA" query alerts --data "$T/province" --json >"$T/alerts.json"
# a department's open red lights raised in November (the report's month; not the platform's:
# calendar.coverage turns red too when the suite runs with its clocks a year ahead)
mapfile -t red < <(jq -r 'select(.light == "red" and .state == "open" and .node == "510104" and
    (.raised_at | startswith("2026-11")) and
    (.rule | test("^(node|key|cert|calendar)[.]|^patrol[.]shortfall$|^supervision[.]overdue$") | not)) | .id' "$T/alerts.json")
[ "${#red[@]}" -ge 3 ] || fail "too few open red lights at 510104: ${#red[@]}"
"$JIANCHA" supervise open --data "$T/city" --id DB-1 --target 510104/SCJGJ --subject 核查 --by zhang \
    --alert "${red[0]}" --at 2026-11-20T10:00:00+08:00 >/dev/null || fail "supervise"
"$JIANCHA" alert respond --data "$T/city" --alert "${red[1]}" --by li --action explain --text 已核实 \
    >/dev/null || fail "respond at the city"
"$JIANCHA" alert close --data "$T/province" --alert "${red[2]}" --by chen --verdict 摘牌 >/dev/null ||
    fail "close at the province"
# the city's actions have reached the province
until_true 30 '[ "$("$JIANCHA" query events --data "$T/province" --node 510100 --json | jq -s "map(select(.event.type | test(\"^(supervise|alert)[.]\"))) | length")" -ge 2 ]' ||
    fail "the city's actions did not reach the province"

say "-- every record once"
wait_until 30 caught_up province || fail "the warehouse did not catch up: $("$JIANCHA" status --data "$T/province" --json | jq -c .warehouse)"
all_once province
total=$(wc -l <"$T/lmdb.keys")
[ "$total" -gt 6000 ] || fail "only $total records"
# the same records, field for field: the body is what `query events --json` prints
"$JIANCHA" query events --data "$T/province" --json | jq -c '[.node, .seq, .event]' >"$T/lmdb.bodies"
sql "SELECT json_build_array(node, seq, body) FROM jiancha.record" >"$T/pg.bodies"
python3 - "$T/lmdb.bodies" "$T/pg.bodies" <<'PY' || fail "records differ"
import json, sys
a = {(n, s): b for n, s, b in map(json.loads, open(sys.argv[1])) if b["type"] != "batch"}
p = {(n, s): b for n, s, b in map(json.loads, open(sys.argv[2]))}
# (the store was read first: PostgreSQL may hold a few records more, never fewer)
bad = [k for k in a if a[k] != p.get(k)]
if bad:
    sys.exit("%d records differ, first %s:\n%s\n%s" % (len(bad), bad[0], a[bad[0]], p.get(bad[0])))
PY
# typed rows: one per alert change, counter sheet and audit entry
for t in alert:alert_change counters:counter_sheet audit:audit_entry; do
    want=$(sql "SELECT count(*) FROM jiancha.record WHERE type = '${t%%:*}'")
    got=$(sql "SELECT count(*) FROM jiancha.${t#*:}")
    [ "$got" = "$want" ] || fail "${t#*:}: $got rows for $want ${t%%:*} records"
done
# one partition per month, none left over
sql "SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE c.relname LIKE 'record_y2026m11'" | grep -qx 1 || fail "no November partition of record"

say "-- the views give what the CLI gives"
same_scores province 2026-11
"$JIANCHA" report monthly --data "$T/province" --period 2026-11 --tier-root 510000 --format csv \
    --calendar "$CAL" --out "$T/report.csv" || fail "report"
# the report's lines without their name, but those that need the calendar and today's date
awk -F, 'NR > 1 && $4 != "workdays" && $4 !~ /^cases_/ { gsub(/"/, "", $2); print $1 "," $2 "," $4 "," $5 }' \
    "$T/report.csv" | sort >"$T/report.cli"
sql "SELECT section || ',' || key || ',' || metric || ',' || value
     FROM jiancha.report_monthly('2026-11', '510000')" |
    awk -F, '{ printf "%s,%s,%s,%s\n", $1, $2, $3, $3 == "score" ? sprintf("%.4f", $4) : sprintf("%.0f", $4) }' |
    sort >"$T/report.sql"
diff "$T/report.cli" "$T/report.sql" >"$T/report.diff" || fail "the report differs: $(head -n 8 "$T/report.diff")"
grep -q '^handling,510000,supervised,1$' "$T/report.sql" || fail "the supervised alert: $(grep handling "$T/report.sql")"
grep -q '^patrol,510104,patrols,2$' "$T/report.sql" || fail "patrols: $(grep patrol "$T/report.sql")"
say "   $(wc -l <"$T/report.sql") figures of the report equal"
# the alerts as the province's board shows them: each with its light and state
# (a supervision.overdue alert names its case in the same key: that is its subject, not a case on it)
"$JIANCHA" query alerts --data "$T/province" --json |
    jq -r '"\(.id) \(.light) \(.state) \(if .rule == "supervision.overdue" then "" else .supervision // "" end)"' |
    sort >"$T/board.cli"
sql "SELECT alert_id || ' ' || light || ' ' || board_state || ' ' || coalesce(supervision, '')
     FROM jiancha.alert_board" | sort >"$T/board.sql"
diff "$T/board.cli" "$T/board.sql" >"$T/board.diff" || fail "the board differs: $(head -n 6 "$T/board.diff")"
grep -q " closed $" "$T/board.sql" || fail "the province's closing is not shown"

say "-- status and metrics say it is up and caught up"
"$JIANCHA" status --data "$T/province" | grep -q '^warehouse (PostgreSQL): connected, 0 records behind' ||
    fail "status: $("$JIANCHA" status --data "$T/province" | grep -A2 warehouse)"
port=$(cat "$T/province/metrics.port")
# (published every 5 s)
metrics_say() { curl -s "http://127.0.0.1:$port/metrics" | grep '^jiancha_warehouse' >"$T/metrics"; }
up_to_date() {
    metrics_say && grep -qx 'jiancha_warehouse_up 1' "$T/metrics" &&
        grep -qx 'jiancha_warehouse_behind_records 0' "$T/metrics" &&
        grep -qx 'jiancha_warehouse_behind_seconds 0' "$T/metrics" &&
        [ "$(sed -n 's/^jiancha_warehouse_records_copied_total //p' "$T/metrics")" -ge "$total" ]
}
wait_until 15 up_to_date || fail "metrics: $(tr '\n' ' ' <"$T/metrics")"
say "ok: $total records in PostgreSQL once each; scores, report and board equal the CLI's"
