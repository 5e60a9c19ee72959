"""Figure: the reference under 50 concurrent writing clients for 30 s, and whether it kept its word.

Starts ``felles serve`` on a fresh file database (its own process), runs the
workload of ``tests/reference/loadgen.py`` from threads on 127.0.0.1 —
creates with Idempotency-Key (some retried), transitions raced with
If-Match on a few shared applications, reads, filtered lists — then checks
every invariant against the live server and the file: no 5xx, unique ids,
every acknowledged write readable as acknowledged, no lost update, database
integrity. Prints requests/s, p50/p99 latency, conflicts (412) and the
verdict. Reports, does not gate: exits 0 either way unless --strict.

    python benchmarks/bench_reference_load.py [--clients 50] [--seconds 30]
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "conformance")]  # tests.reference.* from a checkout

from tests.reference import loadgen, serve_process  # noqa: E402
from tests.reference.crashcheck import check_database  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--tenants", type=int, default=3, help="kommuner the clients are spread over")
    parser.add_argument("--hot", type=int, default=3, help="shared applications raced on, per kommune")
    parser.add_argument("--synchronous", choices=("FULL", "NORMAL"), default="FULL")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print the summary as JSON too")
    parser.add_argument("--strict", action="store_true", help="exit 1 if an invariant was broken")
    args = parser.parse_args()

    kommuner = ("0301", "4601", "3201", "5001", "1103", "1804")[: max(1, args.tenants)]
    config = loadgen.LoadConfig(
        clients=args.clients, tenants=kommuner, hot_per_tenant=args.hot, seed=args.seed
    )
    secret = secrets.token_urlsafe(32)
    with tempfile.TemporaryDirectory(prefix="felles-load-") as directory:
        db = Path(directory) / "felles.sqlite3"
        env = {"FELLES_REFERENCE_JWT_SECRET": secret, "FELLES_REFERENCE_SQLITE_SYNCHRONOUS": args.synchronous}
        server = serve_process.start(serve_process.felles_serve(db), env, Path(directory) / "serve.log")
        try:
            run = loadgen.LoadRun(server.root, secret, config).run_for(args.seconds)
            problems = loadgen.verify(run)
        finally:
            server.stop()
        problems += check_database(db)
        if "Traceback" in server.log_text():
            problems.append("the server logged a traceback")
    summary = run.summary()
    print(
        f"reference under load: {summary['clients']} clients, {summary['seconds']:.0f} s, "
        f"synchronous={args.synchronous}, {len(kommuner)} kommuner, {args.hot} raced applications each"
    )
    print(
        f"  {summary['requests']} requests, {summary['requests_per_s']:.0f} requests/s, "
        f"p50 {summary['p50_ms']:.1f} ms, p99 {summary['p99_ms']:.1f} ms"
    )
    print(
        f"  {summary['creates_acked']} creates, {summary['transitions_acked']} transitions acknowledged, "
        f"{summary['conflicts_412']} If-Match conflicts (412), "
        f"{summary['idempotent_retries']} idempotent retries"
    )
    print(f"  statuses: {summary['statuses']}")
    verdict = "all invariants held" if not problems else f"{len(problems)} VIOLATIONS"
    print(
        f"  verdict: {verdict} (no 5xx, unique ids, acknowledged writes readable, no lost update, integrity)"
    )
    for problem in problems[:20]:
        print(f"    - {problem}")
    if args.json:
        print(json.dumps({**summary, "violations": problems}, indent=2))
    return 1 if problems and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
