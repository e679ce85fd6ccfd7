#!/usr/bin/env bash
# The issuer and the root rotate through a running tree (issue 16, docs/trust.md): root version 2
# (signed by version 1) certifies issuer 2; both reach every node inside the chain of the next
# bundle, so nobody's configuration or trust directory is edited by hand. A new county certified
# by issuer 2 is admitted at once, a county rotates onto a certificate of issuer 2, and a
# publisher certified by issuer 2 is taken by a county whose only anchor is root version 1. The
# city is down while the new documents are published and catches up at its next session.
# Certificates of issuer 1 stay valid until their end.
. "$(dirname "$0")/lib.sh"

pki_init
enrol 510000 "" 1000
enrol 510100 510000 1001
enrol 510104 510100 1002
"$JIANCHA" keys request --publisher --node 510000 --out "$K" >/dev/null || fail "publisher request"
issue "$K/publisher.g1.request.jc" 2001
cp "$T/certs/publisher.2001.jc" "$T/trust/"
PUBLISHER=certified cert_tree
configs() { sha256sum "$T"/*.cfg; }

"$EVENTGEN" --node 510104 --count 1000 --seed 5 >"$T/e1.jsonl"
"$JIANCHA" send --data "$T/county" "$T/e1.jsonl" >/dev/null || fail "send"
until_true 30 '[ "$(events "$T/province" 510104 | wc -l)" = 1000 ]' || fail "events did not reach the province"

say "-- root version 2 and issuer 2, made offline; a county certified by issuer 2"
"$JIANCHA" keys root-init --node 510000 --version 2 --prev "$T/offline/root.1.secret" \
    --out "$T/offline" >/dev/null || fail "root 2"
"$JIANCHA" keys issuer-init --root "$T/offline/root.2.secret" --root-doc "$T/offline/root.2.jc" \
    --serial 2 --out "$T/admin2" >/dev/null || fail "issuer 2"
cp "$T/offline/root.2.jc" "$T/admin2/issuer.2.jc" "$T/trust/"
issue2() { # REQUEST SERIAL [extra]: a certificate of issuer 2
    local req=$1 serial=$2; shift 2
    "$JIANCHA" keys issue --issuer "$T/admin2/issuer.secret" --issuer-cert "$T/admin2/issuer.2.jc" \
        --request "$req" --serial "$serial" --out "$T/certs" "$@" >/dev/null || fail "issue2 $req"
}
"$JIANCHA" keys request --node 510105 --parent 510100 --out "$K" >/dev/null || fail "request 510105"
issue2 "$K/510105.g1.request.jc" 3001
cp "$T/certs/510105.3001.cert" "$T/trust/"
# the county's next key, certified by issuer 2
"$JIANCHA" keys request --node 510104 --parent 510100 --out "$K" --current "$T/certs/510104.1002.cert" \
    --current-key "$K/510104.g1.secret" >/dev/null || fail "rotation request"
issue2 "$K/510104.g2.request.jc" 3002 --current "$T/certs/510104.1002.cert"
cp "$T/certs/510104.3002.cert" "$T/trust/"
sed -i "s|^    key = $K/510104.g1.secret$|&\n    next_key = $K/510104.g2.secret|" "$T/county.cfg"
stop county
start county
configs >"$T/configs.before"

say "-- published while the city is down: the province learns root 2 and issuer 2 from the chain"
stop city
"$JIANCHA" keys certs publish --trust "$T/trust" --key "$K/publisher.g1.secret" \
    --cert "$T/certs/publisher.2001.jc" --to "$(endpoint_of province)" \
    --server-key "$K/510000.g1.curve-pub" >"$T/publish.out" 2>&1 || fail "certs publish: $(cat "$T/publish.out")"
wait_until 10 test -f "$T/trust-province/root.2.jc" || fail "the province did not learn root version 2"
[ -f "$T/trust-province/issuer.2.jc" ] || fail "the province did not learn issuer 2"
"$JIANCHA" keys list --trust "$T/trust-province" | grep -q '^root version 2;' ||
    fail "the province's trust does not walk to root version 2"
[ ! -f "$T/trust-city/root.2.jc" ] || fail "the city learned while it was down?"

say "-- the city comes back and catches up; the county rotates onto issuer 2; the new county joins"
start city
wait_until 20 test -f "$T/trust-city/issuer.2.jc" || fail "the city did not catch up with issuer 2"
wait_until 30 grep -q "rotation: node=510104 signs with key generation 2" "$T/county.log" ||
    fail "the county did not rotate onto its issuer-2 certificate"
collector_config c510105 510105 "$(endpoint_of city)" "bundle
    root = $T/trust/root.1.jc"
sed -i "s|^    key = .*|    key = $K/510105.g1.secret|" "$T/c510105.cfg"
sed -i "s|^    endpoint = \(.*\)$|    endpoint = \1\n    server_key = $K/510100.g1.curve-pub|" "$T/c510105.cfg"
start c510105
"$EVENTGEN" --node 510105 --count 500 --seed 6 --prefix joined >"$T/e5.jsonl"
"$JIANCHA" send --data "$T/c510105" "$T/e5.jsonl" >/dev/null || fail "send 510105"
"$EVENTGEN" --node 510104 --count 1000 --seed 7 --prefix after >"$T/e2.jsonl"
"$JIANCHA" send --data "$T/county" "$T/e2.jsonl" >/dev/null || fail "send after the rotation"
until_true 30 '[ "$(events "$T/province" 510105 | wc -l)" = 500 ]' ||
    fail "the issuer-2 county's events did not reach the province ($(events "$T/province" 510105 | wc -l))"
until_true 30 '[ "$(events "$T/province" 510104 | wc -l)" = 2000 ]' ||
    fail "the rotated county's events did not reach the province"
cat "$T/e1.jsonl" "$T/e2.jsonl" "$T/e5.jsonl" >"$T/all.jsonl"
exactly_once "$T/all.jsonl" "$T/province"

say "-- a publisher certified by issuer 2, taken by counties anchored at root version 1"
"$JIANCHA" keys request --publisher --node 510000 --current "$T/certs/publisher.2001.jc" \
    --current-key "$K/publisher.g1.secret" --out "$K" >/dev/null || fail "publisher rotation"
issue2 "$K/publisher.g2.request.jc" 3003 --current "$T/certs/publisher.2001.jc"
cp "$T/certs/publisher.3003.jc" "$T/trust/"
# announced by the current publisher, then used
"$JIANCHA" bundle publish --kind calendar --file "$SRC/config/cn-workdays.tsv" --version 11 \
    --key "$K/publisher.g1.secret" --cert "$T/certs/publisher.2001.jc" --chain "$T/trust" \
    --to "$(endpoint_of province)" --server-key "$K/510000.g1.curve-pub" >/dev/null || fail "calendar 11"
"$JIANCHA" bundle publish --kind calendar --file "$SRC/config/cn-workdays.tsv" --version 12 \
    --key "$K/publisher.g2.secret" --cert "$T/certs/publisher.3003.jc" --chain "$T/trust" \
    --to "$(endpoint_of province)" --server-key "$K/510000.g1.curve-pub" >/dev/null || fail "calendar 12"
for c in county c510105; do
    wait_until 20 grep -q "bundle applied kind=calendar version=12 publisher=510000 certificate=3003" "$T/$c.log" ||
        fail "$c did not take the issuer-2 publisher's bundle"
done

say "-- certificates of issuer 1 are still good: the city and the province run on them"
"$JIANCHA" keys list --trust "$T/trust-city" >"$T/list.txt"
grep -Eq '^1001 +510100 .* valid$' "$T/list.txt" || fail "keys list: $(cat "$T/list.txt")"
grep -Eq '^3001 +510105 .* valid$' "$T/list.txt" || fail "keys list: $(cat "$T/list.txt")"
"$JIANCHA" status --data "$T/province" | grep -q "parked batches: 0" || fail "something parked at the province"
configs | grep -v c510105 | diff - <(grep -v c510105 "$T/configs.before") >/dev/null ||
    fail "a node's configuration file changed"
say "ok: root version 2 and issuer 2 reached every tier from a bundle's chain, a county joined and another rotated on them, a publisher of issuer 2 was taken, and the city caught up after being down"
