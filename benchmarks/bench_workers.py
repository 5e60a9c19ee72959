"""Figure: wall-time speed-up of ``felles test --workers 2`` over a serial run, same results.

Runs ``felles test --reference`` (application@1.0 by default) serially and with
pytest-xdist workers, best of K each, and compares every requirement's status:
the parallel run must report exactly what the serial one does. Target: ≥ 1.6×
at 2 workers on 2 cores. The reference server is one process on the same
cores, so it bounds the speed-up: the printed CPU split says how much.

    python benchmarks/bench_workers.py [--workers 2] [--examples N] [--component C] [--repeat K]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET = 1.6


def run(component: str | None, workers: int, examples: int, seed: int) -> tuple[float, dict[str, str], float]:
    """(wall seconds, requirement statuses, CPU seconds of this run's children)."""
    with tempfile.TemporaryDirectory() as reports:
        command = [sys.executable, "-m", "felles", "test", "--reference", "--examples", str(examples),
                   "--seed", str(seed), "--report-dir", reports]  # fmt: skip
        if component:
            command += ["--component", component]
        if workers:
            command += ["--workers", str(workers)]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        statuses = {}
        for path in sorted(Path(reports).glob("*/report.json")):
            report = json.loads(path.read_text(encoding="utf-8"))
            for cls in report["classes"]:
                for requirement in cls["requirements"]:
                    statuses[requirement["id"]] = requirement["status"]
    if not statuses:
        raise SystemExit(f"no report (exit {done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, statuses, cpu


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--examples", type=int, default=25)
    parser.add_argument("--component", default="application@1.0", help="'all' for every component")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    component = None if args.component == "all" else args.component
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    serial = [run(component, 0, args.examples, args.seed) for _ in range(args.repeat)]
    parallel = [run(component, args.workers, args.examples, args.seed) for _ in range(args.repeat)]
    best_serial, best_parallel = min(serial), min(parallel)
    same = all(r[1] == serial[0][1] for r in serial + parallel)
    print(f"serial:     best {best_serial[0]:.1f} s wall, {best_serial[2]:.1f} s CPU (runner + server)")
    print(f"{args.workers} workers:  best {best_parallel[0]:.1f} s wall, {best_parallel[2]:.1f} s CPU")
    print(f"speed-up: {best_serial[0] / best_parallel[0]:.2f}x (target >= {TARGET}x); "
          f"CPU bound: {best_serial[2] / best_serial[0]:.2f} cores busy serially")  # fmt: skip
    verdict = 'yes' if same else 'NO'
    print(f"results identical to the serial run ({len(serial[0][1])} requirements): {verdict}")
    if not same:
        for index, (_, statuses, _) in enumerate(serial + parallel):
            diff = {k: v for k, v in statuses.items() if serial[0][1].get(k) != v}
            if diff:
                print(f"  run {index}: {diff}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
