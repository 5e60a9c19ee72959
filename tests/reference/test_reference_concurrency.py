"""Concurrency: many clients writing at once lose nothing, duplicate nothing, and If-Match holds.

The workload and its invariants are in ``loadgen.py``; the benchmark
(``benchmarks/bench_reference_load.py``) runs the same for 30 s with 50
clients. Here it runs for a few seconds against ``felles serve`` on a file
database, and against broken variants to show each invariant can fail.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.reference import loadgen, serve_process
from tests.reference.crashcheck import check_database

from felles.reference import ApplicationComponent, ApplicationService, ReferenceServer, Settings, create_app
from felles.reference.components.application import Created, PreconditionFailedError, Representation

pytestmark = pytest.mark.slow

SECONDS = 4.0
CLIENTS = 24


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    """``felles serve`` on a file database, in a process of its own: (root URL, secret, db)."""
    directory = tmp_path_factory.mktemp("concurrency")
    secret = secrets.token_urlsafe(32)
    db = directory / "felles.sqlite3"
    running = serve_process.start(
        serve_process.felles_serve(db), {"FELLES_REFERENCE_JWT_SECRET": secret}, directory / "serve.log"
    )
    try:
        yield running.root, secret, db
    finally:
        running.stop()
        assert "Traceback" not in running.log_text(), running.log_text()[-3000:]


def test_many_clients_keep_every_invariant(served: tuple[str, str, Path]) -> None:
    root, secret, db = served
    run = loadgen.LoadRun(root, secret, loadgen.LoadConfig(clients=CLIENTS, seed=11)).run_for(SECONDS)
    summary = run.summary()
    print(summary)  # shown with -s: the figures of this run
    assert loadgen.verify(run) == []
    assert summary["server_errors"] == 0
    assert summary["statuses"].keys() <= {200, 201, 412}
    # The workload really raced: without conflicts the If-Match checks above proved nothing.
    assert summary["conflicts_412"] > 0
    assert summary["transitions_acked"] > 0
    assert summary["idempotent_retries"] > 0
    assert check_database(db) == []
    with sqlite3.connect(db) as connection:
        rows, distinct_ids, distinct_seq = connection.execute(
            "SELECT COUNT(*), COUNT(DISTINCT id), COUNT(DISTINCT seq) FROM applications"
        ).fetchone()
    assert rows == distinct_ids == distinct_seq
    assert rows >= len(run.ledger.acked_creates())


def race(root: str, secret: str, *, racers: int, rounds: int) -> list[list[httpx.Response]]:
    """``rounds`` times: one new application, ``racers`` clients with its ETag move it at once."""
    token = loadgen.token_for(secret, "0301")
    results = []
    with httpx.Client(
        base_url=root + loadgen.COMPONENT, headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as http:
        for round_ in range(rounds):
            created = http.post("/applications", json=loadgen.BASE_SUBMISSION)
            assert created.status_code == 201, created.text
            application_id, etag = created.json()["id"], created.headers["etag"]
            barrier = threading.Barrier(racers)

            def move(
                racer: int,
                application_id: str = application_id,
                etag: str = etag,
                barrier: threading.Barrier = barrier,
            ) -> httpx.Response:
                barrier.wait()
                return http.post(
                    f"/applications/{application_id}/transitions",
                    json={"to": "received", "note": f"racer {racer}"},
                    headers={"If-Match": etag},
                )

            with ThreadPoolExecutor(max_workers=racers) as pool:
                responses = list(pool.map(move, range(racers)))
            final = http.get(f"/applications/{application_id}").json()
            winners = [r for r in responses if r.status_code == 200]
            if len(winners) == 1:
                assert final["history"][-1]["note"] == winners[0].json()["history"][-1]["note"], round_
            results.append(responses)
    return results


def test_exactly_one_of_racing_transitions_wins(served: tuple[str, str, Path]) -> None:
    root, secret, _ = served
    for responses in race(root, secret, racers=12, rounds=5):
        assert sorted(r.status_code for r in responses) == [200] + [412] * 11
        for loser in (r for r in responses if r.status_code == 412):
            assert loser.headers["content-type"] == "application/problem+json"


# --------------------------------------------------------------------------- broken variants


class UnlockedTransitions(ApplicationService):
    """Checks If-Match on one read, writes later in another transaction: the classic lost update."""

    def transition(
        self, tenant: str, application_id: str, to: str, *, note: str | None = None, if_match: Any = None
    ) -> Representation:
        with self.database.connection() as connection:
            row = self._load(connection, tenant, application_id)
        if if_match is not None and not if_match.matches(self.etag(row)):
            raise PreconditionFailedError(application_id)
        time.sleep(0.003)  # the window every real race has
        entry = {"status": to, "at": self.now(), **({"note": note} if note else {})}
        history = [*row.history, entry]
        with self.database.transaction(write=True) as connection:
            connection.execute(
                "UPDATE applications SET status = ?, history_json = ?, updated_at = ?, version = ?"
                " WHERE seq = ?",
                (to, json.dumps(history), entry["at"], row.version + 1, row.seq),
            )
            return self.represent(self._load(connection, tenant, application_id))


class ForgetsSomeCreates(ApplicationService):
    """Acknowledges every create but loses one in five afterwards (e.g. a rolled-back unit of work)."""

    calls = 0

    def create(
        self, tenant: str, submission: Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> Created:
        created = super().create(tenant, submission, idempotency_key=idempotency_key)
        type(self).calls += 1
        if type(self).calls % 5 == 0:
            with self.database.transaction(write=True) as connection:
                connection.execute(
                    "DELETE FROM applications WHERE id = ?", (created.representation.application_id,)
                )
        return created


class TruncatesIdempotencyKeys(ApplicationService):
    """Normalises Idempotency-Key to its first 3 characters: different creates share one id."""

    def create(
        self, tenant: str, submission: Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> Created:
        short = idempotency_key[:3] if idempotency_key else None
        if short is not None:
            with self.database.connection() as connection:
                stored = self.idempotency.lookup(connection, tenant, short)
            if stored is not None:
                replay = Representation(stored.resource_id, stored.body, stored.headers["ETag"])
                return Created(replay, replayed=True)
        return super().create(tenant, submission, idempotency_key=short)


def _run_variant(tmp_path: Path, service: type[ApplicationService], seconds: float = 1.0) -> list[str]:
    settings = Settings(database=str(tmp_path / "variant.sqlite3"))
    app = create_app(settings, components=[ApplicationComponent(service)])
    with ReferenceServer(settings, app=app) as server:
        config = loadgen.LoadConfig(clients=8, hot_per_tenant=1, tenants=("0301", "4601"), seed=5)
        run = loadgen.LoadRun(server.base_url, settings.jwt_secret, config).run_for(seconds)
        return loadgen.verify(run)


def test_the_invariants_catch_a_lost_update(tmp_path: Path) -> None:
    problems = _run_variant(tmp_path, UnlockedTransitions)
    assert any(p.startswith("lost update") for p in problems), problems


def test_the_invariants_catch_an_acknowledged_create_that_is_gone(tmp_path: Path) -> None:
    problems = _run_variant(tmp_path, ForgetsSomeCreates)
    assert any("is missing" in p for p in problems), problems


def test_the_invariants_catch_ids_shared_by_different_creates(tmp_path: Path) -> None:
    problems = _run_variant(tmp_path, TruncatesIdempotencyKeys)
    assert any("different creates" in p for p in problems), problems


def test_the_race_check_catches_two_winners(tmp_path: Path) -> None:
    settings = Settings(database=str(tmp_path / "race.sqlite3"))
    app = create_app(settings, components=[ApplicationComponent(UnlockedTransitions)])
    with ReferenceServer(settings, app=app) as server:
        results = race(server.base_url, settings.jwt_secret, racers=8, rounds=3)
    assert any(sum(r.status_code == 200 for r in responses) > 1 for responses in results)
