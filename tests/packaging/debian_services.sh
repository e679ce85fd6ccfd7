#!/usr/bin/env bash
# packaging: the Debian packages installed and run as an administrator would, in a booted Debian 12
# (debootstrap, then systemd-nspawn -b: systemd is PID 1 inside). Builds the packages twice
# (version N from this tree, N+1 the same tree with a newer changelog entry), installs N, and
# runs a province, a city and a county on one machine through the template units. Then checks:
#   - the user, the group and the units are there; all three report ready (Type=notify);
#   - systemd-analyze security rates the units 2.0 or lower;
#   - the centre's screen (jiancha-web@province) serves the sign-in page, signs an operator of the
#     roster in with a link, shows the tree and logs its reads at the province;
#   - an adapter inside jiancha-intake sends events, another user cannot; the events reach the
#     province exactly once; the journal filters by level;
#   - kill -9 of the collector: systemd restarts it and nothing is lost;
#   - an aggregator stopped with SIGSTOP is restarted by the watchdog (5 s here, by a drop-in);
#   - an upgrade to N+1 restarts the daemons, keeps every record and goes on;
#   - purging a daemon's package keeps the node's configuration and data.
# Needs root, network to the Debian mirror (apt), and about 5 minutes. .ci/run runs it after
# ./test.sh; KEEP=1 keeps the root for a look (/var/tmp/jiancha-pkg.*).
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d /var/tmp/jiancha-pkg.XXXXXX)
NSPAWN=""
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "-- $*"; }
cleanup() {
    if [ -n "$NSPAWN" ] && kill -0 "$NSPAWN" 2>/dev/null; then
        kill "$NSPAWN" 2>/dev/null || true
        sleep 2
        kill -9 "$NSPAWN" 2>/dev/null || true
    fi
    [ "${KEEP:-0}" = 1 ] && { echo "kept: $T"; return; }
    rm -rf "$T"
}
trap cleanup EXIT
for p in debootstrap systemd-container; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$p" >/dev/null
done

step "packages N and N+1"
DEB_BUILD_OPTIONS=nocheck "$SRC/packaging/build-debs.sh" "$T/debs-n" >"$T/build-n.log" 2>&1 ||
    { tail -n 30 "$T/build-n.log"; fail "building version N"; }
V=$(dpkg-parsechangelog -l "$SRC/debian/changelog" -S Version)
V1="$V+t1"
mkdir -p "$T/next"
(cd "$SRC" && git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t "$T/next")
{
    printf 'jiancha (%s) bookworm; urgency=medium\n\n  * Test upgrade.\n\n' "$V1"
    # dated a day after the entry it follows (lintian wants a newer date), never today's
    printf ' -- jiancha maintainers <maintainers@users.noreply.r-seed-46aecc92.example>  %s\n\n' \
        "$(date -R -d "$(dpkg-parsechangelog -l "$SRC/debian/changelog" -S Date) + 1 day")"
    cat "$SRC/debian/changelog"
} >"$T/next/debian/changelog"
(cd "$T/next" && git init -q && git add -A) # build-debs copies what git lists
DEB_BUILD_OPTIONS=nocheck "$T/next/packaging/build-debs.sh" "$T/debs-n1" >"$T/build-n1.log" 2>&1 ||
    { tail -n 30 "$T/build-n1.log"; fail "building version N+1"; }

step "a Debian 12 root (debootstrap)"
R="$T/root"
debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus bookworm "$R" \
    http://deb.debian.org/debian >"$T/debootstrap.log" 2>&1 ||
    { tail -n 20 "$T/debootstrap.log"; fail "debootstrap"; }
cp /etc/resolv.conf "$R/etc/resolv.conf"
mkdir -p "$R/tmp/n" "$R/srv/n1"
cp "$T"/debs-n/jiancha*_"$V"_*.deb "$R/tmp/n/"
cp "$T"/debs-n1/jiancha*_"$V1"_*.deb "$R/srv/n1/"
rm -f "$R"/tmp/n/*dbgsym* "$R"/srv/n1/*dbgsym*

step "install N and configure a province, a city and a county"
chroot "$R" sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq /tmp/n/*.deb' \
    >"$T/install.log" 2>&1 || { tail -n 20 "$T/install.log"; fail "apt install N"; }
chroot "$R" getent passwd jiancha >/dev/null || fail "no jiancha user"
chroot "$R" getent group jiancha-intake >/dev/null || fail "no jiancha-intake group"
chroot "$R" sh -ec '
mkdir -p /etc/jiancha/keys /etc/jiancha/children-city /etc/jiancha/children-province
jiancha keys gen --node 510104 --out /etc/jiancha/keys >/dev/null
jiancha keys gen --node 510100 --out /etc/jiancha/keys >/dev/null
jiancha keys gen --node 510000 --out /etc/jiancha/keys >/dev/null
cp /etc/jiancha/keys/510104.pub /etc/jiancha/children-city/
cp /etc/jiancha/keys/510104.pub /etc/jiancha/keys/510100.pub /etc/jiancha/children-province/
chown -R jiancha: /etc/jiancha/keys /etc/jiancha/children-city /etc/jiancha/children-province
chmod 0700 /etc/jiancha/keys
cat > /etc/jiancha/aggregator-province.conf <<EOC
aggregator
    node = 510000
    data = /var/lib/jiancha/aggregator-province
    keys = /etc/jiancha/children-province
listen
    endpoint = tcp://127.0.0.1:7200
intake
    endpoint = ipc:///run/jiancha-aggregator-province/intake.sock
desk
    calendar = /usr/share/jiancha/cn-workdays.tsv
bundle
    publisher_key = /etc/jiancha/keys/510000.pub
EOC
cat > /etc/jiancha/web-province.conf <<EOC
web
    node = 510000
    data = /var/lib/jiancha/aggregator-province
    intake = ipc:///run/jiancha-aggregator-province/intake.sock
    listen = 127.0.0.1:18480
    catalog = /usr/share/jiancha/catalog.json
EOC
cat > /etc/jiancha/aggregator-city.conf <<EOC
aggregator
    node = 510100
    data = /var/lib/jiancha/aggregator-city
    keys = /etc/jiancha/children-city
    key = /etc/jiancha/keys/510100.secret
listen
    endpoint = tcp://127.0.0.1:7100
uplink
    endpoint = tcp://127.0.0.1:7200
intake
    endpoint = ipc:///run/jiancha-aggregator-city/intake.sock
desk
    calendar = /usr/share/jiancha/cn-workdays.tsv
EOC
cat > /etc/jiancha/collector-county.conf <<EOC
collector
    node = 510104
    data = /var/lib/jiancha/collector-county
    key = /etc/jiancha/keys/510104.secret
intake
    endpoint = ipc:///run/jiancha-collector-county/intake.sock
uplink
    endpoint = tcp://127.0.0.1:7100
rules
    catalog = /usr/share/jiancha/catalog.json
    calendar = /usr/share/jiancha/cn-workdays.tsv
EOC
mkdir -p /etc/systemd/system/jiancha-aggregator@.service.d
printf "[Service]\nWatchdogSec=5s\n" > /etc/systemd/system/jiancha-aggregator@.service.d/test.conf
systemctl enable jiancha-aggregator@province jiancha-aggregator@city jiancha-collector@county \
    jiancha-web@province 2>/dev/null
# the province office: its supervisor, for the screen
mkdir -p /root/ops
jiancha operator key --name zhao --node 510000 --out /root/ops >/dev/null
{ echo "{\"version\": 1, \"operators\": ["
  jiancha operator entry --name zhao --role supervisor --node 510000 --pub /root/ops/zhao.pub
  echo "]}"; } > /root/ops/roster.json
useradd -m -G jiancha-intake adapter
useradd -m other
'
events() { # events FIRST COUNT > file: case.accept records of the county
    for i in $(seq "$1" $(($1 + $2 - 1))); do
        printf '{"type":"case.accept","id":"pkg-%d","at":"2026-11-02T09:00:00+08:00","case":"C-PKG-%d","item":"510104-XK-001","dept":"510104-SCJ","handler":"H01"}\n' "$i" "$i"
    done
}
events 1 100 >"$R/srv/batch1.jsonl"
events 101 100 >"$R/srv/batch2.jsonl"
events 201 100 >"$R/srv/batch3.jsonl"
chmod 644 "$R"/srv/batch*.jsonl

step "boot it"
inside() { nsenter -t "$INIT" -a "$@"; }
# boot: 0 once systemd inside runs; 1 (boot log kept) when the container died on the way
boot() {
    systemd-nspawn --register=no --keep-unit --console=passive -D "$R" -b >>"$T/boot.log" 2>&1 &
    NSPAWN=$!
    INIT=""
    for _ in $(seq 100); do
        INIT=$(pgrep -P "$NSPAWN" | head -n 1 || true)
        [ -n "$INIT" ] && break
        sleep 0.2
    done
    [ -n "$INIT" ] || return 1
    for _ in $(seq 120); do
        kill -0 "$NSPAWN" 2>/dev/null || return 1
        state=$(inside systemctl is-system-running 2>/dev/null || true)
        case "$state" in running | degraded) return 0 ;; esac
        sleep 0.5
    done
    return 0
}
if ! boot; then
    # a container that dies while booting is nspawn's, not the packages' (seen once under load):
    # shown, then booted once more
    echo "   the container stopped while booting; again (boot log: $(tail -n 3 "$T/boot.log" | tr '\n' ' '))"
    wait "$NSPAWN" 2>/dev/null || true
    boot || fail "the container did not boot: $(tail -n 30 "$T/boot.log")"
fi
units="jiancha-aggregator@province jiancha-aggregator@city jiancha-collector@county jiancha-web@province"
for _ in $(seq 60); do
    inside systemctl is-active -q $units && break
    sleep 0.5
done
for u in $units; do
    [ "$(inside systemctl is-active "$u")" = active ] ||
        fail "$u is not active: $(inside journalctl -u "$u" --no-pager -n 20)"
done
# tmpfiles.d made the data's parent the service user's (at boot: apt ran in a chroot)
[ "$(inside stat -c '%U %a' /var/lib/jiancha)" = "jiancha 700" ] ||
    fail "/var/lib/jiancha: $(inside stat -c '%U %a' /var/lib/jiancha)"
status=$(inside systemctl show -p StatusText --value jiancha-collector@county)
[ "$status" = "collecting for node 510104" ] || fail "collector status \"$status\""
status=$(inside systemctl show -p StatusText --value jiancha-aggregator@city)
[ "$status" = "aggregating for node 510100" ] || fail "city status \"$status\""

step "systemd-analyze security"
for u in jiancha-collector@county jiancha-aggregator@city jiancha-web@province; do
    level=$(inside systemd-analyze security "$u.service" --no-pager | awk '/Overall exposure level/ {print $(NF-2)}')
    echo "   $u: $level"
    awk -v l="$level" 'BEGIN { exit !(l != "" && l <= 2.0) }' || fail "$u rated $level, above 2.0"
done

step "who may send"
out=$(inside su adapter -s /bin/sh -c 'jiancha send --to ipc:///run/jiancha-collector-county/intake.sock /srv/batch1.jsonl' 2>&1) ||
    fail "the adapter could not send: $out"
echo "$out" | grep -q "100 accepted" || fail "adapter: $out"
if out=$(inside su other -s /bin/sh -c 'timeout 10 jiancha send --to ipc:///run/jiancha-collector-county/intake.sock /srv/batch1.jsonl' 2>&1); then
    fail "a user outside jiancha-intake could send: $out"
fi
echo "$out" | grep -q "Permission denied" || fail "other user: $out"
inside stat -c '%a %U' /var/lib/jiancha/collector-county | grep -qx '700 jiancha' ||
    fail "data directory: $(inside stat -c '%a %U' /var/lib/jiancha/collector-county)"

# the county's events held at the province (read as the province's supervisor: the screen's step
# below publishes a roster, and reads are then named)
at_province() {
    inside env JIANCHA_OPERATOR=zhao JIANCHA_OPERATOR_KEY=/root/ops/zhao.secret jiancha query events --data /var/lib/jiancha/aggregator-province --node 510104 --json --limit 100000 |
        grep -c '"type":"case.accept"' || true
}
wait_province() {
    for _ in $(seq 120); do
        [ "$(at_province)" = "$1" ] && return 0
        sleep 0.5
    done
    fail "the province holds $(at_province) of the county's events, not $1"
}
wait_province 100
inside journalctl -u jiancha-collector@county -p info --no-pager | grep -q "info collector: started node=510104" ||
    fail "no info line in the journal"
if inside journalctl -u jiancha-collector@county -p warning --no-pager | grep -q " info "; then
    fail "journalctl -p warning shows info lines"
fi

step "the centre's screen"
# no session: the sign-in page and 401 (the screen shares the host's network)
code=$(curl -s -o "$T/page" -w '%{http_code}' http://127.0.0.1:18480/)
[ "$code" = 200 ] && grep -q 'jiancha web login' "$T/page" || fail "the screen's sign-in page: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:18480/api/v1/me)
[ "$code" = 401 ] || fail "an anonymous API read got $code"
inside jiancha bundle publish --kind operators --file /root/ops/roster.json \
    --key /etc/jiancha/keys/510000.secret --to tcp://127.0.0.1:7200 >/dev/null || fail "publish the roster"
link=$(inside jiancha web login --url http://127.0.0.1:18480 --node 510000 --operator zhao \
    --key /root/ops/zhao.secret 2>/dev/null)
cookie=""
for _ in $(seq 20); do # the roster reaches the store within a moment
    cookie=$(curl -s -o "$T/signin" -D - "$link" | sed -n 's/^Set-Cookie: jiancha_session=\([0-9a-f]*\);.*/\1/p')
    [ -n "$cookie" ] && break
    grep -q 'holds no roster' "$T/signin" || fail "sign-in refused: $(cat "$T/signin")"
    sleep 0.5
    link=$(inside jiancha web login --url http://127.0.0.1:18480 --node 510000 --operator zhao \
        --key /root/ops/zhao.secret 2>/dev/null)
done
[ -n "$cookie" ] || fail "no session: $(cat "$T/signin")"
me=$(curl -s -H "Cookie: jiancha_session=$cookie" http://127.0.0.1:18480/api/v1/me)
echo "$me" | grep -q '"operator":"zhao"' || fail "me: $me"
n=$(curl -s -H "Cookie: jiancha_session=$cookie" http://127.0.0.1:18480/api/v1/nodes | grep -o '"node":"510104"' | wc -l)
[ "$n" = 1 ] || fail "the screen does not show the county: $(curl -s -H "Cookie: jiancha_session=$cookie" http://127.0.0.1:18480/api/v1/nodes)"
# its reads were logged at the province through the intake socket, from inside its sandbox
reads=$(inside env JIANCHA_OPERATOR=zhao JIANCHA_OPERATOR_KEY=/root/ops/zhao.secret jiancha query events \
    --data /var/lib/jiancha/aggregator-province --node 510000 --json | grep -c '"session":"signin-' || true)
[ "$reads" -ge 2 ] || fail "the screen's reads were not logged at the province ($reads)"
inside test -w /var/lib/jiancha/aggregator-province/data.mdb -a "$(inside stat -c %U /var/lib/jiancha/aggregator-province/data.mdb)" = jiancha ||
    fail "the province's store changed owner"

step "kill -9 of the collector"
pid=$(inside systemctl show -p MainPID --value jiancha-collector@county)
inside sh -c "kill -9 $pid"
for _ in $(seq 40); do
    new=$(inside systemctl show -p MainPID --value jiancha-collector@county)
    [ "$new" != 0 ] && [ "$new" != "$pid" ] && inside systemctl is-active -q jiancha-collector@county && break
    sleep 0.5
done
[ "$new" != "$pid" ] && [ "$new" != 0 ] || fail "the collector was not restarted"
inside su adapter -s /bin/sh -c 'jiancha send --to ipc:///run/jiancha-collector-county/intake.sock /srv/batch2.jsonl' >/dev/null 2>&1 ||
    fail "sending after the restart"
wait_province 200

step "a reload, and a node that cannot start"
inside systemctl reload jiancha-aggregator@city || fail "systemctl reload"
wait_for() { for _ in $(seq 40); do "$@" && return 0; sleep 0.5; done; return 1; }
wait_for sh -c "nsenter -t $INIT -a journalctl -u jiancha-aggregator@city --no-pager | grep -q 'aggregator: reloaded'" ||
    fail "no reload in the journal"
inside sh -c 'sed "s#endpoint = tcp://127.0.0.1:7100#endpoint = 127.0.0.1:7100#; s#collector-county#collector-broken#g" \
    /etc/jiancha/collector-county.conf > /etc/jiancha/collector-broken.conf'
inside systemctl start jiancha-collector@broken 2>/dev/null || true
# it stops retrying (5 starts in 2 minutes), and the reason is in the journal at error level
wait_for sh -c "[ \"\$(nsenter -t $INIT -a systemctl is-failed jiancha-collector@broken)\" = failed ] &&
    [ \"\$(nsenter -t $INIT -a systemctl show -p NRestarts --value jiancha-collector@broken)\" -ge 4 ]" ||
    fail "the broken node did not stop retrying: $(inside systemctl show -p NRestarts -p ActiveState jiancha-collector@broken)"
inside journalctl -u jiancha-collector@broken -p warning --no-pager | grep -q 'key "uplink/endpoint"' ||
    fail "journalctl -p warning does not say why it failed: $(inside journalctl -u jiancha-collector@broken --no-pager | tail -n 5)"
inside systemctl reset-failed jiancha-collector@broken
inside rm /etc/jiancha/collector-broken.conf

step "the watchdog restarts a stopped aggregator"
pid=$(inside systemctl show -p MainPID --value jiancha-aggregator@city)
inside sh -c "kill -STOP $pid"
for _ in $(seq 60); do
    new=$(inside systemctl show -p MainPID --value jiancha-aggregator@city)
    [ "$new" != 0 ] && [ "$new" != "$pid" ] && break
    sleep 0.5
done
[ "$new" != "$pid" ] || fail "the stopped city was not restarted"
inside journalctl -u jiancha-aggregator@city --no-pager | grep -q "Watchdog timeout" ||
    fail "no watchdog timeout in the journal"

step "upgrade to $V1"
declare -A before
for u in $units; do before[$u]=$(inside systemctl show -p MainPID --value "$u"); done
inside sh -c 'DEBIAN_FRONTEND=noninteractive apt-get install -y -qq /srv/n1/*.deb' >"$T/upgrade.log" 2>&1 ||
    { tail -n 20 "$T/upgrade.log"; fail "apt install N+1"; }
[ "$(inside dpkg-query -W -f='${Version}' jiancha-collector)" = "$V1" ] || fail "not upgraded"
for _ in $(seq 60); do
    inside systemctl is-active -q $units && break
    sleep 0.5
done
for u in $units; do
    [ "$(inside systemctl is-active "$u")" = active ] || fail "$u not active after the upgrade"
    after=$(inside systemctl show -p MainPID --value "$u")
    [ "$after" != "${before[$u]}" ] || fail "the upgrade did not restart $u (pid $after)"
done
inside su adapter -s /bin/sh -c 'jiancha send --to ipc:///run/jiancha-collector-county/intake.sock /srv/batch3.jsonl' >/dev/null 2>&1 ||
    fail "sending after the upgrade"
wait_province 300
dups=$(inside env JIANCHA_OPERATOR=zhao JIANCHA_OPERATOR_KEY=/root/ops/zhao.secret jiancha query events --data /var/lib/jiancha/aggregator-province --node 510104 --json --limit 100000 |
    grep -o '"id":"pkg-[0-9]*"' | sort | uniq -d | wc -l)
[ "$dups" = 0 ] || fail "$dups events held twice at the province"

step "purge keeps the node's configuration and data"
inside sh -c 'DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq jiancha-collector' >"$T/purge.log" 2>&1 ||
    { tail -n 20 "$T/purge.log"; fail "apt purge"; }
inside test ! -e /lib/systemd/system/jiancha-collector@.service || fail "unit left after purge"
inside test -f /etc/jiancha/collector-county.conf || fail "purge removed the node's configuration"
inside test -f /var/lib/jiancha/collector-county/data.mdb || fail "purge removed the node's data"
inside systemctl poweroff >/dev/null 2>&1 || true
wait "$NSPAWN" 2>/dev/null || true
NSPAWN=""
echo "packaging: all passed"
