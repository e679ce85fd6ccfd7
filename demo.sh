#!/usr/bin/env bash
# The main job on one machine: installs what it needs, builds, starts a city aggregator (成都市
# 510100) and a county collector (锦江区 510104) on loopback, sends a simulated month of realistic
# activity (every category, with late cases, skipped steps, returns, missing evidence, unqualified
# handlers, penalties outside their band and bad ratings) into the county, and shows the events
# and the yellow and red lights the county raises arriving, signed and verified, at the city.
# Usage: ./demo.sh [EVENTS]      (default 30000; run as root on a fresh Debian 12)
set -euo pipefail
cd "$(dirname "$0")"
EVENTS=${1:-30000}
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
rules
    catalog = $PWD/config/catalog.json
    calendar = $PWD/config/cn-workdays.tsv
CFG
"$B/collector/jiancha-collector" -c "$D/county.conf" 2>"$D/county.log" &
echo $! >"$D/county.pid"
for _ in $(seq 100); do [ -S "$D/county/intake.sock" ] && break; sleep 0.05; done

echo "== November 2026 at 锦江区: $EVENTS events from its business systems (3% of cases break a rule)"
"$B/bench/jiancha-eventgen" --node 510104 --count "$EVENTS" --seed 2026 --hours 552 \
    --violations 3 >"$D/month.jsonl"
grep -m 2 '"case.' "$D/month.jsonl"
"$B/cli/jiancha" send --data "$D/county" "$D/month.jsonl"

echo "== one bad record is refused with its line, field and reason"
echo '{"type":"case.accept","id":"bad-1","case":"C9","item":"SC-XK-0101","dept":"SCJGJ","at":"2026-11-25T09:00:00+08:00"}' |
    "$B/cli/jiancha" send --data "$D/county" - || true

# Wait until the city holds everything the county stored (events and alert records).
for _ in $(seq 400); do
    want=$("$B/cli/jiancha" status --data "$D/county" | sed -n 's/^store .*: \([0-9]*\) events.*/\1/p')
    n=$("$B/cli/jiancha" status --data "$D/city" | sed -n 's/^store .*: \([0-9]*\) events.*/\1/p')
    [ "$n" = "$want" ] && [ "$n" -gt "$EVENTS" ] && break
    sleep 0.05
done
echo "== the county collector"
"$B/cli/jiancha" status --data "$D/county"
echo "== the city aggregator (every batch's county signature verified)"
"$B/cli/jiancha" status --data "$D/city"
echo "== lights raised at the county as of now, by rule"
"$B/cli/jiancha" query alerts --data "$D/county" --json | jq -r '.rule + " " + .light' | sort |
    uniq -c | sort -rn
echo "== some red alarms (报警), as the city received them"
"$B/cli/jiancha" query alerts --data "$D/city" --light red --open | head -n 12
echo "== one alert in full, with its ledger"
"$B/cli/jiancha" query alerts --data "$D/city" --rule limit.case --json | head -n 1 | jq .
echo "== logs"
grep -h "session open\|listening\|rules on" "$D/city.log" "$D/county.log"
