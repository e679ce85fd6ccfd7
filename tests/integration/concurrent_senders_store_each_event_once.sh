#!/usr/bin/env bash
# Four `jiancha send` run at once, each pipelining chunks of 50 lines, over files that overlap
# (55,000 lines, 30,000 distinct ids): the intake commits the messages waiting together (several
# senders' in one transaction, docs/decisions.md "When a message is durable") and answers each
# with its own counts, so every line is acknowledged, each id is accepted exactly once whoever
# sent it first and is a duplicate for everyone else ("Duplicate `id`"); the county stores each
# id once, in each sender's order, and the city ends up with the same 30,000 ids once.
. "$(dirname "$0")/lib.sh"

N=30000
CHUNK=50
keys 510104
aggregator_config city 510100
start city
collector_config county 510104 "$(endpoint_of city)" "metrics
    listen = 127.0.0.1:0"
start county
wait_until 10 test -s "$T/county/metrics.port" || fail "no metrics port at the county"
# value SAMPLE: one sample of the county's metrics (rendered every 5 s)
value() {
    curl -sf "http://127.0.0.1:$(cat "$T/county/metrics.port")/metrics" | awk -v s="$1" '$1 == s { print $2 }'
}

"$EVENTGEN" --node 510104 --count $N --seed 59 >"$T/events.jsonl"
[ "$(jq -r .id "$T/events.jsonl" | sort -u | wc -l)" -eq $N ] || fail "eventgen gave repeated ids"

# shuffled SEED BLOCK: stdin's lines in blocks of BLOCK lines, the blocks in an order of SEED's
# (BLOCK 1: every line on its own), each block's lines kept in their order
shuffled() {
    python3 -c '
import random, sys
seed, block = int(sys.argv[1]), int(sys.argv[2])
lines = sys.stdin.readlines()
blocks = [lines[i:i + block] for i in range(0, len(lines), block)]
random.Random(seed).shuffle(blocks)
sys.stdout.writelines(l for b in blocks for l in b)' "$1" "$2"
}
# A: lines 1-15000 in order; D: every third line of the whole file in order (racing A from the
# first chunk); B: lines 7501-22500, each line at a random place; C: lines 15001-30000 in
# shuffled blocks of 500. B and D hold no id of their own; A and C hold 5,000 each.
sed -n '1,15000p' "$T/events.jsonl" >"$T/a.jsonl"
sed -n '7501,22500p' "$T/events.jsonl" | shuffled 11 1 >"$T/b.jsonl"
sed -n '15001,30000p' "$T/events.jsonl" | shuffled 12 500 >"$T/c.jsonl"
sed -n '1~3p' "$T/events.jsonl" >"$T/d.jsonl"
lines=0 messages=0
for s in a b c d; do
    n=$(wc -l <"$T/$s.jsonl")
    lines=$((lines + n)) messages=$((messages + (n + CHUNK - 1) / CHUNK))
done
cat "$T"/[abcd].jsonl | jq -r .id | sort -u >"$T/sent.ids"
[ "$(wc -l <"$T/sent.ids")" -eq $N ] || fail "the senders' files do not cover the $N ids"
say "4 senders: $lines lines in $messages messages of $CHUNK, $N distinct ids, $((lines - N)) overlapping"

# A long reply timeout: a resend of a message already committed would be answered "duplicate"
# for ids this very sender got accepted, and the sum of accepted could no longer be exact. (The
# pid files let the cleanup stop the others when one fails.)
t0=$SECONDS
for s in a b c d; do
    "$JIANCHA" send --data "$T/county" --chunk $CHUNK --timeout-ms 30000 --give-up-ms 60000 \
        "$T/$s.jsonl" >"$T/$s.out" 2>&1 &
    echo $! >"$T/send-$s.pid"
done
for s in a b c d; do
    wait "$(cat "$T/send-$s.pid")" || fail "sender $s failed: $(tail -n 3 "$T/$s.out")"
    rm -f "$T/send-$s.pid"
done
say "the 4 senders finished in $((SECONDS - t0)) s"

# Each sender: "L lines: A accepted, D duplicates, R rejected", every line acknowledged.
acc=0 dup=0
for s in a b c d; do
    n=$(wc -l <"$T/$s.jsonl")
    sum=$(grep -E '^[0-9]+ lines: [0-9]+ accepted, [0-9]+ duplicates, [0-9]+ rejected$' "$T/$s.out" | tail -n 1) ||
        fail "sender $s printed no summary: $(cat "$T/$s.out")"
    read -r l a d r < <(awk '{print $1, $3, $5, $7}' <<<"$sum")
    [ "$l" = "$n" ] && [ $((a + d)) -eq "$n" ] && [ "$r" = 0 ] ||
        fail "sender $s sent $n lines, its summary does not acknowledge each once: '$sum' ($(cat "$T/$s.out"))"
    say "sender $s: $sum"
    acc=$((acc + a)) dup=$((dup + d))
done
# Each id was accepted once, whoever sent it first; every other copy was a duplicate.
[ $acc -eq $N ] || fail "the senders were told of $acc accepted events, not $N (one per distinct id)"
[ $dup -eq $((lines - N)) ] || fail "the senders were told of $dup duplicates, not $((lines - N)) (the overlap)"
say "accepted $acc, duplicates $dup over the 4 senders"

# The county holds each id once and nothing else, the moment the senders are answered ...
exactly_once "$T/events.jsonl" "$T/county"
"$JIANCHA" status --data "$T/county" --json >"$T/county.status"
jq -e ".uplink.events_stored == $N" "$T/county.status" >/dev/null ||
    fail "county's status: $(jq -c .uplink "$T/county.status")"
# ... in the order each sender sent: the ids only A (only C) sent are stored in A's (C's) order.
"$JIANCHA" query events --data "$T/county" --json | jq -r .event.id >"$T/stored.order"
cat "$T"/[abcd].jsonl | jq -r .id | sort | uniq -u >"$T/once.ids"
for s in a c; do
    jq -r .id "$T/$s.jsonl" | awk 'NR == FNR { once[$1]; next } $1 in once' "$T/once.ids" - >"$T/$s.own"
    awk 'NR == FNR { own[$1]; next } $1 in own' "$T/$s.own" "$T/stored.order" >"$T/$s.stored"
    [ -s "$T/$s.own" ] || fail "sender $s has no id of its own"
    cmp -s "$T/$s.own" "$T/$s.stored" ||
        fail "the $(wc -l <"$T/$s.own") ids only $s sent are not stored in its order: $(diff "$T/$s.own" "$T/$s.stored" | head -n 4 | tr '\n' ' ')"
done
say "county: $N events, each id once; A's and C's own ids ($(wc -l <"$T/a.own") + $(wc -l <"$T/c.own")) in their senders' order"

# The intake's own tally agrees with the replies, and the messages were committed in groups of at
# most 8: fewer durable commits (the batches' included) than messages, and no fewer than one per 8.
intake() { value "jiancha_intake_records_total{outcome=\"$1\"}"; }
accepted_is() { [ "$(intake accepted)" = "$1" ]; }
wait_until 15 accepted_is $N ||
    fail "the county's metrics count $(intake accepted) accepted, not $N"
[ "$(intake duplicate)" = $((lines - N)) ] && [ "$(intake rejected)" = 0 ] ||
    fail "the county's metrics: $(intake duplicate) duplicates, $(intake rejected) rejected; want $((lines - N)) and 0"
commits=$(value jiancha_store_commit_seconds_count)
[ -n "$commits" ] && [ "$commits" -lt "$messages" ] ||
    fail "the county made ${commits:-no} durable commits for $messages messages: they were not committed in groups"
[ "$commits" -ge $(((messages + 7) / 8)) ] ||
    fail "the county made $commits durable commits for $messages messages: groups of more than 8"
say "county metrics: accepted $N, duplicates $((lines - N)); $commits durable commits for $messages messages"

# The city gets the same ids, once.
wait_until 30 has_count "$T/city" $N || fail "city holds $(count "$T/city") of $N"
exactly_once "$T/events.jsonl" "$T/city"
"$JIANCHA" status --data "$T/city" --json >"$T/city.status"
jq -e ".children | length == 1 and .[0].node == \"510104\" and .[0].records == $N and .[0].duplicates == 0" \
    "$T/city.status" >/dev/null || fail "city's status: $(jq -c .children "$T/city.status")"
say "ok: $lines lines from 4 concurrent senders, $N events stored once at the county and the city ($((SECONDS - t0)) s)"
