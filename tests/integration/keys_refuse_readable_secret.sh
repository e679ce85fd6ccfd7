#!/usr/bin/env bash
# `jiancha keys gen` writes a 0600 secret; a collector refuses to start with a secret that others
# can read, naming the file.
. "$(dirname "$0")/lib.sh"

"$JIANCHA" keys gen --node 510104 --out "$T/keys" | grep -q 'key id [0-9a-f]\{16\}' || fail "no key id"
[ "$(stat -c %a "$T/keys/510104.secret")" = 600 ] || fail "secret is not 0600"
if "$JIANCHA" keys gen --node 510104 --out "$T/keys" 2>"$T/again.err"; then fail "overwrote a secret"; fi
grep -q 'already there' "$T/again.err" || fail "$(cat "$T/again.err")"
chmod 644 "$T/keys/510104.secret"
collector_config county 510104 tcp://127.0.0.1:9
if "$COLLECTOR" -c "$T/county.cfg" 2>"$T/county.err"; then fail "started with a readable secret"; fi
grep -q "refusing secret key path=$T/keys/510104.secret mode=644" "$T/county.err" || fail "$(cat "$T/county.err")"
say "ok: secret keys are 0600 and refused otherwise"
