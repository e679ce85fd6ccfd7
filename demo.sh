#!/usr/bin/env bash
# The main job on one machine: installs what it needs, builds, starts a city aggregator (成都市
# 510100) and a county collector (锦江区 510104) on loopback, sends a working day of realistic
# events into the county, and shows them arriving, signed and verified, at the city.
# Usage: ./demo.sh [EVENTS]      (default 20000; run as root on a fresh Debian 12)
set -euo pipefail
cd "$(dirname "$0")"
EVENTS=${1:-20000}
packaging/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
B=$PWD/build
D=$(mktemp -d /tmp/jiancha-demo-XXXXXX)
trap 'kill $(cat "$D"/*.pid 2>/dev/null) 2>/dev/null || true; wait 2>/dev/null || true' EXIT

echo "== keys: the county's signing key; the city holds its public half"
"$B/cli/jiancha" keys gen --node 510104 --out "$D/keys"

cat >"$D/city.conf" <<CFG
aggregator
    node = 510100
    data = $D/city
    keys = $D/keys
listen
    endpoint = tcp://127.0.0.1:*
CFG
"$B/aggregator/jiancha-aggregator" -c "$D/city.conf" 2>"$D/city.log" &
echo $! >"$D/city.pid"
for _ in $(seq 100); do [ -s "$D/city/listen.endpoint" ] && break; sleep 0.05; done
cat >"$D/county.conf" <<CFG
collector
    node = 510104
    data = $D/county
    key = $D/keys/510104.secret
uplink
    endpoint = $(cat "$D/city/listen.endpoint")
CFG
"$B/collector/jiancha-collector" -c "$D/county.conf" 2>"$D/county.log" &
echo $! >"$D/county.pid"
for _ in $(seq 100); do [ -S "$D/county/intake.sock" ] && break; sleep 0.05; done

echo "== a working day at 锦江区: $EVENTS events from its business systems"
"$B/bench/jiancha-eventgen" --node 510104 --count "$EVENTS" --seed "$(date +%j)" >"$D/day.jsonl"
head -n 3 "$D/day.jsonl"
"$B/cli/jiancha" send --data "$D/county" "$D/day.jsonl"

echo "== one bad record is refused with its line, field and reason"
echo '{"type":"case.accept","id":"bad-1","case":"C9","item":"SC-XK-0101","dept":"SCJGJ","at":"2026-11-25T09:00:00+08:00"}' |
    "$B/cli/jiancha" send --data "$D/county" - || true

for _ in $(seq 200); do
    n=$("$B/cli/jiancha" status --data "$D/city" | sed -n 's/^store .*: \([0-9]*\) events.*/\1/p')
    [ "$n" = "$EVENTS" ] && break
    sleep 0.05
done
echo "== the county collector"
"$B/cli/jiancha" status --data "$D/county"
echo "== the city aggregator (every batch's county signature verified)"
"$B/cli/jiancha" status --data "$D/city"
echo "== the last events stored at the city"
"$B/cli/jiancha" query events --data "$D/city" --since "$((EVENTS - 4))"
"$B/cli/jiancha" query events --data "$D/city" --since "$EVENTS" --json
echo "== logs"
grep -h "session open\|listening" "$D/city.log" "$D/county.log"
