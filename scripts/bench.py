#!/usr/bin/env python3
"""The benchmark: one table, measured in one run, with the targets marked.

Parts: 1. testpmd io-forward throughput, interleaved runs; 2. cycles per
burst (bypass-bench-burst) and instructions per packet (callgrind);
3. switchover distributions (bypass-bench-switch); 4. queue scaling.
Writes <build>/bench/results.csv and results.png as well.
"""
import csv
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

build = Path(sys.argv[1])
plugin = sys.argv[2]
rounds = int(os.environ.get("BENCH_ROUNDS", "5"))
out = build / "bench"
out.mkdir(exist_ok=True)
app = build / "app" / "test-bypass"

# The same net_null sub-ports under every contender.
CONTENDERS = {
    "direct": ["--vdev", "net_null0"],
    "net_bypass": ["--vdev", "net_null0", "--vdev", "net_null1",
                   "--vdev", "net_bypass0,backup=net_null0,active=net_null1"],
    "net_failsafe": ["--vdev", "net_failsafe0,dev(net_null0),dev(net_null1)"],
    "net_bonding": ["--vdev", "net_null0", "--vdev", "net_null1",
                    "--vdev", "net_bonding0,mode=1,slave=net_null0,slave=net_null1,primary=net_null0"],
}


def testpmd_mpps(vdevs, queues=1):
    """Rx-pps of the one visible port over 3 s, after 1 s of warm-up: testpmd
    computes it between two "show port stats" calls."""
    cmd = ["dpdk-testpmd", "-l", "0,1", "--no-huge", "-m", "512", "--no-pci",
           "--file-prefix", f"bench{os.getpid()}", "-d", plugin, "--log-level", "*:error",
           *vdevs, "--", "-i", "--total-num-mbufs=16384", "--burst=32", "--nb-cores=1",
           f"--rxq={queues}", f"--txq={queues}"]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    proc.stdin.write("start\n"); proc.stdin.flush(); time.sleep(1)
    proc.stdin.write("show port stats all\n"); proc.stdin.flush(); time.sleep(3)
    proc.stdin.write("show port stats all\nstop\nquit\n"); proc.stdin.flush()
    text, _ = proc.communicate(timeout=60)
    pps = [int(x) for x in re.findall(r"Rx-pps:\s+(\d+)", text)]
    if not pps:
        raise RuntimeError("testpmd printed no Rx-pps:\n" + text[-2000:])
    return pps[-1] / 1e6


rows = []  # (part, measure, contender, value, unit, target, verdict)


def row(part, measure, contender, value, unit, target="", verdict=""):
    rows.append([part, measure, contender, value, unit, target, verdict])


# 1. Throughput, interleaved A B C D A B C D ...
runs = {name: [] for name in CONTENDERS}
for _ in range(rounds):
    for name, vdevs in CONTENDERS.items():
        runs[name].append(testpmd_mpps(vdevs))
mpps = {name: statistics.median(v) for name, v in runs.items()}
for name, value in mpps.items():
    row("1 throughput", "io-forward Mpps (median)", name, round(value, 2), "Mpps")
for name in ("net_bypass", "net_failsafe", "net_bonding"):
    row("1 throughput", "ratio to direct", name, round(mpps[name] / mpps["direct"], 3), "x")
r = mpps["net_bypass"] / mpps["direct"]
row("1 throughput", "net_bypass / direct", "net_bypass", round(r, 3), "x", ">= 0.97",
    "PASS" if r >= 0.97 else "FAIL")
r = mpps["net_bypass"] / mpps["net_failsafe"]
row("1 throughput", "net_bypass / net_failsafe", "net_bypass", round(r, 3), "x", ">= 1.12",
    "PASS" if r >= 1.12 else "FAIL")

# 2. Cycles per burst, in one process.
text = subprocess.run([str(app / "bypass-bench-burst"), "--benchmark_format=json",
                       "--benchmark_min_time=0.5"], capture_output=True, text=True,
                      check=True).stdout
cycles = {b["name"]: b["cycles"] for b in json.loads(text[text.index("{"):])["benchmarks"]}
for name, value in cycles.items():
    row("2 cost per burst", name.split("/")[0] + " cycles", name.split("/")[1],
        round(value, 1), "cycles")
empty_sum = 2 * cycles["RxEmpty/direct"]
r = cycles["RxEmpty/net_bypass"] / empty_sum
row("2 cost per burst", "empty rx poll / sum of both sub-ports'", "net_bypass", round(r, 3),
    "x", "<= 1.3", "PASS" if r <= 1.3 else "FAIL")
d = cycles["Tx32/net_bypass"] - cycles["Tx32/direct"]
row("2 cost per burst", "tx burst cycles over direct", "net_bypass", round(d, 1), "cycles",
    "<= 5", "PASS" if d <= 5 else "FAIL")

instr = {}
for name in ("direct", "net_bypass"):
    cg = out / f"callgrind.{name}"
    res = subprocess.run(["valgrind", "--tool=callgrind", "--collect-atstart=no",
                          f"--callgrind-out-file={cg}", str(app / "bypass-bench-burst"),
                          f"--instructions={name}"], capture_output=True, text=True, check=True)
    packets = int(re.search(r"instructions: \S+ (\d+) packets", res.stdout).group(1))
    total = int(re.search(r"^summary: (\d+)", cg.read_text(), re.M).group(1))
    instr[name] = total / packets
    row("2 cost per burst", "instructions per packet (callgrind, rx+tx)", name,
        round(instr[name], 2), "instr")

# No lock or atomic read-modify-write in the burst functions.
dis = subprocess.run(["objdump", "-d", "--no-show-raw-insn", "-C",
                      str(build / "drivers/net/bypass/librte_net_bypass.so")],
                     capture_output=True, text=True, check=True).stdout
fast = re.findall(r"<bypass::(?:rx_burst|tx_burst|tx_prepare)\(.*?>:\n(.*?)\n\n", dis, re.S)
# xchg with a memory operand is atomic; "xchg %ax,%ax" is a 2-byte nop.
atomics = sum(len(re.findall(r"\block\b|\bxchg\w*\s+\S*\(|\bmfence|cmpxchg", f)) for f in fast)
row("2 cost per burst", "lock/xchg/mfence in rx_burst, tx_burst, tx_prepare", "net_bypass",
    atomics, "instructions", "0", "PASS" if atomics == 0 and fast else "FAIL")

# 3. Switchover.
res = subprocess.run([str(app / "bypass-bench-switch"), "100"], capture_output=True, text=True,
                     timeout=600)
for line in res.stdout.splitlines():
    if not line.startswith("{"):
        continue
    s = json.loads(line)
    if s["n"] == 0:
        row("3 switchover", s["measure"], s["contender"], "-", "", "", s.get("note", ""))
        continue
    unit = "us" if s["measure"].endswith("_us") else "ms"
    for stat in ("min", "median", "p99", "max"):
        target = verdict = ""
        if s["contender"] == "net_bypass" and s["measure"] == "event_to_backup_us" and stat == "p99":
            target, verdict = "<= 50 us", "PASS" if s[stat] <= 50 else "FAIL"
        row("3 switchover", f"{s['measure']} {stat}", s["contender"], s[stat], unit, target,
            verdict)
switch = {json.loads(l)["measure"]: json.loads(l) for l in res.stdout.splitlines()
          if l.startswith('{"contender": "net_bypass"')}
if "new_to_vf_tx_ms" in switch and switch["new_to_vf_tx_ms"]["n"]:
    extra = switch["new_to_vf_tx_ms"]["median"] - switch["vf_configure_start_ms"]["median"]
    row("3 switchover", "NEW -> tx on VF, median, beyond the VF's configure+start",
        "net_bypass", round(extra, 3), "ms", "<= 20 ms", "PASS" if extra <= 20 else "FAIL")

# 4. Scaling: one forwarding core (the machine has two), 1, 2, 4 queues.
for queues in (1, 2, 4):
    for name in ("direct", "net_bypass"):
        row("4 scaling", f"{queues} queue(s), 1 core, Mpps", name,
            round(testpmd_mpps(CONTENDERS[name], queues), 2), "Mpps")

with open(out / "results.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["part", "measure", "contender", "value", "unit", "target", "verdict"])
    w.writerows(rows)

widths = [max(len(str(r[i])) for r in rows + [["part", "measure", "contender", "value", "unit", "target", "verdict"]]) for i in range(7)]
print("  ".join(h.ljust(widths[i]) for i, h in enumerate(
    ["part", "measure", "contender", "value", "unit", "target", "verdict"])))
for r in rows:
    print("  ".join(str(c).ljust(widths[i]) for i, c in enumerate(r)))

try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    names = list(mpps)
    colour = dict(zip(names, ["grey", "tab:green", "tab:orange", "tab:blue"]))
    axes[0].bar(names, [mpps[n] for n in names], color=[colour[n] for n in names])
    axes[0].set_ylabel("Mpps (median of %d interleaved runs)" % rounds)
    axes[0].set_title("testpmd io-forward over net_null sub-ports")
    kinds = ["RxEmpty", "Rx32", "Tx32"]
    for i, name in enumerate(names):
        axes[1].bar([k + i * 0.2 for k in range(3)], [cycles[f"{k}/{name}"] for k in kinds],
                    width=0.2, label=name, color=colour[name])
    axes[1].set_xticks([k + 0.3 for k in range(3)], kinds)
    axes[1].set_ylabel("TSC cycles per burst")
    axes[1].legend()
    fig.tight_layout()
    fig.savefig(out / "results.png", dpi=100)
    print(f"\nwritten: {out / 'results.csv'}, {out / 'results.png'}")
except ImportError:
    print(f"\nwritten: {out / 'results.csv'} (no matplotlib: no chart)")
