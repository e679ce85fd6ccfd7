#!/usr/bin/env bash
# Soak for spec §3 (events of one case in any order, the same findings as sorted): runs the
# property test tests/integration/findings_match_replay_under_any_arrival.sh over and over with a
# fresh seed each time, until stopped (Ctrl-C) or for N runs. Each run prints its seed first; a
# failing run's files are kept in $OUT/seed-SEED (every round's pieces, clocks, history, the live
# and evaluate answers, the differing scenarios alone) and the loop goes on.
#
# Usage: tests/soak/findings_soak.sh [BUILD_DIR [RUNS]]    (BUILD_DIR defaults to ./build)
#   JIANCHA_PROPERTY_ROUNDS, JIANCHA_PROPERTY_SCENARIOS as for the test (defaults 10 and 50 here);
#   JIANCHA_SOAK_OUT (default /tmp/jiancha-soak) where failures are kept.
set -uo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$(cd "${1:-$SRC/build}" && pwd)
RUNS=${2:-0}
OUT=${JIANCHA_SOAK_OUT:-/tmp/jiancha-soak}
mkdir -p "$OUT"
export JIANCHA_BIN=$BIN JIANCHA_SOURCE=$SRC
export JIANCHA_PROPERTY_ROUNDS=${JIANCHA_PROPERTY_ROUNDS:-10}
export JIANCHA_PROPERTY_SCENARIOS=${JIANCHA_PROPERTY_SCENARIOS:-50}
n=0 failed=0
trap 'echo "soak: $n runs, $failed failed; kept in $OUT"; exit' INT TERM
while [ "$RUNS" = 0 ] || [ $n -lt "$RUNS" ]; do
    seed=$(( $(od -An -N4 -tu4 /dev/urandom) ))
    n=$((n + 1))
    echo "== run $n seed $seed ($(date -u +%FT%TZ))"
    if JIANCHA_PROPERTY_SEED=$seed JIANCHA_KEEP_FAILED=$OUT/seed-$seed \
        bash "$SRC/tests/integration/findings_match_replay_under_any_arrival.sh" >"$OUT/last.log" 2>&1; then
        tail -n 1 "$OUT/last.log"
    else
        failed=$((failed + 1))
        cp "$OUT/last.log" "$OUT/seed-$seed.log"
        grep -E '^(round|  alerts|scenario|scores|  replay|FAIL)' "$OUT/seed-$seed.log" | head -n 30
        echo "   kept: $OUT/seed-$seed and $OUT/seed-$seed.log"
    fi
done
echo "soak: $n runs, $failed failed; kept in $OUT"
