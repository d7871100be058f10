#!/usr/bin/env bash
# Makes docs/agency-gui.png: a finished agency-gui session against a real lottery-server.
# Starts lottery-server --agencies 1 on a free port with a temporary storage, generates a small
# bets file with lottery-datagen, runs agency-gui --start --screenshot headless, stops the server.
# Usage: scripts/make-gui-screenshot.sh [BIN_DIR] [OUTPUT_PNG]
#   BIN_DIR defaults to build/bin, OUTPUT_PNG to docs/agency-gui.png.
# Set GUI_SCREENSHOT_PLATFORM=xvfb to render a real X11 window under xvfb-run (QT_QPA_PLATFORM=xcb)
# instead of offscreen. GUI_SCREENSHOT_LANG (default es, the README's) picks the language.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin_dir=$(cd "${1:-$root/build/bin}" && pwd)
output=${2:-$root/docs/agency-gui.png}
for program in lottery-server lottery-datagen agency-gui; do
    [[ -x "$bin_dir/$program" ]] || { echo "make-gui-screenshot: $bin_dir/$program not built" >&2; exit 2; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/loteria-gui-shot.XXXXXX")
server_pid=
cleanup() {
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# A few invalid rows, so the preview shows what it does with them.
"$bin_dir/lottery-datagen" --out "$work/data" --agencies 1 --bets 5000 --seed 7 \
    --invalid-every 613 >/dev/null

# The log exists before the poll below reads it: the background job opens it only after its fork
# (a sed of a missing file fails this script under `set -e -o pipefail`; gui_xvfb did so in CI).
: >"$work/server.log"
"$bin_dir/lottery-server" --port 0 --agencies 1 --storage "$work/bets.csv" \
    >"$work/server.log" 2>&1 &
server_pid=$!
port=
for _ in $(seq 1 100); do
    port=$(sed -n 's/.*action: listen | result: success.*| port: \([0-9]*\).*/\1/p' \
        "$work/server.log" | head -n 1)
    [[ -n "$port" ]] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
    sleep 0.1
done
[[ -n "$port" ]] || { echo "make-gui-screenshot: the server did not listen" >&2; exit 1; }

# Its own settings file, so the run neither reads nor changes the user's remembered fields.
export XDG_CONFIG_HOME="$work/config"
gui=("$bin_dir/agency-gui" --server "127.0.0.1:$port" --agency 1 --file "$work/data/agency-1.csv"
    --batch-size 50 --start --screenshot "$output" --lang "${GUI_SCREENSHOT_LANG:-es}")
status=0
if [[ "${GUI_SCREENSHOT_PLATFORM:-offscreen}" == xvfb ]]; then
    QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1280x1024x24" "${gui[@]}" >"$work/gui.log" 2>&1 ||
        status=$?
else
    QT_QPA_PLATFORM=offscreen "${gui[@]}" >"$work/gui.log" 2>&1 || status=$?
fi
if [[ $status -ne 0 ]]; then
    echo "make-gui-screenshot: agency-gui exited with $status" >&2
    cat "$work/gui.log" >&2
    exit 1
fi
echo "make-gui-screenshot: wrote $output"
