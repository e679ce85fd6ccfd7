#!/usr/bin/env bash
# The warehouse's sink under faults, while a county streams 63,000 events to its aggregator, each
# struck in the middle of a copy (the sink's transaction has sent its rows and waits to write its
# positions): the aggregator killed -9 and started again, PostgreSQL stopped as by a crash
# (pg_ctl stop -m immediate) and started again, the sink's session terminated by the server
# (pg_terminate_backend); then the disk of the warehouse's tables full (a tablespace on a small
# tmpfs, when the test may mount one). Meanwhile the aggregator's loop goes on (its office answers
# a patrol at once); the sink warns (rate-limited), waits and tries again. Afterwards every record
# is in PostgreSQL exactly once and the scores view equals `query scores`.
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

aggregator_config city 510100 "desk
    calendar = $SRC/config/cn-workdays.tsv
$(warehouse_section "    batch_records = 500")"
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
        sleep 0.5
    done
) >"$T/send.out" 2>&1 &
SENDER=$!

in_pg() { sql "SELECT count(*) FROM jiancha.record" 2>/dev/null || echo 0; }
# the stream has brought the aggregator N records
past() { [ "$(count "$T/city")" -ge "$1" ]; }
# the aggregator's loop answers its office while the warehouse cannot take anything: a patrol
# entered at its intake is stored and acknowledged (timeout: the loop would be stuck)
patrols=0
loop_answers() {
    timeout 10 "$JIANCHA" patrol --data "$T/city" --supervisor wang --target 510104 --kind data \
        >/dev/null 2>&1 || fail "the aggregator did not answer its office while the warehouse failed"
    patrols=$((patrols + 1))
    alive city || fail "the aggregator died"
}
said() { "$JIANCHA" status --data "$T/city" --json | jq -r '.warehouse.last_error // ""'; }

# Caught in the middle of a copy: a session of the test's own holds the positions table locked,
# so the sink's next transaction stops with its rows sent and its positions not yet written
# (its guarded update waits for the lock); the fault strikes while it waits.
HOLDER=""
mid_copy() {
    "$PG_BIN/psql" -X -q "$PGCONN application_name=holder" -c "BEGIN;
        LOCK TABLE jiancha.position IN EXCLUSIVE MODE; SELECT pg_sleep(60); COMMIT" >/dev/null 2>&1 &
    HOLDER=$!
    until_true 30 '[ "$(sql "SELECT count(*) FROM pg_stat_activity WHERE application_name =
        '"'"'jiancha-aggregator'"'"' AND state = '"'"'active'"'"' AND wait_event_type = '"'"'Lock'"'"'")" = 1 ]' ||
        fail "the sink did not come to wait in the middle of a copy"
    waiting=$(sql "SELECT count(*) FROM jiancha.record")
}
# the lock let go: the holder's session ended by the server (a killed client would leave its
# backend asleep, holding the lock)
let_go() {
    sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'holder'" \
        >/dev/null 2>&1 || true
    wait "$HOLDER" 2>/dev/null || true
}

say "-- the aggregator killed -9 in the middle of a copy"
wait_until 60 past 6000 || fail "the stream did not bring 6,000 records: $(count "$T/city")"
mid_copy
kill9 city
let_go
start city
say "   killed with a transaction open, $waiting records committed before it"

say "-- PostgreSQL stopped as by a crash in the middle of a copy, and started again"
wait_until 60 past 18000 || fail "the stream did not bring 18,000 records: $(count "$T/city")"
mid_copy
pg_down immediate
let_go
at=$(count "$T/city")
loop_answers
until_true 10 '"$JIANCHA" status --data "$T/city" --json | jq -e ".warehouse.connected == false" >/dev/null' ||
    fail "status does not say the warehouse is down"
[ -n "$(said)" ] || fail "no error in status"
sleep 1
loop_answers
say "   down: the store went on from $at to $(count "$T/city") records; status says: $(said | cut -c1-100)"
pg_up

say "-- the sink's session terminated by the server in the middle of a copy"
wait_until 60 past 30000 || fail "the stream did not bring 30,000 records: $(count "$T/city")"
mid_copy
[ "$(sql "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
          WHERE application_name = 'jiancha-aggregator'")" = 1 ] || fail "no sink session to terminate"
let_go

wait "$SENDER" || fail "send: $(tail -n 3 "$T/send.out")"
# what the county sends last goes in after the disk is full, so the sink has something to write
"$EVENTGEN" --node 510104 --count 3000 --seed 6 --hours 552 --prefix last >"$T/last.jsonl"
if [ -n "$full" ]; then
    say "-- the warehouse's disk full"
    dd if=/dev/zero of="$T/small/ballast" bs=1M status=none 2>/dev/null || true # to the last byte
    "$JIANCHA" send --data "$T/county" "$T/last.jsonl" >/dev/null || fail "send the last events"
    until_true 30 'said | grep -q "No space left on device"' ||
        fail "the sink did not run into the full disk: $(said)"
    loop_answers
    say "   full at $(in_pg) records in PostgreSQL: $(said | cut -c1-120)"
    rm -f "$T/small/ballast"
else
    "$JIANCHA" send --data "$T/county" "$T/last.jsonl" >/dev/null || fail "send the last events"
fi
cat "$T/last.jsonl" >>"$T/events.jsonl"

say "-- afterwards: every record exactly once"
# the county's log (events, its alerts and counter sheets) is all at the aggregator, beside the
# office's own patrols
of_county() { "$JIANCHA" query events --data "$T/city" --node 510104 --json | wc -l; }
until_true 60 '[ "$(of_county)" = "$(count "$T/county")" ]' ||
    fail "the aggregator holds $(of_county) of the county's $(count "$T/county") records"
jq -r .id "$T/events.jsonl" | sort >"$T/want.ids"
events "$T/city" 510104 | jq -r .event.id | sort >"$T/got.ids"
cmp -s "$T/want.ids" "$T/got.ids" || fail "the county's events at the aggregator differ from those sent"
[ "$("$JIANCHA" query events --data "$T/city" --node 510100 --json | jq -s 'map(select(.event.type == "patrol")) | length')" = "$patrols" ] ||
    fail "the office's patrols are not all stored"
wait_until 60 caught_up city || fail "the warehouse did not catch up: $("$JIANCHA" status --data "$T/city" --json | jq -c .warehouse)"
all_once city
same_scores city 2026-11
warns=$(grep -c ' warn warehouse:' "$T/city.log" || true)
# rate-limited per kind of failure: a few per outage, not one per retry
[ "$warns" -ge 2 ] && [ "$warns" -le 20 ] || fail "$warns warnings of the sink: $(grep ' warn warehouse:' "$T/city.log")"
alive city || fail "the aggregator died"
say "ok: $(wc -l <"$T/pg.keys") records once each after a kill -9, a crash of PostgreSQL, a terminated session${full:+ and a full disk}; $warns warnings"
