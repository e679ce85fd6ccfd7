#!/bin/sh
# Builds one manual page with scdoc: build-man.sh SOURCE.scd OUT COLLECTOR AGGREGATOR WEB
# In jiancha.conf.5 and jiancha-web.8 the key lists come from the daemons themselves (--help-config), so the page
# never drifts from the keys the code takes.
set -eu
src=$1 out=$2 collector=$3 aggregator=$4 web=$5
keys() {
    "$1" --help-config | awk '
        /^[^ ]/ { d = $3; sub(/^default=/, "", d); printf "*%s* (%s, default %s", $1, $2, d
                  for (i = 4; i <= NF; i++) { r = $i; sub(/^range=/, "range ", r); printf ", %s", r }
                  print ")"; next }
        { sub(/^ +/, ""); gsub(/\*/, "\\*"); gsub(/_/, "\\_"); print "\t" $0; print "" }'
}
tmp=$(mktemp)
trap 'rm -f "$tmp" "$tmp.c" "$tmp.a" "$tmp.w"' EXIT
keys "$collector" >"$tmp.c"
keys "$aggregator" >"$tmp.a"
keys "$web" >"$tmp.w"
awk -v c="$tmp.c" -v a="$tmp.a" -v w="$tmp.w" '
    $0 == "@COLLECTOR_KEYS@" { while ((getline l < c) > 0) print l; next }
    $0 == "@AGGREGATOR_KEYS@" { while ((getline l < a) > 0) print l; next }
    $0 == "@WEB_KEYS@" { while ((getline l < w) > 0) print l; next }
    { print }' "$src" >"$tmp"
scdoc <"$tmp" >"$out"
