#!/usr/bin/env bash
# An aggregator's listening CurveZMQ key rotates with its signing key, and no child's
# configuration names the new one (issue 16, docs/trust.md "Transport keys"). The province and the
# city each hold their next keys; one certificate set certifies both. Each switches its signing
# key at once, passes the set down, and serves its next transport key only once every expected
# child has acknowledged the set; the children learned the key from that set and reconnect with
# it. Events flow throughout and the county and the city are killed with SIGKILL on the way:
# every event reaches the province exactly once, nothing is parked, and the children's
# configuration files are unchanged.
. "$(dirname "$0")/lib.sh"

pki_init
serial=1000
for n in 510000:"" 510100:510000 510104:510100; do
    enrol "${n%%:*}" "${n#*:}" $serial
    serial=$((serial + 1))
done
"$JIANCHA" keys request --publisher --node 510000 --out "$K" >/dev/null || fail "publisher request"
issue "$K/publisher.g1.request.jc" 2001
cp "$T/certs/publisher.2001.jc" "$T/trust/"
# the next generation of the province and the city, made on them, issued now, published later
for n in 510000::1000:1010 510100:510000:1001:1011; do
    IFS=: read -r node parent old new <<<"$n"
    "$JIANCHA" keys request --node "$node" ${parent:+--parent "$parent"} --out "$K" \
        --current "$T/certs/$node.$old.cert" --current-key "$K/$node.g1.secret" >/dev/null ||
        fail "rotation request $node"
    issue "$K/$node.g2.request.jc" "$new" --current "$T/certs/$node.$old.cert"
done
PUBLISHER=certified cert_tree "    next_key = $K/510100.g2.secret"
# the province holds its keys too, so its listener can follow them (its own configuration)
sed -i "s|^    node = 510000$|&\n    key = $K/510000.g1.secret\n    next_key = $K/510000.g2.secret|" "$T/province.cfg"
stop province
start province
sha256sum "$T/city.cfg" "$T/county.cfg" >"$T/configs.before"

"$EVENTGEN" --node 510104 --count 60000 --seed 12 >"$T/events.jsonl"
stream_parts "$T/events.jsonl"
sleep 1
kill9 county
start county

say "-- one set certifies the next keys of the province and the city"
cp "$T/certs/510000.1010.cert" "$T/certs/510100.1011.cert" "$T/trust/"
"$JIANCHA" keys certs publish --trust "$T/trust" --key "$K/publisher.g1.secret" \
    --cert "$T/certs/publisher.2001.jc" --to "$(endpoint_of province)" \
    --server-key "$K/510000.g1.curve-pub" >"$T/publish.out" 2>&1 || fail "certs publish: $(cat "$T/publish.out")"
wait_until 30 grep -q "rotation: node=510100 signs with key generation 2" "$T/city.log" ||
    fail "the city did not rotate"
kill9 city
start city
switched() { grep -q "aggregator: listening with the next transport key" "$T/$1.log"; }
wait_until 30 switched province || fail "the province did not serve its next transport key"
wait_until 30 switched city || fail "the city did not serve its next transport key"
# the old transport keys are no longer served: a client that knows only them gets nowhere
if FORGE_SERVER_KEY=$K/510100.g1.curve-pub FORGE_CURVE=$K/510104.g1.curve-secret FORGE_WAIT_MS=1500 \
    "$FORGE" "$(endpoint_of city)" "$K/510104.g1.secret" hello >"$T/f.out"; then
    fail "the city still answers on its old transport key"
fi

wait "$SENDER" || fail "sending failed: $(cat "$T/send.out")"
until_true 90 '[ "$(events "$T/province" 510104 | wc -l)" = 60000 ]' ||
    fail "the province holds $(events "$T/province" 510104 | wc -l) of 60000 events"
exactly_once "$T/events.jsonl" "$T/province"
for n in province city county; do
    "$JIANCHA" status --data "$T/$n" | grep -q "parked batches: 0" || fail "something parked at $n"
done
# the administrator's view, from what the tree reported to the province
row() { "$JIANCHA" keys status --data "$T/province" --json | jq -e --arg n "$1" ".nodes[] | select(.node == \$n) | $2" >/dev/null; }
until_true 20 'row 510100 ".key_gen == 2 and .serves_gen == 2 and .parent_serves_gen == 2 and .serial == 1011"' ||
    fail "keys status, the city: $("$JIANCHA" keys status --data "$T/province")"
row 510104 '.parent_serves_gen == 2 and .key_gen == 1 and .pending_gen == 0' ||
    fail "keys status, the county: $("$JIANCHA" keys status --data "$T/province")"
row 510000 '.serves_gen == 2 and .newest_gen == 2' ||
    fail "keys status, the province: $("$JIANCHA" keys status --data "$T/province")"
"$JIANCHA" keys status --data "$T/province"
sha256sum "$T/city.cfg" "$T/county.cfg" | diff - "$T/configs.before" >/dev/null ||
    fail "a child's configuration file changed"
say "ok: the province and the city served their next transport keys once their children held them; the children followed with no configuration changed, under traffic and SIGKILL, every event once"
