"""Broken variants of the reference that a crash can catch out: ``python -m tests.reference.crash_variants
NAME FD``.

Each writes in a way that is fine while the process lives and wrong when it
is killed at the wrong moment — exactly what the crash test must be able to
see. Settings come from ``FELLES_REFERENCE_*`` (the database included), the
listening socket is inherited, as for ``felles serve --fd``.
"""

from __future__ import annotations

import socket
import sqlite3
import sys
import threading
import time
from collections.abc import Mapping
from typing import Any

import uvicorn

from felles.reference import ApplicationComponent, ApplicationService, Settings, create_app
from felles.reference.components.application import Created, request_fingerprint
from felles.reference.storage import StoredResponse


class AcknowledgesBeforeCommitting(ApplicationService):
    """Answers 201 as soon as the row is written, and commits it 50 ms later ("write-behind")."""

    def create(
        self, tenant: str, submission: Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> Created:
        connection = sqlite3.connect(
            self.database.path, isolation_level=None, check_same_thread=False, timeout=30
        )
        connection.execute("BEGIN IMMEDIATE")
        row = self._insert(connection, tenant, submission)

        def commit_later() -> None:
            time.sleep(0.05)
            connection.commit()
            connection.close()

        threading.Thread(target=commit_later, daemon=True).start()
        return Created(self.represent(row), replayed=False)


class SplitsIdempotencyRecord(ApplicationService):
    """Commits the application, then its idempotency record in a second transaction."""

    def create(
        self, tenant: str, submission: Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> Created:
        if idempotency_key is None:
            return super().create(tenant, submission)
        with self.database.connection() as connection:
            stored = self.idempotency.lookup(connection, tenant, idempotency_key)
        if stored is not None:
            return super().create(tenant, submission, idempotency_key=idempotency_key)
        created = super().create(tenant, submission)
        time.sleep(0.02)  # the gap between the two commits
        representation = created.representation
        with self.database.transaction(write=True) as connection:
            self.idempotency.save(
                connection,
                tenant,
                idempotency_key,
                StoredResponse(
                    request_hash=request_fingerprint(submission),
                    status=201,
                    body=representation.body,
                    headers={"ETag": representation.etag},
                    resource_id=representation.application_id,
                ),
                created_at=self.now(),
            )
        return created


VARIANTS: dict[str, type[ApplicationService]] = {
    "acknowledges-before-committing": AcknowledgesBeforeCommitting,
    "splits-idempotency-record": SplitsIdempotencyRecord,
}


def main() -> None:
    name, fd = sys.argv[1], int(sys.argv[2])
    settings = Settings.from_env()
    app = create_app(settings, components=[ApplicationComponent(VARIANTS[name])])
    sock = socket.socket(fileno=fd)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
