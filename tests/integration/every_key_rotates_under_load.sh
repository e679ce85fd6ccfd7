#!/usr/bin/env bash
# Every key rotates while the tree works (issue 16): county → city → province on certificates and
# CurveZMQ, 200,000 events streaming in, and a node killed with SIGKILL at random every so often.
# On the way: the province rotates its keys and with them the transport key its cities connect
# to; a second issuer comes in and certifies the next publisher, which takes over from the first;
# and the county, whose certificate ends in 25 days, renews itself by the unattended path with one
# approval at the province. At the end every event is at the province exactly once, nothing is
# parked, no child's configuration file changed, and `jiancha keys status` at the province shows
# the new generations: the province serving its generation-2 transport key, the county on its
# generation-2 key, no renewal pending.
. "$(dirname "$0")/lib.sh"

EVENTS=${EVENTS:-200000}
pki_init
enrol 510000 "" 1000
enrol 510100 510000 1001
"$JIANCHA" keys request --node 510104 --parent 510100 --out "$K" >/dev/null || fail "request 510104"
issue "$K/510104.g1.request.jc" 1002 --days 25
cp "$T/certs/510104.1002.cert" "$T/trust/"
"$JIANCHA" keys request --publisher --node 510000 --out "$K" >/dev/null || fail "publisher request"
issue "$K/publisher.g1.request.jc" 2001
cp "$T/certs/publisher.2001.jc" "$T/trust/"
# the province's next keys, made on it; certified later
"$JIANCHA" keys request --node 510000 --out "$K" --current "$T/certs/510000.1000.cert" \
    --current-key "$K/510000.g1.secret" >/dev/null || fail "province rotation request"
PUBLISHER=certified cert_tree
sed -i "s|^    node = 510000$|&\n    key = $K/510000.g1.secret\n    next_key = $K/510000.g2.secret|" "$T/province.cfg"
stop province
start province
sha256sum "$T/city.cfg" "$T/county.cfg" >"$T/configs.before"

PUB_GEN=1 PUB_CERT=2001 PROV_CURVE=$K/510000.g1.curve-pub
# publish_set: the master trust's certificate set down the tree, by the publisher in force; a
# province killed a moment ago is given a few tries
publish_set() {
    local i
    for i in 1 2 3 4 5; do
        "$JIANCHA" keys certs publish --trust "$T/trust" --key "$K/publisher.g$PUB_GEN.secret" \
            --cert "$T/certs/publisher.$PUB_CERT.jc" --to "$(endpoint_of province)" \
            --server-key "$PROV_CURVE" >"$T/publish.out" 2>&1 && return 0
        sleep 1
    done
    fail "certs publish: $(cat "$T/publish.out")"
}
publish_set

"$EVENTGEN" --node 510104 --count "$EVENTS" --seed 41 >"$T/events.jsonl"
stream_parts "$T/events.jsonl"
RANDOM=4242
kills=0
kill_one() { # SIGKILL one node at random and start it again
    local n
    case $((RANDOM % 3)) in 0) n=county ;; 1) n=city ;; *) n=province ;; esac
    kill9 "$n"
    sleep "0.$((RANDOM % 5))"
    start "$n"
    kills=$((kills + 1))
}

say "-- the county renews itself: its request reaches the province"
kill_one
pending() { "$JIANCHA" keys pending --data "$T/province" --trust "$T/trust" | grep -Eq '^510104 +2 .* pending +[0-9a-f]{64}$'; }
wait_until 60 pending || fail "no request from the county: $("$JIANCHA" keys pending --data "$T/province" 2>&1)"

say "-- the province's next keys are certified: it serves its next transport key once the city holds them"
issue "$K/510000.g2.request.jc" 1010 --current "$T/certs/510000.1000.cert"
cp "$T/certs/510000.1010.cert" "$T/trust/"
publish_set
kill_one
wait_until 60 grep -q "aggregator: listening with the next transport key" "$T/province.log" ||
    fail "the province did not serve its next transport key"
# the administrator reaches the province by the key it serves now (keys status: serves g2)
PROV_CURVE=$K/510000.g2.curve-pub

say "-- a second issuer certifies the next publisher, which takes over"
"$JIANCHA" keys issuer-init --root "$T/offline/root.1.secret" --root-doc "$T/offline/root.1.jc" \
    --serial 2 --out "$T/admin2" >/dev/null || fail "issuer 2"
cp "$T/admin2/issuer.2.jc" "$T/trust/"
"$JIANCHA" keys request --publisher --node 510000 --current "$T/certs/publisher.2001.jc" \
    --current-key "$K/publisher.g1.secret" --out "$K" >/dev/null || fail "publisher rotation request"
"$JIANCHA" keys issue --issuer "$T/admin2/issuer.secret" --issuer-cert "$T/admin2/issuer.2.jc" \
    --request "$K/publisher.g2.request.jc" --current "$T/certs/publisher.2001.jc" --serial 3001 \
    --out "$T/certs" >/dev/null || fail "issue publisher 2"
cp "$T/certs/publisher.3001.jc" "$T/trust/"
publish_set                     # announced by the current publisher, with issuer 2 in its chain
kill_one
PUB_GEN=2 PUB_CERT=3001
publish_set                     # and from now on signed by the next one

say "-- the administrator approves the county's renewal (issuer 2); the county switches by itself"
for i in 1 2 3 4 5; do
    "$JIANCHA" keys approve --data "$T/province" --node 510104 --issuer "$T/admin2/issuer.secret" \
        --issuer-cert "$T/admin2/issuer.2.jc" --trust "$T/trust" --serial 3002 \
        --key "$K/publisher.g2.secret" --cert "$T/certs/publisher.3001.jc" \
        --to "$(endpoint_of province)" --server-key "$PROV_CURVE" >"$T/approve.out" 2>&1 && break
    # a province killed a moment ago: the certificate is issued, the set is sent again
    [ -e "$T/trust/510104.3002.cert" ] && { publish_set; break; }
    sleep 1
done
[ -e "$T/trust/510104.3002.cert" ] || fail "approve: $(cat "$T/approve.out")"
kill_one
wait_until 60 grep -q "rotation: node=510104 signs with key generation 2" "$T/county.log" ||
    fail "the county did not switch to its renewed key"
wait_until 60 grep -q "bundle applied kind=certs .*certificate=3001" "$T/county.log" ||
    fail "the county did not take a bundle of the second publisher"
kill_one

wait "$SENDER" || fail "sending failed: $(tail -n 3 "$T/send.out")"
at_province() { [ "$(events "$T/province" 510104 | wc -l)" = "$EVENTS" ]; }
wait_until 180 at_province || fail "the province holds $(events "$T/province" 510104 | wc -l) of $EVENTS"
exactly_once "$T/events.jsonl" "$T/province"
for d in county city province; do
    "$JIANCHA" status --data "$T/$d" | grep -q "^parked batches: 0" || fail "$d parked batches"
done
if grep -h "code=bad-signature\|code=broken-chain\|code=conflict" "$T/city.log" "$T/province.log"; then
    fail "a batch valid when sent was refused"
fi
row() { "$JIANCHA" keys status --data "$T/province" --json | jq -e --arg n "$1" ".nodes[] | select(.node == \$n) | $2" >/dev/null; }
until_true 60 'row 510104 ".key_gen == 2 and .serial == 3002 and .pending_gen == 0"' ||
    fail "keys status, the county: $("$JIANCHA" keys status --data "$T/province")"
until_true 30 'row 510100 ".parent_serves_gen == 2"' ||
    fail "keys status, the city's parent: $("$JIANCHA" keys status --data "$T/province")"
row 510000 '.serves_gen == 2 and .newest_gen == 2' ||
    fail "keys status, the province: $("$JIANCHA" keys status --data "$T/province")"
sha256sum "$T/city.cfg" "$T/county.cfg" | diff - "$T/configs.before" >/dev/null ||
    fail "a child's configuration file changed"
"$JIANCHA" keys status --data "$T/province"
say "ok: $EVENTS events exactly once at the province through a rotation of the province's keys, the publisher and the issuer, and a county's unattended renewal, with $kills kills and no child configuration changed"
