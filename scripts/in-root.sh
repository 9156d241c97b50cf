#!/usr/bin/env bash
# in-root.sh RELEASE CMD...: runs CMD as root inside the Debian RELEASE
# root of scripts/root.sh (built first if needed), in this checkout, as
# on a machine of that release: the checkout is bound at the same path,
# with the host's /dev (hugepages, /dev/net/tun, /dev/kvm), /proc, /sys
# and ~/.cache/dpdk-src (DPDK source trees apt cannot serve). The mounts
# live in a mount namespace of their own and vanish with CMD.
set -euo pipefail

release=${1:?usage: in-root.sh RELEASE CMD...}
shift
top=$(cd "$(dirname "$0")/.." && pwd)
root=$("$top/scripts/root.sh" "$release")

exec unshare --mount --propagation private /bin/bash -s "$root" "$top" "$@" <<'EOF'
set -euo pipefail
root=$1 top=$2
shift 2
mount --rbind /dev "$root/dev"
mount -t proc proc "$root/proc"
mount --rbind /sys "$root/sys"
mkdir -p "$root$top"
mount --bind "$top" "$root$top"
if [ -d "$HOME/.cache/dpdk-src" ]; then
	mkdir -p "$root/root/.cache/dpdk-src"
	mount --bind -o ro "$HOME/.cache/dpdk-src" "$root/root/.cache/dpdk-src"
fi
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
exec chroot "$root" /usr/bin/env -i HOME=/root TERM="${TERM:-dumb}" LANG=C.UTF-8 \
	CI="${CI:-}" PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	/bin/bash -c 'cd "$0" && exec "$@"' "$top" "$@"
EOF
