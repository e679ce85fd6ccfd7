#!/usr/bin/env bash
# The centre's pages as a supervisor sees them, in headless Chromium (tests/web/screen_check.py)
# over a real county → city → province tree: the sign-in page without a session; the link signs
# in once; every page renders and agrees with the API read from inside the browser; an alert's
# ledger and its case's records show; a red light raised at the county appears on the province's
# open alert page without a reload. Screenshots of every page go to $JIANCHA_SCREENSHOTS when set.
. "$(dirname "$0")/lib.sh"

office_tree
roster_publish "zhao supervisor 510000"
export JIANCHA_OPERATOR=zhao JIANCHA_OPERATOR_KEY=$O/zhao.secret
rated_lights
SWJ=$("$JIANCHA" query alerts --data "$T/province" --rule rating.bad --json | jq -r 'select(.dept == "SWJ") | .id')

web_config screen 510000 province
start screen
URL=$(web_url screen)
L=$("$JIANCHA" web login --url "$URL" --node 510000 --operator zhao --key "$O/zhao.secret" 2>/dev/null)
# the new red light: a decision entered straight after the acceptance (procedure.order), at a
# fixed instant like the others
at=2026-11-20T11:00:00+08:00
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
