#!/usr/bin/env bash
# agency-gui as a real X11 window (QT_QPA_PLATFORM=xcb under xvfb-run) against a real
# lottery-server: scripts/make-gui-screenshot.sh's upload, in each language, must receive the
# winners and save a non-empty PNG. Fails when xvfb-run is not installed (make test installs it).
#   tests/gui-xvfb.sh BIN_DIR
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if ! command -v xvfb-run >/dev/null; then
    echo "FAIL: xvfb-run is not installed (make test installs it: scripts/install-deps.sh --with-tools)"
    exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for lang in es en; do
    GUI_SCREENSHOT_PLATFORM=xvfb GUI_SCREENSHOT_LANG=$lang \
        "$root/scripts/make-gui-screenshot.sh" "$1" "$work/$lang.png"
    [[ -s "$work/$lang.png" ]] || { echo "FAIL: no $lang screenshot"; exit 1; }
    echo "PASS: real window under Xvfb, --lang $lang, winners received"
done
