#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, and runs the
# whole suite. The last line is "N passed, N failed[, N skipped]".
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
BUILD=$build "$top/scripts/build.sh"

set +e
meson test -C "$build" --print-errorlogs
status=$?
set -e
python3 "$top/scripts/test_summary.py" "$build/meson-logs"
exit $status
