#!/usr/bin/env python3
"""Boot the net_bypass QEMU failover lab guest and talk to it (stdlib only).

Topology (DESIGN.md section 8): q35, intel-iommu before the NICs, two
pcie-root-ports, virtio-net-pci net0 (failover=on, iommu_platform) on rp1 and
its primary e1000e hostdev0 (failover_pair_id=net0, romfile= empty) on rp0,
both with the same MAC.  Each NIC's backend is a UDP "dgram" netdev: every
datagram is one Ethernet frame, so a host program bound to the remote port
receives what the guest sends on that NIC and sends frames in to the local
port.

    from lab_qemu import Guest
    g = Guest("/tmp/lab", dpdk=True, files=[("run.sh", "/lab/run")],
              ports={"nb": (40000, 40001), "nv": (40002, 40003)})
    g.start(); g.wait_console(r"LAB-READY"); g.qmp.cmd("device_del", id="hostdev0")
    g.qmp.wait_event("DEVICE_DELETED", 10); g.stop()

CLI: lab_qemu.py boot --dpdk 0|1 [--run SCRIPT] [--file HOST:GUEST]...
     (see --help); prints QMP events and the console log.
"""
import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def _release():
    """The host's codename: the guest is built from its packages, and
    checkouts shared between releases (scripts/in-root.sh) need a cache
    each.  guest.sh derives the same name."""
    v = {}
    with open("/etc/os-release") as f:
        for line in f:
            k, _, val = line.strip().partition("=")
            v[k] = val.strip('"')
    return v.get("VERSION_CODENAME") or v.get("ID", "") + v.get("VERSION_ID", "")


DEFAULT_CACHE = os.environ.get("LAB_QEMU_CACHE") or os.path.join(
    os.path.dirname(os.path.dirname(HERE)), ".deps", f"qemu-{_release()}")
QEMU = os.environ.get("LAB_QEMU", "qemu-system-x86_64")


class QMPError(Exception):
    pass


class QMP:
    """Minimal QMP client: one reader thread; events kept with host time.

    Each event dict gets "host_time" (time.monotonic() at receipt) next to
    QEMU's own "timestamp" {seconds, microseconds} (wall clock)."""

    def __init__(self, path, timeout=30.0):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError as e:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise QMPError(f"cannot connect to QMP {path}: {e}")
                time.sleep(0.05)
        self.file = self.sock.makefile("rb")
        self.events = []
        self.cond = threading.Condition()
        self.replies = []
        self.closed = False
        self.lock = threading.Lock()  # one command in flight
        greeting = json.loads(self.file.readline())
        if "QMP" not in greeting:
            raise QMPError(f"bad QMP greeting: {greeting}")
        self.thread = threading.Thread(target=self._reader, daemon=True)
        self.thread.start()
        self.cmd("qmp_capabilities")

    def _reader(self):
        try:
            for line in self.file:
                msg = json.loads(line)
                with self.cond:
                    if "event" in msg:
                        msg["host_time"] = time.monotonic()
                        self.events.append(msg)
                    else:
                        self.replies.append(msg)
                    self.cond.notify_all()
        except (OSError, ValueError):
            pass
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def cmd(self, execute, timeout=60.0, **arguments):
        """Run a QMP command; return its "return" value, raise on "error"."""
        req = {"execute": execute}
        if arguments:
            req["arguments"] = arguments
        with self.lock:
            self.sock.sendall(json.dumps(req).encode() + b"\n")
            with self.cond:
                if not self.cond.wait_for(lambda: self.replies or self.closed, timeout):
                    raise QMPError(f"{execute}: no reply in {timeout}s")
                if not self.replies:
                    raise QMPError(f"{execute}: QMP connection closed")
                rep = self.replies.pop(0)
        if "error" in rep:
            raise QMPError(f"{execute} {arguments}: {rep['error'].get('desc', rep['error'])}")
        return rep.get("return")

    def wait_event(self, name, timeout, since=0, match=None):
        """First event NAME at index >= since (and match(ev) true); raises on timeout.

        since is an index into self.events (take len(qmp.events) before acting)."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for ev in self.events[since:]:
                    if ev["event"] == name and (match is None or match(ev)):
                        return ev
                left = deadline - time.monotonic()
                if left <= 0 or self.closed:
                    seen = [e["event"] for e in self.events[since:]]
                    raise QMPError(f"no {name} within {timeout}s (saw {seen})")
                self.cond.wait(left)

    def named(self, name):
        with self.cond:
            return [e for e in self.events if e["event"] == name]

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


def virtio_status_answered():
    """None when this QEMU answers x-query-virtio-status, else why not.

    Debian's QEMU 11.1.3 aborts on it, for any virtio device and before
    any guest runs (an assertion in its QAPI output visitor; HMP's `info
    virtio-status` dies too), which would take the guest under test with
    it.  So a throwaway QEMU, paused and without a guest, is asked first."""
    with tempfile.TemporaryDirectory(prefix="lab_qemu.") as d:
        path = os.path.join(d, "qmp")
        proc = subprocess.Popen(
            [QEMU, "-M", "q35", "-accel", "tcg", "-nodefaults", "-display", "none", "-S",
             "-device", "virtio-rng-pci,id=probe", "-qmp", f"unix:{path},server=on,wait=off"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        qmp, why = None, None
        try:
            qmp = QMP(path, 30)
            version = qmp.cmd("query-version")
            try:
                qmp.cmd("x-query-virtio-status", timeout=30,
                        path="/machine/peripheral/probe/virtio-backend")
            except QMPError as e:
                why = f"QEMU {version.get('package') or version['qemu']}: {e}"
        finally:
            if qmp:
                try:
                    qmp.cmd("quit", timeout=5)
                except (QMPError, OSError):
                    pass
                qmp.close()
            try:
                out = proc.communicate(timeout=10)[0]
            except subprocess.TimeoutExpired:
                proc.kill()
                out = proc.communicate()[0]
        if why and proc.returncode:
            last = out.decode(errors="replace").strip().splitlines()
            why += f" (QEMU died, status {proc.returncode}{': ' + last[-1] if last else ''})"
        return why


def build_guest(cache=DEFAULT_CACHE):
    """Build (or reuse) cache/vmlinuz and cache/base.cpio.gz."""
    subprocess.run([os.path.join(HERE, "guest.sh"), cache], check=True)


def make_initrd(out, files=(), cache=DEFAULT_CACHE):
    """out = base.cpio + overlay of files [(host_path, guest_path), ...].

    The uncompressed base unpacks 1.5 s faster under TCG; the kernel takes
    a raw archive followed by a gzip one."""
    base = os.path.join(cache, "base.cpio")
    if not os.path.exists(base):
        base += ".gz"
    with open(out, "wb") as f, open(base, "rb") as b:
        shutil.copyfileobj(b, f)
    if files:
        ov = out + ".overlay"
        subprocess.run([os.path.join(HERE, "overlay.sh"), ov] +
                       [f"{h}:{g}" for h, g in files], check=True)
        with open(out, "ab") as f, open(ov, "rb") as o:
            shutil.copyfileobj(o, f)
        os.unlink(ov)
    return out


class Guest:
    """One QEMU instance of the lab.

    workdir   directory for sockets, logs and the initrd (created)
    name      prefix of those files (use distinct names for src/dst of a migration)
    dpdk      True -> lab.dpdk=1 (NICs on vfio-pci), False -> Linux net_failover guest
    ports     {"nb": (qemu_port, host_port), "nv": (qemu_port, host_port)}:
              QEMU binds 127.0.0.1:qemu_port and sends to 127.0.0.1:host_port.
              A migration destination needs its own qemu_ports (both run at once).
    files     [(host_path, guest_path)] put into the guest by an overlay
              (e.g. ("run.sh", "/lab/run"), an executable)
    initrd    use this ready initrd instead of building one (a migration
              destination must boot the source's initrd: pass src.initrd)
    incoming  e.g. "unix:/tmp/lab/mig.sock" -> migration destination
    primary   False -> no e1000e (add it later with qmp device_add)
    append    extra kernel arguments
    """

    def __init__(self, workdir, *, name="guest", dpdk=False, mac="52:54:00:12:34:56",
                 ports=None, files=(), incoming=None, primary=True, append="",
                 mem=1536, smp=2, cache=DEFAULT_CACHE, initrd=None, extra_args=()):
        self.workdir = os.path.abspath(workdir)
        os.makedirs(self.workdir, exist_ok=True)
        p = lambda s: os.path.join(self.workdir, f"{name}.{s}")
        self.qmp_path, self.con_path = p("qmp"), p("con")
        self.console_log, self.qemu_log = p("console.log"), p("qemu.log")
        self.initrd, self.own_initrd = initrd or p("initrd"), initrd is None
        self.cache, self.files, self.dpdk = cache, list(files), dpdk
        ports = ports or {"nb": (40000, 40001), "nv": (40002, 40003)}
        cmdline = (f"console=ttyS0 intel_iommu=on iommu=pt lab.dpdk={int(bool(dpdk))} "
                   f"init_on_alloc=0 loglevel=6 panic=-1 {append}").strip()
        kernel = os.path.join(cache, "vmlinux")
        if not os.path.exists(kernel):
            kernel = os.path.join(cache, "vmlinuz")
        netdev = lambda nid, qp, hp: ["-netdev", (
            f"dgram,id={nid},local.type=inet,local.host=127.0.0.1,local.port={qp},"
            f"remote.type=inet,remote.host=127.0.0.1,remote.port={hp}")]
        self.args = [
            QEMU, "-M", "q35", "-accel", "tcg,thread=multi", "-cpu", "max",
            "-m", str(mem), "-smp", str(smp), "-nodefaults", "-display", "none",
            "-no-reboot",
            "-device", "intel-iommu,intremap=on",  # must precede the NICs
            "-device", "pcie-root-port,id=rp0,chassis=1,slot=0",
            "-device", "pcie-root-port,id=rp1,chassis=2,slot=0",
            *netdev("nb", *ports["nb"]), *netdev("nv", *ports["nv"]),
            "-device", f"virtio-net-pci,netdev=nb,id=net0,mac={mac},failover=on,"
                       "bus=rp1,iommu_platform=on,disable-legacy=on",
        ]
        if primary:
            self.args += ["-device", f"e1000e,netdev=nv,id=hostdev0,mac={mac},"
                                     "failover_pair_id=net0,bus=rp0,romfile="]
        self.args += [
            # the ELF vmlinux boots through PVH, skipping the decompression
            "-kernel", kernel, "-initrd", self.initrd,
            "-append", cmdline,
            "-qmp", f"unix:{self.qmp_path},server=on,wait=off",
            # console in a log file, and a socket to type into the guest shell
            "-chardev", f"socket,id=con,path={self.con_path},server=on,wait=off,"
                        f"logfile={self.console_log},logappend=off",
            "-serial", "chardev:con",
        ]
        if incoming:
            self.args += ["-incoming", incoming]
        self.args += list(extra_args)
        self.proc = self.qmp = self._con = None

    def start(self, qmp_timeout=30.0):
        if self.own_initrd:
            make_initrd(self.initrd, self.files, self.cache)
        for f in (self.qmp_path, self.con_path, self.console_log):
            if os.path.exists(f):
                os.unlink(f)
        self.t0 = time.monotonic()
        with open(self.qemu_log, "wb") as log:
            self.proc = subprocess.Popen(self.args, stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT)
        try:
            self.qmp = QMP(self.qmp_path, qmp_timeout)
            # MIGRATION state-change events are only sent with this capability
            self.qmp.cmd("migrate-set-capabilities",
                         capabilities=[{"capability": "events", "state": True}])
        except Exception:
            self.stop()
            raise QMPError(f"QEMU did not come up; {self.qemu_log}:\n{self.qemu_output()}")
        return self

    def qemu_output(self):
        with open(self.qemu_log, errors="replace") as f:
            return f.read()

    def console(self):
        try:
            with open(self.console_log, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def wait_console(self, pattern, timeout=120.0, start=0):
        """Wait for regex pattern in the console log after offset start; return the match."""
        rx = re.compile(pattern, re.M)
        deadline = time.monotonic() + timeout
        while True:
            text = self.console()
            m = rx.search(text, start)
            if m:
                return m
            if self.proc.poll() is not None:
                raise QMPError(f"QEMU exited ({self.proc.returncode}) waiting for {pattern!r}\n"
                               f"{self.qemu_output()}\n--- console ---\n{text[-3000:]}")
            if time.monotonic() > deadline:
                raise QMPError(f"no {pattern!r} on console within {timeout}s\n--- console ---\n"
                               f"{text[-3000:]}")
            time.sleep(0.1)

    def send(self, line):
        """Type a line into the guest's console shell (after LAB-READY)."""
        if self._con is None:
            self._con = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self._con.connect(self.con_path)
            # drain: unread socket data would stall the guest's serial output
            threading.Thread(target=lambda: [None for _ in iter(lambda: self._con.recv(4096), b"")],
                             daemon=True).start()
            self._con.sendall(b"stty -echo\n")
        self._con.sendall(line.encode() + b"\n")

    def run(self, command, timeout=60.0):
        """Run a shell command in the guest console; return (output, rc).

        The markers are written as LAB''B so that the shell's echo of the
        command line never matches them."""
        tag = f"{time.monotonic_ns()}"
        start = len(self.console())
        self.send(f"echo LAB''B{tag}; {command}; echo LAB''E{tag}=$?")
        b = self.wait_console(rf"LABB{tag}\r?$", timeout, start)
        e = self.wait_console(rf"LABE{tag}=(\d+)", timeout, b.end())
        out = self.console()[b.end():e.start()].replace("\r", "").lstrip("\n")
        return out, int(e.group(1))

    def stop(self, timeout=10.0):
        if self.proc and self.proc.poll() is None:
            try:
                if self.qmp:
                    self.qmp.cmd("quit", timeout=timeout)
            except Exception:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.qmp:
            self.qmp.close()
        if self._con:
            self._con.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def _main():
    ap = argparse.ArgumentParser(description="Boot the lab guest once and report.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("boot")
    b.add_argument("--dpdk", type=int, choices=(0, 1), default=0)
    b.add_argument("--run", help="host script to become /lab/run")
    b.add_argument("--file", action="append", default=[], help="HOST:GUESTPATH (repeatable)")
    b.add_argument("--workdir", default="/tmp/lab_qemu")
    b.add_argument("--cache", default=DEFAULT_CACHE)
    b.add_argument("--ports", default="40000,40001,40002,40003",
                   help="nb_qemu,nb_host,nv_qemu,nv_host UDP ports")
    b.add_argument("--timeout", type=float, default=300)
    b.add_argument("--hold", type=float, default=0, help="seconds to keep running after LAB-READY")
    b.add_argument("--append", default="")
    a = ap.parse_args()
    build_guest(a.cache)
    files = [tuple(s.split(":", 1)) for s in a.file]
    if a.run:
        files.append((a.run, "/lab/run"))
    pp = [int(x) for x in a.ports.split(",")]
    g = Guest(a.workdir, dpdk=bool(a.dpdk), files=files, cache=a.cache, append=a.append,
              ports={"nb": (pp[0], pp[1]), "nv": (pp[2], pp[3])})
    print("+", " ".join(g.args), flush=True)
    g.start()
    rc = 0
    try:
        m = g.wait_console(r"^LAB-BOOTED.*", a.timeout)
        print(f"[{time.monotonic() - g.t0:6.2f}s] {m.group(0).strip()}", flush=True)
        m = g.wait_console(r"^LAB-READY.*", a.timeout)
        print(f"[{time.monotonic() - g.t0:6.2f}s] {m.group(0).strip()}", flush=True)
        time.sleep(a.hold)
    except QMPError as e:
        print(e, file=sys.stderr)
        rc = 1
    finally:
        for ev in g.qmp.events:
            print(f"[{ev['host_time'] - g.t0:6.2f}s] QMP {ev['event']} {json.dumps(ev.get('data', {}))}")
        print("--- console ---\n" + g.console())
        g.stop()
    return rc


if __name__ == "__main__":
    sys.exit(_main())
