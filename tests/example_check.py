#!/usr/bin/env python3
"""Runs the command lines examples/bypass_fwd.cpp documents as runnable
anywhere, as written (with the built binary for `bypass-fwd`): each must
start, report tx on the VF path within 20 s, and exit 0 on SIGINT.
Usage: example_check.py <bypass-fwd binary> <bypass_fwd.cpp>"""
import os
import re
import shlex
import signal
import subprocess
import sys
import time


def documented(source):
    """The `bypass-fwd ...` lines of the comment after "as written"."""
    text = open(source).read()
    start = text.index("bypass-fwd:")
    comment = text[start:text.index("*/", start)]
    lines = [re.sub(r"^\s*\* ?", "", l) for l in comment.splitlines()]
    runnable = "\n".join(lines).split("as written", 1)[1]
    commands, current = [], ""
    for line in runnable.splitlines():
        line = line.strip()
        if not current and not line.startswith("bypass-fwd "):
            continue
        current += line.rstrip("\\").strip() + " "
        if not line.endswith("\\"):
            commands.append(current.strip())
            current = ""
    return commands


def run(binary, command):
    argv = shlex.split(command)
    argv[0] = binary
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, bufsize=1)
    out, seen = [], False
    deadline = time.monotonic() + 20
    os.set_blocking(proc.stdout.fileno(), False)
    while time.monotonic() < deadline and proc.poll() is None and not seen:
        line = proc.stdout.readline()
        if not line:
            time.sleep(0.1)
            continue
        out.append(line)
        seen = "tx on VF" in line
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    try:
        rest, _ = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        rest, _ = proc.communicate()
    out.append(rest or "")
    text = "".join(out)
    if not seen or proc.returncode != 0:
        print(text)
        print(f"example: FAILED (exit {proc.returncode}, tx on VF {'seen' if seen else 'never seen'}): {command}")
        return False
    print(f"example: ok: {command}")
    return True


def main():
    binary, source = sys.argv[1], sys.argv[2]
    commands = documented(source)
    if not commands:
        print("example: no runnable command line found in " + source)
        return 1
    if os.geteuid() != 0:
        print("example: net_tap needs root: skipped")
        return 77
    return 0 if all([run(binary, c) for c in commands]) else 1


if __name__ == "__main__":
    sys.exit(main())
