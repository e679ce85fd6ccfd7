#!/usr/bin/env bash
# An expected child that sends nothing, not even a heartbeat, lights node.silent at its parent:
# yellow after silence/after_ms, the same alert red after silence/red_after_ms, cleared when it is
# heard at last; a child that is heard stays dark. A child that keeps talking while its batches are refused for good (its chain
# stands still) lights node.silent too, saying where its chain is stuck.
. "$(dirname "$0")/lib.sh"

keys 510104
keys 510105
aggregator_config city 510100 "aggregator
    children = 510104 510105
silence
    after_ms = 1000
    red_after_ms = 3000"
start city
collector_config county 510104 "$(endpoint_of city)"
start county   # 510105 never starts

alerts() { "$JIANCHA" query alerts --data "$T/city" --json; }
has_alert() { alerts | jq -s -e "map(select($1)) | length > 0" >/dev/null; }
wait_until 10 has_alert '.rule == "node.silent" and .child == "510105" and .ledger[0].light == "yellow"' ||
    fail "no yellow for the silent child: $(alerts)"
wait_until 10 has_alert '.rule == "node.silent" and .child == "510105" and .light == "red" and (.ledger | length) == 2 and .ledger[1].action == "escalated"' ||
    fail "not escalated to red: $(alerts)"
if has_alert '.rule == "node.silent" and .child == "510104"'; then fail "the child that is heard lit up"; fi
[ "$(alerts | jq -s 'map(select(.rule == "node.silent")) | length')" = 1 ] || fail "more than one alert: $(alerts)"
# 510105 comes up at last: heard again, its alarm clears by itself
collector_config late 510105 "$(endpoint_of city)"
start late
wait_until 10 has_alert '.rule == "node.silent" and .child == "510105" and .state == "cleared" and .ledger[-1].action == "cleared"' ||
    fail "node.silent not cleared when the child was heard: $(alerts)"

# 510302's batches exceed what 自贡 accepts: refused for good, parked at the county, which keeps
# sending heartbeats; 自贡 sees it alive but stuck
keys 510302
aggregator_config zigong 510300 "aggregator
    children = 510302
silence
    after_ms = 1000
    red_after_ms = 3000"
sed -i 's/^    heartbeat_ms = 200$/&\n    max_batch_bytes = 1024/' "$T/zigong.cfg"
start zigong
collector_config stuck 510302 "$(endpoint_of zigong)"
start stuck
"$EVENTGEN" --node 510302 --count 200 --seed 5 >"$T/stuck.jsonl"
"$JIANCHA" send --data "$T/stuck" "$T/stuck.jsonl" >/dev/null || fail "send to the stuck county"
zalerts() { "$JIANCHA" query alerts --data "$T/zigong" --json; }
stuck_lit() { zalerts | jq -s -e 'map(select(.rule == "node.silent" and .child == "510302" and (.detail | test("batch chain stuck at batch 1")))) | length == 1' >/dev/null; }
wait_until 10 stuck_lit || fail "no node.silent for the stuck child: $(zalerts)"
# its parent shows what it holds back, from its heartbeats, and how far its clock is off
backlog_shown() { local out; out=$("$JIANCHA" query nodes --data "$T/zigong"); grep -Eq '^    510302 +0 +0 +[1-9][0-9]* +[0-9]+s +[-+]0[.][0-9]s ' <<<"$out"; }
wait_until 15 backlog_shown || fail "no backlog for the stuck child: $("$JIANCHA" query nodes --data "$T/zigong")"
"$JIANCHA" status --data "$T/stuck" >"$T/stuck.status"
grep -q "^parked batches (need an operator): 1" "$T/stuck.status" || fail "the county did not park its refused batch: $(cat "$T/stuck.status")"
# the operator's cure: 自贡 takes larger batches, the county restarts and delivers; parked no more
stop zigong
sed -i '/^    max_batch_bytes = 1024$/d' "$T/zigong.cfg"
start zigong
stop stuck
start stuck
delivered() { "$JIANCHA" status --data "$T/stuck" | grep -q '^parked batches: 0$'; }
wait_until 20 delivered || fail "a delivered batch still listed as parked: $("$JIANCHA" status --data "$T/stuck")"
# and an idle link's last contact stays fresh in status (saved every few seconds)
sleep 6
ago=$("$JIANCHA" status --data "$T/stuck" | sed -n 's/^  last parent contact .*(\([0-9]*\)s ago)$/\1/p')
[ -n "$ago" ] && [ "$ago" -le 6 ] || fail "an active link's parent contact is stale: $("$JIANCHA" status --data "$T/stuck")"
say "ok: the silent child lit yellow then red, once, and cleared when heard; the one heard stayed dark; the stuck one lit with where it is stuck, and is parked no more once delivered"
