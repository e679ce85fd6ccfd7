#!/bin/sh
# Re-fetch the pinned ECharts from the npm registry, check the tarball against the integrity
# (sha512) pinned in VERSION, and only then copy dist/echarts.min.js, LICENSE and NOTICE here.
#   web/pages/vendor/echarts/fetch.sh          fetch, check, copy
#   web/pages/vendor/echarts/fetch.sh --check  only check the copy here against VERSION (offline)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
version=$(awk '$1 == "echarts" {print $2}' "$here/VERSION")
integrity=$(awk '$1 == "integrity" {print $2}' "$here/VERSION")
minsha=$(awk '$1 == "echarts.min.js" && $2 == "sha256" {print $3}' "$here/VERSION")
[ -n "$version" ] && [ -n "$integrity" ] && [ -n "$minsha" ] || { echo "fetch.sh: VERSION incomplete" >&2; exit 1; }

if [ "${1:-}" = "--check" ]; then
    echo "$minsha  $here/echarts.min.js" | sha256sum -c --quiet - || { echo "fetch.sh: echarts.min.js is not echarts $version" >&2; exit 1; }
    echo "echarts.min.js is echarts $version"
    exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "echarts@$version" >/dev/null)
tgz="$tmp/echarts-$version.tgz"
[ -f "$tgz" ] || { echo "fetch.sh: npm pack gave no $tgz" >&2; exit 1; }
# node comes with npm: hash with it rather than count on openssl being installed
got=$(node -e 'process.stdout.write("sha512-" + require("crypto").createHash("sha512")
    .update(require("fs").readFileSync(process.argv[1])).digest("base64"))' "$tgz")
if [ "$got" != "$integrity" ]; then
    echo "fetch.sh: integrity mismatch for echarts@$version" >&2
    echo "  pinned: $integrity" >&2
    echo "  got:    $got" >&2
    exit 1
fi
tar -xzf "$tgz" -C "$tmp" package/dist/echarts.min.js package/LICENSE package/NOTICE package/licenses
echo "$minsha  $tmp/package/dist/echarts.min.js" | sha256sum -c --quiet - || { echo "fetch.sh: dist/echarts.min.js differs from VERSION" >&2; exit 1; }
cp "$tmp/package/dist/echarts.min.js" "$tmp/package/LICENSE" "$tmp/package/NOTICE" "$here/"
mkdir -p "$here/licenses" && cp "$tmp"/package/licenses/* "$here/licenses/"
echo "echarts $version fetched, integrity checked"
