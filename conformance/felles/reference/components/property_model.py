"""property@1.0 data model: names, scopes, tables, domain errors and stored rows.

Shared by :mod:`.property_service` (behaviour) and :mod:`.property_routes`
(HTTP); it knows neither.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from felles.reference.components.shared import DomainError
from felles.reference.migrations import Migration, statements
from felles.reference.problems import FieldProblem

NAME = "property"
VERSION = "1.0"

SCOPE_READ = "property:read"
SCOPE_WRITE = "property:write"

#: Feiing (sweeping) and tilsyn (inspection): the two services of a fire-safety plan.
SERVICES: tuple[str, ...] = ("sweeping", "inspection")

SENT = "sent"
#: Notice status after each reply answer.
REPLY_STATUSES = {"accept": "accepted", "new-date": "new-date-requested"}

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "properties, their address keys, visits and notices",
        statements(
            # The matrikkelnummer is unique per kommune; fnr/snr are stored as 0 when absent,
            # so 208/163 and 208/163/0/0 are one property.
            """
            CREATE TABLE properties (
                seq INTEGER PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                municipality TEXT NOT NULL,
                cadastral_unit INTEGER NOT NULL,
                property_unit INTEGER NOT NULL,
                leasehold INTEGER NOT NULL,
                section INTEGER NOT NULL,
                input_json TEXT NOT NULL,
                created_at TEXT NOT NULL,
                UNIQUE (municipality, cadastral_unit, property_unit, leasehold, section)
            )
            """,
            "CREATE INDEX properties_by_tenant ON properties (municipality, seq)",
            # One row per address, with case-folded keys, for queries by address.
            """
            CREATE TABLE property_addresses (
                property_seq INTEGER NOT NULL REFERENCES properties (seq),
                street_key TEXT,
                house_number INTEGER,
                letter_key TEXT,
                postal_code TEXT NOT NULL
            )
            """,
            "CREATE INDEX property_addresses_by_property ON property_addresses (property_seq)",
            """
            CREATE TABLE property_visits (
                seq INTEGER PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                property_seq INTEGER NOT NULL REFERENCES properties (seq),
                building_number TEXT NOT NULL,
                input_json TEXT NOT NULL,
                recorded_at TEXT NOT NULL
            )
            """,
            "CREATE INDEX property_visits_by_building "
            "ON property_visits (property_seq, building_number, seq)",
            """
            CREATE TABLE property_notices (
                seq INTEGER PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                property_seq INTEGER NOT NULL REFERENCES properties (seq),
                building_number TEXT NOT NULL,
                input_json TEXT NOT NULL,
                sent_at TEXT NOT NULL,
                status TEXT NOT NULL,
                reply_json TEXT
            )
            """,
            "CREATE INDEX property_notices_by_building "
            "ON property_notices (property_seq, building_number, seq)",
        ),
    ),
)


# --------------------------------------------------------------------------- domain errors


class PropertyError(DomainError):
    """A property@1.0 refusal; the routes map each kind to a problem."""


class InvalidMembersError(DomainError):
    """Valid against the schema but against a rule of the spec: 422 with these pointers.

    Not property-specific: building-permit@1.0 raises it for its own rules too.
    """

    def __init__(self, errors: Sequence[FieldProblem]) -> None:
        super().__init__("; ".join(f"{e.pointer}: {e.detail}" for e in errors))
        self.errors = tuple(errors)


def refuse_invalid(errors: Sequence[FieldProblem]) -> None:
    """Raise :class:`InvalidMembersError` if a rule check found anything."""
    if errors:
        raise InvalidMembersError(errors)


class DuplicatePropertyError(PropertyError):
    """The kommune already has a property with this matrikkelnummer."""

    def __init__(self, display: str) -> None:
        super().__init__(f"matrikkelnummer {display} is already registered")
        self.display = display


class NoticeAnsweredError(PropertyError):
    """A notice takes one reply; the owner asks again through a new notice."""

    def __init__(self, status: str) -> None:
        super().__init__(f"the notice is already {status}")
        self.status = status


# --------------------------------------------------------------------------- stored rows


@dataclass(frozen=True)
class StoredProperty:
    """One row of ``properties``."""

    seq: int
    id: str
    municipality: str
    input: dict[str, Any]
    created_at: str

    def building(self, number: str) -> dict[str, Any] | None:
        """The building with this bygningsnummer, if the property has it."""
        return next((b for b in self.input["buildings"] if b["buildingNumber"] == number), None)

    def owner_numbers(self) -> set[str]:
        """Fødselsnummer/D-nummer and organisasjonsnummer of every owner."""
        parties = [owner.get("person") or owner.get("organization") or {} for owner in self.input["owners"]]
        return {str(p.get("nationalIdentityNumber") or p.get("organizationNumber")) for p in parties}


@dataclass(frozen=True)
class StoredNotice:
    """One row of ``property_notices`` with its property's id."""

    seq: int
    id: str
    property_id: str
    building_number: str
    input: dict[str, Any]
    sent_at: str
    status: str
    reply: dict[str, Any] | None


@dataclass(frozen=True)
class PropertyFilter:
    """The query parameters of GET /properties, already parsed; None = not given."""

    cadastral_unit: int | None = None
    property_unit: int | None = None
    leasehold: int | None = None
    section: int | None = None
    street_key: str | None = None
    house_number: int | None = None
    letter_key: str | None = None
    postal_code: str | None = None
    #: Every given parameter as sent, for next links and the cursor fingerprint.
    given: dict[str, str] = field(default_factory=dict)


PROPERTY_COLUMNS = "p.seq, p.id, p.municipality, p.input_json, p.created_at"
NOTICE_COLUMNS = "n.seq, n.id, p.id, n.building_number, n.input_json, n.sent_at, n.status, n.reply_json"


def property_row(values: Sequence[Any]) -> StoredProperty:
    return StoredProperty(
        seq=int(values[0]),
        id=str(values[1]),
        municipality=str(values[2]),
        input=json.loads(values[3]),
        created_at=str(values[4]),
    )


def notice_row(values: Sequence[Any]) -> StoredNotice:
    return StoredNotice(
        seq=int(values[0]),
        id=str(values[1]),
        property_id=str(values[2]),
        building_number=str(values[3]),
        input=json.loads(values[4]),
        sent_at=str(values[5]),
        status=str(values[6]),
        reply=None if values[7] is None else json.loads(values[7]),
    )
