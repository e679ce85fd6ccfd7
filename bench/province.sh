#!/usr/bin/env bash
# The whole province on one machine: the real Sichuan tree of config/regions.tsv (the team kit's
# regions/, NBS 2023): the province aggregator 四川省 510000, its 21 city aggregators and their 183
# county collectors, 205 daemons on loopback. Every node runs on its own keys and a certificate
# from one offline root and one issuer, every link is CurveZMQ, and bundles are signed by a
# certified publisher (the README's walk-through). Each county judges with a province catalogue
# (the sample catalogue's items made for every county) and is fed a replay of last month's
# activity (jiancha-eventgen, 10% of cases breaking a rule, some left undecided so their limits
# light) at a few events per second each, all counties at once (jiancha-feed).
#
# It prints the tree (counties per city), lights by city, scores by region, and measures:
#   start-up     from the first daemon started until every child has opened its session
#   memory       RSS and RssAnon per process kind (median, max) and in total (and PSS), at idle
#                and the highest seen under load; disk used by the stores
#   cpu          % of one core per kind and in all, at idle and under load (/proc/PID/stat)
#   red light    from a red light raised at a remote county (甘孜, 阿坝, 凉山) to its arrival at
#                the province (the alert queryable there), under load
#   bundles      from publishing until every child's acknowledgement is at the province
#                (`jiancha query nodes`): the certificate set, a catalogue version, a revocation list
#   queries      the province's `query nodes`, `query scores --by region`, `report monthly`
#                (median of 3)
#   warehouse    with --warehouse, the province copies every record into a PostgreSQL of its own
#                (docs/warehouse.md): when PostgreSQL held every event (commit timestamps) and how
#                long after the province did, each red light's way from the province into it, how
#                far behind the sink said it was under load, its rows against the province's
#                records, bytes per record in PostgreSQL beside LMDB's, the `scores` view and
#                `report_monthly` against the CLI's reads, PostgreSQL's CPU under load
# and a summary table at the end. Nothing here asserts on speed.
#
# Usage: bench/province.sh [--cities N] [--counties-per-city M] [--events-per-county E]
#                          [--rate EVENTS_PER_S] [--bin BUILD_DIR] [--warehouse] [--keep]
#   --cities N               the first N cities (default all 21)
#   --counties-per-city M    the first M counties of each (default all)
#   --events-per-county E    events fed to each county (default 400)
#   --rate R                 events per second per county (default 3)
#   --warehouse              give the province a warehouse: a PostgreSQL (15, Debian's
#                            /usr/lib/postgresql) started in the directory, stopped at the end
#   --keep                   keep the directory (configs, stores, logs) and print its name
# Run it with `nice -n 5` on a shared machine; the full tree takes 6 to 8 minutes on 2 cores.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
B=$SRC/build
CITIES_MAX=21 COUNTIES_MAX=999 EVENTS=400 RATE=3 KEEP='' WAREHOUSE=''
while [ $# -gt 0 ]; do
    case $1 in
    --cities) CITIES_MAX=$2; shift 2 ;;
    --counties-per-city) COUNTIES_MAX=$2; shift 2 ;;
    --events-per-county) EVENTS=$2; shift 2 ;;
    --rate) RATE=$2; shift 2 ;;
    --bin) B=$(cd "$2" && pwd); shift 2 ;;
    --warehouse) WAREHOUSE=1; shift ;;
    --keep) KEEP=1; shift ;;
    *) sed -n '/^# Usage/,/^# Run it/p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
    esac
done
J=$B/cli/jiancha
for exe in "$J" "$B/collector/jiancha-collector" "$B/aggregator/jiancha-aggregator" \
    "$B/bench/jiancha-eventgen" "$B/bench/jiancha-feed"; do
    [ -x "$exe" ] || { echo "province: $exe is missing (build first: cmake --build build)" >&2; exit 1; }
done
command -v jq >/dev/null || { echo "province: jq is needed" >&2; exit 1; }
PG_BIN=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1) # (the pattern itself when none)
if [ -n "$WAREHOUSE" ] && { [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; }; then
    echo "province: --warehouse needs a PostgreSQL server (packaging/install-deps.sh installs postgresql-15)" >&2
    exit 1
fi

D=$(mktemp -d /tmp/jiancha-province-XXXXXX)
PG_USER=""
# pg_as COMMAND...: as PostgreSQL's user (nobody when run as root: PostgreSQL refuses root), from /
pg_as() { (cd / && if [ -n "$PG_USER" ]; then runuser -u "$PG_USER" -- "$@"; else "$@"; fi); }
cleanup() {
    local pids
    pids=$(cat "$D"/*.pid 2>/dev/null || true)
    # shellcheck disable=SC2086 # one pid a word
    if [ -n "$pids" ]; then kill $pids 2>/dev/null || true; fi
    # (stopped daemons stay zombies until the wait below: kill -0 still reaches those)
    running() { local p; for p in $pids; do [ "$(awk '{ print $3 }' "/proc/$p/stat" 2>/dev/null)" = Z ] || [ ! -e "/proc/$p" ] || return 0; done; return 1; }
    for _ in $(seq 100); do running || break; sleep 0.1; done
    # shellcheck disable=SC2086
    if [ -n "$pids" ]; then kill -9 $pids 2>/dev/null || true; fi
    wait 2>/dev/null
    # PostgreSQL after the province (its sink) is gone; it removes its own shared memory
    if [ -e "$D/pg/postmaster.pid" ]; then
        pg_as "$PG_BIN/pg_ctl" -D "$D/pg" -m fast -w -t 30 stop >/dev/null 2>&1 ||
            pg_as "$PG_BIN/pg_ctl" -D "$D/pg" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
    fi
    if [ -n "$KEEP" ]; then echo "province: kept $D"; else rm -rf "$D"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Each aggregator holds a socket per child and LMDB, CurveZMQ and its intake besides; each
# collector a few dozen descriptors. The shell's limit is what every daemon inherits.
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 4096 ]; then
    ulimit -n "$(ulimit -Hn)" 2>/dev/null || ulimit -n 4096 || true
fi

now_ms() { date +%s%3N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) / 1000 }'; }
# median and max of the numbers on stdin, "median max"
median_max() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "- -"; else printf "%s %s\n", (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2), v[NR] }'; }
# time_ms COMMAND...: runs COMMAND (output to /dev/null), prints its wall time in ms
time_ms() { local t0; t0=$(now_ms); "$@" >/dev/null; echo $(($(now_ms) - t0)); }

# --- the tree ---------------------------------------------------------------------------------
PROVINCE=510000
declare -A PARENT NAME KIDS
CITIES=() COUNTIES=()
# code, parent, name; read with awk: the province's parent is an empty field, which read would fold
REGIONS=$(awk -F'\t' '!/^#/ && NF >= 3 { print $1, ($2 == "" ? "-" : $2), $3 }' "$SRC/config/regions.tsv")
while read -r code parent name; do
    NAME[$code]=$name
    if [ "$parent" = $PROVINCE ] && [ ${#CITIES[@]} -lt "$CITIES_MAX" ]; then
        CITIES+=("$code")
        PARENT[$code]=$PROVINCE
    fi
done <<<"$REGIONS"
declare -A NKIDS
while read -r code parent _; do
    if [ "$parent" != - ] && [ "$parent" != $PROVINCE ] && [ -n "${PARENT[$parent]:-}" ] &&
        [ "${NKIDS[$parent]:-0}" -lt "$COUNTIES_MAX" ]; then
        KIDS[$parent]="${KIDS[$parent]:+${KIDS[$parent]} }$code"
        NKIDS[$parent]=$((${NKIDS[$parent]:-0} + 1))
        PARENT[$code]=$parent
        COUNTIES+=("$code")
    fi
done <<<"$REGIONS"
AGGREGATORS=("$PROVINCE" "${CITIES[@]}")
NODES=("${AGGREGATORS[@]}" "${COUNTIES[@]}")
CHILDREN=$((${#NODES[@]} - 1))
# the remote counties whose red lights are timed: the last county of 阿坝, 甘孜 and 凉山 when in
# the tree, else the last county of the last city
REMOTE=()
for c in 513200 513300 513400; do
    [ -n "${KIDS[$c]:-}" ] && REMOTE+=("${KIDS[$c]##* }")
done
[ ${#REMOTE[@]} -gt 0 ] || REMOTE=("${COUNTIES[-1]}")

echo "== the tree: ${NAME[$PROVINCE]} $PROVINCE, ${#CITIES[@]} cities, ${#COUNTIES[@]} counties (${#NODES[@]} nodes)"
for c in "${CITIES[@]}"; do
    printf '  %s %-12s %3d counties\n' "$c" "${NAME[$c]}" "${NKIDS[$c]:-0}"
done
echo "   workspace $D; ulimit -n $(ulimit -n); $(nproc) cores, load average before the run $(cut -d' ' -f1-3 /proc/loadavg)"

# --- trust: like demo.sh, at the province's size ---------------------------------------------
echo "== trust: an offline root, an issuer, a certified publisher; every node its own keys and certificate"
t0=$(now_ms)
"$J" keys root-init --node $PROVINCE --out "$D/offline" >/dev/null
"$J" keys issuer-init --root "$D/offline/root.1.secret" --root-doc "$D/offline/root.1.jc" --out "$D/admin" >/dev/null
mkdir -p "$D/trust" "$D/certs"
cp "$D/offline/root.1.jc" "$D/admin/issuer.1.jc" "$D/trust/"
issue() { # REQUEST SERIAL
    "$J" keys issue --issuer "$D/admin/issuer.secret" --issuer-cert "$D/admin/issuer.1.jc" \
        --request "$1" --serial "$2" --out "$D/certs" >/dev/null
}
"$J" keys request --publisher --node $PROVINCE --out "$D/publisher" >/dev/null
issue "$D/publisher/publisher.g1.request.jc" 900
"$J" keys install --cert "$D/certs/publisher.900.jc" --trust "$D/trust" >/dev/null
serial=1000
declare -A SERIAL
for n in "${NODES[@]}"; do
    p=${PARENT[$n]:-}
    "$J" keys request --node "$n" ${p:+--parent "$p"} --out "$D/keys/$n" >/dev/null
    issue "$D/keys/$n/$n.g1.request.jc" $serial
    "$J" keys install --cert "$D/certs/$n.$serial.cert" --trust "$D/trust" >/dev/null
    SERIAL[$n]=$serial
    serial=$((serial + 1))
done
# a spare certificate (a county office never started) for the revocation list to revoke: the list
# then reaches every running node, and each acknowledges it
SPARE=$((CITIES[0] + 99))
"$J" keys request --node $SPARE --parent "${CITIES[0]}" --out "$D/keys/$SPARE" >/dev/null
issue "$D/keys/$SPARE/$SPARE.g1.request.jc" 999
"$J" keys install --cert "$D/certs/$SPARE.999.cert" --trust "$D/trust" >/dev/null
for n in "${AGGREGATORS[@]}"; do cp -r "$D/trust" "$D/trust-$n"; done
PUB=(--key "$D/publisher/publisher.g1.secret" --cert "$D/trust/publisher.900.jc")
T_TRUST=$(secs "$t0" "$(now_ms)")
echo "   $(find "$D/trust" -name '*.cert' | wc -l) node certificates and the publisher's in $T_TRUST s"

# --- the province's catalogue and each county's month --------------------------------------
# the sample catalogue's items made for every county of the tree
jq -c --argjson counties "$(printf '"%s"\n' "${COUNTIES[@]}" | jq -s -c .)" -f "$SRC/bench/province_catalog.jq" \
    "$SRC/config/catalog.json" >"$D/catalog.json"
jq -c '.version = 2' "$D/catalog.json" >"$D/catalog-v2.json"
echo "== the catalogue: $(jq '.items | length' "$D/catalog.json") items, $(($(wc -c <"$D/catalog.json") / 1024)) KiB"
PERIOD=$(date -d "$(date +%Y-%m-01) -1 month" +%Y-%m)
START_MS=$(($(date -d "$PERIOD-02 09:00 +0800" +%s) * 1000))
seed=1
for c in "${COUNTIES[@]}"; do
    "$B/bench/jiancha-eventgen" --node "$c" --count "$EVENTS" --seed $((seed++)) --start $START_MS \
        --hours 480 --violations 10 --prefix "ev$c" --catalog "$D/catalog.json" >"$D/$c.jsonl"
done
echo "   each county's $PERIOD: $EVENTS events, 10% of its cases breaking a rule"

# --- the warehouse: a PostgreSQL of the run's own (as tests/integration/lib.sh's pg_start) -------
# in $D/pg, listening only on a socket in $D/pgrun, its superuser jiancha let in without a
# password; commit timestamps on, so that when each row arrived can be read back
PG_SQL=()
if [ -n "$WAREHOUSE" ]; then
    echo "== the warehouse: PostgreSQL $("$PG_BIN/postgres" --version | awk '{ print $3 }') in $D/pg"
    mkdir -p "$D/pg" "$D/pgrun"
    if [ "$(id -u)" -eq 0 ]; then
        PG_USER=nobody
        chmod 0711 "$D" # nobody passes through to its own directories, and reads nothing else
        chown "$PG_USER" "$D/pg" "$D/pgrun"
    fi
    pg_as "$PG_BIN/initdb" -D "$D/pg" -U jiancha -A trust -E UTF8 --locale=C >"$D/pgrun/initdb.log" 2>&1 ||
        { tail -n 5 "$D/pgrun/initdb.log" >&2; echo "province: initdb failed" >&2; exit 1; }
    pg_as "$PG_BIN/pg_ctl" -D "$D/pg" -l "$D/pgrun/postgres.log" -w -t 60 \
        -o "-k $D/pgrun -p 5432 -c listen_addresses='' -c track_commit_timestamp=on" start >/dev/null ||
        { tail -n 5 "$D/pgrun/postgres.log" >&2; echo "province: PostgreSQL did not start" >&2; exit 1; }
    PG_CONN="host=$D/pgrun port=5432 dbname=jiancha user=jiancha"
    "$PG_BIN/psql" -X -q "host=$D/pgrun port=5432 dbname=postgres user=jiancha" -c "CREATE DATABASE jiancha"
    PG_SQL=("$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 "$PG_CONN")
fi
# sql 'STATEMENT': its rows, unaligned, fields split by |
sql() { "${PG_SQL[@]}" -c "$1"; }

# --- the daemons -------------------------------------------------------------------------------
start_aggregator() { # NODE
    local n=$1 p=${PARENT[$1]:-}
    {
        printf 'aggregator\n    node = %s\n    data = %s/%s\n    keys = %s/trust-%s\n    children = %s\n' \
            "$n" "$D" "$n" "$D" "$n" "$(if [ "$n" = $PROVINCE ]; then echo "${CITIES[*]}"; else echo "${KIDS[$n]}"; fi)"
        [ -n "$p" ] && printf '    key = %s/keys/%s/%s.g1.secret\nuplink\n    endpoint = %s\n    server_key = %s/certs/%s.%s.cert\n' \
            "$D" "$n" "$n" "$(cat "$D/$p/listen.endpoint")" "$D" "$p" "${SERIAL[$p]}"
        printf 'listen\n    endpoint = tcp://127.0.0.1:*\n    curve_key = %s/keys/%s/%s.g1.curve-secret\n' "$D" "$n" "$n"
        printf 'desk\n    calendar = %s/config/cn-workdays.tsv\n' "$SRC"
        printf 'store\n    map_mb = %s\n' "$([ "$n" = $PROVINCE ] && echo 64 || echo 32)"
        if [ -n "$WAREHOUSE" ] && [ "$n" = $PROVINCE ]; then
            printf 'warehouse\n    conninfo = %s\n    schema = %s/config/warehouse.sql\n' "$PG_CONN" "$SRC"
        fi
    } >"$D/$n.conf"
    "$B/aggregator/jiancha-aggregator" -c "$D/$n.conf" 2>"$D/$n.log" &
    echo $! >"$D/$n.pid"
}
start_collector() { # NODE
    local n=$1 p=${PARENT[$1]}
    cat >"$D/$n.conf" <<CFG
collector
    node = $n
    data = $D/$n
    key = $D/keys/$n/$n.g1.secret
uplink
    endpoint = $(cat "$D/$p/listen.endpoint")
    server_key = $D/certs/$p.${SERIAL[$p]}.cert
rules
    catalog = $D/catalog.json
    calendar = $SRC/config/cn-workdays.tsv
counters
    interval_ms = 10000
bundle
    root = $D/trust/root.1.jc
store
    map_mb = 8
CFG
    "$B/collector/jiancha-collector" -c "$D/$n.conf" 2>"$D/$n.log" &
    echo $! >"$D/$n.pid"
}
listening() { for n in "$@"; do [ -s "$D/$n/listen.endpoint" ] || return 1; done; }
# in_session: how many children have opened their session with their parent
in_session() { grep -l 'link: session open' "${CHILD_LOGS[@]}" 2>/dev/null | wc -l; }
CHILD_LOGS=()
for n in "${NODES[@]:1}"; do CHILD_LOGS+=("$D/$n.log"); done
wait_for() { # SECONDS WHAT COMMAND...: polls COMMAND every 0.1 s
    local limit=$1 what=$2 deadline=$((SECONDS + $1)); shift 2
    until "$@"; do
        [ $SECONDS -lt $deadline ] || { echo "province: $what not within $limit s" >&2; exit 1; }
        sleep 0.1
    done
}

echo "== starting ${#NODES[@]} daemons: the province, then its cities, then their counties"
t0=$(now_ms)
start_aggregator $PROVINCE
wait_for 30 "the province listening" listening $PROVINCE
for c in "${CITIES[@]}"; do start_aggregator "$c"; done
wait_for 60 "the cities listening" listening "${CITIES[@]}"
for c in "${COUNTIES[@]}"; do start_collector "$c"; done
all_in_session() { [ "$(in_session)" -ge $CHILDREN ]; }
wait_for 300 "every child in session ($(in_session) of $CHILDREN)" all_in_session
T_START=$(secs "$t0" "$(now_ms)")
echo "   all $CHILDREN children in session with their parents $T_START s after the first start"

# red_lights WHEN: a red light raised at each remote county in turn (a case for an item the
# catalogue does not list: item.unlisted, a point rule, no clock involved), timed until the
# province holds it; the alert's answer_from says when the county recorded it. Appends
# "total_ms county_ms sent_ms at_province_ms county" lines to $D/red-WHEN.
red_lights() {
    local c since t0 t1 rec at
    : >"$D/red-$1"
    for c in "${REMOTE[@]}"; do
        # the county's records at the province after those already there: a read of a few ms,
        # asked every 20 ms
        since=$("$J" status --data "$D/$c" --json | jq '.uplink.events_stored + 1')
        t0=$(now_ms)
        "$J" send --data "$D/$c" - >/dev/null <<<"{\"type\":\"case.accept\",\"id\":\"probe-$1-$c\",\"case\":\"PROBE-$1-$c\",\"item\":\"SC-NOT-LISTED-$c\",\"dept\":\"SCJGJ\",\"handler\":\"SCJGJ-H01\",\"at\":$t0}"
        local deadline=$((SECONDS + 60))
        until rec=$("$J" query events --data "$D/$PROVINCE" --node "$c" --since "$since" --json | grep '"rule":"item.unlisted"'); do
            [ $SECONDS -lt $deadline ] || { echo "province: the red light of $c did not reach the province" >&2; exit 1; }
            sleep 0.02
        done
        t1=$(now_ms)
        at=$(jq -r '.event.alert.answer_from' <<<"$rec" | head -n 1)
        echo "$((t1 - t0)) $((at - t0)) $t0 $t1 $c" >>"$D/red-$1"
        echo "   red light of ${NAME[${PARENT[$c]}]} ${NAME[$c]} $c at the province after $((t1 - t0)) ms (recorded at the county after $((at - t0)) ms)"
    done
}
PROV_EP=$(cat "$D/$PROVINCE/listen.endpoint")
PROV_CERT=$D/certs/$PROVINCE.${SERIAL[$PROVINCE]}.cert
# the certificate set, as after every enrolment: each node learns its certificate's end from it
# (its version is in no node's report, so it is not timed; the catalogue and the list are, below)
"$J" keys certs publish --trust "$D/trust" "${PUB[@]}" --to "$PROV_EP" --server-key "$PROV_CERT" >/dev/null

# --- measuring ---------------------------------------------------------------------------------
kind_of() { if [ "$1" = $PROVINCE ]; then echo province; elif [ -n "${KIDS[$1]:-}" ]; then echo city; else echo county; fi; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
# pg_pids: PostgreSQL's processes, the postmaster first
pg_pids() { local pm; pm=$(head -n 1 "$D/pg/postmaster.pid"); echo "$pm"; pgrep -P "$pm" || true; }
# pg_ticks: CPU ticks of PostgreSQL: the postmaster, its children gone (cutime, cstime), those alive
pg_ticks() {
    local pm p t; pm=$(head -n 1 "$D/pg/postmaster.pid")
    t=$(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$pm/stat")
    for p in $(pgrep -P "$pm" || true); do t=$((t + $(cpu_ticks "$p"))); done
    echo "$t"
}
# cpu_sample SECONDS OUT: % of one core of each daemon over SECONDS, "node kind percent" lines
cpu_sample() {
    declare -A before
    local n t0 t1 hz; hz=$(getconf CLK_TCK)
    t0=$(now_ms)
    for n in "${NODES[@]}"; do before[$n]=$(cpu_ticks "$(cat "$D/$n.pid")"); done
    [ -z "$WAREHOUSE" ] || before[pg]=$(pg_ticks)
    sleep "$1"
    t1=$(now_ms)
    # PostgreSQL's in a file of its own (the daemons' totals stay the daemons')
    [ -z "$WAREHOUSE" ] || awk -v a="${before[pg]}" -v b="$(pg_ticks)" -v hz="$hz" -v ms=$((t1 - t0)) \
        'BEGIN { printf "%.2f\n", (b - a) / hz * 100000 / ms }' >"$2.pg"
    for n in "${NODES[@]}"; do
        echo "$n $(kind_of "$n") $(awk -v a="${before[$n]}" -v b="$(cpu_ticks "$(cat "$D/$n.pid")")" \
            -v hz="$hz" -v ms=$((t1 - t0)) 'BEGIN { printf "%.2f", (b - a) / hz * 100000 / ms }')"
    done >"$2"
}
# mem_sample OUT: "node kind rss_kib anon_kib pss_kib descriptors threads" lines
mem_sample() {
    local n p
    for n in "${NODES[@]}"; do
        p=$(cat "$D/$n.pid")
        echo "$n $(kind_of "$n") $(awk '/^VmRSS:/ { r = $2 } /^RssAnon:/ { a = $2 } /^Threads:/ { t = $2 } END { print r + 0, a + 0, t + 0 }' "/proc/$p/status") \
            $(awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup") $(find "/proc/$p/fd" -mindepth 1 2>/dev/null | wc -l)"
    done | awk '{ print $1, $2, $3, $4, $6, $7, $5 }' >"$1"
}
# keep_peak OLD NEW: per node and figure, the higher of two samples
keep_peak() { [ -s "$1" ] || { cp "$2" "$1"; return; }
    awk 'NR == FNR { for (i = 3; i <= NF; i++) m[$1, i] = $i; next }
         { for (i = 3; i <= NF; i++) if (m[$1, i] > $i) $i = m[$1, i]; print }' "$1" "$2" >"$1.new"
    mv "$1.new" "$1"; }
# per_kind FILE COLUMN SCALE: "kind count median max sum" for each kind, COLUMN scaled
per_kind() {
    local k
    for k in province city county; do
        local vals; vals=$(awk -v k=$k -v c="$2" -v s="$3" '$2 == k { print $c / s }' "$1")
        [ -n "$vals" ] || continue
        echo "$k $(wc -l <<<"$vals") $(median_max <<<"$vals" | awk '{ printf "%.1f %.1f", $1, $2 }') $(awk '{ s += $1 } END { printf "%.1f", s }' <<<"$vals")"
    done
}
total_of() { awk -v c="$2" -v s="$3" '{ t += $c } END { printf "%.1f", t / s }' "$1"; }

echo "== idle: 20 s of CPU, memory"
sleep 10
cpu_sample 20 "$D/cpu-idle"
mem_sample "$D/mem-idle"
per_kind "$D/cpu-idle" 3 1 | awk '{ printf "   cpu  %-8s x%-3s median %5s%% max %5s%% all %6s%% of a core\n", $1, $2, $3, $4, $5 }'
[ -z "$WAREHOUSE" ] || echo "   cpu  postgres (all its processes) $(cat "$D/cpu-idle.pg")% of a core"
per_kind "$D/mem-idle" 3 1024 | awk '{ printf "   rss  %-8s x%-3s median %6s MiB max %6s MiB all %7s MiB\n", $1, $2, $3, $4, $5 }'
red_lights idle

# acked KIND VERSION: how many children's acknowledgements of VERSION of KIND the province holds
acked() { "$J" query nodes --data "$D/$PROVINCE" --json | jq -s --arg k "$1" --argjson v "$2" \
    '[.[] | select(.node != "510000" and (.[$k] // 0) >= $v)] | length'; }
# publish_and_wait WHAT KIND VERSION COMMAND...: runs COMMAND, waits for every child, prints s
publish_and_wait() {
    local what=$1 kind=$2 version=$3 t0 n; shift 3
    t0=$(now_ms)
    "$@" >/dev/null
    local deadline=$((SECONDS + 300))
    until n=$(acked "$kind" "$version") && [ "$n" -ge $CHILDREN ]; do
        [ $SECONDS -lt $deadline ] || { echo "province: $what reached $n of $CHILDREN within 300 s" >&2; exit 1; }
        sleep 0.5 # (a read of the whole tree costs the province a few hundred ms)
    done
    secs "$t0" "$(now_ms)"
}


echo "== load: $EVENTS events to each county at $RATE events/s ($(awk -v c=${#COUNTIES[@]} -v r="$RATE" 'BEGIN { print c * r }') events/s in all)"
for c in "${COUNTIES[@]}"; do echo "ipc://$D/$c/intake.sock $D/$c.jsonl"; done >"$D/feed.list"
# the feed under a shell of its own that notes when it ended (its last event acknowledged by its
# county) in feed.end: the loop below sees the end only between its samples, a second or more
# late at full size. (The shell takes no trap of ours; cleanup kills the feed by feed.pid.)
(
    "$B/bench/jiancha-feed" --rate "$RATE" "$D/feed.list" >"$D/feed.out" 2>&1 &
    echo $! >"$D/feed.pid"
    rc=0
    wait $! || rc=$?
    now_ms >"$D/feed.end"
    exit $rc
) &
FEED=$!
LOAD_S=$(awk -v e="$EVENTS" -v r="$RATE" 'BEGIN { print int(e / r) }')
sleep 5
red_lights load
# CPU over 20 s of the feed (or what is left of it), memory every 5 s until it ends
: >"$D/mem-load"
: >"$D/wh-behind" # the warehouse's records behind (status), with each memory sample
cpu_sample "$(awk -v l="$LOAD_S" 'BEGIN { s = l - 5 - 3 * 4; print (s > 20 ? 20 : (s < 2 ? 2 : s)) }')" "$D/cpu-load"
sampled=0
while kill -0 $FEED 2>/dev/null; do
    if [ $((SECONDS - sampled)) -ge 5 ]; then
        mem_sample "$D/mem-now"
        keep_peak "$D/mem-load" "$D/mem-now"
        [ -z "$WAREHOUSE" ] || "$J" status --data "$D/$PROVINCE" --json | jq '.warehouse.behind_records // empty' >>"$D/wh-behind"
        sampled=$SECONDS
    fi
    sleep 0.2
done
[ -s "$D/mem-load" ] || mem_sample "$D/mem-load"
wait $FEED || { cat "$D/feed.out"; echo "province: the feed failed" >&2; exit 1; }
T_FED=$(cat "$D/feed.end")
sed 's/^/   /' "$D/feed.out"
per_kind "$D/cpu-load" 3 1 | awk '{ printf "   cpu  %-8s x%-3s median %5s%% max %5s%% all %6s%% of a core\n", $1, $2, $3, $4, $5 }'
[ -z "$WAREHOUSE" ] || echo "   cpu  postgres (all its processes) $(cat "$D/cpu-load.pg")% of a core"
per_kind "$D/mem-load" 3 1024 | awk '{ printf "   rss  %-8s x%-3s median %6s MiB max %6s MiB all %7s MiB (highest seen)\n", $1, $2, $3, $4, $5 }'

# every event sent (each acknowledged by its county once committed there) at the province
SENT=$((EVENTS * ${#COUNTIES[@]} + 2 * ${#REMOTE[@]})) # and the red lights' cases
business_at_province() {
    "$J" query events --data "$D/$PROVINCE" --json |
        grep -cvE '"event":\{"type":"(alert|counters|bundle[.]applied|key[.](request|transport))"'
}
# The province held the last between T_READ_PREV (the start of the read before, which found some
# missing, or the feed's end) and T_READ (the start of the read that found them all): a read of
# the whole store, most of a second at full size, so the figure is as fine as that.
T_READ=$T_FED
all_at_province() {
    T_READ_PREV=$T_READ T_READ=$(now_ms)
    AT_PROVINCE=$(business_at_province) && [ "$AT_PROVINCE" -ge "$SENT" ]
}
wait_for 300 "every event at the province" all_at_province
T_AT=$(now_ms)
T_DRAIN=$(secs "$T_FED" "$T_READ")
echo "   every event at the province within $T_DRAIN s after the last was acknowledged by its county (the read that found them all began then; it took $((T_AT - T_READ)) ms): sent $SENT, held at the province $AT_PROVINCE"

if [ -n "$WAREHOUSE" ]; then
    # the same events in PostgreSQL; when it committed the last of them (commit timestamps)
    BUSINESS_SQL="type NOT IN ('alert', 'counters', 'bundle.applied', 'key.request', 'key.transport')"
    all_in_warehouse() { IN_WH=$(sql "SELECT count(*) FROM jiancha.record WHERE $BUSINESS_SQL") && [ "$IN_WH" -ge "$SENT" ]; }
    wait_for 300 "every event in the warehouse" all_in_warehouse
    T_WH_LAST=$(sql "SELECT (extract(epoch FROM max(pg_xact_commit_timestamp(xmin))) * 1000)::bigint FROM jiancha.record WHERE $BUSINESS_SQL")
    WH_DRAIN=$(secs "$T_FED" "$T_WH_LAST")
    # how long PostgreSQL took after the province held them all: its last commit against the two
    # reads of the province around that moment (above)
    WH_CATCHUP_LO=$((T_WH_LAST - T_READ)) WH_CATCHUP_HI=$((T_WH_LAST - T_READ_PREV))
    [ $WH_CATCHUP_LO -gt 0 ] || WH_CATCHUP_LO=0
    WH_CATCHUP="$WH_CATCHUP_LO to $WH_CATCHUP_HI ms (the province's reads before and when it held them all, $((T_READ - T_READ_PREV)) ms apart)"
    # and the sink's own word: nothing behind (docs/warehouse.md, status)
    wh_status_caught_up() { "$J" status --data "$D/$PROVINCE" --json | jq -e '.warehouse.connected and .warehouse.behind_records == 0' >/dev/null; }
    wait_for 300 "the warehouse's status caught up" wh_status_caught_up
    WH_STATUS=$(secs "$T_AT" "$(now_ms)")
    read -r WH_BEHIND_MED WH_BEHIND_MAX < <(median_max <"$D/wh-behind")
    echo "   every event in PostgreSQL $WH_DRAIN s after the last was acknowledged by its county (its commit there): $IN_WH held; after the province: $WH_CATCHUP"
    # the red lights, each timed to the province (asked every 20 ms): the commit of its alert in
    # PostgreSQL after that
    for w in idle load; do
        while read -r _ _ sent at c; do
            committed=$(sql "SELECT (extract(epoch FROM max(pg_xact_commit_timestamp(xmin))) * 1000)::bigint
                FROM jiancha.record WHERE node = '$c' AND type = 'alert' AND (extract(epoch FROM at) * 1000)::bigint = $sent
                AND body->'alert'->>'rule' = 'item.unlisted'")
            [ -z "$committed" ] || echo $((committed - at))
        done <"$D/red-$w" >"$D/red-wh-$w"
    done
    read -r WH_RED_IDLE_MED WH_RED_IDLE_MAX < <(median_max <"$D/red-wh-idle")
    read -r WH_RED_LOAD_MED WH_RED_LOAD_MAX < <(median_max <"$D/red-wh-load")
    echo "   the red lights in PostgreSQL after the province: idle $(tr '\n' ' ' <"$D/red-wh-idle")ms, under load $(tr '\n' ' ' <"$D/red-wh-load")ms"
    echo "   the sink's status 0 records behind $WH_STATUS s after the province was seen holding every event; under load median $WH_BEHIND_MED, max $WH_BEHIND_MAX records behind ($(wc -l <"$D/wh-behind") samples)"
fi

# every county's own records (events, alerts, sheets) at the province, as many as the county holds
records_at() { "$J" status --data "$D/$1" --json | jq '.uplink.events_stored'; }
drained() {
    "$J" query nodes --data "$D/$PROVINCE" --json | jq -r '"\(.node) \(.records)"' >"$D/prov-records"
    local c want
    for c in "${COUNTIES[@]}"; do
        want=$(records_at "$c")
        grep -q "^$c $want\$" "$D/prov-records" || return 1
    done
}

echo "== lights at the province by city (open alerts of the city's counties and the city itself)"
"$J" query alerts --data "$D/$PROVINCE" --open --json >"$D/alerts.json"
{
    printf '  %-6s %6s %6s  %s\n' city red yellow name
    for c in "${CITIES[@]}"; do
        jq -r --arg c "$c" --arg kids " ${KIDS[$c]} " \
            '.node as $n | select($n == $c or ($kids | contains(" " + $n + " "))) | .light' "$D/alerts.json" |
            sort | uniq -c | awk -v c="$c" -v n="${NAME[$c]}" '{ v[$2] = $1 } END { printf "  %-6s %6d %6d  %s\n", c, v["red"], v["yellow"], n }'
    done
    jq -r .light "$D/alerts.json" | sort | uniq -c | awk '{ v[$2] = $1 } END { printf "  all    %6d %6d\n", v["red"], v["yellow"] }'
} | tee "$D/lights.txt"
echo "   by rule: $(jq -r .rule "$D/alerts.json" | sort | uniq -c | sort -rn | awk '{ printf "%s %s  ", $2, $1 }')"

echo "== scores for $PERIOD at the province, by region"
# the counties count their day sheets every 10 s: once a count has passed since the last event,
# the province holding every county's records holds its newest sheets
sleep 11
wait_for 120 "every county's day sheets at the province" drained
"$J" query scores --data "$D/$PROVINCE" --period "$PERIOD" --by region

echo "== bundles down the tree, until every child's acknowledgement is at the province"
T_CAT=$(publish_and_wait "catalogue version 2" catalog 2 \
    "$J" bundle publish --kind catalog --file "$D/catalog-v2.json" "${PUB[@]}" --to "$PROV_EP" --server-key "$PROV_CERT")
echo "   catalogue version 2 ($(($(wc -c <"$D/catalog-v2.json") / 1024)) KiB) at all $CHILDREN children in $T_CAT s"
"$J" keys revoke --trust "$D/trust" --issuer "$D/admin/issuer.secret" --serial 999 --reason superseded >/dev/null
T_CRL=$(publish_and_wait "revocation list 1" crl 1 \
    "$J" keys crl publish --crl "$D/trust/crl.jc" "${PUB[@]}" --to "$PROV_EP" --server-key "$PROV_CERT")
echo "   revocation list version 1 at all $CHILDREN children in $T_CRL s"

echo "== the province's reads (median of 3)"
q3() { for _ in 1 2 3; do time_ms "$@"; done | median_max | cut -d' ' -f1; }
Q_NODES=$(q3 "$J" query nodes --data "$D/$PROVINCE")
Q_SCORES=$(q3 "$J" query scores --data "$D/$PROVINCE" --period "$PERIOD" --by region)
Q_REPORT=$(q3 "$J" report monthly --data "$D/$PROVINCE" --period "$PERIOD" --tier-root $PROVINCE --format md --out "$D/report.md")
echo "   query nodes $Q_NODES ms, query scores --by region $Q_SCORES ms, report monthly $Q_REPORT ms"
"$J" query nodes --data "$D/$PROVINCE" >"$D/nodes.txt"
head -n 8 "$D/nodes.txt"

if [ -n "$WAREHOUSE" ]; then
    echo "== the warehouse: every record of the province once, its size, its reads"
    # the province's records (its store; a province has no batch records of its own to forward)
    # against PostgreSQL's rows, both read until they agree with nothing behind (records still
    # come: day sheets, alerts)
    same_count() {
        local st; st=$("$J" status --data "$D/$PROVINCE" --json)
        PROV_RECORDS=$(jq .records <<<"$st")
        WH_ROWS=$(sql "SELECT count(*) FROM jiancha.record")
        jq -e '.warehouse.connected and .warehouse.behind_records == 0' <<<"$st" >/dev/null &&
            [ "$WH_ROWS" = "$PROV_RECORDS" ] &&
            [ "$(jq .records <<<"$("$J" status --data "$D/$PROVINCE" --json)")" = "$PROV_RECORDS" ]
    }
    WH_SAME="NOT EQUAL (60 s)"
    for _ in $(seq 120); do if same_count; then WH_SAME=equal; break; fi; sleep 0.5; done
    WH_DUPS=$(sql "SELECT count(*) FROM (SELECT node, seq FROM jiancha.record GROUP BY node, seq HAVING count(*) > 1) d")
    echo "   rows in jiancha.record $WH_ROWS, records at the province $PROV_RECORDS: $WH_SAME; (node, seq) twice: $WH_DUPS"
    # bytes: LMDB's file as allocated on disk and its pages in use; PostgreSQL's tables with
    # their indexes and TOAST, every partition (a partitioned parent has no storage of its own)
    LMDB_BYTES=$(stat -c '%b %B' "$D/$PROVINCE/data.mdb" | awk '{ print $1 * $2 }')
    LMDB_USED=$("$J" status --data "$D/$PROVINCE" --json | jq .used_bytes)
    read -r PG_ALL PG_REC PG_REC_TABLE PG_DB < <(sql "SELECT
        (SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = 'jiancha' AND c.relkind = 'r'),
        (SELECT sum(pg_total_relation_size(relid)) FROM pg_partition_tree('jiancha.record') WHERE isleaf),
        (SELECT sum(pg_table_size(relid)) FROM pg_partition_tree('jiancha.record') WHERE isleaf),
        pg_database_size(current_database())" | tr '|' ' ')
    per_rec() { awk -v b="$1" -v n="$PROV_RECORDS" 'BEGIN { printf "%.0f", b / n }'; }
    mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
    per_sent() { awk -v b="$1" -v n="$SENT" 'BEGIN { printf "%.0f", b / n }'; }
    WH_BYTES="$(per_rec "$PG_ALL") in every table; record $(per_rec "$PG_REC") (table $(per_rec "$PG_REC_TABLE"), indexes $(per_rec $((PG_REC - PG_REC_TABLE))))"
    LMDB_PER="$(per_rec "$LMDB_BYTES") (data.mdb allocated; $(per_rec "$LMDB_USED") in pages used)"
    echo "   bytes per record: PostgreSQL $WH_BYTES; LMDB $LMDB_PER"
    echo "   bytes per event sent ($SENT; the records are these and the alerts, sheets and notes they made): PostgreSQL $(per_sent "$PG_ALL"), LMDB $(per_sent "$LMDB_BYTES")"
    echo "   sizes: PostgreSQL tables $(mib "$PG_ALL") MiB (record $(mib "$PG_REC") MiB), database $(mib "$PG_DB") MiB; LMDB data.mdb $(mib "$LMDB_BYTES") MiB, $(mib "$LMDB_USED") MiB used"
    echo "   partitions of jiancha.record: $(sql "SELECT string_agg(relid::regclass::text || ' ' || (SELECT count(*) FROM jiancha.record r WHERE r.tableoid = relid), ', ' ORDER BY relid::regclass::text) FROM pg_partition_tree('jiancha.record') WHERE isleaf")"
    # the reads: the views against the CLI's (psql's connection included, as the CLI's start is)
    # and the statement alone, as psql's \timing gives it (median of 3)
    sql_ms() { for _ in 1 2 3; do "${PG_SQL[@]}" -c '\timing on' -c "$1" | awk '/^Time: / { print $2 }'; done | median_max | cut -d' ' -f1; }
    S_ONE=$(q3 sql "SELECT 1")
    SCORES_SQL="SELECT * FROM jiancha.scores WHERE period = '$PERIOD' AND by = 'region' ORDER BY rank"
    REPORT_SQL="SELECT * FROM jiancha.report_monthly('$PERIOD', '$PROVINCE')"
    S_SCORES=$(q3 sql "$SCORES_SQL") S_SCORES_STMT=$(sql_ms "$SCORES_SQL")
    S_REPORT=$(q3 sql "$REPORT_SQL") S_REPORT_STMT=$(sql_ms "$REPORT_SQL")
    echo "   psql SELECT 1 $S_ONE ms; scores view by region $S_SCORES ms, the statement $S_SCORES_STMT ms (CLI $Q_SCORES ms); report_monthly $S_REPORT ms, the statement $S_REPORT_STMT ms (CLI report monthly $Q_REPORT ms)"
    # the view's scores are the CLI's, number for number (docs/warehouse.md)
    "$J" query scores --data "$D/$PROVINCE" --period "$PERIOD" --by region --json | jq -r '"\(.key) \(.score)"' | sort >"$D/scores.cli"
    sql "SELECT key || ' ' || score FROM jiancha.scores WHERE period = '$PERIOD' AND by = 'region'" | sort >"$D/scores.sql"
    if cmp -s "$D/scores.cli" "$D/scores.sql"; then WH_SCORES_SAME="the same $(wc -l <"$D/scores.cli") regions' scores"; else
        WH_SCORES_SAME="DIFFERENT from the CLI's: $(diff "$D/scores.cli" "$D/scores.sql" | head -n 4 | tr '\n' ' ')"; fi
    echo "   the scores view gives $WH_SCORES_SAME"
    WH_PSS=$(for p in $(pg_pids); do awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null; done | awk '{ s += $1 } END { printf "%.1f", s / 1024 }')
fi

mem_sample "$D/mem-end"
DISK=$(du -sm "$D" | cut -f1)
read -r DISK_COUNTY DISK_COUNTY_MAX < <(for c in "${COUNTIES[@]}"; do du -sk "$D/$c" | cut -f1; done | median_max)
DISK_PROV=$(du -sm "$D/$PROVINCE" | cut -f1)

echo
echo "== summary: ${#NODES[@]} nodes (1 province, ${#CITIES[@]} cities, ${#COUNTIES[@]} counties), $EVENTS events per county at $RATE/s, $(nproc) cores"
{
    printf '%-44s %s\n' "trust made (root, issuer, ${#NODES[@]} certificates)" "$T_TRUST s"
    printf '%-44s %s\n' "start-up (every child in session)" "$T_START s"
    per_kind "$D/mem-idle" 3 1024 | awk '{ printf "%-44s median %s MiB, max %s MiB\n", "rss at idle, " $1 " (x" $2 ")", $3, $4 }'
    per_kind "$D/mem-idle" 4 1024 | awk '{ printf "%-44s median %s MiB, max %s MiB\n", "  of it anonymous, " $1, $3, $4 }'
    printf '%-44s rss %s MiB, pss %s MiB\n' "memory at idle, all daemons" "$(total_of "$D/mem-idle" 3 1024)" "$(total_of "$D/mem-idle" 5 1024)"
    per_kind "$D/mem-idle" 6 1 | awk '{ printf "%-44s median %d, max %d\n", "open descriptors at idle, " $1, $3, $4 }'
    per_kind "$D/mem-idle" 7 1 | awk '{ printf "%-44s median %d, max %d\n", "threads, " $1, $3, $4 }'
    per_kind "$D/mem-load" 3 1024 | awk '{ printf "%-44s median %s MiB, max %s MiB\n", "rss under load, " $1 " (x" $2 ")", $3, $4 }'
    printf '%-44s rss %s MiB, pss %s MiB\n' "memory under load (highest), all daemons" "$(total_of "$D/mem-load" 3 1024)" "$(total_of "$D/mem-load" 5 1024)"
    per_kind "$D/cpu-idle" 3 1 | awk '{ printf "%-44s median %s%%, max %s%%, all %s%%\n", "cpu at idle, " $1, $3, $4, $5 }'
    printf '%-44s %s%% of one core\n' "cpu at idle, all daemons" "$(total_of "$D/cpu-idle" 3 1)"
    per_kind "$D/cpu-load" 3 1 | awk '{ printf "%-44s median %s%%, max %s%%, all %s%%\n", "cpu under load, " $1, $3, $4, $5 }'
    printf '%-44s %s%% of one core\n' "cpu under load, all daemons" "$(total_of "$D/cpu-load" 3 1)"
    for w in idle load; do
        read -r med max < <(cut -d' ' -f1 "$D/red-$w" | median_max)
        printf '%-44s median %s ms, max %s ms; at the county after a median %s ms\n' \
            "red light, remote county -> province, $w" "$med" "$max" \
            "$(cut -d' ' -f2 "$D/red-$w" | median_max | cut -d' ' -f1)"
    done
    printf '%-44s within %s s after the last acknowledged at a county\n' "every event at the province ($AT_PROVINCE)" "$T_DRAIN"
    printf '%-44s %s s\n' "catalogue v2 at all $CHILDREN children" "$T_CAT"
    printf '%-44s %s s\n' "revocation list at all $CHILDREN children" "$T_CRL"
    printf '%-44s %s ms\n' "query nodes at the province" "$Q_NODES"
    printf '%-44s %s ms\n' "query scores --by region at the province" "$Q_SCORES"
    printf '%-44s %s ms\n' "report monthly at the province" "$Q_REPORT"
    printf '%-44s %s MiB in all; province %s MiB; county median %s KiB, max %s KiB\n' "disk" "$DISK" "$DISK_PROV" "$DISK_COUNTY" "$DISK_COUNTY_MAX"
    if [ -n "$WAREHOUSE" ]; then
        printf '%-44s %s s after the last acknowledged at a county\n' "every event in PostgreSQL ($IN_WH)" "$WH_DRAIN"
        printf '%-44s %s\n' "  PostgreSQL after the province" "$WH_CATCHUP"
        printf '%-44s idle median %s ms, max %s; under load median %s ms, max %s\n' "  a red light, province -> PostgreSQL" \
            "$WH_RED_IDLE_MED" "$WH_RED_IDLE_MAX" "$WH_RED_LOAD_MED" "$WH_RED_LOAD_MAX"
        printf '%-44s %s s after the province held every event\n' "  the sink's status: 0 records behind" "$WH_STATUS"
        printf '%-44s median %s, max %s records\n' "  the sink behind under load (status)" "$WH_BEHIND_MED" "$WH_BEHIND_MAX"
        printf '%-44s %s rows, province %s records: %s\n' "rows in jiancha.record" "$WH_ROWS" "$PROV_RECORDS" "$WH_SAME"
        printf '%-44s %s\n' "bytes per record, PostgreSQL" "$WH_BYTES"
        printf '%-44s %s\n' "bytes per record, province's LMDB" "$LMDB_PER"
        printf '%-44s %s ms, the statement %s ms (CLI query scores --by region %s ms; psql SELECT 1 %s ms)\n' "scores view by region (psql)" "$S_SCORES" "$S_SCORES_STMT" "$Q_SCORES" "$S_ONE"
        printf '%-44s %s ms, the statement %s ms (CLI report monthly %s ms)\n' "report_monthly (psql)" "$S_REPORT" "$S_REPORT_STMT" "$Q_REPORT"
        printf '%-44s idle %s%%, under load %s%% of one core; pss %s MiB after the run\n' "PostgreSQL cpu (all its processes)" "$(cat "$D/cpu-idle.pg")" "$(cat "$D/cpu-load.pg")" "$WH_PSS"
    fi
} | tee "$D/summary.txt"
