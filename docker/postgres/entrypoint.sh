#!/usr/bin/env bash
# First start on an empty volume: initdb (scram-sha-256, superuser `lottery` with the password of
# $LOTTERY_DB_PASSWORD_FILE), create the database `lottery`. Every start: run postgres in the
# foreground. The servers create and migrate the schema themselves.
set -euo pipefail
: "${PGDATA:?}"
password_file=${LOTTERY_DB_PASSWORD_FILE:-/run/secrets/db-password}
if [[ ! -s "$PGDATA/PG_VERSION" ]]; then
    [[ -r "$password_file" ]] || { echo "postgres-entrypoint: no password file $password_file" >&2; exit 2; }
    initdb -D "$PGDATA" -U lottery --pwfile="$password_file" --auth-host=scram-sha-256 \
        --auth-local=peer --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    cat >>"$PGDATA/postgresql.conf" <<CONF
listen_addresses = '*'
synchronous_commit = on
fsync = on
CONF
    echo "host all all 0.0.0.0/0 scram-sha-256" >>"$PGDATA/pg_hba.conf"
    echo "CREATE DATABASE lottery" | postgres --single -D "$PGDATA" postgres >/dev/null
    echo "postgres-entrypoint: initialised $PGDATA (database lottery)"
fi
exec postgres -D "$PGDATA"
