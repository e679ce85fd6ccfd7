#!/usr/bin/env bash
# A county whose store outgrows its disk budget (store/budget_mb) raises node.disk against itself:
# it travels up and the city shows it per node (query nodes: column disk, --json .disk); nothing
# is dropped to make room (every event still reaches the city). Given a larger budget at its next
# start, the county clears the alarm, and the city sees that too.
. "$(dirname "$0")/lib.sh"

keys 510104
aggregator_config city 510100
start city
collector_config county 510104 "$(endpoint_of city)" "store
    budget_mb = 1"
start county
"$EVENTGEN" --node 510104 --count 6000 --seed 11 >"$T/events.jsonl"
"$JIANCHA" send --data "$T/county" "$T/events.jsonl" >"$T/send.out" || fail "$(cat "$T/send.out")"
grep -q '6000 accepted' "$T/send.out" || fail "send: $(cat "$T/send.out")"

disk_at() { # NODE AT: the disk column of NODE in query nodes --json at AT
    "$JIANCHA" query nodes --data "$T/$2" --json | jq -r --arg n "$1" 'select(.node == $n) | .disk'
}
lit() { local d; d=$(disk_at 510104 city); [ "$d" = yellow ] || [ "$d" = red ]; }
wait_until 40 lit || fail "the city shows no node.disk for the county: $(disk_at 510104 city)"
[ "$(disk_at 510104 county)" = "$(disk_at 510104 city)" ] ||
    fail "county and city disagree: $(disk_at 510104 county) / $(disk_at 510104 city)"
grep -q "node.disk .* node=510104: the store uses" "$T/county.log" || fail "no log line at the county"
until_true 20 '[ "$(count "$T/city")" = "$(count "$T/county")" ]' ||
    fail "the city holds $(count "$T/city") of $(count "$T/county") records"
[ "$(ids "$T/city" | sort -u | wc -l)" = 6000 ] || fail "events missing at the city"
# the department lights are not touched by a node's alarm
"$JIANCHA" query nodes --data "$T/city" --json | jq -e 'select(.node == "510104") | .red == 0 and .yellow == 0' >/dev/null ||
    fail "node.disk counted among the department's lights"

stop county
sed -i 's/^    budget_mb = 1$/    budget_mb = 1000/' "$T/county.cfg"
start county
wait_until 40 bash -c "[ \"\$(\"$JIANCHA\" query nodes --data \"$T/city\" --json | jq -r 'select(.node == \"510104\") | .disk')\" = ok ]" ||
    fail "node.disk not cleared at the city: $(disk_at 510104 city)"
"$JIANCHA" query alerts --data "$T/city" --json |
    jq -s -e 'map(select(.rule == "node.disk")) | length == 1 and .[0].state == "cleared" and .[0].ledger[-1].action == "cleared"' >/dev/null ||
    fail "the city's alert: $("$JIANCHA" query alerts --data "$T/city" --json | jq -c 'select(.rule == "node.disk")')"
say "ok: node.disk raised over budget, shown at the city, nothing dropped, cleared with room"
