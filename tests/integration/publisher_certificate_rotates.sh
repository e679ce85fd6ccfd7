#!/usr/bin/env bash
# The bundle publisher is a certified role (issue 16, docs/trust.md): no node's configuration names
# a publisher key. The aggregators judge the publisher by their trust directories and the county
# by its root alone (bundle/root): each bundle carries its chain, and the publisher's certificate
# must descend from the root, be valid and not revoked. The publisher then rotates with an
# overlap: its next certificate travels in a bundle of the current one, so the province admits
# the next transport key before it speaks; bundles of both are taken; a county and a city killed
# with SIGKILL keep taking them after their restart. A certificate of the publisher that ends in 20
# days lights cert.expiring yellow at the county, seen at the province; a renewal clears it. The
# revoked old publisher is refused. No node's configuration file changed on the way.
. "$(dirname "$0")/lib.sh"

pki_init
enrol 510000 "" 1000
enrol 510100 510000 1001
enrol 510104 510100 1002
"$JIANCHA" keys request --publisher --node 510000 --out "$K" >/dev/null || fail "publisher request"
issue "$K/publisher.g1.request.jc" 2001
cp "$T/certs/publisher.2001.jc" "$T/trust/"
PUBLISHER=certified cert_tree
configs() { sha256sum "$T/province.cfg" "$T/city.cfg" "$T/county.cfg"; }
configs >"$T/configs.before"
! grep -q publisher_key "$T/province.cfg" "$T/city.cfg" "$T/county.cfg" ||
    fail "a node's configuration names a publisher key"

# publish GEN SERIAL VERSION: a calendar bundle signed by the publisher's key of generation GEN
# under its certificate SERIAL, with the chain of the master trust directory
publish() {
    "$JIANCHA" bundle publish --kind calendar --file "$SRC/config/cn-workdays.tsv" --version "$3" \
        --key "$K/publisher.g$1.secret" --cert "$T/certs/publisher.$2.jc" --chain "$T/trust" \
        --to "$(endpoint_of province)" --server-key "$K/510000.g1.curve-pub" >"$T/publish.out" 2>&1
}
applied() { # VERSION SERIAL: the county applied calendar VERSION under publisher certificate SERIAL
    wait_until 20 grep -q "bundle applied kind=calendar version=$1 publisher=510000 certificate=$2" \
        "$T/county.log"
}

say "-- a certified publisher: taken at every tier with no publisher key configured"
publish 1 2001 5 || fail "publish v5: $(cat "$T/publish.out")"
applied 5 2001 || fail "the county did not apply calendar 5 of publisher 2001"
[ -f "$T/trust-city/publisher.2001.jc" ] || fail "the city did not keep the publisher certificate it learned"

say "-- the next publisher certificate travels under the current one; then the next key publishes"
"$JIANCHA" keys request --publisher --node 510000 --current "$T/certs/publisher.2001.jc" \
    --current-key "$K/publisher.g1.secret" --out "$K" >/dev/null || fail "publisher rotation request"
# it ends in 20 days: the county will say so
issue "$K/publisher.g2.request.jc" 2002 --current "$T/certs/publisher.2001.jc" --days 20
cp "$T/certs/publisher.2002.jc" "$T/trust/"
publish 1 2001 6 || fail "publish v6 under the old certificate: $(cat "$T/publish.out")"
applied 6 2001 || fail "calendar 6 not applied"
wait_until 10 test -f "$T/trust-province/publisher.2002.jc" ||
    fail "the province did not learn the next publisher from the chain"
publish 2 2002 7 || fail "publish v7 with the next key: $(cat "$T/publish.out")"
applied 7 2002 || fail "the county did not take the next publisher's bundle"

say "-- the publisher's certificate ends in 20 days: cert.expiring yellow at the county, seen above"
alarm() { # TIER: "state light" of the county's cert.expiring on the publisher, as TIER holds it
    "$JIANCHA" query alerts --data "$T/$1" --rule cert.expiring --json |
        jq -r 'select(.node == "510104" and .certificate == "publisher") | .state + " " + .light'
}
until_true 30 '[ "$(alarm county)" = "open yellow" ]' || fail "county: \"$(alarm county)\""
until_true 30 '[ "$(alarm province)" = "open yellow" ]' || fail "province: \"$(alarm province)\""
"$JIANCHA" query alerts --data "$T/province" --rule cert.expiring --json |
    jq -r 'select(.certificate == "publisher") | .detail' | grep -q "the certificate of the publisher ends on" ||
    fail "the alarm does not say whose certificate ends"

say "-- kill -9 of the county and the city: held bundles stay in force, the next ones are taken"
kill -9 "$(cat "$T/county.pid")" "$(cat "$T/city.pid")"
wait "$(cat "$T/county.pid")" "$(cat "$T/city.pid")" 2>/dev/null || true
start city
start county
# renewed: the same keys certified for 400 days
issue "$K/publisher.g2.request.jc" 2003 --current "$T/certs/publisher.2001.jc" --days 400
cp "$T/certs/publisher.2003.jc" "$T/trust/"
publish 2 2003 8 || fail "publish v8 under the renewal: $(cat "$T/publish.out")"
applied 8 2003 || fail "the restarted county did not take the renewed publisher's bundle"
until_true 30 '[ "$(alarm province | cut -d" " -f1)" = cleared ]' ||
    fail "the renewal did not clear the alarm at the province: \"$(alarm province)\""

say "-- the old publisher is revoked: its transport key and its bundles are refused"
"$JIANCHA" keys revoke --trust "$T/trust" --issuer "$T/admin/issuer.secret" --serial 2001 \
    --reason superseded >/dev/null || fail "revoke 2001"
"$JIANCHA" keys crl publish --crl "$T/trust/crl.jc" --key "$K/publisher.g2.secret" \
    --cert "$T/certs/publisher.2003.jc" --chain "$T/trust" --to "$(endpoint_of province)" \
    --server-key "$K/510000.g1.curve-pub" >/dev/null || fail "crl publish"
wait_until 20 grep -q "bundle applied kind=crl" "$T/county.log" || fail "the county did not take the list"
if publish 1 2001 9; then fail "the revoked publisher published"; fi
wait_until 5 grep -q "zap: connection refused .*certificate 2001 of publisher 510000: revoked" \
    "$T/province.log" || fail "the revoked publisher's refusal not logged: $(grep zap "$T/province.log" | tail -3)"
! grep -q "bundle applied kind=calendar version=9" "$T/county.log" || fail "calendar 9 reached the county"

"$JIANCHA" keys list --trust "$T/trust" >"$T/list.txt"
grep -Eq '^2001 +510000 +publisher .*revoked \(superseded\)' "$T/list.txt" || fail "keys list: $(cat "$T/list.txt")"
grep -Eq '^2003 +510000 +publisher .* valid$' "$T/list.txt" || fail "keys list: $(cat "$T/list.txt")"
configs | diff - "$T/configs.before" >/dev/null || fail "a node's configuration file changed"
say "ok: a certified publisher rotates with an overlap and a renewal, through restarts, with no configuration changed; its end is named and its revocation refused"
