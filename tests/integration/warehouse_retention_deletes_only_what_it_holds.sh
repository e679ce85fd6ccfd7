#!/usr/bin/env bash
# Retention with a warehouse (warehouse/keep_months): the aggregator deletes from its store the
# business events dated before its window, and only once PostgreSQL holds them. While PostgreSQL
# is down nothing leaves the store; once the sink has copied them the old business events go,
# while the events inside the window, the alerts, counter sheets and supervision actions stay,
# and PostgreSQL keeps every record. The window is months back from today, so the old events are
# dated 2001 and the new ones 2098: the test holds on any day in between.
. "$(dirname "$0")/lib.sh"

say "-- retention needs a warehouse to hold what it deletes"
keys 510104
aggregator_config lonely 510100 "warehouse
    keep_months = 1"
if "$AGGREGATOR" --check-config -c "$T/lonely.cfg" >"$T/check.out" 2>&1; then
    fail "keep_months without a warehouse was accepted"
fi
grep -q 'key "warehouse/keep_months": needs warehouse/conninfo' "$T/check.out" ||
    fail "unclear refusal: $(cat "$T/check.out")"

pg_start
pg_down # the warehouse is down at first: nothing is confirmed
aggregator_config city 510100 "$(warehouse_section "    keep_months = 1")"
"$AGGREGATOR" --check-config -c "$T/city.cfg" >/dev/null || fail "the configuration does not check"
start city
collector_config county 510104 "$(endpoint_of city)" "rules
    catalog = $SRC/config/catalog.json
    calendar = $SRC/config/cn-workdays.tsv
counters
    interval_ms = 200"
start county
# from 2001-11-05 and 2098-11-03, 09:00 in China; without the items' publications, which the
# generator dates at their effective day in the catalogue (2026), neither old nor new for sure
in_2001_or_2098() { jq -c 'select(.at < 1262304000000 or .at > 3786912000000)'; }
"$EVENTGEN" --node 510104 --count 2000 --seed 21 --hours 100 --prefix old --start 1004922000000 |
    in_2001_or_2098 >"$T/old.jsonl"
"$EVENTGEN" --node 510104 --count 2000 --seed 22 --hours 100 --prefix new --start 4066333200000 |
    in_2001_or_2098 >"$T/new.jsonl"
n_old=$(wc -l <"$T/old.jsonl") n_new=$(wc -l <"$T/new.jsonl")
[ "$n_old" -gt 1900 ] && [ "$n_new" -gt 1900 ] || fail "the generator dated its events otherwise"
cat "$T/old.jsonl" "$T/new.jsonl" >"$T/all.jsonl"
"$JIANCHA" send --data "$T/county" "$T/all.jsonl" >/dev/null || fail "send"

# the city's business events whose id starts with PREFIX-; its alerts and counter sheets
held() { "$JIANCHA" query events --data "$T/city" --json | jq -c "$BUSINESS" | grep -c "\"id\":\"$1-" || true; }
others() { "$JIANCHA" query events --data "$T/city" --json | jq -c "select(.event.type | test(\"^(alert|counters)$\"))" | wc -l; }
until_true 30 '[ "$(count "$T/city")" = "$(count "$T/county")" ]' ||
    fail "the city holds $(count "$T/city") of $(count "$T/county") records"
exactly_once "$T/all.jsonl" "$T/city"
sleep 3 # retention looks every second: with nothing confirmed it deletes nothing
[ "$(held old)" = "$n_old" ] || fail "old events left the store before the warehouse held them: $(held old)"
before=$(count "$T/city")
kept_others=$(others)
[ "$kept_others" -gt 0 ] || fail "no alerts or counter sheets to keep"
"$JIANCHA" query events --data "$T/city" --json | jq -r '"\(.node) \(.seq)"' | sort >"$T/before.keys"

say "-- the warehouse comes up: it copies everything, then the old business events leave the store"
pg_up
wait_until 30 caught_up city || fail "the warehouse did not catch up"
until_true 30 '[ "$(held old)" = 0 ]' || fail "old business events still in the store: $(held old)"
[ "$(held new)" = "$n_new" ] || fail "events inside the window were deleted: $(held new) left"
[ "$(others)" = "$kept_others" ] || fail "alerts or counter sheets were deleted: $(others) of $kept_others"
[ "$(count "$T/city")" = $((before - n_old)) ] || fail "$(count "$T/city") records left of $before"
grep -q 'retention deleted=' "$T/city.log" || fail "the log does not say what retention deleted"
# the tally behind `query nodes` counts the deleted records out
tallied=$("$JIANCHA" query nodes --data "$T/city" --json | jq -s 'map(.records // 0) | add')
[ "$tallied" = "$(count "$T/city")" ] || fail "query nodes counts $tallied records, the store holds $(count "$T/city")"
# PostgreSQL keeps every record, the deleted ones too, once
sql "SELECT node || ' ' || seq FROM jiancha.record" | sort >"$T/pg.keys"
cmp -s "$T/before.keys" "$T/pg.keys" || fail "PostgreSQL does not hold every record once: $(comm -3 "$T/before.keys" "$T/pg.keys" | head -n 3)"
[ "$(sql "SELECT count(*) FROM jiancha.record WHERE id LIKE 'old-%'")" = "$n_old" ] ||
    fail "the old events are not in PostgreSQL"

say "-- a restart keeps it so, and the county's records still go on arriving once"
stop city
start city
"$EVENTGEN" --node 510104 --count 500 --seed 23 --hours 10 --prefix late --start 1004922000000 |
    in_2001_or_2098 >"$T/late.jsonl"
n_late=$(wc -l <"$T/late.jsonl")
"$JIANCHA" send --data "$T/county" "$T/late.jsonl" >/dev/null || fail "send late"
until_true 30 '[ "$(sql "SELECT count(*) FROM jiancha.record WHERE id LIKE '"'"'late-%'"'"'")" = "$n_late" ]' ||
    fail "late old events did not reach the warehouse"
until_true 30 '[ "$(held late)" = 0 ]' || fail "late old events stay in the store: $(held late)"
[ "$(held new)" = "$n_new" ] || fail "events inside the window were deleted after the restart"
say "ok: $((n_old + n_late)) old business events left the store once PostgreSQL held them; the rest stayed"
