"""Figure: wall time and requests/s of `felles test --reference` for application@1.0.

Target (issue 3): < 60 s with the default example count on 2 cores.
Prints the figure and its ratio to the target; exits 0 either way (a
benchmark reports, it does not gate).

    python benchmarks/bench_reference_run.py [--examples N] [--repeat K]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time

TARGET_SECONDS = 60.0


def run_once(examples: int | None, seed: int) -> tuple[float, float, str]:
    with tempfile.TemporaryDirectory() as reports:
        command = [
            sys.executable,
            "-m",
            "felles",
            "test",
            "--reference",
            "--component",
            "application@1.0",
            "--seed",
            str(seed),
            "--report-dir",
            reports,
        ]
        if examples:
            command += ["--examples", str(examples)]
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - started
    match = re.search(r"\((\d+) requests/s\)", done.stdout)
    rate = float(match.group(1)) if match else float("nan")
    verdict = "certified" if "CERTIFIED" in done.stdout else f"NOT certified (exit {done.returncode})"
    return wall, rate, verdict


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=None, help="default: the suite's default (25)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    walls = []
    for index in range(args.repeat):
        wall, rate, verdict = run_once(args.examples, seed=index + 1)
        walls.append(wall)
        print(f"run {index + 1}: {wall:.1f} s wall (incl. start-up), {rate:.0f} requests/s, {verdict}")
    best = min(walls)
    print(
        f"felles test --reference (application@1.0, examples={args.examples or 'default'}): "
        f"best {best:.1f} s; target {TARGET_SECONDS:.0f} s; ratio {best / TARGET_SECONDS:.2f} of target"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
