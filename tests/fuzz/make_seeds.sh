#!/usr/bin/env bash
# Builds the seed corpora of tests/fuzz/corpus/ from the tree's own files and a real PKI made by
# the CLI: valid inputs the fuzzers start from, so they explore past the first checks.
#   tests/fuzz/make_seeds.sh BUILD_DIR      (a normal build: it runs BUILD_DIR/cli/jiancha)
set -euo pipefail
B=$(cd "${1:?usage: make_seeds.sh BUILD_DIR}" && pwd)
J=$B/cli/jiancha
cd "$(dirname "$0")"
C=corpus
rm -rf "$C"
mkdir -p "$C"/{intake,batch,proto,trust,rules,conf}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

# intake: valid events, one per file, as JSON and as msgpack
head -n 12 ../vectors/events-valid.jsonl | split -l 1 - "$C/intake/event-"
printf '[%s]\n' "$(head -n 3 ../vectors/events-valid.jsonl | paste -sd,)" >"$C/intake/array.json"

# rules and conf: the shipped catalogue, calendar and configs
cp ../../config/catalog.json ../vectors/catalog-lic.json "$C/rules/"
head -n 40 ../../config/cn-workdays.tsv >"$C/rules/cn-workdays.tsv"
cp ../../config/collector.conf ../../config/aggregator.conf "$C/conf/"

# trust: a root, an issuer, a node certificate and a revocation list, as the CLI makes them
"$J" keys root-init --node 510000 --out "$W/offline" >/dev/null
"$J" keys issuer-init --root "$W/offline/root.1.secret" --root-doc "$W/offline/root.1.jc" \
    --out "$W/admin" >/dev/null
"$J" keys request --node 510104 --parent 510100 --out "$W/keys" >/dev/null
"$J" keys issue --issuer "$W/admin/issuer.secret" --issuer-cert "$W/admin/issuer.1.jc" \
    --request "$W/keys/510104.g1.request.jc" --serial 7 --out "$W/certs" >/dev/null
cp "$W/offline/root.1.jc" "$W/admin/issuer.1.jc" "$W/keys/510104.g1.request.jc" "$W/certs/"*.cert \
    "$C/trust/"

# batch and proto: msgpack written by hand (python3, no library), the layouts of docs/protocol.md
python3 - "$C" <<'PY'
import struct, sys, os
C = sys.argv[1]
def enc(v):
    if isinstance(v, bool): return b'\xc3' if v else b'\xc2'
    if isinstance(v, int):
        return (b'\xcf' + struct.pack('>Q', v)) if v >= 0 else (b'\xd3' + struct.pack('>q', v))
    if isinstance(v, str):
        b = v.encode(); return b'\xda' + struct.pack('>H', len(b)) + b
    if isinstance(v, bytes): return b'\xc5' + struct.pack('>H', len(v)) + v
    if isinstance(v, list): return b'\xdc' + struct.pack('>H', len(v)) + b''.join(enc(x) for x in v)
    if isinstance(v, dict):
        return b'\xde' + struct.pack('>H', len(v)) + b''.join(enc(k) + enc(x) for k, x in v.items())
    raise TypeError(v)
def put(d, name, v):
    open(os.path.join(C, d, name), 'wb').write(v)
h = bytes(32)
put('proto', 'hello', enc({'v': 1, 'node': '510104', 'key': '0123456789abcdef', 't': 1793581200000}))
put('proto', 'welcome', enc({'v': 1, 'node': '510100', 'mode': 'all', 'last': 3, 'hash': h}))
put('proto', 'ack', enc({'seq': 4}))
put('proto', 'nack', enc({'seq': 5, 'code': 'gap', 'reason': 'expected batch 4', 'permanent': False, 'expected': 4}))
put('proto', 'refuse', enc({'reason': 'node 510199 is not a known child'}))
put('proto', 'ping', enc({'t': 1793581200000, 'sealed': 9, 'hash': h}))
put('proto', 'command', b'BATCH')
ev = {'type': 'case.accept', 'id': 'e1', 'at': 1793581200000, 'node': '510104', 'case': 'C1',
      'item': 'LIC', 'dept': 'D', 'handler': 'H'}
al = {'type': 'alert', 'id': 'A-0123456789abcdef/1', 'at': 1793581200000, 'node': '510104',
      'alert': {'id': 'A-0123456789abcdef', 'rule': 'limit.case', 'article': '10(2)3', 'light': 'red',
                'state': 'open', 'node': '510104', 'dept': 'D', 'item': 'LIC', 'subject_kind': 'case',
                'subject': 'C1', 'raised_at': 1793581200000, 'detail': 'limit used up',
                'ledger': [[1793581200000, 0, 1]]}}
payload = enc([1, 1, enc(ev)]) + enc([2, 1, enc(al)])
header = enc({'v': 1, 'node': '510104', 'seq': 1, 'prev': h, 'first': 1, 'last': 2, 'count': 2,
              'created': 1793581200000, 'payload': h, 'bytes': len(payload)})
put('batch', 'header+payload', header + payload)
put('batch', 'event', enc(ev))
put('batch', 'alert', enc(al))
put('rules', 'alert', enc(al['alert']))
PY
echo "seeds: $(find "$C" -type f | wc -l) files in $(pwd)/$C"
