"""Every figure of benchmarks/ in one run, each with the load average it was measured under.

    python benchmarks/run_all.py                 # speed, validation, workers, memory
    python benchmarks/run_all.py --effectiveness # and the mutant table (long: every mutant,
                                                 # Schemathesis on each, 20 reference seeds)

The machine's other load disturbs every figure: re-run when ``uptime`` is low.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run(script: str, *args: str) -> None:
    print(f"\n=== {script} {' '.join(args)} (load average {os.getloadavg()[0]:.2f}) ===", flush=True)
    subprocess.run([sys.executable, str(HERE / script), *args], check=False)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--examples", default="25")
    parser.add_argument("--effectiveness", action="store_true")
    args = parser.parse_args()
    run("bench_validation.py", "--seconds", "3")
    run("bench_throughput.py", "--examples", args.examples)
    run("bench_workers.py", "--examples", args.examples)
    run("bench_memory.py", "--examples", args.examples)
    if args.effectiveness:
        run("effectiveness.py", "--examples", args.examples)
    return 0


if __name__ == "__main__":
    sys.exit(main())
