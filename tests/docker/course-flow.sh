#!/usr/bin/env bash
# Helpers run through check(); shellcheck thinks them unreachable after abort()'s exit.
# shellcheck disable=SC2317
# The course's black-box flow (test_ej8 of the course's tp0-tests), with the project's names:
#
#   tests/docker/course-flow.sh        (as root, with a running Docker engine; from run-docker-tests.sh)
#
# What the course's suite does, step by step, in a checkout laid out as the suite expects
# (the suite's `client/config.yaml` is our `agency-cli/config.yaml`, its `server/Dockerfile` our
# `docker/Dockerfile --target server`; see docs/DOCKER.md):
#   1. write server/config.ini (the course's keys, SERVER_IP = server: a host name) and the agency
#      file, and .data/agency-K.csv;
#   2. ./generar-compose.sh docker-compose-dev.yaml N, then `docker compose up -d`;
#   3. read `docker compose logs -f` until every agency logged
#      `action: consulta_ganadores | result: success | cant_ganadores: N`, and compare each N with
#      the count of number 7574 in its file (awk);
#   4. `docker compose down`, new files with other bet counts, `up -d` again, and check again: no
#      bets of the first lottery (no "already stores"), the new counts;
#   5. `docker compose down`: no container, volume or network of the project is left.
# Between 3 and 4 it also checks where the bets live by default: in the server container, so
# they survive a crash (docker kill, then start) and `stop`/`start`, and go with `down`.
#
# The checkout is a fresh copy of the files the flow uses in a temporary folder, so the suite's
# writes never touch this tree; compose names the project after that folder (as it would name it
# after a real checkout), and the images get a tag of their own (LOTTERY_IMAGE_TAG), built from
# this tree with docker/compose.sh, so that other work on the same engine cannot swap them. It
# uses `docker compose` when installed, else `docker-compose`. It owns the containers `server`
# and `client1`..`client5` while it runs. Logs go to out/course-flow/. Last line:
# `N passed, M failed`; exit status non-zero on any failure.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
readonly ROOT
readonly AGENCIES=5
readonly WAIT_SECONDS=240
readonly OUT=$ROOT/out/course-flow

mkdir -p "$OUT"
rm -f "$OUT"/*.log
work=$(mktemp -d /tmp/loteria-course.XXXXXX)
# The checkout's folder: compose derives the project name from it.
suffix=$(basename "$work" | sed 's/.*\.//' | tr '[:upper:]' '[:lower:]' | tr -cd 'a-z0-9')
checkout=$work/tp0-course-$suffix
readonly PROJECT=tp0-course-$suffix
export LOTTERY_IMAGE_TAG=course-$suffix
logs_pid=
SUITE="course-flow"
# shellcheck source=tests/docker/lib.sh
source "$ROOT/tests/docker/lib.sh"
find_compose || { rm -rf "$work"; exit 1; }
# What the suite types, in the checkout: `docker compose -f docker-compose-dev.yaml ...`.
dc() { (cd "$checkout" && "${compose[@]}" -f docker-compose-dev.yaml "$@"); }

stop_logs() {
    if [[ -n "$logs_pid" ]]; then
        kill "$logs_pid" 2>/dev/null
        wait "$logs_pid" 2>/dev/null
        logs_pid=
    fi
}

finish() {
    stop_logs
    if [[ -f "$checkout/docker-compose-dev.yaml" ]]; then
        dc down -v --remove-orphans >/dev/null 2>&1
    fi
    remove_tagged_images
    rm -rf "$work"
    end_suite "$1"
}

# --- the suite's side: files it writes ---------------------------------------------------------
# The course's server/config.ini: SERVER_IP is the compose service's name.
write_server_config() {
    cat >"$checkout/server/config.ini" <<'EOF'
[DEFAULT]
SERVER_PORT = 12345
SERVER_IP = server
SERVER_LISTEN_BACKLOG = 5
LOGGING_LEVEL = INFO
EOF
}

# The course's client/config.yaml (its keys; `loop` is the course's, unknown to agency-cli).
write_agency_config() {
    cat >"$checkout/agency-cli/config.yaml" <<'EOF'
server:
  address: "server:12345"
loop:
  amount: 5
  period: "5s"
log:
  level: "INFO"
batch:
  maxAmount: 50
EOF
}

# Agency K gets `base + K * step` rows, a winner every `every`th row; `seed` varies names and
# numbers between lotteries.
write_agency_files() { generate_agency_files "$checkout/.data" "$AGENCIES" "$@"; }

# --- reading the merged log --------------------------------------------------------------------
# The last cant_ganadores agency K logged in the merged log (lines `clientK  | ... action: ...`).
winners_logged() {
    sed -n "s/^client$2 *|.*action: consulta_ganadores | result: success | cant_ganadores: \([0-9]*\).*/\1/p" \
        "$1" | tail -n 1
}

# Follows `docker compose logs -f` into FILE until every agency has logged its winners (or the
# deadline): the suite's way of knowing the lottery ended.
follow_until_winners() {
    local file=$1 id done_count
    dc logs -f --no-color >"$file" 2>&1 &
    logs_pid=$!
    local deadline=$((SECONDS + WAIT_SECONDS))
    while ((SECONDS < deadline)); do
        done_count=0
        for id in $(seq 1 "$AGENCIES"); do
            [[ -n "$(winners_logged "$file" "$id")" ]] && done_count=$((done_count + 1))
        done
        if ((done_count == AGENCIES)); then
            stop_logs
            return 0
        fi
        kill -0 "$logs_pid" 2>/dev/null || dc logs --no-color >"$file" 2>&1
        sleep 1
    done
    stop_logs
    echo "only $done_count of $AGENCIES agencies logged consulta_ganadores in $WAIT_SECONDS s"
    return 1
}

bets_rows_in_server() {
    docker exec server cat /var/lib/loteria/bets.csv | wc -l
}

rows_in_data() {
    cat "$checkout"/.data/agency-*.csv | wc -l
}

# --- the project's resources --------------------------------------------------------------------
nothing_left() {
    local tag=$1 leftovers
    expect_eq "$tag: no container of project $PROJECT" "" "$(project_containers | tr '\n' ' ')"
    expect_eq "$tag: no network of project $PROJECT" "" "$(project_networks | tr '\n' ' ')"
    expect_eq "$tag: no volume of project $PROJECT" "" "$(project_volumes | tr '\n' ' ')"
    leftovers=
    local volume
    for volume in $server_volumes; do
        docker volume inspect "$volume" >/dev/null 2>&1 && leftovers+="$volume "
    done
    expect_eq "$tag: no volume the server used is left" "" "$leftovers"
}

# --- one lottery --------------------------------------------------------------------------------
server_volumes=

run_lottery() {
    local tag=$1
    local step_start=$SECONDS
    if ! dc up -d >"$OUT/$tag-up.log" 2>&1; then
        tail -n 30 "$OUT/$tag-up.log"
        fail "$tag: docker compose up -d"
        return 1
    fi
    pass "$tag: docker compose up -d ($((SECONDS - step_start)) s)"
    expect_eq "$tag: compose named the project after the checkout" "$PROJECT" \
        "$(docker inspect -f '{{index .Config.Labels "com.docker.compose.project"}}' server)"
    # Anonymous or named, any volume the server has would outlive `down`: by default it has none.
    server_volumes=$(docker inspect -f '{{range .Mounts}}{{if eq .Type "volume"}}{{.Name}} {{end}}{{end}}' server)
    expect_eq "$tag: the server container has no volume (bets in the container)" "" "$server_volumes"

    if ! check "$tag: every agency logged consulta_ganadores (docker compose logs -f)" \
        follow_until_winners "$OUT/$tag-logs.log"; then
        dc logs --no-color >"$OUT/$tag-logs.log" 2>&1
        return 1
    fi
    local id expected got total=0
    for id in $(seq 1 "$AGENCIES"); do
        expected=$(winners_in_file "$checkout/.data/agency-$id.csv")
        got=$(winners_logged "$OUT/$tag-logs.log" "$id")
        expect_eq "$tag: client$id cant_ganadores equals awk's count of 7574" \
            "$expected" "$got"
        total=$((total + expected))
    done
    check "$tag: the lottery had winners" test "$total" -gt 0
    check "$tag: no agency found bets of an earlier lottery" \
        bash -c "! grep -q 'already stores' '$OUT/$tag-logs.log'"
    check "$tag: no action failed" bash -c "! grep -q 'result: fail' '$OUT/$tag-logs.log'"
    local address
    address=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' server)
    check "$tag: the server listens on its own address, resolved from 'server' ($address)" \
        grep -q "^server *|.*action: listen | result: success | ip: $address | host: server | port: 12345" \
        "$OUT/$tag-logs.log"
    expect_eq "$tag: rows in the server's bets.csv" "$(rows_in_data)" "$(bets_rows_in_server)"
}

# The bets live in the server container: a crash (SIGKILL) and a stop/start keep them.
survives_restarts() {
    local rows
    rows=$(rows_in_data)
    docker kill server >/dev/null
    dc start server >"$OUT/crash-start.log" 2>&1 || { fail "crash: docker compose start server"; return; }
    check "crash: the server answers again after docker kill + start" wait_for_listen 2
    expect_eq "crash: rows in bets.csv after docker kill + start" "$rows" "$(bets_rows_in_server)"
    dc stop -t 10 server >"$OUT/stop.log" 2>&1 || fail "stop: docker compose stop server"
    dc start server >>"$OUT/stop.log" 2>&1 || fail "stop: docker compose start server"
    check "stop: the server answers again after stop + start" wait_for_listen 3
    expect_eq "stop: rows in bets.csv after stop + start" "$rows" "$(bets_rows_in_server)"
    docker logs server >"$OUT/restarts-server.log" 2>&1
    check "restarts: the recovered server ran the draw again, all agencies being done" \
        test "$(grep -c 'action: sorteo | result: success' "$OUT/restarts-server.log")" -ge 3
}

# Waits until the server's log holds N listen lines (one per start).
wait_for_listen() {
    local want=$1
    for _ in $(seq 1 60); do
        (($(docker logs server 2>&1 | grep -c 'action: listen | result: success') >= want)) &&
            return 0
        sleep 1
    done
    return 1
}

down() {
    local tag=$1 step_start=$SECONDS
    if dc down >"$OUT/$tag-down.log" 2>&1; then
        pass "$tag: docker compose down ($((SECONDS - step_start)) s)"
    else
        tail -n 20 "$OUT/$tag-down.log"
        fail "$tag: docker compose down"
    fi
    nothing_left "$tag"
}

# --- the flow -----------------------------------------------------------------------------------
require_root_and_engine
# shellcheck disable=SC2046 # the names are words
claim_containers 'tp0-course-*' server $(seq -f 'client%g' 1 "$AGENCIES")
build_tagged_images

# A fresh checkout as the suite sees it: only what the flow needs.
mkdir -p "$checkout"
(cd "$ROOT" && cp --parents generar-compose.sh scripts/make-credentials.sh server/config.ini \
    agency-cli/config.yaml "$checkout/") || abort "copying the checkout"

say "1. first lottery"
write_server_config
write_agency_config
write_agency_files 100 40 23 1 || abort "writing the agency files"
gen_log=$OUT/generar-compose.log
check "./generar-compose.sh docker-compose-dev.yaml $AGENCIES" \
    bash -c "cd '$checkout' && ./generar-compose.sh docker-compose-dev.yaml $AGENCIES >'$gen_log' 2>&1"
check "the default keeps the bets in the server container" \
    grep -q 'gone with .docker compose down' "$gen_log"
run_lottery first
say "1b. the bets in the server container through a crash and a stop"
survives_restarts
down first

say "2. second lottery: new files with other bet counts"
write_agency_files 60 25 17 2 || abort "writing the agency files"
run_lottery second
down second
finish 0
