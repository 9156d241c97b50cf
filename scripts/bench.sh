#!/usr/bin/env bash
# The benchmark command: builds what it needs and prints one table (also
# build/bench/results.csv and results.png). BENCH_ROUNDS=N sets the number
# of interleaved throughput rounds (11).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
BUILD=$build "$top/scripts/build.sh"
missing=()
for p in valgrind python3-matplotlib binutils; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

. "$top/scripts/hugepages.sh"
# testpmd and bypass-bench-burst run on hugepages (doc/performance.md says
# why the 4 KiB-page figures mislead).
ensure_hugepages 1024
. "$top/scripts/plugin.sh"
plugin=$(staged_plugin "$build")
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)"
# Debian's python3, which has the python3-matplotlib just installed.
/usr/bin/python3 "$top/scripts/bench.py" "$build" "$plugin"
