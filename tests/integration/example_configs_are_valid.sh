#!/usr/bin/env bash
# Every example config in config/ passes --check-config.
. "$(dirname "$0")/lib.sh"

n=0
for f in "$SRC"/config/*.conf; do
    case "$(head -n 20 "$f" | grep -m1 -E '^(collector|aggregator)$')" in
    collector) "$COLLECTOR" --check-config -c "$f" >/dev/null || fail "$f" ;;
    aggregator) "$AGGREGATOR" --check-config -c "$f" >/dev/null || fail "$f" ;;
    *) fail "$f: no collector or aggregator section" ;;
    esac
    n=$((n + 1))
done
[ $n -ge 2 ] || fail "expected example configs in config/"
say "ok: $n example configs valid"
