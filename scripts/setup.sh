#!/usr/bin/env bash
# Installs what net_bypass needs on Debian 12 or 13 (or testing/unstable),
# idempotently: the packages, and a DPDK source tree of the installed
# version's stable branch, for the driver-SDK headers no distribution
# ships and the virtio PMD's private headers STANDBY needs. Prints the
# meson options the build needs on its last line (may be empty).
#
# The source tree is the first of:
#   $DPDK_SOURCE, a tree of the installed version's stable branch;
#   Debian's source package of exactly the installed version (apt-get
#     source, through a deb-src twin of the machine's own apt sources);
#     an archive that cannot serve it is not asked again for a day;
#   ~/.cache/dpdk-src/<version>/, a tree of the same stable branch
#     (e.g. 24.11.6 for an installed 24.11.8): exported from DPDK's
#     release tags where the archive serves no source packages.
# Without one, a DPDK that ships the SDK headers builds without STANDBY
# (meson warns); otherwise this exits 3, saying what to set.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
deps="$top/.deps"

# valgrind: bench_burst.cpp marks its measured loop with valgrind/callgrind.h.
# coreutils' stdbuf runs the tests' testpmd line-buffered.
# clang and its libclang-rt-N-dev (libFuzzer): the devargs fuzz target.
# libsystemd-dev: a static link of DPDK (rdma-core's archives need it), as
# the install test links the example.
# openvswitch-switch-dpdk: the test of net_bypass as an Open vSwitch port
# (tests/ovs/ovs_check.py runs its own ovsdb-server and ovs-vswitchd-dpdk).
packages=(dpdk dpdk-dev libdpdk-dev meson ninja-build pkg-config g++ python3
	  libgtest-dev libbenchmark-dev valgrind dpkg-dev xz-utils iproute2 coreutils
	  clang libsystemd-dev openvswitch-switch-dpdk)

installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed"
}
apt_update() {
	apt-get update -qq >&2 || { echo "setup: apt-get update failed" >&2; exit 1; }
}
updated=false
missing=()
for p in "${packages[@]}"; do
	installed "$p" || missing+=("$p")
done
# libFuzzer's runtime is packaged per clang version (14 in Debian 12,
# 19 in Debian 13): the one of the clang that `clang` stands for.
clang_rt() {
	local v
	v=$(apt-cache depends clang 2>/dev/null | sed -n 's/^ *Depends: clang-\([0-9][0-9]*\)$/\1/p' | head -n 1)
	[ -n "$v" ] && echo "libclang-rt-$v-dev"
}
rt=$(clang_rt || true)
if [ -z "$rt" ]; then
	apt_update
	updated=true
	rt=$(clang_rt) || { echo "setup: apt knows no clang-N behind the clang package" >&2; exit 1; }
fi
installed "$rt" || missing+=("$rt")
if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}" >&2
	$updated || apt_update
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >&2 || { echo "setup: cannot install ${missing[*]}" >&2; exit 1; }
fi

has_sdk_headers() {
	echo '#include <ethdev_driver.h>' |
		cc -E -DALLOW_INTERNAL_API $(pkg-config --cflags libdpdk) -x c - >/dev/null 2>&1
}

# The installed DPDK (24.11.8) and its stable branch (24.11); Debian's
# package version (24.11.8-0+deb13u1) when it is Debian's.
upstream=$(pkg-config --modversion libdpdk)
branch=$(echo "$upstream" | cut -d. -f1,2)
deb_version=$(dpkg-query -W -f='${Version}' libdpdk-dev 2>/dev/null || true)
deb_upstream=${deb_version%%-*}
[ "${deb_upstream#*:}" = "$upstream" ] || deb_version=
same_branch() { # a DPDK tree of the installed version's stable branch
	[ -f "$1/VERSION" ] && [ "$(cut -d. -f1,2 "$1/VERSION")" = "$branch" ]
}

# Debian's own source package, through a deb-src twin of the machine's
# sources: deb822 stanzas signed by the Debian archive key, and one-line
# "deb" entries of sources.list. No mirror is named here.
apt_source() {
	local src=$deps/dpdk-src/dpdk-$upstream log=$deps/dpdk-src/apt-get-source.log
	local refused=$deps/dpdk-src/no-apt-source-$deb_version
	[ -n "$deb_version" ] || return 1
	[ -f "$src/VERSION" ] || [ -z "$(find "$refused" -mmin -1440 2>/dev/null)" ] || return 1
	if [ ! -f "$src/VERSION" ]; then
		if ! apt-cache showsrc "dpdk=$deb_version" 2>/dev/null | grep -q "^Version: $deb_version"; then
			local list=/etc/apt/sources.list.d/net-bypass-deb-src f
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
			apt-get update -qq >&2 || true
		fi
		mkdir -p "$deps/dpdk-src"
		(cd "$deps/dpdk-src" && apt-get source -qq "dpdk=$deb_version") >"$log" 2>&1 || {
			echo "setup: apt-get source dpdk=$deb_version failed: $(tail -n 1 "$log")" >&2
			touch "$refused"
			return 1
		}
	fi
	echo "$src"
}

# The newest tree of the branch in the cache.
cached_source() {
	local src
	for src in $(ls -d "$HOME/.cache/dpdk-src/$branch".* 2>/dev/null | sort -V -r); do
		if same_branch "$src"; then
			echo "setup: using $src for the installed DPDK $upstream" >&2
			echo "$src"
			return 0
		fi
	done
	return 1
}

if [ -n "${DPDK_SOURCE:-}" ]; then
	same_branch "$DPDK_SOURCE" || {
		echo "setup: DPDK_SOURCE=$DPDK_SOURCE is not a DPDK $branch source tree (no VERSION $branch.x)" >&2
		exit 3
	}
	echo "-Ddpdk_source=$(cd "$DPDK_SOURCE" && pwd)"
elif src=$(apt_source) || src=$(cached_source); then
	echo "-Ddpdk_source=$src"
elif has_sdk_headers; then
	# It builds; meson says what is missing (STANDBY) without the tree.
	echo "setup: no DPDK $branch source tree: building without STANDBY (meson warns)" >&2
	echo ""
else
	echo "setup: no DPDK $branch source tree: Debian's source package cannot be had, and there is" \
		"no ~/.cache/dpdk-src/$branch.N; set DPDK_SOURCE to a DPDK $branch source tree, or" \
		"export one there (README, \"Other DPDK versions\")" >&2
	exit 3
fi
