#!/usr/bin/env python3
"""The lab's timeline: packets per second on each path, a point a second,
from bypass-vhost-host's log ("lab: N pkt/s on the VF  M pkt/s on virtio",
each line counting the second that just ended), with each switch ("lab:
switch A -> B: gap G us") marked in the second it happened and labelled
with its gap. Usage: timeline.py <host.log> <out.png>"""
import re
import sys

log, png = sys.argv[1], sys.argv[2]
seconds, vf, virtio, switches = [], [], [], []
for line in open(log, errors="replace"):
    m = re.match(r"lab:\s+(\d+) pkt/s on the VF\s+(\d+) pkt/s on virtio", line)
    if m:
        seconds.append(len(seconds) + 1)
        vf.append(int(m[1]))
        virtio.append(int(m[2]))
        continue
    m = re.match(r"lab: switch (\S+) -> (\S+): gap (\d+) us", line)
    if m:
        # Reported during the second after the last full one.
        switches.append((len(seconds) + 0.5, m[1], m[2], int(m[3])))
if not seconds:
    sys.exit(f"timeline: no per-second lines in {log}")

import matplotlib  # noqa: E402 (only once there is something to draw)
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

fig, ax = plt.subplots(figsize=(10, 3.6))
ax.step(seconds, vf, where="pre", label="VF", color="tab:green")
ax.step(seconds, virtio, where="pre", label="virtio", color="tab:blue")
top = max(vf + virtio) or 1
for t, a, b, gap in switches:
    ax.axvline(t, color="grey", linestyle=":", linewidth=1)
    label = f"{gap} µs" if gap < 1000 else f"{gap / 1000:.1f} ms"
    ax.annotate(f"{a}→{b}\ngap {label}", (t, top * 1.02), ha="center", va="bottom", fontsize=7)
ax.set_ylim(0, top * 1.25)
ax.set_xlabel("seconds")
ax.set_ylabel("echoed frames per second")
ax.set_title("net_bypass in the failover lab: traffic per path, switches with their gap")
ax.legend(loc="lower right")
fig.tight_layout()
fig.savefig(png, dpi=100)
print(f"timeline: {png}")
