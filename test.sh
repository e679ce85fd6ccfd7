#!/usr/bin/env bash
# The whole test suite: installs what it needs, builds, runs every test (unit, config,
# integration, fault); runs the integration and fault tests a second time with every clock moved
# more than a year ahead (libfaketime, FAKETIME=+400d: no test may depend on today's date); then
# builds with ASan+UBSan and runs the whole suite again; last, the libFuzzer harnesses of
# tests/fuzz (clang) a few seconds each. Each half runs whatever the others gave, and the summary
# at the end names every half that failed.
# Usage: ./test.sh            (as root, for the full-disk test's tmpfs mount)
set -euo pipefail
cd "$(dirname "$0")"
packaging/install-deps.sh
JOBS=$(nproc)
FAKELIB=$(ls /usr/lib/*/faketime/libfaketime.so.1 | head -n 1)
failed=()

echo "== build (RelWithDebInfo)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$JOBS" >/dev/null
echo "== tests"
(cd build && ctest --output-on-failure -j2) || failed+=("tests")

echo "== integration and fault tests with every clock 400 days ahead"
# libfaketime names its shared memory after process ids; files left by processes killed in earlier
# runs are taken for a new process's own when its id comes round again (pid_max is 32768), and
# its clock fails. Those of processes gone are removed first.
for f in /dev/shm/faketime_shm_* /dev/shm/sem.faketime_sem_*; do
    [ -e "$f" ] && [ ! -d "/proc/${f##*_}" ] && rm -f "$f"
done
# (no shared memory: a preloaded ctest would share its semaphore with every test, and one test's
# processes killed -9 under it lost it for the others: "sem_open failed")
(cd build && LD_PRELOAD="$FAKELIB" FAKETIME=+400d FAKETIME_DISABLE_SHM=1 \
    ctest -L 'integration|fault' --output-on-failure -j2) ||
    failed+=("tests 400 days ahead")

echo "== build (ASan + UBSan)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSANITIZE=ON >/dev/null
cmake --build build-asan -j"$JOBS" >/dev/null
echo "== tests under ASan + UBSan"
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
(cd build-asan && ctest --output-on-failure -j2) || failed+=("tests under ASan + UBSan")

echo "== fuzzers, ${FUZZ_SECONDS:-5} s each (tests/fuzz/run.sh for hours)"
CC=clang cmake -S . -B build-fuzz -DFUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j"$JOBS" >/dev/null
tests/fuzz/run.sh build-fuzz "${FUZZ_SECONDS:-5}" || failed+=("fuzzers")

if [ ${#failed[@]} -gt 0 ]; then
    printf '== FAILED: %s\n' "${failed[@]}"
    exit 1
fi
echo "== all passed"
