#!/usr/bin/env bash
# The main job on one machine: installs what it needs, builds, and runs a small province on
# loopback: the province aggregator (四川省 510000), two city aggregators (成都市 510100, 自贡市
# 510300) and four county collectors (锦江区 510104, 青羊区 510105, 自流井区 510302, 贡井区
# 510303), each county judging its departments against the catalogue. It feeds every county a
# simulated November of realistic activity (every category; 3% of cases late, skipping steps,
# returning illegally, missing evidence, with unqualified handlers, penalties outside their band or
# bad ratings), then shows the events and the yellow (预警) and red (报警) lights arriving at the
# province with each county's own signature checked there. Then the offices work as named
# operators: departments answer, supervisors close, open a supervision case, patrol, draw a spot
# check and export with an approval; the audit logs are verified and the monthly report written
# (reports/report-2026-11.md, .html, .csv and .png). Last the centre's screen (jiancha-web) opens on
# the province: the supervisor signs in with a link she signed, the API answers in Chinese, and the
# pages are photographed in headless Chromium (reports/screen/). Every node runs on a certificate
# from the demo's own offline root and issuer, and every link is CurveZMQ.
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
        # the children it expects (node.silent): its own, not every node whose certificate it holds
        local kids; kids=$(for k in "${!PARENT[@]}"; do if [ "${PARENT[$k]}" = "$n" ]; then echo "$k"; fi; done | sort | tr '\n' ' ')
        printf 'aggregator\n    node = %s\n    data = %s/%s\n    keys = %s/trust-%s\n    children = %s\n' \
            "$n" "$D" "$n" "$D" "$n" "$kids"
        [ -n "$up" ] && printf '    key = %s/keys/%s/%s.g1.secret\nuplink\n    endpoint = %s\n    server_key = %s/keys/%s/%s.g1.curve-pub\n' \
            "$D" "$n" "$n" "$up" "$D" "$p" "$p"
        printf 'listen\n    endpoint = tcp://127.0.0.1:*\n    curve_key = %s/keys/%s/%s.g1.curve-secret\n' "$D" "$n" "$n"
        printf 'bundle\n    publisher_key = %s.pub\n' "$PUB"
        printf 'desk\n    calendar = %s/config/cn-workdays.tsv\n    patrol_from = 2026-11-02\n' "$PWD"
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
patrol
    from = 2026-11-02
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
echo
echo "== the supervision offices at work (docs/office.md)"
echo "-- the province publishes the roster of named operators (signed); it reaches every node"
O=$D/operators
entry() { # NAME ROLE NODE [DEPT]
    "$J" operator key --name "$1" --node "$3" --out "$O" >/dev/null
    "$J" operator entry --name "$1" --role "$2" --node "$3" ${4:+--dept "$4"} --pub "$O/$1.pub"
}
{
    echo '{"version": 1, "operators": ['
    entry prov-admin administrator $PROVINCE; echo ,
    entry prov-sup supervisor $PROVINCE
    for n in "${CITIES[@]}" "${COUNTIES[@]}"; do
        echo ,; entry "sup-$n" supervisor "$n"; echo ,; entry "sup2-$n" supervisor "$n"
    done
    for c in "${COUNTIES[@]}"; do
        for dept in $(jq -r --arg n "$c" '.items[] | select(.node == $n) | .dept' config/catalog.json | sort -u); do
            echo ,; entry "$dept-$c" department "$c" "$dept"
        done
    done
    echo ']}'
} >"$D/roster.json"
"$J" bundle publish --kind operators --file "$D/roster.json" --key "$PUB.secret" \
    --to "$(cat "$D/$PROVINCE/listen.endpoint")" --server-key "$PUB.curve-pub" >/dev/null
echo "   $(jq '.operators | length' "$D/roster.json") operators: supervisors of every office, administrators, each county department"
as() { local who=$1; shift; JIANCHA_OPERATOR=$who JIANCHA_OPERATOR_KEY=$O/$who.secret "$@"; }
# from now on every read is a named request too: the province's supervisor reads
export JIANCHA_OPERATOR=prov-sup JIANCHA_OPERATOR_KEY=$O/prov-sup.secret
for _ in $(seq 100); do # until the counties take signed requests only
    out=$(env -u JIANCHA_OPERATOR -u JIANCHA_OPERATOR_KEY "$J" alert respond --data "$D/510104" \
        --alert A-0000000000000000 --by x --action explain --text t 2>&1 || true)
    grep -q 'field operator' <<<"$out" && break
    sleep 0.1
done
echo "-- departments answer 90% of their open lights; the county offices close half the answered ones"
answered=0 closed=0 i=0
for c in "${COUNTIES[@]}"; do
    while read -r id dept; do
        i=$((i + 1))
        [ $((i % 10)) = 0 ] && continue # left unanswered: its answer clock runs
        as "$dept-$c" "$J" alert respond --data "$D/$c" --alert "$id" --by "$dept-$c" \
            --action $([ $((i % 3)) = 0 ] && echo correct || echo explain) --text "已核实并说明情况" >/dev/null &&
            answered=$((answered + 1))
        if [ $((i % 2)) = 0 ]; then
            as "sup-$c" "$J" alert close --data "$D/$c" --alert "$id" --by "sup-$c" --verdict "整改到位，予以摘牌" >/dev/null &&
                closed=$((closed + 1))
        fi
    done < <("$J" query alerts --data "$D/$c" --open --json | jq -r 'select(.dept != "" and .rule != "patrol.shortfall") | .id + " " + .dept')
done
echo "   $answered answered, $closed closed (摘牌)"
echo "-- patrols (巡查) on every working day of November; one day left short at 锦江区"
for day in $(seq -w 2 30); do
    d=2026-11-$day
    "$J" calendar is-workday "$d" >/dev/null || continue
    for c in "${COUNTIES[@]}"; do
        [ "$c" = 510104 ] && [ "$day" = 12 ] && continue
        for h in 09 15; do
            as "sup-$c" "$J" patrol --data "$D/$c" --supervisor "sup-$c" --target "$c" --kind data --at "${d}T$h:00:00+08:00" >/dev/null
        done
    done
    for city in "${CITIES[@]}"; do
        for t in "$city" "$city" $(for c in "${COUNTIES[@]}"; do [ "${PARENT[$c]}" = "$city" ] && echo "$c"; done); do
            as "sup-$city" "$J" patrol --data "$D/$city" --supervisor "sup-$city" --target "$t" --kind video --at "${d}T10:00:00+08:00" >/dev/null
        done
    done
    for t in $PROVINCE "${CITIES[@]}" "${COUNTIES[@]}"; do
        as prov-sup "$J" patrol --data "$D/$PROVINCE" --supervisor prov-sup --target "$t" --kind data --at "${d}T11:00:00+08:00" >/dev/null
    done
done
echo "-- 成都市 opens a supervision case (督办) on a red light of 锦江区, extends it 6 + 4 working days, and is refused an 11th"
red=$("$J" query alerts --data "$D/510100" --light red --json | jq -r 'select(.node == "510104") | .id + " " + .dept' | head -n 1)
as sup-510100 "$J" supervise open --data "$D/510100" --id DB-2026-11-001 --target "510104/${red#* }" \
    --subject "锦江区报警事项整改" --by sup-510100 --alert "${red%% *}" >/dev/null
as sup-510100 "$J" supervise extend --data "$D/510100" --id DB-2026-11-001 --days 6 --approver sup-510100 >/dev/null
as sup-510100 "$J" supervise extend --data "$D/510100" --id DB-2026-11-001 --days 4 --approver sup-510100 >/dev/null
as sup-510100 "$J" supervise extend --data "$D/510100" --id DB-2026-11-001 --days 1 --approver sup-510100 2>&1 | sed 's/^/   /' || true
dept=${red#* }
as "$dept-510104" "$J" supervise report --data "$D/510100" --id DB-2026-11-001 --by "$dept-510104" \
    --text "已完成整改，相关人员已培训" >/dev/null && echo "   锦江区 $dept reports to 成都市 (督办回复)"
"$J" query supervision --data "$D/510100"
echo "-- 成都市's office closes an open light of 锦江区 (摘牌) at the city; the closing goes down and 锦江区 closes it too"
open_id=$("$J" query alerts --data "$D/510100" --open --json | jq -r 'select(.node == "510104" and .dept != "" and .rule != "patrol.shortfall") | .id' | head -n 1)
if [ -n "$open_id" ]; then
    as sup-510100 "$J" alert close --data "$D/510100" --alert "$open_id" --by sup-510100 --verdict "市监察室督促整改到位，予以摘牌" >/dev/null
    for _ in $(seq 100); do
        state=$("$J" query alerts --data "$D/510104" --json | jq -r "select(.id == \"$open_id\") | .state")
        [ "$state" = closed ] && break
        sleep 0.1
    done
    echo "   $open_id at 锦江区: $state"
fi
echo "-- a reproducible spot check (抽查) of 锦江区's concluded cases"
as sup-510104 "$J" sample --data "$D/510104" --node 510104 --period 2026-11 --size 8 --seed 20261130 --by sup-510104 | head -n 9
echo "-- an export needs another approver of the same office: refused without, done with"
as sup-510100 "$J" export --data "$D/510100" --what alerts --node 510104 --period 2026-11 --out "$D/export.jsonl" 2>&1 | sed 's/^/   /' || true
as sup2-510100 "$J" approve --kind export --requester sup-510100 --what alerts --node 510104 --period 2026-11 --out "$D/export.approval" >/dev/null
as sup-510100 "$J" export --data "$D/510100" --what alerts --node 510104 --period 2026-11 --approval "$D/export.approval" --out "$D/export.jsonl" 2>/dev/null | sed 's/^/   /'
sleep 1 # the last actions travel up
echo "-- every request, stored or refused, is in each node's hash-chained audit log, verified at the province"
"$J" audit verify --data "$D/$PROVINCE" | sed 's/^/   /'
echo "-- the monthly report (月报) at the province: Markdown, HTML with charts, CSV, and a PNG"
"$J" report monthly --data "$D/$PROVINCE" --period 2026-11 --tier-root $PROVINCE --format md --out "$D/report-2026-11.md"
"$J" report monthly --data "$D/$PROVINCE" --period 2026-11 --tier-root $PROVINCE --format html --out "$D/report-2026-11.html"
"$J" report monthly --data "$D/$PROVINCE" --period 2026-11 --tier-root $PROVINCE --format csv --out "$D/report-2026-11.csv"
sed -n '1,/^## 二/p' "$D/report-2026-11.md" | grep -v '^## 二'
sed -n '/^## 八/,$p' "$D/report-2026-11.md" | head -n 12
if command -v chromium >/dev/null; then
    # the whole page: its height as the page measures itself (data-height), then the screenshot
    height=$(timeout 60 chromium --headless --no-sandbox --disable-gpu --dump-dom \
        "file://$D/report-2026-11.html" 2>/dev/null | grep -o 'data-height="[0-9]*"' | grep -o '[0-9]*' || true)
    timeout 60 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
        --window-size=1100,"${height:-6000}" \
        --screenshot="$D/report-2026-11.png" "file://$D/report-2026-11.html" >/dev/null 2>&1 || true
fi
mkdir -p reports
cp "$D"/report-2026-11.* reports/ 2>/dev/null || true
echo "   written to reports/: $(cd reports && ls report-2026-11.* | tr '\n' ' ')"
echo "== the centre's screen (jiancha-web, docs/api.md): the province's data in Chinese pages and a JSON API"
cat >"$D/web.conf" <<CFG
web
    node = $PROVINCE
    data = $D/$PROVINCE
    intake = ipc://$D/$PROVINCE/intake.sock
    listen = 127.0.0.1:0
    port_file = $D/web.port
    pages = $PWD/web/pages
    calendar = $PWD/config/cn-workdays.tsv
    catalog = $D/catalog-v2.json
    regions = $PWD/config/regions.tsv
CFG
"$B/web/jiancha-web" -c "$D/web.conf" 2>"$D/web.log" &
echo $! >"$D/web.pid"
for _ in $(seq 100); do [ -s "$D/web.port" ] && break; sleep 0.05; done
URL="http://127.0.0.1:$(cat "$D/web.port")"
login() { "$J" web login --url "$URL" --node $PROVINCE --operator prov-sup --key "$O/prov-sup.secret" 2>/dev/null; }
echo "-- the province's supervisor signs in with a link signed by her own key (once, within 10 minutes):"
link=$(login)
echo "   ${link:0:100}..."
cookie=$(curl -s -o /dev/null -D - "$link" | sed -n 's/^Set-Cookie: jiancha_session=\([0-9a-f]*\);.*/\1/p' | tr -d '\r')
api() { curl -s -H "Cookie: jiancha_session=$cookie" "$URL/api/v1/$1"; }
echo "-- GET /api/v1/alerts?light=red&state=standing&limit=3: the newest open red alarms, as the screen shows them"
api "alerts?light=red&state=standing&limit=3" | jq -r '"   " + (.total | tostring) + " open red alarms in all", (.alerts[] | "   " + .raised_at[0:16] + "  " + .node_name + " " + (.dept_name // .dept) + "  " + .rule_name + "：" + .detail_zh)'
echo "-- GET /api/v1/scores?period=2026-11&by=region"
api "scores?period=2026-11&by=region" | jq -r '.rows[] | "   \(.rank). \(.name // .key)  \(.score * 100 | round / 100) \(.grade)  (\(.cases) cases, \(.red) red, \(.yellow) yellow)"'
echo "   every read above is logged at the province as an access.read of prov-sup: $("$J" query events --data "$D/$PROVINCE" --node $PROVINCE --json | jq -s 'map(select(.event.type == "access.read" and .event.session != null)) | length') so far"
if command -v chromedriver >/dev/null; then # python3-selenium and chromium-driver: install-deps
    echo "-- the pages in headless Chromium, each one checked against the API and photographed"
    rm -rf reports/screen
    python3 tests/web/screen_check.py --signin "$(login)" --base "$URL/" --out reports/screen 2>&1 |
        sed -n 's/^ok   \([a-z0-9-]*\): \(.*\) (.*/   \1: \2/p' | head -n 12 || true
    echo "   screenshots in reports/screen/: $(cd reports/screen 2>/dev/null && ls *.png | tr '\n' ' ')"
fi
echo "== logs"
grep -h "session open\|forwarding\|rules on\|calendar.coverage" "$D"/*.log | sort | head -n 24 || true
echo "== the data stays in $D; the daemons stop now. Each read is logged by the node itself, so"
echo "   to see the screen again start the province and then $B/web/jiancha-web -c $D/web.conf, and"
echo "   sign in with the link of $J web login --url $URL --node $PROVINCE --operator prov-sup --key $O/prov-sup.secret"
echo "   to look again start a node with its config ($B/aggregator/jiancha-aggregator -c $D/$PROVINCE.conf &)"
echo "   and read as a named operator: JIANCHA_OPERATOR=prov-sup JIANCHA_OPERATOR_KEY=$O/prov-sup.secret \\"
echo "   $J query nodes --data $D/$PROVINCE (docs/office.md)"
