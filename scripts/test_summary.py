#!/usr/bin/env python3
"""Prints "N passed, N failed[, N skipped]" over every GoogleTest case meson
ran (from its JUnit log); a test binary that died before reporting its
cases counts as one failure."""
import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

logs = Path(sys.argv[1])
passed = failed = skipped = 0
reported = set()
for case in ET.parse(logs / "testlog.junit.xml").getroot().iter("testcase"):
    reported.add(case.get("classname", "").split(".")[1] if "." in case.get("classname", "") else "")
    if case.find("failure") is not None or case.find("error") is not None:
        failed += 1
    elif case.find("skipped") is not None:
        skipped += 1
    else:
        passed += 1

for line in (logs / "testlog.json").read_text().splitlines():
    test = json.loads(line)
    if test["result"] not in ("OK", "SKIP", "EXPECTEDFAIL") and test["name"] not in reported:
        failed += 1

summary = f"{passed} passed, {failed} failed"
if skipped:
    summary += f", {skipped} skipped"
print(summary)
