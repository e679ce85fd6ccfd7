#!/usr/bin/env bash
# The centre's screen (jiancha-web, docs/api.md) over a real county → city → province tree: nobody
# gets data without a sign-in link signed by an operator of the roster; a link works once and only
# until it ends; an operator sees their scope only (a city's supervisor on the province's screen,
# a county department its own alerts); the API gives the CLI's figures; bad input is a 400 naming
# the parameter; every read is logged at the node as an access.read naming the sign-in, and `jiancha audit verify` passes;
# a read the node cannot log (the node down) is not served; the live stream tells of new lights.
. "$(dirname "$0")/lib.sh"

office_tree

roster_publish "zhao supervisor 510000" "zhang supervisor 510100" "ma supervisor 510300" \
    "li department 510104 SWJ"
export JIANCHA_OPERATOR=zhao JIANCHA_OPERATOR_KEY=$O/zhao.secret
# a SWJ and a SCJGJ light at the county (rating.bad), at a fixed instant
rated_lights
alerts_at() { "$JIANCHA" query alerts --data "$T/$1" --json | jq -s 'length'; }

web_config screen 510000 province
start screen
URL=$(web_url screen)
# get PATH [COOKIE]: the body; the status goes to $T/status
get() { curl -s -o "$T/body" -w '%{http_code}' ${2:+-H "Cookie: jiancha_session=$2"} "$URL$1" >"$T/status"; cat "$T/body"; }
status() { cat "$T/status"; }
# signin LINK: the session cookie the screen gives for it (empty when refused)
signin() {
    curl -s -o "$T/signin.body" -D "$T/signin.headers" "$1" >/dev/null
    sed -n 's/^Set-Cookie: jiancha_session=\([0-9a-f]*\);.*/\1/p' "$T/signin.headers" | tr -d '\r'
}
link() { "$JIANCHA" web login --url "$URL" --node 510000 --operator "$1" --key "$O/$1.secret" 2>/dev/null; }

say "-- without a sign-in: the sign-in page, and 401 from the API"
get / >/dev/null
[ "$(status)" = 200 ] && grep -q 'jiancha web login' "$T/body" || fail "the sign-in page: $(status) $(head -c 300 "$T/body")"
grep -q 'data-route\|api/v1' "$T/body" && fail "the sign-in page carries the screen"
get /api/v1/alerts >/dev/null
[ "$(status)" = 401 ] || fail "an anonymous API read got $(status)"
get /app.js >/dev/null
grep -q 'api/v1' "$T/body" && fail "the screen's code was served without a sign-in"

say "-- a link signs in once; a changed or ended link does not"
L=$(link zhao)
C=$(signin "$L")
[ -n "$C" ] || fail "sign-in refused: $(cat "$T/signin.body")"
grep -q '^HTTP/1.1 303' "$T/signin.headers" || fail "no redirect after sign-in"
grep -qi 'Set-Cookie:.*HttpOnly.*Secure.*SameSite=Strict' "$T/signin.headers" || fail "cookie flags: $(cat "$T/signin.headers")"
[ -z "$(signin "$L")" ] || fail "a link signed in twice"
grep -q 'used already' "$T/signin.body" || fail "a second use not named: $(cat "$T/signin.body")"
L2=$(link zhao)
flip=0; [ "${L2: -1}" = 0 ] && flip=1 # a digit that differs from the last one
[ -z "$(signin "${L2%?}$flip")" ] || fail "a link with a changed signature signed in"
[ -z "$(signin "${L2/r=ey/r=eX}")" ] || fail "a link with changed text signed in"
# a link made 20 minutes ago has ended: its maker's clock is set 20 minutes before this shell's
# (which may itself run on a moved clock: the suite runs again 400 days ahead)
past=$(TZ=UTC date -d '20 minutes ago' '+%Y-%m-%d %H:%M:%S')
OLD=$(TZ=UTC LD_PRELOAD="$FAKELIB" FAKETIME="@$past" FAKETIME_DONT_FAKE_MONOTONIC=1 \
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" link zhao)
[ -z "$(signin "$OLD")" ] || fail "an ended link signed in"
grep -q 'ended' "$T/signin.body" || fail "an ended link not named: $(cat "$T/signin.body")"
# an operator not on the roster
"$JIANCHA" operator key --name stranger --node 510000 --out "$O" >/dev/null
[ -z "$(signin "$(link stranger)")" ] || fail "an operator off the roster signed in"

say "-- the API gives the CLI's figures"
[ "$(get /api/v1/me "$C" | jq -r .operator)" = zhao ] || fail "me: $(cat "$T/body")"
get /api/v1/alerts "$C" >"$T/alerts.json"
[ "$(status)" = 200 ] || fail "alerts: $(status) $(cat "$T/alerts.json")"
[ "$(jq .total "$T/alerts.json")" = "$(alerts_at province)" ] || fail "alerts: the screen shows $(jq .total "$T/alerts.json"), the CLI $(alerts_at province)"
jq -e '.alerts | map(select(.rule == "rating.bad")) | length == 2 and all(.rule_name == "群众不满意" and .node_name == "锦江区" and .dept_name != null)' "$T/alerts.json" >/dev/null ||
    fail "alerts are not named in Chinese: $(jq -c '.alerts[0]' "$T/alerts.json")"
# (lights of time limits come too, as the days since the fixed instant pass: the checks below
# look at the rating.bad ones, which do not depend on today's date)
SWJ=$(jq -r '.alerts[] | select(.dept == "SWJ" and .rule == "rating.bad") | .id' "$T/alerts.json")
SCJGJ=$(jq -r '.alerts[] | select(.dept == "SCJGJ" and .rule == "rating.bad") | .id' "$T/alerts.json")
get "/api/v1/alerts/$SWJ" "$C" | jq -e '.alert.id and (.events | map(.record.id) == ["e1", "e2"]) and (.alert.ledger | length >= 1)' >/dev/null ||
    fail "one alert with its case's events and ledger: $(cat "$T/body")"
get "/api/v1/cases/C1?node=510104" "$C" | jq -e '.events | length == 2' >/dev/null || fail "case: $(cat "$T/body")"
get /api/v1/nodes "$C" | jq -e '[.nodes[].node] | index("510104") and index("510100") and index("510000")' >/dev/null ||
    fail "nodes: $(cat "$T/body")"
get "/api/v1/scores?period=2026-11" "$C" | jq -c '[.rows[] | {key, score}]' >"$T/web.scores"
"$JIANCHA" query scores --data "$T/province" --period 2026-11 --json | jq -s -c '[.[] | {key, score}]' >"$T/cli.scores"
cmp -s "$T/web.scores" "$T/cli.scores" || fail "scores differ: screen $(cat "$T/web.scores") CLI $(cat "$T/cli.scores")"
get "/api/v1/trends?to=2026-11&months=3" "$C" | jq -e '.months == ["2026-09", "2026-10", "2026-11"] and (.lights | map(select(.rule == "rating.bad") | .yellow[2] + .red[2]) | add) == 2' >/dev/null ||
    fail "trends: $(cat "$T/body")"
get "/api/v1/patrols?period=2026-11" "$C" | jq -e '.period == "2026-11" and (.offices | type == "array")' >/dev/null || fail "patrols: $(cat "$T/body")"
get /api/v1/supervision "$C" | jq -e '.cases | type == "array"' >/dev/null || fail "supervision: $(cat "$T/body")"

# the county's own screen finds the case's records through its rules pass's index
web_config county_screen 510104 county
start county_screen
CURL=$(web_url county_screen)
curl -s -o /dev/null -D "$T/cs.headers" "$("$JIANCHA" web login --url "$CURL" --node 510104 --operator zhao --key "$O/zhao.secret" 2>/dev/null)"
CC=$(sed -n 's/^Set-Cookie: jiancha_session=\([0-9a-f]*\);.*/\1/p' "$T/cs.headers" | tr -d '\r')
[ -n "$CC" ] || fail "the province's supervisor could not sign in to the county's screen: $(cat "$T/cs.headers")"
curl -s -H "Cookie: jiancha_session=$CC" "$CURL/api/v1/alerts/$SWJ" | jq -e '.events | map(.record.id) == ["e1", "e2"]' >/dev/null ||
    fail "the county's screen: $(curl -s -H "Cookie: jiancha_session=$CC" "$CURL/api/v1/alerts/$SWJ")"
stop county_screen

say "-- bad input is a 400 naming the parameter; the screen keeps serving"
bad() { # PATH FIELD
    get "$1" "$C" >/dev/null
    [ "$(status)" = 400 ] || fail "$1 got $(status): $(cat "$T/body")"
    [ "$(jq -r .error.field "$T/body")" = "$2" ] || fail "$1 named $(jq -c .error "$T/body"), not $2"
}
bad "/api/v1/alerts?light=blue" light
bad "/api/v1/alerts?bogus=1" bogus
bad "/api/v1/alerts?from=2026-13-01" from
bad "/api/v1/alerts?limit=5000" limit
bad "/api/v1/alerts?node=5101" node
bad "/api/v1/alerts?light=red&light=yellow" light
bad "/api/v1/scores?period=2026-11&by=mood" by
bad "/api/v1/trends?months=100" months
get "/api/v1/$(head -c 3000 /dev/zero | tr '\0' a)" "$C" >/dev/null
[ "$(status)" = 404 ] || [ "$(status)" = 414 ] || [ "$(status)" = 400 ] || fail "a long path got $(status)"
curl -s --path-as-is -o /dev/null -w '%{http_code}' -H "Cookie: jiancha_session=$C" "$URL/../../etc/passwd" >"$T/status"
[ "$(status)" = 400 ] || [ "$(status)" = 404 ] || fail "a path trick got $(status)"
curl -s -X DELETE -o /dev/null -w '%{http_code}' -H "Cookie: jiancha_session=$C" "$URL/api/v1/alerts" >"$T/status"
[ "$(status)" = 405 ] || fail "DELETE got $(status)"
[ "$(get /api/v1/me "$C" | jq -r .operator)" = zhao ] || fail "the screen stopped serving after bad input"

say "-- an operator sees their scope only"
Z=$(signin "$(link zhang)")
[ -n "$Z" ] || fail "the city's supervisor could not sign in to the province's screen: $(cat "$T/signin.body")"
get /api/v1/nodes "$Z" | jq -e '[.nodes[].node] | all(startswith("5101")) and index("510104")' >/dev/null ||
    fail "the city's supervisor sees outside the city: $(cat "$T/body")"
get "/api/v1/alerts?node=510300" "$Z" >/dev/null
[ "$(status)" = 403 ] || fail "a read of another city got $(status)"
# 510300 lies below the province too: its supervisor signs in and sees nothing of Chengdu
M=$(signin "$(link ma)")
[ -n "$M" ] || fail "another city's supervisor could not sign in: $(cat "$T/signin.body")"
[ "$(get /api/v1/alerts "$M" | jq .total)" = 0 ] || fail "another city's supervisor sees Chengdu's alerts: $(cat "$T/body")"
get "/api/v1/alerts/$SWJ" "$M" >/dev/null
[ "$(status)" = 403 ] || fail "another city's supervisor read an alert of Chengdu: $(status)"
D=$(signin "$(link li)")
[ -n "$D" ] || fail "a county department could not sign in: $(cat "$T/signin.body")"
get /api/v1/alerts "$D" | jq -e '.total >= 1 and (.alerts | all(.dept == "SWJ"))' >/dev/null || fail "a department sees others' alerts: $(cat "$T/body")"
get "/api/v1/alerts/$SCJGJ" "$D" >/dev/null
[ "$(status)" = 403 ] || fail "a department read another department's alert: $(status)"

say "-- every read is logged at the node, and the log verifies"
reads() { "$JIANCHA" query events --data "$T/province" --node 510000 --json | jq -s "map(select(.event.type == \"access.read\" and .event.session != null and .event.by == \"$1\")) | length"; }
n_zhao=$(reads zhao)
[ "$n_zhao" -ge 12 ] || fail "zhao's reads logged: $n_zhao"
get /api/v1/supervision "$C" >/dev/null
[ "$(reads zhao)" = $((n_zhao + 1)) ] || fail "one more read logged $(reads zhao), not $((n_zhao + 1))"
"$JIANCHA" query events --data "$T/province" --node 510000 --json | jq -s -e 'map(select(.event.type == "web.signin") | .event.by) | sort == ["li", "ma", "zhang", "zhao"]' >/dev/null ||
    fail "the sign-ins kept at the node: $("$JIANCHA" query events --data "$T/province" --node 510000 --json | jq -c 'select(.event.type == "web.signin") | .event.by')"
"$JIANCHA" audit verify --data "$T/province" >"$T/verify" 2>&1 || fail "audit verify: $(cat "$T/verify")"
# a screen's read that names no sign-in of its operator is refused at the node
printf '{"type":"access.read","id":"forged-1","by":"zhao","what":"GET /api/v1/alerts","session":"signin-nope","at":"%s"}' \
    "2026-11-20T12:00:00+08:00" | "$JIANCHA" send --data "$T/province" - >"$T/out" 2>&1 && fail "a forged read was stored"
grep -q 'session' "$T/out" || fail "the forged read's refusal does not name the session: $(cat "$T/out")"

say "-- the live stream tells of lights; a read the node cannot log is not served"
timeout 3 curl -s -N -H "Cookie: jiancha_session=$C" "$URL/api/v1/stream" >"$T/stream" || true
grep -q '^event: lights' "$T/stream" && grep -q '"red":' "$T/stream" || fail "stream: $(cat "$T/stream")"
stop province
get /api/v1/alerts "$C" >/dev/null
[ "$(status)" = 503 ] || fail "a read served while the node could not log it: $(status)"
start province
until_true 10 '[ "$(get /api/v1/me "$C" >/dev/null; status)" = 200 ]' || fail "reads did not come back with the node"

say "-- with a certificate the screen speaks HTTPS (GnuTLS), and the session cookie goes with it"
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -days 2 -keyout "$T/tls.key" \
    -out "$T/tls.crt" >/dev/null 2>&1 || fail "openssl"
web_config tls_screen 510000 province "    tls_cert = $T/tls.crt
    tls_key = $T/tls.key"
start tls_screen
TURL="https://127.0.0.1:$(cat "$T/tls_screen.port")"
curl -s -k -o "$T/page" -w '%{http_code}' "$TURL/" >"$T/status"
[ "$(status)" = 200 ] && grep -q 'jiancha web login' "$T/page" || fail "HTTPS sign-in page: $(status)"
curl -s -o /dev/null --max-time 3 "http://127.0.0.1:$(cat "$T/tls_screen.port")/api/v1/me" && fail "plain HTTP answered on the TLS port"
TL=$("$JIANCHA" web login --url "$TURL" --node 510000 --operator zhao --key "$O/zhao.secret" 2>/dev/null)
curl -s -k -o /dev/null -c "$T/jar" "$TL"
curl -s -k -b "$T/jar" "$TURL/api/v1/me" | jq -e '.operator == "zhao"' >/dev/null ||
    fail "a session over HTTPS: $(curl -s -k -b "$T/jar" "$TURL/api/v1/me")"
stop tls_screen

say "-- sign-out ends the session"
curl -s -X POST -o /dev/null -w '%{http_code}' -H "Cookie: jiancha_session=$C" "$URL/api/v1/signout" >"$T/status"
[ "$(status)" = 204 ] || fail "sign-out got $(status)"
get /api/v1/me "$C" >/dev/null
[ "$(status)" = 401 ] || fail "a closed session still reads: $(status)"
say "ok"
