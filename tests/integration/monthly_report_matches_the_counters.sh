#!/usr/bin/env bash
# The monthly report (art. 12, 13) of a simulated November across a province, two cities and four
# counties on real daemons: every figure the report takes from the counters equals what the
# counties count themselves (and what `query scores` sums at the province), its lights by node
# equal the counted lights, the city's report covers its own counties only, the Markdown and HTML
# are in Chinese with offline charts, and the HTML is rendered to PNG in headless Chromium.
. "$(dirname "$0")/lib.sh"

CAL=$SRC/config/cn-workdays.tsv
for n in 510000 510100 510300 510104 510105 510302 510303; do keys $n; done
UP=$FAST_UPLINK
DESK=$NOVEMBER_DESK
aggregator_config province 510000 "$DESK"
start province
for c in 510100 510300; do
    aggregator_config "a$c" $c "aggregator
    key = $T/keys/$c.secret
uplink
    endpoint = $(endpoint_of province)
$UP
$DESK"
    start "a$c"
done
declare -A CITY=([510104]=510100 [510105]=510100 [510302]=510300 [510303]=510300)
seed=1
for c in 510104 510105 510302 510303; do
    november_county $c "$(endpoint_of "a${CITY[$c]}")" $((seed++)) 4
done
# some office work in the month: patrols, a supervision case, answers
for d in 02 03 04; do
    for h in 09 15; do
        "$JIANCHA" patrol --data "$T/c510104" --supervisor he --target 510104 --kind data \
            --at "2026-11-${d}T$h:00:00+08:00" >/dev/null || fail "patrol"
    done
done
"$JIANCHA" supervise open --data "$T/a510100" --id DB-11-1 --target 510104/SCJGJ --subject 核查 \
    --by zhang --at 2026-11-05T10:00:00+08:00 >/dev/null || fail "supervise"

sheets() { "$JIANCHA" query scores --data "$1" --period 2026-11 --node "$2" --json; }
wait_until 120 sheets_settled province 510104 510105 510302 510303 ||
    fail "the counties' sheets did not all reach the province"
# the offices' desks have judged their patrol days and supervision cases
until_true 20 '[ -n "$("$JIANCHA" query alerts --data "$T/province" --rule patrol.shortfall --json)" ]' ||
    fail "no patrol judgement reached the province"

R=$T/report
mkdir -p "$R"
for f in csv md html; do
    "$JIANCHA" report monthly --data "$T/province" --period 2026-11 --tier-root 510000 --format $f \
        --out "$R/province.$f" || fail "report $f"
done
"$JIANCHA" report monthly --data "$T/a510100" --period 2026-11 --tier-root 510100 --format csv \
    --out "$R/city.csv" || fail "city report"

# value SECTION KEY METRIC [FILE]
value() { awk -F, -v s="$1" -v k="\"$2\"" -v m="$3" '$1 == s && $2 == k && $4 == m { print $5 }' "${4:-$R/province.csv}"; }

say "-- each county's figures are what the county counts itself"
total_cases=0
for c in 510104 510105 510302 510303; do
    own=$(sheets "$T/c$c" $c)
    for m in cases concluded on_time red yellow ratings ratings_good response_due responded_in_time complaints; do
        want=$(jq -r ".$m" <<<"$own")
        got=$(value node $c $m)
        [ "$got" = "$want" ] || fail "$c $m: report $got, county $want"
    done
    score=$(jq -r .score <<<"$own")
    got=$(value node $c score)
    awk -v a="$got" -v b="$score" 'BEGIN { exit (a - b < 0.01 && b - a < 0.01) ? 0 : 1 }' ||
        fail "$c score: report $got, county $score"
    # the lights the report lists for a county are the lights its sheets count
    [ "$(value node_lights $c red)" = "$(jq -r .red <<<"$own")" ] ||
        fail "$c red lights: report $(value node_lights $c red), counted $(jq -r .red <<<"$own")"
    [ "$(value node_lights $c yellow)" = "$(jq -r .yellow <<<"$own")" ] ||
        fail "$c yellow lights: report $(value node_lights $c yellow), counted $(jq -r .yellow <<<"$own")"
    total_cases=$((total_cases + $(jq -r .cases <<<"$own")))
done
[ "$total_cases" -gt 1000 ] || fail "too few cases for a month: $total_cases"
say "-- totals and regions are the sums query scores gives at the province"
"$JIANCHA" query scores --data "$T/province" --period 2026-11 --json >"$T/scores.json"
for m in cases concluded on_time red yellow ratings complaints; do
    want=$(jq -s "map(.$m) | add" "$T/scores.json")
    [ "$(value total 510000 $m)" = "$want" ] || fail "total $m: report $(value total 510000 $m), scores $want"
done
"$JIANCHA" query scores --data "$T/province" --period 2026-11 --by region --json >"$T/regions.json"
for g in 510000 510100 510300; do
    want=$(jq -r "select(.key == \"$g\") | .cases" "$T/regions.json")
    [ "$(value region $g cases)" = "$want" ] || fail "region $g cases: report $(value region $g cases), scores $want"
done
# lights by rule add up to the lights by node
rules_red=$(awk -F, '$1 == "rule" && $4 == "red" { s += $5 } END { print s + 0 }' "$R/province.csv")
[ "$rules_red" = "$(value total 510000 red)" ] || fail "red by rule $rules_red, total $(value total 510000 red)"
# ranks follow scores
awk -F, '$1 == "node" && $4 == "score" { print $5 }' "$R/province.csv" | sort -c -r -g ||
    fail "nodes are not ranked by score"
say "-- the office's work"
[ "$(value handling 510000 cases_opened)" = 1 ] || fail "supervision cases opened: $(value handling 510000 cases_opened)"
[ "$(value patrol 510104 patrols)" = 6 ] || fail "patrols of 510104: $(value patrol 510104 patrols)"
[ "$(value patrol 510104 workdays)" -ge 15 ] || fail "working days of 510104: $(value patrol 510104 workdays)"
short=$(value patrol 510104 short_days)
[ "$short" -ge 1 ] && [ "$short" -le "$(($(value patrol 510104 workdays) - 3))" ] ||
    fail "510104 short on $short days (patrolled enough on 3)"
say "-- the city's report covers its own counties only"
[ "$(value node 510104 cases "$R/city.csv")" = "$(value node 510104 cases)" ] || fail "510104 in the city report"
[ -z "$(value node 510302 cases "$R/city.csv")" ] || fail "the other city's county is in the city report"
[ "$(value total 510100 cases "$R/city.csv")" = "$(value region 510100 cases)" ] || fail "city total"
say "-- in Chinese, with charts that need no network"
for h in 一、总体情况 二、办件情况 三、预警报警情况 四、预警处理与督查督办 五、典型问题 六、巡查情况 七、群众满意度 八、绩效评估与排名; do
    grep -q "$h" "$R/province.md" || fail "no section $h in the Markdown"
    grep -q "$h" "$R/province.html" || fail "no section $h in the HTML"
done
grep -q '锦江区' "$R/province.md" || fail "nodes are not named"
[ "$(grep -c '<svg' "$R/province.html")" = 2 ] || fail "not two charts"
grep -Eq 'src=|href=|<script[^>]*src' "$R/province.html" && fail "the HTML loads something"
# written for leaders: rules, departments and items by name, no internal codes in the text
grep -q '证据缺失\|违反办理程序\|承诺时限' "$R/province.md" || fail "rules are not named in Chinese"
grep -Eq '\| *(evidence|procedure|limit|discretion|qualification)[.a-z]*\|' "$R/province.md" &&
    fail "a rule code in the text: $(grep -E '(evidence|procedure|limit)\.' "$R/province.md" | head -n 3)"
grep -q '口径说明' "$R/province.md" || fail "no note on what the on-time rate and the time-limit alarms count"
if command -v chromium >/dev/null; then
    # the whole page: its height as the page measures itself, then a screenshot of that height
    height=$(timeout 60 chromium --headless --no-sandbox --disable-gpu --dump-dom \
        "file://$R/province.html" 2>/dev/null | grep -o 'data-height="[0-9]*"' | grep -o '[0-9]*')
    [ -n "$height" ] && [ "$height" -gt 1000 ] || fail "the page did not measure itself: '$height'"
    timeout 60 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
        --window-size=1100,"$height" --screenshot="$R/province.png" "file://$R/province.html" \
        >/dev/null 2>&1 || fail "chromium could not render the report"
    [ "$(head -c 8 "$R/province.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "not a PNG"
    png_height=$(python3 -c 'import struct,sys; print(struct.unpack(">I", open(sys.argv[1],"rb").read(24)[20:24])[0])' "$R/province.png")
    [ "$png_height" = "$height" ] || fail "the PNG is $png_height px high, the page $height"
    [ "$(stat -c %s "$R/province.png")" -gt 50000 ] || fail "the PNG is nearly empty"
    [ -n "${JIANCHA_REPORT_PNG:-}" ] && cp "$R/province.png" "$JIANCHA_REPORT_PNG"
    say "rendered $(stat -c %s "$R/province.png") bytes of PNG"
else
    say "(chromium not installed: the PNG is not rendered; packaging/install-deps.sh installs it)"
fi
say "ok: the monthly report of 4 counties, 2 cities and the province matches their counters"
