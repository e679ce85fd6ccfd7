#!/usr/bin/env bash
# Certificates end to end: an offline root certifies an issuer, the issuer certifies every node
# from a request made on the node, and a province, a city and a county run on them over CurveZMQ
# (the county's certificate checked at the city and, for carried batches, at the province). Each
# of these is refused with its reason logged and nothing stored: an expired certificate, one not
# yet valid, one from an unknown issuer, a revoked one, a transport key in no certificate, a
# connection without CurveZMQ, a county key posing as the city, a revocation list older than the
# one in force, a root document not signed by its predecessor. A county that is connected when its certificate is revoked is cut off within 10 s
# of the list reaching its city, and its later batches are not stored.
. "$(dirname "$0")/lib.sh"

FAKELIB=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -n 1)
[ -n "$FAKELIB" ] || { say "skip: libfaketime is not installed"; exit 77; }
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"

pki_init
enrol 510000 "" 1000
enrol 510100 510000 1001
enrol 510104 510100 1002
enrol 510105 510100 1003          # revoked before it ever connects
enrol 510106 510100 1004 -400d    # expired five days ago
enrol 510107 510100 1005 +10d     # valid from eight days on
# a certificate from an issuer the trust does not hold
"$JIANCHA" keys issuer-init --root "$T/offline/root.1.secret" --root-doc "$T/offline/root.1.jc" \
    --serial 2 --out "$T/admin2" >/dev/null || fail "issuer 2"
"$JIANCHA" keys request --node 510108 --parent 510100 --out "$K" >/dev/null
"$JIANCHA" keys issue --issuer "$T/admin2/issuer.secret" --issuer-cert "$T/admin2/issuer.2.jc" \
    --request "$K/510108.g1.request.jc" --serial 1006 --out "$T/certs" >/dev/null || fail "issue 510108"
cp "$T/certs/510108.1006.cert" "$T/trust/"
"$JIANCHA" keys list --trust "$T/trust" >"$T/list.txt"
grep -Eq '^1004 +510106 .* expired' "$T/list.txt" || fail "list: $(cat "$T/list.txt")"
grep -Eq '^1006 +510108 .* unknown issuer' "$T/list.txt" || fail "list: $(cat "$T/list.txt")"
# 510105 is revoked at once; this list (version 1) is kept to be replayed later
"$JIANCHA" keys revoke --trust "$T/trust" --issuer "$T/admin/issuer.secret" --serial 1003 \
    --reason superseded >/dev/null || fail "revoke 1003"
cp "$T/trust/crl.jc" "$T/crl.v1.jc"
cert_tree

SENT_FROM=$(date -u +%Y-%m-%dT%H:%M:%SZ)
sleep 1
"$EVENTGEN" --node 510104 --count 2000 --seed 8 >"$T/events.jsonl"
"$JIANCHA" send --data "$T/county" "$T/events.jsonl" >/dev/null || fail "send"
at_province() { [ "$(events "$T/province" 510104 | wc -l)" = 2000 ]; }
wait_until 30 at_province || fail "the county's events did not reach the province on certificates"

# --- refusals at the city, each with its reason ---
# Every link is CurveZMQ: a credential that is not good enough is refused at the handshake by the
# city's authentication handler, which logs why; the client never gets to say HELLO.
EP=$(endpoint_of city)
refused() { # NODE PATTERN: a CurveZMQ client with NODE's g1 transport key
    if FORGE_SERVER_KEY=$K/510100.g1.curve-pub FORGE_CURVE=$K/$1.g1.curve-secret FORGE_WAIT_MS=1500 \
        "$FORGE" "$EP" "$K/$1.g1.secret" hello >"$T/f.out"; then fail "$1 admitted"; fi
    grep -q "no answer" "$T/f.out" || fail "$1: $(cat "$T/f.out")"
    wait_until 5 grep -q "zap: connection refused .*$2" "$T/city.log" || fail "refusal of $1 ($2) not logged"
}
refused 510106 "its certificate 1004 expired"
refused 510107 "its certificate 1005 is not yet valid"
refused 510108 "issued by an unknown issuer"
refused 510105 "its certificate 1003 is revoked (superseded)"
"$JIANCHA" keys request --node 510109 --parent 510100 --out "$K" >/dev/null   # never certified
refused 510109 "a transport key in no certificate"
# a connection without CurveZMQ
if FORGE_WAIT_MS=1500 "$FORGE" "$EP" "$K/510104.g1.secret" hello >"$T/f.out"; then fail "a plain connection got in"; fi
wait_until 5 grep -q "zap: a connection failed the CurveZMQ handshake" "$T/city.log" ||
    fail "the plain connection was not logged"
# the county's transport key, claiming the city's place at the province
if FORGE_SERVER_KEY=$K/510000.g1.curve-pub FORGE_CURVE=$K/510104.g1.curve-secret FORGE_WAIT_MS=1500 \
    "$FORGE" "$(endpoint_of province)" "$K/510104.g1.secret" hello >"$T/f.out"; then
    fail "a county key got into the province"
fi
wait_until 5 grep -q "zap: connection refused .*transport key of 510104, whose certificate names parent 510100" \
    "$T/province.log" || fail "posing not logged at the province"
# and the county's signing key relabelled as the city's, at the HELLO (no CurveZMQ key of its own)
sed 's/ 510104 / 510100 /' "$K/510104.g1.secret" >"$T/posing.secret"; chmod 600 "$T/posing.secret"
if FORGE_WAIT_MS=1500 "$FORGE" "$(endpoint_of province)" "$T/posing.secret" hello >"$T/f.out"; then
    fail "a relabelled county key posed as the city"
fi
for n in 510105 510106 510107 510108 510109; do
    [ -z "$(events "$T/city" $n)" ] || fail "something of refused node $n was stored"
done

# --- revoking the connected county: cut off within 10 s of the list reaching the city ---
# compromised since before its 2000 events were sent: they stay, quarantined for audit
"$JIANCHA" keys revoke --trust "$T/trust" --issuer "$T/admin/issuer.secret" --serial 1002 \
    --reason compromised --since "$SENT_FROM" >/dev/null || fail "revoke 1002"
"$JIANCHA" keys crl publish --crl "$T/trust/crl.jc" --key "$K/510000.g1.secret" \
    --to "$(endpoint_of province)" --server-key "$K/510000.g1.curve-pub" >/dev/null || fail "crl publish"
wait_until 10 grep -q "session cut off node=510104: .*revoked (compromised)" "$T/city.log" ||
    fail "the revoked county was not cut off: $(tail -n 5 "$T/city.log")"
wait_until 10 grep -Eq "(session refused node=510104|zap: connection refused).*revoked \(compromised\)" \
    "$T/city.log" || fail "the revoked county was let in again"
"$EVENTGEN" --node 510104 --count 10 --seed 9 --prefix late >"$T/late.jsonl"
"$JIANCHA" send --data "$T/county" "$T/late.jsonl" >/dev/null || fail "send late"
sleep 2
[ "$(events "$T/city" 510104 | wc -l)" = 2000 ] || fail "batches of a revoked county were stored"
# each tier quarantines what it holds and raises its own alarm (the city's also reaches the province)
for dn in city:510100 province:510000; do
    d=${dn%%:*} n=${dn#*:}
    quarantined() { local out; out=$("$JIANCHA" status --data "$T/$d"); grep -Eq '^quarantined batches: [1-9]' <<<"$out"; }
    wait_until 10 quarantined || fail "$d quarantined nothing of the compromised key"
    "$JIANCHA" query alerts --data "$T/$d" --json |
        jq -s -e --arg n "$n" 'map(select(.rule == "key.compromised" and .light == "red" and .node == $n)) | length == 1' >/dev/null ||
        fail "$d: no key.compromised alarm of its own"
done
[ "$(events "$T/province" 510104 | wc -l)" = 2000 ] || fail "quarantined events were removed"

# --- an older revocation list than the one in force ---
if "$JIANCHA" keys crl publish --crl "$T/crl.v1.jc" --key "$K/510000.g1.secret" \
    --to "$(endpoint_of province)" --server-key "$K/510000.g1.curve-pub" 2>"$T/old.err"; then fail "an older list was taken"; fi
grep -q "stale" "$T/old.err" || fail "older list: $(cat "$T/old.err")"

# --- a root document not signed by its predecessor ---
"$JIANCHA" keys gen --node 510000 --out "$T/rogue" >/dev/null
"$JIANCHA" keys root-init --node 510000 --version 2 --prev "$T/rogue/510000.secret" \
    --out "$T/rogue" >/dev/null || fail "rogue root"
cp "$T/rogue/root.2.jc" "$T/trust-city/"
stop city
start city
grep -q "root document .*root.2.jc refused: root version 2 is not signed by its predecessor" "$T/city.log" ||
    fail "the rogue root was not refused"
"$JIANCHA" keys list --trust "$T/trust-city" | grep -q '^root version 1;' || fail "the chain moved"
say "ok: certificates carry a province, a city and a county; every bad credential refused with its reason; a revoked county cut off"
