#!/usr/bin/env bash
# The aggregators of every tier are restarted 50 times under traffic from two counties (kill -9
# and clean stops in turn, down 0.2 to 3 s): a restart is not a clone. Afterwards no store holds a
# node.clone alarm, nothing was quarantined, and every event reached the province exactly once.
# (Each restart once read a child's saved state into a struct with stack garbage in its
# in-memory "diverged" flag: a red node.clone for a healthy child, "batch 0 there, N here".)
# The clone and restored-store tests (clone_lights_red_at_province) keep the true ones red.
. "$(dirname "$0")/lib.sh"

RESTARTS=${RESTARTS:-50}
province_and_city
keys 510105
for c in 510104 510105; do
    collector_config "c$c" $c "$(endpoint_of city)" "batch
    max_events = 100"
    start "c$c"
    "$EVENTGEN" --node $c --count 15000 --seed ${c: -1} >"$T/events.$c.jsonl"
done
senders=()
for c in 510104 510105; do
    (
        split -l 500 -d -a 3 "$T/events.$c.jsonl" "$T/part.$c."
        for p in "$T"/part.$c.*; do
            "$JIANCHA" send --data "$T/c$c" --chunk 250 --timeout-ms 500 --give-up-ms 60000 "$p" >/dev/null ||
                exit 1
            sleep 0.2
        done
    ) &
    senders+=($!)
done

RANDOM=1205
for i in $(seq 1 "$RESTARTS"); do
    who=city
    [ $((RANDOM % 2)) -eq 0 ] && who=province
    if [ $((i % 2)) -eq 0 ]; then kill9 $who; else stop $who; fi
    sleep "$((RANDOM % 3)).$((RANDOM % 8 + 2))" # down 0.2 to 2.9 s
    start $who
    sleep "0.$((RANDOM % 5))"
done
say "restarted the city and the province $RESTARTS times"
for p in "${senders[@]}"; do wait "$p" || fail "a sender gave up"; done
wait_until 120 has_count "$T/province" 30000 || fail "the province holds $(count "$T/province") of 30000"
for c in 510104 510105; do # ids repeat across nodes: compare each node's own
    jq -r .id "$T/events.$c.jsonl" | sort >"$T/want.$c"
    events "$T/province" $c | jq -r .event.id | sort >"$T/got.$c"
    cmp -s "$T/want.$c" "$T/got.$c" ||
        fail "$c at the province: $(uniq -d "$T/got.$c" | wc -l) repeated, $(comm -23 "$T/want.$c" "$T/got.$c" | wc -l) missing"
done
for d in province city c510104 c510105; do
    clones=$("$JIANCHA" query alerts --data "$T/$d" --rule node.clone --json)
    [ -z "$clones" ] || fail "false node.clone at $d: $(jq -c '{node, detail}' <<<"$clones" | head -n 3)"
    "$JIANCHA" status --data "$T/$d" | grep -q "^quarantined batches: [1-9]" &&
        fail "$d quarantined batches of a healthy child"
done
say "ok: $RESTARTS restarts of the city and the province, 0 node.clone, 30000 events once at the province"
