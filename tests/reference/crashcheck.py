"""Crash campaigns (start, load, ``kill -9``, check, again) and what the database must look like after.

:func:`check_database` reads the file directly (not through the API) and
lists every violation: SQLite's own ``integrity_check``, and for every row
that its parts agree — the JSON parses, the status is the last history
entry, the version counts the history, the history follows the lifecycle,
the timestamps match it, and every idempotency record points at an
application of the same kommune whose first answer it holds.

:class:`Campaign` drives ``felles serve`` (or a broken variant) through the
kills; ``test_reference_crash.py`` and ``benchmarks/bench_reference_crash.py``
run it.
"""

from __future__ import annotations

import itertools
import json
import random
import secrets
import shutil
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.reference import loadgen, serve_process

from felles.reference.components.application import ALLOWED_TRANSITIONS, INITIAL_STATUS

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "reference-v1.db"
CONFIG = loadgen.LoadConfig(clients=12, hot_per_tenant=2, tenants=("0301", "4601"), seed=3)


def _json(text: Any, what: str, problems: list[str]) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError) as exc:
        problems.append(f"{what} does not parse: {exc}")
        return None


def check_row(row: sqlite3.Row) -> list[str]:
    """The violations of one ``applications`` row."""
    problems: list[str] = []
    where = f"application {row['id']} (seq {row['seq']})"
    submission = _json(row["submission_json"], f"{where}: submission", problems)
    history = _json(row["history_json"], f"{where}: history", problems)
    if submission is not None and (not isinstance(submission, dict) or submission.get("type") != row["type"]):
        problems.append(f"{where}: submission is not an object of type {row['type']}")
    if history is None:
        return problems
    if not isinstance(history, list) or not history or not all(isinstance(e, dict) for e in history):
        return [*problems, f"{where}: history is not a non-empty list of entries"]
    if row["version"] != len(history):
        problems.append(f"{where}: version {row['version']} but {len(history)} history entries")
    if row["status"] != history[-1].get("status"):
        problems.append(f"{where}: status {row['status']} but history ends with {history[-1].get('status')}")
    if history[0].get("status") != INITIAL_STATUS or row["created_at"] != history[0].get("at"):
        problems.append(f"{where}: history does not start with its creation")
    if row["updated_at"] != history[-1].get("at"):
        problems.append(f"{where}: updatedAt is not the time of the last history entry")
    for before, after in itertools.pairwise(history):
        if after.get("status") not in ALLOWED_TRANSITIONS.get(str(before.get("status")), frozenset()):
            problems.append(f"{where}: history moves {before.get('status')} -> {after.get('status')}")
    return problems


def check_database(path: Path | str) -> list[str]:
    """Every violation in the database file; an empty list for a sound one."""
    # Opened as the server would reopen it after a crash: SQLite recovers the WAL on open.
    connection = sqlite3.connect(str(path))
    connection.row_factory = sqlite3.Row
    try:
        verdict = [row[0] for row in connection.execute("PRAGMA integrity_check")]
        problems = [] if verdict == ["ok"] else [f"integrity_check: {'; '.join(verdict[:5])}"]
        rows, ids, seqs = connection.execute(
            "SELECT COUNT(*), COUNT(DISTINCT id), COUNT(DISTINCT seq) FROM applications"
        ).fetchone()
        if not rows == ids == seqs:
            problems.append(
                f"{rows} applications but {ids} distinct ids and {seqs} distinct sequence numbers"
            )
        owners: dict[str, str] = {}
        for row in connection.execute("SELECT * FROM applications ORDER BY seq"):
            problems += check_row(row)
            owners[row["id"]] = row["municipality"]
        for record in connection.execute("SELECT * FROM idempotency_keys WHERE scope LIKE 'application@%'"):
            where = f"idempotency key {record['idempotency_key']!r} of {record['municipality']}"
            if owners.get(record["resource_id"]) != record["municipality"]:
                problems.append(
                    f"{where} points at {record['resource_id']}, not an application of its kommune"
                )
            body = _json(
                bytes(record["response_body"]).decode("utf-8", "replace"), f"{where}: body", problems
            )
            if isinstance(body, dict) and body.get("id") != record["resource_id"]:
                problems.append(
                    f"{where}: stored answer is for {body.get('id')}, not {record['resource_id']}"
                )
            _json(record["response_headers"], f"{where}: headers", problems)
        return problems
    finally:
        connection.close()


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

    @classmethod
    def on_fixture(cls, directory: Path, command: Sequence[str], seed: int) -> Campaign:
        """A campaign on a copy of the committed version-1 database (the first start migrates it)."""
        shutil.copyfile(FIXTURE, directory / "crash.sqlite3")
        return cls(directory, command, random.Random(seed))

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
