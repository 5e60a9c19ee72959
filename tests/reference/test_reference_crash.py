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
import shutil
import sqlite3
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
from tests.reference import serve_process
from tests.reference.crashcheck import FIXTURE, Campaign, check_database

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


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        ("UPDATE applications SET status = 'granted' WHERE seq = 1", "but history ends with"),
        ("UPDATE applications SET version = 7 WHERE seq = 2", "version 7 but 2 history entries"),
        (
            'UPDATE applications SET history_json = \'[{"status": "rec\' WHERE seq = 3',
            "history does not parse",
        ),
        ("UPDATE applications SET submission_json = '{' WHERE seq = 4", "submission does not parse"),
        ("UPDATE applications SET updated_at = '2030-01-01T00:00:00.000Z' WHERE seq = 5", "updatedAt"),
        (
            "UPDATE applications SET history_json = json_insert(history_json, '$[#]',"
            " json_object('status', 'submitted', 'at', updated_at)), version = version + 1,"
            " status = 'submitted' WHERE seq = 6",
            "history moves refused -> submitted",
        ),
        ("DELETE FROM applications WHERE seq = 1", "not an application of its kommune"),
        (
            "UPDATE idempotency_keys SET municipality = '3201' WHERE idempotency_key = 'b-1'",
            "not an application",
        ),
        (
            "UPDATE idempotency_keys SET response_body = X'7B' WHERE idempotency_key = 'oslo-3'",
            "body does not parse",
        ),
    ],
    ids=[
        "status-without-history",
        "version-off",
        "cut-history",
        "cut-submission",
        "updated-at-off",
        "illegal-move",
        "key-without-application",
        "key-of-another-kommune",
        "cut-stored-answer",
    ],
)
def test_the_database_check_sees_each_kind_of_half_written_row(
    tmp_path: Path, damage: str, expected: str
) -> None:
    """On the version-1 file, which has no constraints yet, damage can be planted directly."""
    db = tmp_path / "damaged.db"
    shutil.copyfile(FIXTURE, db)
    assert check_database(db) == []
    with sqlite3.connect(db) as connection:
        connection.execute(damage)
    problems = check_database(db)
    assert any(expected in problem for problem in problems), problems


def test_the_database_check_runs_sqlites_integrity_check(tmp_path: Path) -> None:
    db = tmp_path / "torn.db"
    data = bytearray(FIXTURE.read_bytes())
    page_size = int.from_bytes(data[16:18], "big")
    data[3 * page_size + 8 : 3 * page_size + 64] = b"\xff" * 56  # scribble over a b-tree page header
    db.write_bytes(bytes(data))
    try:
        problems = check_database(db)
    except sqlite3.DatabaseError as exc:  # so torn SQLite will not even read it: just as caught
        problems = [f"unreadable: {exc}"]
    assert problems, "a torn page went unnoticed"
