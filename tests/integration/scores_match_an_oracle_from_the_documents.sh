#!/usr/bin/env bash
# The day sheets against an independent oracle: tests/tools/oracle was written from the contract
# and docs/decisions.md alone, without reading our code. A month of a county (the generator's,
# plus long cases around their limits with suspensions, extensions approved in time and too late,
# closes, calendar-day items, month edges in four time formats, cases never accepted, complaints,
# cases accepted twice, under another dept or item and earlier or later than the first)
# is fed to a fresh collector three ways: shuffled into five pieces with a restart between them;
# a tenth held back (mostly acceptances of decided cases) and sent once the rest is counted; the
# clock-changing events and some acceptances and decisions sent last in three pieces. Each time the
# collector's counts per dept (cases, concluded, on_time, ratings, ratings_good, complaints) must
# be the oracle's. JIANCHA_ORACLE_SEED (3) picks the month.
. "$(dirname "$0")/lib.sh"

SEED=${JIANCHA_ORACLE_SEED:-3}
ORACLE=$SRC/tests/tools/oracle
export JIANCHA_SOURCE=$SRC JIANCHA_BIN=$BIN
"$EVENTGEN" --node 510104 --count 3000 --hours 552 --violations 3 --seed "$SEED" >"$T/gen.jsonl"
python3 "$ORACLE/gen_extra.py" "$SEED" >"$T/extra.jsonl" || fail "gen_extra failed"
cat "$T/gen.jsonl" "$T/extra.jsonl" >"$T/history.jsonl"
for mode in shuffled5 holdback clockhold; do
    python3 "$ORACLE/run.py" "$T/history.jsonl" $mode "$T/$mode" --seed "$SEED" --period 2026-11 \
        >"$T/$mode.out" 2>&1 || fail "$mode: $(tail -n 5 "$T/$mode.out")"
    say "$(tail -n 1 "$T/$mode.out")"
    grep -q '^mode=.* mismatches=0$' "$T/$mode.out" || fail "$mode: $(grep -E '^(MISMATCH|EXPLAIN)' "$T/$mode.out" | head -n 30)"
    ! grep -q 'rc=[1-9]' "$T/$mode/send.log" || fail "$mode: a send failed: $(grep -A3 'rc=[1-9]' "$T/$mode/send.log" | head)"
done
say "ok: the counts per dept equal the oracle's in three arrival orders"
