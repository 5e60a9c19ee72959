"""Versioned schema migrations, so a database file written by an older reference keeps working.

Each owner (the shared ``reference`` tables, then one per component) has a
list of numbered migrations; ``schema_migrations`` records which ran. A
migration is never edited once released: change the schema by appending the
next number. A database newer than the code is refused rather than
misread.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from felles.reference.storage import Database, StorageError


@dataclass(frozen=True)
class Migration:
    """One schema step: ``version`` counts from 1 per owner without gaps."""

    version: int
    name: str
    apply: Callable[[sqlite3.Connection], None]


def statements(*sql: str) -> Callable[[sqlite3.Connection], None]:
    """A migration body made of plain SQL statements (no ``executescript``: it would commit)."""

    def apply(connection: sqlite3.Connection) -> None:
        for statement in sql:
            connection.execute(statement)

    return apply


_BOOKKEEPING = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    owner TEXT NOT NULL,
    version INTEGER NOT NULL,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL,
    PRIMARY KEY (owner, version)
)
"""

#: Tables every component shares.
CORE_MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "idempotency keys",
        statements(
            """
            CREATE TABLE idempotency_keys (
                scope TEXT NOT NULL,
                municipality TEXT NOT NULL,
                idempotency_key TEXT NOT NULL,
                request_hash TEXT NOT NULL,
                response_status INTEGER NOT NULL,
                response_body BLOB NOT NULL,
                response_headers TEXT NOT NULL,
                resource_id TEXT NOT NULL,
                created_at TEXT NOT NULL,
                UNIQUE (scope, municipality, idempotency_key)
            )
            """
        ),
    ),
)


def _check_sequence(owner: str, migrations: Sequence[Migration]) -> None:
    versions = [m.version for m in migrations]
    if versions != list(range(1, len(versions) + 1)):
        raise StorageError(f"migrations of {owner!r} must be numbered 1..n in order, got {versions}")


def applied_version(connection: sqlite3.Connection, owner: str) -> int:
    row = connection.execute(
        "SELECT COALESCE(MAX(version), 0) FROM schema_migrations WHERE owner = ?", (owner,)
    ).fetchone()
    return int(row[0])


def migrate(database: Database, owner: str, migrations: Sequence[Migration]) -> list[Migration]:
    """Apply the pending migrations of ``owner`` in one transaction; returns those applied."""
    _check_sequence(owner, migrations)
    with database.transaction(write=True) as connection:
        connection.execute(_BOOKKEEPING)
        current = applied_version(connection, owner)
        if current > len(migrations):
            raise StorageError(
                f"database {database.path!r} has {owner} schema version {current}, "
                f"newer than this Felles knows ({len(migrations)})",
                hint="upgrade felles or use another database file",
            )
        pending = list(migrations[current:])
        for migration in pending:
            try:
                migration.apply(connection)
            except sqlite3.Error as exc:  # the whole upgrade rolls back: the file stays as it was
                raise StorageError(
                    f"database {database.path!r}: migration {owner} {migration.version} "
                    f"({migration.name}) failed: {exc}",
                    hint="the database was left unchanged at the version it had",
                ) from exc
            connection.execute(
                "INSERT INTO schema_migrations (owner, version, name, applied_at) VALUES (?, ?, ?, ?)",
                (owner, migration.version, migration.name, datetime.now(UTC).isoformat()),
            )
    return pending
