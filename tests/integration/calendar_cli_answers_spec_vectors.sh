#!/usr/bin/env bash
# `jiancha calendar` answers the spec's test vectors from the shipped calendar, warns past the
# calendar's last year, and picks up a replaced calendar file without a rebuild.
. "$(dirname "$0")/lib.sh"

CAL=$SRC/config/cn-workdays.tsv
check() { local got; got=$("$JIANCHA" calendar due "$1" "$2" wd --calendar "$CAL"); [ "$got" = "$3" ] || fail "$1 +$2: $got, want $3"; }
check 2025-09-26 20 2025-10-30
check 2025-09-26 30 2025-11-13
check 2026-02-13 5 2026-02-27
check 2024-09-27 10 2024-10-16
check 2025-12-31 1 2026-01-04
check 2026-04-30 5 2026-05-11
"$JIANCHA" calendar is-workday 2026-01-04 --calendar "$CAL" | grep -qx yes || fail "adjusted Sunday"
if "$JIANCHA" calendar is-workday 2025-10-01 --calendar "$CAL" >/dev/null; then fail "National Day"; fi
"$JIANCHA" calendar due 2026-12-30 3 --calendar "$CAL" 2>"$T/warn" >/dev/null
grep -q "outside the calendar's years 2024-2026" "$T/warn" || fail "no warning past the calendar"
# a newer calendar (2027 published, New Year's Day off) replaces the old one without a rebuild
cp "$CAL" "$T/cal.tsv"
printf '2027-01-01\tholiday\t元旦\n' >>"$T/cal.tsv"
[ "$("$JIANCHA" calendar due 2026-12-30 3 --calendar "$T/cal.tsv" 2>"$T/warn2")" = 2027-01-05 ] ||
    fail "replaced calendar not used"
[ ! -s "$T/warn2" ] || fail "warned although 2027 is covered: $(cat "$T/warn2")"
say "ok: calendar vectors, warning past the end, replaceable file"
