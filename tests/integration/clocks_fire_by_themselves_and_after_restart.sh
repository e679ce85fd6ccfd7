#!/usr/bin/env bash
# Time rules fire with no new event: a case's yellow light appears when the collector's clock
# passes the threshold, and after the collector was stopped across the red threshold the alert
# escalates right after it restarts, once; both changes reach the city in signed batches.
# The collector runs under libfaketime so a threshold can be crossed in seconds.
. "$(dirname "$0")/lib.sh"

# The county runs on a clock file (lib.sh pin_clocks/set_clock): weeks behind the city's, and
# moved to each instant the test names. (libfaketime's "@" start-at form drifted by the minutes
# the suite had been running when test.sh preloads it around ctest.)
pin_clocks 2026-11-12T15:59:40Z
export TZ=UTC

cp "$SRC/tests/vectors/catalog-lic.json" "$T/catalog.json" # one item, 10 wd promised
keys 510104
aggregator_config city 510100
start city
collector_config county 510104 "$(endpoint_of city)" "rules
    catalog = $T/catalog.json
    calendar = $SRC/config/cn-workdays.tsv"

# start_at "YYYY-MM-DD HH:MM:SS" (UTC): the county collector on its clock set there
start_at() {
    set_clock "$T/county.clock" $(($(date -u -d "$1" +%s) - $(date -u -d "2026-11-12 15:59:40" +%s)))
    on_clock "$T/county.clock" start county
}

# Accepted Mon 2026-11-02 09:00 +08:00 with 10 wd promised: yellow when working day 8 ends
# (Thu 11-12, so at 2026-11-13 00:00 +08:00 = 11-12 16:00 UTC), red when day 10 ends (Mon 11-16).
start_at "2026-11-12 15:59:40"   # 20 s before the threshold: slack for a loaded machine
cat >"$T/events.jsonl" <<'JSON'
{"type":"staff.credential","id":"c1","at":"2026-01-01T00:00:00+08:00","handler":"H1","dept":"SCJGJ","categories":["licensing"],"valid_from":"2026-01-01T00:00:00+08:00","valid_until":"2027-12-31T00:00:00+08:00"}
{"type":"case.accept","id":"a1","at":"2026-11-02T09:00:00+08:00","case":"C1","item":"LIC","dept":"SCJGJ","handler":"H1"}
JSON
"$JIANCHA" send --data "$T/county" "$T/events.jsonl" >/dev/null || fail "send"
alerts() { "$JIANCHA" query alerts --data "$1" --json; }
# The county's clock is set weeks behind the city's, which its parent's PINGs show: node.clock,
# against the node. (Behind, it judges by its own clock: nothing is raised before its time.)
sleep 2
[ -z "$(alerts "$T/county" | jq -c 'select(.rule != "node.clock")')" ] ||
    fail "an alert before its time: $(alerts "$T/county")"
# (node.clock needs the PINGs of 10 s to agree on it: the yellow may come first)
clock_alarm() { alerts "$T/county" | jq -s -e 'map(select(.rule == "node.clock" and .light == "red")) | length == 1' >/dev/null; }
wait_until 30 clock_alarm || fail "no node.clock for a clock weeks behind its parent's: $(alerts "$T/county")"

# no new event: the clock alone turns the light on, and the change travels up
# jq -s: an empty answer must count as "not there" (jq -e alone succeeds on no input)
has_alert() { alerts "$1" | jq -s -e "map(select($2)) | length > 0" >/dev/null; }
yellow() { has_alert "$1" '.rule == "limit.case" and .light == "yellow" and .case == "C1"'; }
wait_until 60 yellow "$T/county" || fail "no yellow at the county: $(alerts "$T/county")"
wait_until 30 yellow "$T/city" || fail "no yellow at the city: $(alerts "$T/city")"
has_alert "$T/county" '.raised_at == "2026-11-13T00:00:00.000+08:00" and (.ledger | length) == 1' ||
    fail "raised at the wrong moment: $(alerts "$T/county")"

# stopped across the red threshold; restarted days later, it catches up at once, once
stop county
start_at "2026-11-20 02:00:00"
red() { has_alert "$1" '.rule == "limit.case" and .light == "red" and (.ledger | length) == 2'; }
wait_until 30 red "$T/county" || fail "no red after restart: $(alerts "$T/county")"
wait_until 30 red "$T/city" || fail "no red at the city: $(alerts "$T/city")"
sleep 1
stop county
start_at "2026-11-20 02:00:05"
sleep 1
n=$("$JIANCHA" query events --data "$T/city" --json | jq -r 'select(.event.type == "alert" and .event.alert.rule == "limit.case") | .event.id' | sort | uniq | wc -l)
[ "$n" = 2 ] || fail "expected 2 limit.case changes at the city, got $n"
d=$("$JIANCHA" query events --data "$T/city" --json | jq -r 'select(.event.type == "alert") | .event.id' | sort | uniq -d | wc -l)
[ "$d" = 0 ] || fail "an alert change arrived twice"
"$JIANCHA" status --data "$T/county" | grep -q '^catalogue in force: version 1$' ||
    fail "the catalogue version is not kept in the store"
# a newer catalogue file replaces the stored one; an older file never does
stop county
sed -i 's/"version":1/"version":2/' "$T/catalog.json"
start_at "2026-11-20 02:00:10"
"$JIANCHA" status --data "$T/county" | grep -q '^catalogue in force: version 2$' || fail "v2 not kept"
stop county
sed -i 's/"version":2/"version":1/' "$T/catalog.json"
start_at "2026-11-20 02:00:15"
"$JIANCHA" status --data "$T/county" | grep -q '^catalogue in force: version 2$' ||
    fail "an older catalogue file replaced a newer stored one"
grep -q 'the store holds catalogue version 2, newer than the file' "$T/county.log" ||
    fail "no warning about the older file"
say "ok: yellow by itself at the threshold, red once after a restart, both at the city"
