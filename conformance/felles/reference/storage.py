"""SQLite access: connections, transactions, and the idempotency-key store.

One :class:`Database` per app. A file database runs in WAL mode with a
small pool of connections (readers never block the writer); ``:memory:``
has exactly one connection behind a lock, because every in-memory
connection would otherwise be a separate, empty database. Write
transactions start with ``BEGIN IMMEDIATE`` so that read-check-write
sequences (idempotency, optimistic locking) hold the write lock from their
first read: no lost updates, no check-then-insert races.

Durability: a file database commits with ``synchronous = FULL`` by default,
so a write that was acknowledged survives a killed process *and* a lost
machine; ``NORMAL`` (faster, still crash-safe for the process) is a setting.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from felles.errors import FellesError

MEMORY = ":memory:"
_POOL_IDLE_MAX = 8


class StorageError(FellesError):
    """The database cannot be opened or is not one this version can use."""


class Database:
    """Connections to one SQLite database, handed out one unit of work at a time."""

    def __init__(self, path: str, *, busy_timeout_ms: int = 10_000, synchronous: str = "FULL") -> None:
        if synchronous not in ("FULL", "NORMAL"):
            raise StorageError(f"synchronous must be FULL or NORMAL, got {synchronous!r}")
        self.path = path
        self.busy_timeout_ms = busy_timeout_ms
        self.synchronous = synchronous
        self.in_memory = path == MEMORY or "mode=memory" in path
        self._lock = threading.Lock()
        self._idle: list[sqlite3.Connection] = []
        self._all: set[sqlite3.Connection] = set()
        self._closed = False
        # In memory: one shared connection, one user at a time. On file: a pool.
        self._exclusive = threading.Lock()
        self._writer = threading.Lock()  # one writer of this process at a time (see transaction)
        self._memory_connection = self._open() if self.in_memory else None
        if not self.in_memory:
            try:
                with self.connection() as connection:
                    mode = connection.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            except sqlite3.DatabaseError as exc:  # e.g. "file is not a database"
                self.close()
                raise StorageError(f"cannot use {path!r} as a SQLite database: {exc}") from None
            if str(mode).lower() != "wal":
                self.close()
                raise StorageError(f"{path}: cannot switch SQLite to WAL mode (got {mode})")

    def _open(self) -> sqlite3.Connection:
        try:
            connection = sqlite3.connect(
                self.path,
                isolation_level=None,  # we issue BEGIN/COMMIT ourselves
                check_same_thread=False,  # handed between worker threads, never used by two at once
                uri=self.path.startswith("file:"),
                timeout=self.busy_timeout_ms / 1000,
            )
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open SQLite database {self.path!r}: {exc}") from exc
        try:
            connection.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
            connection.execute("PRAGMA foreign_keys = ON")
            synchronous = "OFF" if self.in_memory else self.synchronous
            connection.execute(f"PRAGMA synchronous = {synchronous}")
        except sqlite3.DatabaseError as exc:
            connection.close()
            raise StorageError(f"cannot use {self.path!r} as a SQLite database: {exc}") from None
        with self._lock:
            self._all.add(connection)
        return connection

    @contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        """Borrow a connection for one unit of work (autocommit unless you BEGIN)."""
        if self._closed:
            raise StorageError(f"database {self.path!r} is closed")
        shared = self._memory_connection
        if shared is not None:
            with self._exclusive:
                try:
                    yield shared
                finally:
                    if shared.in_transaction:
                        shared.rollback()
            return
        with self._lock:
            connection = self._idle.pop() if self._idle else None
        if connection is None:
            connection = self._open()
        try:
            yield connection
        finally:
            if connection.in_transaction:  # a bug upstream; never hand out a half-done transaction
                connection.rollback()
            with self._lock:
                keep = len(self._idle) < _POOL_IDLE_MAX and not self._closed
                if keep:
                    self._idle.append(connection)
            if not keep:
                self._forget(connection)

    def _forget(self, connection: sqlite3.Connection) -> None:
        with self._lock:
            self._all.discard(connection)
        connection.close()

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[sqlite3.Connection]:
        """One transaction: ``BEGIN IMMEDIATE`` for writes (lock first), deferred for reads.

        Writers of this process queue on a lock before ``BEGIN IMMEDIATE``: SQLite would
        otherwise make them poll its file lock with sleeps of up to 100 ms, which under
        50 concurrent writers turns into seconds of tail latency. Other processes on
        the same file are still kept out by SQLite's own lock (and ``busy_timeout``).
        """
        writer = self._writer if write and not self.in_memory else None
        if writer is not None and not writer.acquire(timeout=self.busy_timeout_ms / 1000):
            raise StorageError(f"database {self.path!r}: no write lock within {self.busy_timeout_ms} ms")
        try:
            with self.connection() as connection:
                connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                try:
                    yield connection
                except BaseException:
                    connection.rollback()
                    raise
                connection.commit()
        finally:
            if writer is not None:
                writer.release()

    def close(self) -> None:
        """Close every connection; idempotent. Waits for the in-memory connection's current user."""
        with self._exclusive, self._lock:
            self._closed = True
            connections = list(self._all)
            self._all.clear()
            self._idle.clear()
            self._memory_connection = None
        for connection in connections:
            connection.close()


@dataclass(frozen=True)
class StoredResponse:
    """What an idempotent POST answered the first time, to be replayed byte for byte."""

    request_hash: str
    status: int
    body: bytes
    headers: Mapping[str, str]
    resource_id: str


class IdempotencyStore:
    """Idempotency keys per (scope, kommune, key); scope names the operation.

    Call :meth:`lookup` and :meth:`save` inside the same write transaction as
    the side effect, so a concurrent duplicate waits for the lock and then
    finds the first request's record.
    """

    def __init__(self, scope: str) -> None:
        self.scope = scope

    def lookup(self, connection: sqlite3.Connection, tenant: str, key: str) -> StoredResponse | None:
        row = connection.execute(
            "SELECT request_hash, response_status, response_body, response_headers, resource_id "
            "FROM idempotency_keys WHERE scope = ? AND municipality = ? AND idempotency_key = ?",
            (self.scope, tenant, key),
        ).fetchone()
        if row is None:
            return None
        return StoredResponse(
            request_hash=row[0],
            status=int(row[1]),
            body=bytes(row[2]),
            headers=json.loads(row[3]),
            resource_id=str(row[4]),
        )

    def save(
        self,
        connection: sqlite3.Connection,
        tenant: str,
        key: str,
        response: StoredResponse,
        created_at: str,
    ) -> None:
        """Record the response; the UNIQUE constraint is the last defence against duplicates."""
        connection.execute(
            "INSERT INTO idempotency_keys (scope, municipality, idempotency_key, request_hash, "
            "response_status, response_body, response_headers, resource_id, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                self.scope,
                tenant,
                key,
                response.request_hash,
                response.status,
                response.body,
                json.dumps(dict(response.headers), sort_keys=True),
                response.resource_id,
                created_at,
            ),
        )
