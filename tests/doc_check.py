#!/usr/bin/env python3
"""Keeps doc/guides/nics/net_bypass.rst's matrices true.

Features: every ✔ in the net_bypass column names a test that exists (a
GoogleTest case in tests/*.cpp, or a meson test), and every feature
features/net_bypass.ini says Y to is a matrix row with a ✔ for net_bypass.

Support (DPDK version x distribution x what was tried): README.md has the
same rows; a row whose suite is run is a release scripts/test.sh runs, in
full or fast as it does; and on the machine this runs on (each part of the
test command runs it on its own release), the row of its release names
the installed DPDK's stable branch, and the QEMU and Open vSwitch
versions installed, where they are."""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

top = Path(sys.argv[1])
rst = (top / "doc/guides/nics/net_bypass.rst").read_text()
ini = (top / "doc/guides/nics/features/net_bypass.ini").read_text()
sources = "\n".join(p.read_text() for p in (top / "tests").glob("*.cpp"))
cases = {f"{m[1]}.{m[2]}" for m in re.finditer(r"^TEST(?:_F)?\((\w+), (\w+)\)", sources, re.M)}
meson_tests = set(re.findall(r"^\s*test\('([\w-]+)'", (top / "tests/meson.build").read_text(), re.M))

errors = []
rows = {}
lines = rst.split("\nFeatures compared\n", 1)[-1].splitlines()
for i, line in enumerate(lines):
    if line.startswith("   * - ") and i + 1 < len(lines) and lines[i + 1].startswith("     - "):
        rows[line[len("   * - "):]] = lines[i + 1][len("     - "):]
rows.pop("feature", None)
if not rows:
    errors.append("no features matrix found")
for feature, cell in rows.items():
    if not cell.startswith("✔"):
        continue
    named = re.match(r"✔ ``([\w.-]+)``", cell)
    if not named:
        errors.append(f"{feature}: ✔ without a test name")
    elif named[1] not in cases and named[1] not in meson_tests:
        errors.append(f"{feature}: no test {named[1]}")
platform = {"Linux", "x86-64", "Usage doc"}
for feature in re.findall(r"^([^;\[\n][^=\n]*?)\s*=\s*Y\s*$", ini, re.M):
    if feature in platform:
        continue
    if not rows.get(feature, "").startswith("✔"):
        errors.append(f"features ini says Y to '{feature}', the matrix has no ✔ for it")


def support_rows(text, pattern):
    return [tuple(c.strip() for c in m) for m in re.findall(pattern, text, re.M)]


def support_table(text):
    """The list-table after the SUPPORT-MATRIX comment, up to the first
    line that is not part of it."""
    block = []
    table = text.split(".. SUPPORT-MATRIX", 1)[-1].split(".. list-table::", 1)[-1]
    for line in table.splitlines()[1:]:
        if line and not line.startswith(" "):
            break
        block.append(line)
    return "\n".join(block)


rst_rows = support_rows(
    support_table(rst),
    r"^   \* - (.*)\n     - (.*)\n     - (.*)\n     - (.*)\n     - (.*)$")[1:]
readme = (top / "README.md").read_text()
md_rows = support_rows(readme.split("<!-- SUPPORT-MATRIX", 1)[-1],
                       r"^\| ([0-9.]+) \| (.*?) \| (.*?) \| (.*?) \| (.*?) \|$")
if not rst_rows:
    errors.append("no support matrix found in the NIC guide")
if rst_rows != md_rows:
    errors.append(f"the support matrices differ: NIC guide {rst_rows}, README {md_rows}")
test_sh = (top / "scripts/test.sh").read_text()
matrix = re.search(r'^matrix=\$\{BYPASS_MATRIX-(.*)\}$', test_sh, re.M)[1].split()
fast = re.search(r'^fast=\$\{BYPASS_FAST-(.*)\}$', test_sh, re.M)[1].split()
for dpdk, distro, suite, qemu, ovs in rst_rows:
    codename = re.search(r"\((\w+)\)", distro)
    runs = codename is not None and codename[1] in matrix
    want = ("fast" if codename[1] in fast else "full") if runs else "not run"
    if suite != want:
        errors.append(f"support matrix: {distro} says '{suite}', scripts/test.sh: '{want}'")


def installed(cmd, pattern):
    if shutil.which(cmd[0]) is None:
        return None
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    m = re.search(pattern, out)
    return m[1] if m else None


release = dict(re.findall(r'^(\w+)="?([^"\n]*)"?$', Path("/etc/os-release").read_text(), re.M))
here = [r for r in rst_rows if f"({release.get('VERSION_CODENAME')})" in r[1]]
if here:
    dpdk, distro, suite, qemu, ovs = here[0]
    version = installed(["pkg-config", "--modversion", "libdpdk"], r"(\d+\.\d+)")
    if version and not dpdk.startswith(version + "."):
        errors.append(f"support matrix: {distro} says DPDK {dpdk}, {version} is installed")
    version = installed(["qemu-system-x86_64", "--version"], r"version (\d+\.\d+)")
    if version and qemu != "not run" and f"QEMU {version}," not in qemu:
        errors.append(f"support matrix: {distro} says {qemu}, QEMU {version} is installed")
    version = installed(["ovs-vswitchd", "--version"], r"(\d+\.\d+)\.\d+")
    if version and ovs != "not run" and ovs != version:
        errors.append(f"support matrix: {distro} says Open vSwitch {ovs}, {version} is installed")
for e in errors:
    print("doc_check:", e)
print(f"doc_check: {len(rows)} feature rows, {sum(c.startswith('✔') for c in rows.values())} "
      f"checked, {len(rst_rows)} support rows"
      f"{'' if not errors else ', ' + str(len(errors)) + ' wrong'}")
sys.exit(1 if errors else 0)
