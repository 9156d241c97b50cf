#!/usr/bin/env python3
"""Prints "N passed, N failed[, N skipped]" over every GoogleTest case meson
ran (from its JUnit logs, one meson-logs directory per build), after a
"failed: ..." line for each case that failed; a test binary that died
before reporting its cases counts as one failure."""
import json
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path


def count(logs: Path, totals: Counter) -> None:
    reported = set()
    root = ET.parse(logs / "testlog.junit.xml").getroot()
    for suite in root.iter("testsuite"):
        # named "<project>.<meson test>.<gtest suite>"
        parts = suite.get("name", "").split(".")
        if len(parts) > 1 and suite.find("testcase") is not None:
            reported.add(parts[1])
    for suite in root.iter("testsuite"):
        for case in suite.iter("testcase"):
            if case.find("failure") is not None or case.find("error") is not None:
                failed.append(f"{suite.get('name', '')}.{case.get('name', '')} ({logs.parent.name})")
    for case in root.iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            totals["failed"] += 1
        elif case.find("skipped") is not None:
            totals["skipped"] += 1
        else:
            totals["passed"] += 1
    for line in (logs / "testlog.json").read_text().splitlines():
        test = json.loads(line)
        if test["result"] not in ("OK", "SKIP", "EXPECTEDFAIL") and test["name"] not in reported:
            totals["failed"] += 1
            failed.append(f"{test['name']}: {test['result']} ({logs.parent.name})")


totals = Counter()
failed = []
for logs in sys.argv[1:]:
    count(Path(logs), totals)
for name in failed:
    print(f"failed: {name}")
summary = f"{totals['passed']} passed, {totals['failed']} failed"
if totals["skipped"]:
    summary += f", {totals['skipped']} skipped"
print(summary)
