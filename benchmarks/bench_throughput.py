"""Figure: requests/s of `felles test` vs Schemathesis vs a bare httpx loop, same target.

All three talk to the same reference implementation (a fresh ``felles serve``
process each, SQLite in memory) for application@1.0 with the same example count:

- ``felles test``: its own "N requests in S s" line (the checks' time, server
  start-up excluded), run with ``--trace`` so every request it sent is on file;
- Schemathesis (``benchmarks/.venv-schemathesis``, installed on first use): the
  requests in its NDJSON events over its engine's running time;
- the bare loop, **replaying felles's own trace**: one keep-alive ``httpx.Client``
  sends exactly the requests felles sent, in the same order, with the same
  bodies and each role's token, to a fresh server (ids and ETags the first run
  got are mapped to the ones the fresh server hands out). No generation, no
  checks, no validation: the ceiling for that traffic. The share of answers
  with the recorded status is printed, to show the replay did the same work;
- for comparison with earlier figures, the old bare loop: POST + GET of
  pre-generated valid submissions.

Targets: felles ≥ 1.0 × Schemathesis, ≥ 0.7 × the bare loop. The server shares
the cores with the client in all cases.

    python benchmarks/bench_throughput.py [--examples N] [--repeat K] [--workers N]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from tests.mutants.harness import new_secret, role_of, run_suite, server_process, token_env  # noqa: E402

from benchmarks import schemathesis_side  # noqa: E402
from felles.runner.trace import read_trace, request_body  # noqa: E402
from felles.standard import default_catalogue  # noqa: E402
from felles.strategies.from_schema import from_schema  # noqa: E402

COMPONENT = "application@1.0"
SERVE = [sys.executable, "-m", "tests.mutants.serve_reference"]
TARGET_VS_SCHEMATHESIS = 1.0
TARGET_VS_BARE = 0.7
#: Headers the replaying client sets itself (or that named the first server).
_OWN_HEADERS = frozenset({"host", "content-length", "authorization", "connection", "accept-encoding"})


@dataclass(frozen=True, order=True)
class FellesRun:
    rate: float
    requests: int
    trace: list[dict[str, Any]]


def _role_tokens(secret: str) -> dict[str, str]:
    return {role_of(variable): token for variable, token in token_env(secret, COMPONENT).items()}


def _serve(latency_ms: float) -> list[str]:
    if not latency_ms:
        return SERVE
    return [sys.executable, "-m", "benchmarks.serve_with_latency", str(latency_ms)]


def felles_run(examples: int, seed: int, workers: int = 0, latency_ms: float = 0) -> FellesRun:
    """One ``felles test --trace`` run against a fresh reference server: its rate and its traffic."""
    secret = new_secret()
    extra = ["--trace", *(["--workers", str(workers)] if workers else [])]
    with tempfile.TemporaryDirectory() as scratch, server_process(_serve(latency_ms), secret) as root:
        run = run_suite(f"{root}/application/1.0", Path(scratch), secret=secret, component=COMPONENT,
                        examples=examples, seed=seed, extra_args=extra)  # fmt: skip
        match = re.search(r"(\d+) requests in ([\d.]+) s", run.stdout)
        if not match:
            output = run.stdout[-2000:] + run.stderr[-2000:]
            raise SystemExit(f"felles test printed no request count:\n{output}")
        trace = list(read_trace(run.report_dir / COMPONENT.replace("@", "-") / "trace.jsonl"))
    return FellesRun(int(match.group(1)) / float(match.group(2)), int(match.group(1)), trace)


@dataclass(frozen=True)
class Replay:
    rate: float
    requests: int
    differing: Counter[str]  # "METHOD path recorded->replayed" for answers whose status differed

    @property
    def same_share(self) -> float:
        return 1 - sum(self.differing.values()) / max(self.requests, 1)


def replay(trace: list[dict[str, Any]], latency_ms: float = 0) -> Replay:
    """Send exactly the traced requests again, to a fresh server, as fast as it answers."""
    secret = new_secret()
    tokens = _role_tokens(secret)
    renamed: dict[str, str] = {}  # id or ETag the first server gave -> the fresh server's
    differing: Counter[str] = Counter()
    with server_process(_serve(latency_ms), secret) as root, httpx.Client(timeout=10) as client:
        fresh = urlsplit(root)
        prepared = []
        for record in trace:
            headers = {k: v for k, v in record["headers"].items() if k.lower() not in _OWN_HEADERS}
            token = tokens.get(record["role"], "replayed-forged-token" if record["role"] == "raw" else None)
            if token:
                headers["Authorization"] = f"Bearer {token}"
            prepared.append((record, headers, request_body(record)))
        started = time.perf_counter()
        for record, headers, body in prepared:
            old = urlsplit(record["url"])
            path = "/".join(renamed.get(part, part) for part in old.path.split("/"))
            query = urlencode(
                [(k, renamed.get(v, v)) for k, v in parse_qsl(old.query, keep_blank_values=True)]
            )
            url = urlunsplit((fresh.scheme, fresh.netloc, path, query, ""))
            if "if-match" in headers:
                headers["if-match"] = renamed.get(headers["if-match"], headers["if-match"])
            response = client.request(record["method"], url, headers=headers, content=body)
            if response.status_code != record["status"]:
                differing[f"{record['method']} {old.path} {record['status']}->{response.status_code}"] += 1
            _learn(renamed, record, response)
        seconds = time.perf_counter() - started
    return Replay(len(trace) / seconds, len(trace), differing)


def _learn(renamed: dict[str, str], record: dict[str, Any], response: httpx.Response) -> None:
    """Map what the first server named (Location's last segment, ETag) to what this one names."""
    for header in ("location", "etag"):
        before, after = record["responseHeaders"].get(header), response.headers.get(header)
        if before and after and before != after:
            key = (lambda v: v.rstrip("/").rsplit("/", 1)[-1]) if header == "location" else str
            renamed[key(before)] = key(after)
    try:
        answer = response.json()
    except ValueError:
        return
    if not isinstance(answer, dict):
        return
    if record["method"] == "POST":
        try:
            old_id = json.loads(record["responseBody"]).get("id")
        except (ValueError, AttributeError):
            old_id = None
        if isinstance(old_id, str) and isinstance(answer.get("id"), str):
            renamed[old_id] = answer["id"]
    if isinstance(record.get("next"), str) and isinstance(answer.get("next"), str):
        before = dict(parse_qsl(urlsplit(record["next"]).query))
        for name, value in parse_qsl(urlsplit(answer["next"]).query):
            if name in before and before[name] != value:
                renamed[before[name]] = value


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
    with (
        server_process(SERVE, secret) as root,
        httpx.Client(
            base_url=f"{root}/application/1.0", headers={"Authorization": f"Bearer {token}"}, timeout=10
        ) as client,
    ):
        started = time.perf_counter()
        for body in bodies:
            created = client.post("/applications", json=body)
            sent += 1
            if created.status_code == 201:
                client.get(created.headers["location"].removeprefix("/application/1.0"))
                sent += 1
        seconds = time.perf_counter() - started
    return sent / seconds, sent


def _latency_row(examples: int, seed: int, repeat: int, workers: int, latency_ms: float) -> None:
    """felles (serial and with workers) vs the bare replay of its own trace, one server latency."""
    runs = [felles_run(examples, seed + i, latency_ms=latency_ms) for i in range(repeat)]
    ours = max(runs, key=lambda run: run.rate)
    replayed = max((replay(ours.trace, latency_ms) for _ in range(repeat)), key=lambda run: run.rate)
    print(f"server latency {latency_ms:g} ms:")
    what = f"felles test ({COMPONENT}, {examples} examples):"
    print(f"  {what:44}{ours.rate:7.0f} requests/s ({ours.requests} requests)")
    print(f"  bare httpx loop replaying that trace:       {replayed.rate:7.0f} requests/s "
          f"({replayed.same_share:.0%} answered with the recorded status)")  # fmt: skip
    for what, count in replayed.differing.most_common(5):
        print(f"      {count} x {what}")
    print(f"  ratio felles/bare replay: {ours.rate / replayed.rate:.2f} (target >= {TARGET_VS_BARE})")
    if workers:
        parallel = max((felles_run(examples, seed + i, workers, latency_ms) for i in range(repeat)),
                       key=lambda run: run.rate)  # fmt: skip
        print(f"  felles test --workers {workers}:                  {parallel.rate:7.0f} requests/s; "
              f"ratio to the bare replay {parallel.rate / replayed.rate:.2f}")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--examples", type=int, default=25)
    parser.add_argument("--repeat", type=int, default=3, help="best of K runs for each")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2, help="also measure felles with --workers N (0: no)")
    parser.add_argument(
        "--latency-ms", default="0,10", help="server latencies to measure at, comma-separated"
    )
    parser.add_argument("--no-schemathesis", action="store_true")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    for latency in (float(value) for value in args.latency_ms.split(",")):
        _latency_row(args.examples, args.seed, args.repeat, args.workers, latency)
    ours = max(felles_run(args.examples, args.seed + i) for i in range(args.repeat))
    old_bare = max(bare_rate(ours.requests, args.seed + i) for i in range(args.repeat))
    print(f"bare httpx loop, POST+GET of valid submissions (the earlier baseline): "
          f"{old_bare[0]:.0f} requests/s; ratio felles/that {ours.rate / old_bare[0]:.2f}")  # fmt: skip
    if not args.no_schemathesis:
        theirs = max(schemathesis_rate(args.examples, args.seed + i) for i in range(args.repeat))
        what = "schemathesis run (same, all checks):"
        print(f"{what:48}{theirs[0]:7.0f} requests/s ({theirs[1]} requests)")
        print(f"ratio felles/schemathesis: {ours.rate / theirs[0]:.2f} (target >= {TARGET_VS_SCHEMATHESIS})")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
