#!/usr/bin/env bash
# Runs every libFuzzer harness of a -DFUZZ=ON build for SECONDS each (test.sh: a few seconds;
# leave it running for hours with a larger number), starting from corpus/NAME and keeping what it
# finds in a work directory, never in the repo. A crash, leak or sanitizer report fails the run
# and leaves the input in WORK/NAME/crash-*; reproduce with BUILD/tests/fuzz/fuzz_NAME FILE.
#   tests/fuzz/run.sh BUILD_DIR SECONDS [WORK_DIR]
set -uo pipefail
B=$(cd "${1:?usage: run.sh BUILD_DIR SECONDS [WORK_DIR]}" && pwd)
S=${2:?seconds per fuzzer}
HERE=$(cd "$(dirname "$0")" && pwd)
W=${3:-$(mktemp -d /tmp/jiancha-fuzz-XXXXXX)}
failed=()
for f in intake batch proto trust rules conf; do
    mkdir -p "$W/$f"
    "$B/tests/fuzz/fuzz_$f" -max_total_time="$S" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$W/$f/" "$W/$f" "$HERE/corpus/$f" >"$W/$f.log" 2>&1
    rc=$?
    runs=$(sed -n 's/^#\([0-9]*\).*DONE.*/\1/p' "$W/$f.log" | tail -n 1)
    if [ $rc -ne 0 ]; then
        failed+=("$f")
        echo "fuzz_$f: FAILED (exit $rc); see $W/$f.log and $W/$f/"
        grep -m 5 -E 'ERROR|SUMMARY|runtime error' "$W/$f.log" | sed 's/^/    /'
    else
        echo "fuzz_$f: ${runs:-?} runs in ${S}s, clean"
    fi
done
[ ${#failed[@]} -eq 0 ] || { echo "fuzzers failed: ${failed[*]}"; exit 1; }
