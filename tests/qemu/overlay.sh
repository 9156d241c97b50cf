#!/bin/bash
# Make a second initramfs archive that the kernel unpacks over base.cpio.gz:
#
#   tests/qemu/overlay.sh OUT.cpio.gz HOSTFILE:GUESTPATH...
#   e.g. overlay.sh /tmp/o.cpio.gz run.sh:/lab/run build/librte_net_bypass.so:/lab/librte_net_bypass.so
#
# Boot with the two archives concatenated into one -initrd file
# (cat base.cpio.gz OUT.cpio.gz > initrd): the kernel unpacks each gzip member
# in turn and a later file replaces an earlier one at the same path.
# The host file's mode is kept (make /lab/run executable).
set -euo pipefail
die() { echo "overlay.sh: $*" >&2; exit 1; }
(($# >= 2)) || die "usage: overlay.sh OUT.cpio.gz HOSTFILE:GUESTPATH..."
out=$1; shift
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
for spec in "$@"; do
    src=${spec%%:*}; dst=${spec#*:}
    [[ $spec == *:* && -n $src && $dst == /* ]] || die "bad spec '$spec' (want HOSTFILE:/GUEST/PATH)"
    [[ -f $src ]] || die "no such file: $src"
    mkdir -p "$stage/$(dirname "$dst")"
    cp -L --preserve=mode "$src" "$stage/$dst" || die "copying $src failed"
done
# directories the overlay creates must stay traversable
find "$stage" -mindepth 1 -type d -exec chmod 0755 {} +
(cd "$stage" && find . -mindepth 1 -print0 | cpio --null -o -H newc -R 0:0 --quiet) |
    gzip -1 >"$out.tmp" || die "packing overlay failed"
mv "$out.tmp" "$out"
