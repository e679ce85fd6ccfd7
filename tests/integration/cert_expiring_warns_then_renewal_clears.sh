#!/usr/bin/env bash
# Nothing expires silently (docs/trust.md): a city on certificates that holds no certificate set
# yet says its certificate's end is unknown; then a county whose certificate ends in 20 days raises a
# yellow cert.expiring against itself, and its city, whose certificate ends in 5 days, a red one;
# the county raises a red one for its parent's certificate too. The alarms travel up: the
# province sees each one and `jiancha query nodes` shows the worst per node. A renewal (the same
# keys certified for longer, published down the tree) clears them all. The certificates are
# issued now, so nothing here depends on today's date.
. "$(dirname "$0")/lib.sh"

pki_init
enrol 510000 "" 3000
for n in 510100:510000:3001:5 510104:510100:3002:20; do
    IFS=: read -r node parent serial days <<<"$n"
    "$JIANCHA" keys request --node "$node" --parent "$parent" --out "$K" >/dev/null || fail "request $node"
    issue "$K/$node.g1.request.jc" "$serial" --days "$days"
    cp "$T/certs/$node.$serial.cert" "$T/trust/"
done
cert_tree
# before any certificate set: the city, on certificates, cannot see its certificate's end and says so
unknown() { "$JIANCHA" query alerts --data "$T/city" --rule cert.expiring --json |
    jq -r 'select(.node == "510100" and .certificate == "510100") | .light + " " + .detail'; }
until_true 30 '[ "$(unknown)" = "yellow the certificate of 510100 is in no certificate set held here: its end is unknown (jiancha keys certs publish)" ]' ||
    fail "no set held, the city says: \"$(unknown)\""
publish() {
    "$JIANCHA" keys certs publish --trust "$T/trust" --key "$K/510000.g1.secret" \
        --to "$(endpoint_of province)" --server-key "$K/510000.g1.curve-pub" >/dev/null ||
        fail "certs publish"
}
publish
# alarm TIER RAISER WHOSE: "state light" of the cert.expiring RAISER raised for WHOSE certificate
alarm() {
    "$JIANCHA" query alerts --data "$T/$1" --rule cert.expiring --json |
        jq -r "select(.node == \"$2\" and .certificate == \"$3\") | .state + \" \" + .light"
}
say "-- certificates ending in 20 and 5 days: yellow and red, at each node and at the province"
until_true 30 '[ "$(alarm county 510104 510104)" = "open yellow" ]' ||
    fail "the county's own certificate: \"$(alarm county 510104 510104)\""
until_true 30 '[ "$(alarm county 510104 510100)" = "open red" ]' ||
    fail "the county on its parent's certificate: \"$(alarm county 510104 510100)\""
until_true 30 '[ "$(alarm city 510100 510100)" = "open red" ]' ||
    fail "the city's own certificate: \"$(alarm city 510100 510100)\""
for a in "510104 510104 open yellow" "510104 510100 open red" "510100 510100 open red"; do
    read -r raiser whose want <<<"$a"
    until_true 30 '[ "$(alarm province $raiser $whose)" = "$want" ]' ||
        fail "the province does not see $raiser's alarm on $whose's certificate: \"$(alarm province "$raiser" "$whose")\""
done
# the city's parent is the province, whose certificate ends in a year: nothing on it
[ -z "$(alarm city 510100 510000)" ] || fail "a false alarm on the province's certificate"
"$JIANCHA" query nodes --data "$T/province" --json >"$T/nodes"
row() { jq -s -e "map(select(.node == \"$1\"))[0] | $2" "$T/nodes" >/dev/null; }
row 510104 '.cert == "red"' ||
    fail "query nodes: the county's certificate column: $(jq -c 'select(.node == "510104")' "$T/nodes")"
row 510100 '.cert == "red"' || fail "query nodes: the city"
# a platform alarm, not a department's finding: no department light is counted for it
row 510104 '.red == 0 and .yellow == 0' ||
    fail "cert.expiring counted among the departments' lights"

say "-- a renewal (the same keys certified for 400 days) clears them, everywhere"
issue "$K/510100.g1.request.jc" 3011 --days 400
issue "$K/510104.g1.request.jc" 3012 --days 400
cp "$T/certs/510100.3011.cert" "$T/certs/510104.3012.cert" "$T/trust/"
sleep 1 # a later version: the set's version is its publication's millisecond
publish
for a in "county 510104 510104" "county 510104 510100" "city 510100 510100" \
    "province 510104 510104" "province 510104 510100" "province 510100 510100"; do
    read -r tier raiser whose <<<"$a"
    until_true 30 '[ "$(alarm $tier $raiser $whose | cut -d" " -f1)" = cleared ]' ||
        fail "$tier still shows $raiser's alarm on $whose's certificate: \"$(alarm "$tier" "$raiser" "$whose")\""
done
say "ok: certificates ending soon are named at every tier, and a renewal clears them"
