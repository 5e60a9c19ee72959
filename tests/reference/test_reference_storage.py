"""SQLite storage: file databases survive restarts, migrations are versioned, transactions hold."""

from __future__ import annotations

import dataclasses
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from felles.reference import ReferenceServer, Settings, create_app
from felles.reference.app import CORE_OWNER
from felles.reference.components.application import MIGRATIONS
from felles.reference.migrations import CORE_MIGRATIONS, Migration, applied_version, migrate, statements
from felles.reference.storage import Database, StorageError


def _start(settings: Settings) -> tuple[ReferenceServer, httpx.Client]:
    server = ReferenceServer(settings).start()
    return server, httpx.Client(base_url=server.base_url + "/application/1.0", timeout=10)


def test_file_database_keeps_data_across_restarts(
    tmp_path: Path,
    settings: Settings,
    auth: Callable[..., dict[str, str]],
    kindergarten: dict[str, Any],
) -> None:
    file_settings = dataclasses.replace(settings, database=str(tmp_path / "felles.db"))
    server, api = _start(file_settings)
    try:
        created = api.post("/applications", json=kindergarten, headers={**auth(), "Idempotency-Key": "k1"})
        assert created.status_code == 201
        moved = api.post(
            f"/applications/{created.json()['id']}/transitions",
            json={"to": "received"},
            headers=auth(),
        )
        assert moved.status_code == 200
    finally:
        api.close()
        server.stop()

    server, api = _start(file_settings)  # a new process would see the same: all state is in the file
    try:
        fetched = api.get(f"/applications/{created.json()['id']}", headers=auth())
        assert fetched.status_code == 200
        assert fetched.json() == moved.json()
        assert fetched.headers["etag"] == moved.headers["etag"]
        replay = api.post("/applications", json=kindergarten, headers={**auth(), "Idempotency-Key": "k1"})
        assert replay.content == created.content  # idempotency keys survive too
    finally:
        api.close()
        server.stop()

    with sqlite3.connect(tmp_path / "felles.db") as connection:
        versions = dict(
            connection.execute("SELECT owner, MAX(version) FROM schema_migrations GROUP BY owner").fetchall()
        )
        assert versions["application@1.0"] == len(MIGRATIONS)
        assert versions[CORE_OWNER] == len(CORE_MIGRATIONS)
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert connection.execute("SELECT COUNT(*) FROM applications").fetchone()[0] == 1


def test_concurrent_duplicates_on_a_file_database_create_one(
    tmp_path: Path,
    settings: Settings,
    auth: Callable[..., dict[str, str]],
    kindergarten: dict[str, Any],
) -> None:
    server, api = _start(dataclasses.replace(settings, database=str(tmp_path / "c.db")))
    barrier = threading.Barrier(10)

    def send(_: int) -> httpx.Response:
        barrier.wait()
        return api.post("/applications", json=kindergarten, headers={**auth(), "Idempotency-Key": "race"})

    try:
        with ThreadPoolExecutor(max_workers=10) as pool:
            responses = list(pool.map(send, range(10)))
        assert {r.status_code for r in responses} == {201}
        assert len({r.json()["id"] for r in responses}) == 1
        assert len(api.get("/applications", headers=auth()).json()["items"]) == 1
    finally:
        api.close()
        server.stop()


def test_upgrades_apply_only_new_migrations_and_keep_data(tmp_path: Path) -> None:
    path = str(tmp_path / "upgrade.db")
    version_1 = [Migration(1, "notes", statements("CREATE TABLE notes (text TEXT)"))]
    version_2 = [
        *version_1,
        Migration(2, "note authors", statements("ALTER TABLE notes ADD COLUMN author TEXT")),
    ]

    database = Database(path)
    assert [m.version for m in migrate(database, "demo", version_1)] == [1]
    with database.transaction(write=True) as connection:
        connection.execute("INSERT INTO notes (text) VALUES ('kept')")
    database.close()

    database = Database(path)
    assert [m.version for m in migrate(database, "demo", version_2)] == [2]
    assert migrate(database, "demo", version_2) == []  # idempotent
    with database.connection() as connection:
        assert connection.execute("SELECT text, author FROM notes").fetchall() == [("kept", None)]
        assert applied_version(connection, "demo") == 2
    database.close()


def test_a_database_newer_than_the_code_is_refused(tmp_path: Path, settings: Settings) -> None:
    path = str(tmp_path / "future.db")
    create_app(dataclasses.replace(settings, database=path)).state.context.database.close()
    with sqlite3.connect(path) as connection:
        connection.execute(
            "INSERT INTO schema_migrations (owner, version, name, applied_at) VALUES (?, ?, 'x', 'y')",
            ("application@1.0", len(MIGRATIONS) + 1),
        )
    with pytest.raises(StorageError, match="newer"):
        create_app(dataclasses.replace(settings, database=path))


def test_a_failing_migration_leaves_nothing_half_done(tmp_path: Path) -> None:
    database = Database(str(tmp_path / "broken.db"))
    broken = [
        Migration(1, "ok", statements("CREATE TABLE a (x INTEGER)")),
        Migration(2, "broken", statements("CREATE TABLE b (x INTEGER)", "THIS IS NOT SQL")),
    ]
    with pytest.raises(StorageError, match=r"migration demo 2 \(broken\) failed") as failed:
        migrate(database, "demo", broken)
    assert isinstance(failed.value.__cause__, sqlite3.OperationalError)
    assert "unchanged" in str(failed.value)
    with database.connection() as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "a" not in tables
    assert "b" not in tables
    database.close()


@pytest.mark.parametrize("versions", [[2], [1, 3], [1, 1]])
def test_migration_numbers_must_be_contiguous(versions: list[int]) -> None:
    database = Database(":memory:")
    migrations = [Migration(v, f"m{v}", statements("SELECT 1")) for v in versions]
    with pytest.raises(StorageError, match="numbered"):
        migrate(database, "demo", migrations)
    database.close()


def test_in_memory_databases_are_separate_and_shared_across_threads() -> None:
    first, second = Database(":memory:"), Database(":memory:")
    with first.transaction(write=True) as connection:
        connection.execute("CREATE TABLE t (x INTEGER)")
        connection.execute("INSERT INTO t VALUES (1)")

    def count() -> int:
        with first.connection() as connection:
            return int(connection.execute("SELECT COUNT(*) FROM t").fetchone()[0])

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(lambda _: count(), range(8))) == [1] * 8
    with second.connection() as connection, pytest.raises(sqlite3.OperationalError):
        connection.execute("SELECT * FROM t")
    first.close()
    second.close()


def test_transactions_roll_back_on_error_and_closed_databases_refuse_work() -> None:
    database = Database(":memory:")
    with database.transaction(write=True) as connection:
        connection.execute("CREATE TABLE t (x INTEGER)")

    def insert_then_fail() -> None:
        with database.transaction(write=True) as connection:
            connection.execute("INSERT INTO t VALUES (1)")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        insert_then_fail()
    with database.connection() as connection:
        assert connection.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 0
    database.close()
    database.close()  # idempotent
    with pytest.raises(StorageError, match="closed"), database.connection():
        pass


def test_unopenable_database_is_a_storage_error(tmp_path: Path) -> None:
    with pytest.raises(StorageError):
        Database(str(tmp_path / "missing-dir" / "x.db"))
