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

FAKELIB=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -n 1)
[ -n "$FAKELIB" ] || fail "libfaketime is not installed (packaging/install-deps.sh installs it)"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
unset FAKETIME # this test pins its own clock (test.sh may have moved the suite's)
real_now=$(env -u LD_PRELOAD date +%s)
BASE=$(($(date -d 2026-11-12T10:00:00+08:00 +%s) - real_now))
offset() { [ "$1" -lt 0 ] && echo "$1" || echo "+$1"; } # SECONDS as libfaketime reads them
for n in province city county; do offset "$BASE" >"$T/$n.clock"; done
# on NODE: run what follows on NODE's clock file
on() { local n=$1; shift; LD_PRELOAD="$FAKELIB" FAKETIME_TIMESTAMP_FILE="$T/$n.clock" \
    FAKETIME_CACHE_DURATION=1 FAKETIME_DONT_FAKE_MONOTONIC=1 "$@"; }
set_clock() { offset "$2" >"$T/$1.clock.new" && mv "$T/$1.clock.new" "$T/$1.clock"; }

cat >"$T/catalog.json" <<'JSON'
{"version":1,"items":[{"item":"LIC","name":"食品经营许可","category":"licensing","node":"510104",
 "dept":"SCJGJ","basis":["《食品安全法》第三十五条"],
 "limits":{"promised":{"n":10,"unit":"wd"},"legal":{"n":20,"unit":"wd"}},
 "steps":[{"name":"受理"},{"name":"审查"},{"name":"决定"}],"credential":true}]}
JSON
keys 510104; keys 510100; keys 510000
aggregator_config province 510000
on province start province
aggregator_config city 510100 "aggregator
    key = $T/keys/510100.secret
uplink
    endpoint = $(endpoint_of province)
    heartbeat_ms = 200
    timeout_ms = 1500
    ack_timeout_ms = 1000
    backoff_max_ms = 500"
on city start city
collector_config county 510104 "$(endpoint_of city)" "rules
    catalog = $T/catalog.json
    calendar = $SRC/config/cn-workdays.tsv
patrol
    from = 2026-11-12"
on county start county

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
on county "$JIANCHA" send --data "$T/county" "$T/first.jsonl" >/dev/null || fail "send"
on county "$JIANCHA" send --data "$T/county" "$T/before.jsonl" >/dev/null || fail "send"
alerts() { "$JIANCHA" query alerts --data "$1" --json; }
lights() { alerts "$1" | jq -c 'select(.rule | startswith("node.") | not)'; }
clock_state() { alerts "$1" | jq -r 'select(.rule == "node.clock" and .node == "510104") | .state'; }
city_has_traffic() { [ "$(count "$T/city")" -gt 300 ]; }
wait_until 20 city_has_traffic || fail "the city did not get the traffic"
[ -z "$(lights "$T/county")" ] || fail "a light before the jump: $(lights "$T/county")"
[ -z "$(clock_state "$T/county")" ] || fail "node.clock with the clocks agreeing"

say "-- the county's clock jumps a day ahead, under traffic"
set_clock county $((BASE + 86400))
on county "$JIANCHA" send --data "$T/county" "$T/during.jsonl" >/dev/null || fail "send during the jump"
clock_is() { [ "$(clock_state "$T/$1")" = "$2" ]; }
wait_until 30 clock_is county open || fail "no node.clock at the county: $(alerts "$T/county")"
wait_until 30 clock_is province open || fail "node.clock did not reach the province"
alerts "$T/county" | jq -s -e 'map(select(.rule == "node.clock")) | length == 1 and .[0].light == "red" and (.[0].detail | test("ahead of its parent"))' >/dev/null ||
    fail "node.clock: $(alerts "$T/county" | jq -c 'select(.rule == "node.clock")')"
sleep 3 # time for a wrong light to appear, were the county judging by its own clock
[ -z "$(lights "$T/county")" ] || fail "a light for a day the parent's clock has not ended: $(lights "$T/county")"

say "-- and comes back"
set_clock county "$BASE"
wait_until 30 clock_is county cleared || fail "node.clock not cleared at the county"
wait_until 30 clock_is province cleared || fail "the clearing did not reach the province"
on county "$JIANCHA" send --data "$T/county" "$T/after.jsonl" >/dev/null || fail "send after the jump"
[ -z "$(lights "$T/county")" ] || fail "a light after the clock came back: $(lights "$T/county")"
[ -z "$(lights "$T/province")" ] || fail "a false light reached the province: $(lights "$T/province")"
grep -q 'parent silent' "$T/county.log" && fail "the jump dropped the county's session"
[ "$(grep -c 'session open node=510104' "$T/city.log")" = 1 ] || fail "the county's session was reopened: $(grep 'session' "$T/city.log")"
arrived() { [ "$(ids "$T/province" | sort -u | wc -l)" -ge "$(wc -l <"$T/all.jsonl")" ]; }
wait_until 30 arrived || say "not all events reached the province"
exactly_once "$T/all.jsonl" "$T/province"

say "-- the whole tree's clock passes the threshold: the held yellow comes on, at its instant"
for n in province city county; do set_clock $n $((BASE + 86400)); done
yellow() { lights "$1" | jq -s -e 'map(select(.rule == "limit.case" and .case == "C1" and .light == "yellow" and .raised_at == "2026-11-13T00:00:00.000+08:00")) | length == 1' >/dev/null; }
wait_until 30 yellow "$T/county" || fail "no yellow once the clocks agreed: $(lights "$T/county")"
wait_until 30 yellow "$T/province" || fail "the yellow did not reach the province"
[ "$(clock_state "$T/county")" = cleared ] || fail "node.clock raised when every clock moved together"
# the patrol day 11-12 has ended for everyone now: its shortfall is a true finding
shortfall() { [ -n "$(lights "$T/county" | jq -c 'select(.rule == "patrol.shortfall" and .day == "2026-11-12")')" ]; }
wait_until 30 shortfall ||
    fail "no patrol.shortfall for 11-12 once it ended: $(lights "$T/county")"
say "ok: a clock jump raised and cleared node.clock, lost nothing and lit nothing false"
