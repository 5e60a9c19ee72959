"""building-permit@1.0 data model: names, scopes, the lifecycle as data, tables, domain
errors and stored rows.

Shared by :mod:`.building_permit_service` (behaviour) and
:mod:`.building_permit_routes` (HTTP); it knows neither.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from felles.reference.components.shared import DomainError
from felles.reference.migrations import Migration, statements

NAME = "building-permit"
VERSION = "1.0"

SCOPE_READ = "building-permit:read"
SCOPE_WRITE = "building-permit:write"
SCOPE_DECIDE = "building-permit:decide"

STATUSES: tuple[str, ...] = ("submitted", "incomplete", "complete", "approved", "refused")
INITIAL_STATUS = "submitted"
DECIDED = frozenset({"approved", "refused"})

#: The lifecycle as data (spec, "Lifecycle"): a further documentation request is allowed.
ALLOWED_TRANSITIONS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "submitted": frozenset({"incomplete", "complete"}),
        "incomplete": frozenset({"incomplete", "complete"}),
        "complete": frozenset({"approved", "refused"}),
        "approved": frozenset(),
        "refused": frozenset(),
    }
)

#: Nabovarsel: neighbours have at least two weeks before the application is sent (SAK10 § 5-2).
NEIGHBOUR_NOTICE_DAYS = 14

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "applications",
        statements(
            # The processing record (attachments, requests, deadline, decision, history) is
            # JSON: it is read and written whole with the application, never queried.
            """
            CREATE TABLE permit_applications (
                seq INTEGER PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                municipality TEXT NOT NULL,
                status TEXT NOT NULL,
                received_at TEXT NOT NULL,
                input_json TEXT NOT NULL,
                record_json TEXT NOT NULL,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                version INTEGER NOT NULL
            )
            """,
            "CREATE INDEX permit_applications_by_tenant ON permit_applications (municipality, seq)",
            "CREATE INDEX permit_applications_by_status ON permit_applications (municipality, status, seq)",
        ),
    ),
)


# --------------------------------------------------------------------------- domain errors


class PermitError(DomainError):
    """A building-permit@1.0 refusal; the routes map each kind to a problem."""


class TransitionNotAllowedError(PermitError):
    def __init__(self, current: str, to: str) -> None:
        super().__init__(f"cannot move an application from {current!r} to {to!r}")
        self.current = current
        self.to = to


class UndecidedOnlyError(PermitError):
    """Documentation can be added until the application is decided, not after."""

    def __init__(self, status: str) -> None:
        super().__init__(f"the application is {status}")
        self.status = status


# --------------------------------------------------------------------------- stored rows


@dataclass(frozen=True)
class StoredApplication:
    """One row of ``permit_applications``: the submitted input and the processing record
    (``attachments``, ``documentationRequests``, ``deadline``, ``decision``, ``history``)."""

    seq: int
    id: str
    municipality: str
    status: str
    received_at: str
    input: dict[str, Any]
    record: dict[str, Any]
    created_at: str
    updated_at: str
    version: int

    @property
    def last_change(self) -> str:
        """The ``at`` of the latest history entry: a next step may not precede it."""
        return str(self.record["history"][-1]["at"])


APPLICATION_COLUMNS = (
    "seq, id, municipality, status, received_at, input_json, record_json, created_at, updated_at, version"
)


def application_row(values: Sequence[Any]) -> StoredApplication:
    return StoredApplication(
        seq=int(values[0]),
        id=str(values[1]),
        municipality=str(values[2]),
        status=str(values[3]),
        received_at=str(values[4]),
        input=json.loads(values[5]),
        record=json.loads(values[6]),
        created_at=str(values[7]),
        updated_at=str(values[8]),
        version=int(values[9]),
    )
