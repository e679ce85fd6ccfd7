#!/usr/bin/env bash
# Builds the Debian packages (jiancha, jiancha-collector, jiancha-aggregator) from this tree the
# Debian way (dpkg-buildpackage -b -us -uc, debhelper 13) and checks them with lintian.
#   packaging/build-debs.sh [OUT_DIR]        (default: ./debs)
# The build runs in a clean copy of the tree (tracked files and new ones git does not ignore),
# so a developer's build/ directory never leaks into a package.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$(mkdir -p "${1:-$ROOT/debs}" && cd "${1:-$ROOT/debs}" && pwd)
"$ROOT/packaging/install-deps.sh"
need=(debhelper dpkg-dev fakeroot lintian)
missing=()
for p in "${need[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    echo "installing: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
VERSION=$(dpkg-parsechangelog -l "$ROOT/debian/changelog" -S Version)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
SRC="$WORK/jiancha-$VERSION"
mkdir -p "$SRC"
(cd "$ROOT" && git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t "$SRC")
echo "building jiancha $VERSION in $SRC"
(cd "$SRC" && dpkg-buildpackage -b -us -uc -j"$(nproc)" >"$WORK/build.log" 2>&1) || {
    tail -n 40 "$WORK/build.log"
    echo "build-debs: dpkg-buildpackage failed (log above)" >&2
    exit 1
}
cp "$WORK"/*.deb "$WORK"/*.buildinfo "$WORK"/*.changes "$OUT/"
echo "packages in $OUT:"
ls -1 "$OUT"/*_"$VERSION"_*.deb
# lintian: errors fail the build; warnings are listed (README: the ones left and why).
lintian --fail-on error --suppress-tags-from-file "$ROOT/packaging/lintian-accepted" \
    "$OUT"/jiancha_"$VERSION"_*.changes
