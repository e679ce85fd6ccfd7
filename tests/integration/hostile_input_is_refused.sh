#!/usr/bin/env bash
# Hostile input at both doors: replayed, tampered, foreign-signed, conflicting and out-of-order
# batches at the aggregator, and well-chained ones carrying garbage, an unknown kind, an event
# without its id or an id sent before; a batch session from an unknown node; malformed JSON, wrong types,
# missing fields and an oversized message at the collector's intake. Each is refused with a clear
# reason, nothing bad is stored, and both daemons keep serving.
. "$(dirname "$0")/lib.sh"

keys 510104
keys 510105   # the forge's node: a known child with no collector of its own
"$JIANCHA" keys gen --node 510199 --out "$T/strangers" >/dev/null
aggregator_config city 510100
start city
collector_config county 510104 "$(endpoint_of city)" "intake
    max_message_bytes = 65536"
mkdir -m 0777 "$T/county" # an old directory anyone may enter, and a careless umask
(umask 000 && start county)
# who may send and read is set by the daemon, not left to the umask or the directory's past
[ "$(stat -c %a "$T/county/intake.sock")" = 660 ] || fail "intake socket mode $(stat -c %a "$T/county/intake.sock")"
[ "$(stat -c %a "$T/county")" = 700 ] || fail "data directory mode $(stat -c %a "$T/county")"
[ "$(stat -c %a "$T/county/data.mdb")" = 640 ] || fail "store file mode $(stat -c %a "$T/county/data.mdb")"
EP=$(endpoint_of city)

# --- the aggregator's door (each rule of docs/protocol.md, "Details a second implementation needs") ---
"$FORGE" "$EP" "$T/keys/510105.secret" replay >"$T/f.out" || fail "replay: $(cat "$T/f.out")"
# a node never heard of: WELCOME last 0 with a zero hash; a batch sent again: ACK, idempotent
grep -q '^WELCOME last=0 hash=zero$' "$T/f.out" || fail "fresh WELCOME: $(cat "$T/f.out")"
[ "$(grep -c '^ACK 1$' "$T/f.out")" = 2 ] || fail "replayed batch not acknowledged again: $(cat "$T/f.out")"
"$FORGE" "$EP" "$T/keys/510105.secret" conflict >"$T/f.out" || fail "conflict: $(cat "$T/f.out")"
grep -q 'NACK conflict: batch 1 was already stored with other content' "$T/f.out" ||
    fail "conflict reason: $(cat "$T/f.out")"
"$FORGE" "$EP" "$T/keys/510105.secret" gap >"$T/f.out" || fail "gap: $(cat "$T/f.out")"
grep -q 'NACK gap: expected batch 2 (seq=3)$' "$T/f.out" || fail "gap reason: $(cat "$T/f.out")"
"$FORGE" "$EP" "$T/keys/510105.secret" tamper >"$T/f.out" || fail "tamper: $(cat "$T/f.out")"
"$FORGE" "$EP" "$T/keys/510105.secret" badsig >"$T/f.out" || fail "badsig: $(cat "$T/f.out")"
# refused before the header is verified: seq 0, permanent
grep -q '^NACK bad-signature: .*(seq=0, permanent)$' "$T/f.out" || fail "badsig NACK: $(cat "$T/f.out")"
if "$FORGE" "$EP" "$T/strangers/510199.secret" hello >"$T/f.out"; then fail "unknown node admitted"; fi
grep -q 'REFUSE: node 510199 is not a known child' "$T/f.out" || fail "unknown: $(cat "$T/f.out")"
"$FORGE" "$EP" "$T/keys/510105.secret" rogue-hello >"$T/f.out" || fail "rogue hello: $(cat "$T/f.out")"
grep -q 'REFUSE: HELLO refused: node 510105 has no key [0-9a-f]* here' "$T/f.out" ||
    fail "rogue hello: $(cat "$T/f.out")"
# a heartbeat on a connection that never said HELLO is told to say it (not answered PONG)
"$FORGE" "$EP" "$T/keys/510105.secret" ping-first >"$T/f.out" || fail "ping-first: $(cat "$T/f.out")"
grep -q 'NACK hello-first' "$T/f.out" || fail "ping-first: $(cat "$T/f.out")"
# a batch 2 that follows the chain but carries a record no tier may store: refused for good,
# naming the record and field, a copy quarantined, nothing of it stored
for s in garbage unknown-kind no-id; do
    "$FORGE" "$EP" "$T/keys/510105.secret" $s >"$T/f.out" || fail "$s: $(cat "$T/f.out")"
done
"$FORGE" "$EP" "$T/keys/510105.secret" garbage >"$T/f.out"
grep -q 'NACK malformed: record 1 (seq 4): is not one msgpack value' "$T/f.out" || fail "garbage: $(cat "$T/f.out")"
"$FORGE" "$EP" "$T/keys/510105.secret" unknown-kind >"$T/f.out"
grep -q 'NACK malformed: record 1 (seq 4): type: unknown record type "mystery"' "$T/f.out" ||
    fail "unknown kind: $(cat "$T/f.out")"
"$FORGE" "$EP" "$T/keys/510105.secret" no-id >"$T/f.out"
grep -q 'NACK malformed: record 1 (seq 4): id: ' "$T/f.out" || fail "no id: $(cat "$T/f.out")"
"$JIANCHA" status --data "$T/city" | grep -q '^quarantined batches: [1-9]' ||
    fail "refused batches not quarantined: $("$JIANCHA" status --data "$T/city")"
# exactly the replayed batch's two events of node 510105 are stored, once
[ "$("$JIANCHA" query events --data "$T/city" --node 510105 --json | wc -l)" = 2 ] ||
    fail "forged batches left data behind"
# a new batch repeating an event id of batch 1: acknowledged, the repeat counted, not stored
"$FORGE" "$EP" "$T/keys/510105.secret" repeat-id >"$T/f.out" || fail "repeat-id: $(cat "$T/f.out")"
"$JIANCHA" query events --data "$T/city" --node 510105 --json | jq -r .event.id | sort >"$T/ids"
[ "$(uniq -d "$T/ids")" = "" ] && [ "$(wc -l <"$T/ids")" = 3 ] || fail "repeat stored: $(cat "$T/ids")"
grep -q 'record id repeated node=510105 batch=2 seq=4 id=forge-a-1' "$T/city.log" ||
    fail "the repeat was not logged"
grep -q 'code=bad-signature' "$T/city.log" || fail "bad signature not logged"
grep -q 'code=malformed' "$T/city.log" || fail "tampered payload not logged"

# --- the collector's door ---
cat >"$T/bad.jsonl" <<'JSON'
{"type":"case.accept","id":"ok-1","case":"C1","item":"SC-XK-0101","dept":"SCJGJ","handler":"H1","at":"2026-11-02T09:00:00+08:00"}
{"type":"case.accept","id":"bad-1","case":"C1"
{"type":"case.accept","id":"bad-2","case":"C2","item":"SC-XK-0101","dept":"SCJGJ","handler":7,"at":"2026-11-02T09:00:00+08:00"}
{"type":"case.step","id":"bad-3","case":"C1","handler":"H1","at":"2026-11-02T09:00:00+08:00"}
{"type":"rating","id":"bad-4","case":"C1","rating":9,"at":"2026-11-02T09:00:00+08:00"}
{"type":"case.execution","id":"bad-5","case":"C1","amount":"lots","at":"2026-11-02T09:00:00+08:00"}
JSON
if "$JIANCHA" send --data "$T/county" "$T/bad.jsonl" >"$T/bad.out"; then fail "bad lines accepted"; fi
grep -q '^line 2: rejected: malformed JSON' "$T/bad.out" || fail "malformed: $(cat "$T/bad.out")"
grep -q '^line 3: rejected: handler: must be a string$' "$T/bad.out" || fail "$(cat "$T/bad.out")"
grep -q '^line 4: rejected: step: required field is missing$' "$T/bad.out" || fail "$(cat "$T/bad.out")"
grep -q '^line 5: rejected: rating: must be an integer from 1 to 5$' "$T/bad.out" || fail "$(cat "$T/bad.out")"
grep -q '^line 6: rejected: amount: must be a number of yuan$' "$T/bad.out" || fail "$(cat "$T/bad.out")"
grep -q '^6 lines: 1 accepted, 0 duplicates, 5 rejected$' "$T/bad.out" || fail "$(cat "$T/bad.out")"

"$EVENTGEN" --node 510104 --count 2000 --seed 3 >"$T/big.jsonl"
if "$JIANCHA" send --data "$T/county" --chunk 2000 "$T/big.jsonl" >"$T/big.out"; then
    fail "oversized message accepted"
fi
grep -q 'refused: message of [0-9]* bytes exceeds the limit of 65536 bytes' "$T/big.out" ||
    fail "oversize: $(cat "$T/big.out")"

# both still serve, and only the good records are anywhere
alive city && alive county || fail "a daemon died"
"$JIANCHA" send --data "$T/county" --chunk 100 "$T/big.jsonl" >"$T/ok.out" || fail "$(cat "$T/ok.out")"
# 2000 + ok-1 + the forge's three (batch 1, and the new record of its batch 2)
wait_until 30 has_count "$T/city" 2004 || fail "city holds $(count "$T/city")"
[ "$(ids "$T/county" | grep -c '^bad-' || true)" = 0 ] || fail "a rejected record was stored"
# sessions are bounded: one per node, and at most listen/max_sessions in all
stop city
opened=$(grep -c "session open node=510104" "$T/city.log")
sed -i 's/^    session_timeout_ms = 3000$/&\n    max_sessions = 1/' "$T/city.cfg"
start city
back() { [ "$(grep -c "session open node=510104" "$T/city.log")" -gt "$opened" ]; }
wait_until 10 back ||
    fail "the county did not come back: $(tail -n 3 "$T/city.log")"
if "$FORGE" "$EP" "$T/keys/510105.secret" hello >"$T/f.out"; then fail "a session past the limit"; fi
grep -q 'REFUSE: this aggregator holds 1 sessions, its limit (listen/max_sessions)' "$T/f.out" ||
    fail "limit refusal: $(cat "$T/f.out")"
say "ok: every hostile input refused with its reason; daemons kept serving"
