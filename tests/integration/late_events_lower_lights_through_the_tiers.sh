#!/usr/bin/env bash
# Events arriving the way business systems send them, through county -> city -> province, all
# on one clock pinned to 2026-11-20 10:00 +08:00 (libfaketime's timestamp file):
# - October's events first: case C1 (accepted 10-23, 10 wd) shows red, since no decision is known;
#   November's decision dated 11-06 (its 10th working day) arrives later and lowers it to the
#   yellow it always was, with a `lowered` ledger entry naming the event, at every tier;
# - a case suspended and never resumed (C3) stands still: no limit light, and the collector keeps
#   answering its intake;
# - C1 and C2 (decided on its 9th day) keep their yellow findings unanswered past the answer
#   window: the light shown turns red for the missed answer, but the finding stays yellow and both
#   still count as concluded on time in the scores at every tier; the escalation is counted apart;
# - the county's alerts equal `jiancha evaluate` over the same events as of the same instant.
. "$(dirname "$0")/lib.sh"

pin_clocks 2026-11-20T10:00:00+08:00
set_clock "$T/tree.clock"
use_clock "$T/tree.clock" # every process of this test

CAL=$SRC/config/cn-workdays.tsv
cp "$SRC/tests/vectors/catalog-lic-plain.json" "$T/catalog.json" # LIC, 10 wd, no credential
province_and_city
collector_config county 510104 "$(endpoint_of city)" "rules
    catalog = $T/catalog.json
    calendar = $CAL"
start county

cat >"$T/october.jsonl" <<'EOF2'
{"type":"case.accept","id":"a-C1","at":"2026-10-23T09:00:00+08:00","case":"C1","item":"LIC","dept":"SCJGJ","handler":"h"}
{"type":"case.accept","id":"a-C2","at":"2026-10-26T09:00:00+08:00","case":"C2","item":"LIC","dept":"SCJGJ","handler":"h"}
{"type":"case.step","id":"s-C2","at":"2026-10-28T09:00:00+08:00","case":"C2","step":"决定","handler":"h"}
{"type":"case.decision","id":"d-C2","at":"2026-11-06T10:00:00+08:00","case":"C2","outcome":"grant","handler":"h","basis":["法1"]}
{"type":"case.accept","id":"a-C3","at":"2026-11-02T09:00:00+08:00","case":"C3","item":"LIC","dept":"SCJGJ","handler":"h"}
{"type":"case.suspend","id":"p-C3","at":"2026-11-04T09:00:00+08:00","case":"C3","reason":"专家评审"}
EOF2
cat >"$T/november.jsonl" <<'EOF2'
{"type":"case.step","id":"s-C1","at":"2026-10-27T09:00:00+08:00","case":"C1","step":"决定","handler":"h"}
{"type":"case.decision","id":"d-C1","at":"2026-11-06T16:00:00+08:00","case":"C1","outcome":"grant","handler":"h","basis":["法1"]}
EOF2
"$JIANCHA" send --data "$T/county" "$T/october.jsonl" >/dev/null || fail "send October"
alert() { "$JIANCHA" query alerts --data "$T/$1" --rule limit.case --json | jq -c "select(.case == \"$2\")"; }
is() { alert "$1" "$2" | holds "$3"; }
wait_until 20 is province C1 '.finding == "red" and .light == "red"' ||
    fail "C1 is not red before its decision is known: $(alert county C1)"

say "-- November's decision arrives: C1 is lowered to yellow at every tier"
"$JIANCHA" send --data "$T/county" "$T/november.jsonl" >/dev/null ||
    fail "the county stopped answering its intake (C3 is suspended and never resumed)"
lowered='.finding == "yellow" and .light == "yellow" and .raised_at == "2026-11-05T00:00:00.000+08:00" and (.ledger[-1] | .action == "lowered" and .cause == "event d-C1")'
for n in county city province; do
    wait_until 20 is $n C1 "$lowered" || fail "C1 at the $n: $(alert $n C1)"
done
[ -z "$(alert county C3)" ] || fail "a light for a case standing still: $(alert county C3)"
"$JIANCHA" evaluate --catalog "$T/catalog.json" --calendar "$CAL" --node 510104 \
    --as-of 2026-11-20T10:00:30+08:00 <(cat "$T/october.jsonl" "$T/november.jsonl") 2>/dev/null |
    jq -c 'select(.rule != "item.offline") | {id, rule, finding, raised_at, finding_at}' | sort >"$T/want"
"$JIANCHA" query alerts --data "$T/county" --json |
    jq -c 'select(.state != "cleared" and (.rule | startswith("node.") | not)) | {id, rule, finding, raised_at, finding_at}' | sort >"$T/got"
diff "$T/want" "$T/got" || fail "the county's findings differ from evaluate over the same events"

say "-- twelve days on, nobody answered: shown red, still yellow findings, still on time"
set_clock "$T/tree.clock" $((12 * 86400))
for c in C1 C2; do
    wait_until 30 is province $c '.light == "red" and .finding == "yellow" and .feedback_steps == 1' ||
        fail "$c at the province: $(alert province $c)"
done
scores() { "$JIANCHA" query scores --data "$T/$1" --period 2026-11 --by node --node 510104 --json; }
on_time() { scores "$1" | holds '.concluded == 2 and .on_time == 2 and .yellow == 2 and .red == 0 and .escalated == 2'; }
for n in county city province; do
    wait_until 90 on_time $n || fail "the $n's scores: $(scores $n)"
done
# the whole tree's clock moved at once: no node disagreed with its parent
[ -z "$("$JIANCHA" query alerts --data "$T/county" --rule node.clock --json)" ] ||
    fail "node.clock for a clock the parent shares: $("$JIANCHA" query alerts --data "$T/county" --rule node.clock --json)"
say "ok: lights follow late events, a standing case costs nothing, answers never make a case late"
