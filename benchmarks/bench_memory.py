"""Figure: peak resident memory of a full ``felles test --reference`` run, child processes included.

Samples ``/proc`` every 50 ms for the whole process tree (the runner, the
reference server it starts, xdist workers if any) and prints the peak of the
sum and the largest single process. Target: < 500 MB for all components.
Linux only (reads ``/proc``).

    python benchmarks/bench_memory.py [--examples N] [--workers N] [--component C]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_MB = 500.0
PAGE = os.sysconf("SC_PAGE_SIZE")


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def rss_bytes(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def tree(pid: int) -> list[int]:
    pids, queue = [], [pid]
    while queue:
        current = queue.pop()
        pids.append(current)
        queue += children(current)
    return pids


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--examples", type=int, default=25)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--component", default=None, help="default: every component")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as reports:
        command = [sys.executable, "-m", "felles", "test", "--reference", "--examples", str(args.examples),
                   "--report-dir", reports]  # fmt: skip
        if args.component:
            command += ["--component", args.component]
        if args.workers:
            command += ["--workers", str(args.workers)]
        print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        peak_sum = peak_one = 0
        while process.poll() is None:
            sizes = [rss_bytes(p) for p in tree(process.pid)]
            peak_sum, peak_one = max(peak_sum, sum(sizes)), max(peak_one, max(sizes, default=0))
            time.sleep(0.05)
        output = process.stdout.read() if process.stdout else ""
        components = sorted(p.parent.name for p in Path(reports).glob("*/report.json"))
    wall = time.perf_counter() - started
    print(f"components: {', '.join(components)} (exit {process.returncode}, {wall:.0f} s)")
    if process.returncode not in (0, 1):
        print(output[-2000:])
    print(f"peak RSS, whole process tree: {peak_sum / 2**20:.0f} MB (target < {TARGET_MB:.0f} MB; "
          f"ratio {peak_sum / 2**20 / TARGET_MB:.2f} of target)")
    print(f"peak RSS, largest single process: {peak_one / 2**20:.0f} MB")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
