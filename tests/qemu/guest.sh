#!/bin/bash
# Build the QEMU lab guest in CACHE_DIR (default $LAB_QEMU_CACHE, else
# .deps/qemu-<codename> in the checkout):
#
#   tests/qemu/guest.sh [CACHE_DIR]
#
#   vmlinuz         Debian's kernel as packaged
#   vmlinux         the same kernel decompressed: QEMU boots its ELF PVH entry
#                   directly, which skips ~4 s of decompression under TCG
#                   (not built when the kernel's compression is unknown here:
#                   the lab then boots vmlinuz)
#   base.cpio.gz    the guest root (initramfs)
#   base.cpio       the same uncompressed: the kernel unpacks it in 0.9 s
#                   instead of 2.4 s under TCG
#   guest.key       what the guest was built from (release, DPDK, busybox)
#
# The whole guest root is one initramfs held in RAM: a mounted 9p export
# blocks live migration (DESIGN.md section 8).  The kernel and DPDK are the
# host's release's packages because the guest should run exactly those: run
# on Debian 13 (or in its root, scripts/in-root.sh) this builds a Debian 13
# guest with DPDK 24.11.  The cache is per release because releases share a
# checkout.  Outputs are rebuilt when missing, older than this script or
# guest-init.sh, or built from other packages than the host has now.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# lab_qemu.py derives the same default
RELEASE=$(. /etc/os-release && echo "${VERSION_CODENAME:-$ID$VERSION_ID}")
CACHE=${1:-${LAB_QEMU_CACHE:-$(cd "$HERE/../.." && pwd)/.deps/qemu-$RELEASE}}
INIT_SRC=$HERE/guest-init.sh
# The project's helper that puts a hot-plugged VF on vfio-pci: the guest
# runs it for each PCI device that appears (guest-init.sh: no udev here).
VF_BIND_SRC=$HERE/../../usertools/dpdk-bypass-vf-bind
MODULES=(virtio_pci virtio_net net_failover failover e1000e
         vfio vfio_pci vfio_iommu_type1 uio uio_pci_generic)
LIBDIR=/usr/lib/x86_64-linux-gnu

die() { echo "guest.sh: $*" >&2; exit 1; }
trap 'echo "guest.sh: failed at line $LINENO: $BASH_COMMAND" >&2' ERR

install_missing() { # PACKAGE...
    (($#)) || return 0
    echo "guest.sh: installing $*"
    apt-get install -y --no-install-recommends "$@" ||
        { apt-get update && apt-get install -y --no-install-recommends "$@"; } ||
        die "apt-get install $* failed"
}

# --- host tools (the dpdk packages are the guest's DPDK, so they are needed
# too); checked before the cache, which does not bring QEMU with it
need=()
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
[[ -x /bin/busybox ]] && /bin/busybox --list | grep -qx modprobe || need+=(busybox-static)
command -v cpio >/dev/null || need+=(cpio)
command -v depmod >/dev/null || need+=(kmod)
command -v xz >/dev/null || need+=(xz-utils)
# testpmd is in dpdk-dev
[[ -x /usr/bin/dpdk-testpmd ]] || need+=(dpdk dpdk-dev)
install_missing "${need[@]}"

# The guest must run the host's DPDK, so an upgraded DPDK (or busybox)
# rebuilds it; the kernel it was built with is good until then.
KEY="release=$RELEASE $(dpkg-query -W -f='${Package}=${Version} ' \
    "$(dpkg-query -S /usr/bin/dpdk-testpmd | cut -d: -f1)" busybox-static 2>/dev/null || true)"

fresh() { # $1 is newer than every input of the build
    [[ -s $1 && $1 -nt $0 && $1 -nt $INIT_SRC && $1 -nt $VF_BIND_SRC ]]
}

mkdir -p "$CACHE" || die "cannot create $CACHE"
CACHE=$(cd "$CACHE" && pwd)
OUTS=(vmlinuz base.cpio.gz base.cpio guest.key)
uptodate=1
for o in "${OUTS[@]}"; do fresh "$CACHE/$o" || uptodate=0; done
[[ ! -e $CACHE/vmlinux ]] || fresh "$CACHE/vmlinux" || uptodate=0
[[ $(cat "$CACHE/guest.key" 2>/dev/null) == "$KEY" ]] || uptodate=0
if ((uptodate)); then
    echo "guest.sh: up to date in $CACHE: $(cd "$CACHE" && ls vmlinux "${OUTS[@]}" 2>/dev/null | xargs)"
    exit 0
fi
rm -f "$CACHE/guest.key"
# busybox (dynamic) may shadow busybox-static's /bin/busybox; the guest has no libc
# for busybox to use, so insist on the static one.
grep -q 'not a dynamic' <<<"$(ldd /bin/busybox 2>&1 || true)" ||
    die "/bin/busybox is not static (install busybox-static)"
# EAL loads every PMD from the directory compiled into it (pmds-23.0 in
# DPDK 22.11, pmds-25.0 in 24.11, pmds-26.0 in 25.11): ask the EAL testpmd runs.
EAL=$(ldd /usr/bin/dpdk-testpmd | awk '$1 ~ /^librte_eal\.so/ {print $3; exit}')
PMDDIR=$(LC_ALL=C grep -aoE "$LIBDIR/dpdk/pmds-[0-9.]+" "${EAL:-/dev/null}" | head -1) || true
[[ -n $PMDDIR && -d $PMDDIR ]] || die "no PMD directory named in the EAL of dpdk-testpmd (${EAL:-not found})"

# --- kernel: the package linux-image-amd64 points at (linux-image-6.1.0-N-amd64
# on Debian 12, linux-image-6.12.N+deb13-amd64 on 13), unpacked, never
# installed.  Unstable splits it: linux-image-ABI only depends on
# linux-binary-ABI (vmlinuz), linux-modules-ABI and linux-base-ABI, so the
# packages of the same ABI it depends on are unpacked with it.
KPKG=${LAB_KERNEL_PKG:-$(apt-cache depends linux-image-amd64 |
                         awk '/Depends: linux-image-[0-9][^ ]*-amd64$/ {print $2; exit}')}
[[ -n $KPKG ]] || die "cannot find linux-image-<version>-amd64 via apt-cache depends linux-image-amd64 (run apt-get update?)"
ABI=${KPKG#linux-image-}
KPKGS=("$KPKG" $(apt-cache depends "$KPKG" |
                 awk -v s="-$ABI" '$1 ~ /Depends:$/ && substr($2, length($2) - length(s) + 1) == s {print $2}' |
                 sort -u))
# the kernels of earlier builds
for old in "$CACHE"/linux-*.deb; do
    [[ -e $old ]] || continue
    keep=0
    for p in "${KPKGS[@]}"; do
        [[ ${old##*/} == "$p"_* || ${old##*/} == "$p"-unsigned_* ]] && keep=1
    done
    ((keep)) || rm -f "$old"
done
KDIR=$CACHE/kernel
rm -rf "$KDIR"
deb_of() { # the downloaded package $1
    local f
    for f in "$CACHE"/"$1"_*.deb "$CACHE"/"$1"-unsigned_*.deb; do
        [[ -e $f ]] && { echo "$f"; return 0; }
    done
    return 1
}
for p in "${KPKGS[@]}"; do
    if ! DEB=$(deb_of "$p"); then
        # apt-get download writes to the cwd; the _apt sandbox warning is harmless
        (cd "$CACHE" && apt-get download "$p") ||
            (cd "$CACHE" && apt-get download "$p-unsigned") ||
            die "apt-get download $p failed"
        DEB=$(deb_of "$p") || die "apt-get download $p left no .deb in $CACHE"
    fi
    dpkg -x "$DEB" "$KDIR" || die "dpkg -x $DEB failed"
done
# Debian 12 ships the modules in lib/modules, 13 in usr/lib/modules; merge
# /usr as installing it would, so that both and every depmod find them.
[[ -e $KDIR/lib ]] || ln -s usr/lib "$KDIR/lib"
KVER=$(ls "$KDIR/lib/modules" | head -1)
# /boot on Debian 12 and 13, next to the modules in unstable
KIMAGE=$KDIR/boot/vmlinuz-$KVER KCONFIG=$KDIR/boot/config-$KVER
[[ -f $KIMAGE ]] || KIMAGE=$KDIR/lib/modules/$KVER/vmlinuz
[[ -f $KCONFIG ]] || KCONFIG=$KDIR/lib/modules/$KVER/config
[[ -n $KVER && -f $KIMAGE && -f $KCONFIG ]] || die "no vmlinuz/config/modules in ${KPKGS[*]}"
# Debian 13 and unstable compress their kernel with zstd
grep -q '^CONFIG_\(KERNEL\|MODULE_COMPRESS\)_ZSTD=y' "$KCONFIG" && ! command -v zstd >/dev/null &&
    install_missing zstd
# The package ships no modules.dep (postinst runs depmod); make one to
# resolve dependencies, then again below for the copied subset.
depmod -b "$KDIR" "$KVER" || die "depmod on $KDIR failed"

# --- stage the root
ROOT=$CACHE/root
rm -rf "$ROOT"
mkdir -p "$ROOT"/{usr/bin,usr/sbin,usr/lib64,"$LIBDIR",proc,sys,dev,tmp,run,lab,etc,root}
# merged /usr like the host, so paths from ldd resolve the same way
ln -s usr/bin "$ROOT/bin"; ln -s usr/sbin "$ROOT/sbin"
ln -s usr/lib "$ROOT/lib"; ln -s usr/lib64 "$ROOT/lib64"
mkdir -p "$ROOT/var"; ln -s ../run "$ROOT/var/run"

cp /bin/busybox "$ROOT/usr/bin/busybox"
for app in $(/bin/busybox --list-full); do
    [[ -e $ROOT/$app || -L $ROOT/$app ]] && continue
    mkdir -p "$ROOT/$(dirname "$app")"
    ln -s /usr/bin/busybox "$ROOT/$app"
done

MDST=$ROOT/lib/modules/$KVER
mkdir -p "$MDST"
cp "$KDIR/lib/modules/$KVER"/modules.{order,builtin,builtin.modinfo} "$MDST/"
# A module built in (virtio_pci on Debian 13) shows as "builtin NAME" and
# needs no file.  Compressed modules (.ko.xz on Debian 13) are stored decompressed: the
# guest's busybox may not read them, the kernel decompresses only when
# asked to, and this way it is done once rather than at each TCG boot.
for m in "${MODULES[@]}"; do
    modprobe -d "$KDIR" -S "$KVER" --show-depends "$m" ||
        die "module $m (or a dependency) missing from ${KPKGS[*]}"
done | awk '$1 == "insmod" {print $2}' | sort -u | while read -r ko; do
    rel=${ko#*/modules/"$KVER"/}
    mkdir -p "$MDST/$(dirname "$rel")"
    case $ko in
    *.ko) cp "$ko" "$MDST/$rel" ;;
    *.ko.xz) xz -dc "$ko" >"$MDST/${rel%.xz}" ;;
    *.ko.zst) zstd -qdc "$ko" >"$MDST/${rel%.zst}" ;;
    *.ko.gz) gzip -dc "$ko" >"$MDST/${rel%.gz}" ;;
    *) die "module $ko: unknown compression" ;;
    esac || die "staging $ko failed"
done
depmod -b "$ROOT" "$KVER" || die "depmod on staged root failed"

# DPDK: testpmd, every librte, every PMD (same paths, so EAL auto-loads
# PMDs from $PMDDIR), and the closure of what ldd says they need.
cp -a /usr/bin/dpdk-testpmd "$ROOT/usr/bin/"
cp -a "$LIBDIR"/librte_*.so* "$ROOT/$LIBDIR/"
mkdir -p "$ROOT/$PMDDIR"
cp -a "$PMDDIR"/. "$ROOT/$PMDDIR/"
deps=$(for f in /usr/bin/dpdk-testpmd "$LIBDIR"/librte_*.so.* "$PMDDIR"/*.so.*; do
           [[ -L $f ]] && continue
           ldd "$f" || die "ldd $f failed"
       done | awk '/not found/ {print "MISSING " $1} /=>/ && $3 ~ /^\// {print $3} /^\t\// {print $1}' | sort -u)
if grep -q MISSING <<<"$deps"; then die "unresolved libraries: $(grep MISSING <<<"$deps" | tr '\n' ' ')"; fi
for lib in $deps; do
    [[ -e $ROOT/$lib ]] && continue
    # keep the name ldd printed (a soname link) and the file it points to
    mkdir -p "$ROOT/$(dirname "$lib")"
    cp -a "$lib" "$ROOT/$lib"
    real=$(readlink -f "$lib")
    [[ $real == "$lib" ]] || { mkdir -p "$ROOT/$(dirname "$real")"; cp -a "$real" "$ROOT/$real"; }
done
# ld.so finds the copied libs through its default path; no ld.so.cache needed.

printf 'root:x:0:0:root:/root:/bin/sh\n' >"$ROOT/etc/passwd"
printf 'root:x:0:\n' >"$ROOT/etc/group"
install -m 0755 "$INIT_SRC" "$ROOT/init"
install -D -m 0755 "$VF_BIND_SRC" "$ROOT/usr/libexec/dpdk-bypass/dpdk-bypass-vf-bind"
# lab-bind BDF DRIVER: move a PCI device to DRIVER (used by init; /lab/run can
# use it to hand kernel-negotiated devices over to vfio-pci).
cat >"$ROOT/usr/bin/lab-bind" <<'EOF'
#!/bin/sh
d=/sys/bus/pci/devices/$1
[ -e "$d" ] || { echo "lab-bind: no PCI device $1" >&2; exit 1; }
[ -e "$d/driver" ] && echo "$1" >"$d/driver/unbind"
echo "$2" >"$d/driver_override"
echo "$1" >/sys/bus/pci/drivers_probe
drv=$(readlink "$d/driver") || { echo "lab-bind: $1 bound to nothing (wanted $2)" >&2; exit 1; }
echo "lab-bind: $1 -> ${drv##*/}"
EOF
chmod 0755 "$ROOT/usr/bin/lab-bind"

# --- pack.  newc with root ownership; gzip because every kernel takes it
# and concatenated gzip members (base + overlay) are unpacked in order.
(cd "$ROOT" && find . -print0 | cpio --null -o -H newc -R 0:0 --quiet) \
    >"$CACHE/base.cpio.tmp" || die "packing $ROOT failed"
gzip -6 <"$CACHE/base.cpio.tmp" >"$CACHE/base.cpio.gz.tmp" || die "gzip failed"
mv "$CACHE/base.cpio.tmp" "$CACHE/base.cpio"
mv "$CACHE/base.cpio.gz.tmp" "$CACHE/base.cpio.gz"
cp "$KIMAGE" "$CACHE/vmlinuz"
# bzImage = setup code + decompressor + a compressed ELF vmlinux (XZ on
# Debian 12, zstd on 13), the payload the boot header locates: setup_sects
# at 0x1f1, payload_offset and payload_length at 0x248.  A compression not
# handled here leaves no vmlinux, and the lab boots vmlinuz.
rm -f "$CACHE/vmlinux"
u() { od -An -t"u$2" -j "$1" -N "$2" "$CACHE/vmlinuz" | tr -d ' '; }
sects=$(u $((0x1f1)) 1); ((sects)) || sects=4
start=$(((sects + 1) * 512 + $(u $((0x248)) 4)))
len=$(u $((0x24c)) 4)
dd if="$CACHE/vmlinuz" of="$CACHE/payload.tmp" bs=64K iflag=skip_bytes,count_bytes \
   skip="$start" count="$len" status=none || die "reading vmlinuz's payload failed"
case $(od -An -tx1 -N6 "$CACHE/payload.tmp" | tr -d ' \n') in
fd377a585a00) # (--single-stream: the kernel's build appends the size after the stream)
    xz -dc --single-stream "$CACHE/payload.tmp" >"$CACHE/vmlinux.tmp" ;;
28b52ffd*) # the same appended size is not a zstd frame
    head -c $((len - 4)) "$CACHE/payload.tmp" | zstd -qdc >"$CACHE/vmlinux.tmp" ;;
1f8b*) gzip -dc "$CACHE/payload.tmp" >"$CACHE/vmlinux.tmp" ;;
*) echo "guest.sh: vmlinuz's compression is not handled here: the lab boots vmlinuz" >&2
   : >"$CACHE/vmlinux.tmp" ;;
esac || die "decompressing vmlinuz failed"
rm -f "$CACHE/payload.tmp"
if [[ -s $CACHE/vmlinux.tmp ]]; then
    [[ $(head -c 4 "$CACHE/vmlinux.tmp") == $'\x7fELF' ]] || die "decompressed vmlinuz is not an ELF"
    grep -q '^CONFIG_PVH=y' "$KCONFIG" || die "kernel lacks CONFIG_PVH; cannot boot vmlinux"
    mv "$CACHE/vmlinux.tmp" "$CACHE/vmlinux"
else
    rm -f "$CACHE/vmlinux.tmp"
fi
echo "$KVER" >"$CACHE/kernel.version"
echo "$KEY" >"$CACHE/guest.key"
rm -rf "$ROOT" "$KDIR"
echo "guest.sh: built $CACHE/$([[ -e $CACHE/vmlinux ]] && echo "vmlinux, ")vmlinuz ($KVER), base.cpio" \
     "($(du -h "$CACHE/base.cpio" | cut -f1)), base.cpio.gz ($(du -h "$CACHE/base.cpio.gz" | cut -f1))"
