#!/usr/bin/env bash
# Installs what is missing (setup.sh), configures build/ and builds it.
# Extra arguments go to `meson setup` (e.g. -Db_sanitize=address,undefined
# with a build directory given as BUILD=...). meson's and ninja's output
# goes to $build/build.log; when a step fails it is printed whole.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
sdk_opt=$("$top/scripts/setup.sh") || { echo "build: scripts/setup.sh failed" >&2; exit 1; }

mkdir -p "$build"
log=$build/build.log
: >"$log"
step() {
	if ! "$@" >>"$log" 2>&1; then
		cat "$log" >&2
		echo "build: '$*' failed (log: $log)" >&2
		exit 1
	fi
}
if [ -f "$build/build.ninja" ]; then
	step meson configure "$build" $sdk_opt "$@"
elif [ -d "$build/meson-private" ]; then # an earlier setup that failed
	step meson setup --wipe "$build" "$top" $sdk_opt "$@"
else
	step meson setup "$build" "$top" $sdk_opt "$@"
fi
step ninja -C "$build"
