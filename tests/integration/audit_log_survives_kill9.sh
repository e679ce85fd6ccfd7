#!/usr/bin/env bash
# Named operators' requests while the county collector is killed with SIGKILL again and again
# (a request in flight is either answered by the restarted county, which ZeroMQ reconnects to, or
# resent with the same record id): every request is stored exactly once, every one has exactly
# one `stored` entry in the county's audit log, and the log verifies whole at the county and at
# the city it travelled to.
. "$(dirname "$0")/lib.sh"

CAL=$SRC/config/cn-workdays.tsv
for n in 510000 510100 510104; do keys $n; done
PUB="bundle
    publisher_key = $T/keys/510000.pub"
aggregator_config city 510100 "$PUB"
start city
collector_config county 510104 "$(endpoint_of city)" "rules
    catalog = $SRC/config/catalog.json
    calendar = $CAL
$PUB"
start county
O=$T/operators
"$JIANCHA" operator key --name he --node 510104 --out "$O" >/dev/null
"$JIANCHA" operator key --name qin --node 510000 --out "$O" >/dev/null
{
    echo '{"version": 1, "operators": ['
    "$JIANCHA" operator entry --name he --role supervisor --node 510104 --pub "$O/he.pub"; echo ,
    "$JIANCHA" operator entry --name qin --role auditor --node 510000 --pub "$O/qin.pub"
    echo ']}'
} >"$T/roster.json"
"$JIANCHA" bundle publish --kind operators --file "$T/roster.json" --key "$T/keys/510000.secret" \
    --to "$(endpoint_of city)" >/dev/null || fail "publish the roster"
export JIANCHA_OPERATOR=qin JIANCHA_OPERATOR_KEY=$O/qin.secret JIANCHA_ANSWER_TIMEOUT_MS=1500
in_force() { "$JIANCHA" status --data "$T/county" 2>/dev/null | grep -q '^operators roster'; }
wait_until 20 in_force || fail "the county did not take the roster"

N=300
# the killer: the county dies every ~0.3 s and comes back
(
    for _ in $(seq 15); do
        sleep 0.2
        kill -9 "$(cat "$T/county.pid")" 2>/dev/null || true
        sleep 0.2
        rm -f "$T/county/intake.sock"
        "$COLLECTOR" -c "$T/county.cfg" >>"$T/county.log" 2>&1 &
        echo $! >"$T/county.pid"
        for _ in $(seq 50); do [ -S "$T/county/intake.sock" ] && break; sleep 0.05; done
    done
) &
killer=$!
resent=0
for i in $(seq $N); do
    # the same record id until the county answers: a lost reply is resent, never doubled
    for try in $(seq 40); do
        if "$JIANCHA" patrol --data "$T/county" --supervisor he --target 510104 --kind data \
            --at "2026-11-0$((i % 5 + 2))T09:00:00+08:00" --record-id "p-$i" \
            --operator he --key "$O/he.secret" >/dev/null 2>&1; then
            break
        fi
        [ "$try" = 40 ] && fail "patrol p-$i never stored"
        resent=$((resent + 1))
        sleep 0.1
    done
done
wait "$killer"
alive county || start county

"$JIANCHA" query events --data "$T/county" --node 510104 --json >"$T/held.json"
stored=$(jq -r 'select(.event.type == "patrol") | .event.id' "$T/held.json" | sort)
[ "$(wc -l <<<"$stored")" = $N ] || fail "$(wc -l <<<"$stored") patrols stored, want $N"
[ -z "$(uniq -d <<<"$stored")" ] || fail "a patrol stored twice: $(uniq -d <<<"$stored" | head -n 3)"
logged=$(jq -r 'select(.event.type == "audit" and .event.action == "patrol" and .event.outcome == "stored") | .event.record' "$T/held.json" | sort)
[ "$logged" = "$stored" ] || fail "the log's stored entries differ from the records: $(diff <(echo "$logged") <(echo "$stored") | head -n 5)"
"$JIANCHA" audit verify --data "$T/county" >"$T/v" || fail "the county's log after the kills: $(cat "$T/v")"
at_city() { "$JIANCHA" audit verify --data "$T/city" --node 510104 >"$T/cv" &&
    [ "$(sed -n 's/^510104: \([0-9]*\) entries.*/\1/p' "$T/cv")" -ge "$(sed -n 's/^510104: \([0-9]*\) entries.*/\1/p' "$T/v")" ]; }
wait_until 30 at_city || fail "the county's log at the city: $(cat "$T/cv")"
say "ok: $N signed requests ($resent resent) through 15 kills: each stored once, logged once, the log whole at county and city"
