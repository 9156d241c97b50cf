#!/usr/bin/env bash
# Installs what net_bypass needs on Debian 12, idempotently: the packages,
# and, when the installed DPDK lacks them, the driver-SDK headers from
# Debian's source package of exactly the installed DPDK version.
# Prints the meson options the build needs on its last line (may be empty).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
deps="$top/.deps"

# valgrind: bench_burst.cpp marks its measured loop with valgrind/callgrind.h.
# coreutils' stdbuf runs the tests' testpmd line-buffered.
# clang and libclang-rt-14-dev (libFuzzer): the devargs fuzz target.
# libsystemd-dev: a static link of DPDK (rdma-core's archives need it), as
# the install test links the example.
# openvswitch-switch-dpdk: the test of net_bypass as an Open vSwitch port
# (tests/ovs/ovs_check.py runs its own ovsdb-server and ovs-vswitchd-dpdk).
packages=(dpdk dpdk-dev libdpdk-dev meson ninja-build pkg-config g++ python3
	  libgtest-dev libbenchmark-dev valgrind dpkg-dev xz-utils iproute2 coreutils
	  clang libclang-rt-14-dev libsystemd-dev openvswitch-switch-dpdk)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}" >&2
	apt-get update -qq >&2 || { echo "setup: apt-get update failed" >&2; exit 1; }
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >&2 || { echo "setup: cannot install ${missing[*]}" >&2; exit 1; }
fi

has_sdk_headers() {
	echo '#include <ethdev_driver.h>' |
		cc -E -DALLOW_INTERNAL_API $(pkg-config --cflags libdpdk) -x c - >/dev/null 2>&1
}
if has_sdk_headers; then
	echo ""
	exit 0
fi

# Debian version 22.11.11-0+deb12u1 -> upstream 22.11.11
deb_version=$(dpkg-query -W -f='${Version}' libdpdk-dev)
upstream=${deb_version%%-*}
upstream=${upstream#*:}
src="$deps/dpdk-src/dpdk-$upstream"

if [ ! -f "$src/VERSION" ]; then
	# A deb-src twin of the machine's own Debian sources, so no mirror
	# is named here: deb822 stanzas signed by the Debian archive key,
	# and one-line "deb" entries of sources.list.
	if ! apt-cache showsrc "dpdk=$deb_version" 2>/dev/null | grep -q "^Version: $deb_version"; then
		list=/etc/apt/sources.list.d/net-bypass-deb-src
		rm -f "$list.sources" "$list.list"
		for f in /etc/apt/sources.list.d/*.sources; do
			[ -f "$f" ] && grep -q debian-archive-keyring "$f" || continue
			sed -e 's/^Types:.*\bdeb\b.*/Types: deb-src/' "$f" >>"$list.sources"
			echo >>"$list.sources"
		done
		if [ -f /etc/apt/sources.list ]; then
			sed -n 's/^deb \(.*debian.*\)/deb-src \1/p' /etc/apt/sources.list >"$list.list"
			[ -s "$list.list" ] || rm -f "$list.list"
		fi
		echo "setup: fetching the source index for dpdk $deb_version" >&2
		apt-get update -qq >&2
	fi
	mkdir -p "$deps/dpdk-src"
	log=$deps/dpdk-src/apt-get-source.log
	(cd "$deps/dpdk-src" && apt-get source -qq "dpdk=$deb_version") >"$log" 2>&1 || {
		cat "$log" >&2
		echo "setup: cannot fetch Debian's source of dpdk $deb_version (apt-get source, above)" >&2
		exit 1
	}
fi
echo "-Ddpdk_source=$src"
