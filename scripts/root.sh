#!/usr/bin/env bash
# root.sh RELEASE: prints the path of a Debian RELEASE root (trixie, sid,
# testing, ...) in which net_bypass is built and tested against that
# release's own DPDK, building it first when it is missing or stale.
#
# The root is `debootstrap --variant=minbase` from the archive this
# machine's apt already uses (no host name is written here), with this
# machine's apt sources carried over under the root's suite names. It is
# cached under $BYPASS_ROOTS (~/.cache/net_bypass/roots) and rebuilt when
# it is older than $BYPASS_ROOT_MAX_DAYS (7) days or when this script
# changed: the packages a suite needs are installed into it by the
# suite's own scripts/setup.sh, run inside it, and stay there.
set -euo pipefail

release=${1:?usage: root.sh RELEASE}
roots=${BYPASS_ROOTS:-$HOME/.cache/net_bypass/roots}
max_days=${BYPASS_ROOT_MAX_DAYS:-7}
root=$roots/$release
stamp=$root/.net_bypass-root
recipe=$(sha256sum "$0" | cut -c1-16)

fresh() {
	[ -f "$stamp" ] && [ "$(cat "$stamp")" = "$recipe" ] &&
		[ -z "$(find "$stamp" -mtime +"$max_days")" ]
}
if fresh; then
	echo "$root"
	exit 0
fi

command -v debootstrap >/dev/null || {
	echo "root: installing debootstrap" >&2
	apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends debootstrap >&2 ||
		{ echo "root: cannot install debootstrap" >&2; exit 1; }
}

# This machine's release and the archive it reaches for it.
. /etc/os-release
host=${VERSION_CODENAME:?root: /etc/os-release names no release}
mirror=$(apt-get indextargets --format '$(TARGET_OF) $(RELEASE) $(REPO_URI)' |
	awk -v r="$host" '$1=="deb" && $2==r {print $3; exit}')
[ -n "$mirror" ] || { echo "root: apt has no 'deb' source for $host" >&2; exit 1; }

# testing and unstable carry no security or updates suites, and their
# Release files in a snapshot archive may have expired.
rolling=false
case $release in sid|unstable|testing|forky) rolling=true ;; esac

echo "root: building a Debian $release root in $root (a few minutes, once)" >&2
# A stale root may still have the host's /dev or /proc bound into it.
for m in sys proc dev/hugepages dev; do
	[ -d "$root/$m" ] && umount -R "$root/$m" 2>/dev/null || true
done
rm -rf "$root"
mkdir -p "$roots"
log=$roots/$release.debootstrap.log
check=()
$rolling && check=(--no-check-gpg)
debootstrap --variant=minbase "${check[@]}" --include=ca-certificates "$release" "$root" \
	"$mirror" >"$log" 2>&1 || {
	tail -n 30 "$log" >&2
	echo "root: debootstrap $release from $mirror failed (log: $log)" >&2
	exit 1
}

# The machine's own apt sources, under the root's suite names; testing
# and unstable are the one suite of the archive debootstrap used.
rm -f "$root/etc/apt/sources.list" "$root"/etc/apt/sources.list.d/*
if $rolling; then
	printf 'Types: deb\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: %s\n' "$mirror" \
		"$release" /usr/share/keyrings/debian-archive-keyring.gpg \
		>"$root/etc/apt/sources.list.d/debian.sources"
	echo 'Acquire::Check-Valid-Until "false";' \
		>"$root/etc/apt/apt.conf.d/80net-bypass-no-valid-until"
else
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] && grep -q debian-archive-keyring "$f" &&
			sed -e "s/\b$host\b/$release/g" "$f" >"$root/etc/apt/sources.list.d/$(basename "$f")"
	done
	[ -f /etc/apt/sources.list ] && grep -E "^deb .*debian" /etc/apt/sources.list |
		sed -e "s/\b$host\b/$release/g" >"$root/etc/apt/sources.list" || true
fi
# Services a package starts on install belong to no one here.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod +x "$root/usr/sbin/policy-rc.d"
echo "$recipe" >"$stamp"
echo "$root"
