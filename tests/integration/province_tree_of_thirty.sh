#!/usr/bin/env bash
# A province of 34 nodes on certificates and CurveZMQ, the small size of bench/province.sh: the
# province 510000 and three cities of config/regions.tsv (成都 510100, 甘孜 513300, 凉山 513400),
# ten real counties each, every node on its own keys and a certificate from one root and issuer,
# bundles signed by a certified publisher. It asserts what must hold at any size: every county's
# events arrive at the province exactly once (as many as were sent in all), a red light raised at
# a remote county reaches the province, a catalogue version and a revocation list reach all 33
# children (each acknowledgement at the province), a county revoked as compromised is cut off by
# its city, its later batches are refused and the province holds the red key.compromised its city
# raised, and the scores by region cover the three cities. Events are dated November 2026, never
# today.
. "$(dirname "$0")/lib.sh"

PROVINCE=510000
CITIES=(510100 513300 513400)
declare -A PARENT SERIAL
COUNTIES=()
for city in "${CITIES[@]}"; do
    PARENT[$city]=$PROVINCE
    for c in $(awk -F'\t' -v p="$city" '$2 == p { print $1 }' "$SRC/config/regions.tsv" | head -n 10); do
        PARENT[$c]=$city
        COUNTIES+=("$c")
    done
done
[ ${#COUNTIES[@]} = 30 ] || fail "regions.tsv gave ${#COUNTIES[@]} counties, not 30"
# some FILTER: stdin holds a JSON value FILTER is true of
some() { jq -se "any(.[]; $1)" >/dev/null; }
kids() { local c; for c in "${COUNTIES[@]}"; do [ "${PARENT[$c]}" = "$1" ] && echo "$c"; done | tr '\n' ' '; }

say "-- trust: a root, an issuer, a certified publisher, a certificate per node (and a spare)"
pki_init
serial=1000
for n in $PROVINCE "${CITIES[@]}" "${COUNTIES[@]}"; do
    enrol "$n" "${PARENT[$n]:-}" $serial
    SERIAL[$n]=$serial
    serial=$((serial + 1))
done
enrol 510199 510100 999 # never started: the first revocation list revokes it
"$JIANCHA" keys request --publisher --node $PROVINCE --out "$K" >/dev/null || fail "publisher request"
issue "$K/publisher.g1.request.jc" 900
cp "$T/certs/publisher.900.jc" "$T/trust/"
PUB=(--key "$K/publisher.g1.secret" --cert "$T/certs/publisher.900.jc" --chain "$T/trust")

say "-- the catalogue made for the thirty counties"
jq -c --argjson counties "$(printf '"%s"\n' "${COUNTIES[@]}" | jq -s -c .)" \
    -f "$SRC/bench/province_catalog.jq" "$SRC/config/catalog.json" >"$T/catalog.json"
"$JIANCHA" catalog check "$T/catalog.json" >/dev/null || fail "the province catalogue does not check"

say "-- 34 daemons: the province, three cities, thirty counties"
UP="uplink
    heartbeat_ms = 200
    timeout_ms = 1500
    ack_timeout_ms = 1000
    backoff_max_ms = 500"
cp -r "$T/trust" "$T/trust-province"
AGG_KEYS=$T/trust-province aggregator_config province $PROVINCE "aggregator
    children = ${CITIES[*]}"
curve_listen province $PROVINCE
start province
for city in "${CITIES[@]}"; do
    cp -r "$T/trust" "$T/trust-$city"
    AGG_KEYS=$T/trust-$city aggregator_config "$city" "$city" "aggregator
    key = $K/$city.g1.secret
    children = $(kids "$city")
$UP
    endpoint = $(endpoint_of province)
    server_key = $K/$PROVINCE.g1.curve-pub"
    curve_listen "$city" "$city"
    start "$city" # (one after the other: free_port gives a port nothing listens on yet)
done
for c in "${COUNTIES[@]}"; do
    collector_config "$c" "$c" "$(endpoint_of "${PARENT[$c]}")" "rules
    catalog = $T/catalog.json
    calendar = $SRC/config/cn-workdays.tsv
counters
    interval_ms = 500
bundle
    root = $T/trust/root.1.jc"
    sed -i "s|^    key = .*|    key = $K/$c.g1.secret|" "$T/$c.cfg"
    sed -i "s|^    endpoint = \(.*\)$|    endpoint = \1\n    server_key = $K/${PARENT[$c]}.g1.curve-pub|" "$T/$c.cfg"
    launch "$c"
done
wait_until 60 up "${COUNTIES[@]}" || fail "the counties did not start"
in_session() { [ "$(grep -l 'link: session open' "${@/#/$T/}" 2>/dev/null | wc -l)" = $# ]; }
LOGS=()
for n in "${CITIES[@]}" "${COUNTIES[@]}"; do LOGS+=("$n.log"); done
wait_until 60 in_session "${LOGS[@]}" || fail "not every child opened its session with its parent"

say "-- every county's November: its events at the province exactly once"
seed=1
for c in "${COUNTIES[@]}"; do
    "$EVENTGEN" --node "$c" --count 150 --seed $((seed++)) --prefix "e$c" --hours 240 --violations 10 \
        --catalog "$T/catalog.json" >"$T/$c.jsonl"
done
declare -A SENDER
for c in "${COUNTIES[@]}"; do # all at once, as their business systems would
    "$JIANCHA" send --data "$T/$c" "$T/$c.jsonl" >"$T/$c.send" 2>&1 &
    SENDER[$c]=$!
done
for c in "${COUNTIES[@]}"; do wait "${SENDER[$c]}" || fail "sending to $c: $(cat "$T/$c.send")"; done
(cd "$T" && cat "${COUNTIES[@]/%/.jsonl}") >"$T/all.jsonl"
SENT=$(wc -l <"$T/all.jsonl")
business() { "$JIANCHA" query events --data "$T/province" --json | jq -c "$BUSINESS" | wc -l; }
until_true 60 '[ "$(business)" -ge "$SENT" ]' || fail "the province holds $(business) of $SENT events"
exactly_once "$T/all.jsonl" "$T/province"
# the records `query nodes` shows per node, a tally kept as records are stored and dropped, add up
# to every record held, at the province and at a city (which drops what it carried up)
tallied() {
    [ "$("$JIANCHA" query nodes --data "$T/$1" --json | jq -s 'map(.records // 0) | add')" = \
        "$(count "$T/$1")" ]
}
for d in province "${CITIES[0]}"; do
    until_true 30 "tallied $d" || fail "$d: query nodes counts $("$JIANCHA" query nodes --data "$T/$d" --json | jq -s 'map(.records // 0) | add') records, the store holds $(count "$T/$d")"
done

say "-- a red light at a county of 凉山 reaches the province"
REMOTE=${COUNTIES[-1]}
echo "{\"type\":\"case.accept\",\"id\":\"probe-1\",\"case\":\"PROBE-1\",\"item\":\"SC-NOT-LISTED\",\"dept\":\"SCJGJ\",\"handler\":\"SCJGJ-H01\",\"at\":\"2026-11-20T10:00:00+08:00\"}" |
    "$JIANCHA" send --data "$T/$REMOTE" - >/dev/null || fail "send the probe"
red_at_province() {
    "$JIANCHA" query alerts --data "$T/province" --rule item.unlisted --json |
        some ".node == \"$REMOTE\" and .light == \"red\" and .case == \"PROBE-1\""
}
wait_until 30 red_at_province || fail "the red item.unlisted of $REMOTE did not reach the province"

# acked KIND VERSION: every one of the 33 children (and the province) runs VERSION of KIND, as
# the acknowledgements the province holds say
acked() {
    "$JIANCHA" query nodes --data "$T/province" --json >"$T/nodes.json"
    [ "$(jq -s --arg k "$1" --argjson v "$2" '[.[] | select((.[$k] // 0) >= $v)] | length' "$T/nodes.json")" = "${3:-34}" ]
}
PROV_EP=$(endpoint_of province)
PROV_KEY=$K/$PROVINCE.g1.curve-pub

say "-- catalogue version 2 reaches all 33 children"
jq -c '.version = 2' "$T/catalog.json" >"$T/catalog-v2.json"
"$JIANCHA" bundle publish --kind catalog --file "$T/catalog-v2.json" "${PUB[@]}" --to "$PROV_EP" \
    --server-key "$PROV_KEY" >/dev/null || fail "publish the catalogue"
wait_until 60 acked catalog 2 || fail "catalogue v2: $(jq -r 'select(.catalog != 2) | .node' "$T/nodes.json" | tr '\n' ' ')"

say "-- a revocation list reaches all 33 children"
"$JIANCHA" keys revoke --trust "$T/trust" --issuer "$T/admin/issuer.secret" --serial 999 \
    --reason superseded >/dev/null || fail "revoke the spare"
"$JIANCHA" keys crl publish --crl "$T/trust/crl.jc" "${PUB[@]}" --to "$PROV_EP" \
    --server-key "$PROV_KEY" >/dev/null || fail "publish list 1"
wait_until 60 acked crl 1 || fail "list 1: $(jq -r 'select(.crl != 1) | .node' "$T/nodes.json" | tr '\n' ' ')"

say "-- a county revoked as compromised: cut off, its batches refused, the alarm at the province"
VICTIM=${COUNTIES[12]} # a county of 甘孜
VCITY=${PARENT[$VICTIM]}
"$JIANCHA" keys revoke --trust "$T/trust" --issuer "$T/admin/issuer.secret" --serial "${SERIAL[$VICTIM]}" \
    --reason compromised --since 2026-11-01T00:00:00+08:00 >/dev/null || fail "revoke $VICTIM"
"$JIANCHA" keys crl publish --crl "$T/trust/crl.jc" "${PUB[@]}" --to "$PROV_EP" \
    --server-key "$PROV_KEY" >/dev/null || fail "publish list 2"
wait_until 30 grep -q "session cut off node=$VICTIM: .*revoked (compromised)" "$T/$VCITY.log" ||
    fail "$VCITY did not cut off $VICTIM"
wait_until 60 acked crl 2 33 || fail "list 2: $(jq -r 'select(.crl != 2) | .node' "$T/nodes.json" | tr '\n' ' ')"
jq -e -s --arg v "$VICTIM" 'map(select(.node == $v))[0].crl == 1' "$T/nodes.json" >/dev/null ||
    fail "the revoked county is reported on list 2"
alarm_at_province() {
    "$JIANCHA" query alerts --data "$T/province" --rule key.compromised --json |
        some ".node == \"$VCITY\" and .light == \"red\" and (.child // \"\" | startswith(\"$VICTIM/\"))"
}
wait_until 30 alarm_at_province || fail "no red key.compromised of $VICTIM from $VCITY at the province"
# raised by its city and by the province, which held its batches; not by the other cities
"$JIANCHA" query alerts --data "$T/province" --rule key.compromised --json >"$T/compromised.json"
[ "$(jq -r .node "$T/compromised.json" | sort | tr '\n' ' ')" = "510000 $VCITY " ] ||
    fail "key.compromised raised by: $(jq -r '.node + " " + .detail' "$T/compromised.json")"
held=$(events "$T/$VCITY" "$VICTIM" | wc -l)
"$EVENTGEN" --node "$VICTIM" --count 20 --seed 99 --prefix late --catalog "$T/catalog.json" >"$T/late.jsonl"
"$JIANCHA" send --data "$T/$VICTIM" "$T/late.jsonl" >/dev/null || fail "send to the revoked county"
wait_until 10 grep -Eq "(session refused node=$VICTIM|zap: connection refused).*revoked \(compromised\)" \
    "$T/$VCITY.log" || fail "$VCITY let the revoked county in again"
sleep 2
[ "$(events "$T/$VCITY" "$VICTIM" | wc -l)" = "$held" ] || fail "$VCITY stored batches of the revoked county"
! events "$T/province" "$VICTIM" | jq -r .event.id | grep -q '^late-' ||
    fail "the province stored events of the revoked county"

say "-- scores for November by region cover the three cities"
regions() { "$JIANCHA" query scores --data "$T/province" --period 2026-11 --by region --json | jq -r .key | sort | tr '\n' ' '; }
until_true 30 '[ "$(regions)" = "510000 510100 513300 513400 " ]' || fail "scores by region: $(regions)"

say "ok: 34 nodes on certificates and CurveZMQ: $SENT events at the province exactly once, a red light from $REMOTE, catalogue v2 and revocation lists at every child, the compromised $VICTIM cut off and its alarm at the province, scores for the three cities"
