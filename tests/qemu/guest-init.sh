#!/bin/sh
# /init of the lab guest (busybox sh).  Copied into base.cpio.gz by guest.sh.
#
# Kernel arguments read here:
#   lab.dpdk=1      DPDK guest: virtio-net (1af4:1041/1000) and every e1000e
#                   (8086:10d3, also those hot-plugged later, through
#                   usertools/dpdk-bypass-vf-bind) go to vfio-pci;
#                   no kernel NIC driver is loaded, so nothing else can claim
#                   them.
#   lab.dpdk=0      Linux control guest (default): virtio_net + net_failover +
#                   e1000e, so the kernel negotiates STANDBY and pairs them.
#   lab.hugepages=N 2 MB hugepages to reserve (default 384).
# Console markers: "LAB-BOOTED uptime=S" before /lab/run, "LAB-READY rc=N"
# after it returns (rc=none without /lab/run).  Then a shell on the console.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/hugepages /dev/shm
mount -t devpts devpts /dev/pts
mount -t hugetlbfs -o pagesize=2M hugetlbfs /dev/hugepages
mount -t tmpfs tmpfs /dev/shm

arg() { # arg NAME DEFAULT: value of NAME=... on the kernel command line
    for a in $(cat /proc/cmdline); do
        case $a in "$1"=*) echo "${a#*=}"; return ;; esac
    done
    echo "$2"
}
LAB_DPDK=$(arg lab.dpdk 0)
HP=$(arg lab.hugepages 384)
echo "$HP" >/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
echo "lab-init: dpdk=$LAB_DPDK hugepages=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages)"
ip link set lo up

if [ "$LAB_DPDK" = 1 ]; then
    modprobe -a vfio_iommu_type1 vfio-pci uio_pci_generic || echo "lab-init: modprobe vfio/uio FAILED"
    # The project's helper moves the e1000e functions hot-plugged later (the
    # lab's VFs) to vfio-pci. A user's VM has udev run it on each PCI add
    # event (usertools/90-dpdk-bypass-vf.rules); this one has no udev, and
    # its kernel no uevent helper (Debian's), so a loop plays udev's part:
    # it runs the helper, by address, for each PCI device that appears.
    mkdir -p /etc/dpdk-bypass
    echo 8086:10d3 >/etc/dpdk-bypass/vf-ids
    # `known` is what the last pass saw: a VF plugged back at the address
    # of one unplugged is new again.
    (
        known=" "
        while :; do
            now=" "
            for d in /sys/bus/pci/devices/*; do
                now="$now${d##*/} "
                case "$known" in *" ${d##*/} "*) continue ;; esac
                /usr/libexec/dpdk-bypass/dpdk-bypass-vf-bind "${d##*/}"
            done
            known=$now
            sleep 0.05
        done
    ) &
    for d in /sys/bus/pci/devices/*; do
        case "$(cat "$d/vendor"):$(cat "$d/device")" in
        0x1af4:0x1041 | 0x1af4:0x1000) lab-bind "${d##*/}" vfio-pci ;;
        esac
    done
else
    modprobe -a virtio_pci virtio_net e1000e || echo "lab-init: modprobe virtio_net/e1000e FAILED"
    # net_failover's master is the netdev with lower_* links; the standby
    # and (after the hot-plug) the primary are enslaved to it.
    for n in /sys/class/net/*; do
        ip link set "${n##*/}" up
        ls -d "$n"/lower_* >/dev/null 2>&1 && echo "lab-init: failover master ${n##*/}"
    done
fi

echo "LAB-BOOTED uptime=$(cut -d' ' -f1 /proc/uptime)"
rc=none
if [ -x /lab/run ]; then
    /lab/run
    rc=$?
fi
echo "LAB-READY rc=$rc uptime=$(cut -d' ' -f1 /proc/uptime)"

# Never return: init exiting panics the kernel.  A shell on the console lets
# the host drive the guest through the serial socket.
while :; do
    setsid cttyhack sh -l
    sleep 1
done
