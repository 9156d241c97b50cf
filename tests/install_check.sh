#!/usr/bin/env bash
# `meson install` puts net_bypass where the installed DPDK's EAL loads
# drivers from at start-up: staged with DESTDIR first, then for real, when
# the stock dpdk-testpmd must take a net_bypass vdev with no -d; then
# `ninja uninstall` must leave nothing. Runs alone (is_parallel: false):
# while it is installed every DPDK program starting meanwhile loads it.
# Usage: install_check.sh <build dir> <pmd dir> <source dir>
set -euo pipefail
build=$1
pmd_dir=$2
src=$3
lib=librte_net_bypass.so
fail() {
	echo "install: $*" >&2
	exit 1
}
# Shows what a step printed only when it fails.
quiet() {
	local out
	out=$("$@" 2>&1) || { echo "$out" >&2; fail "failed: $*"; }
}

[ "$(id -u)" = 0 ] || { echo "install: the real install needs root: skipped"; exit 77; }
[ ! -e "$pmd_dir/$lib" ] ||
	fail "a net_bypass is already installed in $pmd_dir: remove it first (ninja -C <its build> uninstall)"

read -r prefix libdir includedir libexecdir udev_rules_dir < <(meson introspect --buildoptions "$build" | python3 -c '
import json, sys
o = {x["name"]: x["value"] for x in json.load(sys.stdin)}
rules = o["udev_rules_dir"] or o["prefix"] + "/lib/udev/rules.d"
print(o["prefix"], o["libdir"], o["includedir"], o["libexecdir"], rules)')
installed_lib=$prefix/$libdir/$lib

stage=$(mktemp -d)
installed=
cleanup() {
	rm -rf "$stage"
	if [ -n "$installed" ]; then
		ninja -C "$build" uninstall >/dev/null || echo "install: uninstall failed" >&2
	fi
}
trap cleanup EXIT
trap 'exit 1' TERM INT

# 1. Staged.
quiet meson install -C "$build" --no-rebuild --destdir "$stage"
[ -f "$stage$installed_lib" ] || fail "no $installed_lib"
[ -L "$stage$pmd_dir/$lib" ] || fail "no link to it in $pmd_dir"
[ "$(readlink "$stage$pmd_dir/$lib")" = "$installed_lib" ] ||
	fail "$pmd_dir/$lib points to $(readlink "$stage$pmd_dir/$lib"), not $installed_lib"
[ -f "$stage$prefix/$includedir/dpdk/rte_pmd_bypass.h" ] || fail "no header among DPDK's"
pc_dir=$stage$prefix/$libdir/pkgconfig
[ -f "$pc_dir/libdpdk-net-bypass.pc" ] || fail "no pkg-config file"
[ -f "$stage$prefix/$libdir/librte_net_bypass.a" ] || fail "no static library"
libs=$(PKG_CONFIG_PATH=$pc_dir pkg-config --libs libdpdk-net-bypass) || fail "pkg-config refuses it"
[[ " $libs " == *" -lrte_net_bypass "* ]] || fail "pkg-config --libs gives '$libs'"
helper=$prefix/$libexecdir/dpdk-bypass/dpdk-bypass-vf-bind
[ -x "$stage$helper" ] || fail "no VF helper $helper"
rule=$stage$udev_rules_dir/90-dpdk-bypass-vf.rules
[ -f "$rule" ] || fail "no udev rule in $udev_rules_dir"
grep -q "RUN+=\"$helper\"" "$rule" || fail "the udev rule does not run $helper: $(cat "$rule")"
echo "install: staged: library, link in $pmd_dir, header, pkg-config, VF helper and its udev rule: ok"

# 2. For real: testpmd loads it with no -d.
installed=1
quiet meson install -C "$build" --no-rebuild
out=$(printf 'show port info all\nquit\n' | timeout 60 dpdk-testpmd --no-huge -m 256 --no-pci \
	--file-prefix "install$$" --vdev net_null0 --vdev net_null1 \
	--vdev net_bypass0,backup=net_null0,active=net_null1 -- -i --total-num-mbufs=2048 2>&1) ||
	{ echo "$out" >&2; fail "dpdk-testpmd without -d failed"; }
grep -q "Driver name: net_bypass" <<<"$out" ||
	{ echo "$out" >&2; fail "dpdk-testpmd without -d has no net_bypass port"; }
echo "install: dpdk-testpmd took net_bypass0 with no -d: ok"

# 2b. A dataplane linking the PMD and DPDK in: the example, with the
# installed pkg-config's --static flags, has no DPDK library to load and
# forwards over the bypass port.
[ -f "$prefix/$libdir/librte_net_bypass.a" ] || fail "no librte_net_bypass.a in $prefix/$libdir"
static_bin=$stage/bypass-fwd-static
flags=$(pkg-config --cflags libdpdk-net-bypass) && libs=$(pkg-config --static --libs libdpdk-net-bypass) ||
	fail "pkg-config --static refuses libdpdk-net-bypass"
# shellcheck disable=SC2086 # the flags are words
out=$(c++ -std=c++17 -O2 $flags "$src/examples/bypass_fwd.cpp" -o "$static_bin" $libs 2>&1 |
	grep -v "statically linked applications requires at runtime") || true
[ -x "$static_bin" ] || { echo "$out" >&2; fail "the example does not link statically"; }
if ldd "$static_bin" | grep -q "librte_"; then
	ldd "$static_bin" >&2
	fail "the statically linked example still loads DPDK libraries"
fi
out=$(timeout -s INT 4 "$static_bin" -l 0,1 --no-huge -m 256 --no-pci --file-prefix "static$$" \
	--vdev 'net_bypass0,backup=(net_null0),active=(net_null1)' 2>&1) || true
grep -q "tx on VF .*[1-9][0-9]* pkt/s on the VF" <<<"$out" ||
	{ echo "$out" >&2; fail "the statically linked example does not forward on the VF"; }
echo "install: the example linked statically (pkg-config --static) forwards: ok"

# 3. Uninstalled.
installed=
quiet ninja -C "$build" uninstall
for f in "$installed_lib" "$prefix/$libdir/librte_net_bypass.a" "$pmd_dir/$lib" "$prefix/$includedir/dpdk/rte_pmd_bypass.h" \
	"$prefix/$libdir/pkgconfig/libdpdk-net-bypass.pc" \
	"$prefix/$libdir/pkgconfig/libdpdk-net-bypass-libs.pc"; do
	[ ! -e "$f" ] && [ ! -L "$f" ] || fail "$f is still there after uninstall"
done
echo "install: uninstalled: ok"
