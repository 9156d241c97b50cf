#!/usr/bin/env python3
"""net_bypass as a port of Open vSwitch 3.1 with DPDK (Debian's
openvswitch-switch-dpdk), in a private ovsdb-server and ovs-vswitchd-dpdk:

1. the port added as an operator writes it (dpdk-devargs with both
   sub-devices in brackets) is found by OVS and comes up;
2. frames the kernel sends into either sub-port's tap reach OVS; frames OVS
   sends leave by the active sub-port;
3. the active sub-port's link goes down: tx moves to the backup, the port's
   link stays up, the switch is logged and counted in the Interface's
   statistics (tx_management_path_switches), and moves back with the link;
4. mtu_request reaches both sub-ports, and the port's stop and start
   for it is no failover, counted or logged;
5. del-port takes the sub-ports with it; add-port again works;
6. ovs-vswitchd restarted finds the port again.

Usage: ovs_check.py --pmd build/drivers/net/bypass/librte_net_bypass.so
                    [--out DIR]
Exit status 0 when every check held, 77 (skipped) without root, OVS with
DPDK or hugepages.
"""
import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import time

VSWITCHD = "/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk"
SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema"
MAC = "02:00:00:00:0b:01"
PEER_MAC = "02:00:00:00:0b:02"
ACTIVE, BACKUP = "nbovsvf0", "nbovsvb0"  # the sub-ports' kernel interfaces
DEVARGS = (f"net_bypass0,backup=[net_tap1,iface={BACKUP},mac={MAC}],"
           f"active=[net_tap0,iface={ACTIVE},mac={MAC}]")
PORT = "dpdk0"
FRAMES = 200
STATS_WAIT = 15  # OVS writes statistics to its database every 5 s


class CheckFailed(Exception):
    pass


def skip(why):
    print(f"ovs: skipped: {why}")
    sys.exit(77)


def wait_until(what, cond, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.2)
    raise CheckFailed(f"{what}: not within {timeout} s")


def sysfs(iface, name):
    with open(f"/sys/class/net/{iface}/{name}") as f:
        return int(f.read())


def exists(iface):
    return os.path.exists(f"/sys/class/net/{iface}")


def send_frames(iface, n):
    """n broadcast frames of an experimental ethertype, sent by the kernel
    on iface: into DPDK for a sub-port's tap, into OVS for the bridge's."""
    frame = (bytes.fromhex("ffffffffffff") + bytes.fromhex(PEER_MAC.replace(":", "")) +
             b"\x88\xb5" + bytes(50))
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as s:
        s.bind((iface, 0))
        for _ in range(n):
            s.send(frame)


def quiet_kernel(iface):
    """No IPv6 chatter of the kernel's own on the interface, so that what
    a path counts is what the test sent."""
    try:
        with open(f"/proc/sys/net/ipv6/conf/{iface}/disable_ipv6", "w") as f:
            f.write("1")
    except OSError:
        pass  # no IPv6 here: no chatter either


class Ovs:
    """A private ovsdb-server and ovs-vswitchd-dpdk in one directory."""

    def __init__(self, out, pmd):
        self.dir = out
        self.pmd = pmd
        self.env = dict(os.environ, OVS_RUNDIR=out, OVS_LOGDIR=out, OVS_DBDIR=out,
                        OVS_SYSCONFDIR=out)
        self.db = f"unix:{out}/db.sock"
        self.log = f"{out}/ovs-vswitchd-dpdk.log"

    def run(self, *cmd, check=True):
        r = subprocess.run(cmd, env=self.env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
        if check and r.returncode != 0:
            raise CheckFailed(f"{' '.join(cmd)}: exit status {r.returncode}: {r.stdout}")
        return r.stdout.strip()

    def vsctl(self, *args, check=True):
        return self.run("ovs-vsctl", f"--db={self.db}", "--timeout=30", *args, check=check)

    def start_db(self):
        self.run("ovsdb-tool", "create", f"{self.dir}/conf.db", SCHEMA)
        self.run("ovsdb-server", f"--remote=punix:{self.dir}/db.sock", "--pidfile",
                 "--detach", "--log-file", f"{self.dir}/conf.db")
        self.vsctl("--no-wait", "init")
        pmd_cpu = 1 if os.cpu_count() > 1 else 0
        self.vsctl("--no-wait", "set", "Open_vSwitch", ".",
                   "other_config:dpdk-init=true",
                   f"other_config:dpdk-extra=-d {self.pmd} --no-pci "
                   "--log-level=pmd.net.bypass:info",
                   "other_config:dpdk-socket-mem=512",
                   "other_config:dpdk-lcore-mask=0x1",
                   f"other_config:pmd-cpu-mask={1 << pmd_cpu:#x}")

    def start_vswitchd(self):
        self.run(VSWITCHD, "--pidfile", "--detach", "--log-file", self.db)
        if self.vsctl("get", "Open_vSwitch", ".", "dpdk_initialized") != "true":
            raise CheckFailed("ovs-vswitchd-dpdk did not initialise DPDK")

    def stop_vswitchd(self):
        self.run("ovs-appctl", "-t", "ovs-vswitchd-dpdk", "exit", check=False)
        wait_until("ovs-vswitchd-dpdk exits",
                   lambda: not os.path.exists(f"{self.dir}/ovs-vswitchd-dpdk.pid"), 30)

    def stop(self):
        try:
            self.stop_vswitchd()
        except CheckFailed as e:
            print(f"ovs: {e}")
        self.run("ovs-appctl", "-t", "ovsdb-server", "exit", check=False)

    def iface(self, column):
        return self.vsctl("get", "Interface", PORT, column).strip('"')

    def stats(self):
        text = self.vsctl("get", "Interface", PORT, "statistics")
        return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", text)}

    def stat(self, name):
        return self.stats().get(name, -1)

    def add_port(self):
        # net_tap takes as many rx queues as tx queues, and OVS gives a
        # port one tx queue per PMD thread plus one.
        self.vsctl("add-port", "br0", PORT, "--", "set", "Interface", PORT, "type=dpdk",
                   f"options:dpdk-devargs={DEVARGS}", "options:n_rxq=2")

    def log_text(self):
        with open(self.log, errors="replace") as f:
            return f.read()


def port_is_up(ovs):
    """The port is in OpenFlow, without error, its link up, and both
    sub-ports' kernel interfaces are there."""
    wait_until("the port comes up",
               lambda: ovs.iface("link_state") == "up" and int(ovs.iface("ofport")) > 0, 30)
    error = ovs.iface("error")
    if error != "[]":
        raise CheckFailed(f"the Interface's error: {error}")
    for i in (ACTIVE, BACKUP):
        if not exists(i):
            raise CheckFailed(f"no {i}")
        quiet_kernel(i)
    for name in ("tx_management_path_switches", "active_management_attaches"):
        wait_until(f"{name} in the Interface's statistics", lambda: ovs.stat(name) >= 0,
                   STATS_WAIT)


def rx_from(ovs, iface):
    before = ovs.stat("rx_packets")
    send_frames(iface, FRAMES)
    wait_until(f"OVS counts the {FRAMES} frames sent into {iface}",
               lambda: ovs.stat("rx_packets") >= before + FRAMES, STATS_WAIT)
    print(f"ovs: rx: {FRAMES} frames from {iface} counted by OVS")


def tx_leaves_by(ovs, on, off):
    """OVS sends FRAMES out of the port (from the bridge's own interface):
    they reach the kernel by `on`, not by `off`."""
    before_on, before_off = sysfs(on, "statistics/rx_packets"), sysfs(off, "statistics/rx_packets")
    send_frames("br0", FRAMES)
    wait_until(f"{FRAMES} frames OVS sent leave by {on}",
               lambda: sysfs(on, "statistics/rx_packets") >= before_on + FRAMES, 10)
    got_off = sysfs(off, "statistics/rx_packets") - before_off
    if got_off >= FRAMES:
        raise CheckFailed(f"{off} got {got_off} of the frames that should leave by {on}")
    print(f"ovs: tx: {FRAMES} frames left by {on} ({got_off} by {off})")


def bridge_to_port(ovs):
    """br0 up, without the kernel's chatter, its own frames sent out by the
    bypass port alone."""
    quiet_kernel("br0")
    subprocess.run(["ip", "link", "set", "br0", "up"], check=True)
    ovs.run("ovs-ofctl", "del-flows", "br0")
    ovs.run("ovs-ofctl", "add-flow", "br0", f"in_port=LOCAL,actions=output:{PORT}")


def check_all(ovs):
    ovs.start_db()
    ovs.start_vswitchd()
    ovs.vsctl("add-br", "br0", "--", "set", "bridge", "br0", "datapath_type=netdev")
    ovs.add_port()
    port_is_up(ovs)
    print("ovs: 1. the port is found, up, its failover counters in its statistics")

    bridge_to_port(ovs)
    rx_from(ovs, ACTIVE)
    rx_from(ovs, BACKUP)
    tx_leaves_by(ovs, ACTIVE, BACKUP)
    print("ovs: 2. traffic both ways")

    switches = ovs.stat("tx_management_path_switches")
    subprocess.run(["ip", "link", "set", ACTIVE, "down"], check=True)
    wait_until("the switch to the backup in the Interface's statistics",
               lambda: ovs.stat("tx_management_path_switches") == switches + 1, STATS_WAIT)
    if "tx now on the backup (active sub-port link down)" not in ovs.log_text():
        raise CheckFailed("no log line of the switch to the backup")
    if ovs.iface("link_state") != "up":
        raise CheckFailed("the port's link went down with the active sub-port's")
    tx_leaves_by(ovs, BACKUP, ACTIVE)
    subprocess.run(["ip", "link", "set", ACTIVE, "up"], check=True)
    wait_until("the switch back in the Interface's statistics",
               lambda: ovs.stat("tx_management_path_switches") == switches + 2, STATS_WAIT)
    tx_leaves_by(ovs, ACTIVE, BACKUP)
    print("ovs: 3. link-flap failover, logged and counted")

    switches = ovs.stat("tx_management_path_switches")
    logged = ovs.log_text().count("tx now on")
    ovs.vsctl("set", "Interface", PORT, "mtu_request=1400")
    wait_until("mtu_request reaches the port and both sub-ports",
               lambda: ovs.iface("mtu") == "1400" and sysfs(ACTIVE, "mtu") == 1400 and
               sysfs(BACKUP, "mtu") == 1400, 30)
    tx_leaves_by(ovs, ACTIVE, BACKUP)
    rx_from(ovs, ACTIVE)  # statistics read after the reconfiguration
    # OVS stopped and started the port to change its MTU: no failover,
    # neither counted nor logged.
    if ovs.stat("tx_management_path_switches") != switches:
        raise CheckFailed(f"the MTU change counted {ovs.stat('tx_management_path_switches') - switches} "
                          "path switches")
    if ovs.log_text().count("tx now on") != logged:
        raise CheckFailed("the MTU change was logged as a tx path change")
    print("ovs: 4. MTU 1400 on the port and both sub-ports, no switch counted")

    ovs.vsctl("del-port", PORT)
    wait_until("del-port takes the sub-ports with it",
               lambda: not exists(ACTIVE) and not exists(BACKUP), 30)
    ovs.add_port()
    port_is_up(ovs)
    bridge_to_port(ovs)
    rx_from(ovs, ACTIVE)
    tx_leaves_by(ovs, ACTIVE, BACKUP)
    print("ovs: 5. deleted with its sub-ports, added again")

    ovs.stop_vswitchd()
    ovs.start_vswitchd()
    port_is_up(ovs)
    bridge_to_port(ovs)
    tx_leaves_by(ovs, ACTIVE, BACKUP)
    print("ovs: 6. found again after ovs-vswitchd restarts")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pmd", required=True)
    ap.add_argument("--out", default="ovs-check")
    args = ap.parse_args()
    if os.geteuid() != 0:
        skip("needs root (taps, hugepages)")
    if not os.access(VSWITCHD, os.X_OK):
        skip(f"no {VSWITCHD} (Debian's openvswitch-switch-dpdk, scripts/setup.sh installs it)")
    with open("/proc/meminfo") as f:
        free = int(re.search(r"HugePages_Free:\s+(\d+)", f.read())[1])
    if free < 256:
        skip(f"{free} free 2 MiB hugepages, 256 needed: ovs-vswitchd runs DPDK --in-memory")

    out = os.path.abspath(args.out)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    ovs = Ovs(out, os.path.abspath(args.pmd))
    try:
        check_all(ovs)
    except CheckFailed as e:
        print(f"ovs: FAILED: {e}")
        print(f"ovs: the last lines of {ovs.log}:")
        if os.path.exists(ovs.log):
            print("".join(ovs.log_text().splitlines(True)[-40:]), end="")
        return 1
    finally:
        ovs.stop()
        for i in (ACTIVE, BACKUP):
            if exists(i):
                subprocess.run(["ip", "link", "del", i], check=False)
    print("ovs: all checks held")
    return 0


if __name__ == "__main__":
    sys.exit(main())
