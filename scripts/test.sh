#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, and runs the
# whole suite against each DPDK its users have: natively on this machine's
# own DPDK, then inside a root of each other release of the matrix, on
# that release's DPDK (scripts/root.sh builds and caches the roots). The
# last line is "N passed, N failed[, N skipped]" over every part.
#
#   BYPASS_MATRIX="bookworm trixie sid"  the releases (the default); the
#       machine's own runs natively, the others in roots; "" for native only
#   BYPASS_FAST="sid"  releases whose part runs the fast suites only (both
#       builds; not the lab, stress, QEMU, Open vSwitch or fuzz suites);
#       none by default: the whole matrix takes about 35 minutes on two
#       CPUs with the roots cached, 45 without
#
# Each part runs the suite twice: in the release build, and in a debug
# build with AddressSanitizer and UndefinedBehaviorSanitizer.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
. /etc/os-release
host=${VERSION_CODENAME:-unknown}
matrix=${BYPASS_MATRIX-bookworm trixie sid}
fast=${BYPASS_FAST-}

# What a fast part leaves out: the suites that take minutes.
SLOW_SUITES=" lab stress stress-no-membarrier qemu-lab ovs fuzz-devargs "

# One part, here: builds both builds and runs the suite in each.
#   part BUILD BUILD_ASAN full|fast
part() {
	local release=$1 asan=$2 scope=$3 status=0 build
	BUILD=$release "$top/scripts/build.sh"
	BUILD=$asan "$top/scripts/build.sh" -Dbuildtype=debug -Db_sanitize=address,undefined \
		-Db_lundef=false
	# The multi-process tests (DPDK's tools as secondaries) need
	# hugepages; without them they skip, and say why.
	. "$top/scripts/hugepages.sh"
	ensure_hugepages 512 || echo "test: no hugepages: the multi-process tests will skip" >&2
	for build in "$release" "$asan"; do
		echo "== suite in $build"
		rm -f "$build/meson-logs/testlog.junit.xml" "$build/meson-logs/testlog.json"
		local suites=() t
		if [ "$scope" = fast ]; then
			for t in $(meson test -C "$build" --list 2>/dev/null); do
				[[ $SLOW_SUITES == *" $t "* ]] || suites+=("$t")
			done
		fi
		UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
			meson test -C "$build" --print-errorlogs "${suites[@]}" || status=1
	done
	return $status
}

# Inside a root (in-root.sh sets BYPASS_PART): one part and nothing else.
if [ -n "${BYPASS_PART:-}" ]; then
	part "$BUILD" "$BUILD_ASAN" "$BYPASS_PART"
	exit
fi

dpdk_of() { pkg-config --modversion libdpdk 2>/dev/null || echo "?"; }
scope_of() { [[ " $fast " == *" $1 "* ]] && echo fast || echo full; }
logs=()
skipped=()
durations=()
status=0

release=${BUILD:-$top/build}
asan=${BUILD_ASAN:-$top/build-asan}
start=$SECONDS
scope=$(scope_of "$host")
BYPASS_PART=$scope BUILD=$release BUILD_ASAN=$asan "$0" || status=1
logs+=("$release/meson-logs" "$asan/meson-logs")
durations+=("$host (DPDK $(dpdk_of), this machine, $scope): $((SECONDS - start)) s")

for r in $matrix; do
	[ "$r" = "$host" ] && continue
	start=$SECONDS
	scope=$(scope_of "$r")
	echo "== part: Debian $r, in a root (scripts/root.sh), $scope"
	# Its own build directories: the checkout is shared with this machine.
	b=$top/build-$r
	rm -f "$b"{,-asan}/meson-logs/testlog.{junit.xml,json}
	set +e
	src=$("$top/scripts/in-root.sh" "$r" ./scripts/setup.sh)
	ret=$?
	set -e
	if [ $ret -eq 3 ]; then
		skipped+=("Debian $r: no DPDK source tree for its DPDK (neither apt nor ~/.cache/dpdk-src): set DPDK_SOURCE, or export one to ~/.cache/dpdk-src/<version>/ (README, \"Other DPDK versions\")")
		durations+=("$r: skipped")
		continue
	fi
	if [ $ret -ne 0 ]; then
		echo "test: the set-up of the Debian $r root failed" >&2
		status=1
	elif ! "$top/scripts/in-root.sh" "$r" env BYPASS_PART="$scope" BUILD="$b" \
		BUILD_ASAN="$b-asan" ./scripts/test.sh; then
		status=1
	fi
	logs+=("$b/meson-logs" "$b-asan/meson-logs")
	durations+=("$r (DPDK $("$top/scripts/in-root.sh" "$r" pkg-config --modversion libdpdk), $scope): $((SECONDS - start)) s")
done

echo "== durations"
printf '%s\n' "${durations[@]}"
args=()
for s in "${skipped[@]}"; do args+=(--skipped "$s"); done
python3 "$top/scripts/test_summary.py" "${args[@]}" "${logs[@]}" || status=1
exit $status
