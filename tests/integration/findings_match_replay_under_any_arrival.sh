#!/usr/bin/env bash
# Spec §3: "Events of one case may arrive out of order: the outcome must be the same as if they had
# arrived sorted by `at`." A property test over seeded scenarios (tests/tools/scenarios.py): in
# each round a fresh county collector receives many scenarios' history in random pieces, restarted
# under libfaketime at each piece's instant (its clock moving forward between pieces, stopped
# cleanly or killed -9, sometimes before it judged the piece, sometimes while its own clock passes
# a midnight). At the last instant T its alerts must be exactly `jiancha evaluate` over the whole
# history as of T (per alert id: rule, finding, raised and finding times, state, node, dept, item,
# article, subject; the cleared ones absent from evaluate; not `light`, which the supervision desk
# raises past an answer deadline), and its case-derived score counters those of a fresh collector
# given the whole history sorted at T.
#
# JIANCHA_PROPERTY_ROUNDS (6), JIANCHA_PROPERTY_SCENARIOS (per round, 50), JIANCHA_PROPERTY_SEED
# (a number, 1). To replay the scenarios a failure names: JIANCHA_PROPERTY_SEED=S
# JIANCHA_PROPERTY_FIRST_ROUND=R JIANCHA_PROPERTY_ROUNDS=1 JIANCHA_PROPERTY_ONLY=12,40 (the same
# pieces and clocks with only those scenarios); JIANCHA_KEEP_FAILED=DIR keeps every file.
. "$(dirname "$0")/lib.sh"

FAKELIB=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -n 1)
[ -n "$FAKELIB" ] || { say "skip: libfaketime is not installed"; exit 77; }
# ASan insists on being first in the preload list; libfaketime must come first here.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
export TZ=UTC

ROUNDS=${JIANCHA_PROPERTY_ROUNDS:-6}
SCENARIOS=${JIANCHA_PROPERTY_SCENARIOS:-50}
SEED=${JIANCHA_PROPERTY_SEED:-1}
FIRST=${JIANCHA_PROPERTY_FIRST_ROUND:-1}
ONLY=${JIANCHA_PROPERTY_ONLY:-}
GEN=(python3 "$SRC/tests/tools/scenarios.py")
CATALOG=$SRC/config/catalog.json
CALENDAR=$SRC/config/cn-workdays.tsv
case $SEED in '' | *[!0-9]*) fail "JIANCHA_PROPERTY_SEED must be a number, not '$SEED'" ;; esac

keys 510104
PARENT=tcp://127.0.0.1:$(free_port) # nobody listens there: the collector spools, as it may
# rules [MAX_RECORDS_PER_PASS]: the collector's rules, counters every 100 ms. A small pass in some
# rounds: a backlog is then judged over several passes.
rules() {
    printf 'rules\n    catalog = %s\n    calendar = %s\n    max_records_per_pass = %s\n' \
        "$CATALOG" "$CALENDAR" "${1:-20000}"
    printf 'counters\n    interval_ms = 100\n'
    # the office's own patrol.shortfall is no finding of the history
    printf 'patrol\n    from = 2030-01-01\n'
}

# start_at NAME "YYYY-MM-DD HH:MM:SS" (UTC): the collector NAME on a clock starting there. An
# absolute clock needs no `shifted`: it replaces test.sh's outer FAKETIME=+400d on purpose.
start_at() {
    rm -f "$T/$1/intake.sock" # a stale socket file must not pass for a started collector
    LD_PRELOAD="$FAKELIB" FAKETIME="@$2" "$COLLECTOR" -c "$T/$1.cfg" </dev/null >>"$T/$1.log" 2>&1 &
    echo $! >"$T/$1.pid"
    wait_until 20 test -S "$T/$1/intake.sock" || { stuck "$1"; fail "$1 did not start at $2"; }
}

# caught_up DIR: the rules pass has judged every record stored but its own (alerts, sheets).
caught_up() {
    local n
    n=$("$JIANCHA" status --data "$1" | sed -n 's/^rules pass: judged through record \([0-9]*\) of [0-9]* stored$/\1/p')
    [ -n "$n" ] || return 1
    [ -z "$("$JIANCHA" query events --data "$1" --since $((n + 1)) --json | jq -c "$BUSINESS")" ]
}

# answers DIR [MONTHS...]: what the comparison reads: the alerts, and the scores of each month.
answers() {
    local dir=$1 m; shift
    "$JIANCHA" query alerts --data "$dir" --json
    for m in "$@"; do "$JIANCHA" query scores --data "$dir" --period "$m" --by dept --json; done
}

# settle DIR [MONTHS...]: waits until the pass has caught up and the answers read the same three
# times in a row (the desk and the counter sheets follow the pass by a timer).
settle() {
    local dir=$1 prev="" cur same=0 deadline=$((SECONDS + 120))
    while [ $SECONDS -lt $deadline ]; do
        if caught_up "$dir"; then
            cur=$(answers "$@")
            if [ "$cur" = "$prev" ]; then
                same=$((same + 1))
                [ $same -ge 2 ] && return 0
            else
                same=0
            fi
            prev=$cur
        fi
        sleep 0.15
    done
    return 1
}

failures=0
checked=0
round_start=$SECONDS
for r in $(seq "$FIRST" $((FIRST + ROUNDS - 1))); do
    R=$T/round-$r
    "${GEN[@]}" generate --seed "$SEED.$r" --scenarios "$SCENARIOS" ${ONLY:+--only "$ONLY"} \
        --catalog "$CATALOG" --calendar "$CALENDAR" --out "$R" || fail "round $r: generator failed"
    AS_OF=$(cat "$R/as_of")
    mapfile -t MONTHS <"$R/months"
    RANDOM=$((SEED * 1000 + r)) # the stop modes below, reproducible with the seed
    live=live-$r
    collector_config "$live" 510104 "$PARENT" "$(rules "$(cat "$R/max_records_per_pass")")"
    modes=""
    while IFS=$'\t' read -r -u 3 piece n clock faketime file; do
        case $piece in '#'*) continue ;; esac
        start_at "$live" "$faketime"
        [ "$n" = 0 ] || "$JIANCHA" send --data "$T/$live" "$R/$file" >>"$T/send.out" ||
            fail "round $r piece $piece: send failed"
        mode=$((RANDOM % 100))
        if [ $mode -lt 20 ] && [ "$clock" != "$AS_OF" ]; then
            # before the pass judged the piece, or in the middle of it: the restart catches up
            [ $mode -lt 10 ] || sleep "0.$((RANDOM % 4))"
            kill9 "$live"
            modes+=" $piece:kill-9-early"
            continue
        fi
        if [ "${clock:11:5}" = 23:59 ]; then
            # let the collector's own clock pass midnight: the day's time rules fire while it runs
            sleep $((61 - 10#${clock:17:2}))
            modes+=" $piece:midnight"
        fi
        settle "$T/$live" || fail "round $r piece $piece: the collector did not catch up"
        [ "$clock" = "$AS_OF" ] && break # the last piece: the collector keeps running at T
        if [ $mode -lt 50 ]; then
            kill9 "$live"
            modes+=" $piece:kill-9"
        else
            stop "$live"
            modes+=" $piece:stop"
        fi
    done 3<"$R/pieces.tsv"
    settle "$T/$live" "${MONTHS[@]}" || fail "round $r: the collector did not settle at T"
    "$JIANCHA" query alerts --data "$T/$live" --json >"$R/live.alerts"
    for m in "${MONTHS[@]}"; do
        "$JIANCHA" query scores --data "$T/$live" --period "$m" --by dept --json
    done >"$R/live.scores"
    stop "$live"

    "$JIANCHA" evaluate --catalog "$CATALOG" --calendar "$CALENDAR" --node 510104 \
        --as-of "$AS_OF" "$R/history.jsonl" >"$R/evaluate.alerts" 2>"$R/evaluate.err" ||
        fail "round $r: evaluate failed: $(tail -n 3 "$R/evaluate.err")"
    # the generator must keep producing findings worth comparing
    [ -n "$ONLY" ] || [ "$(jq -r .rule "$R/evaluate.alerts" | sort -u | wc -l)" -ge 6 ] ||
        fail "round $r: too few kinds of findings to test anything: $(jq -r .rule "$R/evaluate.alerts" | sort | uniq -c)"

    fresh=fresh-$r
    collector_config "$fresh" 510104 "$PARENT" "$(rules)"
    start_at "$fresh" "$(cat "$R/as_of.faketime")"
    "$JIANCHA" send --data "$T/$fresh" "$R/history.jsonl" >>"$T/send.out" || fail "round $r: fresh send failed"
    settle "$T/$fresh" "${MONTHS[@]}" || fail "round $r: the fresh collector did not settle"
    for m in "${MONTHS[@]}"; do
        "$JIANCHA" query scores --data "$T/$fresh" --period "$m" --by dept --json
    done >"$R/fresh.scores"
    stop "$fresh"

    say "round $r seed $SEED.$r: $(cat "$R/plan" | tr -d '\n') as of $AS_OF; stops:$modes"
    ok=1
    "${GEN[@]}" compare-alerts "$R/live.alerts" "$R/evaluate.alerts" --failed "$R/failed" \
        >"$R/alerts.diff" 2>"$R/alerts.summary" || ok=0
    "${GEN[@]}" compare-scores "$R/live.scores" "$R/fresh.scores" >"$R/scores.diff" \
        2>"$R/scores.summary" || ok=0
    say "  $(cat "$R/alerts.summary"); $(cat "$R/scores.summary")"
    if [ $ok = 0 ]; then
        failures=$((failures + 1))
        head -n 40 "$R/alerts.diff" "$R/scores.diff"
        if [ -s "$R/failed" ] && [ -z "$ONLY" ]; then
            list=$(grep -v '^-$' "$R/failed" | sed 's/^S0*//' | paste -sd, -)
            if [ -n "$list" ]; then
                "${GEN[@]}" generate --seed "$SEED.$r" --scenarios "$SCENARIOS" --only "$list" \
                    --catalog "$CATALOG" --calendar "$CALENDAR" --out "$T/failed-round-$r"
                say "  the scenarios that differ, alone (JIANCHA_KEEP_FAILED keeps them): failed-round-$r;"
                say "  replay: JIANCHA_PROPERTY_SEED=$SEED JIANCHA_PROPERTY_FIRST_ROUND=$r JIANCHA_PROPERTY_ROUNDS=1 JIANCHA_PROPERTY_SCENARIOS=$SCENARIOS JIANCHA_PROPERTY_ONLY=$list"
            fi
        fi
    fi
    checked=$((checked + $(if [ -n "$ONLY" ]; then tr ',' '\n' <<<"$ONLY" | grep -c .; else echo "$SCENARIOS"; fi)))
done
[ $failures = 0 ] || fail "$failures of $ROUNDS rounds differ from the sorted replay (seed $SEED)"
say "ok: $checked scenarios in $ROUNDS rounds (seed $SEED, $((SECONDS - round_start)) s): live findings = evaluate, live scores = fresh"
