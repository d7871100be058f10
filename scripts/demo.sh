#!/usr/bin/env bash
# Runs the whole system on loopback: one lottery-server and 5 agency-cli processes, then prints each
# agency's winners. Data: .data/agency-N.csv when present, else the course dataset in ../shared/data,
# else a deterministic synthetic set made by lottery-datagen. Secure by default: TLS and per-agency
# tokens made by scripts/make-credentials.sh in the work dir (DEMO_INSECURE=1: the open mode).
# The operator console (docs/ADMIN.md) listens on 127.0.0.1 (DEMO_ADMIN_PORT, default any free
# port); its address is printed, and it stays up DEMO_HOLD_SECONDS (default 5) after the run.
# Usage: scripts/demo.sh BIN_DIR [AGENCIES]
set -euo pipefail

bin_dir=$(cd "${1:?usage: scripts/demo.sh BIN_DIR [AGENCIES]}" && pwd)
agencies=${2:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/loteria-demo.XXXXXX")
server_pid=
cleanup() {
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
}
trap cleanup EXIT

data_dir=
for candidate in "$root/.data" "$root/../shared/data"; do
    if [[ -f "$candidate/agency-1.csv" ]]; then
        data_dir=$candidate
        break
    fi
done
if [[ -z "$data_dir" ]]; then
    data_dir="$work/data"
    echo "demo: no .data/agency-N.csv found; generating synthetic bets in $data_dir"
    "$bin_dir/lottery-datagen" --out "$data_dir" --agencies "$agencies" --bets 2000 --seed 42 >/dev/null
fi
echo "demo: data from $data_dir, $agencies agencies, work dir $work"

server_security=()
if [[ "${DEMO_INSECURE:-0}" != 1 ]]; then
    LOTTERY_CREDENTIALS="$bin_dir/lottery-credentials" \
        "$root/scripts/make-credentials.sh" "$work/secrets" "$agencies"
    server_security=(--tls-cert "$work/secrets/server.crt" --tls-key "$work/secrets/server.key"
        --credentials "$work/secrets/credentials")
fi

# Port 0: the kernel picks a free port and the server logs the one it got.
# Its log exists before the poll below reads it: the background job opens it only after its fork
# (a sed of a missing file fails this script under `set -e -o pipefail`; gui_xvfb did so in CI).
: >"$work/server.log"
"$bin_dir/lottery-server" --port 0 --agencies "$agencies" --storage "$work/bets.csv" \
    --admin-port "${DEMO_ADMIN_PORT:-0}" "${server_security[@]}" >"$work/server.log" 2>&1 &
server_pid=$!
port=
for _ in $(seq 1 100); do
    port=$(sed -n 's/.*action: listen | result: success .*| port: \([0-9]*\).*/\1/p' "$work/server.log" | head -n 1)
    [[ -n "$port" ]] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log"; echo "demo: server died"; exit 1; }
    sleep 0.1
done
[[ -n "$port" ]] || { cat "$work/server.log"; echo "demo: server did not start"; exit 1; }
echo "demo: server listening on 127.0.0.1:$port"
admin_port=$(sed -n 's/.*action: admin_listen | result: success .*| port: \([0-9]*\).*/\1/p' "$work/server.log" | head -n 1)
echo "demo: operator console at http://127.0.0.1:$admin_port/ (metrics: /metrics, status: /api/status)"

pids=()
for agency in $(seq 1 "$agencies"); do
    agency_security=()
    if [[ ${#server_security[@]} -gt 0 ]]; then
        agency_security=(--ca "$work/secrets/ca.crt" --token-file "$work/secrets/agency-$agency.token")
    fi
    "$bin_dir/agency-cli" --agency "$agency" --server "127.0.0.1:$port" "${agency_security[@]}" \
        --file "$data_dir/agency-$agency.csv" --log-level DEBUG >"$work/agency-$agency.log" 2>&1 &
    pids+=($!)
done

status=0
for index in "${!pids[@]}"; do
    agency=$((index + 1))
    if ! wait "${pids[$index]}"; then
        echo "demo: agency $agency failed:"
        tail -n 5 "$work/agency-$agency.log"
        status=1
    fi
done

echo
grep -h "action: sorteo" "$work/server.log" || true
for agency in $(seq 1 "$agencies"); do
    line=$(grep -h "action: consulta_ganadores" "$work/agency-$agency.log" | tail -n 1 || true)
    echo "agency $agency: ${line#*action: }"
    grep -h "action: ganador " "$work/agency-$agency.log" | sed 's/.*documento: /    winner document: /' || true
done

hold=${DEMO_HOLD_SECONDS:-5}
if [[ "$hold" =~ ^[0-9]+$ ]] && ((hold > 0)); then
    echo
    echo "demo: the console at http://127.0.0.1:$admin_port/ stays up ${hold} s more" \
        "(DEMO_HOLD_SECONDS=600 make demo keeps it longer; Ctrl-C ends it)"
    sleep "$hold"
fi
kill -TERM "$server_pid"
wait "$server_pid" || status=1
server_pid=
echo
echo "demo: server stopped; bets stored in $work/bets.csv ($(wc -l <"$work/bets.csv") rows)"
exit $status
