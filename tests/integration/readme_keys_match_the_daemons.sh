#!/usr/bin/env bash
# The README's configuration tables are what the daemons print with --help-config (a key added to
# a daemon and not to the README fails here; the manual page jiancha.conf(5) is generated).
. "$(dirname "$0")/lib.sh"

for role in collector aggregator web; do
    exe=$COLLECTOR
    [ $role = aggregator ] && exe=$AGGREGATOR
    [ $role = web ] && exe=$WEB
    awk -v h="### jiancha-$role" '$0 == h { on = 1; next } on && /^```$/ { if (in_block) exit; in_block = 1; next } in_block' \
        "$SRC/README.md" >"$T/readme.$role"
    "$exe" --help-config >"$T/daemon.$role"
    diff -u "$T/readme.$role" "$T/daemon.$role" >"$T/diff.$role" ||
        fail "README's jiancha-$role table differs from --help-config: $(cat "$T/diff.$role")"
done
say "ok: the README lists every key the daemons take"
