#!/usr/bin/env bash
# The supervision office's work through the daemons (art. 6 to 9, 11): a county alert nobody
# answers goes red and then to the city's queue, where the city closes it; an alert answered in time
# stays where it is; actions on unknown alerts are refused; a supervision case is extended twice up
# to 10 working days and refused an 11th; a case never reported raises supervision.overdue, which
# reaches the province; a patrol shortfall lights on a working day and not on a holiday, and
# patrols recorded late for that day clear it; a spot-check sample is drawn reproducibly and the
# draw recorded. Everything is entered with the CLI at the node where
# an office works, and travels up in signed batches.
. "$(dirname "$0")/lib.sh"

CAL=$SRC/config/cn-workdays.tsv
province_and_city
# the offices at city and province keep a calendar for their deadlines
stop city
stop province
cat >>"$T/province.cfg" <<CFG
desk
    calendar = $CAL
CFG
cat >>"$T/city.cfg" <<CFG
desk
    calendar = $CAL
    patrol_from = 2026-11-02
CFG
start province
start city
collector_config county 510104 "$(endpoint_of city)" "rules
    catalog = $SRC/config/catalog.json
    calendar = $CAL
patrol
    from = 2026-09-30"
start county

now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
cat >"$T/events.jsonl" <<EOF
{"type":"case.accept","id":"e1","case":"C-OLD","item":"SC-ZS-0501-510104","dept":"SWJ","handler":"h1","at":"2026-10-12T09:00:00+08:00"}
{"type":"case.accept","id":"e2","case":"C-NOW","item":"SC-ZS-0501-510104","dept":"SWJ","handler":"h1","at":"$now"}
{"type":"rating","id":"e3","case":"C-NOW","rating":1,"at":"$now"}
{"type":"case.accept","id":"e4","case":"C-CALL","item":"SC-ZS-0501-510104","dept":"SWJ","handler":"h1","at":"$now"}
{"type":"rating","id":"e5","case":"C-CALL","rating":2,"at":"$now"}
EOF
"$JIANCHA" send --data "$T/county" "$T/events.jsonl" >/dev/null || fail "send"

alert_of() { # DIR RULE CASE -> the alert as JSON
    "$JIANCHA" query alerts --data "$1" --rule "$2" --json | jq -c "select(.case == \"$3\")"
}
has_alert() { [ -n "$(alert_of "$@")" ]; }
wait_until 20 has_alert "$T/county" limit.case C-OLD || fail "no limit.case alert for C-OLD"
wait_until 20 has_alert "$T/county" rating.bad C-NOW || fail "no rating.bad alert for C-NOW"
OLD=$(alert_of "$T/county" limit.case C-OLD | jq -r .id)
BAD=$(alert_of "$T/county" rating.bad C-NOW | jq -r .id)
CALL=$(alert_of "$T/county" rating.bad C-CALL | jq -r .id)

say "-- art. 7, 8: answers; an alert ignored past its deadline goes to the parent's queue"
# the answer clocks run from today, when the county recorded the lights (C-OLD's raised_at is in
# October, from events that arrived late): nothing is referred yet
alert_of "$T/county" limit.case C-OLD | holds '.queue == "510104" and .answer_due != null' ||
    fail "the late light has no answer clock from today: $(alert_of "$T/county" limit.case C-OLD)"
# answered within its day: no step; the answer reaches the city
"$JIANCHA" alert respond --data "$T/county" --alert "$BAD" --by SWJ-li --action explain \
    --text "已回访申请人，解释办理流程" >/dev/null || fail "respond"
"$JIANCHA" followup --data "$T/county" --case C-CALL --by SWJ-wang --channel phone \
    --result "电话回访，申请人认可" >/dev/null || fail "followup"
answered() { alert_of "$1" rating.bad "$2" | holds '.state == "responded" and (.feedback_steps // 0) == 0 and .light == "yellow"'; }
wait_until 20 answered "$T/county" C-NOW || fail "the answered alert: $(alert_of "$T/county" rating.bad C-NOW)"
wait_until 20 answered "$T/county" C-CALL || fail "the called-back alert: $(alert_of "$T/county" rating.bad C-CALL)"
# twelve days later nobody has answered C-OLD (the county runs on a clock moved on by libfaketime):
# it was red already, so it goes to the city's queue; the answered ones stay where they are
FAKELIB=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -n 1)
[ -n "$FAKELIB" ] || fail "libfaketime is not installed (packaging/install-deps.sh installs it)"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
stop county
rm -f "$T/county/intake.sock"
LD_PRELOAD="$FAKELIB" FAKETIME="$(shifted +12d)" "$COLLECTOR" -c "$T/county.cfg" >>"$T/county.log" 2>&1 &
echo $! >"$T/county.pid"
wait_until 10 test -S "$T/county/intake.sock" || fail "county did not start on the moved clock"
queued() { [ "$(alert_of "$1" limit.case C-OLD | jq -r .queue)" = 510100 ]; }
wait_until 20 queued "$T/county" || fail "the ignored alert stayed at the county: $(alert_of "$T/county" limit.case C-OLD)"
wait_until 20 queued "$T/city" || fail "the ignored alert is not in the city's queue"
"$JIANCHA" query alerts --data "$T/city" --queue 510100 --json | jq -r .id | grep -qx "$OLD" ||
    fail "query alerts --queue 510100 at the city does not list $OLD"
alert_of "$T/county" limit.case C-OLD | holds '.light == "red" and .feedback_steps == 1' ||
    fail "the ignored alert is not red with one feedback step: $(alert_of "$T/county" limit.case C-OLD)"
answered "$T/county" C-NOW || fail "the answered alert moved: $(alert_of "$T/county" rating.bad C-NOW)"
wait_until 20 answered "$T/city" C-NOW || fail "the answer did not reach the city"
[ "$(alert_of "$T/city" rating.bad C-NOW | jq -r .queue)" = 510104 ] || fail "an answered alert changed queue"
stop county
start county # back on the real clock
# refused with the field and the reason
out=$("$JIANCHA" alert respond --data "$T/county" --alert A-0000000000000000 --by x --action explain --text t 2>&1) &&
    fail "an unknown alert was answered"
grep -q 'field alert: no such alert' <<<"$out" || fail "unclear refusal: $out"
out=$("$JIANCHA" alert respond --data "$T/county" --alert "$BAD" --by x --action shrug --text t 2>&1) &&
    fail "an unknown action was taken"
grep -q 'field action' <<<"$out" || fail "unclear refusal: $out"
# the city's office closes the alert referred to it (摘牌); the closing goes up with the city's records
"$JIANCHA" alert close --data "$T/city" --alert "$OLD" --by city-sup-zhang --verdict "已整改到位" >/dev/null ||
    fail "close at the city"
closed() { [ "$(alert_of "$1" limit.case C-OLD | jq -r .state)" = closed ]; }
wait_until 20 closed "$T/city" || fail "not closed at the city"
wait_until 20 closed "$T/province" || fail "the city's closing did not reach the province"
# and down: the county closes it too (its record of the closing goes up like any change)
wait_until 20 closed "$T/county" || fail "the city's closing did not reach the county"
alert_of "$T/county" limit.case C-OLD | holds '.answer_due == null' || fail "a closed alert kept its clock"
# a county that is down gets the city's closing at its next session
stop county
"$JIANCHA" alert close --data "$T/city" --alert "$BAD" --by city-sup-zhang --verdict "已回访，办结" >/dev/null ||
    fail "close a second county alert at the city"
start county
bad_closed() { [ "$(alert_of "$T/county" rating.bad C-NOW | jq -r .state)" = closed ]; }
wait_until 20 bad_closed || fail "the county did not get the closing decided while it was down"
out=$("$JIANCHA" alert close --data "$T/county" --alert "$CALL" --by x --verdict v 2>&1) || fail "close at the county: $out"
out=$("$JIANCHA" alert close --data "$T/county" --alert "$CALL" --by x --verdict again 2>&1) &&
    fail "a closed alert was closed again"
grep -q 'closed' <<<"$out" || fail "unclear refusal: $out"

say "-- art. 9: supervision cases, 20 working days and at most 10 more"
"$JIANCHA" supervise open --data "$T/city" --id DB-2026-001 --target 510104/SWJ \
    --subject "C-OLD 逾期未办结" --by city-sup-zhang --alert "$OLD" >/dev/null || fail "open"
"$JIANCHA" supervise extend --data "$T/city" --id DB-2026-001 --days 6 --approver city-head-wu >/dev/null ||
    fail "extend 6"
"$JIANCHA" supervise extend --data "$T/city" --id DB-2026-001 --days 4 --approver city-head-wu >/dev/null ||
    fail "extend 4"
out=$("$JIANCHA" supervise extend --data "$T/city" --id DB-2026-001 --days 1 --approver city-head-wu 2>&1) &&
    fail "an 11th working day of extension was allowed"
grep -q 'field limit.n: extensions would total 11 working days; at most 10' <<<"$out" || fail "unclear refusal: $out"
out=$("$JIANCHA" supervise report --data "$T/city" --id DB-NONE --by SWJ --text t 2>&1) &&
    fail "a report on a case never opened was taken"
grep -q 'no supervision case' <<<"$out" || fail "unclear refusal: $out"
"$JIANCHA" query supervision --data "$T/city" --json >"$T/sup.json"
jq -s -e 'map(select(.supervision == "DB-2026-001") | .extended_wd == 10 and .state == "open") | any' "$T/sup.json" >/dev/null ||
    fail "the case: $(cat "$T/sup.json")"
# due at the midnight ending the 30th working day after today
opened=$(TZ=Asia/Shanghai date +%Y-%m-%d) # the local day the case was opened
due=$("$JIANCHA" calendar due "$opened" 30 wd)
last_day=$(jq -r 'select(.supervision == "DB-2026-001") | .due' "$T/sup.json")
[ "$(TZ=Asia/Shanghai date -d "$last_day - 1 second" +%Y-%m-%d)" = "$due" ] || fail "due $last_day, want the end of $due"
# an alert under supervision is shown so
alert_of "$T/city" limit.case C-OLD | holds '.supervision == "DB-2026-001"' ||
    fail "the alert does not show its supervision case"
# a case opened on 2026-10-09 and never reported: supervision.overdue at the city, then the province
"$JIANCHA" supervise open --data "$T/city" --id DB-2026-000 --target 510104/SCJGJ --subject "核查" \
    --by city-sup-zhang --at 2026-10-09T10:00:00+08:00 >/dev/null || fail "open old"
overdue_json() { "$JIANCHA" query alerts --data "$1" --rule supervision.overdue --json; }
has_overdue() { overdue_json "$1" | jq -s -e 'map(select(.supervision == "DB-2026-000") | .light == "red") | any' >/dev/null; }
wait_until 20 has_overdue "$T/city" || fail "no supervision.overdue at the city: $(overdue_json "$T/city")"
wait_until 20 has_overdue "$T/province" || fail "supervision.overdue did not reach the province"
# 20 working days after 2026-10-09 (Saturday 10-10 is an adjusted working day) end with 11-05
overdue_json "$T/city" | jq -s -e 'map(select(.raised_at | startswith("2026-11-06T00:00:00"))) | any' >/dev/null ||
    fail "raised at the wrong time: $(overdue_json "$T/city")"
# the department has 5 working days from today to explain it, in the city's own queue
overdue_json "$T/city" | holds '.queue == "510100" and .answer_due != null and (.feedback_steps // 0) == 0' ||
    fail "the overdue case's answer clock: $(overdue_json "$T/city")"

say "-- art. 11: patrols"
shortfall() { "$JIANCHA" query alerts --data "$1" --rule patrol.shortfall --json | jq -c "select(.day == \"$2\")"; }
"$JIANCHA" patrol --data "$T/county" --supervisor county-sup-he --target 510104 --kind data --at 2026-10-09T09:00:00+08:00 >/dev/null || fail "patrol 1"
"$JIANCHA" patrol --data "$T/county" --supervisor county-sup-he --target 510104 --kind video --at 2026-10-09T15:00:00+08:00 >/dev/null || fail "patrol 2"
until_true 20 '[ -n "$(shortfall "$T/county" 2026-09-30)" ]' || fail "no shortfall on 2026-09-30, a working day without patrols"
[ -z "$(shortfall "$T/county" 2026-10-01)" ] || fail "a shortfall on the National Day holiday"
# the county judged the days since 09-30 when it started; 10-09's two patrols, entered after, clear it
not_short() { shortfall "$T/county" "$1" | jq -s -e 'map(select(.state == "open")) | any' >/dev/null && return 1 || return 0; }
wait_until 20 not_short 2026-10-09 || fail "a shortfall on 2026-10-09, patrolled twice: $(shortfall "$T/county" 2026-10-09)"
[ -n "$(shortfall "$T/county" 2026-10-12)" ] || fail "no shortfall on 2026-10-12"
out=$("$JIANCHA" patrol --data "$T/county" --supervisor county-sup-he --target 510100 --kind visit 2>&1) &&
    fail "a county office patrolled its city"
grep -q 'field target' <<<"$out" || fail "unclear refusal: $out"
# two patrols of 2026-09-30 recorded late make the day good: its alert is cleared
for h in 10 16; do
    "$JIANCHA" patrol --data "$T/county" --supervisor county-sup-he --target 510104 --kind visit \
        --at "2026-09-30T$h:00:00+08:00" >/dev/null || fail "late patrol"
done
cleared() { [ "$(shortfall "$T/county" 2026-09-30 | jq -r .state)" = cleared ]; }
wait_until 20 cleared || fail "the made-up day is not cleared: $(shortfall "$T/county" 2026-09-30)"
until_true 20 '[ "$(shortfall "$T/city" 2026-09-30 | jq -r .state)" = cleared ]' || fail "the clearing did not reach the city"
# the city's office patrols its own platform twice and its county once on working days from 11-02
[ -n "$(shortfall "$T/city" 2026-11-02)" ] || fail "no shortfall at the city on 2026-11-02"

say "-- art. 11(4): a reproducible spot-check sample of the month's concluded cases"
"$EVENTGEN" --node 510104 --count 4000 --seed 9 --hours 552 --violations 0 >"$T/month.jsonl"
"$JIANCHA" send --data "$T/county" "$T/month.jsonl" >/dev/null || fail "send the month"
"$JIANCHA" sample --data "$T/county" --node 510104 --period 2026-11 --size 12 --seed 2026 \
    --by county-sup-he --json >"$T/s1.json" || fail "sample"
"$JIANCHA" sample --data "$T/county" --node 510104 --period 2026-11 --size 12 --seed 2026 \
    --by county-sup-he --json >"$T/s2.json" || fail "sample again"
cmp -s "$T/s1.json" "$T/s2.json" || fail "the same seed drew another sample"
grep -c '"case"' "$T/s1.json" | grep -qx 12 || fail "not 12 cases: $(cat "$T/s1.json")"
[ "$(jq -r .category "$T/s1.json" | sort -u | wc -l)" -ge 3 ] || fail "one category only: $(cat "$T/s1.json")"
"$JIANCHA" sample --data "$T/county" --node 510104 --period 2026-11 --size 12 --seed 2027 \
    --by county-sup-he --json >"$T/s3.json" || fail "sample, another seed"
cmp -s "$T/s1.json" "$T/s3.json" && fail "another seed drew the same sample"
# every case drawn was decided in November (local time) at this county
events "$T/county" 510104 >"$T/held.json"
for c in $(jq -r .case "$T/s1.json"); do
    month=$(jq -r --arg c "$c" 'select(.event.type == "case.decision" and .event.case == $c) | .event.at[0:7]' "$T/held.json")
    [ "$month" = 2026-11 ] || fail "case $c was not concluded in 2026-11 ($month)"
done
# the draw is recorded once (the second run was a duplicate) and reaches the city
draws() { "$JIANCHA" query events --data "$1" --node 510104 --json | jq -c 'select(.event.type == "sample.draw")'; }
until_true 20 '[ "$(draws "$T/city" | wc -l)" = 2 ]' || fail "draws at the city: $(draws "$T/city")"
draws "$T/city" | head -n 1 | holds '.event.cases | length == 12' || fail "the recorded draw"

say "-- a restart loses and repeats nothing"
changes() { "$JIANCHA" query events --data "$T/county" --node 510104 --json | jq -c 'select(.event.type == "alert")' | wc -l; }
before=$(changes)
kill9 county
start county
sleep 1
[ "$(changes)" = "$before" ] || fail "alert changes after a restart: $before -> $(changes)"
say "ok: answers, referral to the parent's queue, closing, supervision cases with extensions and overdue, patrols"
