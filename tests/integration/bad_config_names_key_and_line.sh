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
# a broken indentation is named with its line (zconfig itself says only that it does not parse)
printf 'collector\n    node = 510104\n   data = /tmp/x\n' >"$T/indent.cfg"
if "$COLLECTOR" --check-config -c "$T/indent.cfg" 2>"$T/err"; then fail "accepted 3 spaces"; fi
grep -q 'indent.cfg:3: not valid ZPL' "$T/err" || fail "$(cat "$T/err")"

# past the syntax: what the values name must be usable, each named with its line
keys 510104
cat >"$T/named.cfg" <<CFG
collector
    node = 510104
    data = $T/named-data
    key = $T/keys/510104.secret
uplink
    endpoint = 127.0.0.1:7100
CFG
if "$COLLECTOR" --check-config -c "$T/named.cfg" 2>"$T/err"; then fail "accepted an endpoint without tcp://"; fi
grep -q 'named.cfg:6: key "uplink/endpoint": "127.0.0.1:7100": an endpoint starts with tcp:// or ipc://' "$T/err" ||
    fail "$(cat "$T/err")"
sed -i 's#endpoint = 127.0.0.1:7100#endpoint = tcp://127.0.0.1:99999#' "$T/named.cfg"
if "$COLLECTOR" --check-config -c "$T/named.cfg" 2>"$T/err"; then fail "accepted port 99999"; fi
grep -q 'named.cfg:6: key "uplink/endpoint": .*the port must be 1..65535' "$T/err" || fail "$(cat "$T/err")"
sed -i 's#tcp://127.0.0.1:99999#tcp://127.0.0.1:7100#; s#node = 510104#node = 5101#' "$T/named.cfg"
if "$COLLECTOR" --check-config -c "$T/named.cfg" 2>"$T/err"; then fail "accepted node 5101"; fi
grep -q 'named.cfg:2: key "collector/node": "5101" is not a six-digit division code' "$T/err" || fail "$(cat "$T/err")"
sed -i 's#node = 5101#node = 510104#' "$T/named.cfg"
"$COLLECTOR" --check-config -c "$T/named.cfg" >/dev/null 2>"$T/err" || fail "a usable config refused: $(cat "$T/err")"
say "ok: config errors name file, line and key"
