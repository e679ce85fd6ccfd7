#!/usr/bin/env bash
# Key rotation under load: while 200,000 events stream county → city → province and the county's
# collector and the city's aggregator are killed with SIGKILL at random, both rotate their keys
# (certificates for the next generation sent down from the province; each switches when its
# parent has the certificate) and the old keys are then revoked as superseded. Afterwards the
# province holds every event exactly once, nothing was parked anywhere and no batch was refused
# for its signature: nothing valid when sent was rejected.
. "$(dirname "$0")/lib.sh"

KILLS=${KILLS:-4}
pki_init
serial=2000
for n in 510000:"" 510100:510000 510104:510100; do
    enrol "${n%%:*}" "${n#*:}" $serial
    serial=$((serial + 1))
done
# the next generation of the city and the county: requested on the nodes, signed by the old and
# the new key, issued now and published later
for n in 510100:510000:2001:2011 510104:510100:2002:2012; do
    IFS=: read -r node parent old new <<<"$n"
    "$JIANCHA" keys request --node "$node" --parent "$parent" \
        --out "$K" --current "$T/certs/$node.$old.cert" --current-key "$K/$node.g1.secret" >/dev/null ||
        fail "rotation request $node"
    issue "$K/$node.g2.request.jc" "$new" --current "$T/certs/$node.$old.cert"
done
cert_tree "    next_key = $K/510100.g2.secret" "    next_key = $K/510104.g2.secret"

"$EVENTGEN" --node 510104 --count 200000 --seed 31 >"$T/events.jsonl"
stream_parts "$T/events.jsonl"

RANDOM=777
kills() { # N: kill the county or the city N times at random moments
    local i
    for i in $(seq "$1"); do
        sleep "0.$((RANDOM % 4 + 1))"
        if [ $((RANDOM % 2)) -eq 0 ]; then
            kill9 county; sleep "0.$((RANDOM % 3))"; start county; ck=$((ck + 1))
        else
            kill9 city; sleep "0.$((RANDOM % 3))"; start city; ak=$((ak + 1))
        fi
    done
}
ck=0 ak=0
kills "$KILLS"
# the new certificates go down the tree; the city and the county switch when they get theirs
cp "$T/certs/510100.2011.cert" "$T/certs/510104.2012.cert" "$T/trust/"
"$JIANCHA" keys certs publish --trust "$T/trust" --key "$K/510000.g1.secret" \
    --to "$(endpoint_of province)" --server-key "$K/510000.g1.curve-pub" >/dev/null || fail "certs publish"
kills "$KILLS"
rotated() { grep -q "rotation: node=$1 signs with key generation 2" "$T/$2.log"; }
wait_until 30 rotated 510100 city || fail "the city did not rotate"
wait_until 30 rotated 510104 county || fail "the county did not rotate"
# then the old keys are retired, while the stream and the kills go on
for s in 2001 2002; do
    "$JIANCHA" keys revoke --trust "$T/trust" --issuer "$T/admin/issuer.secret" --serial $s \
        --reason superseded >/dev/null || fail "revoke $s"
done
"$JIANCHA" keys crl publish --crl "$T/trust/crl.jc" --key "$K/510000.g1.secret" \
    --to "$(endpoint_of province)" --server-key "$K/510000.g1.curve-pub" >/dev/null || fail "crl publish"
kills "$KILLS"
say "killed the collector $ck times and the city $ak times"
wait $SENDER || fail "sender failed: $(tail -n 3 "$T/send.out")"

exactly_once "$T/events.jsonl" "$T/county"
at_province() { [ "$(events "$T/province" 510104 | wc -l)" = 200000 ]; }
wait_until 120 at_province || fail "the province holds $(events "$T/province" 510104 | wc -l) of 200000"
exactly_once "$T/events.jsonl" "$T/province"
for d in county city; do
    "$JIANCHA" status --data "$T/$d" >"$T/$d.status"
    grep -q "^parked batches: 0" "$T/$d.status" || fail "$d parked batches: $(cat "$T/$d.status")"
done
if grep -h "code=bad-signature\|code=broken-chain\|code=conflict" "$T/city.log" "$T/province.log"; then
    fail "a batch valid when sent was refused"
fi
# the list retiring the old keys (version 2: one entry each) is in force everywhere, and was
# acknowledged up to the province
crl_everywhere() {
    local out; out=$("$JIANCHA" query nodes --data "$T/province")
    grep -Eq '^  510100 .* v2  ' <<<"$out" && grep -Eq '^    510104 .* v2  ' <<<"$out"
}
wait_until 30 crl_everywhere || fail "the list did not reach every node: $("$JIANCHA" query nodes --data "$T/province")"
say "ok: 200000 events exactly once at the province through a rotation of every key, $ck + $ak kills"
