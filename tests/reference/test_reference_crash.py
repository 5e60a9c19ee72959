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
import random
import secrets
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from tests.reference import loadgen, serve_process
from tests.reference.crashcheck import check_database

pytestmark = pytest.mark.slow

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "reference-v1.sqlite3"
#: Kills under load (the issue asks for at least 20); raise it for a longer soak.
KILLS = int(os.environ.get("FELLES_CRASH_KILLS", "20"))
STARTUP_KILLS = 2
CONFIG = loadgen.LoadConfig(clients=12, hot_per_tenant=2, tenants=("0301", "4601"), seed=3)


@dataclass
class Campaign:
    """Start, load, kill, check — ``kills`` times — on one database file."""

    directory: Path
    command: Sequence[str]
    rng: random.Random
    secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    ledger: loadgen.Ledger = field(default_factory=loadgen.Ledger)
    hot: loadgen.HotSet = field(default_factory=loadgen.HotSet)
    kills: int = 0
    startup_kills: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def db(self) -> Path:
        return self.directory / "crash.sqlite3"

    @property
    def env(self) -> dict[str, str]:
        return {"FELLES_REFERENCE_JWT_SECRET": self.secret, "FELLES_REFERENCE_DATABASE": str(self.db)}

    def start(self, *, wait: bool = True) -> serve_process.ServeProcess:
        return serve_process.start(self.command, self.env, self.directory / "serve.log", wait=wait)

    def kill_during_startup(self) -> None:
        running = self.start(wait=False)
        time.sleep(self.rng.uniform(0.0, 1.0))
        running.kill()
        self.startup_kills += 1
        self.problems += [f"after start-up kill {self.startup_kills}: {p}" for p in check_database(self.db)]

    def kill_under_load(self) -> None:
        running = self.start()
        run = loadgen.LoadRun(running.root, self.secret, CONFIG, ledger=self.ledger, hot=self.hot)
        run.start(seed_hot=self.kills == 0)
        time.sleep(self.rng.uniform(0.1, 0.5))
        running.kill()  # mid-request for most clients
        run.stop()
        self.kills += 1
        self.problems += [f"after kill {self.kills}: {p}" for p in check_database(self.db)]

    def final_check(self) -> list[str]:
        """Restart once more, retry what got no answer, and check every acknowledged write."""
        running = self.start()
        try:
            run = loadgen.LoadRun(running.root, self.secret, CONFIG, ledger=self.ledger, hot=self.hot)
            problems = loadgen.verify(run, crashed=True, retry_unknown=True)
            run.stop()
        finally:
            running.stop()
        if "Traceback" in (log := running.log_text()):
            problems.append(f"the server logged a traceback:\n{log[-2000:]}")
        return self.problems + problems + [f"at the end: {p}" for p in check_database(self.db)]


def _campaign(tmp_path: Path, command: Sequence[str], seed: int) -> Campaign:
    shutil.copyfile(FIXTURE, tmp_path / "crash.sqlite3")
    return Campaign(tmp_path, command, random.Random(seed))


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
