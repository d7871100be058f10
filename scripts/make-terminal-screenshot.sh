#!/usr/bin/env bash
# Makes docs/agency-cli-terminal.png: agency-cli on a terminal (tmux, 100 columns) against a real
# lottery-server, captured mid-upload (the progress bar) and at the end (the summary), rendered
# to PNG with lottery-text-png (Qt, offscreen; kept as text beside it, .txt). Usage: scripts/make-terminal-screenshot.sh [BIN_DIR] [PNG]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin_dir=$(cd "${1:-$root/build/bin}" && pwd)
output=${2:-$root/docs/agency-cli-terminal.png}
for tool in tmux; do
    command -v "$tool" >/dev/null || { echo "make-terminal-screenshot: $tool is not installed" >&2; exit 2; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/loteria-term-shot.XXXXXX")
session=loteria-shot-$$
cleanup() {
    tmux kill-session -t "$session" 2>/dev/null || true
    [[ -n "${server_pid:-}" ]] && kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
"$bin_dir/lottery-datagen" --out "$work/data" --agencies 1 --bets 300000 --seed 7 >/dev/null
# The log exists before the poll below reads it: the background job opens it only after its fork
# (a sed of a missing file fails this script under `set -e -o pipefail`; gui_xvfb did so in CI).
: >"$work/server.log"
"$bin_dir/lottery-server" --port 0 --agencies 1 --storage "$work/bets.csv" >"$work/server.log" 2>&1 &
server_pid=$!
port=
for _ in $(seq 1 100); do
    port=$(sed -n 's/.*action: listen | result: success.*| port: \([0-9]*\).*/\1/p' "$work/server.log" | head -n 1)
    [[ -n "$port" ]] && break
    sleep 0.1
done
[[ -n "$port" ]] || { echo "make-terminal-screenshot: the server did not listen" >&2; exit 1; }
command="$bin_dir/agency-cli --lang ${SHOT_LANG:-es} --agency 1 --server 127.0.0.1:$port --file $work/data/agency-1.csv --batch-max 10 --window 4"
tmux new-session -d -s "$session" -x 100 -y 8 "echo '\$ agency-cli --agency 1 --server 127.0.0.1:$port --file agency-1.csv'; $command; sleep 30"
# Mid-upload: the bar; then the end: the summary.
for _ in $(seq 1 100); do
    tmux capture-pane -p -t "$session" | grep -q '%' && break
    sleep 0.1
done
sleep 8
tmux capture-pane -p -t "$session" >"$work/mid.txt"
for _ in $(seq 1 600); do
    tmux capture-pane -p -t "$session" | grep -qE 'ganador|winner' && break
    sleep 0.1
done
tmux capture-pane -p -t "$session" >"$work/end.txt"
{ sed '/^$/d' "$work/mid.txt"; echo; echo "  ..."; echo; sed '/^$/d' "$work/end.txt" | tail -n +2; } >"$work/shot.txt" # tmux wrapped at 100 columns
cp "$work/shot.txt" "${output%.png}.txt"
echo "make-terminal-screenshot: wrote ${output%.png}.txt"
"$bin_dir/lottery-text-png" "$work/shot.txt" "$output" --columns 100
echo "make-terminal-screenshot: wrote $output"
