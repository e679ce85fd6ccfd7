#!/usr/bin/env bash
# A full disk at the collector: intake answers "storage full" and the daemon keeps running;
# nothing already acknowledged is lost; when space is freed intake resumes without a restart.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/county"
if ! mount -t tmpfs -o size=48m tmpfs "$T/county" 2>/dev/null; then
    say "skip: cannot mount a small tmpfs here (needs root)"
    exit 77
fi
MOUNTS+=("$T/county")

keys 510104
aggregator_config city 510100
start city
collector_config county 510104 "$(endpoint_of city)" "store
    map_mb = 4"
start county
stop city   # keep everything in the collector so the disk fills

# ballast leaves a few MB
dd if=/dev/zero of="$T/county/ballast" bs=1M count=38 status=none
"$EVENTGEN" --node 510104 --count 100000 --seed 5 >"$T/events.jsonl"
if "$JIANCHA" send --data "$T/county" --chunk 1000 "$T/events.jsonl" >"$T/send.out"; then
    fail "the disk never filled"
fi
grep -q 'refused: storage full' "$T/send.out" || fail "no storage-full answer: $(tail -n 3 "$T/send.out")"
alive county || fail "collector died on a full disk"
# the log names the cause, not LMDB's code for it (a short write on a full disk is an EIO)
grep -q 'store: .* failed dir=.*: \(no space left on the file system\|No space left on device\|MDB_MAP_FULL\)' "$T/county.log" ||
    fail "the log does not say the disk is full: $(grep 'store:' "$T/county.log" | tail -n 3)"
! grep -q 'store: .*Input/output error' "$T/county.log" || fail "a full disk logged as an I/O error"
accepted=$(sed -n 's/^[0-9]* lines: \([0-9]*\) accepted.*/\1/p' "$T/send.out")
[ "$accepted" -gt 0 ] || fail "nothing accepted before the disk filled"
say "accepted $accepted events before the disk filled"

# free space: intake resumes without a restart
rm -f "$T/county/ballast"
"$JIANCHA" send --data "$T/county" "$T/events.jsonl" >"$T/send2.out" || fail "$(tail -n 3 "$T/send2.out")"
grep -q "$accepted duplicates" "$T/send2.out" || fail "acknowledged events lost: $(tail -n 1 "$T/send2.out")"
start city
wait_until 120 has_count "$T/city" 100000 || fail "city holds $(count "$T/city")"
exactly_once "$T/events.jsonl" "$T/city"
say "ok: storage full refused cleanly, nothing acknowledged lost, intake resumed"
