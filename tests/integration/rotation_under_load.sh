#!/usr/bin/env bash
# Key rotation under load: while 200,000 events stream county → city → province and the county's
# collector and the city's aggregator are killed with SIGKILL at random, both rotate their keys
# (certificates for the next generation sent down from the province; each switches when its
# parent has the certificate) and the old keys are then revoked as superseded. Afterwards the
# province holds every event exactly once, nothing was parked anywhere and no batch was refused
# for its signature: nothing valid when sent was rejected.
. "$(dirname "$0")/lib.sh"

KILLS=${KILLS:-4}
K=$T/nodekeys
"$JIANCHA" keys root-init --node 510000 --out "$T/offline" >/dev/null || fail "root-init"
"$JIANCHA" keys issuer-init --root "$T/offline/root.1.secret" --root-doc "$T/offline/root.1.jc" \
    --out "$T/admin" >/dev/null || fail "issuer-init"
mkdir -p "$T/trust" "$T/certs"
cp "$T/offline/root.1.jc" "$T/admin/issuer.1.jc" "$T/trust/"
ISSUE=("$JIANCHA" keys issue --issuer "$T/admin/issuer.secret" --issuer-cert "$T/admin/issuer.1.jc" --out "$T/certs")
serial=2000
for n in 510000:"" 510100:510000 510104:510100; do
    node=${n%%:*} parent=${n#*:}
    "$JIANCHA" keys request --node "$node" ${parent:+--parent "$parent"} --out "$K" >/dev/null || fail "request $node"
    "${ISSUE[@]}" --request "$K/$node.g1.request.jc" --serial $serial >/dev/null || fail "issue $node"
    "$JIANCHA" keys install --cert "$T/certs/$node.$serial.cert" --trust "$T/trust" >/dev/null || fail "install $node"
    serial=$((serial + 1))
done
# the next generation of the city and the county: requested on the nodes, signed by the old and
# the new key, issued now and published later
"$JIANCHA" keys request --node 510100 --parent 510000 --out "$K" --current "$T/certs/510100.2001.cert" \
    --current-key "$K/510100.g1.secret" >/dev/null || fail "rotation request 510100"
"$JIANCHA" keys request --node 510104 --parent 510100 --out "$K" --current "$T/certs/510104.2002.cert" \
    --current-key "$K/510104.g1.secret" >/dev/null || fail "rotation request 510104"
"${ISSUE[@]}" --request "$K/510100.g2.request.jc" --current "$T/certs/510100.2001.cert" --serial 2011 >/dev/null || fail "issue 510100 g2"
"${ISSUE[@]}" --request "$K/510104.g2.request.jc" --current "$T/certs/510104.2002.cert" --serial 2012 >/dev/null || fail "issue 510104 g2"
cp -r "$T/trust" "$T/trust-province"
cp -r "$T/trust" "$T/trust-city"

PUB="bundle
    publisher_key = $K/510000.g1.pub"
AGG_KEYS=$T/trust-province aggregator_config province 510000 "$PUB"
start province
AGG_KEYS=$T/trust-city aggregator_config city 510100 "aggregator
    key = $K/510100.g1.secret
    next_key = $K/510100.g2.secret
uplink
    endpoint = $(endpoint_of province)
    heartbeat_ms = 200
    timeout_ms = 1500
    ack_timeout_ms = 1000
    backoff_max_ms = 500
$PUB"
start city
collector_config county 510104 "$(endpoint_of city)" "batch
    max_events = 500
$PUB"
sed -i "s|^    key = .*|    key = $K/510104.g1.secret\n    next_key = $K/510104.g2.secret|" "$T/county.cfg"
start county

"$EVENTGEN" --node 510104 --count 200000 --seed 31 >"$T/events.jsonl"
split -l 5000 -d -a 2 "$T/events.jsonl" "$T/part."
(
    for p in "$T"/part.*; do
        "$JIANCHA" send --data "$T/county" --chunk 250 --timeout-ms 500 --give-up-ms 60000 "$p" ||
            exit 1
        sleep 0.1
    done
) >"$T/send.out" 2>&1 &
SENDER=$!

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
    --to "$(endpoint_of province)" >/dev/null || fail "certs publish"
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
    --to "$(endpoint_of province)" >/dev/null || fail "crl publish"
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
