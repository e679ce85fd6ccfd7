#!/usr/bin/env bash
# A county restored from an old backup neither looks like a clone to its parent nor loses what
# its parent holds: it takes back from the city the batches it sealed after the backup, checks
# them against its own key and chain, and goes on from them. The backup is taken while the county
# runs; the county then stores 10,000 more events, is killed and its data destroyed; restored, it
# resumes. Every event is at the province exactly once, no node.clone anywhere, the county's own
# lights are what they were, and a business system resending what it sent since the backup is
# told "duplicate".
. "$(dirname "$0")/lib.sh"

province_and_city
rules="rules
    catalog = $SRC/config/catalog.json
    calendar = $SRC/config/cn-workdays.tsv"
collector_config county 510104 "$(endpoint_of city)" "$rules"
start county
"$EVENTGEN" --node 510104 --count 5000 --seed 21 --prefix a >"$T/a.jsonl"
"$EVENTGEN" --node 510104 --count 10000 --seed 22 --prefix b >"$T/b.jsonl"
"$EVENTGEN" --node 510104 --count 1000 --seed 23 --prefix c >"$T/c.jsonl"
at_province() { events "$T/province" 510104 | wc -l; }
province_has() { [ "$(at_province)" = "$1" ]; }
"$JIANCHA" send --data "$T/county" "$T/a.jsonl" >/dev/null || fail "send a"
wait_until 60 province_has 5000 || fail "the province holds $(at_province) of 5000"

# a backup while the county runs
"$JIANCHA" backup --data "$T/county" --out "$T/county.backup" >"$T/backup.out" 2>&1 ||
    fail "backup: $(cat "$T/backup.out")"
grep -q "^backup of $T/county in $T/county.backup" "$T/backup.out" || fail "$(cat "$T/backup.out")"

"$JIANCHA" send --data "$T/county" "$T/b.jsonl" >/dev/null || fail "send b"
wait_until 90 province_has 15000 || fail "the province holds $(at_province) of 15000"
# the county's lights, settled (its rules pass has judged everything it holds)
judged() { "$JIANCHA" status --data "$T/county" | grep -Eq '^rules pass: judged through record ([0-9]+) of \1 stored'; }
wait_until 30 judged || fail "the county's rules pass did not settle"
sleep 1
lights() { "$JIANCHA" query alerts --data "$T/county" --json | jq -c '{id, rule, light, state}' | sort; }
lights >"$T/lights.before"
[ -s "$T/lights.before" ] || fail "the county raised no light: the test would prove nothing about them"

# the disk is lost
kill9 county
rm -rf "$T/county"
"$JIANCHA" restore --from "$T/county.backup" --data "$T/county" >"$T/restore.out" 2>&1 ||
    fail "restore: $(cat "$T/restore.out")"
if "$JIANCHA" restore --from "$T/county.backup" --data "$T/county" 2>"$T/again.err"; then
    fail "a restore over a store was accepted"
fi
grep -q "already holds a store" "$T/again.err" || fail "$(cat "$T/again.err")"
[ "$(stat -c %a "$T/county")" = 700 ] || fail "restored data directory mode $(stat -c %a "$T/county")"
start county
wait_until 60 grep -q "took back its batches up to" "$T/county.log" ||
    fail "the county did not take its batches back: $(grep link "$T/county.log" | tail -n 5)"

# what a business system sent since the backup is known again
"$JIANCHA" send --data "$T/county" "$T/b.jsonl" >"$T/resend.out" || fail "resend b"
grep -q '0 accepted, 10000 duplicates' "$T/resend.out" || fail "resend after restore: $(cat "$T/resend.out")"
same_lights() { lights >"$T/lights.after"; diff -u "$T/lights.before" "$T/lights.after" >"$T/lights.diff"; }
wait_until 30 same_lights || fail "the county's lights changed across the restore: $(head -n 20 "$T/lights.diff")"

# and it goes on
"$JIANCHA" send --data "$T/county" "$T/c.jsonl" >/dev/null || fail "send c"
wait_until 60 province_has 16000 || fail "the province holds $(at_province) of 16000"
cat "$T/a.jsonl" "$T/b.jsonl" "$T/c.jsonl" | jq -r '.id' | sort >"$T/want.ids"
events "$T/province" 510104 | jq -r '.event.id' | sort >"$T/got.ids"
diff -q "$T/want.ids" "$T/got.ids" >/dev/null || fail "the province's events of 510104 differ from those sent"
for tier in city province; do
    "$JIANCHA" query alerts --data "$T/$tier" --json | jq -s -e 'map(select(.rule == "node.clone")) | length == 0' >/dev/null ||
        fail "node.clone at the $tier: $("$JIANCHA" query alerts --data "$T/$tier" --json | jq -c 'select(.rule == "node.clone")')"
done
"$JIANCHA" status --data "$T/city" --json >"$T/city.json"
jq -e '.children[] | select(.node == "510104") | .rejected == 0 and .repeated == 0' "$T/city.json" >/dev/null ||
    fail "the city refused or counted twice something of the county: $(jq -c '.children' "$T/city.json")"
jq -e '.quarantined == 0 and (.parked | length) == 0' "$T/city.json" >/dev/null || fail "quarantine at the city"
"$JIANCHA" status --data "$T/county" --json | jq -e '(.parked | length) == 0' >/dev/null || fail "the county parked a batch"
say "ok: restored county $(grep -o 'took back its batches up to [0-9]*' "$T/county.log"), no clone, every event once"
