#!/usr/bin/env bash
# An expected child that sends nothing, not even a heartbeat, lights node.silent at its parent:
# yellow after silence/after_ms, the same alert red after silence/red_after_ms; a child that is
# heard stays dark.
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
say "ok: the silent child lit yellow then red, once; the one heard stayed dark"
