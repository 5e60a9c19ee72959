"""service-request@1.0 data model: names, scopes, the catalogue and the lifecycle as data,
tables, domain errors and stored rows.

Shared by :mod:`.service_request_service` (behaviour), :mod:`.service_request_public`
(the public view) and :mod:`.service_request_routes` (HTTP); it knows none of them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from felles.reference.components.shared import DomainError
from felles.reference.migrations import Migration, statements

NAME = "service-request"
VERSION = "1.0"

SCOPE_READ = "service-request:read"
SCOPE_WRITE = "service-request:write"

STATUSES: tuple[str, ...] = ("received", "in-progress", "resolved", "rejected")
INITIAL_STATUS = "received"

#: The lifecycle of spec section "Lifecycle", as data: from status -> allowed targets.
ALLOWED_CHANGES: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "received": frozenset({"in-progress", "rejected"}),
        "in-progress": frozenset({"resolved", "rejected"}),
        "resolved": frozenset(),
        "rejected": frozenset(),
    }
)

#: Decoded photo size limit, and a body limit with room for three photos in base64.
MAX_PHOTO_BYTES = 1024 * 1024
MAX_REQUEST_BODY_BYTES = 6 * 1024 * 1024

#: The catalogue the reference offers: the codes the spec recommends, in bokmål, nynorsk, English.
CATALOGUE: tuple[Mapping[str, Any], ...] = tuple(
    MappingProxyType({"code": code, "name": {"nb": nb, "nn": nn, "en": en}, "group": group})
    for code, nb, nn, en, group in (
        ("pothole", "Hull i vegen", "Hol i vegen", "Pothole", "Veg"),
        ("street-light", "Gatelys", "Gatelys", "Street light", "Veg"),
        ("snow-clearing", "Brøyting", "Brøyting", "Snow clearing", "Veg"),
        ("water-leak", "Vannlekkasje", "Vasslekkasje", "Water leak", "Vann og avløp"),
        ("blocked-drain", "Tett sluk", "Tett sluk", "Blocked drain", "Vann og avløp"),
        ("littering", "Forsøpling", "Forsøpling", "Littering", "Renovasjon"),
        ("graffiti", "Tagging", "Tagging", "Graffiti", "Bygg og eiendom"),
        ("fallen-tree", "Veltet tre", "Velta tre", "Fallen tree", "Park og friområder"),
    )
)

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "service requests, their photos and the notices to their reporters",
        statements(
            f"""
            CREATE TABLE sr_requests (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                id TEXT NOT NULL UNIQUE,
                municipality TEXT NOT NULL,
                input_json TEXT NOT NULL CHECK (json_valid(input_json)),
                status TEXT NOT NULL CHECK (status IN ({", ".join(f"'{s}'" for s in STATUSES)})),
                history_json TEXT NOT NULL CHECK (json_valid(history_json)),
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                version INTEGER NOT NULL CHECK (version >= 1),
                CHECK (json_extract(history_json, '$[#-1].status') = status)
            )
            """,
            "CREATE INDEX sr_requests_by_tenant ON sr_requests (municipality, seq)",
            "CREATE INDEX sr_requests_by_tenant_status ON sr_requests (municipality, status, seq)",
            """
            CREATE TABLE sr_photos (
                request_seq INTEGER NOT NULL REFERENCES sr_requests (seq),
                number INTEGER NOT NULL CHECK (number >= 1),
                media_type TEXT NOT NULL,
                content BLOB NOT NULL,
                PRIMARY KEY (request_seq, number)
            )
            """,
            """
            CREATE TABLE sr_notifications (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                request_seq INTEGER NOT NULL REFERENCES sr_requests (seq),
                notification_json TEXT NOT NULL CHECK (json_valid(notification_json))
            )
            """,
            "CREATE INDEX sr_notifications_by_request ON sr_notifications (request_seq, seq)",
        ),
    ),
)


# --------------------------------------------------------------------------- domain errors


class ServiceRequestError(DomainError):
    """A refusal specific to service-request; the routes map each kind to a problem."""


class ChangeNotAllowedError(ServiceRequestError):
    def __init__(self, current: str, to: str) -> None:
        super().__init__(f"cannot move a service request from {current!r} to {to!r}")
        self.current = current
        self.to = to


# --------------------------------------------------------------------------- rows


@dataclass(frozen=True)
class StoredRequest:
    """One row of ``sr_requests``; ``input`` is the ServiceRequestInput with its photos
    described, not contained."""

    seq: int
    id: str
    municipality: str
    input: dict[str, Any]
    status: str
    history: list[dict[str, Any]]
    created_at: str
    updated_at: str
    version: int

    @property
    def reporter(self) -> Mapping[str, Any]:
        reporter = self.input.get("reporter")
        return reporter if isinstance(reporter, Mapping) else {}


@dataclass(frozen=True)
class Photo:
    """A decoded photo: its number in the request, media type and bytes."""

    number: int
    media_type: str
    content: bytes


REQUEST_COLUMNS = "seq, id, municipality, input_json, status, history_json, created_at, updated_at, version"


def request_row(values: Sequence[Any]) -> StoredRequest:
    return StoredRequest(
        seq=int(values[0]),
        id=str(values[1]),
        municipality=str(values[2]),
        input=json.loads(values[3]),
        status=str(values[4]),
        history=json.loads(values[5]),
        created_at=str(values[6]),
        updated_at=str(values[7]),
        version=int(values[8]),
    )
