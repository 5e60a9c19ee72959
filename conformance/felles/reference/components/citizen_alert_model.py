"""citizen-alert@1.0 data model: names, scopes, rules as data, tables, domain errors, stored rows.

Shared by the service, the recipient resolution and the routes; it knows none of them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from felles.reference.components.shared import DomainError
from felles.reference.migrations import Migration, statements

NAME: Final = "citizen-alert"
VERSION: Final = "1.0"

SCOPE_READ: Final = "citizen-alert:read"
SCOPE_WRITE: Final = "citizen-alert:write"

ACTIVE: Final = "active"
CANCELLED: Final = "cancelled"

#: Notification kinds (Receipt ``notification``) in the order an alert can send them.
INITIAL: Final = "initial"
UPDATE: Final = "update"
CANCELLATION: Final = "cancellation"

DELIVERED: Final = "delivered"
FAILED: Final = "failed"
NO_CONTACT_POINT: Final = "no-contact-point"
CONTACT_OUTDATED: Final = "contact-outdated"

#: KRR: contact details not confirmed for this many calendar months are passive and not used.
CONTACT_VALID_MONTHS: Final = 18

#: CloudEvents ``type`` per alert notification kind, and for receipts.
EVENT_PREFIX: Final = "no.felles.citizen-alert."
ALERT_EVENT_TYPES: Final[Mapping[str, str]] = {
    INITIAL: EVENT_PREFIX + "alert-issued",
    UPDATE: EVENT_PREFIX + "alert-updated",
    CANCELLATION: EVENT_PREFIX + "alert-cancelled",
}
RECEIPT_EVENT_TYPE: Final = EVENT_PREFIX + "receipt-recorded"
#: CloudEvents ``source`` of every event of the reference; ``id`` (a UUID) is unique within it.
EVENT_SOURCE: Final = "urn:felles:reference:citizen-alert:1.0"

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "alert register",
        statements(
            # Positions in both supported CRSs, so an area in either is matched in its own CRS;
            # the address and matrikkel keys make address and cadastral targets plain lookups.
            """
            CREATE TABLE alert_residents (
                seq INTEGER PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                municipality TEXT NOT NULL,
                input_json TEXT NOT NULL,
                lon REAL NOT NULL,
                lat REAL NOT NULL,
                easting REAL NOT NULL,
                northing REAL NOT NULL,
                address_key TEXT,
                unit_number TEXT,
                cadastral_key TEXT,
                leasehold_number INTEGER NOT NULL,
                section_number INTEGER NOT NULL,
                created_at TEXT NOT NULL
            )
            """,
            "CREATE INDEX alert_residents_wgs84 ON alert_residents (municipality, lon, lat)",
            "CREATE INDEX alert_residents_utm33 ON alert_residents (municipality, easting, northing)",
            "CREATE INDEX alert_residents_address ON alert_residents (municipality, address_key)",
            "CREATE INDEX alert_residents_cadastral ON alert_residents (municipality, cadastral_key)",
        ),
    ),
    Migration(
        2,
        "alerts, recipients and receipts",
        statements(
            """
            CREATE TABLE alerts (
                seq INTEGER PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                municipality TEXT NOT NULL,
                status TEXT NOT NULL,
                input_json TEXT NOT NULL,
                current_json TEXT NOT NULL,
                recipient_count INTEGER NOT NULL,
                update_count INTEGER NOT NULL,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                cancelled_at TEXT,
                version INTEGER NOT NULL
            )
            """,
            "CREATE INDEX alerts_by_tenant ON alerts (municipality, seq)",
            """
            CREATE TABLE alert_recipients (
                alert_seq INTEGER NOT NULL REFERENCES alerts (seq),
                resident_seq INTEGER NOT NULL REFERENCES alert_residents (seq),
                PRIMARY KEY (alert_seq, resident_seq)
            )
            """,
            """
            CREATE TABLE alert_receipts (
                seq INTEGER PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                alert_seq INTEGER NOT NULL REFERENCES alerts (seq),
                resident_id TEXT NOT NULL,
                notification TEXT NOT NULL,
                sequence INTEGER NOT NULL,
                channel TEXT NOT NULL,
                status TEXT NOT NULL,
                reason TEXT,
                status_at TEXT NOT NULL
            )
            """,
            "CREATE INDEX alert_receipts_by_alert ON alert_receipts (alert_seq, seq)",
        ),
    ),
    Migration(
        3,
        "event feed",
        statements(
            """
            CREATE TABLE alert_events (
                seq INTEGER PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                municipality TEXT NOT NULL,
                type TEXT NOT NULL,
                subject TEXT NOT NULL,
                time TEXT NOT NULL,
                data_json TEXT NOT NULL
            )
            """,
            "CREATE INDEX alert_events_by_tenant ON alert_events (municipality, seq)",
        ),
    ),
)


def instant(text: str) -> datetime:
    """A schema-validated RFC 3339 date-time (``t``/``z`` allowed in lower case) as an aware datetime."""
    return datetime.fromisoformat(text.upper())


# --------------------------------------------------------------------------- domain errors


class CitizenAlertError(DomainError):
    """A refusal specific to citizen alerts; the routes map each kind to a problem."""


class AlertCancelledError(CitizenAlertError):
    """A cancelled alert is final: no update, no second cancellation."""

    def __init__(self, alert_id: str) -> None:
        super().__init__(f"alert {alert_id} is cancelled")
        self.alert_id = alert_id


class UnknownEventError(CitizenAlertError):
    """``after`` names no event of this kommune's feed."""

    def __init__(self, event_id: str) -> None:
        super().__init__(f"no event {event_id[:64]!r}")


@dataclass(frozen=True)
class FieldIssue:
    """One member of a body that is valid against its schema but still wrong."""

    pointer: str
    detail: str


class InvalidInputError(CitizenAlertError):
    """Rules the schema cannot express: a valid polygon, Norway's extent, validTo after validFrom."""

    def __init__(self, issues: Sequence[FieldIssue]) -> None:
        super().__init__("; ".join(f"{i.pointer}: {i.detail}" for i in issues))
        self.issues = tuple(issues)


# --------------------------------------------------------------------------- stored rows


@dataclass(frozen=True)
class StoredResident:
    """One row of ``alert_residents``."""

    seq: int
    id: str
    municipality: str
    input: dict[str, Any]
    created_at: str


@dataclass(frozen=True)
class StoredAlert:
    """One row of ``alerts``: the submitted input and the members updates have replaced."""

    seq: int
    id: str
    municipality: str
    status: str
    input: dict[str, Any]
    current: dict[str, Any]
    recipient_count: int
    update_count: int
    created_at: str
    updated_at: str
    cancelled_at: str | None
    version: int

    @property
    def channels(self) -> list[str]:
        return list(self.input["channels"])


RESIDENT_COLUMNS: Final = "r.seq, r.id, r.municipality, r.input_json, r.created_at"
ALERT_COLUMNS: Final = (
    "a.seq, a.id, a.municipality, a.status, a.input_json, a.current_json, a.recipient_count, "
    "a.update_count, a.created_at, a.updated_at, a.cancelled_at, a.version"
)


def resident_row(values: Sequence[Any]) -> StoredResident:
    return StoredResident(
        seq=int(values[0]),
        id=str(values[1]),
        municipality=str(values[2]),
        input=json.loads(values[3]),
        created_at=str(values[4]),
    )


def alert_row(values: Sequence[Any]) -> StoredAlert:
    return StoredAlert(
        seq=int(values[0]),
        id=str(values[1]),
        municipality=str(values[2]),
        status=str(values[3]),
        input=json.loads(values[4]),
        current=json.loads(values[5]),
        recipient_count=int(values[6]),
        update_count=int(values[7]),
        created_at=str(values[8]),
        updated_at=str(values[9]),
        cancelled_at=None if values[10] is None else str(values[10]),
        version=int(values[11]),
    )
