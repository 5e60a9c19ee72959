"""Crash safety: ``kill -9`` of ``felles serve`` under a write load, again and again.

After every kill the database file must pass ``PRAGMA integrity_check``
and hold only whole rows (``crashcheck.check_database``); after the last
restart every write that got a 2xx must be there, every write that got no
answer must be either all there or not at all, and retrying an unanswered
create with its ``Idempotency-Key`` must not make a second one. The database
starts as a copy of the committed version-1 fixture, so the first start-up
runs a migration that a kill can also interrupt.

Broken variants (``crash_variants.py``) show the checks see what they are for.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
from tests.reference import serve_process
from tests.reference.crashcheck import Campaign

pytestmark = pytest.mark.slow

#: Kills under load (the issue asks for at least 20); raise it for a longer soak.
KILLS = int(os.environ.get("FELLES_CRASH_KILLS", "20"))
STARTUP_KILLS = 2


def _campaign(tmp_path: Path, command: Sequence[str], seed: int) -> Campaign:
    return Campaign.on_fixture(tmp_path, command, seed)


def test_kill_9_under_write_load_loses_nothing_acknowledged(tmp_path: Path) -> None:
    campaign = _campaign(tmp_path, serve_process.felles_serve(tmp_path / "crash.sqlite3"), seed=20)
    started = time.monotonic()
    for _ in range(STARTUP_KILLS):
        campaign.kill_during_startup()
    for _ in range(KILLS):
        campaign.kill_under_load()
    ledger = campaign.ledger
    acked, unanswered = len(ledger.acked_creates()), sum(c.outcome == "unknown" for c in ledger.creates)
    problems = campaign.final_check()
    print(
        f"{campaign.kills} kills under load + {campaign.startup_kills} during start-up in "
        f"{time.monotonic() - started:.1f} s; {acked} creates and {len(ledger.acked_transitions())} "
        f"transitions acknowledged; {unanswered} creates unanswered (retried), "
        f"{ledger.transport_errors} requests cut off"
    )
    assert problems == []
    assert campaign.kills >= 20
    assert len(ledger.acked_creates()) > 0
    assert ledger.transport_errors > 0  # the kills really hit requests in flight


# --------------------------------------------------------------------------- broken variants


def _variant(name: str) -> list[str]:
    return [sys.executable, "-m", "tests.reference.crash_variants", name]


def _until_caught(campaign: Campaign, kills: int) -> list[str]:
    for _ in range(kills):
        campaign.kill_under_load()
        if campaign.problems:
            break
    return campaign.final_check()


def test_the_check_catches_an_acknowledged_write_lost_in_a_crash(tmp_path: Path) -> None:
    campaign = _campaign(tmp_path, _variant("acknowledges-before-committing"), seed=1)
    problems = _until_caught(campaign, kills=4)
    assert any("is missing" in p for p in problems), problems


def test_the_check_catches_a_create_duplicated_by_a_retry_after_a_crash(tmp_path: Path) -> None:
    campaign = _campaign(tmp_path, _variant("splits-idempotency-record"), seed=2)
    problems = _until_caught(campaign, kills=4)
    assert any("stored 2 times" in p for p in problems), problems
