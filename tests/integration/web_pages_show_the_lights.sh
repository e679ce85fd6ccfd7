#!/usr/bin/env bash
# The centre's pages as a supervisor sees them, in headless Chromium (tests/web/screen_check.py)
# over a real county → city → province tree: the sign-in page without a session; the link signs
# in once; every page renders and agrees with the API read from inside the browser; an alert's
# ledger and its case's records show; a red light raised at the county appears on the province's
# open alert page without a reload. Screenshots of every page go to $JIANCHA_SCREENSHOTS when set.
. "$(dirname "$0")/lib.sh"

office_tree
O=$T/operators
{
    echo '{"version": 1, "operators": ['
    roster_entry zhao supervisor 510000
    echo ']}'
} >"$T/roster.json"
"$JIANCHA" bundle publish --kind operators --file "$T/roster.json" --key "$T/keys/510000.secret" \
    --to "$(endpoint_of province)" >/dev/null || fail "publish the roster"
export JIANCHA_OPERATOR=zhao JIANCHA_OPERATOR_KEY=$O/zhao.secret

# lights at a fixed instant (rating.bad does not depend on today's date)
now=2026-11-20T10:00:00+08:00
cat >"$T/events.jsonl" <<EOV
{"type":"case.accept","id":"e1","case":"C1","item":"SC-ZS-0501-510104","dept":"SWJ","handler":"h1","at":"$now"}
{"type":"rating","id":"e2","case":"C1","rating":1,"at":"$now"}
{"type":"case.accept","id":"e3","case":"C2","item":"SC-XK-0101-510104","dept":"SCJGJ","handler":"h9","at":"$now"}
{"type":"rating","id":"e4","case":"C2","rating":1,"at":"$now"}
EOV
"$JIANCHA" send --data "$T/county" "$T/events.jsonl" >/dev/null || fail "send"
rated() { "$JIANCHA" query alerts --data "$T/province" --rule rating.bad --json | jq -s 'length'; }
until_true 30 '[ "$(rated)" -ge 2 ]' || fail "the county's lights did not reach the province"
SWJ=$("$JIANCHA" query alerts --data "$T/province" --rule rating.bad --json | jq -r 'select(.dept == "SWJ") | .id')

web_config screen 510000 province
start screen
URL=$(web_url screen)
L=$("$JIANCHA" web login --url "$URL" --node 510000 --operator zhao --key "$O/zhao.secret" 2>/dev/null)
# the new red light: a decision step with no acceptance before it (procedure.order), now
at=$(date -Iseconds)
cat >"$T/raise.sh" <<EOR
printf '%s\n%s\n' '{"type":"case.accept","id":"r1","case":"R1","item":"SC-XK-0101-510104","dept":"SCJGJ","handler":"h9","at":"$at"}' \
  '{"type":"case.step","id":"r2","case":"R1","step":"决定","handler":"h9","at":"$at"}' | "$JIANCHA" send --data "$T/county" - >/dev/null
EOR
shots=${JIANCHA_SCREENSHOTS:-$T/shots}
python3 "$SRC/tests/web/screen_check.py" --signin "$L" --base "$URL/" --out "$shots" \
    --raise-cmd "bash $T/raise.sh" --expect-alert "$SWJ" >"$T/check.out" 2>&1 ||
    fail "the pages: $(cat "$T/check.out")"
cat "$T/check.out"
say "ok: the pages show the lights, live"
