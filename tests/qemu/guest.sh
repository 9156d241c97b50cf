#!/bin/bash
# Build the QEMU lab guest in CACHE_DIR (default /work/main/.deps/qemu):
#
#   tests/qemu/guest.sh [CACHE_DIR]
#
#   vmlinuz         Debian's kernel as packaged
#   vmlinux         the same kernel decompressed: QEMU boots its ELF PVH entry
#                   directly, which skips ~4 s of XZ decompression under TCG
#   base.cpio.gz    the guest root (initramfs)
#   base.cpio       the same uncompressed: the kernel unpacks it in 0.9 s
#                   instead of 2.4 s under TCG
#
# The whole guest root is one initramfs held in RAM: a mounted 9p export
# blocks live migration (DESIGN.md section 8).  DPDK is copied from the host's
# Debian 12 packages because the guest should run exactly those.  Outputs are
# rebuilt only when missing or older than this script or guest-init.sh.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${1:-/work/main/.deps/qemu}
INIT_SRC=$HERE/guest-init.sh
MODULES=(virtio_pci virtio_net net_failover failover e1000e
         vfio vfio_pci vfio_iommu_type1 uio uio_pci_generic)
LIBDIR=/usr/lib/x86_64-linux-gnu
PMDDIR=$LIBDIR/dpdk/pmds-23.0

die() { echo "guest.sh: $*" >&2; exit 1; }
trap 'echo "guest.sh: failed at line $LINENO: $BASH_COMMAND" >&2' ERR

fresh() { # $1 is newer than every input of the build
    [[ -s $1 && $1 -nt $0 && $1 -nt $INIT_SRC ]]
}

mkdir -p "$CACHE" || die "cannot create $CACHE"
CACHE=$(cd "$CACHE" && pwd)
OUTS=(vmlinuz vmlinux base.cpio.gz base.cpio)
uptodate=1
for o in "${OUTS[@]}"; do fresh "$CACHE/$o" || uptodate=0; done
if ((uptodate)); then
    echo "guest.sh: up to date in $CACHE: ${OUTS[*]}"
    exit 0
fi

# --- host tools (the dpdk packages are the guest's DPDK, so they are needed too)
need=()
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
[[ -x /bin/busybox ]] && /bin/busybox --list | grep -qx modprobe || need+=(busybox-static)
command -v cpio >/dev/null || need+=(cpio)
command -v depmod >/dev/null || need+=(kmod)
command -v xz >/dev/null || need+=(xz-utils)
[[ -x /usr/bin/dpdk-testpmd ]] || need+=(dpdk)
if ((${#need[@]})); then
    echo "guest.sh: installing ${need[*]}"
    apt-get install -y --no-install-recommends "${need[@]}" ||
        { apt-get update && apt-get install -y --no-install-recommends "${need[@]}"; } ||
        die "apt-get install ${need[*]} failed"
fi
# busybox (dynamic) may shadow busybox-static's /bin/busybox; the guest has no libc
# for busybox to use, so insist on the static one.
grep -q 'not a dynamic' <<<"$(ldd /bin/busybox 2>&1 || true)" ||
    die "/bin/busybox is not static (install busybox-static)"

# --- kernel: the package linux-image-amd64 points at, unpacked, never installed
KPKG=${LAB_KERNEL_PKG:-$(apt-cache depends linux-image-amd64 |
                         awk '/Depends: linux-image-6\.1\.0-.*-amd64/ {print $2; exit}')}
[[ -n $KPKG ]] || die "cannot find linux-image-6.1.0-*-amd64 via apt-cache depends linux-image-amd64 (run apt-get update?)"
KDIR=$CACHE/kernel
if ! ls "$CACHE"/"$KPKG"_*.deb >/dev/null 2>&1; then
    # apt-get download writes to the cwd; the _apt sandbox warning is harmless
    (cd "$CACHE" && apt-get download "$KPKG") ||
        (cd "$CACHE" && apt-get download "$KPKG-unsigned") ||
        die "apt-get download $KPKG failed"
fi
DEB=$(ls "$CACHE"/"$KPKG"*_*.deb | head -1)
rm -rf "$KDIR"
dpkg -x "$DEB" "$KDIR" || die "dpkg -x $DEB failed"
KVER=$(ls "$KDIR/lib/modules" | head -1)
[[ -n $KVER && -f $KDIR/boot/vmlinuz-$KVER ]] || die "no vmlinuz/modules in $DEB"
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
for m in "${MODULES[@]}"; do
    modprobe -d "$KDIR" -S "$KVER" --show-depends "$m" ||
        die "module $m (or a dependency) missing from $KPKG"
done | awk '$1 == "insmod" {print $2}' | sort -u | while read -r ko; do
    rel=${ko#"$KDIR"/lib/modules/"$KVER"/}
    mkdir -p "$MDST/$(dirname "$rel")"
    cp "$ko" "$MDST/$rel"
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
cp "$KDIR/boot/vmlinuz-$KVER" "$CACHE/vmlinuz"
# bzImage = setup code + decompressor + an XZ stream holding the ELF vmlinux
off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$CACHE/vmlinuz" | head -1 | cut -d: -f1)
[[ -n $off ]] || die "no XZ stream in vmlinuz (kernel not XZ-compressed?)"
# (not a pipe: xz stops reading at the stream's end and tail would die of SIGPIPE)
xz -dc --single-stream <(tail -c +$((off + 1)) "$CACHE/vmlinuz") >"$CACHE/vmlinux.tmp" ||
    die "decompressing vmlinuz failed"
[[ $(head -c 4 "$CACHE/vmlinux.tmp") == $'\x7fELF' ]] || die "decompressed vmlinuz is not an ELF"
grep -q '^CONFIG_PVH=y' "$KDIR/boot/config-$KVER" || die "kernel lacks CONFIG_PVH; cannot boot vmlinux"
mv "$CACHE/vmlinux.tmp" "$CACHE/vmlinux"
echo "$KVER" >"$CACHE/kernel.version"
rm -rf "$ROOT" "$KDIR"
echo "guest.sh: built $CACHE/vmlinux, vmlinuz ($KVER), base.cpio" \
     "($(du -h "$CACHE/base.cpio" | cut -f1)), base.cpio.gz ($(du -h "$CACHE/base.cpio.gz" | cut -f1))"
