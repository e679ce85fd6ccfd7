#!/usr/bin/env bash
# Events acknowledged to the sender but not yet sealed into a batch when the collector is killed
# are sealed and delivered right after it restarts, without any new intake.
. "$(dirname "$0")/lib.sh"

keys 510104
aggregator_config city 510100
start city
# A flush far in the future: the 10 events stay unsealed until the collector is killed.
collector_config county 510104 "$(endpoint_of city)" "batch
    max_events = 1000
    flush_ms = 600000"
start county
"$EVENTGEN" --node 510104 --count 10 --seed 9 >"$T/events.jsonl"
"$JIANCHA" send --data "$T/county" "$T/events.jsonl" >/dev/null || fail "send"
sleep 0.3
[ "$(count "$T/city")" = 0 ] || fail "sealed before the flush time"
kill9 county
start county
wait_until 20 has_count "$T/city" 10 || fail "city holds $(count "$T/city") of 10"
exactly_once "$T/events.jsonl" "$T/city"
say "ok: unsealed events delivered after kill -9 and restart"
