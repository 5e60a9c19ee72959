"""digital-mail@1.0 data model: names, scopes, the receipt status machine as data, tables,
domain errors and stored rows.

Shared by :mod:`.digital_mail_service` (behaviour) and :mod:`.digital_mail_routes` (HTTP);
it knows neither.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from felles.reference.components.shared import DomainError
from felles.reference.migrations import Migration, statements

NAME = "digital-mail"
VERSION = "1.0"

SCOPE_READ = "digital-mail:read"
SCOPE_WRITE = "digital-mail:write"
SCOPE_RECEIPT = "digital-mail:receipt"

#: Decoded PDF size limit (4 MiB) and a request body limit with room for its base64 (4/3 of it).
MAX_DOCUMENT_BYTES = 4 * 1024 * 1024
MAX_LETTER_BODY_BYTES = 8 * 1024 * 1024
#: ``%%EOF`` must lie within the last this-many bytes (ISO 32000 readers look no further).
EOF_WINDOW = 1024

PENDING = "pending"
SENT_TO_PRINT = "sent-to-print"
FAILED = "failed"

#: Receipts a channel may report, by the letter's status: receipt type -> the status it leads to.
#: ``failed`` never stays: the system's own ``sent-to-print`` follows at once (the fallback).
CHANNEL_RECEIPTS: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        PENDING: MappingProxyType({"delivered": "delivered", FAILED: FAILED}),
        "delivered": MappingProxyType({"opened": "opened"}),
    }
)

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "letters and their documents",
        statements(
            """
            CREATE TABLE mail_letters (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                id TEXT NOT NULL UNIQUE,
                municipality TEXT NOT NULL,
                sender_reference TEXT NOT NULL,
                input_json TEXT NOT NULL CHECK (json_valid(input_json)),
                recipient_status TEXT NOT NULL
                    CHECK (recipient_status IN ('mailbox', 'reserved', 'no-mailbox')),
                channel TEXT NOT NULL CHECK (channel IN ('digital', 'print')),
                mailbox TEXT,
                status TEXT NOT NULL,
                receipts_json TEXT NOT NULL CHECK (json_valid(receipts_json)),
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                version INTEGER NOT NULL CHECK (version >= 1),
                CHECK ((channel = 'digital') = (mailbox IS NOT NULL))
            )
            """,
            "CREATE INDEX mail_letters_by_tenant ON mail_letters (municipality, seq)",
            "CREATE INDEX mail_letters_by_reference ON mail_letters (municipality, sender_reference, seq)",
            # The PDF itself, kept apart so lists never read megabytes they do not show.
            """
            CREATE TABLE mail_documents (
                letter_seq INTEGER PRIMARY KEY REFERENCES mail_letters (seq),
                content BLOB NOT NULL
            )
            """,
        ),
    ),
)


# --------------------------------------------------------------------------- domain errors


class DigitalMailError(DomainError):
    """A refusal specific to digital-mail; the routes map each kind to a problem."""


class ReceiptNotAllowedError(DigitalMailError):
    def __init__(self, status: str, receipt: str) -> None:
        super().__init__(f"a {receipt!r} receipt is not allowed for a letter that is {status!r}")
        self.status = status
        self.receipt = receipt


# --------------------------------------------------------------------------- rows


@dataclass(frozen=True)
class Caller:
    """Who acts: the tenant (kommune) only; letters carry no audit actor in 1.0."""

    tenant: str


@dataclass(frozen=True)
class Routing:
    """Where a letter goes, as the channel rule decided from the contact register."""

    recipient_status: str
    channel: str
    mailbox: str | None


@dataclass(frozen=True)
class StoredLetter:
    """One row of ``mail_letters``; ``input`` is the LetterInput with the document described,
    not contained."""

    seq: int
    id: str
    municipality: str
    input: dict[str, Any]
    routing: Routing
    status: str
    receipts: list[dict[str, Any]]
    created_at: str
    updated_at: str
    version: int


LETTER_COLUMNS = (
    "seq, id, municipality, input_json, recipient_status, channel, mailbox, status, receipts_json, "
    "created_at, updated_at, version"
)


def letter_row(values: Sequence[Any]) -> StoredLetter:
    return StoredLetter(
        seq=int(values[0]),
        id=str(values[1]),
        municipality=str(values[2]),
        input=json.loads(values[3]),
        routing=Routing(str(values[4]), str(values[5]), None if values[6] is None else str(values[6])),
        status=str(values[7]),
        receipts=json.loads(values[8]),
        created_at=str(values[9]),
        updated_at=str(values[10]),
        version=int(values[11]),
    )
