#!/usr/bin/env bash
# A county's wall clock jumps a day ahead under traffic and comes back (an operator's mistake, a
# bad NTP source): the session with the city is not dropped, nothing is lost or stored twice,
# node.clock is raised against the county and reaches the province, no light is raised for a day
# the parent's clock has not ended (the case's yellow threshold and the patrol day both lie in the
# jumped-over day), the alarm clears when the clock is right again, and the held yellow comes on
# when the whole tree's clock really passes its threshold, at the right instant.
# Every clock is pinned to 2026-11-12 10:00 +08:00 through libfaketime's timestamp file, read
# again every second; monotonic clocks are left alone, as in a real jump.
. "$(dirname "$0")/lib.sh"

pin_clocks 2026-11-12T10:00:00+08:00
set_clock "$T/tree.clock"   # the province's and the city's
set_clock "$T/county.clock"
cp "$SRC/tests/vectors/catalog-lic.json" "$T/catalog.json" # one item, 10 wd promised
on_clock "$T/tree.clock" province_and_city
collector_config county 510104 "$(endpoint_of city)" "rules
    catalog = $T/catalog.json
    calendar = $SRC/config/cn-workdays.tsv
patrol
    from = 2026-11-12"
on_clock "$T/county.clock" start county

# Accepted Mon 11-02 with 10 wd: day 8 ends Thu 11-12, so the yellow is due at 11-13 00:00.
{
    echo '{"type":"staff.credential","id":"cred","at":"2026-01-01T00:00:00+08:00","handler":"H1","dept":"SCJGJ","categories":["licensing"],"valid_from":"2026-01-01T00:00:00+08:00","valid_until":"2027-12-31T00:00:00+08:00"}'
    echo '{"type":"case.accept","id":"a-C1","at":"2026-11-02T09:00:00+08:00","case":"C1","item":"LIC","dept":"SCJGJ","handler":"H1"}'
} >"$T/first.jsonl"
traffic() { # FROM TO: cases accepted on 11-12, far from any threshold
    for i in $(seq "$1" "$2"); do
        printf '{"type":"case.accept","id":"t%d","at":"2026-11-12T09:%02d:00+08:00","case":"T%d","item":"LIC","dept":"SCJGJ","handler":"H1"}\n' "$i" $((i % 60)) "$i"
    done
}
traffic 1 300 >"$T/before.jsonl"
traffic 301 600 >"$T/during.jsonl"
traffic 601 900 >"$T/after.jsonl"
cat "$T/first.jsonl" "$T/before.jsonl" "$T/during.jsonl" "$T/after.jsonl" >"$T/all.jsonl"
on_clock "$T/county.clock" "$JIANCHA" send --data "$T/county" "$T/first.jsonl" >/dev/null || fail "send"
on_clock "$T/county.clock" "$JIANCHA" send --data "$T/county" "$T/before.jsonl" >/dev/null || fail "send"
alerts() { "$JIANCHA" query alerts --data "$1" --json; }
lights() { alerts "$1" | jq -c 'select(.rule | startswith("node.") | not)'; }
clock_state() { alerts "$1" | jq -r 'select(.rule == "node.clock" and .node == "510104") | .state'; }
city_has_traffic() { [ "$(count "$T/city")" -gt 300 ]; }
wait_until 20 city_has_traffic || fail "the city did not get the traffic"
[ -z "$(lights "$T/county")" ] || fail "a light before the jump: $(lights "$T/county")"
[ -z "$(clock_state "$T/county")" ] || fail "node.clock with the clocks agreeing"

say "-- the county's clock jumps a day ahead, under traffic"
set_clock "$T/county.clock" 86400
on_clock "$T/county.clock" "$JIANCHA" send --data "$T/county" "$T/during.jsonl" >/dev/null || fail "send during the jump"
clock_is() { [ "$(clock_state "$T/$1")" = "$2" ]; }
wait_until 30 clock_is county open || fail "no node.clock at the county: $(alerts "$T/county")"
wait_until 30 clock_is province open || fail "node.clock did not reach the province"
alerts "$T/county" | jq -s -e 'map(select(.rule == "node.clock")) | length == 1 and .[0].light == "red" and (.[0].detail | test("ahead of its parent"))' >/dev/null ||
    fail "node.clock: $(alerts "$T/county" | jq -c 'select(.rule == "node.clock")')"
sleep 3 # time for a wrong light to appear, were the county judging by its own clock
[ -z "$(lights "$T/county")" ] || fail "a light for a day the parent's clock has not ended: $(lights "$T/county")"

say "-- and comes back"
set_clock "$T/county.clock"
wait_until 30 clock_is county cleared || fail "node.clock not cleared at the county"
wait_until 30 clock_is province cleared || fail "the clearing did not reach the province"
on_clock "$T/county.clock" "$JIANCHA" send --data "$T/county" "$T/after.jsonl" >/dev/null || fail "send after the jump"
[ -z "$(lights "$T/county")" ] || fail "a light after the clock came back: $(lights "$T/county")"
[ -z "$(lights "$T/province")" ] || fail "a false light reached the province: $(lights "$T/province")"
grep -q 'parent silent' "$T/county.log" && fail "the jump dropped the county's session"
[ "$(grep -c 'session open node=510104' "$T/city.log")" = 1 ] || fail "the county's session was reopened: $(grep 'session' "$T/city.log")"
arrived() { [ "$(ids "$T/province" | sort -u | wc -l)" -ge "$(wc -l <"$T/all.jsonl")" ]; }
wait_until 30 arrived || say "not all events reached the province"
exactly_once "$T/all.jsonl" "$T/province"

say "-- the whole tree's clock passes the threshold: the held yellow comes on, at its instant"
for f in tree county; do set_clock "$T/$f.clock" 86400; done
yellow() { lights "$1" | jq -s -e 'map(select(.rule == "limit.case" and .case == "C1" and .light == "yellow" and .raised_at == "2026-11-13T00:00:00.000+08:00")) | length == 1' >/dev/null; }
wait_until 30 yellow "$T/county" || fail "no yellow once the clocks agreed: $(lights "$T/county")"
wait_until 30 yellow "$T/province" || fail "the yellow did not reach the province"
[ "$(clock_state "$T/county")" = cleared ] || fail "node.clock raised when every clock moved together"
# the patrol day 11-12 has ended for everyone now: its shortfall is a true finding
shortfall() { [ -n "$(lights "$T/county" | jq -c 'select(.rule == "patrol.shortfall" and .day == "2026-11-12")')" ]; }
wait_until 30 shortfall ||
    fail "no patrol.shortfall for 11-12 once it ended: $(lights "$T/county")"
say "ok: a clock jump raised and cleared node.clock, lost nothing and lit nothing false"
