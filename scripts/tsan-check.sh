#!/usr/bin/env bash
# Runs the `concurrency` tests of a ThreadSanitizer build and fails on any data race that involves
# our code. Debian's Qt is not built with TSan, so races whose accesses happen entirely inside Qt's
# own library (its thread-pool queue, its internal locks) cannot be judged: they are counted and
# listed, not failed on. A race with one of our source files in either access stack fails the run,
# as does any test failure. Known Qt-internal hand-offs that do touch our frames are suppressed,
# each with its reason, in tests/tsan.supp.
# Usage: scripts/tsan-check.sh BUILD_DIR
set -euo pipefail
build_dir=$(cd "${1:?usage: scripts/tsan-check.sh BUILD_DIR}" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
logs="$build_dir/tsan-logs"
rm -rf "$logs" && mkdir -p "$logs"

export TSAN_OPTIONS="suppressions=$root/tests/tsan.supp exitcode=0 log_path=$logs/tsan second_deadlock_stack=1"
status=0
(cd "$build_dir" && ctest --output-on-failure -L concurrency --timeout 900) || status=$?

# One report per "WARNING:" block. Each access stack ("Write of", "Read of", "Previous ...") is
# judged by its first frame outside the sanitizer runtime: an access made by code of a shared
# library (Qt, libc) is the library's; one made by code compiled into our binaries (our sources and
# the inline templates they instantiate) is ours. A report with any access of ours counts.
ours=0
qt_only=0
shopt -s nullglob
for log in "$logs"/tsan.*; do
    counts=$(awk '
        function finish() { if (inreport) { if (hit) o++; else q++ } }
        /^WARNING: ThreadSanitizer/ { finish(); inreport = 1; hit = 0; instack = 0; next }
        /^  (Write|Read|Previous|Atomic)/ { instack = 1; judged = 0; next }
        /^$/ { instack = 0; next }
        /^  [A-Z]/ { instack = 0 }
        instack && !judged && /^ +#[0-9]+ / {
            module = $NF
            if (module ~ /^\(libtsan|sanitizer/ || $0 ~ /libsanitizer\//) next
            judged = 1
            if (module !~ /^\(lib/) hit = 1
        }
        END { finish(); printf "%d %d\n", o, q }' "$log")
    read -r o q <<<"$counts"
    ours=$((ours + o))
    qt_only=$((qt_only + q))
    if [[ $o -gt 0 ]]; then
        echo "ThreadSanitizer: $o report(s) involving our code in $log:"
        cat "$log"
    fi
done
echo "tsan-check: $ours race report(s) in our code, $qt_only inside Qt only (not judged)"
if [[ $ours -gt 0 ]]; then
    status=1
fi
exit $status
