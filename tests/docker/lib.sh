# shellcheck shell=bash
# Sourced by the Docker test scripts (tests/docker/*.sh): their PASS/FAIL bookkeeping, the compose
# command, the agency files they generate and count, and a compose project's resources. The
# script sets SUITE (its name in `say` lines) before sourcing, and PROJECT before the project_*
# helpers run.
passed=0
failed=0
t0=$SECONDS

say() { echo "[$SUITE $((SECONDS - t0))s] $*"; }
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
