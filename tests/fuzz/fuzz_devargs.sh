#!/usr/bin/env bash
# Builds the devargs fuzz target with clang (-fsanitize=fuzzer,address,
# undefined) and runs it for a bounded time from the seed corpus: no crash,
# no leak, no sanitizer report. Usage: fuzz_devargs.sh <source top> <out dir> <seconds>
set -euo pipefail
top=$1
out=$2/fuzz
seconds=${3:-30}
mkdir -p "$out/corpus"
command -v clang++ >/dev/null || { echo "fuzz: clang++ is not installed (scripts/setup.sh installs it)" >&2; exit 1; }
# The compiler's output is shown as it comes: a failing build says why.
clang++ -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-DALLOW_INTERNAL_API -DALLOW_EXPERIMENTAL_API -include rte_config.h \
	-I"$top/drivers/net/bypass" -I"$top/lib" $(pkg-config --cflags libdpdk) \
	"$top/tests/fuzz/fuzz_devargs.cpp" "$top/drivers/net/bypass/bypass_devargs.cpp" \
	"$top/lib/bypass/kv_list.cpp" "$top/lib/bypass/log.cpp" \
	$(pkg-config --libs libdpdk) -o "$out/fuzz_devargs"
# New inputs go to the build's corpus; the seeds stay as committed.
"$out/fuzz_devargs" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=1024 \
	-print_final_stats=1 -artifact_prefix="$out/" "$out/corpus" "$top/tests/fuzz/corpus"
