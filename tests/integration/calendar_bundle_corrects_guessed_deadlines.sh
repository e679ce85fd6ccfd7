#!/usr/bin/env bash
# The calendar's end, through county -> city -> province, every clock pinned to 2027-02-05 08:00
# +08:00 while the nodes still hold the 2024-2026 calendar:
# - case C1, accepted Wed 2027-01-20 with 10 working days, is red from 02-04 at every tier,
#   marked provisional (its days were guessed Monday to Friday), and the county and the city
#   raise calendar.coverage red, shown per node by `query nodes` at the province;
# - the province publishes a calendar covering 2027 that declares the week of 02-01 holidays
#   (tests/vectors/holidays-2027-test.tsv, not the real notice): the county judges C1 again and
#   clears it, the ledger naming "calendar 2", both alarms clear, everywhere;
# - the clock moves on: C1 is raised again yellow on 02-09 and red on 02-11, the right days, and
#   equals `jiancha evaluate` with the new calendar; the coverage warning was logged once, and
#   the clock moving days ahead made no child silent (node.silent counts on monotonic time).
. "$(dirname "$0")/lib.sh"

pin_clocks 2027-02-05T08:00:00+08:00
set_clock "$T/tree.clock"
use_clock "$T/tree.clock" # every process of this test

CAL=$SRC/config/cn-workdays.tsv
for n in 510000 510100 510104; do keys $n; done
PUB="bundle
    publisher_key = $T/keys/510000.pub"
aggregator_config province 510000 "$PUB"
start province
aggregator_config city 510100 "aggregator
    key = $T/keys/510100.secret
uplink
    endpoint = $(endpoint_of province)
    heartbeat_ms = 200
    timeout_ms = 1500
    ack_timeout_ms = 1000
    backoff_max_ms = 500
$PUB
desk
    calendar = $CAL"
start city
collector_config county 510104 "$(endpoint_of city)" "rules
    catalog = $SRC/tests/vectors/catalog-lic.json
    calendar = $CAL
$PUB"
start county

cat >"$T/events.jsonl" <<'EOF2'
{"type":"staff.credential","id":"cred","at":"2026-01-01T00:00:00+08:00","handler":"H1","dept":"SCJGJ","categories":["licensing"],"valid_from":"2026-01-01T00:00:00+08:00","valid_until":"2027-12-31T00:00:00+08:00"}
{"type":"case.accept","id":"a-C1","at":"2027-01-20T09:00:00+08:00","case":"C1","item":"LIC","dept":"SCJGJ","handler":"H1"}
EOF2
"$JIANCHA" send --data "$T/county" "$T/events.jsonl" >/dev/null || fail "send"
alert() { "$JIANCHA" query alerts --data "$T/$1" --rule limit.case --json | jq -c 'select(.case == "C1")'; }
is() { alert "$1" | holds "$2"; }
coverage() { # NODE AT: the coverage column of NODE in query nodes at AT
    "$JIANCHA" query nodes --data "$T/$2" | awk -v n="$1" '$1 == n { print $11 }'
}
guessed='.finding == "red" and .provisional == true and .finding_at == "2027-02-04T00:00:00.000+08:00"'
for n in county city province; do
    wait_until 20 is $n "$guessed" || fail "C1 at the $n before the calendar: $(alert $n)"
done
until_true 20 '[ "$(coverage 510104 province)" = red ]' ||
    fail "the province does not show the county's coverage red: $("$JIANCHA" query nodes --data "$T/province")"
until_true 20 '[ "$(coverage 510100 province)" = red ]' ||
    fail "the province does not show the city's coverage red: $("$JIANCHA" query nodes --data "$T/province")"

# a platform alarm is not closed through the desk: it clears when a calendar comes
cov_id=$("$JIANCHA" query alerts --data "$T/county" --rule calendar.coverage --json | jq -r .id)
out=$("$JIANCHA" alert close --data "$T/county" --alert "$cov_id" --by sup --verdict 已知 2>&1) &&
    fail "a calendar.coverage alarm was closed: $out"
grep -q 'field alert: calendar.coverage is a platform alarm' <<<"$out" || fail "unclear refusal: $out"
# nor from the tier above, which knows the county's alarm only by what its records said
out=$("$JIANCHA" alert close --data "$T/city" --alert "$cov_id" --by sup --verdict 已知 2>&1) &&
    fail "the city closed a county's calendar.coverage alarm: $out"
grep -q 'field alert: a platform alarm or an office.s own finding of a node below' <<<"$out" ||
    fail "unclear refusal at the city: $out"

say "-- the province sends a calendar covering 2027, with the week of 02-01 off"
cat "$CAL" "$SRC/tests/vectors/holidays-2027-test.tsv" >"$T/cal-2027.tsv"
"$JIANCHA" bundle publish --kind calendar --file "$T/cal-2027.tsv" --version 2 \
    --key "$T/keys/510000.secret" --to "$(endpoint_of province)" >/dev/null || fail "publish the calendar"
cleared='.state == "cleared" and (.ledger[-1] | .action == "cleared" and .cause == "calendar 2")'
for n in county city province; do
    wait_until 20 is $n "$cleared" || fail "C1 at the $n after the calendar: $(alert $n)"
done
for n in 510104 510100; do
    until_true 20 '[ "$(coverage '"$n"' province)" = ok ]' ||
        fail "coverage of $n at the province: $("$JIANCHA" query nodes --data "$T/province")"
done

say "-- raised again on the right days: yellow 02-09, red 02-11"
set_clock "$T/tree.clock" $((3 * 86400 + 16 * 3600 + 30)) # 2027-02-09 00:00:30
yellow='.state == "open" and .finding == "yellow" and .raised_at == "2027-02-09T00:00:00.000+08:00" and (.provisional | not)'
wait_until 30 is province "$yellow" || fail "C1 at the province on 02-09: $(alert province)"
set_clock "$T/tree.clock" $((5 * 86400 + 16 * 3600 + 30)) # 2027-02-11 00:00:30
red='.finding == "red" and .finding_at == "2027-02-11T00:00:00.000+08:00"'
wait_until 30 is province "$red" || fail "C1 at the province on 02-11: $(alert province)"
"$JIANCHA" evaluate --catalog "$SRC/tests/vectors/catalog-lic.json" --calendar "$T/cal-2027.tsv" \
    --node 510104 --as-of 2027-02-11T00:00:30+08:00 "$T/events.jsonl" 2>/dev/null |
    jq -c 'select(.rule == "limit.case") | {id, finding, raised_at, finding_at}' >"$T/want"
alert county | jq -c '{id, finding, raised_at, finding_at}' >"$T/got"
diff "$T/want" "$T/got" || fail "the county's C1 differs from evaluate with the new calendar"
# the tree's clock moved six days in a few seconds: no child went silent for that
silent=$("$JIANCHA" query alerts --data "$T/province" --rule node.silent --json)
[ -z "$silent" ] || fail "node.silent from a wall clock moved: $silent"
[ "$(grep -c "calendar.coverage red" "$T/county.log")" = 1 ] ||
    fail "the coverage warning was not logged exactly once: $(grep "calendar.coverage" "$T/county.log")"
say "ok: guessed deadlines marked provisional and alarmed per node; a newer calendar corrects them at every tier"
