#!/usr/bin/env bash
# Every example config in config/ passes --check-config once the files it names are in place (its
# /etc/jiancha, /var/lib/jiancha and /usr/share/jiancha moved under a scratch root, with the
# node keys it names made there); taken away again, each missing file is named with its line.
. "$(dirname "$0")/lib.sh"

R="$T/root"
mkdir -p "$R/etc/jiancha/keys" "$R/etc/jiancha/children" "$R/var/lib/jiancha" "$R/usr/share/jiancha"
# the trust's anchor a collector judges the publisher by (bundle/root)
"$JIANCHA" keys root-init --node 510000 --out "$R/etc/jiancha/trust" >/dev/null || fail "root-init"
cp "$SRC/config/catalog.json" "$SRC/config/cn-workdays.tsv" "$SRC/config/regions.tsv" "$R/usr/share/jiancha/"
cp -r "$SRC/web/pages" "$R/usr/share/jiancha/web"
# the screen's config names the aggregator's store, which its daemon made
mkdir -p "$R/var/lib/jiancha/aggregator" && : >"$R/var/lib/jiancha/aggregator/data.mdb"
echo "ipc:///run/jiancha-aggregator/intake.sock" >"$R/var/lib/jiancha/aggregator/intake.endpoint"
n=0
for f in "$SRC"/config/*.conf; do
    g="$T/$(basename "$f")"
    sed -e "s|/etc/jiancha|$R/etc/jiancha|g; s|/var/lib/jiancha|$R/var/lib/jiancha|g" \
        -e "s|/usr/share/jiancha|$R/usr/share/jiancha|g" "$f" >"$g"
    # every NODE.secret it names is made (a keypair of that node)
    for key in $(grep -Eo "$R/etc/jiancha/keys/[0-9]{6}\.(secret|pub)" "$g" | sort -u); do
        node=$(basename "${key%.*}")
        [ -e "$R/etc/jiancha/keys/$node.secret" ] ||
            "$JIANCHA" keys gen --node "$node" --out "$R/etc/jiancha/keys" >/dev/null
    done
    case "$(head -n 20 "$f" | grep -m1 -E '^(collector|aggregator|web)$')" in
    collector) exe=$COLLECTOR ;;
    aggregator) exe=$AGGREGATOR ;;
    web) exe=$WEB ;;
    *) fail "$f: no collector, aggregator or web section" ;;
    esac
    "$exe" --check-config -c "$g" >"$T/out" 2>&1 || fail "$f: $(cat "$T/out")"
    n=$((n + 1))
done
[ $n -ge 3 ] || fail "expected example configs in config/"

# the same configs with their files missing: each one named, with the config's line and key
mv "$R/usr/share/jiancha/cn-workdays.tsv" "$T/"
rm "$R"/etc/jiancha/keys/*.secret "$R/etc/jiancha/trust/root.1.jc"
g="$T/collector.conf"
if "$COLLECTOR" --check-config -c "$g" 2>"$T/err"; then fail "a missing key file passed"; fi
line=$(grep -n '^ *key = ' "$g" | head -n 1 | cut -d: -f1)
grep -q "collector.conf:$line: key \"collector/key\": .*510104.secret" "$T/err" ||
    fail "missing key not named with its line ($line): $(cat "$T/err")"
line=$(grep -n '^ *calendar = ' "$g" | head -n 1 | cut -d: -f1)
grep -q "collector.conf:$line: key \"rules/calendar\": .*cn-workdays.tsv" "$T/err" ||
    fail "missing calendar not named with its line ($line): $(cat "$T/err")"
line=$(grep -n '^ *root = ' "$g" | head -n 1 | cut -d: -f1)
grep -q "collector.conf:$line: key \"bundle/root\": .*root.1.jc" "$T/err" ||
    fail "missing root not named with its line ($line): $(cat "$T/err")"
g="$T/aggregator.conf"
if "$AGGREGATOR" --check-config -c "$g" 2>"$T/err"; then fail "a missing calendar passed"; fi
line=$(grep -n '^ *calendar = ' "$g" | head -n 1 | cut -d: -f1)
grep -q "aggregator.conf:$line: key \"desk/calendar\": .*cn-workdays.tsv" "$T/err" ||
    fail "missing desk calendar not named with its line ($line): $(cat "$T/err")"
chmod 0500 "$R/var/lib/jiancha"
if [ "$(id -u)" != 0 ]; then # root writes anywhere: the mode check means nothing for it
    if "$AGGREGATOR" --check-config -c "$g" 2>"$T/err"; then fail "an unwritable data dir passed"; fi
    grep -q 'key "aggregator/data"' "$T/err" || fail "unwritable data dir: $(cat "$T/err")"
fi
say "ok: $n example configs valid with their files, and each missing file named"
