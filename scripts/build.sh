#!/usr/bin/env bash
# Installs what is missing (setup.sh), configures build/ and builds it.
# Extra arguments go to `meson setup` (e.g. -Db_sanitize=address,undefined
# with a build directory given as BUILD=...).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
sdk_opt=$("$top/scripts/setup.sh")

if [ -f "$build/build.ninja" ]; then
	meson configure "$build" $sdk_opt "$@" >/dev/null
else
	meson setup "$build" $sdk_opt "$@" >/dev/null
fi
ninja -C "$build" >/dev/null
