#!/usr/bin/env bash
# The aggregator is down while 50,000 events arrive; the collector keeps accepting, and after the
# aggregator starts, all are delivered in order, once.
. "$(dirname "$0")/lib.sh"

keys 510104
aggregator_config city 510100
start city
collector_config county 510104 "$(endpoint_of city)"
start county
stop city

"$EVENTGEN" --node 510104 --count 50000 --seed 11 >"$T/events.jsonl"
"$JIANCHA" send --data "$T/county" "$T/events.jsonl" >"$T/send.out" ||
    fail "intake blocked while the parent was down: $(cat "$T/send.out")"
"$JIANCHA" status --data "$T/county" | grep -q 'last batch acked  *0' || fail "acked without a parent"
[ "$(count "$T/city")" = 0 ] || fail "city received events while down"

start city
wait_until 60 has_count "$T/city" 50000 || fail "city holds $(count "$T/city") events after restart"
exactly_once "$T/events.jsonl" "$T/city"
jq -r '.id' "$T/events.jsonl" >"$T/in.order"
ids "$T/city" >"$T/out.order"
cmp -s "$T/in.order" "$T/out.order" || fail "order changed after the outage"
say "ok: 50000 events spooled through an outage and delivered in order"
