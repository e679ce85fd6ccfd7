#!/usr/bin/env bash
# The warehouse's sink under faults, while a county streams 60,000 events to its aggregator: the
# aggregator killed -9 in the middle of a copy and started again, PostgreSQL stopped as by a crash
# (pg_ctl stop -m immediate) and started again, the sink's connection terminated by the server
# (pg_terminate_backend), and the disk of the warehouse's tables full (a tablespace on a small
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

say "-- the aggregator killed -9 in the middle of a copy"
wait_until 60 past 8000 || fail "the stream did not bring 8,000 records: $(count "$T/city")"
held=$(count "$T/city") copied=$(in_pg)
kill9 city
start city
say "   killed with $copied of $held records copied"

say "-- PostgreSQL stopped as by a crash, and started again"
wait_until 60 past 20000 || fail "the stream did not bring 20,000 records: $(count "$T/city")"
pg_down immediate
at=$(count "$T/city")
loop_answers
until_true 10 '"$JIANCHA" status --data "$T/city" --json | jq -e ".warehouse.connected == false" >/dev/null' ||
    fail "status does not say the warehouse is down"
[ -n "$(said)" ] || fail "no error in status"
sleep 1
loop_answers
say "   down: the store went on from $at to $(count "$T/city") records; status says: $(said | cut -c1-100)"
pg_up

say "-- the sink's connection terminated by the server"
wait_until 60 past 32000 || fail "the stream did not bring 32,000 records: $(count "$T/city")"
[ "$(sql "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
          WHERE application_name = 'jiancha-aggregator'")" = 1 ] || fail "no sink session to terminate"

if [ -n "$full" ]; then
    say "-- the warehouse's disk full"
    wait_until 60 past 44000 || fail "the stream did not bring 44,000 records: $(count "$T/city")"
    avail=$(df -m --output=avail "$T/small" | tail -n 1)
    dd if=/dev/zero of="$T/small/ballast" bs=1M count=$((avail - 1)) status=none 2>/dev/null || true
    until_true 30 'said | grep -q "No space left on device"' ||
        fail "the sink did not run into the full disk: $(said)"
    loop_answers
    stuck=$(in_pg)
    say "   full at $stuck records in PostgreSQL: $(said | cut -c1-120)"
    rm -f "$T/small/ballast"
fi

wait "$SENDER" || fail "send: $(tail -n 3 "$T/send.out")"
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
