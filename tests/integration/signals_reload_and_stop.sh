#!/usr/bin/env bash
# SIGHUP reloads what can change without a restart and names the rest; SIGTERM stops cleanly.
# - the collector: a new log level, a catalogue file of a newer version and a calendar file with
#   2027 in it are in force after SIGHUP, and a changed heartbeat is named as needing a restart;
#   a broken config file is refused and the running one stays; the daemon never stops;
# - the aggregator: a new log level and a new desk calendar file after SIGHUP;
# - SIGTERM: both exit 0 after logging that they stop, and start again on the same stores.
. "$(dirname "$0")/lib.sh"

cp "$SRC/config/catalog.json" "$T/catalog.json"
cp "$SRC/config/cn-workdays.tsv" "$T/cal.tsv"
keys 510104
aggregator_config city 510100 "desk
    calendar = $T/cal.tsv"
start city
collector_config county 510104 "$(endpoint_of city)" "rules
    catalog = $T/catalog.json
    calendar = $T/cal.tsv"
start county
"$EVENTGEN" --node 510104 --count 200 --seed 9 >"$T/events.jsonl"
"$JIANCHA" send --data "$T/county" "$T/events.jsonl" >/dev/null || fail "send"
runs() { "$JIANCHA" status --data "$T/county" | grep -q "^catalogue in force: version $1\$"; }
runs 1 || fail "not on catalogue 1: $("$JIANCHA" status --data "$T/county")"
hup() { kill -HUP "$(cat "$T/$1.pid")"; }
logged() { grep -c "$2" "$T/$1.log" || true; }

say "-- the collector: log level, catalogue and calendar files, and a key that needs a restart"
jq '.version = 2' "$SRC/config/catalog.json" >"$T/catalog.json"
cat "$SRC/config/cn-workdays.tsv" "$SRC/tests/vectors/holidays-2027-test.tsv" >"$T/cal.tsv"
sed -i 's/^    heartbeat_ms = 200$/    heartbeat_ms = 300/; $a log\n    level = debug' "$T/county.cfg"
hup county
wait_until 10 grep -q "collector: reloaded .*log_level=debug catalog_version=2 calendar=\"calendar file" "$T/county.log" ||
    fail "no reload logged: $(tail -n 5 "$T/county.log")"
grep -q "needs a restart to change: uplink/heartbeat_ms" "$T/county.log" || fail "the heartbeat change not named"
alive county || fail "SIGHUP stopped the collector"
runs 2 || fail "catalogue 2 not in force after SIGHUP: $("$JIANCHA" status --data "$T/county")"
grep -q " debug collector: keys reloaded: .*log/level" "$T/county.log" || fail "log level debug not in force"
# the new calendar was put in force: the node's alerts were judged with it (a walk named it)
grep -q 'calendar="calendar file [0-9a-f]*"' "$T/county.log" || fail "no calendar label"

say "-- a broken config is refused; the running one stays"
cp "$T/county.cfg" "$T/county.good"
printf 'rules\n    speed = 9\n' >>"$T/county.cfg"
hup county
wait_until 10 grep -q 'collector: reload refused, the running configuration stays: .*rules/speed' "$T/county.log" ||
    fail "a broken config not refused by name: $(tail -n 3 "$T/county.log")"
alive county || fail "a broken config stopped the collector"
runs 2 || fail "a refused reload changed the rules"
cp "$T/county.good" "$T/county.cfg"

say "-- the aggregator: log level and desk calendar"
n0=$(logged city 'aggregator: reloaded')
printf 'log\n    level = debug\n' >>"$T/city.cfg"
{ cat "$SRC/config/cn-workdays.tsv"; printf '2027-03-01\tholiday\t测试\n'; } >"$T/cal.tsv"
hup city
until_true 10 '[ "$(logged city "aggregator: reloaded .*log_level=debug desk_calendar=\"calendar file")" -gt "$n0" ]' ||
    fail "the aggregator did not reload: $(tail -n 3 "$T/city.log")"
alive city || fail "SIGHUP stopped the aggregator"

say "-- SIGTERM: a clean stop, exit 0, and both start again on their stores"
for d in county city; do
    p=$(cat "$T/$d.pid")
    kill -TERM "$p"
    rc=0
    wait "$p" || rc=$?
    rm -f "$T/$d.pid"
    [ "$rc" = 0 ] || fail "$d exited $rc on SIGTERM"
    grep -q "stopping node=" "$T/$d.log" || fail "$d did not log its stop"
done
start city
start county
runs 2 || fail "the restarted county lost catalogue 2"
all_up() { [ "$(events "$T/city" 510104 | wc -l)" = 200 ]; }
wait_until 20 all_up || fail "the city holds $(events "$T/city" 510104 | wc -l) of 200 events"
exactly_once "$T/events.jsonl" "$T/city"
say "ok: SIGHUP reloads log level, catalogue and calendars and names what needs a restart; SIGTERM stops cleanly"
