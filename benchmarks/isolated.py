"""A benchmark case run in a process of its own, so that its peak memory is its alone (the memory benchmarks)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

GIB = 2**30


def run_case(script: str, case: dict) -> tuple[dict, float]:
    """The JSON that ``script --child CASE`` printed last, and that process's peak resident memory in GiB (ru_maxrss
    from os.wait4)."""
    process = subprocess.Popen([sys.executable, script, "--child", json.dumps(case)], stdout=subprocess.PIPE,
                               text=True)
    _, status, usage = os.wait4(process.pid, 0)
    out = process.stdout.read()
    if status != 0:
        raise SystemExit(f"the case {case} failed (status {status})")
    return json.loads(out.splitlines()[-1]), usage.ru_maxrss * 1024 / GIB
