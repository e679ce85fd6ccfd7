#!/usr/bin/env bash
# The province publishes a new catalogue version as a signed bundle: it travels province → city →
# county and to a county that was down at the time (at its next session), every collector runs it
# (also after a restart), each node's acknowledgement travels back up, and the province lists the
# version every node runs. An older version and a bundle signed with another key are refused with
# their reason and change nothing.
. "$(dirname "$0")/lib.sh"

for n in 510000 510100 510104 510105; do keys $n; done
PUB="bundle
    publisher_key = $T/keys/510000.pub"
UP="uplink
    heartbeat_ms = 200
    timeout_ms = 1500
    ack_timeout_ms = 1000
    backoff_max_ms = 500"
aggregator_config province 510000 "$PUB"
start province
aggregator_config city 510100 "aggregator
    key = $T/keys/510100.secret
$UP
    endpoint = $(endpoint_of province)
$PUB
desk
    calendar = $SRC/config/cn-workdays.tsv"
start city
for c in 510104 510105; do
    collector_config "c$c" $c "$(endpoint_of city)" "rules
    catalog = $SRC/config/catalog.json
    calendar = $SRC/config/cn-workdays.tsv
$PUB"
    start "c$c"
done
stop c510105 # down while the bundle is published

jq '.version = 2' "$SRC/config/catalog.json" >"$T/catalog-v2.json"
"$JIANCHA" bundle publish --kind catalog --file "$T/catalog-v2.json" --key "$T/keys/510000.secret" \
    --to "$(endpoint_of province)" >"$T/pub.out" || fail "publish v2: $(cat "$T/pub.out")"

# (output is read whole before grep: grep -q closing the pipe early would fail it under pipefail)
runs() { local out; out=$("$JIANCHA" status --data "$T/$1"); grep -q "^catalogue in force: version $2\$" <<<"$out"; }
wait_until 20 runs c510104 2 || fail "the county did not apply catalogue v2"
runs c510105 1 || fail "a stopped county changed"
start c510105
wait_until 20 runs c510105 2 || fail "the county down at publication did not get v2 at its next session"

# every node's acknowledgement at the province: the province itself, the city and both counties
acked() {
    "$JIANCHA" query nodes --data "$T/province" >"$T/nodes.txt"
    for n in 510000 510100 510104 510105; do
        grep -Eq "^ *$n .* v2 " "$T/nodes.txt" || return 1
    done
}
wait_until 20 acked || fail "the province does not list v2 for every node: $(cat "$T/nodes.txt")"
# the same figures as JSON, one object per node
"$JIANCHA" query nodes --data "$T/province" --json >"$T/nodes.json"
for n in 510000 510100 510104 510105; do
    jq -s -e --arg n "$n" 'map(select(.node == $n))[0].catalog == 2' "$T/nodes.json" >/dev/null ||
        fail "query nodes --json: node $n has not catalog 2: $(cat "$T/nodes.json")"
done
[ "$(jq -s length "$T/nodes.json")" = "$(grep -Ec '^ *5[0-9]{5} ' "$T/nodes.txt")" ] ||
    fail "query nodes --json lists other nodes than the table"

# an older version is refused as stale, a bundle signed by a county as a bad signature
if "$JIANCHA" bundle publish --kind catalog --file "$SRC/config/catalog.json" \
    --key "$T/keys/510000.secret" --to "$(endpoint_of province)" 2>"$T/stale.err"; then
    fail "an older catalogue was accepted"
fi
grep -q "stale" "$T/stale.err" || fail "no stale reason: $(cat "$T/stale.err")"
jq '.version = 3' "$SRC/config/catalog.json" >"$T/catalog-v3.json"
if "$JIANCHA" bundle publish --kind catalog --file "$T/catalog-v3.json" \
    --key "$T/keys/510104.secret" --to "$(endpoint_of province)" 2>"$T/forged.err"; then
    fail "a bundle signed by a county was accepted"
fi
grep -q "bad-signature" "$T/forged.err" || fail "no signature reason: $(cat "$T/forged.err")"
# and a forged bundle offered straight to a city changes nothing either
"$JIANCHA" bundle publish --kind catalog --file "$T/catalog-v3.json" \
    --key "$T/keys/510104.secret" --to "$(endpoint_of city)" 2>/dev/null && fail "the city took a forged bundle"

# a restarted county keeps running the version it was sent, over its older file
stop c510104
start c510104
runs c510104 2 || fail "the restarted county went back to its file's catalogue"
grep -q "rules on catalog_version=2" "$T/c510104.log" || fail "the restarted county does not judge with v2"

# a calendar bundle too (no version of its own: the publisher gives one); this one declares the
# week of 2026-10-12 holidays, and the city's office counts its deadlines with it from then on
{ cat "$SRC/config/cn-workdays.tsv"; for d in 12 13 14 15 16; do printf '2026-10-%s\tholiday\t测试\n' $d; done; } >"$T/cal-v7.tsv"
"$JIANCHA" bundle publish --kind calendar --file "$T/cal-v7.tsv" --version 7 \
    --key "$T/keys/510000.secret" --to "$(endpoint_of province)" >/dev/null || fail "publish calendar"
cal_acked() { local out; out=$("$JIANCHA" query nodes --data "$T/province"); grep -Eq "^ +510105 .* v7 " <<<"$out"; }
wait_until 20 cal_acked || fail "calendar v7 not acknowledged by 510105"
wait_until 20 grep -q "desk counts with calendar version 7" "$T/city.log" || fail "the city's desk kept its file"
# a supervision case opened 10-09: 20 working days, a week longer with that week off
"$JIANCHA" supervise open --data "$T/city" --id DB-CAL --target 510104 --subject 核查 --by zhang \
    --at 2026-10-09T10:00:00+08:00 >/dev/null || fail "open a case at the city"
overdue_at() { "$JIANCHA" query alerts --data "$T/city" --rule supervision.overdue --json | jq -r .raised_at; }
until_true 20 '[ -n "$(overdue_at)" ]' || fail "no supervision.overdue at the city"
[ "$(overdue_at)" = "2026-11-13T00:00:00.000+08:00" ] || fail "due by the file's calendar, not v7's: $(overdue_at)"
# and after a restart the city keeps counting with the calendar it was sent
stop city
start city
until_true 20 '[ "$(grep -c "desk counts with calendar version 7" "$T/city.log")" = 2 ]' ||
    fail "the restarted city's desk went back to its file"
# the operators roster too reaches a county that was down when it was published: an aggregator
# sends every kind it holds at each session (it left the roster out, so a late county never got
# it). Last in this test: a node holding a roster is read by named operators only.
stop c510105
"$JIANCHA" operator key --name admin --node 510000 --out "$T/ops" >/dev/null || fail "operator key"
{ echo '{"version": 1, "operators": ['
  "$JIANCHA" operator entry --name admin --role administrator --node 510000 --pub "$T/ops/admin.pub"
  echo ']}'; } >"$T/roster.json"
"$JIANCHA" bundle publish --kind operators --file "$T/roster.json" --key "$T/keys/510000.secret" \
    --to "$(endpoint_of province)" >/dev/null || fail "publish the roster"
wait_until 20 grep -q "bundle applied kind=operators version=1" "$T/c510104.log" ||
    fail "the county in session did not get the roster"
start c510105
wait_until 20 grep -q "bundle applied kind=operators version=1" "$T/c510105.log" ||
    fail "the county down at publication never got the roster at its next session"
say "ok: catalogue v2, calendar v7 and the operators roster reached every node, acknowledged up to the province (the city's office counts with v7); stale and forged bundles refused"
