#!/usr/bin/env python3
"""Keeps doc/guides/nics/net_bypass.rst's features matrix true: every ✔ in
the net_bypass column names a test that exists (a GoogleTest case in
tests/*.cpp, or a meson test), and every feature features/net_bypass.ini
says Y to is a matrix row with a ✔ for net_bypass."""
import re
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
lines = rst.splitlines()
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
for e in errors:
    print("doc_check:", e)
print(f"doc_check: {len(rows)} rows, {sum(c.startswith('✔') for c in rows.values())} checked"
      f"{'' if not errors else ', ' + str(len(errors)) + ' wrong'}")
sys.exit(1 if errors else 0)
