#!/usr/bin/env bash
# calendar.coverage at one county collector (under the province) from docs/rules.md alone, every
# clock on one pinned file; the config calendar covers 2024-2026, its last covered day 2026-12-31
# ends at 2027-01-01 00:00 +08:00, so "30 days before it ends" is 2026-12-02 00:00:
# - 11-25 and 12-01 12:00: no calendar.coverage; 12-02 00:00:30: yellow;
# - 12-29: cases accepted 12-24 and decided 12-28 (D1 clean, D2 with a basis.missing yellow)
#   never count a 2027 day, and C1 (accepted Thu 12-24) and C3 (Mon 12-21), 10 wd and open, are
#   only scheduled on guessed days: coverage stays yellow until the end (docs/decisions.md);
# - 2027-01-14 10:00: coverage red since 01-01 00:00, C1 red provisional, C3 red; the province publishes calendar 2 (2027 covered,
#   01-01 and 01-04..08 holidays): C1 lowered, C3 corrected, coverage cleared, all "calendar 2";
# - 01-16 00:00:30: C1 red on its new day, and the county equals `jiancha evaluate` (calendar 2).
# Hand counts (10 wd, from the day after acceptance, yellow day ceil(0.8*10) = 8, each light at
# the midnight after its day; old calendar: 2027 guessed Mon-Fri, 01-01 a working day):
#   C1 old: 12-25 28 29 30 31 | 01-01 04 05(d8) 06 07(d10)      -> yellow 01-06, red 01-08
#   C1 new: 12-25 28 29 30 31 | 01-11 12 13(d8) 14 15(d10)      -> yellow 01-14, red 01-16
#   C3 old: 12-22 23 24 25 28 29 30 31(d8) | 01-01 04(d10)      -> yellow 01-01, red 01-05
#   C3 new: 12-22 23 24 25 28 29 30 31(d8) | 01-11 12(d10)      -> yellow 01-01, red 01-13
. "$(dirname "$0")/lib.sh"

pin_clocks 2026-11-25T10:00:00+08:00
set_clock "$T/tree.clock"
use_clock "$T/tree.clock"
at() { set_clock "$T/tree.clock" $(($(date -d "$1" +%s) - $(date -d 2026-11-25T10:00:00+08:00 +%s))); }

CAL=$SRC/config/cn-workdays.tsv
cp "$SRC/tests/vectors/catalog-lic-plain.json" "$T/catalog.json" # LIC, 10 wd, no credential
keys 510000; keys 510104
PUB="bundle
    publisher_key = $T/keys/510000.pub"
aggregator_config province 510000 "$PUB"
start province
collector_config county 510104 "$(endpoint_of province)" "rules
    catalog = $T/catalog.json
    calendar = $CAL
$PUB"
start county

Q=2026-12; R=2027-01; Z=T00:00:00.000+08:00
cov() { "$JIANCHA" query alerts --data "$T/county" --rule calendar.coverage --json; }
cov_is() { cov | holds "$1"; }
alert() { "$JIANCHA" query alerts --data "$T/county" --json | jq -c "select(.case == \"$1\" and .rule == \"$2\")"; }
is() { alert "$1" "$2" | holds "$3"; }
judged_all() { "$JIANCHA" status --data "$T/county" | grep -Eq '^rules pass: judged through record ([0-9]+) of \1 stored'; }
none_for() { sleep "$1"; [ -z "$(cov | jq -c 'select(.state != "cleared")')" ] || fail "$2: $(cov)"; }

say "-- 2026-11-25 and 2026-12-01 12:00: more than 30 days before the end, no coverage alarm"
none_for 3 "calendar.coverage on 11-25"
at 2026-12-01T12:00:00+08:00
none_for 3 "calendar.coverage on 12-01 12:00 (the end is 30.5 days away)"
at 2026-12-02T00:00:30+08:00
wait_until 15 cov_is ".finding == \"yellow\" and .state == \"open\" and .raised_at == \"$Q-02$Z\"" ||
    fail "no yellow coverage from 12-02 00:00: $(cov)"

say "-- 2026-12-29: cases decided before 2027 leave it yellow"
at 2026-12-29T10:00:00+08:00
cat >"$T/decided.jsonl" <<'EOF2'
{"type":"case.accept","id":"a-D1","at":"2026-12-24T09:00:00+08:00","case":"D1","item":"LIC","dept":"SCJGJ","handler":"h"}
{"type":"case.step","id":"s-D1","at":"2026-12-25T09:00:00+08:00","case":"D1","step":"决定","handler":"h"}
{"type":"case.decision","id":"d-D1","at":"2026-12-28T10:00:00+08:00","case":"D1","outcome":"grant","handler":"h","basis":["法1"]}
{"type":"case.accept","id":"a-D2","at":"2026-12-24T09:00:00+08:00","case":"D2","item":"LIC","dept":"SCJGJ","handler":"h"}
{"type":"case.step","id":"s-D2","at":"2026-12-25T09:00:00+08:00","case":"D2","step":"决定","handler":"h"}
{"type":"case.decision","id":"d-D2","at":"2026-12-28T10:00:00+08:00","case":"D2","outcome":"grant","handler":"h","basis":["法9"]}
EOF2
"$JIANCHA" send --data "$T/county" "$T/decided.jsonl" >/dev/null || fail "send decided"
wait_until 15 is D2 basis.missing '.finding == "yellow"' || fail "D2 not judged: $(alert D2 basis.missing)"
sleep 2
cov_is '.finding == "yellow"' || fail "decided cases changed the coverage light: $(cov)"
[ -z "$(alert D1 limit.case)$(alert D2 limit.case)" ] || fail "limit light on a decided case"

say "-- open cases whose clocks run into 2027: a schedule, still yellow before 2027"
cat >"$T/open.jsonl" <<'EOF2'
{"type":"case.accept","id":"a-C1","at":"2026-12-24T09:00:00+08:00","case":"C1","item":"LIC","dept":"SCJGJ","handler":"h"}
{"type":"case.accept","id":"a-C3","at":"2026-12-21T09:00:00+08:00","case":"C3","item":"LIC","dept":"SCJGJ","handler":"h"}
EOF2
"$JIANCHA" send --data "$T/county" "$T/open.jsonl" >/dev/null || fail "send open"
wait_until 15 judged_all || fail "the open cases were not judged"
sleep 2
cov_is '.finding == "yellow"' || fail "coverage changed before the calendar's end: $(cov)"
[ -z "$(alert C1 limit.case)$(alert C3 limit.case)" ] || fail "a limit light before its day"

say "-- 2027-01-14 10:00, old calendar: C1 red provisional (01-06/01-08), C3 red (01-01/01-05)"
at 2027-01-14T10:00:00+08:00
c1old=".finding == \"red\" and .provisional == true and .raised_at == \"$R-06$Z\" and .finding_at == \"$R-08$Z\""
wait_until 15 is C1 limit.case "$c1old" || fail "C1 with the old calendar: $(alert C1 limit.case)"
c3old=".finding == \"red\" and .raised_at == \"$R-01$Z\" and .finding_at == \"$R-05$Z\""
wait_until 15 is C3 limit.case "$c3old" || fail "C3 with the old calendar: $(alert C3 limit.case)"
cov_is ".finding == \"red\" and .finding_at == \"$R-01$Z\"" || fail "coverage not red from 01-01: $(cov)"

say "-- the province publishes calendar 2"
{ cat "$CAL"; printf '2027-01-01\tholiday\t元旦\n'
  for d in 04 05 06 07 08; do printf '2027-01-%s\tholiday\t测试\n' $d; done; } >"$T/cal2.tsv"
"$JIANCHA" bundle publish --kind calendar --file "$T/cal2.tsv" --version 2 \
    --key "$T/keys/510000.secret" --to "$(endpoint_of province)" >/dev/null || fail "publish"
by() { echo "any(.ledger[]; .action == \"$1\" and .cause == \"calendar 2\")"; }
c1new=".finding == \"yellow\" and (.provisional | not) and .raised_at == \"$R-14$Z\" and $(by lowered)"
wait_until 20 is C1 limit.case "$c1new" || fail "C1 after calendar 2: $(alert C1 limit.case)"
c3new=".finding == \"red\" and .raised_at == \"$R-01$Z\" and .finding_at == \"$R-13$Z\" and $(by corrected)"
wait_until 20 is C3 limit.case "$c3new" || fail "C3 after calendar 2: $(alert C3 limit.case)"
wait_until 20 cov_is ".state == \"cleared\" and $(by cleared)" || fail "coverage after calendar 2: $(cov)"

say "-- 2027-01-16 00:00:30: C1 red on its new day; the county equals evaluate with calendar 2"
at 2027-01-16T00:00:30+08:00
wait_until 20 is C1 limit.case ".finding == \"red\" and .raised_at == \"$R-14$Z\" and .finding_at == \"$R-16$Z\"" ||
    fail "C1 on 01-16: $(alert C1 limit.case)"
"$JIANCHA" evaluate --catalog "$T/catalog.json" --calendar "$T/cal2.tsv" --node 510104 \
    --as-of 2027-01-16T00:00:30+08:00 <(cat "$T/decided.jsonl" "$T/open.jsonl") 2>/dev/null |
    jq -c 'select(.rule != "item.offline") | {id, rule, finding, raised_at, finding_at}' | sort >"$T/want"
"$JIANCHA" query alerts --data "$T/county" --json | jq -c 'select(.state != "cleared" and
    (.rule | test("^(node|calendar|patrol)[.]") | not)) | {id, rule, finding, raised_at, finding_at}' | sort >"$T/got"
diff "$T/want" "$T/got" || fail "the county differs from evaluate with calendar 2"
cov_is '.state == "cleared"' || fail "coverage came back with 2027 covered: $(cov)"
say "ok: calendar.coverage yellow/red on its days, guessed deadlines provisional, calendar 2 corrects them"
