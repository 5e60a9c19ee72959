"""Figure: requests/s of `felles test` vs Schemathesis vs a bare httpx loop, same target.

All three talk to the same reference implementation (a fresh ``felles serve``
process each, SQLite in memory) for application@1.0 with the same example count:

- ``felles test``: its own "N requests in S s" line (the checks' time, server
  start-up excluded);
- Schemathesis (``benchmarks/.venv-schemathesis``, installed on first use): the
  requests in its NDJSON events over its engine's running time;
- a bare loop: one ``httpx.Client`` POSTing ``ApplicationSubmission`` payloads
  generated beforehand with the suite's own strategy (as many as felles sent),
  then GETting each back: no checks, no generation, no shrinking. The ceiling.

Targets: felles ≥ 1.0 × Schemathesis, ≥ 0.7 × the bare loop. The server shares
the cores with the client in all three cases.

    python benchmarks/bench_throughput.py [--examples N] [--repeat K]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from tests.mutants.harness import new_secret, server_process, token_env  # noqa: E402

from benchmarks import schemathesis_side  # noqa: E402
from felles.standard import default_catalogue  # noqa: E402
from felles.strategies.from_schema import from_schema  # noqa: E402

COMPONENT = "application@1.0"
SERVE = [sys.executable, "-m", "tests.mutants.serve_reference"]
TARGET_VS_SCHEMATHESIS = 1.0
TARGET_VS_BARE = 0.7


def felles_rate(examples: int, seed: int) -> tuple[float, int]:
    """(requests/s, requests) of one ``felles test --reference`` run."""
    with tempfile.TemporaryDirectory() as reports:
        command = [sys.executable, "-m", "felles", "test", "--reference", "--component", COMPONENT,
                   "--examples", str(examples), "--seed", str(seed), "--report-dir", reports]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    match = re.search(r"(\d+) requests in ([\d.]+) s", done.stdout)
    if not match:
        raise SystemExit(f"felles test printed no request count:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    requests, seconds = int(match.group(1)), float(match.group(2))
    return requests / seconds, requests


def schemathesis_rate(examples: int, seed: int) -> tuple[float, int]:
    component = default_catalogue().get(COMPONENT)
    secret = new_secret()
    token = token_env(secret, COMPONENT)["FELLES_T_DEFAULT"]
    with server_process(SERVE, secret) as root:
        run = schemathesis_side.run(
            component, f"{root}/{component.name}/{component.version}", token, examples=examples, seed=seed
        )
    return run.requests / run.running_s, run.requests


def payloads(count: int, seed: int) -> list[Any]:
    """``count`` valid submissions from the suite's strategy (generated before timing)."""
    uri = default_catalogue().get(COMPONENT).schema_id("ApplicationSubmission")
    found: list[Any] = []

    @settings(max_examples=count, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck), derandomize=True)  # fmt: skip
    @given(from_schema(uri))
    def collect(payload: Any) -> None:
        found.append(payload)

    del seed  # derandomized: the same payloads every run
    collect()
    while len(found) < count:
        found += found[: count - len(found)]
    return found[:count]


def bare_rate(requests: int, seed: int) -> tuple[float, int]:
    """POST + GET pairs with one keep-alive client: requests/s of the bare loop."""
    bodies = payloads(max(1, requests // 2), seed)
    secret = new_secret()
    token = token_env(secret, COMPONENT)["FELLES_T_DEFAULT"]
    sent = 0
    with server_process(SERVE, secret) as root, httpx.Client(
        base_url=f"{root}/application/1.0", headers={"Authorization": f"Bearer {token}"}, timeout=10
    ) as client:
        started = time.perf_counter()
        for body in bodies:
            created = client.post("/applications", json=body)
            sent += 1
            if created.status_code == 201:
                client.get(created.headers["location"].removeprefix("/application/1.0"))
                sent += 1
        seconds = time.perf_counter() - started
    return sent / seconds, sent


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--examples", type=int, default=25)
    parser.add_argument("--repeat", type=int, default=3, help="best of K runs for each")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    ours = max(felles_rate(args.examples, args.seed + i) for i in range(args.repeat))
    theirs = max(schemathesis_rate(args.examples, args.seed + i) for i in range(args.repeat))
    bare = max(bare_rate(ours[1], args.seed + i) for i in range(args.repeat))
    what = f"felles test ({COMPONENT}, {args.examples} examples):"
    print(f"{what:44}{ours[0]:7.0f} requests/s ({ours[1]} requests)")
    print(f"schemathesis run (same, all checks):        {theirs[0]:7.0f} requests/s ({theirs[1]} requests)")
    print(f"bare httpx loop (POST+GET, same count):     {bare[0]:7.0f} requests/s ({bare[1]} requests)")
    print(f"ratio felles/schemathesis: {ours[0] / theirs[0]:.2f} (target >= {TARGET_VS_SCHEMATHESIS})")
    print(f"ratio felles/bare loop:    {ours[0] / bare[0]:.2f} (target >= {TARGET_VS_BARE})")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
