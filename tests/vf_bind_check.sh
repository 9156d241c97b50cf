#!/usr/bin/env bash
# usertools/dpdk-bypass-vf-bind against a sysfs tree of its own: a listed
# VF bound to a kernel driver moves to vfio-pci (a reader on drivers_probe
# plays the kernel and binds by driver_override), one not listed, or with
# no id list, or on a remove event, is left alone, and a bind that does not
# happen is an error that says so.
# Usage: vf_bind_check.sh <helper>
set -euo pipefail
helper=$1
tmp=$(mktemp -d)
trap 'pkill -P $$ 2>/dev/null || true; rm -rf "$tmp"' EXIT
fail() {
	echo "vf-bind: $*" >&2
	exit 1
}
bdf=0000:00:05.0

# A device of `id` (vendor:device) bound to e1000e, in a fresh sysfs.
make_sysfs() {
	sys=$tmp/sys.$1
	dev=$sys/bus/pci/devices/$bdf
	mkdir -p "$dev" "$sys/bus/pci/drivers/e1000e" "$sys/bus/pci/drivers/vfio-pci"
	echo "0x${2%%:*}" >"$dev/vendor"
	echo "0x${2##*:}" >"$dev/device"
	: >"$dev/driver_override"
	: >"$sys/bus/pci/drivers/e1000e/unbind"
	ln -s ../../drivers/e1000e "$dev/driver"
	: >"$sys/bus/pci/drivers_probe"
}
# The kernel's part: each probe binds by driver_override, and an unbind
# lets go. With `race`, the first probe finds the device taken meanwhile by
# its kernel driver (whose probe began as the kernel announced it).
# Each reader holds its fifo open for reading and writing for its whole
# life: a write never waits for it, no line is lost between two reads, and
# a writer's close is never taken for the end of input. The kernel binds
# before the write returns; this one binds a moment after, which the
# helper's retries cover.
kernel_binds() {
	rm "$sys/bus/pci/drivers_probe" "$sys/bus/pci/drivers/e1000e/unbind"
	mkfifo "$sys/bus/pci/drivers_probe" "$sys/bus/pci/drivers/e1000e/unbind"
	(
		exec 3<>"$sys/bus/pci/drivers/e1000e/unbind"
		while read -r gone <&3; do
			[ "$gone" = "$bdf" ] && rm -f "$dev/driver" && echo "$gone" >>"$tmp/unbound.$1"
		done
	) &
	(
		exec 3<>"$sys/bus/pci/drivers_probe"
		race=${2:-}
		while read -r probed <&3; do
			[ "$probed" = "$bdf" ] || continue
			[ -e "$dev/driver" ] && continue
			if [ -n "$race" ]; then
				ln -sfn ../../drivers/e1000e "$dev/driver"
				race=
				continue
			fi
			ln -sfn "../../drivers/$(cat "$dev/driver_override")" "$dev/driver"
		done
	) &
}
driver_of() { basename "$(readlink "$dev/driver")"; }
run() { SYSFS=$sys DPDK_BYPASS_VF_IDS=$tmp/ids "$@" "$helper" "$bdf" 2>&1; }

printf '# the lab VF\n8086:10D3\n1af4:1041  # not a VF, never hot-plugged\n' >"$tmp/ids"

make_sysfs listed 8086:10d3
kernel_binds listed
out=$(run env) || fail "a listed VF: exit $? ($out)"
[ "$(driver_of)" = vfio-pci ] || fail "a listed VF ends on $(driver_of), not vfio-pci"
[ "$(cat "$tmp/unbound.listed")" = "$bdf" ] || fail "a listed VF was not unbound"
[[ $out == *"-> vfio-pci"* ]] || fail "no line saying where it went: $out"

make_sysfs race 8086:10d3
rm "$dev/driver" # announced, not bound yet; its driver takes it meanwhile
kernel_binds race race
out=$(run env) || fail "a VF its kernel driver took meanwhile: exit $? ($out)"
[ "$(driver_of)" = vfio-pci ] || fail "a VF its kernel driver took meanwhile ends on $(driver_of)"

make_sysfs nonewline 8086:10d3
kernel_binds nonewline
printf '8086:10d3\r' >"$tmp/ids.crlf"
out=$(SYSFS=$sys DPDK_BYPASS_VF_IDS=$tmp/ids.crlf "$helper" "$bdf" 2>&1) ||
	fail "an id list without a final newline: exit $? ($out)"
[ "$(driver_of)" = vfio-pci ] || fail "an id list without a final newline was not read"

make_sysfs other 8086:1889
out=$(run env) || fail "an unlisted device: exit $? ($out)"
[ "$(driver_of)" = e1000e ] && [ ! -s "$dev/driver_override" ] || fail "an unlisted device was touched"

make_sysfs remove 8086:10d3
out=$(SYSFS=$sys DPDK_BYPASS_VF_IDS=$tmp/ids ACTION=remove SUBSYSTEM=pci PCI_SLOT_NAME=$bdf "$helper" pci 2>&1) ||
	fail "a remove event: exit $? ($out)"
[ ! -s "$dev/driver_override" ] || fail "a remove event bound the device"

make_sysfs nolist 8086:10d3
out=$(SYSFS=$sys DPDK_BYPASS_VF_IDS=$tmp/none "$helper" "$bdf" 2>&1) || fail "no id list: exit $? ($out)"
[ ! -s "$dev/driver_override" ] || fail "without an id list a device was bound"

make_sysfs stuck 8086:10d3
if out=$(run env); then fail "a bind that did not happen passed: $out"; fi
[[ $out == *"is not on vfio-pci"* ]] || fail "a failed bind says: $out"

make_sysfs usb 8086:10d3
out=$(SYSFS=$sys DPDK_BYPASS_VF_IDS=$tmp/ids ACTION=add SUBSYSTEM=usb "$helper" usb 2>&1) ||
	fail "another subsystem's event: exit $? ($out)"
[ ! -s "$dev/driver_override" ] || fail "another subsystem's event bound a device"

make_sysfs uevent 8086:10d3
kernel_binds uevent
# The uevent helper's argument is the subsystem.
out=$(SYSFS=$sys DPDK_BYPASS_VF_IDS=$tmp/ids ACTION=add SUBSYSTEM=pci PCI_SLOT_NAME=$bdf "$helper" pci 2>&1) ||
	fail "from a uevent's environment: exit $? ($out)"
[ "$(driver_of)" = vfio-pci ] || fail "from a uevent's environment it ends on $(driver_of)"
echo "vf-bind: listed VF moved, others left alone, a failed bind reported: ok"
