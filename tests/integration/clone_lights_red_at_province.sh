#!/usr/bin/env bash
# A cloned county (a second machine with the same key and node code, or a restored snapshot) has
# another history than the one its city holds. The clone parks itself at its WELCOME; its
# heartbeats show the city the other history, and the city raises a red node.clone alarm that
# reaches the province. Nothing of the clone is stored; the real county goes on. (A clone that
# does send a batch reusing a sequence gets NACK conflict, the batch is quarantined and the same
# alarm raised: tests/unit/ingest_test.c.)
. "$(dirname "$0")/lib.sh"

province_and_city
collector_config county 510104 "$(endpoint_of city)"
start county
"$EVENTGEN" --node 510104 --count 300 --seed 3 >"$T/real.jsonl"
"$JIANCHA" send --data "$T/county" "$T/real.jsonl" >/dev/null || fail "send real"
held() { [ "$(events "$T/province" 510104 | wc -l)" = "$1" ]; }
wait_until 20 held 300 || fail "real events not at the province"

# the clone: same node, same key, its own store and other events
collector_config clone 510104 "$(endpoint_of city)"
start clone
"$EVENTGEN" --node 510104 --count 50 --seed 4 --prefix clone >"$T/clone.jsonl"
"$JIANCHA" send --data "$T/clone" "$T/clone.jsonl" >/dev/null || fail "send clone"

alarm() { # DIR: a red node.clone alert for 510104's batch 1
    "$JIANCHA" query alerts --data "$1" --json |
        jq -s -e 'map(select(.rule == "node.clone" and .light == "red" and .child == "510104/1")) | length == 1' >/dev/null
}
wait_until 20 alarm "$T/city" || fail "no node.clone alarm at the city: $("$JIANCHA" query alerts --data "$T/city" --json)"
wait_until 20 alarm "$T/province" || fail "the node.clone alarm did not reach the province"
grep -q "node.clone node=510104 seq=1" "$T/city.log" || fail "the alarm was not logged"
parked() { local out; out=$("$JIANCHA" status --data "$T/clone"); grep -Eq "^parked batches[^:]*: [1-9]" <<<"$out"; }
wait_until 10 parked || fail "the clone did not park its refused batch"
# nothing of the clone is stored as the county's, at either tier
for d in city province; do
    [ "$(events "$T/$d" 510104 | wc -l)" = 300 ] || fail "$d: the clone's events got in"
    if events "$T/$d" 510104 | grep -q '"clone-'; then fail "$d holds a clone event"; fi
done
# the real county goes on: its next events are stored as usual
"$EVENTGEN" --node 510104 --count 20 --seed 5 --prefix more >"$T/more.jsonl"
"$JIANCHA" send --data "$T/county" "$T/more.jsonl" >/dev/null || fail "send more"
wait_until 20 held 320 || fail "the real county stopped"
say "ok: the clone's reused sequence was refused, quarantined and lit red at the province"
