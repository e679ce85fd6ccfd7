#!/usr/bin/env bash
# --check-config names the file, the line and the key of a mistake, and exits non-zero.
. "$(dirname "$0")/lib.sh"

cat >"$T/bad.cfg" <<'CFG'
collector
    node = 510104
    data = /tmp/x
    key = /tmp/x.secret
uplink
    endpoint = tcp://127.0.0.1:7100
    windwo = 8
CFG
if "$COLLECTOR" --check-config -c "$T/bad.cfg" 2>"$T/err"; then fail "accepted an unknown key"; fi
grep -q "bad.cfg:7: unknown key \"uplink/windwo\"" "$T/err" || fail "$(cat "$T/err")"
sed -i 's/windwo = 8/window = 999/' "$T/bad.cfg"
if "$COLLECTOR" --check-config -c "$T/bad.cfg" 2>"$T/err"; then fail "accepted 999"; fi
grep -q "bad.cfg:7: key \"uplink/window\": value 999 is outside 1..256" "$T/err" || fail "$(cat "$T/err")"
sed -i '/node = 510104/d' "$T/bad.cfg"
sed -i 's/window = 999/window = 8/' "$T/bad.cfg"
if "$COLLECTOR" --check-config -c "$T/bad.cfg" 2>"$T/err"; then fail "accepted a missing node"; fi
grep -q 'required key "collector/node" is missing' "$T/err" || fail "$(cat "$T/err")"
say "ok: config errors name file, line and key"
