#!/usr/bin/env bash
# Helpers run through check(); shellcheck thinks them unreachable after abort()'s exit.
# shellcheck disable=SC2317
# `./generar-compose.sh FILE N --postgres` brought up for real: PostgreSQL, two lottery-server
# instances on it and N agencies spread over both (docs/OPERATIONS.md).
#
#   tests/docker/compose-postgres.sh     (as root, with a running Docker engine; from run-docker-tests.sh)
#
# In a fresh copy of the files the deployment uses (a temporary folder: compose names the project
# after it, and this tree is never written), with images of a tag of its own (LOTTERY_IMAGE_TAG,
# built from this tree by docker/compose.sh image, so other work on the same engine cannot swap
# them):
#   1. .data/agency-{1..5}.csv: the course dataset (../shared/data) when present, else generated;
#      ./generar-compose.sh docker-compose-dev.yaml 5 --postgres, then the copy's
#      docker/compose.sh up (LOTTERY_DOCKER_BUILD=0: the images just built);
#   2. every agency container exits 0 and logs `consulta_ganadores | result: success` with its
#      file's count of 7574; both servers carried agencies; exactly one instance recorded the draw
#      (`sorteo_registrado`, and one row in the draw table); in the database (psql in the
#      database container) as many bets as input rows, no (agency, document, number) more often
#      than in the files;
#   3. docker/compose.sh down keeps the database's volume; `down -v` leaves nothing of the project;
#   4. a second round on larger generated files: `docker kill server1` mid-upload; the agencies
#      that were on it fail over to server2, finish with the right winners, every bet stored
#      exactly once; `down -v`, nothing left.
# It owns the containers `database`, `server1`, `server2` and `client1`..`client5` while it runs.
# Logs go to out/compose-postgres/. Last line: `N passed, M failed`; non-zero exit on a failure.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
readonly ROOT
readonly AGENCIES=5
readonly WAIT_SECONDS=300
readonly OUT=$ROOT/out/compose-postgres
# Round 2: rows per generated file, enough for an upload that a kill can land inside.
readonly FAILOVER_ROWS=400000

mkdir -p "$OUT"
rm -f "$OUT"/*.log
work=$(mktemp -d /tmp/loteria-pg.XXXXXX)
suffix=$(basename "$work" | sed 's/.*\.//' | tr '[:upper:]' '[:lower:]' | tr -cd 'a-z0-9')
checkout=$work/tp0-pg-$suffix
readonly PROJECT=tp0-pg-$suffix
export LOTTERY_IMAGE_TAG=pg-$suffix
CONTAINERS="database server1 server2 $(seq -s ' ' -f 'client%g' 1 "$AGENCIES")"
readonly CONTAINERS
SUITE="compose-postgres"
# shellcheck source=tests/docker/lib.sh
source "$ROOT/tests/docker/lib.sh"
find_compose || { rm -rf "$work"; exit 1; }
dc() { (cd "$checkout" && "${compose[@]}" -f docker-compose-dev.yaml "$@"); }

finish() {
    if [[ -f "$checkout/docker-compose-dev.yaml" ]]; then
        dc down -v --remove-orphans >/dev/null 2>&1
    fi
    remove_tagged_images
    rm -rf "$work"
    end_suite "$1"
}

# --- data ---------------------------------------------------------------------------------------
# Agency K gets `rows + K * 1000` generated rows, a winner every 23rd.
generate_files() { generate_agency_files "$checkout/.data" "$AGENCIES" "$1" 1000 23 "$2"; }

course_or_generated_files() {
    local shared=$ROOT/../shared/data id
    if [[ -f "$shared/agency-1.csv" ]]; then
        say "data: the course dataset from $shared"
        mkdir -p "$checkout/.data"
        for id in $(seq 1 "$AGENCIES"); do
            install -m 644 "$shared/agency-$id.csv" "$checkout/.data/agency-$id.csv" || return 1
        done
    else
        say "data: generated (no course dataset beside the repository)"
        generate_files 2000 1
    fi
}

rows_in_files() { cat "$checkout"/.data/agency-*.csv | grep -cv '^[[:space:]]*$'; }
# (agency, document, number) combinations that occur more than once in the files (the document
# is the third field; a quoted name with a comma would shift it, the course's files have none).
doubled_in_files() {
    local id
    for id in $(seq 1 "$AGENCIES"); do
        awk -F, -v agency="$id" '{ sub(/\r$/, "") } NF { print agency "," $3 "," $5 }' \
            "$checkout/.data/agency-$id.csv"
    done | sort | uniq -d | wc -l
}

# --- the database -------------------------------------------------------------------------------
# psql in the database container, the password read there from its mounted file (never on a
# command line).
psql_db() {
    # shellcheck disable=SC2016 # expanded by the container's shell
    docker exec database bash -c 'PGPASSWORD=$(cat /run/secrets/db-password) exec psql \
        -h 127.0.0.1 -U lottery -d lottery -X -A -t -c "$0"' "$1"
}
stored_bets() { psql_db "SELECT count(*) FROM bets"; }
doubled_in_db() {
    psql_db "SELECT count(*) FROM (SELECT 1 FROM bets GROUP BY agency, document, number
             HAVING count(*) > 1) AS d"
}

# --- the containers -----------------------------------------------------------------------------
# Waits until every agency container has exited; prints the ones that have not.
wait_for_agencies() {
    local deadline=$((SECONDS + WAIT_SECONDS)) id running
    while ((SECONDS < deadline)); do
        running=
        for id in $(seq 1 "$AGENCIES"); do
            [[ $(docker inspect -f '{{.State.Status}}' "client$id" 2>/dev/null) == exited ]] ||
                running+="client$id "
        done
        [[ -z "$running" ]] && return 0
        sleep 1
    done
    echo "still running after $WAIT_SECONDS s: $running"
    return 1
}

save_logs() {
    local tag=$1 name
    for name in $CONTAINERS; do
        docker logs "$name" >"$OUT/$tag-$name.log" 2>&1
    done
}

# The server agency K first connected to (`conexion | result: success | server: ...`).
first_server() {
    sed -n 's/.*action: conexion | result: success | server: \([a-z0-9]*\):.*/\1/p' \
        "$OUT/$1-client$2.log" | head -n 1
}

down_all() {
    local tag=$1 step_start=$SECONDS
    if dc down -v --remove-orphans >"$OUT/$tag-down.log" 2>&1; then
        pass "$tag: docker compose down -v ($((SECONDS - step_start)) s)"
    else
        tail -n 20 "$OUT/$tag-down.log"
        fail "$tag: docker compose down -v"
    fi
    expect_eq "$tag: no container of project $PROJECT" "" "$(project_containers | tr '\n' ' ')"
    expect_eq "$tag: no network of project $PROJECT" "" "$(project_networks | tr '\n' ' ')"
    expect_eq "$tag: no volume of project $PROJECT" "" "$(project_volumes | tr '\n' ' ')"
}

up() {
    local tag=$1 step_start=$SECONDS
    if ! (cd "$checkout" && LOTTERY_DOCKER_BUILD=0 docker/compose.sh up docker-compose-dev.yaml) \
        >"$OUT/$tag-up.log" 2>&1; then
        tail -n 30 "$OUT/$tag-up.log"
        fail "$tag: docker/compose.sh up"
        return 1
    fi
    pass "$tag: docker/compose.sh up ($((SECONDS - step_start)) s)"
    expect_eq "$tag: compose named the project after the checkout" "$PROJECT" \
        "$(docker inspect -f '{{index .Config.Labels "com.docker.compose.project"}}' server1)"
}

# Every agency exited 0 with its file's winners; exactly one draw recorded; every bet once.
check_lottery() {
    local tag=$1 id expected got total=0
    for id in $(seq 1 "$AGENCIES"); do
        expect_eq "$tag: client$id exited 0" 0 \
            "$(docker inspect -f '{{.State.ExitCode}}' "client$id")"
        expected=$(winners_in_file "$checkout/.data/agency-$id.csv")
        got=$(sed -n 's/.*action: consulta_ganadores | result: success | cant_ganadores: \([0-9]*\).*/\1/p' \
            "$OUT/$tag-client$id.log" | tail -n 1)
        expect_eq "$tag: client$id cant_ganadores equals awk's count of 7574" \
            "$expected" "$got"
        total=$((total + expected))
    done
    check "$tag: the lottery had winners" test "$total" -gt 0
    # The draw is recorded once, by the transaction of the last DONE (`sorteo_registrado`);
    # every instance then reads the winners for its own waiting agencies (`sorteo`, at most once
    # each, always over every bet).
    expect_eq "$tag: instances that recorded the draw (sorteo_registrado)" 1 \
        "$(cat "$OUT/$tag-server1.log" "$OUT/$tag-server2.log" |
            grep -c 'action: sorteo_registrado | result: success')"
    local server reads
    for server in server1 server2; do
        reads=$(grep -c 'action: sorteo | result: success' "$OUT/$tag-$server.log")
        check "$tag: $server read the draw at most once ($reads)" test "$reads" -le 1
        check "$tag: $server's draw read every bet" \
            bash -c "! grep 'action: sorteo | result: success' '$OUT/$tag-$server.log' |
                grep -vq 'cantidad: $(rows_in_files) '"
    done
    expect_eq "$tag: rows in the draw table" 1 "$(psql_db 'SELECT count(*) FROM draw')"
    expect_eq "$tag: bets in the database equal the input rows" "$(rows_in_files)" "$(stored_bets)"
    expect_eq "$tag: (agency, document, number) doubled in the database as in the files" \
        "$(doubled_in_files)" "$(doubled_in_db)"
    expect_eq "$tag: batches' bet counts add up to the bets" "$(stored_bets)" \
        "$(psql_db 'SELECT coalesce(sum(bet_count), 0) FROM batches')"
}

# --- the flow -----------------------------------------------------------------------------------
require_root_and_engine
# shellcheck disable=SC2086 # the names are words
claim_containers 'tp0-pg-*' $CONTAINERS
build_tagged_images

mkdir -p "$checkout"
(cd "$ROOT" && cp --parents generar-compose.sh scripts/make-credentials.sh server/config.ini \
    agency-cli/config.yaml docker/compose.sh docker/postgres/Dockerfile \
    docker/postgres/entrypoint.sh "$checkout/") || abort "copying the checkout"

say "1. the course's files on two servers and PostgreSQL"
course_or_generated_files || abort "preparing the agency files"
check "./generar-compose.sh docker-compose-dev.yaml $AGENCIES --postgres" \
    bash -c "cd '$checkout' && ./generar-compose.sh docker-compose-dev.yaml $AGENCIES --postgres \
        >'$OUT/generar-compose.log' 2>&1"
check "the compose file parses (docker/compose.sh services)" \
    bash -c "cd '$checkout' && docker/compose.sh services docker-compose-dev.yaml >'$OUT/services.log'"
up first || abort "the first round did not start"
check "first: every agency container exited" wait_for_agencies
save_logs first
check_lottery first
servers_used=
for id in $(seq 1 "$AGENCIES"); do
    servers_used+="$(first_server first "$id") "
done
check "first: both servers carried agencies (first connections: $servers_used)" \
    bash -c "[[ '$servers_used' == *server1* && '$servers_used' == *server2* ]]"
check "first: no server logged a failure (they start once the database is healthy)" \
    bash -c "! grep -h 'result: fail' '$OUT/first-server1.log' '$OUT/first-server2.log'"
check "first: no agency logged a failure" bash -c "! grep -h 'result: fail' '$OUT'/first-client*.log"

say "1b. docker/compose.sh down keeps the database volume; down -v removes it"
(cd "$checkout" && docker/compose.sh down docker-compose-dev.yaml) >"$OUT/first-compose-down.log" 2>&1 ||
    fail "first: docker/compose.sh down"
expect_eq "first: no container left after docker/compose.sh down" "" \
    "$(project_containers | tr '\n' ' ')"
check "first: the database volume outlives docker/compose.sh down" \
    test -n "$(project_volumes)"
down_all first

say "2. kill server1 mid-upload ($FAILOVER_ROWS+ rows per agency)"
generate_files "$FAILOVER_ROWS" 2 || abort "generating the agency files"
# Odd agencies list server1 first. The kill waits until server1 has welcomed each of them (a
# loaded machine can take a second per TLS handshake and token check), so that every one of
# them is on server1 when it goes: mid-upload, or done and waiting for the draw. It watches from
# before `up`, which returns only after the last container started, when the first agencies may
# be well into their upload.
welcomed_by_server1() {
    local id
    # Every agency container started first: compose starts none after its server is gone.
    for id in $(seq 1 "$AGENCIES"); do
        [[ $(docker inspect -f '{{.State.Status}}' "client$id" 2>/dev/null) =~ ^(running|exited)$ ]] ||
            return 1
    done
    for id in $(seq 1 2 "$AGENCIES"); do
        # No grep -q: an early exit would fail the pipe (pipefail) with the match found.
        docker logs "client$id" 2>&1 |
            grep 'action: conexion | result: success | server: server1:' >/dev/null || return 1
    done
}
# In the background: writes the odd agencies' stored bets at the kill to $work/killed.
kill_server1_when_welcomed() {
    local deadline=$((SECONDS + 180)) stored
    while ((SECONDS < deadline)); do
        if welcomed_by_server1; then
            stored=$(psql_db "SELECT count(*) FROM bets WHERE agency % 2 = 1")
            docker kill server1 >/dev/null && echo "$stored" >"$work/killed"
            return
        fi
        sleep 0.2
    done
}
odd_rows=0
for id in $(seq 1 2 "$AGENCIES"); do
    odd_rows=$((odd_rows + $(grep -cv '^[[:space:]]*$' "$checkout/.data/agency-$id.csv")))
done
kill_server1_when_welcomed &
watcher=$!
up second || { kill "$watcher" 2>/dev/null; abort "the second round did not start"; }
wait "$watcher"
killed=0
odd_stored=
if [[ -s "$work/killed" ]]; then
    killed=1
    odd_stored=$(cat "$work/killed")
    say "killed server1 with $odd_stored of the odd agencies' $odd_rows bets stored"
fi
check "second: server1 killed once it had welcomed agencies 1, 3, 5" test "$killed" -eq 1
check "second: it came mid-upload ($odd_stored of agencies 1, 3, 5's $odd_rows bets stored)" \
    test "${odd_stored:-$odd_rows}" -lt "$odd_rows"
check "second: every agency container exited" wait_for_agencies
save_logs second
check_lottery second
# Odd agencies list server1 first: each began there, lost it, and resumed on server2 from what
# the database had stored for it (WELCOME's apuestas_guardadas > 0: nothing sent twice).
failed_over() {
    local log=$OUT/second-client$1.log
    [[ "$(first_server second "$1")" == server1 ]] &&
        grep -q 'action: reconexion | result: in_progress | server: server1:' "$log" &&
        grep 'action: conexion | result: success | server: server2:' "$log" |
        grep -v 'apuestas_guardadas: 0$' >/dev/null
}
for id in $(seq 1 2 "$AGENCIES"); do
    check "second: client$id began on server1 and resumed on server2" failed_over "$id"
done
for id in $(seq 2 2 "$AGENCIES"); do
    expect_eq "second: client$id stayed on server2" server2 "$(first_server second "$id")"
done
down_all second
finish 0
