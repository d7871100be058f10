#!/usr/bin/env bash
# Writes a Docker Compose file: the lottery server and N headless agencies on a private network.
#
#   ./generar-compose.sh OUTPUT N [--keep-bets VOLUME]
#   e.g. ./generar-compose.sh docker-compose-dev.yaml 5
#
# Services `server` and `client1`..`clientN` (container names the same). The server expects N
# agencies (SERVER_AGENCIES=N); N = 0 gives the server alone, expecting as many agencies as
# server/config.ini says. Configuration is mounted, not baked:
# ./server/config.ini and ./agency-cli/config.yaml, and agency K reads ./.data/agency-K.csv.
# Where the bets go (docs/DOCKER.md): by default in the server container itself (its writable
# layer), so they survive `stop`/`start` and a crash of the server, and a lottery ends with
# `docker compose down`: the next `up` starts from nothing, as the course's development setup
# expects. --keep-bets VOLUME puts them on the named Docker volume VOLUME instead, which `down`
# keeps (`down -v` or `docker volume rm VOLUME` removes it): the next `up` recovers them.
# Secure by default (docs/SECURITY.md): for N > 0, scripts/make-credentials.sh makes (or keeps) a CA,
# the server certificate and one token per agency in ./secrets; the server gets its certificate,
# key and token hashes, agency K its own token and the CA, each file mounted read-only, never in
# an image. LOTTERY_INSECURE=1 writes the open mode (plain TCP, no tokens) instead.
# LOTTERY_IMAGE_TAG (default latest) names the images' tag (docker/compose.sh builds the same).
# The server's admin endpoint (docs/ADMIN.md: dashboard, /metrics, /readyz) is published on the
# host's loopback only, 127.0.0.1:${LOTTERY_ADMIN_PORT:-9180}, with the bearer token in
# ./secrets/admin.token (made when missing); TLS too when the server has its certificate.
# Run it from the repository root (paths in the file are relative to the file's folder).
#
#   ./generar-compose.sh OUTPUT N --postgres
#
# Two server instances (`server1`, `server2`) on one PostgreSQL (`database`, image built from
# docker/postgres/Dockerfile on the local Debian base, data on the compose project's volume
# `pgdata`), and N agencies spread over both: odd agencies list server1 first, even ones server2,
# each listing both (CLI_SERVER_ADDRESS=a:12345,b:12345) and failing over in order. The servers
# start once the database is healthy, the agencies once both servers are. server1's
# admin endpoint is on 127.0.0.1:${LOTTERY_ADMIN_PORT:-9180}, server2's on the next port. The
# database password is made once in ./secrets/db-password; the servers get it as PGPASSWORD from
# ./secrets/database.env (an env_file: never in the compose file, never on a command line).
# See docs/OPERATIONS.md.
set -euo pipefail

readonly MAX_AGENCIES=999

usage() {
    cat >&2 <<EOF
usage: $0 OUTPUT N [--keep-bets VOLUME] [--postgres]
  OUTPUT              the compose file to write (e.g. docker-compose-dev.yaml)
  N                   number of agencies, 0..$MAX_AGENCIES (0: the server alone)
  --keep-bets VOLUME  keep the bets on the named Docker volume VOLUME, across
                      \`docker compose down\` (default: in the server container,
                      gone with \`down\`)
  --postgres          two servers on one PostgreSQL, every agency listing both
EOF
}

fail() {
    echo "generar-compose: error: $*" >&2
    usage
    exit 2
}

postgres=0
arguments="$*"
keep_bets=
keep_bets_given=0
positional=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --keep-bets)
            [[ $# -ge 2 ]] || fail "--keep-bets needs a volume name"
            keep_bets=$2
            keep_bets_given=1
            shift 2
            ;;
        --keep-bets=*)
            keep_bets=${1#--keep-bets=}
            keep_bets_given=1
            shift
            ;;
        --postgres)
            postgres=1
            shift
            ;;
        --)
            shift
            positional+=("$@")
            break
            ;;
        --*)
            fail "unknown option '$1'"
            ;;
        *)
            positional+=("$1")
            shift
            ;;
    esac
done
if [[ ${#positional[@]} -ne 2 ]]; then
    fail "expected 2 arguments, got ${#positional[@]}"
fi
output=${positional[0]}
agencies=${positional[1]}
# Docker's own rule for volume names. The user names it: never a fixed name that every checkout
# on the host would share.
if ((postgres && keep_bets_given)); then
    fail "--keep-bets is for the file store; with --postgres the bets live in the database's volume"
fi
if [[ $keep_bets_given -eq 1 && ! "$keep_bets" =~ ^[a-zA-Z0-9][a-zA-Z0-9_.-]+$ ]]; then
    fail "--keep-bets: '$keep_bets' is not a Docker volume name ([a-zA-Z0-9][a-zA-Z0-9_.-]+)"
fi

[[ -n "$output" ]] || fail "OUTPUT is empty"
[[ "$output" != -* ]] || fail "OUTPUT '$output' looks like an option"
[[ ! -d "$output" ]] || fail "OUTPUT '$output' is a directory"
[[ "$agencies" =~ ^[0-9]+$ ]] || fail "N must be a whole number, got '$agencies'"
# Strip leading zeros ("05" is 5) without letting bash read it as octal.
agencies=$((10#$agencies))
((agencies <= MAX_AGENCIES)) || fail "N must be at most $MAX_AGENCIES, got $agencies"

# N = 0: the server alone, expecting the agencies that server/config.ini names (they run elsewhere,
# e.g. from the host); the server refuses SERVER_AGENCIES=0, a draw nobody can take part in.
agencies_line=
if ((agencies > 0)); then
    agencies_line="      - SERVER_AGENCIES=$agencies
"
fi

admin_port=${LOTTERY_ADMIN_PORT:-9180}
if ! [[ "$admin_port" =~ ^[0-9]+$ ]] || ((10#$admin_port < 1 || 10#$admin_port > 65535)); then
    fail "LOTTERY_ADMIN_PORT must be a port number, got '$admin_port'"
fi
if ((postgres && 10#$admin_port == 65535)); then
    fail "LOTTERY_ADMIN_PORT: --postgres publishes two admin ports, $admin_port and the next one"
fi
# The admin token: off the container's loopback the server requires one. Kept when present.
if [[ ! -s ./secrets/admin.token ]]; then
    mkdir -p ./secrets
    chmod 700 ./secrets
    (umask 022 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >./secrets/admin.token)
    echo "generar-compose: made ./secrets/admin.token" >&2
fi

secure=0
if ((agencies > 0)) && [[ "${LOTTERY_INSECURE:-0}" != 1 ]]; then
    "$(dirname "$0")/scripts/make-credentials.sh" ./secrets "$agencies" >&2
    secure=1
fi
server_secrets=
server_volumes=
if ((secure)); then
    server_volumes="      - ./secrets/server.crt:/run/secrets/server.crt:ro
      - ./secrets/server.key:/run/secrets/server.key:ro
      - ./secrets/credentials:/run/secrets/credentials:ro
"
    server_secrets="      - SERVER_TLS_CERT=/run/secrets/server.crt
      - SERVER_TLS_KEY=/run/secrets/server.key
      - SERVER_CREDENTIALS=/run/secrets/credentials
"
fi

image_tag=${LOTTERY_IMAGE_TAG:-latest}
[[ "$image_tag" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] ||
    fail "LOTTERY_IMAGE_TAG '$image_tag' is not a Docker image tag"

# The bets: in the server container (gone with `down`), or on the volume the user named.
bets_volume_line=
volumes_section=
bets_where="in the server container, gone with 'docker compose down'"
if [[ $keep_bets_given -eq 1 ]]; then
    bets_volume_line="      - bets:/var/lib/loteria
"
    volumes_section="
volumes:
  bets:
    name: $keep_bets"
    bets_where="on the volume '$keep_bets', kept by 'docker compose down'"
fi

# No `version:` key: compose v1 (1.27 and later) reads the file the same without it, and v2
# ignores it with a warning that it is obsolete (docs/DOCKER.md, "Compose v1 and v2").
emit() {
    cat <<EOF
# Generated by ./generar-compose.sh $arguments; edit the script, not this file.
# Bets: $bets_where.
services:
  server:
    container_name: server
    image: loteria-server:$image_tag
    environment:
$agencies_line$server_secrets      - SERVER_STORAGE=/var/lib/loteria/bets.csv
      - SERVER_ADMIN_PORT=$admin_port
      - SERVER_ADMIN_IP=0.0.0.0
      - SERVER_ADMIN_TOKEN_FILE=/run/secrets/admin.token
    ports:
      - "127.0.0.1:$admin_port:$admin_port"
    volumes:
      - ./server/config.ini:/app/config.ini:ro
      - ./secrets/admin.token:/run/secrets/admin.token:ro
$server_volumes$bets_volume_line    networks:
      - testing_net
    stop_grace_period: 10s
EOF
    local id
    for ((id = 1; id <= agencies; ++id)); do
        local agency_env='' agency_volumes=''
        if ((secure)); then
            agency_env="
      - CLI_CA=/run/secrets/ca.crt
      - CLI_TOKEN_FILE=/run/secrets/agency.token"
            agency_volumes="
      - ./secrets/ca.crt:/run/secrets/ca.crt:ro
      - ./secrets/agency-$id.token:/run/secrets/agency.token:ro"
        fi
        cat <<EOF

  client$id:
    container_name: client$id
    image: loteria-agency:$image_tag
    environment:
      - CLI_ID=$id$agency_env
    volumes:
      - ./agency-cli/config.yaml:/app/config.yaml:ro
      - ./.data:/app/.data:ro$agency_volumes
    networks:
      - testing_net
    depends_on:
      - server
    stop_grace_period: 10s
EOF
    done
    cat <<EOF

networks:
  testing_net:
    driver: bridge
$volumes_section
EOF
}

# --postgres: the database, two servers, the agencies spread over both.
emit_postgres() {
    cat <<EOF
# Generated by ./generar-compose.sh $output $agencies --postgres; edit the script, not this file.
services:
  database:
    container_name: database
    image: loteria-postgres:$image_tag
    build:
      context: .
      dockerfile: docker/postgres/Dockerfile
    environment:
      - LOTTERY_DB_PASSWORD_FILE=/run/secrets/db-password
    volumes:
      - ./secrets/db-password:/run/secrets/db-password:ro
      - pgdata:/var/lib/postgresql/data
    networks:
      - testing_net
    stop_grace_period: 30s
EOF
    local server
    for server in 1 2; do
        # Each instance its own admin endpoint on the host's loopback: server1 on the admin
        # port, server2 on the next one.
        local port=$((10#$admin_port + server - 1))
        cat <<EOF

  server$server:
    container_name: server$server
    image: loteria-server:$image_tag
    environment:
$agencies_line$server_secrets      - SERVER_DATABASE=host=database port=5432 dbname=lottery user=lottery
      - SERVER_ADMIN_PORT=$port
      - SERVER_ADMIN_IP=0.0.0.0
      - SERVER_ADMIN_TOKEN_FILE=/run/secrets/admin.token
    env_file:
      - ./secrets/database.env
    ports:
      - "127.0.0.1:$port:$port"
    volumes:
      - ./server/config.ini:/app/config.ini:ro
      - ./secrets/admin.token:/run/secrets/admin.token:ro
$server_volumes    networks:
      - testing_net
    # Started once the database answers (its image's HEALTHCHECK, pg_isready). Should it go
    # away later, the server exits 2 and compose starts it again.
    depends_on:
      database:
        condition: service_healthy
    restart: on-failure
    stop_grace_period: 10s
EOF
    done
    local id
    for ((id = 1; id <= agencies; ++id)); do
        local agency_env='' agency_volumes='' first=1 second=2
        if ((id % 2 == 0)); then
            first=2
            second=1
        fi
        if ((secure)); then
            agency_env="
      - CLI_CA=/run/secrets/ca.crt
      - CLI_TOKEN_FILE=/run/secrets/agency.token"
            agency_volumes="
      - ./secrets/ca.crt:/run/secrets/ca.crt:ro
      - ./secrets/agency-$id.token:/run/secrets/agency.token:ro"
        fi
        cat <<EOF

  client$id:
    container_name: client$id
    image: loteria-agency:$image_tag
    environment:
      - CLI_ID=$id
      - CLI_SERVER_ADDRESS=server$first:12345,server$second:12345$agency_env
    volumes:
      - ./agency-cli/config.yaml:/app/config.yaml:ro
      - ./.data:/app/.data:ro$agency_volumes
    networks:
      - testing_net
    # Started once both servers are ready (their HEALTHCHECK: the store open, listening), so
    # that each agency begins on the server it lists first and both carry load.
    depends_on:
      server1:
        condition: service_healthy
      server2:
        condition: service_healthy
    stop_grace_period: 10s
EOF
    done
    cat <<EOF

networks:
  testing_net:
    driver: bridge

volumes:
  pgdata:
EOF
}

if ((postgres)); then
    # The database password: made once, kept with the other secrets (a 0700 folder).
    mkdir -p ./secrets
    chmod 700 ./secrets
    if [[ ! -s ./secrets/db-password ]]; then
        (umask 022 && openssl rand -hex 24 >./secrets/db-password)
    fi
    (umask 077 && printf 'PGPASSWORD=%s\n' "$(cat ./secrets/db-password)" >./secrets/database.env)
fi

# Write to a temporary file first, so a failure never leaves half a compose file behind.
tmp=$(mktemp "${output}.XXXXXX")
trap 'rm -f "$tmp"' EXIT
if ((postgres)); then
    emit_postgres >"$tmp"
else
    emit >"$tmp"
fi
chmod 644 "$tmp"
mv "$tmp" "$output"
trap - EXIT
if ((postgres)); then
    echo "generar-compose: wrote $output (PostgreSQL + 2 servers + $agencies agencies)"
else
    echo "generar-compose: wrote $output (server + $agencies agencies; bets $bets_where)"
fi
