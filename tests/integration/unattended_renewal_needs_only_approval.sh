#!/usr/bin/env bash
# Unattended renewal (issue 16, docs/trust.md): a county whose certificate ends in 25 days makes
# its next keys itself and sends a signed request up the tree in its own log; nobody visits it.
# The province's administrator sees the request (`jiancha keys pending`), approves it (`jiancha
# keys approve`: the certificate is issued and the set goes down), and the county switches on its
# own. Events flow all along, the county is killed with SIGKILL while it waits (it asks once, and
# keeps the keys it made), every event reaches the province once, the county's cert.expiring
# clears, and its configuration file is the one it started with.
. "$(dirname "$0")/lib.sh"

pki_init
enrol 510000 "" 1000
enrol 510100 510000 1001
"$JIANCHA" keys request --node 510104 --parent 510100 --out "$K" >/dev/null || fail "request 510104"
issue "$K/510104.g1.request.jc" 1002 --days 25
cp "$T/certs/510104.1002.cert" "$T/trust/"
"$JIANCHA" keys request --publisher --node 510000 --out "$K" >/dev/null || fail "publisher request"
issue "$K/publisher.g1.request.jc" 2001
cp "$T/certs/publisher.2001.jc" "$T/trust/"
PUBLISHER=certified cert_tree
sha256sum "$T/county.cfg" >"$T/config.before"
PUBOPTS=(--key "$K/publisher.g1.secret" --cert "$T/certs/publisher.2001.jc"
    --to "$(endpoint_of province)" --server-key "$K/510000.g1.curve-pub")
"$JIANCHA" keys certs publish --trust "$T/trust" "${PUBOPTS[@]}" >/dev/null || fail "certs publish"

"$EVENTGEN" --node 510104 --count 40000 --seed 21 >"$T/events.jsonl"
stream_parts "$T/events.jsonl"

say "-- the county asks by itself: its certificate ends in 25 days"
wait_until 30 grep -q "rotation: node=510104 made its next keys (generation 2)" "$T/county.log" ||
    fail "the county did not make its next keys"
[ -f "$T/county/keys/510104.g2.secret" ] || fail "the next key is not in the county's keys directory"
[ "$(stat -c %a "$T/county/keys/510104.g2.secret")" = 600 ] || fail "the next key is readable by others"
pending_row() { "$JIANCHA" keys pending --data "$T/province" --trust "$T/trust" | grep -E '^510104 +2 '; }
wait_until 30 pending_row >/dev/null || fail "the request did not reach the province: $("$JIANCHA" keys pending --data "$T/province" 2>&1)"
pending_row | grep -Eq " pending +[0-9a-f]{64}$" || fail "not pending: $(pending_row)"
fp=$(grep -o "request fingerprint [0-9a-f]*" "$T/county.log" | head -n 1 | cut -d" " -f3)
pending_row | grep -q " $fp$" || fail "the fingerprint the county logged ($fp) is not the one pending: $(pending_row)"
# the county's alarm now tells the administrator to approve, not the county to renew
alarm_detail() { "$JIANCHA" query alerts --data "$T/county" --rule cert.expiring --json |
    jq -r 'select(.certificate == "510104") | .detail'; }
until_true 30 'alarm_detail | grep -q "its renewal (key generation 2) waits for approval at the province"' ||
    fail "the county's alarm: $(alarm_detail)"
status_row() { "$JIANCHA" keys status --data "$T/province" --json | jq -e ".nodes[] | select(.node == \"510104\") | $1" >/dev/null; }
status_row '.pending_gen == 2 and .key_gen == 1 and .serial == 1002' ||
    fail "keys status before approval: $("$JIANCHA" keys status --data "$T/province")"

say "-- killed while it waits: it keeps the keys it made and does not ask again"
kill9 county
start county
sleep 2
[ "$(grep -c "made its next keys" "$T/county.log")" = 1 ] || fail "the county made keys again after its restart"
[ ! -e "$T/county/keys/510104.g3.secret" ] || fail "a third generation appeared"

say "-- the administrator approves; the county switches on its own"
"$JIANCHA" keys approve --data "$T/province" --node 510104 --issuer "$T/admin/issuer.secret" \
    --issuer-cert "$T/admin/issuer.1.jc" --trust "$T/trust" --serial 1012 "${PUBOPTS[@]}" \
    >"$T/approve.out" 2>&1 || fail "approve: $(cat "$T/approve.out")"
grep -q "request from 510104 (county, parent 510100, key generation 2, a rotation)" "$T/approve.out" ||
    fail "approve did not say what it certified: $(cat "$T/approve.out")"
wait_until 30 grep -q "rotation: node=510104 signs with key generation 2" "$T/county.log" ||
    fail "the county did not switch to its new key"
pending_row | grep -q "certified (1012)" || fail "keys pending after approval: $(pending_row)"
# the new session opens at once, not after the old one falls silent
sleep 2
! sed -n '/signs with key generation 2/,$p' "$T/county.log" | grep -q "parent silent" ||
    fail "the county waited for its old session to fall silent: $(grep -A3 'signs with key generation 2' "$T/county.log")"
until_true 20 'status_row ".pending_gen == 0 and .key_gen == 2 and .serial == 1012"' ||
    fail "keys status after approval: $("$JIANCHA" keys status --data "$T/province")"
# a forged approval target: a node that asked for nothing
if "$JIANCHA" keys approve --data "$T/province" --node 510105 --issuer "$T/admin/issuer.secret" \
    --issuer-cert "$T/admin/issuer.1.jc" --trust "$T/trust" 2>"$T/none.err"; then
    fail "approved a request nobody made"
fi
grep -q "510105 has asked for no certificate" "$T/none.err" || fail "no request: $(cat "$T/none.err")"

wait "$SENDER" || fail "sending failed: $(cat "$T/send.out")"
until_true 60 '[ "$(events "$T/province" 510104 | wc -l)" = 40000 ]' ||
    fail "the province holds $(events "$T/province" 510104 | wc -l) of 40000 events"
exactly_once "$T/events.jsonl" "$T/province"
alarm() { "$JIANCHA" query alerts --data "$T/province" --rule cert.expiring --json |
    jq -r 'select(.node == "510104" and .certificate == "510104") | .state'; }
until_true 30 '[ "$(alarm)" = cleared ]' || fail "the county's cert.expiring at the province: \"$(alarm)\""
"$JIANCHA" status --data "$T/province" | grep -q "parked batches: 0" || fail "something parked"
sha256sum "$T/county.cfg" | diff - "$T/config.before" >/dev/null || fail "the county's configuration changed"
say "ok: the county renewed itself with one approval at the province, under traffic and SIGKILL, with its configuration untouched"
