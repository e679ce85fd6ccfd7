#!/usr/bin/env bash
# The whole test suite: installs what it needs, builds, runs every test (unit, config,
# integration, fault), then builds with ASan+UBSan and runs the whole suite again.
# Usage: ./test.sh            (as root, for the full-disk test's tmpfs mount)
set -euo pipefail
cd "$(dirname "$0")"
packaging/install-deps.sh
JOBS=$(nproc)

echo "== build (RelWithDebInfo)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$JOBS" >/dev/null
echo "== tests"
(cd build && ctest --output-on-failure -j2)

echo "== build (ASan + UBSan)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSANITIZE=ON >/dev/null
cmake --build build-asan -j"$JOBS" >/dev/null
echo "== tests under ASan + UBSan"
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
(cd build-asan && ctest --output-on-failure -j2)
