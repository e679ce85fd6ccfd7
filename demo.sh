#!/usr/bin/env bash
# The main job on one machine: installs what it needs, builds, and runs a small province on
# loopback: the province aggregator (四川省 510000), two city aggregators (成都市 510100, 自贡市
# 510300) and four county collectors (锦江区 510104, 青羊区 510105, 自流井区 510302, 贡井区
# 510303), each county judging its departments against the catalogue. It feeds every county a
# simulated November of realistic activity (every category; 3% of cases late, skipping steps,
# returning illegally, missing evidence, with unqualified handlers, penalties outside their band or
# bad ratings), then shows the events and the yellow (预警) and red (报警) lights arriving at the
# province with each county's own signature checked there. Every node runs on a certificate from
# the demo's own offline root and issuer, and every link is CurveZMQ.
# Usage: ./demo.sh [EVENTS_PER_COUNTY]      (default 12000; as root on a fresh Debian 12)
set -euo pipefail
# (listings are cut with head; their SIGPIPE is not a failure: see the `|| true`s)
cd "$(dirname "$0")"
EVENTS=${1:-12000}
packaging/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
B=$PWD/build
J=$B/cli/jiancha
D=$(mktemp -d /tmp/jiancha-demo-XXXXXX)
trap 'kill $(cat "$D"/*.pid 2>/dev/null) 2>/dev/null || true; wait 2>/dev/null || true' EXIT

PROVINCE=510000
CITIES=(510100 510300)
declare -A PARENT=([510104]=510100 [510105]=510100 [510302]=510300 [510303]=510300 [510100]=510000
                   [510300]=510000)
declare -A NAME=([510000]=四川省 [510100]=成都市 [510300]=自贡市 [510104]=锦江区 [510105]=青羊区
                 [510302]=自流井区 [510303]=贡井区)
COUNTIES=(510104 510105 510302 510303)

echo "== trust: an offline root certifies an issuer; every node makes its own keys and gets a certificate"
"$J" keys root-init --node $PROVINCE --out "$D/offline" >/dev/null
"$J" keys issuer-init --root "$D/offline/root.1.secret" --root-doc "$D/offline/root.1.jc" --out "$D/admin" >/dev/null
mkdir -p "$D/trust" "$D/certs"
cp "$D/offline/root.1.jc" "$D/admin/issuer.1.jc" "$D/trust/"
serial=100
for n in $PROVINCE "${CITIES[@]}" "${COUNTIES[@]}"; do
    p=${PARENT[$n]:-}
    "$J" keys request --node "$n" ${p:+--parent "$p"} --out "$D/keys/$n" >/dev/null
    "$J" keys issue --issuer "$D/admin/issuer.secret" --issuer-cert "$D/admin/issuer.1.jc" \
        --request "$D/keys/$n/$n.g1.request.jc" --serial $serial --out "$D/certs" >/dev/null
    "$J" keys install --cert "$D/certs/$n.$serial.cert" --trust "$D/trust" >/dev/null
    serial=$((serial + 1))
done
"$J" keys list --trust "$D/trust"
for n in $PROVINCE "${CITIES[@]}"; do cp -r "$D/trust" "$D/trust-$n"; done
PUB=$D/keys/$PROVINCE/$PROVINCE.g1

start_aggregator() { # node [parent-endpoint parent]: every link on CurveZMQ
    local n=$1 up=${2:-} p=${3:-}
    {
        printf 'aggregator\n    node = %s\n    data = %s/%s\n    keys = %s/trust-%s\n' "$n" "$D" "$n" "$D" "$n"
        [ -n "$up" ] && printf '    key = %s/keys/%s/%s.g1.secret\nuplink\n    endpoint = %s\n    server_key = %s/keys/%s/%s.g1.curve-pub\n' \
            "$D" "$n" "$n" "$up" "$D" "$p" "$p"
        printf 'listen\n    endpoint = tcp://127.0.0.1:*\n    curve_key = %s/keys/%s/%s.g1.curve-secret\n' "$D" "$n" "$n"
        printf 'bundle\n    publisher_key = %s.pub\n' "$PUB"
    } >"$D/$n.conf"
    "$B/aggregator/jiancha-aggregator" -c "$D/$n.conf" 2>"$D/$n.log" &
    echo $! >"$D/$n.pid"
    for _ in $(seq 100); do [ -s "$D/$n/listen.endpoint" ] && break; sleep 0.05; done
}
start_collector() { # node parent-endpoint
    local n=$1 p=${PARENT[$1]}
    cat >"$D/$n.conf" <<CFG
collector
    node = $n
    data = $D/$n
    key = $D/keys/$n/$n.g1.secret
uplink
    endpoint = $2
    server_key = $D/keys/$p/$p.g1.curve-pub
rules
    catalog = $PWD/config/catalog.json
    calendar = $PWD/config/cn-workdays.tsv
counters
    interval_ms = 500
bundle
    publisher_key = $PUB.pub
CFG
    "$B/collector/jiancha-collector" -c "$D/$n.conf" 2>"$D/$n.log" &
    echo $! >"$D/$n.pid"
    for _ in $(seq 100); do [ -S "$D/$n/intake.sock" ] && break; sleep 0.05; done
}

echo "== starting ${NAME[$PROVINCE]} ← ${NAME[510100]}, ${NAME[510300]} ← four counties"
start_aggregator $PROVINCE
for c in "${CITIES[@]}"; do start_aggregator "$c" "$(cat "$D/$PROVINCE/listen.endpoint")" $PROVINCE; done
for c in "${COUNTIES[@]}"; do start_collector "$c" "$(cat "$D/${PARENT[$c]}/listen.endpoint")"; done

echo "== November 2026: $EVENTS events per county from its business systems"
seed=1
for c in "${COUNTIES[@]}"; do
    "$B/bench/jiancha-eventgen" --node "$c" --count "$EVENTS" --seed $((seed++)) --hours 552 \
        --violations 3 >"$D/$c.jsonl"
    printf '%s %s: ' "$c" "${NAME[$c]}"
    "$J" send --data "$D/$c" --msgpack "$D/$c.jsonl"
done

echo "== one bad record is refused with its line, field and reason"
echo '{"type":"case.accept","id":"bad-1","case":"C9","item":"SC-XK-0101-510104","dept":"SCJGJ","at":"2026-11-25T09:00:00+08:00"}' |
    "$J" send --data "$D/510104" - || true

# Wait until every county's records (events, alerts, day sheets) are all at the province and its
# sheets counted at least once.
count() { "$J" query events --data "$1" --node "$2" --json | wc -l; }
sheets() { "$J" query scores --data "$1" --period 2026-11 --node "$2" --json; }
for _ in $(seq 600); do
    done_all=1
    for c in "${COUNTIES[@]}"; do
        [ "$(count "$D/$c" "$c")" = "$(count "$D/$PROVINCE" "$c")" ] || done_all=0
        [ -n "$(sheets "$D/$c" "$c")" ] && [ "$(sheets "$D/$c" "$c")" = "$(sheets "$D/$PROVINCE" "$c")" ] || done_all=0
    done
    [ $done_all = 1 ] && break
    sleep 0.1
done

echo "== the province publishes catalogue version 2 (signed); it goes down to every node"
jq '.version = 2' config/catalog.json >"$D/catalog-v2.json"
"$J" bundle publish --kind catalog --file "$D/catalog-v2.json" --key "$PUB.secret" \
    --to "$(cat "$D/$PROVINCE/listen.endpoint")" --server-key "$PUB.curve-pub"
for _ in $(seq 100); do
    [ "$("$J" query nodes --data "$D/$PROVINCE" | grep -c ' v2 ')" -ge 7 ] && break
    sleep 0.1
done
sleep 5.5 # the aggregators record their children's heartbeats (backlog, clock skew) every 5 s
echo "== the tree as the province sees it (every link on CurveZMQ, every county batch's certificate"
echo "   and signature checked there; the catalogue version each node acknowledged)"
"$J" query nodes --data "$D/$PROVINCE"
echo "== lights at the province, by county and rule"
"$J" query alerts --data "$D/$PROVINCE" --json |
    jq -r '.node + " " + .rule + " " + .light + " " + .state' | sort | uniq -c |
    awk '{printf "  %-6s %-20s %-6s %-8s %5d\n", $2, $3, $4, $5, $1}'
echo "== open red alarms (报警) at the province, a sample"
"$J" query alerts --data "$D/$PROVINCE" --light red --open | head -n 10 || true
echo "== scores for November 2026 at the province (绩效评估, spec §6)"
"$J" query scores --data "$D/$PROVINCE" --period 2026-11
echo "== and by region: each city with its counties, and the province"
"$J" query scores --data "$D/$PROVINCE" --period 2026-11 --by region
echo "== the same for 锦江区, computed at the county itself and at the province, by department"
"$J" query scores --data "$D/510104" --period 2026-11 --by dept | head -n 6 || true
"$J" query scores --data "$D/$PROVINCE" --period 2026-11 --by dept --node 510104 | head -n 6 || true
echo "== one alert in full, with its ledger"
"$J" query alerts --data "$D/$PROVINCE" --rule limit.case --json | head -n 1 | jq . || true
echo "== logs"
grep -h "session open\|forwarding\|rules on" "$D"/*.log | sort | head -n 20 || true
