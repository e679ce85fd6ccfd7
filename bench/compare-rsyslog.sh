#!/usr/bin/env bash
# compare-rsyslog: our collector -> aggregator against an rsyslog two-tier relay, round by round,
# on the same generated lines.
#
#   bench/compare-rsyslog.sh [--events N] [--rounds R] [--bin BUILD_DIR]
#
# Each round runs, one after the other on the same JSON Lines file:
#   jiancha  jiancha-bench-pipeline --input FILE --tiers 2 --format json: a real collector (durable
#            intake, every batch signed with Ed25519) and a real aggregator (signature checked,
#            deduplicated, durable); messages/s from the first line sent until the aggregator's
#            store holds them all.
#   rsyslog  Debian's rsyslogd twice, each on a private config in a fresh directory (the system's
#            rsyslog and its files are never touched): a relay (imptcp -> omrelp with a
#            disk-assisted LinkedList queue) and a receiver (imrelp -> omfile); messages/s from
#            the first byte sent to the relay until the receiver's file holds every line.
# and prints both rates, their ratio, and at the end the median of each. rsyslog does not fsync
# (its omfile and queue files are written without it) while both our tiers commit every batch
# durably before acknowledging it; the ratio is given as measured.
# Installs Debian's rsyslog and rsyslog-relp when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
EVENTS=200000
ROUNDS=5
BIN=$PWD/build
while [ $# -gt 0 ]; do
    case $1 in
    --events) EVENTS=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --bin) BIN=$(cd "$2" && pwd); shift 2 ;;
    *) echo "usage: $0 [--events N] [--rounds R] [--bin BUILD_DIR]" >&2; exit 2 ;;
    esac
done
# rsyslog is installed here, not by packaging/install-deps.sh: its package starts a system
# service, which a machine that only builds and tests jiancha should not get.
if [ ! -e /usr/lib/x86_64-linux-gnu/rsyslog/omrelp.so ] || ! command -v rsyslogd >/dev/null; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    echo "installing: rsyslog rsyslog-relp"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq rsyslog rsyslog-relp >/dev/null
fi
RSYSLOGD=$(command -v rsyslogd)
if [ ! -x "$BIN/bench/jiancha-bench-pipeline" ]; then
    echo "compare-rsyslog: $BIN/bench/jiancha-bench-pipeline is missing: build first (README)" >&2
    exit 1
fi

D=$(mktemp -d /tmp/jiancha-vs-rsyslog-XXXXXX)
cleanup() {
    for p in "$D"/*.pid; do
        if [ -e "$p" ]; then kill "$(cat "$p")" 2>/dev/null || true; fi
    done
    sleep 0.2
    rm -rf "$D"
}
trap cleanup EXIT
LINES=$D/events.jsonl
"$BIN/bench/jiancha-eventgen" --count "$EVENTS" --hours 24 >"$LINES"
BYTES=$(stat -c %s "$LINES")

now_ms() { date +%s%3N; }

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_port() { # port: until something listens on it (at most 10 s)
    for _ in $(seq 200); do
        if ss -Hltn "sport = :$1" | grep -q .; then return 0; fi
        sleep 0.05
    done
    echo "compare-rsyslog: nothing listens on port $1" >&2
    return 1
}

rsyslog_round() { # round -> messages/s on stdout
    local r=$D/rsyslog-$1 p1 p2
    mkdir -p "$r/relay" "$r/receiver"
    p1=$(free_port)
    p2=$(free_port)
    cat >"$r/receiver.conf" <<EOF
global(workDirectory="$r/receiver" maxMessageSize="64k")
module(load="imrelp")
template(name="line" type="string" string="%rawmsg%\n")
ruleset(name="keep") {
    action(type="omfile" file="$r/out.log" template="line")
}
input(type="imrelp" port="$p2" address="127.0.0.1" ruleset="keep")
EOF
    # windowSize: with librelp's default window the relay waits for the receiver's delayed ACKs
    # and stalls near 3,000 msg/s on loopback; a fair comparison gives rsyslog a tuned window.
    cat >"$r/relay.conf" <<EOF
global(workDirectory="$r/relay" maxMessageSize="64k")
module(load="imptcp")
module(load="omrelp")
template(name="raw" type="string" string="%rawmsg%")
ruleset(name="forward") {
    action(type="omrelp" target="127.0.0.1" port="$p2" template="raw" windowSize="4096"
           queue.type="LinkedList" queue.filename="forward" queue.saveOnShutdown="on"
           queue.maxDiskSpace="4g" action.resumeRetryCount="-1")
}
input(type="imptcp" port="$p1" address="127.0.0.1" ruleset="forward")
EOF
    "$RSYSLOGD" -n -f "$r/receiver.conf" -i "$D/receiver.pid" 2>"$r/receiver.err" &
    "$RSYSLOGD" -n -f "$r/relay.conf" -i "$D/relay.pid" 2>"$r/relay.err" &
    wait_port "$p2"
    wait_port "$p1"
    local t0 t1 n=0
    t0=$(now_ms)
    cat "$LINES" >"/dev/tcp/127.0.0.1/$p1"
    while [ "$n" -lt "$EVENTS" ]; do
        sleep 0.01
        n=$(wc -l <"$r/out.log" 2>/dev/null || echo 0)
        if [ $(($(now_ms) - t0)) -gt 600000 ]; then
            echo "compare-rsyslog: rsyslog delivered $n of $EVENTS lines in 600 s" >&2
            return 1
        fi
    done
    t1=$(now_ms)
    kill "$(cat "$D/relay.pid")" "$(cat "$D/receiver.pid")" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -f "$D/relay.pid" "$D/receiver.pid"
    rm -rf "$r"
    echo $((EVENTS * 1000 / (t1 - t0)))
}

jiancha_round() { # -> messages/s on stdout
    local out
    out=$("$BIN/bench/jiancha-bench-pipeline" --input "$LINES" --runs 1 --tiers 2 --format json \
        --bin "$BIN")
    # median (json): intake X ev/s | judged Y ev/s | collector->aggregator Z ev/s | ...
    sed -n 's/^median (json):.*collector->aggregator \([0-9]*\) ev\/s.*/\1/p' <<<"$out"
}

median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

echo "compare-rsyslog: $EVENTS lines ($((BYTES / EVENTS)) bytes each on average), rounds: $ROUNDS; ratio = jiancha msg/s / rsyslog msg/s"
echo "  jiancha: collector -> aggregator, both durable, Ed25519 batches checked"
echo "  rsyslog: $("$RSYSLOGD" -v | head -1 | sed 's/ compiled with://'): imptcp -> omrelp (disk-assisted queue) -> imrelp -> omfile, no fsync"
: >"$D/ours" && : >"$D/theirs" && : >"$D/ratios"
for round in $(seq "$ROUNDS"); do
    ours=$(jiancha_round)
    theirs=$(rsyslog_round "$round")
    ratio=$(awk -v a="$ours" -v b="$theirs" 'BEGIN {printf "%.2f", a / b}')
    echo "$ours" >>"$D/ours"
    echo "$theirs" >>"$D/theirs"
    echo "$ratio" >>"$D/ratios"
    printf 'round %d: jiancha %d msg/s, rsyslog %d msg/s, ratio %sx\n' "$round" "$ours" "$theirs" "$ratio"
done
printf 'median: jiancha %s msg/s, rsyslog %s msg/s, ratio %sx (issue 17 asks for 4x; docs/performance.md)\n' \
    "$(median <"$D/ours")" "$(median <"$D/theirs")" "$(median <"$D/ratios")"
