#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, and runs the
# whole suite. The last line is "N passed, N failed[, N skipped]".
set -euo pipefail

# The suite runs twice: in the release build, and in a debug build with
# AddressSanitizer and UndefinedBehaviorSanitizer (build-asan/).
top=$(cd "$(dirname "$0")/.." && pwd)
release=${BUILD:-$top/build}
asan=${BUILD_ASAN:-$top/build-asan}
BUILD=$release "$top/scripts/build.sh"
BUILD=$asan "$top/scripts/build.sh" -Dbuildtype=debug -Db_sanitize=address,undefined -Db_lundef=false

# The multi-process tests (DPDK's tools as secondaries) need hugepages;
# without them they skip, and say why.
. "$top/scripts/hugepages.sh"
ensure_hugepages 512 || echo "test: no hugepages: the multi-process tests will skip" >&2

status=0
for build in "$release" "$asan"; do
	echo "== suite in $build"
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		meson test -C "$build" --print-errorlogs || status=1
done
python3 "$top/scripts/test_summary.py" "$release/meson-logs" "$asan/meson-logs"
exit $status
