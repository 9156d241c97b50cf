#!/usr/bin/env python3
"""The QEMU failover lab: a DPDK guest running net_bypass under QEMU's
virtio-net-pci failover=on, and the same scenarios run on a Linux guest
(net_failover, the control), side by side.

Scenarios (doc/qemu-lab.md): boot-time pairing; device_del of the primary
under traffic; live migration there and back; migration cancelled during
wait-unplug; device_add of a primary after device_del; boot-time pairing
with both given explicitly (backup=<BDF>,active=<BDF>, DPDK only); boot-time
pairing with a primary that refuses promiscuous and all-multicast mode as an
untrusted iavf VF does (DPDK only). Each asserts its outcome for the DPDK
guest and prints its figures next to Linux's.

Usage: scenarios.py --pmd build/drivers/net/bypass/librte_net_bypass.so
                    [--out DIR] [--only dpdk|linux] [--scenario N]...
       (one scenario: --only dpdk --scenario 7)
Exit status 0 when every DPDK assertion held.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lab_qemu import Guest, QMPError, build_guest, virtio_status_answered  # noqa: E402
from traffic import Traffic  # noqa: E402

MAC = "52:54:00:12:34:56"
HOST_PORTS = {"virtio": 41001, "vf": 41003}
STANDBY_NAME = "VIRTIO_NET_F_STANDBY"

DPDK_RUN = """#!/bin/sh
# net_bypass zero-config: it finds the virtio port offering STANDBY, makes
# it negotiate STANDBY, and takes the VF QEMU then plugs.
echo "lab-run: testpmd with net_bypass"
sleep 1000000 | dpdk-testpmd -l 0-1 -n 1 -d /lab/librte_net_bypass.so \\
    --vdev net_bypass0 --log-level=pmd.net.bypass:info -- \\
    --forward-mode=io --port-topology=loop --auto-start --nb-cores=1 \\
    --rxd=512 --txd=512 >/dev/console 2>&1 &
"""

# Explicit mode, as an operator writes it from the VM's definition: the
# virtio device on root port rp1 is 02:00.0, the VF QEMU plugs on rp0 once
# STANDBY is negotiated will be 01:00.0 (not there when testpmd starts).
DPDK_RUN_EXPLICIT = """#!/bin/sh
echo "lab-run: testpmd with net_bypass, explicit"
sleep 1000000 | dpdk-testpmd -l 0-1 -n 1 -d /lab/librte_net_bypass.so \\
    --vdev net_bypass0,backup=0000:02:00.0,active=0000:01:00.0 \\
    --log-level=pmd.net.bypass:info -- \\
    --forward-mode=io --port-topology=loop --auto-start --nb-cores=1 \\
    --rxd=512 --txd=512 >/dev/console 2>&1 &
"""

# Scenario 7: the primary answers like an untrusted iavf VF, refusing
# promiscuous and all-multicast mode with -EAGAIN (untrusted_vf.c, preloaded).
# testpmd is interactive, reading a FIFO the host writes commands into
# through the console shell (testpmd() below); a sleeping writer keeps it
# open.
# testpmd itself turns promiscuous mode on at start; all-multicast is asked
# for here, so that the VF, plugged later, is refused both.
DPDK_RUN_UNTRUSTED = """#!/bin/sh
echo "lab-run: testpmd with net_bypass, the VF refusing promiscuous and all-multicast mode"
mkfifo /tmp/testpmd.in
sleep 1000000 >/tmp/testpmd.in &
LD_PRELOAD=/lab/untrusted_vf.so dpdk-testpmd -l 0-1 -n 1 -d /lab/librte_net_bypass.so \\
    --vdev net_bypass0 --log-level=pmd.net.bypass:info -- -i \\
    --forward-mode=io --port-topology=loop --auto-start --nb-cores=1 \\
    --rxd=512 --txd=512 </tmp/testpmd.in >/dev/console 2>&1 &
echo "set allmulti all on" >/tmp/testpmd.in
"""
TESTPMD_FIFO = "/tmp/testpmd.in"
UNTRUSTED_VF_SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "untrusted_vf.c")

LINUX_RUN = """#!/bin/sh
# The kernel's net_failover pairs the NICs; testpmd over af_packet on the
# failover master only echoes what the master receives.
m=""
for n in /sys/class/net/*; do
    ls -d "$n"/lower_* >/dev/null 2>&1 && m=${n##*/}
done
echo "lab-run: testpmd over af_packet on failover master $m"
sleep 1000000 | dpdk-testpmd -l 0-1 -n 1 --no-pci \\
    --vdev net_af_packet0,iface=$m -- \\
    --forward-mode=io --port-topology=loop --auto-start --nb-cores=1 \\
    >/dev/console 2>&1 &
"""


def shared_libraries(path):
    """What the dynamic loader needs for `path` beyond DPDK itself (which
    the guest root has): libstdc++ and the like, at their host paths."""
    out = subprocess.run(["ldd", path], check=True, capture_output=True, text=True).stdout
    libs = re.findall(r"=> (/\S+)", out)
    # /lib is a link to /usr/lib (merged /usr): a file under /lib in the
    # overlay would turn the guest's link into a directory.
    return [(os.path.realpath(lib), "/usr" + lib if lib.startswith("/lib/") else lib)
            for lib in libs if "librte_" not in os.path.basename(lib)]


def build_untrusted_vf(out):
    """untrusted_vf.c as a shared object for the guest's LD_PRELOAD, built
    with the host's compiler against the host's DPDK, which the guest runs."""
    so = os.path.join(out, "untrusted_vf.so")
    cflags = subprocess.run(["pkg-config", "--cflags", "libdpdk"], check=True,
                            capture_output=True, text=True).stdout.split()
    subprocess.run([os.environ.get("CC", "cc"), "-shared", "-fPIC", "-O2", "-Wall", "-Werror",
                    *cflags, "-o", so, UNTRUSTED_VF_SRC, "-lrte_ethdev"], check=True)
    return so


class Lab:
    """Boots guests of one kind and keeps the traffic and the figures."""

    def __init__(self, kind, pmd, out):
        self.kind, self.pmd, self.out = kind, pmd, os.path.join(out, kind)
        os.makedirs(self.out, exist_ok=True)
        self.runfile = self.script("run.sh", DPDK_RUN if kind == "dpdk" else LINUX_RUN)
        self.explicit_runfile = self.script("run-explicit.sh", DPDK_RUN_EXPLICIT)
        self.untrusted_runfile = self.script("run-untrusted.sh", DPDK_RUN_UNTRUSTED)
        self.instances = 0
        self.traffic = None

    def script(self, name, text):
        path = os.path.join(self.out, name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, 0o755)
        return path

    def qemu_ports(self, i):
        return {"virtio": 42000 + 10 * i, "vf": 42001 + 10 * i}

    def guest(self, name, initrd=None, incoming=None, run=None, files=()):
        """run: the host file to be /lab/run (the kind's own by default);
        files: more [(host_path, guest_path)] for the guest."""
        i = self.instances
        self.instances += 1
        q = self.qemu_ports(i)
        files = [(run or self.runfile, "/lab/run")] + list(files)
        if self.kind == "dpdk":
            files.append((self.pmd, "/lab/librte_net_bypass.so"))
            files += shared_libraries(self.pmd)
        g = Guest(self.out, name=name, dpdk=self.kind == "dpdk", mac=MAC, files=files,
                  ports={"nb": (q["virtio"], HOST_PORTS["virtio"]),
                         "nv": (q["vf"], HOST_PORTS["vf"])},
                  initrd=initrd, incoming=incoming)
        g.lab_ports = q
        return g.start()

    def start_traffic(self):
        self.traffic = Traffic(MAC, HOST_PORTS).start()
        return self.traffic

    def stop(self):
        if self.traffic:
            self.traffic.stop()
            self.traffic.timeline(os.path.join(self.out, "timeline.log"))
            self.traffic.close()


def wait_back_on(traffic, path, timeout, since=None):
    """Seconds until a frame sent after `since` came back on `path`."""
    t0 = time.monotonic()
    since = since or traffic.mark()
    while time.monotonic() - t0 < timeout:
        if traffic.report(since)["per_path"].get(path, 0) > 0:
            return time.monotonic() - t0
        time.sleep(0.05)
    return None


# None, or why QEMU cannot be asked for the driver features (main() sets it)
NO_VIRTIO_STATUS = None


def standby_kept(g, check, what):
    """Whether QEMU's view of the driver features still has STANDBY (a
    virtio PMD that writes them again without it loses the VF on
    migration, DESIGN.md section 8), checked as what(features) says; None
    where asking would kill QEMU."""
    if NO_VIRTIO_STATUS:
        print(f"  [{'dpdk' if g.dpdk else 'linux'}] skip {what(None)}: {NO_VIRTIO_STATUS}",
              flush=True)
        return None
    st = g.qmp.cmd("x-query-virtio-status", path="/machine/peripheral/net0/virtio-backend")
    feats = st["guest-features"]
    check(has_standby(feats), what(feats))
    return has_standby(feats)


def has_standby(features):
    return any(STANDBY_NAME in f for f in features.get("dev-features", []))


def boot_paired(lab, name, fig, check, run=None, files=()):
    """Scenario 1 (6 and 7 with their `run`): boots, waits for QEMU to plug
    the primary and for the echo to come back on it. fig gets
    "FAILOVER_NEGOTIATED after boot (s)" only if it came."""
    t0 = time.monotonic()
    g = lab.guest(name, run=run, files=files)
    tr = lab.traffic or lab.start_traffic()
    tr.to_virtio(g.lab_ports)
    g.wait_console(r"^LAB-READY", 120)
    try:
        ev = g.qmp.wait_event("FAILOVER_NEGOTIATED", 180)
    except QMPError as e:
        check(False, f"QEMU plugs the primary (FAILOVER_NEGOTIATED): {e}")
        return g
    fig["FAILOVER_NEGOTIATED after boot (s)"] = round(ev["host_time"] - t0, 2)
    tr.plug()
    back = wait_back_on(tr, "vf", 120)
    check(back is not None, "traffic comes back on the VF after it is plugged")
    if back is not None:
        fig["plug -> traffic on the VF (s)"] = round(time.monotonic() - ev["host_time"], 2)
    kept = standby_kept(g, check, lambda f: "QEMU's driver features carry STANDBY" +
                        (f": {json.dumps(f)}" if f else ""))
    fig["driver features keep STANDBY"] = "not asked" if kept is None else kept
    return g


def testpmd(g, command, until, timeout=30):
    """Types `command` into the interactive testpmd of scenario 7 (through
    its FIFO) and returns the console from there until `until` (a regex),
    or all of it if that has not come in `timeout` s. The shell waits a
    second, so that its prompt does not cut into testpmd's answer."""
    start = len(g.console())
    g.run(f'echo "{command}" >{TESTPMD_FIFO}; sleep 1', timeout)
    try:
        return g.console()[start:g.wait_console(until, timeout, start).end()]
    except QMPError:
        return g.console()[start:]


def xstats(g, names, tries=3):
    """The bypass port's xstats `names`, as testpmd shows them. The serial
    console is shared with the kernel and the shell, and a line of it
    sometimes comes out garbled (seen: "active_tx_ggood_packets"): what
    is missing is asked for again."""
    got = {}
    for _ in range(tries):
        out = testpmd(g, "show port xstats all", r"active_management_last_reattach_us: \d+")
        for k, v in re.findall(r"^(\w+): (\d+)\r?$", out, re.M):
            if k in names and k not in got:
                got[k] = int(v)
        if len(got) == len(names):
            break
    return got


REFUSED = (r"port \d+: the active sub-port \(port \d+\) refused {} "
           r"\(Resource temporarily unavailable\): kept in use without it")


def untrusted_vf(lab, fig, check):
    """Scenario 7: the primary refuses promiscuous and all-multicast mode
    with -EAGAIN, as an untrusted iavf VF does: net_bypass keeps it as the
    active sub-port, says so once for each, counts both in
    active_management_filters_refused, and tx goes through it."""
    so = build_untrusted_vf(lab.out)
    got = {}
    g = boot_paired(lab, "u", got, check, run=lab.untrusted_runfile,
                    files=[(so, "/lab/untrusted_vf.so")])  # its libraries are DPDK's
    fig.update({f"untrusted VF: {k}": v for k, v in got.items()})
    if "FAILOVER_NEGOTIATED after boot (s)" not in got:
        return g
    plugged = "hostdev0" in pci_devices(d for bus in g.qmp.cmd("query-pci")
                                        for d in bus["devices"])
    check(plugged, "QEMU plugged the primary (hostdev0 in query-pci)")
    x = xstats(g, ("active_management_filters_refused", "active_management_attach_giveups",
                   "active_tx_good_packets"))
    console = g.console()
    lines = 0
    for what in ("promiscuous enable", "allmulticast enable"):
        n = len(re.findall(REFUSED.format(what), console))
        lines += n
        fig[f"untrusted VF: '{what}' refusals logged"] = n
        check(n >= 1, f"the guest logs that the VF refused {what} and is kept in use")
        check(bool(re.search(rf"untrusted-vf: port \d+ \(net_e1000\w*\): {what} refused", console)),
              f"the refusal of {what} is the preload's, on the e1000 port")
    gave_up = re.findall(r"giving up on port.*", console)
    check(not gave_up, f"no 'giving up on port' line {gave_up}")
    refused = x.get("active_management_filters_refused")
    giveups = x.get("active_management_attach_giveups")
    tx = x.get("active_tx_good_packets")
    fig.update({"untrusted VF: active_management_filters_refused": refused,
                "untrusted VF: active_management_attach_giveups": giveups,
                "untrusted VF: active_tx_good_packets": tx})
    check(refused == lines and lines >= 2,
          f"active_management_filters_refused ({refused}) counts the {lines} refusals logged")
    check(giveups == 0, f"active_management_attach_giveups is 0 ({giveups})")
    check(bool(tx), f"tx goes out on the active path (active_tx_good_packets {tx})")
    return g


def pci_devices(devices):
    """qdev ids of the devices of a query-pci answer, behind bridges too."""
    ids = []
    for d in devices:
        ids.append(d.get("qdev_id"))
        ids += pci_devices(d.get("pci_bridge", {}).get("devices", []))
    return ids


def device_del(lab, g, fig, check):
    """Scenario 2: the primary is unplugged under traffic."""
    tr = lab.traffic
    time.sleep(1)
    mark = tr.mark()
    tr.to_virtio()
    since = len(g.qmp.events)
    t = time.monotonic()
    g.qmp.cmd("device_del", id="hostdev0")
    try:
        ev = g.qmp.wait_event("DEVICE_DELETED", 10, since,
                              match=lambda e: e.get("data", {}).get("device") == "hostdev0")
        fig["device_del -> DEVICE_DELETED (s)"] = round(ev["host_time"] - t, 3)
        check(ev["host_time"] - t <= 2.0, "DEVICE_DELETED within 2 s")
    except QMPError as e:
        check(False, f"DEVICE_DELETED: {e}")
    time.sleep(2)
    r = tr.report(mark)
    fig.update({"unplug: sent": r["sent"], "unplug: lost": r["lost"],
                "unplug: gap (ms)": r["max_gap_ms"]})
    check(r["per_path"].get("virtio", 0) > 0, f"traffic continues on virtio: {r}")
    # What was in flight: the VF's rx ring (512) at most, and nothing after.
    check(r["lost"] <= 512 and r["duplicated"] == 0, f"nothing lost beyond the in-flight: {r}")


def device_add(lab, g, fig, check):
    """Scenario 5: a primary again after device_del."""
    try:
        g.qmp.cmd("device_add", driver="e1000e", id="hostdev1", netdev="nv", mac=MAC,
                  failover_pair_id="net0", bus="rp0", romfile="")
    except QMPError as e:
        fig["device_add of a new primary"] = f"refused: {e}"
        return
    lab.traffic.plug()
    back = wait_back_on(lab.traffic, "vf", 60)
    fig["device_add of a new primary"] = f"accepted; VF traffic after {back} s"
    check(back is not None, "a primary added again carries traffic")


def migrate(lab, src, dst_name, fig, check, label, cancel=False):
    """Scenario 3 (one way) and 4 (cancel=True)."""
    tr = lab.traffic
    sock = os.path.join(lab.out, f"{dst_name}.mig")
    dst = lab.guest(dst_name, initrd=src.initrd, incoming=f"unix:{sock}")
    if cancel:
        # A slow copy leaves time to cancel.
        src.qmp.cmd("migrate-set-parameters", **{"max-bandwidth": 4 << 20})
    time.sleep(1)
    mark = tr.mark()
    since = len(src.qmp.events)
    t = time.monotonic()
    src.qmp.cmd("migrate", uri=f"unix:{sock}")
    try:
        up = src.qmp.wait_event("UNPLUG_PRIMARY", 30, since)
    except QMPError as e:
        check(False, f"{label}: UNPLUG_PRIMARY: {e}")
        dst.stop()
        return src
    tr.to_virtio()
    if cancel:
        src.qmp.cmd("migrate_cancel")
        state = src.qmp.wait_event("MIGRATION", 30, since,
                                   match=lambda e: e["data"]["status"] == "cancelled")
        fig[f"{label}: cancelled after UNPLUG_PRIMARY (s)"] = round(state["host_time"] - up["host_time"], 2)
        states = [e["data"]["status"] for e in src.qmp.events[since:] if e["event"] == "MIGRATION"]
        fig[f"{label}: states"] = " ".join(states)
        dst.stop()
        tr.plug()
        back = wait_back_on(tr, "vf", 120)
        check(back is not None, f"{label}: the source plugs the primary back and traffic returns to it")
        if back is not None:
            fig[f"{label}: cancel -> traffic on the VF (s)"] = round(time.monotonic() - state["host_time"], 2)
        return src
    try:
        done = src.qmp.wait_event("MIGRATION", 180, since,
                                  match=lambda e: e["data"]["status"] in ("completed", "failed"))
    except QMPError as e:
        check(False, f"{label}: migration: {e}")
        dst.stop()
        return src
    states = [e for e in src.qmp.events[since:] if e["event"] == "MIGRATION"]
    wu = [e["host_time"] for e in states if e["data"]["status"] == "wait-unplug"]
    after = [e["host_time"] for e in states if e["host_time"] > (wu[0] if wu else 0)
             and e["data"]["status"] != "wait-unplug"]
    info = src.qmp.cmd("query-migrate")
    ok = done["data"]["status"] == "completed"
    check(ok, f"{label}: migration completes ({done['data']['status']})")
    check(bool(wu), f"{label}: QEMU waits for the guest to release the primary (wait-unplug)")
    fig[f"{label}: wait-unplug (s)"] = round(after[0] - wu[0], 3) if wu and after else None
    fig[f"{label}: total (s)"] = round(done["host_time"] - t, 2)
    fig[f"{label}: downtime (ms)"] = info.get("downtime")
    if not ok:
        dst.stop()
        return src
    tr.to_virtio(dst.lab_ports)
    src.stop()
    try:
        ev = dst.qmp.wait_event("FAILOVER_NEGOTIATED", 60)
        fig[f"{label}: completed -> destination plugs the primary (s)"] = round(ev["host_time"] - done["host_time"], 2)
    except QMPError as e:
        check(False, f"{label}: the destination plugs the primary: {e}")
        return dst
    tr.plug()
    back = wait_back_on(tr, "vf", 120)
    check(back is not None, f"{label}: traffic returns to the VF on the destination")
    if back is not None:
        fig[f"{label}: plug -> traffic on the VF (s)"] = round(back, 2)
    time.sleep(1)
    r = tr.report(mark)
    fig.update({f"{label}: sent": r["sent"], f"{label}: lost": r["lost"],
                f"{label}: gap (ms)": r["max_gap_ms"]})
    if lab.kind == "dpdk":
        standby_kept(dst, check, lambda f: f"{label}: STANDBY still negotiated on the destination")
    return dst


def run(kind, pmd, out, scenarios):
    lab = Lab(kind, pmd, out)
    fig, failures = {}, []

    def check(ok, what):
        print(f"  [{kind}] {'ok  ' if ok else 'FAIL'} {what}", flush=True)
        if not ok:
            failures.append(what)

    guests = []
    try:
        if {1, 2, 5} & scenarios:
            g = boot_paired(lab, "a", fig, check)
            guests.append(g)
            if 2 in scenarios:
                device_del(lab, g, fig, check)
            if 5 in scenarios:
                device_add(lab, g, fig, check)
            g.stop()
        if 3 in scenarios:
            g = boot_paired(lab, "m0", {}, check)
            guests.append(g)
            g = migrate(lab, g, "m1", fig, check, "migration there")
            guests.append(g)
            g = migrate(lab, g, "m2", fig, check, "migration back")
            guests.append(g)
            g.stop()
        if 6 in scenarios and kind == "dpdk":
            explicit = {}
            g = boot_paired(lab, "e", explicit, check, run=lab.explicit_runfile)
            guests.append(g)
            for k, v in explicit.items():
                fig[f"explicit BDFs: {k}"] = v
            g.stop()
        if 7 in scenarios and kind == "dpdk":
            g = untrusted_vf(lab, fig, check)
            guests.append(g)
            g.stop()
        if 4 in scenarios:
            g = boot_paired(lab, "c0", {}, check)
            guests.append(g)
            g = migrate(lab, g, "c1", fig, check, "cancelled migration", cancel=True)
            g.stop()
    except QMPError as e:
        check(False, f"lab: {e}")
    finally:
        for g in guests:
            g.stop()
        lab.stop()
    with open(os.path.join(lab.out, "figures.json"), "w") as f:
        json.dump(fig, f, indent=1)
    return fig, failures


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pmd", required=True)
    ap.add_argument("--out", default="build/qemu-lab")
    ap.add_argument("--only", choices=("dpdk", "linux"))
    ap.add_argument("--scenario", type=int, action="append")
    a = ap.parse_args()
    scenarios = set(a.scenario or [1, 2, 3, 4, 5, 6, 7])
    build_guest()
    global NO_VIRTIO_STATUS
    NO_VIRTIO_STATUS = virtio_status_answered()
    kinds = [a.only] if a.only else ["dpdk", "linux"]
    results = {k: run(k, os.path.abspath(a.pmd), a.out, scenarios) for k in kinds}
    names = []
    for k in kinds:
        names += [n for n in results[k][0] if n not in names]
    print(f"\n{'':58} {'net_bypass':>18} {'Linux':>18}")
    for n in names:
        cells = [str(results[k][0].get(n, "-")) if k in results else "-" for k in ("dpdk", "linux")]
        print(f"{n:58} {cells[0]:>18} {cells[1]:>18}")
    bad = results.get("dpdk", ({}, []))[1]
    for what in bad:
        print(f"FAIL (net_bypass): {what}")
    for what in results.get("linux", ({}, []))[1]:
        print(f"note (Linux control): {what}")
    print(f"qemu-lab: {'PASS' if not bad else 'FAIL'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
