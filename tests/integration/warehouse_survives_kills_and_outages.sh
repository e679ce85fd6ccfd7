#!/usr/bin/env bash
# The warehouse's sink under faults, while a county streams 60,000 events to its aggregator: the
# aggregator killed -9 in the middle of a copy and started again, PostgreSQL stopped as by a crash
# (pg_ctl stop -m immediate) and started again, the sink's connection terminated by the server
# (pg_terminate_backend), and the disk of the warehouse's tables full (a tablespace on a small
# tmpfs, when the test may mount one). Meanwhile the aggregator keeps taking its child's batches;
# the sink warns (rate-limited), waits and tries again. Afterwards every record is in PostgreSQL
# exactly once and the scores view equals `query scores`.
. "$(dirname "$0")/lib.sh"

pg_start
keys 510104
full=""
if [ "$(id -u)" -eq 0 ] && mkdir -p "$T/small" &&
    mount -t tmpfs -o "size=200m,mode=0700,uid=$(id -u nobody)" tmpfs "$T/small" 2>/dev/null; then
    MOUNTS+=("$T/small")
    mkdir "$T/small/ts" && chown nobody "$T/small/ts"
    sql "CREATE TABLESPACE small LOCATION '$T/small/ts'"
    sql "ALTER DATABASE jiancha SET default_tablespace = small"
    full=yes
else
    say "(the full-disk part is left out: mounting a tmpfs for the tablespace needs root)"
fi

aggregator_config city 510100 "$(warehouse_section "    batch_records = 500")"
start city
collector_config county 510104 "$(endpoint_of city)" "rules
    catalog = $SRC/config/catalog.json
    calendar = $SRC/config/cn-workdays.tsv
counters
    interval_ms = 200
batch
    max_events = 500"
start county
"$EVENTGEN" --node 510104 --count 60000 --seed 5 --hours 552 --violations 3 >"$T/events.jsonl"
split -l 2000 -d -a 2 "$T/events.jsonl" "$T/part."
(
    for p in "$T"/part.*; do
        "$JIANCHA" send --data "$T/county" --chunk 500 --timeout-ms 500 --give-up-ms 60000 "$p" || exit 1
        sleep 0.3
    done
) >"$T/send.out" 2>&1 &
SENDER=$!

in_pg() { sql "SELECT count(*) FROM jiancha.record" 2>/dev/null || echo 0; }
# past N: PostgreSQL holds at least N records, and the store more (a copy is under way)
past() { [ "$(in_pg)" -ge "$1" ] && [ "$(count "$T/city")" -gt "$(in_pg)" ]; }
# the store keeps growing by N while the warehouse cannot take anything
loop_goes_on() {
    local from want; from=$(count "$T/city") want=$(($(count "$T/city") + $1))
    until_true 20 '[ "$(count "$T/city")" -ge $want ]' ||
        fail "the aggregator stopped taking batches while the warehouse failed ($(count "$T/city") from $from)"
    alive city || fail "the aggregator died"
}
said() { "$JIANCHA" status --data "$T/city" --json | jq -r '.warehouse.last_error // ""'; }

say "-- the aggregator killed -9 in the middle of a copy"
wait_until 40 past 6000 || fail "no copy under way: $(in_pg) in PostgreSQL"
kill9 city
start city
say "   killed with $(in_pg) records copied"

say "-- PostgreSQL stopped as by a crash, and started again"
wait_until 40 past 16000 || fail "no copy under way: $(in_pg) in PostgreSQL"
pg_down immediate
at=$(count "$T/city")
loop_goes_on 2000
until_true 10 '"$JIANCHA" status --data "$T/city" --json | jq -e ".warehouse.connected == false" >/dev/null' ||
    fail "status does not say the warehouse is down"
[ -n "$(said)" ] || fail "no error in status"
say "   down: the store went on from $at to $(count "$T/city") records; status says: $(said | cut -c1-100)"
pg_up

say "-- the sink's connection terminated by the server"
wait_until 40 past 28000 || fail "no copy under way: $(in_pg) in PostgreSQL"
[ "$(sql "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
          WHERE application_name = 'jiancha-aggregator'")" = 1 ] || fail "no sink session to terminate"

if [ -n "$full" ]; then
    say "-- the warehouse's disk full"
    wait_until 40 past 40000 || fail "no copy under way: $(in_pg) in PostgreSQL"
    avail=$(df -m --output=avail "$T/small" | tail -n 1)
    dd if=/dev/zero of="$T/small/ballast" bs=1M count=$((avail - 1)) status=none 2>/dev/null || true
    until_true 30 'said | grep -q "No space left on device"' ||
        fail "the sink did not run into the full disk: $(said)"
    loop_goes_on 2000
    stuck=$(in_pg)
    say "   full at $stuck records in PostgreSQL: $(said | cut -c1-120)"
    rm -f "$T/small/ballast"
fi

wait "$SENDER" || fail "send: $(tail -n 3 "$T/send.out")"
say "-- afterwards: every record exactly once"
# the county's log (events, its alerts and counter sheets) is all at the aggregator
until_true 60 '[ "$(count "$T/city")" = "$(count "$T/county")" ]' ||
    fail "the aggregator holds $(count "$T/city") of the county's $(count "$T/county") records"
exactly_once "$T/events.jsonl" "$T/city"
wait_until 60 caught_up city || fail "the warehouse did not catch up: $("$JIANCHA" status --data "$T/city" --json | jq -c .warehouse)"
all_once city
same_scores city 2026-11
warns=$(grep -c ' warn warehouse:' "$T/city.log" || true)
# rate-limited per kind of failure: a few per outage, not one per retry
[ "$warns" -ge 2 ] && [ "$warns" -le 20 ] || fail "$warns warnings of the sink: $(grep ' warn warehouse:' "$T/city.log")"
alive city || fail "the aggregator died"
say "ok: $(wc -l <"$T/pg.keys") records once each after a kill -9, a crash of PostgreSQL, a terminated session${full:+ and a full disk}; $warns warnings"
