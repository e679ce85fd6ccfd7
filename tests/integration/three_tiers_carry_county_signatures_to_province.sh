#!/usr/bin/env bash
# County → city → province as real processes: the city forwards every county batch unchanged
# inside batches it signs itself; the province checks the county's own signature, sequence and
# chain, and holds the county's events exactly once, identical to the county's, also when the city
# is killed with SIGKILL in the middle of the stream. The county's rules raise alerts and count its
# day sheets; the province scores the county from those sheets exactly as the county does.
. "$(dirname "$0")/lib.sh"

province_and_city
collector_config county 510104 "$(endpoint_of city)" "batch
    max_events = 500
rules
    catalog = $SRC/config/catalog.json
    calendar = $SRC/config/cn-workdays.tsv
counters
    interval_ms = 200"
start county

"$EVENTGEN" --node 510104 --count 30000 --seed 41 --violations 0.05 >"$T/events.jsonl"
split -l 10000 -d -a 1 "$T/events.jsonl" "$T/part."
"$JIANCHA" send --data "$T/county" "$T/part.0" >/dev/null || fail "send 0"
kill9 city
"$JIANCHA" send --data "$T/county" "$T/part.1" >/dev/null || fail "send 1"
start city
sleep 0.3
kill9 city
start city
"$JIANCHA" send --data "$T/county" "$T/part.2" >/dev/null || fail "send 2"

county_events() { events "$1" 510104 | wc -l; }
at_province() { [ "$(county_events "$T/province")" = 30000 ]; }
wait_until 60 at_province || fail "province holds $(county_events "$T/province") county events"
# everything the county holds, alerts and counter sheets too, reaches the province unchanged
all_records() { "$JIANCHA" query events --data "$1" --node 510104 --json; }
same_records() { all_records "$T/county" >"$T/c.json"; all_records "$T/province" >"$T/p.json"; cmp -s "$T/c.json" "$T/p.json"; }
wait_until 30 same_records || fail "the province's county records differ from the county's"
grep -q '"type":"alert"' "$T/p.json" || fail "no alert of the county reached the province"
grep -q '"type":"counters"' "$T/p.json" || fail "no counter sheet of the county reached the province"
exactly_once "$T/events.jsonl" "$T/province"
# the province knows the county as a node of its own (its chain is checked there), under its city
"$JIANCHA" query nodes --data "$T/province" >"$T/nodes.txt"
grep -Eq '^  510100 ' "$T/nodes.txt" || fail "no city in the tree: $(cat "$T/nodes.txt")"
grep -Eq '^    510104 +[0-9]+ ' "$T/nodes.txt" || fail "county not in the tree: $(cat "$T/nodes.txt")"
# the province has no parent: its own records are kept, not a backlog (the city's is one)
! grep -q "this node's uplink" "$T/nodes.txt" || fail "a backlog for the province's missing uplink"
"$JIANCHA" status --data "$T/province" | grep -q "^uplink: none, the top of the tree" ||
    fail "province status: $("$JIANCHA" status --data "$T/province")"
"$JIANCHA" status --data "$T/city" | grep -q "^  last batch acked" || fail "the city's uplink not shown"
# the same sheets and one formula: the province scores the county as the county scores itself
for by in node dept category; do
    "$JIANCHA" query scores --data "$T/county" --period 2026-11 --by $by --json >"$T/sc.json"
    "$JIANCHA" query scores --data "$T/province" --period 2026-11 --by $by --node 510104 --json >"$T/sp.json"
    [ -s "$T/sc.json" ] || fail "no scores at the county"
    cmp -s "$T/sc.json" "$T/sp.json" || fail "scores by $by differ: $(diff "$T/sc.json" "$T/sp.json" | head -n 4)"
done
say "ok: 30000 county events at the province exactly once, county signatures checked there, same scores"
