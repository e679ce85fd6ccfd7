#!/usr/bin/env bash
# Confidentiality through the daemons (art. 15, 16): the province publishes a roster of named
# operators; every node then takes supervision actions only signed by an operator whose role and
# scope allow them; an export is refused without an approval by another approver of the same
# office and allowed with one; a deletion is refused without an approval signed by the province
# and done with one (the record shows deleted at every tier); reading a node's data is a named,
# scoped request too; every request, refused or stored, is in the node's hash-chained audit log,
# which travels up; `jiancha audit verify` passes on the whole log and catches a changed entry and
# a removed one.
. "$(dirname "$0")/lib.sh"

TAMPER=$BIN/tests/jiancha-tamper
office_tree

say "-- the roster: named operators with roles and scopes, published by the province"
roster_publish "zhang supervisor 510100" "wu supervisor 510100" "he supervisor 510104" \
    "li department 510104 SWJ" "cityadmin administrator 510100" \
    "provadmin administrator 510000" "qin auditor 510000"
as() { local who=$1; shift; "$@" --operator "$who" --key "$O/$who.secret"; }
# reads are requests too once the roster is out: this test reads as the province's auditor
export JIANCHA_OPERATOR=qin JIANCHA_OPERATOR_KEY=$O/qin.secret

# events that raise a SWJ alert (rating.bad) and a SCJGJ one at the county, in the period the
# export below asks for (a fixed instant: the test must not depend on today's date)
rated_lights
alert_id() { "$JIANCHA" query alerts --data "$T/$1" --rule rating.bad --json | jq -r "select(.case == \"$2\") | .id"; }
until_true 20 '[ -n "$(alert_id county C1)" ]' || fail "no alert for C1"
until_true 20 '[ -n "$(alert_id city C1)" ]' || fail "the alert did not reach the city"
SWJ=$(alert_id county C1)
SCJGJ=$(alert_id county C2)

say "-- every action needs a named operator, with the role and scope for it"
unsigned() { ! env -u JIANCHA_OPERATOR -u JIANCHA_OPERATOR_KEY "$JIANCHA" patrol --data "$T/county" --supervisor he --target 510104 --kind data >"$T/out" 2>&1 && grep -q 'field operator' "$T/out"; }
wait_until 20 unsigned || fail "an unsigned action was taken once the roster was out: $(cat "$T/out")"
as he "$JIANCHA" patrol --data "$T/county" --supervisor he --target 510104 --kind video >/dev/null ||
    fail "a supervisor's patrol at his office"
refused() { # FIELD COMMAND...: the command fails naming FIELD
    local field=$1; shift
    if "$@" >"$T/out" 2>&1; then fail "allowed: $*"; fi
    grep -q "field $field" "$T/out" || fail "refused for another reason: $(cat "$T/out")"
}
refused supervisor as he "$JIANCHA" patrol --data "$T/county" --supervisor zhang --target 510104 --kind data
refused operator as zhang "$JIANCHA" patrol --data "$T/county" --supervisor zhang --target 510104 --kind data
refused operator as li "$JIANCHA" alert close --data "$T/county" --alert "$SWJ" --by li --verdict v
refused alert as li "$JIANCHA" alert respond --data "$T/county" --alert "$SCJGJ" --by li --action explain --text t
as li "$JIANCHA" alert respond --data "$T/county" --alert "$SWJ" --by li --action correct \
    --text "已整改" >/dev/null || fail "a department answers its own alert"
# a signature made with another key does not pass for the operator's
refused operator "$JIANCHA" alert respond --data "$T/county" --alert "$SWJ" --by li --action explain \
    --text t --operator li --key "$O/he.secret"
# the city's supervisor closes the county's alert at the city
as zhang "$JIANCHA" alert close --data "$T/city" --alert "$SWJ" --by zhang --verdict "整改到位" >/dev/null ||
    fail "the city closes a county alert"

say "-- reading a node's data is a request too: named, in scope, logged"
if env -u JIANCHA_OPERATOR -u JIANCHA_OPERATOR_KEY "$JIANCHA" query alerts --data "$T/city" >"$T/out" 2>&1; then
    fail "an anonymous read of the city"
fi
grep -q 'read by named operators only' "$T/out" || fail "unclear refusal: $(cat "$T/out")"
JIANCHA_OPERATOR=li JIANCHA_OPERATOR_KEY=$O/li.secret "$JIANCHA" query alerts --data "$T/city" >"$T/out" 2>&1 &&
    fail "a county department read the city's data"
grep -q 'field operator: this node is outside' "$T/out" || fail "unclear refusal: $(cat "$T/out")"
JIANCHA_OPERATOR=li JIANCHA_OPERATOR_KEY=$O/li.secret "$JIANCHA" query alerts --data "$T/county" >/dev/null ||
    fail "a department could not read its own node"

say "-- an export needs an approval by another approver of the same office"
refused approval as zhang "$JIANCHA" export --data "$T/city" --what events --node 510104 --period 2026-11 --out "$T/x.jsonl"
[ ! -e "$T/x.jsonl" ] || fail "a refused export wrote a file"
as zhang "$JIANCHA" approve --kind export --requester zhang --what events --node 510104 --period 2026-11 --out "$T/self.approval" >/dev/null
refused approval as zhang "$JIANCHA" export --data "$T/city" --what events --node 510104 --period 2026-11 --approval "$T/self.approval" --out "$T/x.jsonl"
as he "$JIANCHA" approve --kind export --requester zhang --what events --node 510104 --period 2026-11 --out "$T/other-office.approval" >/dev/null
refused approval as zhang "$JIANCHA" export --data "$T/city" --what events --node 510104 --period 2026-11 --approval "$T/other-office.approval" --out "$T/x.jsonl"
as wu "$JIANCHA" approve --kind export --requester zhang --what events --node 510104 --period 2026-11 --out "$T/wu.approval" >/dev/null
# an approval for another period covers nothing else
refused approval as zhang "$JIANCHA" export --data "$T/city" --what events --node 510104 --period 2026-10 --approval "$T/wu.approval" --out "$T/x.jsonl"
as zhang "$JIANCHA" export --data "$T/city" --what events --node 510104 --period 2026-11 --approval "$T/wu.approval" --out "$T/x.jsonl" >/dev/null ||
    fail "an approved export: $(cat "$T/out")"
jq -s -e 'map(select(.id == "e1")) | any' "$T/x.jsonl" >/dev/null || fail "the export lacks the county's events"

say "-- a deletion needs an approval signed by the province"
seq_e4=$("$JIANCHA" query events --data "$T/county" --node 510104 --json | jq -r 'select(.event.id == "e4") | .seq')
REC=510104/$seq_e4
refused approval as he "$JIANCHA" record delete --data "$T/county" --record "$REC" --reason "录入错误"
as cityadmin "$JIANCHA" approve --kind delete --requester he --record "$REC" --out "$T/city.approval" >/dev/null
refused approval as he "$JIANCHA" record delete --data "$T/county" --record "$REC" --reason "录入错误" --approval "$T/city.approval"
as provadmin "$JIANCHA" approve --kind delete --requester he --record "$REC" --out "$T/prov.approval" >/dev/null
as he "$JIANCHA" record delete --data "$T/county" --record "$REC" --reason "录入错误" --approval "$T/prov.approval" >/dev/null ||
    fail "a deletion approved by the province: $(cat "$T/out")"
deleted() { "$JIANCHA" query events --data "$T/$1" --node 510104 --json | jq -s -e --argjson s "$seq_e4" 'map(select(.seq == $s) | .deleted.reason == "录入错误" and .event == null) | any' >/dev/null; }
deleted county || fail "not deleted at the county"
wait_until 20 deleted province || fail "the deletion did not reach the province"
# a correction the same way, shown beside the original
seq_e2=$("$JIANCHA" query events --data "$T/county" --node 510104 --json | jq -r 'select(.event.id == "e2") | .seq')
as provadmin "$JIANCHA" approve --kind correct --requester he --record "510104/$seq_e2" --field channel --value phone --out "$T/c.approval" >/dev/null
as he "$JIANCHA" record correct --data "$T/county" --record "510104/$seq_e2" --field channel --value phone \
    --reason "渠道登记错误" --approval "$T/c.approval" >/dev/null || fail "an approved correction"
"$JIANCHA" query events --data "$T/county" --node 510104 --json |
    jq -s -e --argjson s "$seq_e2" 'map(select(.seq == $s) | .corrected.value == "phone" and .event.id == "e2") | any' >/dev/null || fail "not corrected"

say "-- every request is in the hash-chained audit log, which travels up"
"$JIANCHA" audit verify --data "$T/county" >"$T/verify" || fail "the county's log: $(cat "$T/verify")"
grep -q '^510104: [0-9]* entries' "$T/verify" || fail "no county log: $(cat "$T/verify")"
entries=$(sed -n 's/^510104: \([0-9]*\) entries (\([0-9]*\) refused.*/\1/p' "$T/verify")
refused_n=$(sed -n 's/^510104: [0-9]* entries (\([0-9]*\) refused.*/\1/p' "$T/verify")
[ "$entries" -ge 12 ] && [ "$refused_n" -ge 8 ] || fail "entries $entries, refused $refused_n: $(cat "$T/verify")"
"$JIANCHA" query events --data "$T/county" --node 510104 --json >"$T/log.json"
jq -s -e 'map(select(.event.type == "audit" and .event.action == "record.delete" and .event.outcome == "stored" and .event.operator == "he")) | any' "$T/log.json" >/dev/null ||
    fail "the deletion is not in the log"
jq -s -e 'map(select(.event.type == "audit" and .event.action == "access.read" and .event.operator == "li")) | length >= 1' "$T/log.json" >/dev/null ||
    fail "the department's read is not in the log"
# (each read of the county adds an entry of its own: the province holds at least what was verified)
up() { "$JIANCHA" audit verify --data "$T/province" --node 510104 >"$T/pv" &&
    [ "$(sed -n 's/^510104: \([0-9]*\) entries.*/\1/p' "$T/pv")" -ge "$entries" ]; }
wait_until 20 up || fail "the county's log at the province: $(cat "$T/pv")"
"$JIANCHA" audit verify --data "$T/city" --node 510100 >"$T/cv" || fail "the city's own log: $(cat "$T/cv")"
grep -q '^510100: [1-9][0-9]* entries' "$T/cv" || fail "no city log: $(cat "$T/cv")"

"$JIANCHA" status --data "$T/county" >"$T/status"
grep -q '^operators roster: version 1, 7 operators' "$T/status" || fail "status: $(cat "$T/status")"
grep -Eq '^audit log: [0-9]+ entries' "$T/status" || fail "status: $(cat "$T/status")"

say "-- a changed entry and a removed one are caught"
audit_seq() { "$JIANCHA" query events --data "$1" --node 510104 --json | jq -r "select(.event.type == \"audit\" and .event.n == $2) | .seq"; }
# the entry of the video patrol: its request text is changed as an intruder would
n_video=$("$JIANCHA" query events --data "$T/county" --node 510104 --json |
    jq -r 'select(.event.type == "audit" and (.event.request | contains("\"video\""))) | .event.n')
s_video=$(audit_seq "$T/county" "$n_video")
"$TAMPER" "$T/county" 510104 "$s_video" replace video vidoe || fail "tamper"
if "$JIANCHA" audit verify --data "$T/county" >"$T/verify"; then fail "a changed entry passed: $(cat "$T/verify")"; fi
grep -q "entry $n_video: the request does not carry" "$T/verify" || fail "not named: $(cat "$T/verify")"
grep -q "entry $((n_video + 1)): its prev is not the hash" "$T/verify" || fail "the chain break not named: $(cat "$T/verify")"
s5=$(audit_seq "$T/province" 5)
"$TAMPER" "$T/province" 510104 "$s5" delete || fail "tamper at the province"
if "$JIANCHA" audit verify --data "$T/province" --node 510104 >"$T/pv"; then fail "a removed entry passed"; fi
grep -q 'entries missing: 6 follows 4' "$T/pv" || fail "the gap not named: $(cat "$T/pv")"
# (entries cut from the end of a node's own log are named too: unit.audit; here every read of the
# running county appends an entry of its own)
say "ok: named operators, approvals for export and deletion, and an audit log that shows tampering"
