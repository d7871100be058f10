#!/usr/bin/env bash
# The Debian packages, tested the way an operator uses them. On the host: `make package`'s three
# .deb files must be lintian-clean (no E: or W: at lintian's default level), and a second build
# of the same tree with a higher version is made for the upgrade. Then, in a container of the
# local base image (debian:bookworm) that boots systemd, so that the maintainer scripts and the
# unit run for real:
#   1. `apt-get install ./*.deb` (dependencies from the archive): files, user, conffile,
#      copyright, changelog, manual pages (every --help option), the unit verified and its
#      exposure score below 2.0; the service neither enabled nor started, nothing listening on
#      12345, and the packaged config.ini naming only installed documentation and listening on
#      127.0.0.1 only.
#   2. The operator configures 2 agencies and runs `systemctl enable --now lottery-server`.
#      Agency 2 uploads and waits for the draw; agency 1 uploads part of a million bets and is
#      paused (SIGSTOP); the higher version is installed with apt-get: the postinst restarts the
#      running service (graceful stop, new process). Agency 1 goes on: both agencies reconnect,
#      resume, get their winners, and every bet of both files is stored exactly once.
#   3. A policy-rc.d that says 101 holds the restart; an upgrade leaves a stopped service
#      stopped; `apt-get remove` stops it and leaves the bets, `apt-get purge` removes the
#      conffile and still leaves the bets.
#
#   tests/docker/test-packages.sh [BUILD_DIR]     (as root; called by run-docker-tests.sh)
#
# BUILD_DIR (default build) must be configured; the packages are built there first. Installs
# lintian with apt-get when it is missing. Keeps the image loteria-package-test:bookworm (the
# base image plus systemd) for the next run; the container is removed at the end. Logs go to
# out/package-tests/. Last line: `N passed, M failed`; exit status non-zero on any failure.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
readonly ROOT
readonly BASE_IMAGE=debian:bookworm
readonly TEST_IMAGE=loteria-package-test:bookworm
readonly CONTAINER=loteria-package-test-$$
readonly OUT=$ROOT/out/package-tests
readonly MAX_EXPOSURE=2.0
build_dir=${1:-$ROOT/build}
mkdir -p "$OUT"
passed=0
failed=0
t0=$SECONDS
pass() { passed=$((passed + 1)); echo "PASS: $*"; }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
finish() {
    docker rm -f "$CONTAINER" >/dev/null 2>&1
    rm -rf "${work:-}"
    echo "done in $((SECONDS - t0)) s"
    echo "$passed passed, $failed failed"
    [[ $failed -eq 0 ]]
    exit
}
trap 'fail interrupted; finish' INT TERM

command -v docker >/dev/null || { fail "docker is not installed (scripts/install-deps.sh)"; finish; }
if ! docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
    # The local base image; docker/bootstrap-base-images.sh makes it when it cannot be pulled.
    "$ROOT/docker/bootstrap-base-images.sh" >"$OUT/bootstrap.log" 2>&1 ||
        { fail "no $BASE_IMAGE image (log: $OUT/bootstrap.log)"; finish; }
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
mkdir -p "$work/a" "$work/b"
cp "$build_dir"/*.deb "$work/a/"
for package in lottery-server agency-cli agency-gui; do
    if ls "$work/a/${package}_"*.deb >/dev/null 2>&1; then
        pass "$package .deb built"
    else
        fail "$package .deb built"
    fi
done

# --- lintian, at its default level: no error, no warning ---------------------------------------
if ! command -v lintian >/dev/null; then
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq lintian; } \
        >"$OUT/lintian-install.log" 2>&1
fi
if ! command -v lintian >/dev/null; then
    fail "lintian is not installed and apt-get could not install it (log: $OUT/lintian-install.log)"
else
    lintian "$work"/a/*.deb >"$OUT/lintian.log" 2>&1
    lintian_status=$?
    if [[ $lintian_status -eq 0 ]] && ! grep -qE '^[EW]: ' "$OUT/lintian.log"; then
        pass "lintian $(lintian --print-version): no error or warning in the three packages"
    else
        grep -E '^[EW]: ' "$OUT/lintian.log" | head -n 30
        fail "lintian (exit $lintian_status; log: $OUT/lintian.log)"
    fi
fi

# --- the upgrade: the same build packaged again with a higher version -----------------------------
version=$(dpkg-deb -f "$work"/a/lottery-server_*.deb Version)
upgrade_version=$version+upgradetest1
if cpack --config "$build_dir/CPackConfig.cmake" -B "$work/cpack-b" \
    -D CPACK_PACKAGE_VERSION="$upgrade_version" >"$OUT/package-upgrade.log" 2>&1 &&
    mv "$work"/cpack-b/*.deb "$work/b/" && rm -rf "$work/cpack-b" &&
    [[ $(dpkg-deb -f "$work"/b/lottery-server_*.deb Version) == "$upgrade_version" ]]; then
    pass "packages of version $upgrade_version for the upgrade from $version"
else
    tail -n 20 "$OUT/package-upgrade.log"
    fail "cpack with version $upgrade_version (log: $OUT/package-upgrade.log)"
    finish
fi

# --- a container that boots systemd --------------------------------------------------------------
# The base image plus systemd, as PID 1, and man-db (systemd-analyze verify opens the unit's
# Documentation=man:lottery-server(1)). SYS_ADMIN and no seccomp/AppArmor profile: systemd mounts
# and makes the namespaces of the unit's sandbox. --cgroupns=private: its own cgroup tree, which
# Docker mounts read-only on a cgroup v2 host (moby issue #42275): remounted read-write first, or
# systemd stops at "Failed to create /init.scope control group".
if ! docker build -t "$TEST_IMAGE" - >"$OUT/image.log" 2>&1 <<EOF; then
FROM $BASE_IMAGE
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends systemd systemd-sysv man-db && rm -rf /var/lib/apt/lists/*
EOF
    tail -n 20 "$OUT/image.log"
    fail "docker build $TEST_IMAGE (log: $OUT/image.log)"
    finish
fi
docker rm -f "$CONTAINER" >/dev/null 2>&1
if ! docker run -d --name "$CONTAINER" --cgroupns=private --cap-add SYS_ADMIN \
    --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
    --tmpfs /run --tmpfs /run/lock -v "$work:/packages:ro" -e MAX_EXPOSURE="$MAX_EXPOSURE" \
    "$TEST_IMAGE" /bin/sh -c 'mount -o remount,rw /sys/fs/cgroup && exec /lib/systemd/systemd' \
    >"$OUT/run.log" 2>&1; then
    cat "$OUT/run.log"
    fail "docker run $TEST_IMAGE with systemd as init"
    finish
fi
state=
for _ in $(seq 1 600); do
    state=$(docker exec "$CONTAINER" systemctl is-system-running 2>/dev/null)
    [[ "$state" == running || "$state" == degraded ]] && break
    sleep 0.1
done
if [[ "$state" == running || "$state" == degraded ]]; then
    pass "systemd boots in the test container ($state)"
else
    docker logs "$CONTAINER" 2>&1 | tail -n 20
    fail "systemd boots in the test container (state '$state')"
    finish
fi

# Everything below runs inside the container; each check prints PASS:/FAIL: itself.
cat >"$work/inside.sh" <<'INSIDE'
#!/bin/bash
set -uo pipefail
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; }
check() { local d=$1; shift; if "$@"; then pass "$d"; else fail "$d"; fi; }
# wait_for SECONDS COMMAND...: until COMMAND succeeds, polling every 0.05 s; false at the deadline.
wait_for() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do
        [[ $SECONDS -lt $deadline ]] || return 1
        sleep 0.05
    done
}
export DEBIAN_FRONTEND=noninteractive
readonly UNIT=lottery-server.service
readonly BETS=/var/lib/loteria/bets.csv
readonly MAX_EXPOSURE=${MAX_EXPOSURE:-2.0}

# Local addresses listening on TCP port 12345 (hex, as /proc/net/tcp{,6} show them): no iproute2.
listeners() { awk '$4 == "0A" && $2 ~ /:3039$/ { print $2 }' /proc/net/tcp /proc/net/tcp6; }
export -f listeners # for the checks that run `bash -c`
# The service's log lines since it was installed.
service_log() { journalctl -u "$UNIT" -o cat --no-pager; }
service_pid() { systemctl show -p MainPID --value "$UNIT"; }
# bets_of AGENCY: the documents of that agency's rows in bets.csv, sorted
# (agency,first_name,last_name,document,birthdate,number).
bets_of() { awk -F, -v a="$1" '$1 == a { print $4 }' "$BETS" | sort; }
documents_of() { awk -F, '{ print $3 }' "$1" | sort; }
winners_in() { awk -F, '{ sub(/\r$/, "") } $5 == 7574 { n++ } END { print n + 0 }' "$1"; }
winners_reported() {
    sed -n 's/.*action: consulta_ganadores | result: success | cant_ganadores: \([0-9]*\).*/\1/p' \
        "$1" | tail -n 1
}
# make_bets FILE ROWS FIRST_DOCUMENT: the course's layout, a winner (7574) every 100th row.
make_bets() {
    awk -v rows="$2" -v first="$3" 'BEGIN { for (i = 0; i < rows; ++i)
        printf "Ana,Pérez,%d,1980-05-0%d,%d\r\n", first + i, 1 + i % 9,
            (i % 100 == 99) ? 7574 : i % 7000 }' >"$1"
}

# --- 1. a first install -------------------------------------------------------------------------
apt-get update -qq >/tmp/apt.log 2>&1
if apt-get install -y -qq /packages/a/*.deb >>/tmp/apt.log 2>&1; then
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

for package in lottery-server agency-cli agency-gui; do
    doc=/usr/share/doc/$package
    check "$package: $doc/copyright is machine-readable (DEP-5)" \
        grep -qx 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/' \
        "$doc/copyright"
    version=$(dpkg-query -W -f='${Version}' "$package")
    check "$package: $doc/changelog.gz starts with its version ($version)" \
        bash -c "zcat $doc/changelog.gz | head -n 1 | grep -qF '($version)'"
    # Every long option --help shows is in the manual page.
    page=/usr/share/man/man1/$package.1.gz
    missing=
    if [[ -f "$page" ]]; then
        # Read once: `... | grep -q` under pipefail fails when grep exits before the writer ends.
        text=$(zcat "$page" | sed 's/\\-/-/g')
        for option in $(QT_QPA_PLATFORM=offscreen "/usr/bin/$package" --help 2>/dev/null |
            grep -oE -- '--[a-z][a-z-]*' | sort -u); do
            grep -qF -- "$option" <<<"$text" || missing+=" $option"
        done
    else
        missing=" (no $page)"
    fi
    check "$package: manual page documents every --help option${missing:+; missing:$missing}" \
        test -z "$missing"
done

# The config names only files that are installed (no source tree's README.md, docs/, scripts/).
config_names_installed_files_only() {
    local path status=0
    while read -r path; do
        [[ -e "$path" ]] || { echo "config.ini names $path, which is not installed"; status=1; }
    done < <(grep -oE '/usr/share/[^ ;,()"]*' /etc/loteria/config.ini | sed 's/[.:]$//')
    if grep -nE '(^|[^/a-z])(docs|scripts)/|README\.md of' /etc/loteria/config.ini; then
        echo "config.ini names documentation outside the installed files"
        status=1
    fi
    grep -q /usr/share/doc/lottery-server/ /etc/loteria/config.ini || status=1
    return $status
}
check "/etc/loteria/config.ini names only installed documentation" config_names_installed_files_only

check "a first install leaves the service disabled" \
    bash -c "[[ \$(systemctl is-enabled $UNIT) == disabled ]]"
check "a first install leaves the service stopped" \
    bash -c "[[ \$(systemctl is-active $UNIT) == inactive ]]"
check "nothing listens on port 12345 after the install" test -z "$(listeners)"

unit_file=/usr/lib/systemd/system/$UNIT
if systemd-analyze verify "$unit_file" >/tmp/verify.log 2>&1 && [[ ! -s /tmp/verify.log ]]; then
    pass "systemd-analyze verify $unit_file"
else
    cat /tmp/verify.log; fail "systemd-analyze verify $unit_file"
fi
systemd-analyze security --offline=yes "$unit_file" >/tmp/security.log 2>&1
score=$(sed -n 's/.*Overall exposure level for lottery-server.service: \([0-9.]*\).*/\1/p' \
    /tmp/security.log)
echo "exposure score: ${score:-?}"
check "systemd-analyze security --offline=yes: exposure ${score:-?} < $MAX_EXPOSURE" \
    awk -v s="${score:-99}" -v max="$MAX_EXPOSURE" 'BEGIN { exit !(s < max) }'

# The packaged config, unedited, run by hand as the service's user: loopback only.
# setpriv execs the server itself (runuser would stay its parent and eat the SIGTERM's status).
install -d -o loteria -g loteria /tmp/probe
setpriv --reuid=loteria --regid=loteria --clear-groups /usr/bin/lottery-server \
    --config /etc/loteria/config.ini --storage /tmp/probe/bets.csv >/tmp/probe.log 2>&1 &
probe=$!
wait_for 10 grep -q 'action: listen | result: success' /tmp/probe.log
check "the packaged config.ini listens on 127.0.0.1:12345 only ($(listeners | tr '\n' ' '))" \
    test "$(listeners)" = 0100007F:3039
kill -TERM "$probe"
wait "$probe"
probe_status=$?
check "installed lottery-server stops on SIGTERM with exit 0 ($probe_status)" \
    test "$probe_status" -eq 0

# --- 2. the operator configures and starts it; an upgrade in the middle of the sales ------------
# This container cannot give a service both PrivateUsers= and ProtectProc=invisible: the kernel
# mounts no new /proc in a user namespace while the container's /proc has masked paths (Docker
# masks some; systemd issue #29656). A drop-in, as `systemctl edit` would make, relaxes only that.
mkdir -p /etc/systemd/system/$UNIT.d
printf '[Service]\nProtectProc=default\n' >/etc/systemd/system/$UNIT.d/test-container.conf
sed -i 's/^SERVER_AGENCIES = .*/SERVER_AGENCIES = 2/' /etc/loteria/config.ini
if systemctl enable --now "$UNIT" >/tmp/enable.log 2>&1; then
    pass "systemctl enable --now $UNIT"
else
    cat /tmp/enable.log; service_log | tail -n 20; fail "systemctl enable --now $UNIT"
fi
check "the service listens (READY after its listen line)" \
    wait_for 10 bash -c "journalctl -u $UNIT -o cat | grep -q 'action: listen | result: success'"

readonly ROWS_1=1000000 ROWS_2=3000
make_bets /tmp/agency-1.csv $ROWS_1 30000000
make_bets /tmp/agency-2.csv $ROWS_2 40000000
# Agency 2 sends everything and waits for the draw (agency 1 is not done).
agency-cli --agency 2 --server 127.0.0.1:12345 --file /tmp/agency-2.csv >/tmp/agency-2.log 2>&1 &
agency_2=$!
check "agency 2 has stored its file and waits for the draw" \
    wait_for 60 grep -q 'action: envio_apuestas | result: success' /tmp/agency-2.log
# Agency 1 is paused in the middle of its upload (with batches in flight, unacknowledged).
agency-cli --agency 1 --server 127.0.0.1:12345 --file /tmp/agency-1.csv >/tmp/agency-1.log 2>&1 &
agency_1=$!
wait_for 60 bash -c "grep -q '^1,' $BETS"
kill -STOP "$agency_1"

old_pid=$(service_pid)
if apt-get install -y -qq /packages/b/*.deb >/tmp/apt-upgrade.log 2>&1; then
    pass "apt-get install the upgrade ($(dpkg-query -W -f='${Version}' lottery-server))"
else
    tail -n 30 /tmp/apt-upgrade.log; fail "apt-get install the upgrade"
fi
new_pid=$(service_pid)
check "the upgrade restarted the running service (pid $old_pid, now $new_pid)" \
    test "$new_pid" != "$old_pid" -a "$new_pid" != 0
check "the old server stopped gracefully" \
    bash -c "journalctl -u $UNIT -o cat | grep -q 'action: shutdown | result: success'"
check "the upgrade kept the service enabled" \
    bash -c "[[ \$(systemctl is-enabled $UNIT) == enabled ]]"
check "the upgrade kept the edited conffile" grep -q '^SERVER_AGENCIES = 2' /etc/loteria/config.ini
stored_before=$(bets_of 1 | wc -l)
check "agency 1 had part of its file stored when the upgrade came ($stored_before of $ROWS_1)" \
    test "$stored_before" -gt 0 -a "$stored_before" -lt "$ROWS_1"

kill -CONT "$agency_1"
wait_for 300 bash -c "! kill -0 $agency_1 2>/dev/null && ! kill -0 $agency_2 2>/dev/null"
kill -KILL "$agency_1" "$agency_2" 2>/dev/null
declare -A exit_status
wait "$agency_1"
exit_status[1]=$?
wait "$agency_2"
exit_status[2]=$?
for id in 1 2; do
    file=/tmp/agency-$id.csv
    log=/tmp/agency-$id.log
    expected=$(winners_in "$file")
    got=$(winners_reported "$log")
    check "agency $id: exit ${exit_status[$id]}, winners ${got:-none} = the file's $expected" \
        test "${exit_status[$id]}" -eq 0 -a "${got:-x}" = "$expected"
    # It lost its connection to the old server and resumed on the new one where it left off.
    check "agency $id reconnected after the upgrade and resumed" bash -c "
        grep -q 'action: reconexion | result: in_progress' $log &&
        grep 'action: conexion | result: success' $log | tail -n 1 |
            grep -qE 'apuestas_guardadas: [1-9]'"
    check "agency $id: every bet of its file stored exactly once" \
        cmp -s <(bets_of "$id") <(documents_of "$file")
done
check "one draw, after both agencies" \
    bash -c "[[ \$(journalctl -u $UNIT -o cat | grep -c 'action: sorteo |') -eq 1 ]]"
if [[ $(bets_of 1 | wc -l) -ne $ROWS_1 ]]; then
    tail -n 20 /tmp/agency-1.log; service_log | tail -n 20
fi

# On a terminal (script gives it one) the installed agency-cli speaks Spanish with its bar.
script -qec "/usr/bin/agency-cli --agency 2 --server 127.0.0.1:12345 --file /tmp/agency-2.csv \
    --lang es" /tmp/terminal.log >/dev/null 2>&1
check "installed agency-cli on a terminal: Spanish summary" grep -q 'ganadores' /tmp/terminal.log
check "agency-gui starts (offscreen, --help)" \
    bash -c "QT_QPA_PLATFORM=offscreen /usr/bin/agency-gui --help | grep -q -- --server"

# --- 3. a deferred restart; an upgrade of a stopped service; remove; purge ----------------------
# A policy-rc.d that says 101 holds the restart (docs/PACKAGING.md): the old process goes on.
printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
chmod +x /usr/sbin/policy-rc.d
old_pid=$(service_pid)
apt-get install -y -qq --allow-downgrades /packages/a/lottery-server_*.deb >/tmp/apt-held.log 2>&1
check "policy-rc.d 101 holds the restart of a package change (pid $old_pid, now $(service_pid))" \
    test "$(service_pid)" = "$old_pid" -a "$(systemctl is-active $UNIT)" = active
rm /usr/sbin/policy-rc.d
systemctl stop "$UNIT"
apt-get install -y -qq /packages/b/lottery-server_*.deb >/tmp/apt-stopped.log 2>&1
check "an upgrade leaves a stopped service stopped" \
    bash -c "[[ \$(systemctl is-active $UNIT) == inactive ]] && test -z \"\$(listeners)\""
systemctl start "$UNIT"
check "apt-get remove stops the service and leaves the bets" bash -c "
    apt-get remove -y -qq lottery-server >/dev/null 2>&1 && ! test -e /usr/bin/lottery-server &&
    [[ \$(systemctl is-active $UNIT) != active ]] && test -z \"\$(listeners)\" &&
    [[ \$(wc -l <$BETS) -eq $((ROWS_1 + ROWS_2)) ]]"
check "apt-get purge removes /etc/loteria/config.ini and leaves the bets" bash -c "
    apt-get purge -y -qq lottery-server >/dev/null 2>&1 && ! test -e /etc/loteria/config.ini &&
    [[ \$(wc -l <$BETS) -eq $((ROWS_1 + ROWS_2)) ]]"
INSIDE
chmod +x "$work/inside.sh"

docker exec "$CONTAINER" /packages/inside.sh >"$OUT/container.log" 2>&1
docker exec "$CONTAINER" journalctl -u lottery-server -o short-precise --no-pager \
    >"$OUT/service.log" 2>&1
grep -E '^(PASS|FAIL|exposure)' "$OUT/container.log"
grep -q '^exposure score' "$OUT/container.log" || fail "the container ran (log: $OUT/container.log)"
passed=$((passed + $(grep -c '^PASS:' "$OUT/container.log")))
failed=$((failed + $(grep -c '^FAIL:' "$OUT/container.log")))
finish
