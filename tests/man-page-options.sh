#!/usr/bin/env bash
# Every long option a program's --help shows is in its manual page (packaging/man/PROGRAM.1), so
# the packaged page never lags behind the program (the Debian package test checks the installed
# page too; this catches it in `make test`, before any package is built).
#   tests/man-page-options.sh BIN_DIR PROGRAM...
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin_dir=$1
shift
status=0
for program in "$@"; do
    page=$root/packaging/man/$program.1
    [[ -f "$page" ]] || { echo "FAIL: $program has no manual page ($page)"; status=1; continue; }
    help=$(QT_QPA_PLATFORM=offscreen "$bin_dir/$program" --help 2>/dev/null) ||
        { echo "FAIL: $program --help failed"; status=1; continue; }
    options=$(grep -oE -- '--[a-z][a-z-]*' <<<"$help" | sort -u)
    [[ -n "$options" ]] || { echo "FAIL: $program --help shows no option"; status=1; continue; }
    # Read once, no pipe into `grep -q`: under pipefail its early exit fails the pipeline (the
    # writer gets SIGPIPE), which reported documented options as missing.
    text=$(sed 's/\\-/-/g' "$page")
    missing=
    for option in $options; do
        grep -qF -- "$option" <<<"$text" || missing+=" $option"
    done
    if [[ -n "$missing" ]]; then
        echo "FAIL: packaging/man/$program.1 does not document:$missing"
        status=1
    else
        echo "PASS: $program: $(wc -w <<<"$options") options, all in its manual page"
    fi
done
exit $status
