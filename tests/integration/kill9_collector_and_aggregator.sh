#!/usr/bin/env bash
# During a 200,000-event stream the collector and the aggregator are each killed with SIGKILL at
# random moments (at least 10 times each) and restarted. Afterwards every event the sender was
# told about is stored at the aggregator exactly once: 0 lost, 0 duplicated.
. "$(dirname "$0")/lib.sh"

KILLS=${KILLS:-10}
keys 510104
aggregator_config city 510100
start city
collector_config county 510104 "$(endpoint_of city)" "batch
    max_events = 500"
start county

"$EVENTGEN" --node 510104 --count 200000 --seed 23 >"$T/events.jsonl"
stream_parts "$T/events.jsonl"

RANDOM=4242
ck=0 ak=0
while [ $ck -lt "$KILLS" ] || [ $ak -lt "$KILLS" ]; do
    sleep "0.$((RANDOM % 4 + 1))"
    if [ $((RANDOM % 2)) -eq 0 ] && [ $ck -lt "$KILLS" ]; then
        kill9 county; ck=$((ck + 1))
        sleep "0.$((RANDOM % 3))"
        start county
    elif [ $ak -lt "$KILLS" ]; then
        kill9 city; ak=$((ak + 1))
        sleep "0.$((RANDOM % 3))"
        start city
    fi
done
say "killed collector $ck times, aggregator $ak times"
wait $SENDER || fail "sender failed: $(tail -n 3 "$T/send.out")"
awk '/ lines: /{l+=$1; a+=$3; d+=$5; r+=$7} END{printf "sent %d lines: %d accepted, %d duplicates, %d rejected\n", l, a, d, r}' \
    "$T/send.out" | tee "$T/send.sum"
# A chunk committed just before a kill is answered "duplicate" when it is resent.
awk '{exit !($2 == 200000 && $4 + $6 == 200000 && $8 == 0)}' "$T/send.sum" ||
    fail "not every line acknowledged: $(cat "$T/send.sum")"

# Every acknowledged event is at the county the moment the sender is done ...
exactly_once "$T/events.jsonl" "$T/county"
# ... and reaches the city once.
wait_until 120 has_count "$T/city" 200000 || fail "city holds $(count "$T/city") of 200000"
exactly_once "$T/events.jsonl" "$T/city"
say "ok: 0 lost, 0 duplicated after $ck + $ak kills"
