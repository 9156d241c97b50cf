#!/usr/bin/env bash
# Builds a fuzz target with clang (-fsanitize=fuzzer,address,undefined)
# and runs it for a bounded time from its seed corpus: no crash, no leak,
# no sanitizer report.
# Usage: fuzz.sh <source top> <out dir> <seconds> <target> <source>...
# (the target is tests/fuzz/fuzz_<target>.cpp, its seeds tests/fuzz/corpus-<target>,
# the sources are the product's files it tests, relative to the top).
set -euo pipefail
top=$1
target=$4
out=$2/fuzz-$target
seconds=${3:-30}
shift 4
sources=()
for s in "$@"; do sources+=("$top/$s"); done
mkdir -p "$out/corpus"
command -v clang++ >/dev/null || { echo "fuzz: clang++ is not installed (scripts/setup.sh installs it)" >&2; exit 1; }
# The compiler's output is shown as it comes: a failing build says why.
# shellcheck disable=SC2046 # pkg-config prints words
clang++ -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-DALLOW_INTERNAL_API -DALLOW_EXPERIMENTAL_API -include rte_config.h \
	-I"$top/drivers/net/bypass" -I"$top/lib" -I"$top/sdk" $(pkg-config --cflags libdpdk) \
	"$top/tests/fuzz/fuzz_$target.cpp" "${sources[@]}" \
	$(pkg-config --libs libdpdk) -o "$out/fuzz_$target"
# New inputs go to the build's corpus; the seeds stay as committed.
"$out/fuzz_$target" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=1024 \
	-print_final_stats=1 -artifact_prefix="$out/" "$out/corpus" "$top/tests/fuzz/corpus-$target"
