"""Sequence-numbered traffic into and out of a lab guest's two NICs.

The host plays the SR-IOV NIC's switch: frames go into the VF (e1000e,
"vf") while QEMU has it plugged and nobody has asked for it back, as a
PF's embedded switch delivers to a VF as soon as it exists, ready or not;
otherwise into virtio ("virtio"). Linux net_failover, the control, even
ignores what its standby receives while a primary is there. The guest
echoes every frame (testpmd io forwarding, on net_bypass's port or on
Linux net_failover's master through af_packet), and what it transmits
comes back on the NIC it chose. Each NIC's QEMU backend is a UDP dgram
netdev: one datagram, one Ethernet frame.

What a run measures, from the host's clock: frames sent, received (per
path), lost (sent, never back), duplicated, reordered, and the longest
time without any frame coming back (the gap a switch costs).
"""
import socket
import struct
import threading
import time

MAGIC = 0x6C616221  # "lab!"
ETHERTYPE = 0x88B5  # IEEE local experimental
HOST_MAC = bytes.fromhex("020000000099")
PAYLOAD = struct.Struct("!IIQ")  # magic, seq, send time (ns)


def mac_bytes(mac):
    return bytes.fromhex(mac.replace(":", ""))


class Traffic:
    """host_ports: {"virtio": port, "vf": port}, where QEMU sends what the
    guest transmits on that NIC. Targets (QEMU's own ports) are set with
    to_virtio(); frames go nowhere until then."""

    def __init__(self, guest_mac, host_ports, rate=2000):
        self.frame_head = mac_bytes(guest_mac) + HOST_MAC + struct.pack("!H", ETHERTYPE)
        self.period = 1.0 / rate
        self.lock = threading.Lock()
        self.path = None          # where frames go now
        self.switches = []        # (time, from, to) of the guest's tx path
        self.targets = {}         # path -> (host, port) of QEMU's netdev
        self.sent = []            # (seq, time, path)
        self.back = []            # (seq, time, path)
        self.running = False
        self.socks = {}
        for path, port in host_ports.items():
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
            s.bind(("127.0.0.1", port))
            s.settimeout(0.2)
            self.socks[path] = s
        self.out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.threads = []

    def to_virtio(self, targets=None):
        """The VF is gone (or not there yet): virtio from now on; targets
        {path: qemu_port} when the guest moved to another QEMU."""
        with self.lock:
            if targets is not None:
                self.targets = {p: ("127.0.0.1", q) for p, q in targets.items()}
            self.path = "virtio"

    def plug(self):
        """A VF is plugged: frames go into it from now on."""
        with self.lock:
            self.path = "vf"

    def start(self):
        self.running = True
        for path, s in self.socks.items():
            t = threading.Thread(target=self._receive, args=(path, s), daemon=True)
            t.start()
            self.threads.append(t)
        t = threading.Thread(target=self._send, daemon=True)
        t.start()
        self.threads.append(t)
        return self

    def stop(self, drain=1.0):
        """Stops sending; what is still on its way back has `drain` s."""
        self.running = False
        time.sleep(drain)
        self.receiving = False
        for t in self.threads:
            t.join(2)

    def _send(self):
        seq = 0
        next_t = time.monotonic()
        while self.running:
            now = time.monotonic()
            if now < next_t:
                time.sleep(min(next_t - now, 0.001))
                continue
            # A sender starved for a while does not catch up in a burst.
            next_t = max(next_t + self.period, now - 0.01)
            with self.lock:
                path, target = self.path, self.targets.get(self.path)
            if target is None:
                continue
            frame = self.frame_head + PAYLOAD.pack(MAGIC, seq, time.monotonic_ns())
            frame += bytes(64 - len(frame))
            try:
                self.out.sendto(frame, target)
            except OSError:
                pass
            self.sent.append((seq, now, path))
            seq += 1

    def _receive(self, path, s):
        self.receiving = True
        while self.running or self.receiving:
            try:
                data = s.recv(2048)
            except socket.timeout:
                continue
            except OSError:
                return
            if len(data) < 14 + PAYLOAD.size:
                continue
            magic, seq, _ = PAYLOAD.unpack_from(data, 14)
            if magic != MAGIC:
                continue
            now = time.monotonic()
            with self.lock:
                if self.back and self.back[-1][2] != path:
                    self.switches.append((now, self.back[-1][2], path, now - self.back[-1][1]))
                self.back.append((seq, now, path))

    def mark(self):
        """An index pair to measure from: (len(sent), len(back))."""
        return len(self.sent), len(self.back)

    def report(self, since=(0, 0), until=None):
        """Figures for frames sent after `since` (a mark()) and before
        `until` (a later mark, default now)."""
        until = until or self.mark()
        sent = self.sent[since[0]:until[0]]
        seqs = {s for s, _, _ in sent}
        back = [b for b in self.back[since[1]:] if b[0] in seqs]
        got = {}
        per_path = {}
        reordered = 0
        last = -1
        for seq, _, path in back:
            got[seq] = got.get(seq, 0) + 1
            per_path[path] = per_path.get(path, 0) + 1
            reordered += seq < last
            last = max(last, seq)
        gap = 0.0
        times = [t for _, t, _ in back]
        if sent:
            # from the first frame sent, through every return, to the last sent
            edges = [sent[0][1]] + times + ([sent[-1][1]] if not times else [])
            gap = max((b - a for a, b in zip(edges, edges[1:])), default=0.0)
        return {
            "sent": len(sent),
            "received": len(got),
            "lost": len(seqs) - len(got),
            "duplicated": sum(n - 1 for n in got.values()),
            "reordered": reordered,
            "per_path": per_path,
            "max_gap_ms": round(gap * 1e3, 2),
        }

    def timeline(self, out):
        """The per-second log scripts/timeline.py plots: echoes a second
        on each path, and each change of the guest's tx path with the
        silence around it."""
        if not self.back:
            return
        t0 = self.sent[0][1] if self.sent else self.back[0][1]
        seconds = int(self.back[-1][1] - t0) + 1
        counts = [[0, 0] for _ in range(seconds)]
        for _, t, path in self.back:
            counts[int(t - t0)][path == "virtio"] += 1
        switches = sorted(self.switches)
        with open(out, "w") as f:
            for sec, (vf, virtio) in enumerate(counts):
                while switches and switches[0][0] - t0 < sec:
                    _, a, b, gap = switches.pop(0)
                    f.write(f"lab: switch {a} -> {b}: gap {int(gap * 1e6)} us\n")
                f.write(f"lab: {vf} pkt/s on the VF  {virtio} pkt/s on virtio\n")

    def close(self):
        for s in self.socks.values():
            s.close()
        self.out.close()
