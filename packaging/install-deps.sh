#!/usr/bin/env bash
# Installs the Debian 12 packages jiancha builds, tests and runs with. Quiet and idempotent: apt
# is only called when something is missing.
set -euo pipefail
PKGS=(build-essential cmake pkg-config libzmq3-dev libczmq-dev liblmdb-dev lmdb-utils
      libmsgpack-dev libsodium-dev libjansson-dev libcmocka-dev libsystemd-dev libmicrohttpd-dev scdoc jq curl faketime python3
      libpq-dev postgresql-15  # the aggregator's warehouse sink (libpq); the server for its tests
      openssl                  # a certificate for the screen's HTTPS test
      clang libclang-rt-14-dev # the fuzzers (tests/fuzz): clang with libFuzzer
      chromium fonts-noto-cjk    # render the monthly report to PNG
      chromium-driver python3-selenium) # drive the centre's pages in the tests (tests/web)
missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    echo "installing: ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
