#!/usr/bin/env bash
# 100,000 events through `jiancha send` arrive at the aggregator exactly once, in the collector's
# order, and identical event by event.
. "$(dirname "$0")/lib.sh"

keys 510104
aggregator_config city 510100
start city
collector_config county 510104 "$(endpoint_of city)"
start county

"$EVENTGEN" --node 510104 --count 100000 --seed 7 >"$T/events.jsonl"
"$JIANCHA" send --data "$T/county" "$T/events.jsonl" >"$T/send.out"
grep -q '^100000 lines: 100000 accepted, 0 duplicates, 0 rejected$' "$T/send.out" ||
    fail "send: $(cat "$T/send.out")"

wait_until 60 has_count "$T/city" 100000 || fail "city holds $(count "$T/city") events"
exactly_once "$T/events.jsonl" "$T/city"
"$JIANCHA" query events --data "$T/county" --json >"$T/county.json"
"$JIANCHA" query events --data "$T/city" --json >"$T/city.json"
cmp -s "$T/county.json" "$T/city.json" || fail "city's events differ from county's"
# the input order is the stored order
jq -r '.id' "$T/events.jsonl" >"$T/in.order"
jq -r '.event.id' "$T/city.json" >"$T/out.order"
cmp -s "$T/in.order" "$T/out.order" || fail "order changed on the way"

# sending the same file again stores nothing new
"$JIANCHA" send --data "$T/county" "$T/events.jsonl" >"$T/send2.out"
grep -q '0 accepted, 100000 duplicates' "$T/send2.out" || fail "resend: $(cat "$T/send2.out")"
sleep 0.5
has_count "$T/city" 100000 || fail "resend changed the city's count"
"$JIANCHA" status --data "$T/county" | grep -q 'backlog  *0 batches, 0 events' ||
    fail "county still has a backlog"
# the same facts as JSON: the county's uplink drained; the city holds its child's records once
# (the resend was a duplicate at the intake: no batch came twice)
"$JIANCHA" status --data "$T/county" --json >"$T/county.json"
jq -e '.uplink.events_stored == 100000 and .uplink.backlog_batches == 0 and
       .uplink.unsealed_events == 0 and .uplink.batch_sealed == .uplink.batch_acked' \
    "$T/county.json" >/dev/null || fail "status --json at the county: $(cat "$T/county.json")"
"$JIANCHA" status --data "$T/city" --json >"$T/city.json"
jq -e '.uplink == null and (.children | length) == 1 and .children[0].node == "510104" and
       .children[0].records == 100000 and .children[0].duplicates == 0' "$T/city.json" \
    >/dev/null || fail "status --json at the city: $(cat "$T/city.json")"
# the same path with msgpack intake
"$EVENTGEN" --node 510104 --count 20000 --seed 8 --prefix mp >"$T/mp.jsonl"
"$JIANCHA" send --data "$T/county" --msgpack "$T/mp.jsonl" >"$T/mp.out" || fail "$(cat "$T/mp.out")"
grep -q '^20000 lines: 20000 accepted' "$T/mp.out" || fail "msgpack send: $(cat "$T/mp.out")"
wait_until 60 has_count "$T/city" 120000 || fail "city holds $(count "$T/city") events"
cat "$T/events.jsonl" "$T/mp.jsonl" >"$T/all.jsonl"
exactly_once "$T/all.jsonl" "$T/city"
say "ok: 120000 events (JSON and msgpack) exactly once, in order"
