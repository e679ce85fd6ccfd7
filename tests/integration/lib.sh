# Shared helpers for the integration and fault scripts. Each script sources this file, gets a
# fresh temporary directory in $T, starts real daemons with ephemeral ports and asserts outcomes
# by querying their stores. Everything started is killed and removed on exit.
set -euo pipefail

BIN=${JIANCHA_BIN:?set JIANCHA_BIN to the build directory}
SRC=${JIANCHA_SOURCE:?set JIANCHA_SOURCE to the source directory}
JIANCHA=$BIN/cli/jiancha
COLLECTOR=$BIN/collector/jiancha-collector
AGGREGATOR=$BIN/aggregator/jiancha-aggregator
WEB=$BIN/web/jiancha-web
EVENTGEN=$BIN/bench/jiancha-eventgen
FORGE=$BIN/tests/jiancha-forge

T=$(mktemp -d /tmp/jiancha-it-XXXXXX)
# libfaketime without its shared memory: every clock here is an offset or a file, and processes
# killed -9 would leak (or remove under others) the semaphores it shares
export FAKETIME_DISABLE_SHM=1
MOUNTS=()

cleanup() {
    local rc=$?
    # a PostgreSQL of the warehouse tests stops on its own (its shared memory is its to remove)
    if [ -e "$T/pg/postmaster.pid" ]; then pg_down immediate 2>/dev/null || true; fi
    for f in "$T"/*.pid; do
        [ -e "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    for m in "${MOUNTS[@]}"; do umount "$m" 2>/dev/null || true; done
    release_ports
    if [ $rc -ne 0 ] && [ $rc -ne 77 ]; then # 77: skipped (tests/CMakeLists.txt)
        echo "--- failed (rc=$rc); daemon logs follow ---"
        set +e  # diagnostics must not stop at the first grep that finds nothing
        for l in "$T"/*.log; do [ -e "$l" ] && { echo "== $l"; grep -v ' stats ' "$l" | tail -n 30; grep ' stats ' "$l" | tail -n 1; }; done
        [ -e "$T/pgrun/postgres.log" ] && { echo "== $T/pgrun/postgres.log"; tail -n 20 "$T/pgrun/postgres.log"; }
        for d in "$T"/*/; do [ -e "$d/data.mdb" ] && { echo "== status $d"; "$JIANCHA" status --data "$d" 2>&1 || true; }; done
        if [ -n "${JIANCHA_KEEP_FAILED:-}" ]; then
            mkdir -p "$JIANCHA_KEEP_FAILED" && cp -r "$T"/. "$JIANCHA_KEEP_FAILED"/ 2>/dev/null || true
        fi
    fi
    rm -rf "$T"
    exit $rc
}
trap cleanup EXIT

say() { printf '%s\n' "$*"; }

# shifted OFFSET: the FAKETIME value for a process whose clock runs OFFSET (+12d, -3h, +90s) from
# this test's own clock. test.sh runs the suite a second time with every clock moved
# (FAKETIME=+400d); a process given its own FAKETIME loses that outer shift, so it is added here.
shifted() {
    secs() { # [+-]N[smhdy] -> seconds
        local v=$1 sign=1 unit n
        case $v in -*) sign=-1 v=${v#-} ;; +*) v=${v#+} ;; esac
        unit=${v##*[0-9]} n=${v%"$unit"}
        case $unit in ''|s) ;; m) n=$((n * 60)) ;; h) n=$((n * 3600)) ;; d) n=$((n * 86400)) ;;
            y) n=$((n * 31536000)) ;; *) fail "shifted: cannot read offset $1" ;; esac
        echo $((sign * n))
    }
    local outer=0
    case ${FAKETIME:-} in [+-]*) outer=$(secs "$FAKETIME") ;; '') ;; *) fail "shifted: the suite's FAKETIME=$FAKETIME is not an offset" ;; esac
    local total=$((outer + $(secs "$1")))
    [ $total -lt 0 ] && echo "$total" || echo "+$total"
}
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
# holds FILTER: stdin holds at least one JSON value and FILTER is true of each. (jq -e alone
# succeeds on empty input under Debian 12's jq 1.6: a wait on it passes before the thing exists.)
holds() { jq -se "length > 0 and all(.[]; $1)" >/dev/null; }

# wait_until SECONDS COMMAND...: polls COMMAND every 0.1 s until it succeeds.
wait_until() {
    local limit=$1; shift
    local deadline=$((SECONDS + limit))
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt $deadline ] || return 1
        sleep 0.1
    done
}

# until_true SECONDS 'SHELL': like wait_until, with SHELL (single-quoted at the call) evaluated
# again at every try. (`wait_until N test "$(cmd)" = x` would run cmd once, before waiting.)
until_true() { local limit=$1; shift; wait_until "$limit" eval "$*"; }

# keys NODE: a keypair in $T/keys (the aggregator reads public keys from there).
keys() { "$JIANCHA" keys gen --node "$1" --out "$T/keys" >/dev/null; }

# free_port: a TCP port below the kernel's ephemeral range that nothing listens on, reserved for
# this script until it ends. A restarted aggregator must get its port back, so ports come from
# outside the range the kernel hands out for port 0, and a reservation (a directory per port in
# PORTS_HELD holding the script's PID, made with an atomic mkdir) keeps the scripts running side
# by side from taking one another's while an aggregator is down. A reservation whose script is
# gone (killed) is taken back.
PORTS_HELD=${TMPDIR:-/tmp}/jiancha-test-ports
free_port() {
    local low; low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range)
    local span=$((low - 20000)) i p owner
    mkdir -p "$PORTS_HELD"
    for ((i = 0; i < span; i++)); do
        p=$((20000 + ($$ * 31 + i) % span))
        if ! mkdir "$PORTS_HELD/$p" 2>/dev/null; then
            owner=$(cat "$PORTS_HELD/$p/pid" 2>/dev/null || true)
            { [ -n "$owner" ] && ! kill -0 "$owner" 2>/dev/null; } || continue
            rm -rf "$PORTS_HELD/$p"
            mkdir "$PORTS_HELD/$p" 2>/dev/null || continue
        fi
        echo $$ >"$PORTS_HELD/$p/pid"
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return 0
        fi
        rm -rf "$PORTS_HELD/$p" # something outside the tests listens there
    done
    fail "no free port"
}

# release_ports: gives back this script's reservations (cleanup).
release_ports() {
    local d
    for d in "$PORTS_HELD"/*/; do
        [ "$(cat "$d/pid" 2>/dev/null)" = "$$" ] && rm -rf "$d"
    done
    return 0
}

# aggregator_config NAME NODE [EXTRA]: writes $T/NAME.cfg listening on a free port.
aggregator_config() {
    local name=$1 node=$2 extra=${3:-}
    local port; port=$(free_port)
    cat >"$T/$name.cfg" <<CFG
aggregator
    node = $node
    data = $T/$name
    keys = ${AGG_KEYS:-$T/keys}
listen
    endpoint = tcp://127.0.0.1:$port
    heartbeat_ms = 200
    session_timeout_ms = 3000
$extra
CFG
}

# office_tree: the province 510000, its city 510100 and the county 510104 (rules on the sample
# catalogue), every tier with the calendar for supervision actions and the province's publisher
# key; the daemons are province, city and county.
office_tree() {
    local cal=$SRC/config/cn-workdays.tsv
    for n in 510000 510100 510104; do keys $n; done
    local pub="bundle
    publisher_key = $T/keys/510000.pub"
    aggregator_config province 510000 "$pub
desk
    calendar = $cal"
    start province
    aggregator_config city 510100 "aggregator
    key = $T/keys/510100.secret
uplink
    endpoint = $(endpoint_of province)
    heartbeat_ms = 200
    timeout_ms = 1500
    ack_timeout_ms = 1000
    backoff_max_ms = 500
$pub
desk
    calendar = $cal"
    start city
    collector_config county 510104 "$(endpoint_of city)" "rules
    catalog = $SRC/config/catalog.json
    calendar = $cal
$pub"
    start county
}
# roster_entry NAME ROLE NODE [DEPT]: an operator's key in $O and their roster line on stdout
roster_entry() {
    "$JIANCHA" operator key --name "$1" --node "$3" --out "$O" >/dev/null || fail "key $1"
    "$JIANCHA" operator entry --name "$1" --role "$2" --node "$3" ${4:+--dept "$4"} --pub "$O/$1.pub"
}
# roster_publish "NAME ROLE NODE [DEPT]" ...: these operators' keys in $O=$T/operators, their
# roster in $T/roster.json, published by the province of office_tree
roster_publish() {
    O=$T/operators
    local e sep=""
    {
        echo '{"version": 1, "operators": ['
        for e in "$@"; do
            printf '%s' "$sep"
            # shellcheck disable=SC2086 # the entry's words are its arguments
            roster_entry $e
            sep=,
        done
        echo ']}'
    } >"$T/roster.json"
    jq -e ".operators | length == $#" "$T/roster.json" >/dev/null || fail "roster: $(cat "$T/roster.json")"
    "$JIANCHA" bundle publish --kind operators --file "$T/roster.json" --key "$T/keys/510000.secret" \
        --to "$(endpoint_of province)" >/dev/null || fail "publish the roster"
}
# rated_lights: two rating.bad lights at the county (SWJ's case C1, SCJGJ's C2; events e1-e4 at a
# fixed instant: the rule does not depend on today's date), waited for at the province
rated_lights() {
    local now=2026-11-20T10:00:00+08:00
    cat >"$T/events.jsonl" <<EOV
{"type":"case.accept","id":"e1","case":"C1","item":"SC-ZS-0501-510104","dept":"SWJ","handler":"h1","at":"$now"}
{"type":"rating","id":"e2","case":"C1","rating":1,"at":"$now"}
{"type":"case.accept","id":"e3","case":"C2","item":"SC-XK-0101-510104","dept":"SCJGJ","handler":"h9","at":"$now"}
{"type":"rating","id":"e4","case":"C2","rating":1,"at":"$now"}
EOV
    "$JIANCHA" send --data "$T/county" "$T/events.jsonl" >/dev/null || fail "send"
    until_true 30 '[ "$("$JIANCHA" query alerts --data "$T/province" --rule rating.bad --json | jq -s length)" -ge 2 ]' ||
        fail "the county's lights did not reach the province"
}

# web_config NAME NODE DATA_NAME [EXTRA]: writes $T/NAME.cfg for a screen over $T/DATA_NAME's
# store on a free port (written to $T/NAME.port), with the source tree's pages and tables.
web_config() {
    local name=$1 node=$2 data=$3 extra=${4:-}
    cat >"$T/$name.cfg" <<CFG
web
    node = $node
    data = $T/$data
    listen = 127.0.0.1:0
    port_file = $T/$name.port
    pages = $SRC/web/pages
    calendar = $SRC/config/cn-workdays.tsv
    catalog = $SRC/config/catalog.json
    regions = $SRC/config/regions.tsv
$extra
CFG
}
# web_url NAME: the screen's base URL
web_url() { echo "http://127.0.0.1:$(cat "$T/$1.port")"; }

# start NAME: starts the daemon described by $T/NAME.cfg (kind from the file) in the background
# and waits until it has come up.
start() {
    local name=$1 kind
    kind=$(head -n 1 "$T/$name.cfg")
    if [ "$kind" = web ]; then
        rm -f "$T/$name.port"
        "$WEB" -c "$T/$name.cfg" >>"$T/$name.log" 2>&1 &
        echo $! >"$T/$name.pid"
        wait_until 10 test -s "$T/$name.port" || { stuck "$name"; fail "$name did not start"; }
        return 0
    fi
    launch "$name"
    wait_until 10 up "$name" || { stuck "$name"; fail "$name did not start"; }
}
# launch NAME: starts the collector or aggregator of $T/NAME.cfg without waiting for it, so many
# start at once (then wait_until N up NAME…).
launch() {
    local name=$1 exe=$COLLECTOR
    [ "$(head -n 1 "$T/$name.cfg")" = aggregator ] && exe=$AGGREGATOR
    # Files a previous run left must not pass for this one having started: remove them before
    # the daemon starts (removing them after could delete the one it just wrote).
    rm -f "$T/$name/intake.sock" "$T/$name/listen.endpoint"
    "$exe" -c "$T/$name.cfg" >>"$T/$name.log" 2>&1 &
    echo $! >"$T/$name.pid"
}
# up NAME…: each has come up (an aggregator listening, a collector's intake open)
up() {
    local name
    for name in "$@"; do
        if [ "$(head -n 1 "$T/$name.cfg")" = aggregator ]; then
            test -s "$T/$name/listen.endpoint" || return 1
        else
            test -S "$T/$name/intake.sock" || return 1
        fi
    done
}

# stuck NAME: where a daemon that did not come up is waiting (for the failure report).
stuck() {
    local p; p=$(cat "$T/$1.pid")
    echo "--- $1 (pid $p) did not come up; its stacks:"
    command -v gdb >/dev/null && timeout 20 gdb -p "$p" -batch -ex "thread apply all bt" 2>/dev/null | grep -E '^#|^Thread' | head -n 40
    tail -n 5 "$T/$1.log"
}

endpoint_of() { cat "$T/$1/listen.endpoint"; }

# collector_config NAME NODE PARENT_ENDPOINT [EXTRA]
collector_config() {
    local name=$1 node=$2 parent=$3 extra=${4:-}
    cat >"$T/$name.cfg" <<CFG
collector
    node = $node
    data = $T/$name
    key = $T/keys/$node.secret
uplink
    endpoint = $parent
    heartbeat_ms = 200
    timeout_ms = 1500
    ack_timeout_ms = 1000
    backoff_max_ms = 1000
$extra
CFG
}

stop() { local p; p=$(cat "$T/$1.pid"); kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; rm -f "$T/$1.pid"; }
kill9() { local p; p=$(cat "$T/$1.pid"); kill -9 "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; rm -f "$T/$1.pid"; }
alive() { kill -0 "$(cat "$T/$1.pid")" 2>/dev/null; }

# count DIR: records stored in a daemon's store (every kind).
count() { "$JIANCHA" status --data "$1" | sed -n 's/^store .*: \([0-9]*\) records.*/\1/p'; }
has_count() { [ "$(count "$1")" = "$2" ]; }

# ids DIR: the ids of the business events stored (not the alert and counter records the rules
# add), one per line, in store order.
ids() { "$JIANCHA" query events --data "$1" --json | jq -r "$BUSINESS"' | .event.id'; }
BUSINESS='select(.event.type | test("^(alert|counters|bundle[.]applied|key[.](request|transport))$") | not)'
# events DIR NODE: the node's business events held in DIR, as JSON lines.
events() { "$JIANCHA" query events --data "$1" --node "$2" --json | jq -c "$BUSINESS"; }

# exactly_once INPUT DIR: every id of INPUT is stored in DIR once, and nothing else is.
exactly_once() {
    local input=$1 dir=$2
    jq -r '.id' "$input" | sort >"$T/want.ids"
    ids "$dir" | sort >"$T/got.ids"
    local dups; dups=$(uniq -d "$T/got.ids" | wc -l)
    [ "$dups" -eq 0 ] || fail "$dups ids stored more than once in $dir"
    diff -q "$T/want.ids" "$T/got.ids" >/dev/null || {
        say "missing: $(comm -23 "$T/want.ids" "$T/got.ids" | wc -l) unexpected: $(comm -13 "$T/want.ids" "$T/got.ids" | wc -l)"
        fail "ids stored in $dir differ from the input"
    }
}

# province_and_city: bare keys for 510000, 510100 and 510104; the province aggregator and the
# city aggregator forwarding to it, both started.
province_and_city() {
    keys 510104
    keys 510100
    keys 510000
    aggregator_config province 510000
    start province
    aggregator_config city 510100 "aggregator
    key = $T/keys/510100.secret
uplink
    endpoint = $(endpoint_of province)
    heartbeat_ms = 200
    timeout_ms = 1500
    ack_timeout_ms = 1000
    backoff_max_ms = 1000"
    start city
}

# --- clocks set as on a real machine (libfaketime's timestamp file) ---
FAKELIB=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -n 1)
# pin_clocks TIME: clock files count from TIME (RFC 3339) from here on; the offset to the real
# clock is taken once, so files set later stay exactly in step. Drops the suite's own shift
# (test.sh's FAKETIME=+400d): a pinned test chooses its instants.
pin_clocks() {
    [ -n "$FAKELIB" ] || fail "libfaketime is not installed (packaging/install-deps.sh installs it)"
    unset FAKETIME
    CLOCK_BASE=$(($(date -d "$1" +%s) - $(env -u LD_PRELOAD date +%s)))
    export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
}
# set_clock FILE [SECONDS]: FILE's clock reads the pinned time plus SECONDS, replaced atomically
set_clock() {
    local o=$((CLOCK_BASE + ${2:-0}))
    [ "$o" -lt 0 ] || o=+$o
    echo "$o" >"$1.new" && mv "$1.new" "$1"
}
# on_clock FILE COMMAND...: COMMAND (a function too) on FILE's clock, read again every second;
# monotonic clocks are left alone, as when a real machine's clock is set
on_clock() { local f=$1; shift; (use_clock "$f"; "$@"); }
# use_clock FILE: every process started from here on runs on FILE's clock
use_clock() {
    export LD_PRELOAD="$FAKELIB" FAKETIME_TIMESTAMP_FILE="$1" FAKETIME_CACHE_DURATION=1 \
        FAKETIME_DONT_FAKE_MONOTONIC=1
}

# --- certificates (docs/trust.md) ---
# pki_init: an offline root, an issuer, and the master trust directory $T/trust holding both;
# node keys go to $K, certificates to $T/certs.
pki_init() {
    K=$T/nodekeys
    "$JIANCHA" keys root-init --node 510000 --out "$T/offline" >/dev/null || fail "root-init"
    "$JIANCHA" keys issuer-init --root "$T/offline/root.1.secret" --root-doc "$T/offline/root.1.jc" \
        --out "$T/admin" >/dev/null || fail "issuer-init"
    mkdir -p "$T/trust" "$T/certs"
    cp "$T/offline/root.1.jc" "$T/admin/issuer.1.jc" "$T/trust/"
}
# issue REQUEST SERIAL [extra keys issue options…]: a certificate into $T/certs
issue() {
    local req=$1 serial=$2; shift 2
    "$JIANCHA" keys issue --issuer "$T/admin/issuer.secret" --issuer-cert "$T/admin/issuer.1.jc" \
        --request "$req" --serial "$serial" --out "$T/certs" "$@" >/dev/null || fail "issue $req"
}
# enrol NODE PARENT SERIAL [FAKETIME]: keys made for the node, a certificate issued (on a shifted
# clock when asked) and put in the master trust directory unchecked
enrol() {
    "$JIANCHA" keys request --node "$1" ${2:+--parent "$2"} --out "$K" >/dev/null || fail "request $1"
    if [ -n "${4:-}" ]; then
        LD_PRELOAD="$FAKELIB" FAKETIME="$(shifted "$4")" issue "$K/$1.g1.request.jc" "$3"
    else
        issue "$K/$1.g1.request.jc" "$3"
    fi
    cp "$T/certs/$1.$3.cert" "$T/trust/"
}
# cert_tree [CITY_EXTRA] [COUNTY_EXTRA]: province 510000, city 510100 and county collector 510104
# on their generation-1 keys, each aggregator with its own copy of the master trust directory,
# every link on CurveZMQ (each aggregator admitting only transport keys of its children's valid
# certificates) and every node trusting the province's publisher key; with PUBLISHER=certified,
# no node names a publisher key: the aggregators judge the publisher by their trust, the county by
# its root (bundle/root).
cert_tree() {
    cp -r "$T/trust" "$T/trust-province"
    cp -r "$T/trust" "$T/trust-city"
    local COUNTY_PUB
    PUB="bundle
    publisher_key = $K/510000.g1.pub"
    COUNTY_PUB=$PUB
    if [ "${PUBLISHER:-}" = certified ]; then
        PUB=""
        COUNTY_PUB="bundle
    root = $T/trust/root.1.jc"
    fi
    AGG_KEYS=$T/trust-province aggregator_config province 510000 "$PUB"
    curve_listen province 510000
    start province
    AGG_KEYS=$T/trust-city aggregator_config city 510100 "aggregator
    key = $K/510100.g1.secret
${1:-}
uplink
    endpoint = $(endpoint_of province)
    server_key = $K/510000.g1.curve-pub
    heartbeat_ms = 200
    timeout_ms = 1500
    ack_timeout_ms = 1000
    backoff_max_ms = 500
$PUB"
    curve_listen city 510100
    start city
    collector_config county 510104 "$(endpoint_of city)" "batch
    max_events = 500
$COUNTY_PUB"
    sed -i "s|^    key = .*|    key = $K/510104.g1.secret${2:+\\n$2}|" "$T/county.cfg"
    sed -i "s|^    endpoint = \(.*\)$|    endpoint = \1\n    server_key = $K/510100.g1.curve-pub|" "$T/county.cfg"
    start county
}
# curve_listen NAME NODE: the aggregator NAME listens on CurveZMQ with NODE's g1 transport key
curve_listen() {
    sed -i "s|^    session_timeout_ms = 3000$|&\n    curve_key = $K/$2.g1.curve-secret|" "$T/$1.cfg"
}

# stream_parts FILE: sends FILE to the county in parts of 5,000 over several seconds, in the
# background (SENDER is its pid; $T/send.out its report). The sender resends unanswered chunks on
# a fresh connection; the collector's duplicate check makes that safe, so each part's success
# means every event of it was acknowledged.
stream_parts() {
    split -l 5000 -d -a 2 "$1" "$T/part."
    (
        for p in "$T"/part.*; do
            "$JIANCHA" send --data "$T/county" --chunk 250 --timeout-ms 500 --give-up-ms 60000 "$p" ||
                exit 1
            sleep 0.1
        done
    ) >"$T/send.out" 2>&1 &
    SENDER=$!
}

# An aggregator's uplink that notices its parent within a second or two, and a desk judging
# patrols from the start of a test's November.
FAST_UPLINK="    heartbeat_ms = 200
    timeout_ms = 1500
    ack_timeout_ms = 1000
    backoff_max_ms = 500"
NOVEMBER_DESK="desk
    calendar = $SRC/config/cn-workdays.tsv
    patrol_from = 2026-11-02"
# november_county NODE PARENT_ENDPOINT SEED VIOLATIONS: the county collector cNODE judging with
# the sample catalogue and calendar, counting its day sheets every 200 ms, its patrols judged
# from 2026-11-02, fed a simulated November (3,000 events, VIOLATIONS % of cases breaking a rule)
november_county() {
    collector_config "c$1" "$1" "$2" "rules
    catalog = $SRC/config/catalog.json
    calendar = $SRC/config/cn-workdays.tsv
counters
    interval_ms = 200
patrol
    from = 2026-11-02"
    start "c$1"
    "$EVENTGEN" --node "$1" --count 3000 --seed "$3" --hours 552 --violations "$4" >"$T/$1.jsonl"
    "$JIANCHA" send --data "$T/c$1" --msgpack "$T/$1.jsonl" >/dev/null || fail "send $1"
}
# sheets_settled TOP NODE...: each county cNODE's November scores are what TOP holds of it (its
# day sheets have all arrived)
sheets_settled() {
    local top=$1 c own; shift
    for c in "$@"; do
        own=$("$JIANCHA" query scores --data "$T/c$c" --period 2026-11 --node "$c" --json)
        [ -n "$own" ] &&
            [ "$own" = "$("$JIANCHA" query scores --data "$T/$top" --period 2026-11 --node "$c" --json)" ] ||
            return 1
    done
}

# --- PostgreSQL, for the warehouse (docs/warehouse.md) ---
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
PG_USER=""
# pg_start: a cluster of the test's own in $T/pg, listening only on a socket in $T/pgrun (its log
# there too) with a private port, run by an unprivileged user (nobody when the tests run as root:
# PostgreSQL refuses root), its superuser `jiancha` let in without a password, and a database
# `jiancha`. PGCONN is the connection string. Skips the test (77) without a PostgreSQL server.
pg_start() {
    [ -n "$PG_BIN" ] && [ -x "$PG_BIN/initdb" ] ||
        { say "skip: no PostgreSQL server (packaging/install-deps.sh installs postgresql-15)"; exit 77; }
    mkdir -p "$T/pg" "$T/pgrun"
    if [ "$(id -u)" -eq 0 ]; then
        PG_USER=nobody
        chmod 0711 "$T" # nobody passes through to its own directories, and reads nothing else
        chown "$PG_USER" "$T/pg" "$T/pgrun"
    fi
    PG_PORT=$(free_port)
    pg_as "$PG_BIN/initdb" -D "$T/pg" -U jiancha -A trust -E UTF8 --locale=C >"$T/pgrun/initdb.log" 2>&1 ||
        fail "initdb: $(tail -n 5 "$T/pgrun/initdb.log")"
    pg_up
    PGCONN="host=$T/pgrun port=$PG_PORT dbname=jiancha user=jiancha"
    "$PG_BIN/psql" -X -q "host=$T/pgrun port=$PG_PORT dbname=postgres user=jiancha" \
        -c "CREATE DATABASE jiancha" || fail "createdb"
}
# pg_as COMMAND...: as the cluster's user, from / (its cwd may be closed to that user)
pg_as() { (cd / && if [ -n "$PG_USER" ]; then runuser -u "$PG_USER" -- "$@"; else "$@"; fi); }
pg_up() {
    pg_as "$PG_BIN/pg_ctl" -D "$T/pg" -l "$T/pgrun/postgres.log" -w -t 30 \
        -o "-k $T/pgrun -p $PG_PORT -c listen_addresses=''" start >/dev/null ||
        fail "postgres did not start: $(tail -n 5 "$T/pgrun/postgres.log")"
}
# pg_down [MODE]: stops the cluster (fast; immediate: as a crash, without a checkpoint)
pg_down() { pg_as "$PG_BIN/pg_ctl" -D "$T/pg" -m "${1:-fast}" -w -t 30 stop >/dev/null; }
# sql 'STATEMENT': its rows, unaligned, fields split by |
sql() { "$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 "$PGCONN" -c "$1"; }
# warehouse_section [EXTRA]: the aggregator's keys that copy into the test's PostgreSQL
warehouse_section() {
    printf 'warehouse\n    conninfo = %s\n    schema = %s\n    retry_max_ms = 500\n%s\n' \
        "$PGCONN" "$SRC/config/warehouse.sql" "${1:-}"
}
# caught_up NAME: the aggregator's warehouse holds every record its store holds (its status)
caught_up() {
    "$JIANCHA" status --data "$T/$1" --json |
        jq -e '.warehouse.connected and .warehouse.behind_records == 0' >/dev/null
}
# same_records NAME: PostgreSQL holds each record of NAME's store once (node and sequence), and
# no other; the positions say the last sequence of each origin. Else false, with why in
# $T/same.why (a wait_until may give records on their way the time to arrive).
same_records() {
    "$JIANCHA" query events --data "$T/$1" --json |
        jq -r 'select(.event.type != "batch") | "\(.node) \(.seq)"' | sort >"$T/lmdb.keys"
    sql "SELECT node || ' ' || seq FROM jiancha.record" | sort >"$T/pg.keys"
    local dups; dups=$(uniq -d "$T/pg.keys" | wc -l)
    if [ "$dups" -ne 0 ]; then
        echo "$dups records twice in PostgreSQL: $(uniq -d "$T/pg.keys" | head -n 3 | tr '\n' ' ')" >"$T/same.why"
        return 1
    fi
    if ! cmp -s "$T/lmdb.keys" "$T/pg.keys"; then
        echo "PostgreSQL's records differ from $1's: $(comm -23 "$T/lmdb.keys" "$T/pg.keys" | wc -l) missing, $(comm -13 "$T/lmdb.keys" "$T/pg.keys" | wc -l) unexpected" >"$T/same.why"
        return 1
    fi
    sql "SELECT node || ' ' || seq FROM jiancha.position ORDER BY node" >"$T/pg.positions"
    awk '{ if ($2 > last[$1]) last[$1] = $2 } END { for (n in last) print n, last[n] }' \
        "$T/lmdb.keys" | sort >"$T/lmdb.positions"
    if ! cmp -s "$T/lmdb.positions" "$T/pg.positions"; then
        echo "positions: $(tr '\n' ' ' <"$T/pg.positions") for $(tr '\n' ' ' <"$T/lmdb.positions")" >"$T/same.why"
        return 1
    fi
}
# all_once NAME: same_records, given 20 s for records on their way
all_once() { wait_until 20 same_records "$1" || fail "$(cat "$T/same.why")"; }
# same_scores NAME PERIOD: the view jiancha.scores gives what `query scores --json` gives at NAME,
# for every grouping, number for number
same_scores() {
    local by
    for by in node dept category region; do
        "$JIANCHA" query scores --data "$T/$1" --period "$2" --by $by --json >"$T/scores.$by.json"
        sql "SELECT row_to_json(s) FROM (SELECT rank, key, period, cases, concluded, on_time, red,
                 yellow, ratings, ratings_good, response_due, responded_in_time, escalated,
                 complaints, on_time_rate, satisfaction_rate, response_rate, score, grade
             FROM jiancha.scores WHERE period = '$2' AND by = '$by' ORDER BY rank) s" \
            >"$T/view.$by.json"
        python3 - "$T/scores.$by.json" "$T/view.$by.json" <<'PY' || fail "scores by $by differ"
import json, sys
cli = [json.loads(l) for l in open(sys.argv[1])]
view = [json.loads(l) for l in open(sys.argv[2])]
for c in cli:
    c.pop("name")
if not cli:
    sys.exit("no scores at all")
if cli != view:
    for a, b in zip(cli, view):
        if a != b:
            print("query scores:", a, "\nview:        ", b)
            break
    sys.exit("%d rows from query scores, %d from the view" % (len(cli), len(view)))
PY
    done
}
