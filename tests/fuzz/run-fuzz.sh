#!/usr/bin/env bash
# Builds the libFuzzer decoder target with clang (ASan + UBSan) and fuzzes it for SECONDS on a
# copy of the committed seed corpus (the corpus in git is never modified).
# Exit status: 0 when no crash was found; non-zero on a crash or a build failure.
#
#   tests/fuzz/run-fuzz.sh 60
#   LOTTERY_FUZZ_BUILD_DIR=/tmp/fuzz-build tests/fuzz/run-fuzz.sh 600
set -euo pipefail

if [[ $# -ne 1 || ! $1 =~ ^[0-9]+$ ]]; then
    echo "usage: $0 SECONDS" >&2
    exit 2
fi
seconds=$1
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${LOTTERY_FUZZ_BUILD_DIR:-$root/build-fuzz}
jobs=${LOTTERY_FUZZ_JOBS:-2}

CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DLOTTERY_FUZZ=ON -DLOTTERY_BUILD_GUI=OFF
cmake --build "$build" --target fuzz_decoder -j "$jobs"

work=$(mktemp -d "${TMPDIR:-/tmp}/lottery-fuzz.XXXXXX")
mkdir "$work/corpus" "$work/artifacts"
cp "$here"/corpus/* "$work/corpus/"
echo "fuzzing for ${seconds}s; corpus copy and any crash input in $work"

status=0
"$build/bin/fuzz_decoder" -max_total_time="$seconds" -max_len=20000 -len_control=0 -timeout=10 \
    -artifact_prefix="$work/artifacts/" -print_final_stats=1 "$work/corpus" || status=$?

if [[ $status -ne 0 ]]; then
    echo "fuzz_decoder FAILED (exit $status); reproduce with:" >&2
    for crash in "$work"/artifacts/*; do
        [[ -e $crash ]] && echo "  $build/bin/fuzz_decoder $crash" >&2
    done
    exit "$status"
fi
echo "fuzz_decoder: no crash in ${seconds}s ($(ls "$work/corpus" | wc -l) corpus entries)"
