"""case-archive@1.0 data model: names, scopes, rules as data, tables, domain errors, stored rows.

Shared by :mod:`.case_archive_service` (behaviour) and :mod:`.case_archive_routes`
(HTTP); it knows neither. The errors and wire types every component shares are in
:mod:`.shared`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from felles.reference.components.shared import DomainError
from felles.reference.migrations import Migration, statements

NAME = "case-archive"
VERSION = "1.0"

SCOPE_READ = "case-archive:read"
SCOPE_WRITE = "case-archive:write"
SCOPE_SCREENED = "case-archive:screened"

#: ``formatVersion`` of every export this implementation writes and the only one it reads.
EXPORT_FORMAT = "case-archive/1.0"
#: ``source.system`` of exports: names the software, not the kommune.
SYSTEM_NAME = "felles-reference"
#: ``actor`` when a token names no client (no ``sub``): the event is still recorded.
UNKNOWN_ACTOR = "unknown-client"

STATUSES: tuple[str, ...] = ("open", "closed")
INITIAL_STATUS = "open"
ENTRY_STATUS = "registered"
#: Members a ``screening`` may withhold (RegistryEntryInput ``screenedMembers``).
SCREENABLE_MEMBERS: tuple[str, ...] = ("title", "correspondents")

#: Saksstatus as data: open (B, under behandling) <-> closed (A, avsluttet); reopening is allowed.
ALLOWED_TRANSITIONS: Mapping[str, frozenset[str]] = MappingProxyType(
    {"open": frozenset({"closed"}), "closed": frozenset({"open"})}
)
#: The audit action that records a transition *to* a status.
TRANSITION_ACTIONS: Mapping[str, str] = MappingProxyType({"closed": "case-closed", "open": "case-reopened"})

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "case files and their numbering",
        statements(
            """
            CREATE TABLE case_files (
                seq INTEGER PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                municipality TEXT NOT NULL,
                case_year INTEGER NOT NULL,
                case_sequence INTEGER NOT NULL,
                status TEXT NOT NULL,
                input_json TEXT NOT NULL,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                closed_at TEXT,
                version INTEGER NOT NULL,
                UNIQUE (municipality, case_year, case_sequence)
            )
            """,
            "CREATE INDEX case_files_by_tenant ON case_files (municipality, seq)",
            "CREATE INDEX case_files_by_tenant_status ON case_files (municipality, status, seq)",
            # The last sakssekvensnummer handed out per kommune and year: numbers are never reused,
            # even if a case file row were ever removed.
            """
            CREATE TABLE case_sequence_counters (
                municipality TEXT NOT NULL,
                case_year INTEGER NOT NULL,
                last_sequence INTEGER NOT NULL,
                PRIMARY KEY (municipality, case_year)
            )
            """,
        ),
    ),
    Migration(
        2,
        "registry entries",
        statements(
            """
            CREATE TABLE case_registry_entries (
                seq INTEGER PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                case_seq INTEGER NOT NULL REFERENCES case_files (seq),
                entry_number INTEGER NOT NULL,
                status TEXT NOT NULL,
                input_json TEXT NOT NULL,
                created_at TEXT NOT NULL,
                UNIQUE (case_seq, entry_number)
            )
            """,
        ),
    ),
    Migration(
        3,
        "documents and versions",
        statements(
            """
            CREATE TABLE case_documents (
                seq INTEGER PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                entry_seq INTEGER NOT NULL REFERENCES case_registry_entries (seq),
                title TEXT NOT NULL,
                role TEXT NOT NULL,
                created_at TEXT NOT NULL,
                version INTEGER NOT NULL
            )
            """,
            "CREATE INDEX case_documents_by_entry ON case_documents (entry_seq, seq)",
            """
            CREATE TABLE case_document_versions (
                document_seq INTEGER NOT NULL REFERENCES case_documents (seq),
                version_number INTEGER NOT NULL,
                input_json TEXT NOT NULL,
                created_at TEXT NOT NULL,
                PRIMARY KEY (document_seq, version_number)
            )
            """,
        ),
    ),
    Migration(
        4,
        "audit trail",
        statements(
            """
            CREATE TABLE case_audit_events (
                seq INTEGER PRIMARY KEY,
                case_seq INTEGER NOT NULL REFERENCES case_files (seq),
                at TEXT NOT NULL,
                actor TEXT NOT NULL,
                action TEXT NOT NULL,
                object_id TEXT NOT NULL,
                detail TEXT
            )
            """,
            "CREATE INDEX case_audit_events_by_case ON case_audit_events (case_seq, seq)",
        ),
    ),
)


# --------------------------------------------------------------------------- domain errors
# (not found, If-Match, Idempotency-Key reuse, unknown cursor: the shared ones in :mod:`.shared`)


class CaseArchiveError(DomainError):
    """A refusal specific to the case archive; the routes map each kind to a problem."""


class TransitionNotAllowedError(CaseArchiveError):
    def __init__(self, current: str, to: str) -> None:
        super().__init__(f"cannot move a case file from {current!r} to {to!r}")
        self.current = current
        self.to = to


class CaseClosedError(CaseArchiveError):
    """The case file is closed (avsluttet): it takes no entries, documents or versions."""

    def __init__(self, case_number: str) -> None:
        super().__init__(f"case file {case_number} is closed")
        self.case_number = case_number


class VersionImmutableError(CaseArchiveError):
    """An archive version (arkivformat) is never changed once stored."""

    def __init__(self, number: int) -> None:
        super().__init__(f"version {number} is an archive version")
        self.number = number


# --------------------------------------------------------------------------- stored rows


@dataclass(frozen=True)
class Caller:
    """Who acts, as the service needs it: the tenant, the audit actor, and screened access."""

    tenant: str
    actor: str
    sees_screened: bool


@dataclass(frozen=True)
class StoredCase:
    """One row of ``case_files``."""

    seq: int
    id: str
    municipality: str
    case_year: int
    case_sequence: int
    status: str
    input: dict[str, Any]
    created_at: str
    updated_at: str
    closed_at: str | None
    version: int

    @property
    def case_number(self) -> str:
        """Saksnummer for display: saksår/sakssekvensnummer."""
        return f"{self.case_year}/{self.case_sequence}"


@dataclass(frozen=True)
class StoredEntry:
    """One row of ``case_registry_entries`` with the case file it belongs to."""

    seq: int
    id: str
    case: StoredCase
    entry_number: int
    status: str
    input: dict[str, Any]
    created_at: str

    @property
    def registry_entry_number(self) -> str:
        """Journalpostnummer for display: saksnummer-dokumentnummer."""
        return f"{self.case.case_number}-{self.entry_number}"


@dataclass(frozen=True)
class StoredVersion:
    """One document version (dokumentobjekt): its number and the stored input members."""

    number: int
    input: dict[str, Any]
    created_at: str


@dataclass(frozen=True)
class StoredDocument:
    """One row of ``case_documents`` with its entry and all its versions, oldest first."""

    seq: int
    id: str
    entry: StoredEntry
    title: str
    role: str
    created_at: str
    version: int
    versions: tuple[StoredVersion, ...]


@dataclass(frozen=True)
class EntryView:
    """A registry entry as one caller may see it (screened members already removed)."""

    entry_id: str
    body: dict[str, Any]


CASE_COLUMNS = (
    "c.seq, c.id, c.municipality, c.case_year, c.case_sequence, c.status, c.input_json, "
    "c.created_at, c.updated_at, c.closed_at, c.version"
)
ENTRY_COLUMNS = "e.seq, e.id, e.entry_number, e.status, e.input_json, e.created_at"
DOCUMENT_COLUMNS = "d.seq, d.id, d.title, d.role, d.created_at, d.version"
ENTRY_WIDTH = 6
DOCUMENT_WIDTH = 6


def case_row(values: Sequence[Any]) -> StoredCase:
    return StoredCase(
        seq=int(values[0]),
        id=str(values[1]),
        municipality=str(values[2]),
        case_year=int(values[3]),
        case_sequence=int(values[4]),
        status=str(values[5]),
        input=json.loads(values[6]),
        created_at=str(values[7]),
        updated_at=str(values[8]),
        closed_at=None if values[9] is None else str(values[9]),
        version=int(values[10]),
    )


def entry_row(values: Sequence[Any], case: StoredCase) -> StoredEntry:
    return StoredEntry(
        seq=int(values[0]),
        id=str(values[1]),
        case=case,
        entry_number=int(values[2]),
        status=str(values[3]),
        input=json.loads(values[4]),
        created_at=str(values[5]),
    )
