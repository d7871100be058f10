# shellcheck shell=bash
# Sourced by the Docker test scripts (tests/docker/*.sh): their PASS/FAIL bookkeeping, the compose
# command, the agency files they generate and count, and a compose project's resources. The
# script sets SUITE (its name in `say` lines) before sourcing, defines finish STATUS (clean up,
# then end_suite), and sets PROJECT before the project_* helpers run.
passed=0
failed=0
t0=$SECONDS

say() { echo "[$SUITE $((SECONDS - t0))s] $*"; }
# A failure that ends the run: the sourcing script's finish STATUS cleans up and reports.
abort() {
    fail "$*"
    finish 1
}
trap 'abort "interrupted"' INT TERM
pass() { passed=$((passed + 1)); echo "PASS: $*"; }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
# check "description" command...: passes when the command succeeds.
check() {
    local description=$1
    shift
    if "$@"; then pass "$description"; else fail "$description"; fi
}
# expect_eq "description" expected actual
expect_eq() {
    if [[ "$2" == "$3" ]]; then pass "$1 ($3)"; else fail "$1: expected '$2', got '$3'"; fi
}

# shellcheck disable=SC2034 # `compose` is for the sourcing script
# Sets the array `compose` to `docker compose` (v2) or `docker-compose` (v1); fails with neither.
find_compose() {
    if docker compose version >/dev/null 2>&1; then
        compose=(docker compose)
    elif command -v docker-compose >/dev/null 2>&1; then
        compose=(docker-compose)
    else
        echo "$SUITE: neither 'docker compose' nor 'docker-compose' is installed" >&2
        return 1
    fi
}

# generate_agency_files DIR COUNT BASE STEP EVERY SEED: DIR/agency-K.csv for K = 1..COUNT with
# BASE + K * STEP rows in the course's layout (CRLF), a winner (7574) every EVERYth row; SEED
# varies names, documents and numbers between lotteries.
generate_agency_files() {
    local dir=$1 count=$2 base=$3 step=$4 every=$5 seed=$6 id
    mkdir -p "$dir"
    for id in $(seq 1 "$count"); do
        awk -v agency="$id" -v rows=$((base + id * step)) -v every="$every" -v seed="$seed" \
            -v winner=7574 'BEGIN {
            split("Santiago,Valentina,Mateo,Sofía,Benjamín", first, ",")
            split("González,Rodríguez,Fernández,López,Martínez", last, ",")
            for (i = 0; i < rows; ++i) {
                number = ((i + seed) % every == 0) ? winner : (i * 53 + agency + seed) % 10000
                if (number == winner && (i + seed) % every != 0) number = winner - 1
                printf "%s,%s,%d,%d-%02d-%02d,%d\r\n", first[(i + seed) % 5 + 1],
                    last[int(i / 5) % 5 + 1], seed * 100000000 + agency * 1000000 + i,
                    1940 + i % 60, 1 + i % 12, 1 + i % 28, number
            }
        }' >"$dir/agency-$id.csv" || return 1
        chmod 644 "$dir/agency-$id.csv"
    done
}

# The rows of an agency file with the winning number (7574), counted with awk.
winners_in_file() {
    awk -F, '{ sub(/\r$/, "") } $5 == 7574 { n++ } END { print n + 0 }' "$1"
}

project_containers() { docker ps -aq --filter "label=com.docker.compose.project=$PROJECT"; }
project_networks() { docker network ls -q --filter "label=com.docker.compose.project=$PROJECT"; }
project_volumes() { docker volume ls -q --filter "label=com.docker.compose.project=$PROJECT"; }

# Root and a Docker engine, or abort (the sourcing script's: it cleans up and reports).
require_root_and_engine() {
    [[ $(id -u) -eq 0 ]] || abort "must run as root"
    docker info >/dev/null 2>&1 || abort "no Docker engine answers 'docker info'"
}

# claim_containers PATTERN NAME...: the fixed container names this suite uses. One left by an
# interrupted run of this suite (its compose project matches PATTERN) is removed; anyone else's
# aborts the run untouched.
claim_containers() {
    local pattern=$1 name owner
    shift
    for name in "$@"; do
        owner=$(docker inspect -f '{{index .Config.Labels "com.docker.compose.project"}}' \
            "$name" 2>/dev/null) || continue
        # shellcheck disable=SC2053 # PATTERN is a glob on purpose
        if [[ "$owner" == $pattern ]]; then
            docker rm -f "$name" >/dev/null
        else
            abort "a container named $name exists (project '$owner'): stop that deployment first"
        fi
    done
}

# The images of LOTTERY_IMAGE_TAG, built from this tree by docker/compose.sh (log: OUT/image.log).
build_tagged_images() {
    say "building the images loteria-{server,agency,postgres}:$LOTTERY_IMAGE_TAG"
    if ! "$ROOT/docker/compose.sh" image >"$OUT/image.log" 2>&1; then
        tail -n 30 "$OUT/image.log"
        abort "docker/compose.sh image"
    fi
    pass "images built ($((SECONDS - t0)) s)"
}

remove_tagged_images() {
    docker image rm "loteria-server:$LOTTERY_IMAGE_TAG" "loteria-agency:$LOTTERY_IMAGE_TAG" \
        "loteria-postgres:$LOTTERY_IMAGE_TAG" >/dev/null 2>&1
}

# The last lines of every suite, and its exit status: non-zero when a check failed or STATUS is.
end_suite() {
    say "done in $((SECONDS - t0)) s"
    echo "$passed passed, $failed failed"
    [[ $failed -eq 0 && $1 -eq 0 ]]
    exit
}
