#!/usr/bin/env bash
# Counters roll up exactly through outages, and a province can take rollups only from a city.
# 成都 (510100) sends everything up; the province takes only alerts and counters from 自贡
# (510300, aggregator/rollup_only). While events flow, 自贡's aggregator is killed with SIGKILL and
# later the province itself is down. After recovery, the province's counters for each county equal
# the county's own and count every case accepted exactly once; 自贡's business events stayed below
# while its alerts and counter sheets arrived under the county's signed headers. Then a late event
# corrects an old day at a county: the day's new sheet replaces the old one at every tier.
. "$(dirname "$0")/lib.sh"

for n in 510000 510100 510300 510104 510302; do keys $n; done
UP="uplink
    heartbeat_ms = 200
    timeout_ms = 1500
    ack_timeout_ms = 1000
    backoff_max_ms = 500"
aggregator_config province 510000 "aggregator
    rollup_only = 510300"
start province
for city in 510100 510300; do
    aggregator_config "a$city" $city "aggregator
    key = $T/keys/$city.secret
$UP
    endpoint = $(endpoint_of province)"
    start "a$city"
done
declare -A CITY=([510104]=510100 [510302]=510300)
for c in 510104 510302; do
    collector_config "c$c" $c "$(endpoint_of "a${CITY[$c]}")" "rules
    catalog = $SRC/config/catalog.json
    calendar = $SRC/config/cn-workdays.tsv
counters
    interval_ms = 200"
    start "c$c"
    "$EVENTGEN" --node $c --count 15000 --seed ${c: -1} --violations 3 --hours 500 >"$T/$c.jsonl"
    split -l 5000 -d -a 1 "$T/$c.jsonl" "$T/$c.part."
done
send_part() { for c in 510104 510302; do "$JIANCHA" send --data "$T/c$c" "$T/$c.part.$1" >/dev/null || fail "send $c part $1"; done; }

send_part 0
kill9 a510300
send_part 1
start a510300
stop province
send_part 2
sleep 1
start province

NOV_START=$(date -d 2026-11-01T00:00:00+08:00 +%s)000
DEC_START=$(date -d 2026-12-01T00:00:00+08:00 +%s)000
accepted() { jq -s "[.[] | select(.type == \"case.accept\" and .at >= $NOV_START and .at < $DEC_START)] | length" "$T/$1.jsonl"; }
cases() { "$JIANCHA" query scores --data "$1" --period 2026-11 --node "$2" --json | jq -s '.[0].cases // 0'; }
scores() { "$JIANCHA" query scores --data "$1" --period 2026-11 --node "$2" --by dept --json; }
settled() {
    for c in 510104 510302; do
        [ "$(cases "$T/c$c" $c)" = "$(accepted $c)" ] || return 1
        [ "$(scores "$T/c$c" $c)" = "$(scores "$T/province" $c)" ] || return 1
    done
}
wait_until 60 settled || fail "counters differ: 510104 county $(cases "$T/c510104" 510104) province $(cases "$T/province" 510104), 510302 county $(cases "$T/c510302" 510302) province $(cases "$T/province" 510302), accepted $(accepted 510104)/$(accepted 510302)"
# the province's total is the sum of its counties, nothing counted twice
total=$("$JIANCHA" query scores --data "$T/province" --period 2026-11 --json | jq -s 'map(.cases) | add')
[ "$total" = $(($(accepted 510104) + $(accepted 510302))) ] || fail "province total $total"
region=$("$JIANCHA" query scores --data "$T/province" --period 2026-11 --by region --node 510000 --json | jq -s '.[0].cases')
[ "$region" = "$total" ] || fail "the province's region counts $region, its nodes $total"

# 成都's county in full, 自贡's as rollups only
[ "$(events "$T/province" 510104 | wc -l)" = 15000 ] || fail "510104 events at the province: $(events "$T/province" 510104 | wc -l)"
exactly_once "$T/510104.jsonl" "$T/province"
[ "$(events "$T/province" 510302 | wc -l)" = 0 ] || fail "510302 business events reached the province over a rollup link"
[ "$(events "$T/a510300" 510302 | wc -l)" = 15000 ] || fail "510302 events at its city: $(events "$T/a510300" 510302 | wc -l)"
"$JIANCHA" query events --data "$T/province" --node 510302 --json >"$T/p510302.json"
grep -q '"type":"alert"' "$T/p510302.json" || fail "no 510302 alert at the province"
grep -q "mode=alerts-and-counters" "$T/a510300.log" || fail "the city was not told its mode"

# a late acceptance dated 11-03 at 自贡: the county counts 11-03 again and the new sheet replaces
# the old one at the city and the province
before=$(cases "$T/province" 510302)
echo '{"type":"case.accept","id":"late-1","at":"2026-11-03T10:00:00+08:00","case":"LATE-1","item":"SC-XK-0101-510302","dept":"SCJGJ","handler":"SCJGJ-H00"}' |
    "$JIANCHA" send --data "$T/c510302" - >/dev/null || fail "late event"
corrected() { [ "$(cases "$T/province" 510302)" = $((before + 1)) ] && [ "$(cases "$T/a510300" 510302)" = $((before + 1)) ]; }
wait_until 30 corrected || fail "the correction did not replace the sheet: province $(cases "$T/province" 510302), city $(cases "$T/a510300" 510302), before $before"
sleep 0.5
[ "$(cases "$T/province" 510302)" = $((before + 1)) ] || fail "the corrected day was counted twice"
say "ok: counters exact at the province through a city crash and a province outage; rollup link kept events below; a corrected day replaced, not added"
