#!/usr/bin/env bash
# Helpers run through check(); shellcheck thinks them unreachable after abort()'s exit.
# shellcheck disable=SC2317
# The commands run in the container are single-quoted on purpose (they expand there).
# shellcheck disable=SC2016
# The README's commands on a fresh Debian 12: a container of the local base image debian:bookworm
# (nothing installed but the base system) with the repository copied in, as root:
#
#   tests/docker/readme-commands.sh      (as root, with a running Docker engine; from run-docker-tests.sh)
#
#   apt-get install make, make demo, make test   (make installs the rest: scripts/install-deps.sh,
#                                         the test tools too); make test passes with no test
#                                         skipped but the course dataset's (not in a clone)
#   the README's other examples: a lottery by hand (lottery-datagen, lottery-server, five
#                                         agency-cli), agency-gui --help without a display
#   ./generar-compose.sh docker-compose-dev.yaml 2, make docker-compose-up, make docker-compose-logs,
#   make docker-compose-down              (a host with Docker: the container gets Debian's docker.io
#                                         and docker-compose and talks to this machine's engine)
#   a host with Docker but no debootstrap, whose base images are missing: docker/compose.sh
#   installs debootstrap (scripts/install-deps.sh --debootstrap) before it makes them (here the
#   engine is a stand-in that reports the images missing, and the bootstrap a stand-in that
#   records what it found: the real one is tested by the CI's first image build)
#
# The container's root may mount and trace (CAP_SYS_ADMIN, CAP_SYS_PTRACE) and it has a 1 GiB
# /dev/shm, as a fresh machine's root has: the suite mounts a tmpfs (tst_reliability), traces the
# server (strace) and runs chromium. (Not --privileged: a CI machine that is itself a container
# may not grant every capability.)
# Speed, not content: the container's apt downloads and ccache live in /var/cache/loteria-readme
# on this machine, so a second run downloads and compiles little (they change nothing the commands
# do; ccache is put in by this script, the README does not need it). The repository copy sits at
# the same path inside and outside the container, because the compose file's bind mounts are
# resolved by this machine's engine. Logs in out/readme-commands/. Last line: `N passed, M failed`.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
readonly ROOT
readonly BASE_IMAGE=debian:bookworm
readonly CACHE=/var/cache/loteria-readme
# Compose names the project after this folder: readme-checkout.
readonly COPY=/var/tmp/loteria-readme/readme-checkout
readonly OUT=$ROOT/out/readme-commands
readonly CONTAINER=loteria-readme-$$
export LOTTERY_IMAGE_TAG=readme-$$

mkdir -p "$OUT" "$CACHE/apt/archives/partial" "$CACHE/apt/lists/partial" "$CACHE/ccache" \
    "$(dirname "$COPY")"
rm -f "$OUT"/*.log
SUITE="readme-commands"
# shellcheck source=tests/docker/lib.sh
source "$ROOT/tests/docker/lib.sh"

finish() {
    docker rm -f "$CONTAINER" >/dev/null 2>&1
    remove_tagged_images
    rm -rf "$COPY"
    end_suite "$1"
}

# The README's first ```sh block after the line starting with MARKER, as written.
readme_block() {
    awk -v marker="$1" 'index($0, marker) == 1 { found = 1 } found && /^```sh/ { inside = 1; next }
        inside && /^```/ { exit } inside' "$COPY/README.md"
}

# This machine's network, not the commands: where the host trusts an extra CA for HTTPS (a
# TLS-inspecting proxy; node reads NODE_EXTRA_CA_CERTS), the container's npm ci must too.
host_ca=()
if [[ -n "${NODE_EXTRA_CA_CERTS:-}" && -r "${NODE_EXTRA_CA_CERTS:-}" ]]; then
    host_ca=(-v "$NODE_EXTRA_CA_CERTS:/etc/loteria-host-ca.crt:ro")
fi

# Runs a shell command in the container, in the repository copy, output to OUT/NAME.log.
in_container() {
    local name=$1 ca=()
    shift
    [[ ${#host_ca[@]} -gt 0 ]] && ca=(-e NODE_EXTRA_CA_CERTS=/etc/loteria-host-ca.crt)
    docker exec -w "$COPY" -e DEBIAN_FRONTEND=noninteractive -e LOTTERY_IMAGE_TAG "${ca[@]}" \
        -e CMAKE_CXX_COMPILER_LAUNCHER=ccache -e CCACHE_DIR=/var/cache/ccache \
        -e CCACHE_COMPILERCHECK=content -e CCACHE_BASEDIR="$COPY" -e CCACHE_NOHASHDIR=1 \
        "$CONTAINER" bash -c "$*" >"$OUT/$name.log" 2>&1
}
# check + in_container, the time it took in the description, the log's tail on failure.
step() {
    local name=$1 description=$2 start=$SECONDS
    shift 2
    if in_container "$name" "$@"; then
        pass "$description ($((SECONDS - start)) s)"
    else
        tail -n 25 "$OUT/$name.log"
        fail "$description (log: $OUT/$name.log)"
        return 1
    fi
}

require_root_and_engine
docker image inspect "$BASE_IMAGE" >/dev/null 2>&1 ||
    abort "no $BASE_IMAGE image (docker/bootstrap-base-images.sh makes it)"
# One run at a time: the copy's path is fixed (so that ccache finds its earlier compilations).
exec 9>"$(dirname "$COPY")/lock"
flock -w 1800 9 || abort "another readme-commands run holds $(dirname "$COPY")/lock"

say "copying the repository to $COPY (the files git knows, as a fresh clone has them)"
rm -rf "$COPY"
mkdir -p "$COPY"
if git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
    (cd "$ROOT" && git ls-files -z --cached --others --exclude-standard |
        xargs -0 -r sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
        tar --null -T - -c) | tar -x -C "$COPY" || abort "copying the repository"
else
    tar -C "$ROOT" --exclude='./build*' --exclude=./out --exclude=./.data --exclude=./secrets \
        -c . | tar -x -C "$COPY" || abort "copying the repository"
fi

docker run -d --name "$CONTAINER" --network bridge --cap-add SYS_ADMIN --cap-add SYS_PTRACE \
    --shm-size 1g \
    -v /var/run/docker.sock:/var/run/docker.sock \
    -v "$COPY:$COPY" \
    -v "$CACHE/apt/archives:/var/cache/apt/archives" \
    -v "$CACHE/apt/lists:/var/lib/apt/lists" \
    -v "$CACHE/ccache:/var/cache/ccache" "${host_ca[@]}" \
    "$BASE_IMAGE" sleep infinity >/dev/null || abort "starting a $BASE_IMAGE container"
pass "fresh $BASE_IMAGE container $CONTAINER"
# Keep the downloaded packages in the mounted cache (the base image deletes them after each
# install, as the official images do).
in_container apt-cache 'rm -f /etc/apt/apt.conf.d/docker-clean' || abort "apt cache setup"
check "the container starts without the project's tools" \
    in_container fresh '! command -v cmake && ! command -v g++ && ! command -v debootstrap &&
        ! command -v docker'
# ccache only speeds the build up (CMake takes CMAKE_CXX_COMPILER_LAUNCHER from the environment).
in_container ccache 'apt-get update -qq && apt-get install -y -qq --no-install-recommends ccache' ||
    abort "installing ccache (log: $OUT/ccache.log)"

say "the README's two commands: make itself, then make demo and make test"
step make-install "apt-get update && apt-get install -y make" \
    'apt-get update && apt-get install -y make' || finish 1
step make-demo "make demo" 'make demo' || finish 1
check "make demo printed 5 agencies' winners" \
    test "$(grep -c '^agency [1-5]: consulta_ganadores | result: success | cant_ganadores: ' \
        "$OUT/make-demo.log")" -eq 5
step make-test "make test" 'make test'
check "make test: CTest ran every test and all passed" \
    grep -q '^100% tests passed, 0 tests failed out of [1-9]' "$OUT/make-test.log"
check "make test: no test skipped or not run" \
    bash -c '! grep -E "\((Skipped|Disabled)\)|Not Run" "$1"' _ "$OUT/make-test.log"
# Inside the test programs: a QSKIP for anything but the course's dataset (not in a clone) would be
# a test that proved nothing here. LastTest.log has every test's output, passed or not.
no_skipped_functions() {
    local log=$COPY/build/Testing/Temporary/LastTest.log skipped
    [[ -f "$log" ]] || { echo "no $log"; return 1; }
    skipped=$(grep -E '^SKIP +: ' "$log" |
        grep -v -E 'course dataset|dataset (is )?not (present|on this machine)')
    [[ -z "$skipped" ]] || { echo "$skipped"; return 1; }
    grep -E '^SKIP +: ' "$log" | sed 's/^/  (the course dataset is not in a clone) /'
    return 0
}
check "make test: no test function skipped (the course dataset's aside)" no_skipped_functions

say "the README's other examples, as written"
readme_block "A whole lottery by hand" >"$OUT/by-hand.sh"
check "README: the lottery-by-hand block is there" grep -q lottery-datagen "$OUT/by-hand.sh"
step by-hand "README: a lottery by hand (lottery-datagen, lottery-server, five agency-cli)" \
    "rm -rf .data && timeout 300 bash -e -c $(printf '%q' "$(cat "$OUT/by-hand.sh")")"
check "README: each of the five agencies logged its winners" \
    test "$(grep -c 'INFO action: consulta_ganadores | result: success | cant_ganadores: ' \
        "$OUT/by-hand.log")" -eq 5
check "README: the server stopped gracefully" \
    grep -q 'action: shutdown | result: success' "$OUT/by-hand.log"
step gui-help "README: agency-gui --help (no display in the container)" \
    "$(grep -m1 -o '^build/bin/agency-gui --help' "$COPY/README.md") | grep -q -- --server"

say "the Docker targets, from a host with Docker"
step docker-install "install Docker (the README's prerequisite: docker.io, docker-compose)" \
    'apt-get install -y -qq --no-install-recommends docker.io docker-compose >/dev/null' || finish 1
step generar-compose "./generar-compose.sh docker-compose-dev.yaml 2" \
    'mkdir -p .data && build/bin/lottery-datagen --out .data --agencies 2 --bets 500 --seed 7 &&
     ./generar-compose.sh docker-compose-dev.yaml 2'
step compose-up "make docker-compose-up" 'make docker-compose-up' || {
    in_container compose-down-after-failure 'make docker-compose-down'
    finish 1
}
# The agencies finish, then the logs hold their winners (follow for a bounded time).
check "make docker-compose-logs shows both agencies' winners" in_container compose-logs '
    for _ in $(seq 1 120); do
        n=$(timeout 5 make -s docker-compose-logs 2>/dev/null |
            grep -c "action: consulta_ganadores | result: success | cant_ganadores: ")
        [ "$n" -ge 2 ] && exit 0
        sleep 1
    done
    exit 1'
step compose-down "make docker-compose-down" 'make docker-compose-down'
check "make docker-compose-down left no container or network of the project" test -z \
    "$(docker ps -aq --filter label=com.docker.compose.project=readme-checkout
       docker network ls -q --filter label=com.docker.compose.project=readme-checkout)"

say "a host with Docker but no debootstrap, whose base images are missing"
# A stand-in engine (the base images missing, everything else as the real one answers) and a
# stand-in bootstrap that records what it found; the real install runs.
in_container probe-setup "
    mkdir -p /tmp/probe/bin &&
    cat >/tmp/probe/bin/docker <<'EOF'
#!/bin/sh
case \"\$1 \$2\" in
    'image inspect') exit 1 ;;
    'info '*|info) exit 0 ;;
esac
echo \"stand-in docker: unexpected \$*\" >&2
exit 1
EOF
    chmod +x /tmp/probe/bin/docker" || abort "probe setup"
step no-debootstrap "docker/compose.sh installs debootstrap before making the base images" '
    ! command -v debootstrap || { echo "debootstrap is already installed"; exit 1; }
    cp docker/bootstrap-base-images.sh /tmp/probe/bootstrap.saved
    printf "#!/bin/sh\necho \"bootstrap stand-in: debootstrap at \$(command -v debootstrap)\"\n" \
        >docker/bootstrap-base-images.sh
    PATH=/tmp/probe/bin:$PATH docker/compose.sh image; status=$?
    cp /tmp/probe/bootstrap.saved docker/bootstrap-base-images.sh
    command -v debootstrap && exit 0
    echo "compose.sh exited $status and debootstrap is still missing"; exit 1'
check "compose.sh said it installs debootstrap, then bootstrapped with it" \
    grep -q 'bootstrap stand-in: debootstrap at /usr/sbin/debootstrap' "$OUT/no-debootstrap.log"
finish 0
