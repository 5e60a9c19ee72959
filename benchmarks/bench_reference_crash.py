"""Figure: ``kill -9`` of ``felles serve`` under write load, N times, and what survived.

The campaign of ``tests/reference/test_reference_crash.py`` with more kills:
start on a copy of the committed version-1 database, load it from threads,
SIGKILL at a random moment, check the file (``PRAGMA integrity_check``,
whole rows only), repeat; at the end restart, retry every unanswered create
with its Idempotency-Key and check that every acknowledged write is there,
exactly once. Prints kills, acknowledged writes, requests cut off and the
verdict. Reports, does not gate unless --strict.

    python benchmarks/bench_reference_crash.py [--kills 100] [--seed 1]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "conformance")]  # tests.reference.* from a checkout

from tests.reference import serve_process  # noqa: E402
from tests.reference.crashcheck import Campaign  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--kills", type=int, default=100, help="kills under load")
    parser.add_argument("--startup-kills", type=int, default=5, help="kills during start-up")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--strict", action="store_true", help="exit 1 if anything was lost or half-written")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="felles-crash-") as directory:
        path = Path(directory)
        campaign = Campaign.on_fixture(path, serve_process.felles_serve(path / "crash.sqlite3"), args.seed)
        started = time.monotonic()
        for _ in range(args.startup_kills):
            campaign.kill_during_startup()
        for _ in range(args.kills):
            campaign.kill_under_load()
        ledger = campaign.ledger
        acked = len(ledger.acked_creates())
        unanswered = sum(c.outcome == "unknown" for c in ledger.creates)
        problems = campaign.final_check()
        elapsed = time.monotonic() - started
    print(
        f"kill -9 under write load: {campaign.kills} kills under load + {campaign.startup_kills} during "
        f"start-up in {elapsed:.0f} s"
    )
    print(
        f"  {acked} creates and {len(ledger.acked_transitions())} transitions acknowledged before a kill; "
        f"{ledger.transport_errors} requests cut off; {unanswered} unanswered creates retried after restart"
    )
    verdict = (
        "nothing acknowledged lost, nothing half-written, no duplicate"
        if not problems
        else (f"{len(problems)} VIOLATIONS")
    )
    print(
        f"  verdict: {verdict}; integrity_check ok after every kill"
        if not problems
        else f"  verdict: {verdict}"
    )
    for problem in problems[:20]:
        print(f"    - {problem}")
    return 1 if problems and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
