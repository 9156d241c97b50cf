#!/usr/bin/env python3
"""Prints "N passed, N failed[, N skipped]" over every GoogleTest case meson
ran (from its JUnit logs, one meson-logs directory per build), after a
"failed: ..." line for each case that failed; a meson test that failed
without a failed case (a binary that died, a script) counts as one, and so
does a build that left no test log (it did not build). Each
`--skipped REASON` is a part of the matrix that could not run: one
"skipped: REASON" line, and one skipped in the count, never a pass."""
import argparse
import json
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path


def count(logs: Path, totals: Counter) -> None:
    if not (logs / "testlog.junit.xml").exists() or not (logs / "testlog.json").exists():
        totals["failed"] += 1
        failed.append(f"{logs.parent.name}: no test log (the build or the set-up failed)")
        return
    # Meson tests with a failed GoogleTest case. A binary that died reports
    # no failed case, and may even leave an older run's passed ones (meson
    # reads the XML file gtest left in the build directory).
    reported_failing = set()
    root = ET.parse(logs / "testlog.junit.xml").getroot()
    for suite in root.iter("testsuite"):
        # named "<project>.<meson test>.<gtest suite>"
        parts = suite.get("name", "").split(".")
        for case in suite.iter("testcase"):
            if case.find("failure") is not None or case.find("error") is not None:
                failed.append(f"{suite.get('name', '')}.{case.get('name', '')} ({logs.parent.name})")
                if len(parts) > 1:
                    reported_failing.add(parts[1])
    for case in root.iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            totals["failed"] += 1
        elif case.find("skipped") is not None:
            totals["skipped"] += 1
        else:
            totals["passed"] += 1
    for line in (logs / "testlog.json").read_text().splitlines():
        test = json.loads(line)
        if test["result"] not in ("OK", "SKIP", "EXPECTEDFAIL") and \
                test["name"] not in reported_failing:
            totals["failed"] += 1
            failed.append(f"{test['name']}: {test['result']} ({logs.parent.name})")


parser = argparse.ArgumentParser()
parser.add_argument("--skipped", action="append", default=[], metavar="REASON")
parser.add_argument("logs", nargs="*")
args = parser.parse_args()
totals = Counter()
failed = []
for logs in args.logs:
    count(Path(logs), totals)
for reason in args.skipped:
    print(f"skipped: {reason}")
    totals["skipped"] += 1
for name in failed:
    print(f"failed: {name}")
summary = f"{totals['passed']} passed, {totals['failed']} failed"
if totals["skipped"]:
    summary += f", {totals['skipped']} skipped"
print(summary)
