#!/usr/bin/env bash
# The Debian packages, tested the way an operator uses them: `make package`'s three .deb files
# installed with `apt-get install ./*.deb` in a clean container of the local base image
# (debian:bookworm), then the installed /usr/bin/lottery-server run with the packaged
# /etc/loteria/config.ini as the packaged user, and the installed agency-cli (and agency-gui
# --help) against it. Also in there: the unit passes `systemd-analyze verify`, and its
# `systemd-analyze security --offline=yes` exposure score is printed and must stay below 2.0.
#
#   tests/docker/test-packages.sh [BUILD_DIR]     (as root; called by run-docker-tests.sh)
#
# BUILD_DIR (default build) must be configured; the packages are built there first. Logs go to
# out/package-tests/. Last line: `N passed, M failed`; exit status non-zero on any failure.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
readonly ROOT
readonly IMAGE=debian:bookworm
readonly OUT=$ROOT/out/package-tests
readonly MAX_EXPOSURE=2.0
build_dir=${1:-$ROOT/build}
mkdir -p "$OUT"
passed=0
failed=0
pass() { passed=$((passed + 1)); echo "PASS: $*"; }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
finish() {
    rm -rf "${work:-}"
    echo "$passed passed, $failed failed"
    [[ $failed -eq 0 ]]
    exit
}

command -v docker >/dev/null || { fail "docker is not installed (scripts/install-deps.sh)"; finish; }
if ! docker image inspect "$IMAGE" >/dev/null 2>&1; then
    # The local base image; docker/bootstrap-base-images.sh makes it when it cannot be pulled.
    "$ROOT/docker/bootstrap-base-images.sh" >"$OUT/bootstrap.log" 2>&1 ||
        { fail "no $IMAGE image (log: $OUT/bootstrap.log)"; finish; }
fi

[[ -f "$build_dir/CMakeCache.txt" ]] || { fail "$build_dir is not a configured build"; finish; }
rm -f "$build_dir"/*.deb
if cmake --build "$build_dir" --target package >"$OUT/package.log" 2>&1; then
    pass "cmake --build $build_dir --target package"
else
    tail -n 30 "$OUT/package.log"
    fail "cmake --build $build_dir --target package"
    finish
fi
work=$(mktemp -d)
cp "$build_dir"/*.deb "$work"/
for package in lottery-server agency-cli agency-gui; do
    if ls "$work/${package}_"*.deb >/dev/null 2>&1; then
        pass "$package .deb built"
    else
        fail "$package .deb built"
    fi
done

# Everything below runs inside the container; each check prints PASS:/FAIL: itself.
cat >"$work/inside.sh" <<'INSIDE'
#!/bin/bash
set -uo pipefail
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; }
check() { local d=$1; shift; if "$@"; then pass "$d"; else fail "$d"; fi; }
cd /packages
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/tmp/apt.log 2>&1
# systemd only for systemd-analyze; nothing here runs it as init.
if apt-get install -y -qq ./*.deb systemd >>/tmp/apt.log 2>&1; then
    pass "apt-get install ./*.deb (dependencies from the archive)"
else
    tail -n 30 /tmp/apt.log; fail "apt-get install ./*.deb"; exit 1
fi
for program in lottery-server agency-cli agency-gui; do
    check "/usr/bin/$program installed, every library found" \
        bash -c "test -x /usr/bin/$program && ! ldd /usr/bin/$program | grep -q 'not found'"
done
check "system user loteria exists" getent passwd loteria
check "/etc/loteria/config.ini is a conffile" \
    bash -c "dpkg-query -W -f='\${Conffiles}' lottery-server | grep -q /etc/loteria/config.ini"
check "/var/lib/loteria belongs to loteria" \
    bash -c "[[ \$(stat -c %U /var/lib/loteria) == loteria ]]"
check ".desktop entry and icon installed" test -f /usr/share/applications/loteria-agencia.desktop \
    -a -f /usr/share/icons/hicolor/scalable/apps/loteria-agencia.svg
MAX_EXPOSURE=${MAX_EXPOSURE:-2.0}
unit=/usr/lib/systemd/system/lottery-server.service
if systemd-analyze verify "$unit" >/tmp/verify.log 2>&1 && [[ ! -s /tmp/verify.log ]]; then
    pass "systemd-analyze verify $unit"
else
    cat /tmp/verify.log; fail "systemd-analyze verify $unit"
fi
systemd-analyze security --offline=yes "$unit" >/tmp/security.log 2>&1
score=$(sed -n 's/.*Overall exposure level for lottery-server.service: \([0-9.]*\).*/\1/p' \
    /tmp/security.log)
echo "exposure score: ${score:-?}"
check "systemd-analyze security --offline=yes: exposure ${score:-?} < $MAX_EXPOSURE" \
    awk -v s="${score:-99}" -v max="$MAX_EXPOSURE" 'BEGIN { exit !(s < max) }'

# The installed server, as the service runs it (its user, its config, its state directory).
# setpriv execs the server itself (runuser would stay its parent and eat the SIGTERM's status).
setpriv --reuid=loteria --regid=loteria --clear-groups /usr/bin/lottery-server --config /etc/loteria/config.ini \
    --storage /var/lib/loteria/bets.csv --agencies 1 --port 12345 >/tmp/server.log 2>&1 &
server=$!
for _ in $(seq 1 100); do grep -q 'action: listen | result: success' /tmp/server.log && break; sleep 0.1; done
check "installed lottery-server listens with /etc/loteria/config.ini" \
    grep -q 'action: listen | result: success' /tmp/server.log
# A bets file: 3000 rows, a winner (7574) every 100th.
awk 'BEGIN { for (i = 0; i < 3000; ++i) printf "Ana,Pérez,%d,1980-05-0%d,%d\r\n", 30000000 + i, 1 + i % 9, (i % 100 == 99) ? 7574 : i % 7000 }' >/tmp/agency-1.csv
expected=$(awk -F, '{ sub(/\r$/, "") } $5 == 7574 { n++ } END { print n + 0 }' /tmp/agency-1.csv)
/usr/bin/agency-cli --agency 1 --server 127.0.0.1:12345 --file /tmp/agency-1.csv >/tmp/agency.log 2>&1
status=$?
got=$(sed -n 's/.*action: consulta_ganadores | result: success | cant_ganadores: \([0-9]*\).*/\1/p' \
    /tmp/agency.log | tail -n 1)
check "installed agency-cli: exit 0, cant_ganadores $got = the file's $expected" \
    test "$status" -eq 0 -a "${got:-x}" = "$expected"
check "the server stored every bet under /var/lib/loteria" \
    bash -c "[[ \$(wc -l </var/lib/loteria/bets.csv) -eq 3000 ]]"
# On a terminal (script gives it one) the installed agency-cli speaks Spanish with its bar.
script -qec "/usr/bin/agency-cli --agency 1 --server 127.0.0.1:12345 --file /tmp/agency-1.csv --lang es" \
    /tmp/terminal.log >/dev/null 2>&1
check "installed agency-cli on a terminal: Spanish summary" grep -q 'ganadores' /tmp/terminal.log
kill -TERM "$server"
wait "$server"
stop_status=$?
check "installed lottery-server stops on SIGTERM with exit 0 ($stop_status)" test "$stop_status" -eq 0
check "agency-gui starts (offscreen, --help)" \
    bash -c "QT_QPA_PLATFORM=offscreen /usr/bin/agency-gui --help | grep -q -- --server"
check "apt-get remove leaves the bets" bash -c "apt-get remove -y -qq lottery-server >/dev/null 2>&1 &&
    test -f /var/lib/loteria/bets.csv && ! test -e /usr/bin/lottery-server"
INSIDE
chmod +x "$work/inside.sh"

docker run --rm --network bridge -e MAX_EXPOSURE="$MAX_EXPOSURE" -v "$work:/packages" "$IMAGE" \
    /packages/inside.sh >"$OUT/container.log" 2>&1
cat "$OUT/container.log" | grep -E '^(PASS|FAIL|exposure)'
grep -q '^exposure score' "$OUT/container.log" || fail "the container ran (log: $OUT/container.log)"
passed=$((passed + $(grep -c '^PASS:' "$OUT/container.log")))
failed=$((failed + $(grep -c '^FAIL:' "$OUT/container.log")))
finish
