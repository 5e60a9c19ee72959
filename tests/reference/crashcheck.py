"""What a reference database must look like whenever it is opened, however its writer died.

:func:`check_database` reads the file directly (not through the API) and
lists every violation: SQLite's own ``integrity_check``, and for every row
that its parts agree — the JSON parses, the status is the last history
entry, the version counts the history, the history follows the lifecycle,
the timestamps match it, and every idempotency record points at an
application of the same kommune whose first answer it holds.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
from pathlib import Path
from typing import Any

from felles.reference.components.application import ALLOWED_TRANSITIONS, INITIAL_STATUS


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
