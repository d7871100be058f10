#!/usr/bin/env bash
# Helpers run through check(); shellcheck thinks them unreachable after abort()'s exit.
# shellcheck disable=SC2317
# The Docker Compose deployment, tested for real: images built here, containers on a private
# network, the course dataset (or generated data) end to end, graceful stop, clean teardown.
#
#   tests/docker/run-docker-tests.sh          (as root, on Debian 12; called by .ci/run)
#
# Installs docker.io, docker-compose and debootstrap when missing, and starts dockerd in the
# background when no engine answers (and stops it again at the end). Uses what users type:
# ./generar-compose.sh and make docker-compose-up / docker-compose-down.
# It owns the containers `server` and `client1`..`client5`, the volume `<project>-test-bets`
# (removed at the start and at the end) and .data/agency-{1..5}.csv (overwritten). Logs of every
# container go to out/docker-tests/. LOTTERY_DOCKER_TEST_DATA=generated uses generated files even
# when the course dataset is there. Then it runs tests/docker/course-flow.sh (the course's own
# flow, bets gone with `down`), tests/docker/compose-postgres.sh (`./generar-compose.sh --postgres`:
# two servers on PostgreSQL, one killed mid-upload) and tests/docker/readme-commands.sh (the
# README's commands in a fresh Debian 12 container; LOTTERY_SKIP_README_TEST=1 skips it).
# Last line: `N passed, M failed`; exit status non-zero on any failure.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
readonly ROOT
readonly AGENCIES=5
readonly WINNING_NUMBER=7574
# Compose names the project after the checkout (docker/compose.sh project), and the kept-bets
# volume of this test after the project: two checkouts never share one.
PROJECT=$("$ROOT/docker/compose.sh" project)
readonly PROJECT
readonly VOLUME=$PROJECT-test-bets
readonly CLIENT_TIMEOUT_SECONDS=300
readonly OUT=$ROOT/out/docker-tests

cd "$ROOT" || exit 1
mkdir -p "$OUT"
work=$(mktemp -d)
started_dockerd_pid=
SUITE="docker-tests"
# shellcheck source=tests/docker/lib.sh
source "$ROOT/tests/docker/lib.sh"
# Runs a command without its standard output (inside check, so check's own line still shows).
quiet() { "$@" >/dev/null; }

finish() {
    local status=$1
    say "cleaning up"
    for file in "$work"/*.yaml; do
        [[ -f "$file" ]] && docker/compose.sh down "$file" >/dev/null 2>&1
    done
    docker volume rm "$VOLUME" >/dev/null 2>&1
    rm -rf "$work"
    if [[ -n "$started_dockerd_pid" ]]; then
        say "stopping the dockerd this script started (pid $started_dockerd_pid)"
        kill "$started_dockerd_pid" 2>/dev/null
        for _ in $(seq 1 30); do kill -0 "$started_dockerd_pid" 2>/dev/null || break; sleep 1; done
    fi
    say "done in $((SECONDS - t0)) s"
    echo "$passed passed, $failed failed"
    if [[ $status -ne 0 || $failed -ne 0 ]]; then exit 1; fi
    exit 0
}


# --- 0. tools and engine ------------------------------------------------------------------
setup() {
    [[ $(id -u) -eq 0 ]] || abort "must run as root (installs packages, starts dockerd)"
    local missing=()
    command -v dockerd >/dev/null || missing+=(docker.io)
    if ! docker compose version >/dev/null 2>&1 && ! command -v docker-compose >/dev/null; then
        missing+=(docker-compose)
    fi
    command -v debootstrap >/dev/null || missing+=(debootstrap)
    if [[ ${#missing[@]} -gt 0 ]]; then
        say "installing ${missing[*]}"
        if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            "${missing[@]}"; } >"$OUT/apt.log" 2>&1; then
            abort "apt-get install ${missing[*]} failed (log: $OUT/apt.log)"
        fi
    fi
    if ! docker info >/dev/null 2>&1; then
        say "no Docker engine answers: starting dockerd (log: $OUT/dockerd.log)"
        dockerd >"$OUT/dockerd.log" 2>&1 &
        started_dockerd_pid=$!
        for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
        docker info >/dev/null 2>&1 || { tail -n 20 "$OUT/dockerd.log"; abort "dockerd did not start"; }
    fi
    # Leftovers of an earlier, interrupted run would clash with the fixed container names.
    local name
    for name in server $(seq -f 'client%g' 1 "$AGENCIES"); do
        docker rm -f "$name" >/dev/null 2>&1
    done
    docker network ls -q --filter "label=com.docker.compose.project=$PROJECT" |
        xargs -r docker network rm >/dev/null 2>&1
    docker volume rm "$VOLUME" >/dev/null 2>&1
    pass "docker engine ready ($(docker version -f '{{.Server.Version}}' 2>/dev/null))"
}

# --- data: the course's files when present, else generated ----------------------------------
prepare_data() {
    mkdir -p .data
    local shared=$ROOT/../shared/data
    if [[ "${LOTTERY_DOCKER_TEST_DATA:-}" != generated && -f "$shared/agency-1.csv" ]]; then
        say "data: the course dataset from $shared"
        local id
        for id in $(seq 1 "$AGENCIES"); do
            install -m 644 "$shared/agency-$id.csv" ".data/agency-$id.csv" || return 1
        done
    else
        say "data: generating $AGENCIES agency files (no course dataset beside the repository)"
        generate_data || return 1
    fi
}

# Deterministic synthetic rows in the course's layout (CRLF), a winner every 97th row.
generate_data() {
    local id
    for id in $(seq 1 "$AGENCIES"); do
        awk -v agency="$id" -v rows=$((1000 * id)) -v winner="$WINNING_NUMBER" 'BEGIN {
            split("José,María,Lucía,Martín,Ana Lía", first, ",")
            split("Núñez,Pérez,Gómez,Muñoz,Rivera", last, ",")
            for (i = 0; i < rows; ++i) {
                number = (i % 97 == 96) ? winner : (i * 37 + agency) % 10000
                if (number == winner && i % 97 != 96) number = winner + 1
                printf "%s,%s,%d,%d-%02d-%02d,%d\r\n", first[i % 5 + 1], last[int(i / 5) % 5 + 1],
                    agency * 10000000 + i, 1950 + i % 50, 1 + i % 12, 1 + i % 28, number
            }
        }' >".data/agency-$id.csv" || return 1
        chmod 644 ".data/agency-$id.csv"
    done
}

rows_in_files() {
    cat "$@" | wc -l
}

# Every `action:` line of a log parses as `action: A | result: R | key: value | ...`.
all_action_lines_parse() {
    local log=$1
    local bad
    bad=$(grep 'action:' "$log" | grep -Ev \
        'action: [A-Za-z0-9_]+ \| result: (success|fail|in_progress)( \| [A-Za-z0-9_]+: [^|]*)*$')
    if [[ -n "$bad" ]]; then
        echo "unparsable log lines in $log:"
        echo "$bad" | head -n 5
        return 1
    fi
    grep -q 'action:' "$log"
}

# GET PATH on the server's admin endpoint from the host's loopback, as an operator would: the
# token from ./secrets/admin.token, TLS verified against ./secrets/ca.crt when COMPOSE_FILE
# gives the server a certificate. Prints the body.
admin_get() {
    local file=$1 path=$2 scheme=http tls=()
    if grep -q SERVER_TLS_CERT "$file"; then
        scheme=https
        tls=(--cacert secrets/ca.crt)
    fi
    curl -fsS --max-time 5 "${tls[@]}" -H "Authorization: Bearer $(cat secrets/admin.token)" \
        "$scheme://localhost:9180$path"
}

# The admin endpoint answers on the host's loopback with the run's counts.
admin_reports_done() {
    local file=$1 metrics
    metrics=$(admin_get "$file" /metrics) || return 1
    grep -qx "lottery_agencies_done $AGENCIES" <<<"$metrics" &&
        grep -qx 'lottery_draw_completed 1' <<<"$metrics" &&
        admin_get "$file" /api/status | grep -q '"state":"completed"'
}

wait_for_health() {
    local container=$1 seconds=$2 status=
    for _ in $(seq 1 "$seconds"); do
        status=$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{end}}' \
            "$container" 2>/dev/null)
        [[ "$status" == healthy ]] && return 0
        if [[ "$(docker inspect -f '{{.State.Running}}' "$container" 2>/dev/null)" != true ]]; then
            echo "$container is not running"
            return 1
        fi
        sleep 1
    done
    echo "$container health: '$status'"
    return 1
}

save_logs() {
    local tag=$1 name
    for name in "${@:2}"; do
        docker logs "$name" >"$OUT/$tag-$name.log" 2>&1
    done
}

# Waits for every client container to exit; prints "name exitcode" lines.
wait_for_clients() {
    local names=() id
    for id in $(seq 1 "$AGENCIES"); do names+=("client$id"); done
    local codes
    codes=$(timeout "$CLIENT_TIMEOUT_SECONDS" docker wait "${names[@]}") || return 1
    paste <(printf '%s\n' "${names[@]}") <(echo "$codes")
}

bets_rows_in_volume() {
    docker run --rm --network none --entrypoint cat -v "$VOLUME:/var/lib/loteria:ro" \
        loteria-server:latest /var/lib/loteria/bets.csv | wc -l
}

# --- 1. five agencies on the dataset ----------------------------------------------------------
run_agencies() {
    local tag=$1 file=$2 expected_rows=$3 build=$4
    local step_start=$SECONDS
    if ! LOTTERY_DOCKER_BUILD=$build make -s docker-compose-up COMPOSE_FILE="$file" \
        >"$OUT/$tag-up.log" 2>&1; then
        tail -n 40 "$OUT/$tag-up.log"
        fail "$tag: make docker-compose-up"
        return 1
    fi
    pass "$tag: make docker-compose-up ($((SECONDS - step_start)) s)"
    local run_start=$SECONDS
    local codes
    if ! codes=$(wait_for_clients); then
        save_logs "$tag" server $(seq -f 'client%g' 1 "$AGENCIES")
        fail "$tag: every client exits within $CLIENT_TIMEOUT_SECONDS s"
        return 1
    fi
    pass "$tag: all $AGENCIES clients exited ($((SECONDS - run_start)) s after make returned)"
    save_logs "$tag" server $(seq -f 'client%g' 1 "$AGENCIES")

    local name code id expected got
    while read -r name code; do
        expect_eq "$tag: $name exit code" 0 "$code"
    done <<<"$codes"
    for id in $(seq 1 "$AGENCIES"); do
        expected=$(winners_in_file ".data/agency-$id.csv")
        got=$(grep 'action: consulta_ganadores | result: success' "$OUT/$tag-client$id.log" |
            sed -n 's/.*cant_ganadores: \([0-9]*\).*/\1/p' | tail -n 1)
        expect_eq "$tag: client$id cant_ganadores equals the file's count" "$expected" "$got"
        check "$tag: client$id log lines parse" all_action_lines_parse "$OUT/$tag-client$id.log"
    done
    expect_eq "$tag: exactly one sorteo line in the server log" 1 \
        "$(grep -c 'action: sorteo |' "$OUT/$tag-server.log")"
    check "$tag: server log lines parse" all_action_lines_parse "$OUT/$tag-server.log"
    check "$tag: server container is healthy" wait_for_health server 30
    check "$tag: admin endpoint on the host's loopback reports every agency done and the draw" \
        admin_reports_done "$file"
    expect_eq "$tag: rows in $VOLUME:bets.csv" "$expected_rows" "$(bets_rows_in_volume)"

    step_start=$SECONDS
    if make -s docker-compose-down COMPOSE_FILE="$file" >"$OUT/$tag-down.log" 2>&1; then
        pass "$tag: make docker-compose-down ($((SECONDS - step_start)) s)"
    else
        tail -n 20 "$OUT/$tag-down.log"
        fail "$tag: make docker-compose-down"
    fi
    check "$tag: $VOLUME (--keep-bets) survives docker-compose-down" \
        quiet docker volume inspect "$VOLUME"
}

scenario_dataset() {
    say "1. $AGENCIES agencies end to end"
    local file=$work/docker-compose-agencies.yaml
    check "generar-compose.sh --keep-bets $VOLUME writes $file" \
        quiet ./generar-compose.sh "$file" "$AGENCIES" --keep-bets "$VOLUME"
    local services expected
    services=$(docker/compose.sh services "$file" 2>/dev/null)
    expected=$(printf 'client%s\n' $(seq 1 "$AGENCIES"); echo server)
    expect_eq "compose file has server and client1..client$AGENCIES" \
        "$(echo "$expected" | sort | tr '\n' ' ')" "$(echo "$services" | sort | tr '\n' ' ')"
    check "server is told to expect $AGENCIES agencies" \
        grep -q "SERVER_AGENCIES=$AGENCIES" "$file"

    local rows
    rows=$(rows_in_files $(seq -f '.data/agency-%g.csv' 1 "$AGENCIES"))
    # What users run: the images are (re)built by make docker-compose-up, from the cache here.
    run_agencies dataset "$file" "$rows" 1 || return

    # Same volume again: the server recovers from its journal, agencies resume, and nobody's
    # bets are stored twice; the winners do not change.
    say "1b. the same deployment again, on the kept bets volume"
    # The same images (no rebuild: in a tree being edited meanwhile, that would test other code).
    run_agencies rerun "$file" "$rows" 0
}

# --- 2. graceful stop -------------------------------------------------------------------------
scenario_graceful_stop() {
    say "2. the server alone, stopped with docker stop -t 10"
    check "stop: the kept-bets volume $VOLUME can be removed" quiet docker volume rm "$VOLUME"
    local file=$work/docker-compose-server.yaml
    check "generar-compose.sh with N=0" quiet ./generar-compose.sh "$file" 0
    expect_eq "N=0 compose file has only the server" server \
        "$(docker/compose.sh services "$file" 2>/dev/null | tr '\n' ' ' | sed 's/ $//')"
    check "N=0 leaves SERVER_AGENCIES to server/config.ini" \
        bash -c "! grep -q SERVER_AGENCIES '$file'"
    if ! LOTTERY_DOCKER_BUILD=0 make -s docker-compose-up COMPOSE_FILE="$file" \
        >"$OUT/stop-up.log" 2>&1; then
        tail -n 40 "$OUT/stop-up.log"
        fail "stop: make docker-compose-up"
        return
    fi
    check "stop: server becomes healthy" wait_for_health server 60
    # `make docker-compose-logs` follows until interrupted: give it a few seconds.
    timeout 5 make -s docker-compose-logs COMPOSE_FILE="$file" >"$OUT/stop-logs.log" 2>&1
    check "stop: make docker-compose-logs shows the server listening" \
        grep -q 'action: listen | result: success' "$OUT/stop-logs.log"
    local stop_start=$SECONDS
    docker stop -t 10 server >/dev/null
    local took=$((SECONDS - stop_start))
    save_logs stop server
    expect_eq "stop: server exit code after SIGTERM (took ${took} s)" 0 \
        "$(docker inspect -f '{{.State.ExitCode}}' server)"
    check "stop: server exited before the 10 s grace ran out" test "$took" -lt 10
    check "stop: shutdown success logged" \
        grep -q 'action: shutdown | result: success' "$OUT/stop-server.log"
    check "stop: server log lines parse" all_action_lines_parse "$OUT/stop-server.log"
    make -s docker-compose-down COMPOSE_FILE="$file" >"$OUT/stop-down.log" 2>&1 ||
        fail "stop: make docker-compose-down"
}

# --- images: no data, no configuration, no root ------------------------------------------------
scenario_images() {
    say "images"
    local image found
    for image in loteria-server:latest loteria-agency:latest; do
        expect_eq "$image runs as the unprivileged user" loteria \
            "$(docker image inspect -f '{{.Config.User}}' "$image")"
        found=$(docker run --rm --network none --entrypoint find "$image" / -xdev \
            \( -name '*.csv' -o -name 'bets.csv*' -o -name config.ini -o -name config.yaml \
            -o -name '.data' -o -name '*.pem' -o -name '*.key' \) -print 2>/dev/null)
        expect_eq "$image holds no data, configuration or keys" "" "$found"
    done
    check "loteria-server has a HEALTHCHECK" test -n \
        "$(docker image inspect -f '{{if .Config.Healthcheck}}yes{{end}}' loteria-server:latest)"
}

# --- 3. nothing left behind --------------------------------------------------------------------
scenario_teardown() {
    say "3. teardown"
    for file in "$work"/*.yaml; do
        docker/compose.sh down "$file" >/dev/null 2>&1
    done
    expect_eq "no $PROJECT container left" "" \
        "$(docker ps -aq --filter "label=com.docker.compose.project=$PROJECT")"
    expect_eq "no container named server/clientN left" "" \
        "$(docker ps -a --format '{{.Names}}' | grep -E '^(server|client[0-9]+)$')"
    expect_eq "no $PROJECT network left" "" \
        "$(docker network ls -q --filter "label=com.docker.compose.project=$PROJECT")"
    local volumes
    volumes=$(comm -13 <(echo "$volumes_before") <(docker volume ls -q | sort) | tr '\n' ' ')
    # The kept-bets volume went at the start of step 2; nothing else ever makes one.
    expect_eq "no new volume left" "" "$volumes"
    expect_eq "no volume of project $PROJECT left" "" \
        "$(docker volume ls -q --filter "label=com.docker.compose.project=$PROJECT")"
}

# --- 4. the course's own flow, and the README on a fresh Debian 12 ---------------------------------
# run_suite NAME LOG SCRIPT: runs another of these scripts; one PASS or FAIL line with its
# `N passed, M failed`, and its FAIL lines when it failed.
run_suite() {
    local name=$1 log=$OUT/$2 script=$3
    if "$script" >"$log" 2>&1; then
        pass "$name: $(tail -n 1 "$log")"
    else
        grep -E '^FAIL' "$log" | head -n 20
        fail "$name: $(tail -n 1 "$log") (log: $log)"
    fi
}

scenario_course_flow() {
    say "4. the course's flow (tests/docker/course-flow.sh)"
    local run
    for run in 1 2; do
        # Twice: a second lottery on the same engine must find nothing of the first.
        run_suite "course flow, run $run" "course-flow-$run.log" "$ROOT/tests/docker/course-flow.sh"
    done
}

# --- 4b. ./generar-compose.sh --postgres: two servers on PostgreSQL, one killed mid-upload -------
scenario_compose_postgres() {
    say "4b. two servers on PostgreSQL (tests/docker/compose-postgres.sh)"
    run_suite "compose --postgres" compose-postgres.log "$ROOT/tests/docker/compose-postgres.sh"
}

scenario_readme() {
    [[ "${LOTTERY_SKIP_README_TEST:-0}" == 1 ]] && return
    [[ -x "$ROOT/tests/docker/readme-commands.sh" ]] || return
    say "5. the README's commands on a fresh Debian 12 (tests/docker/readme-commands.sh)"
    run_suite "README commands" readme-commands.log "$ROOT/tests/docker/readme-commands.sh"
}

build_images() {
    local step_start=$SECONDS
    if ! make -s docker-image >"$OUT/image.log" 2>&1; then
        tail -n 40 "$OUT/image.log"
        return 1
    fi
    say "images built in $((SECONDS - step_start)) s"
}

setup
volumes_before=$(docker volume ls -q | sort)
check "make docker-image (base images bootstrapped when missing)" build_images
check "prepare .data/agency-{1..$AGENCIES}.csv" prepare_data
check "generar-compose.sh without arguments fails" bash -c '! ./generar-compose.sh 2>/dev/null'
check "generar-compose.sh with a bad N fails with usage" \
    bash -c './generar-compose.sh /tmp/x.yaml abc 2>&1 >/dev/null | grep -q usage &&
             ! ./generar-compose.sh /tmp/x.yaml abc 2>/dev/null && [[ ! -e /tmp/x.yaml ]]'
scenario_dataset
scenario_images
scenario_graceful_stop
scenario_teardown
scenario_course_flow
scenario_compose_postgres
scenario_readme
# The Debian packages in a clean container of the same base image (its own PASS/FAIL lines).
check "Debian packages: install and run (tests/docker/test-packages.sh)" \
    "$ROOT/tests/docker/test-packages.sh" "${LOTTERY_BUILD_DIR:-$ROOT/build}"
finish 0
