"""digital-mail@1.0 (digital post): sending exactly once, choosing the channel, receipts.

:class:`DigitalMailService` holds the behaviour the spec requires, independent
of HTTP, with plain seams (``register``, ``route``, ``read_document``,
``receipt_transitions``, ``fall_back_to_print``, ``now`` and one method per
operation). Tests build deliberately broken variants ("mutants") by
subclassing it — production code has no fault flags.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Mapping
from typing import Any, ClassVar

from felles.reference.auth import Principal
from felles.reference.components.base import Clock, utc_now
from felles.reference.components.digital_mail_document import LetterDocument, read_document
from felles.reference.components.digital_mail_model import (
    CHANNEL_RECEIPTS,
    FAILED,
    LETTER_COLUMNS,
    NAME,
    PENDING,
    SENT_TO_PRINT,
    VERSION,
    Caller,
    ReceiptNotAllowedError,
    Routing,
    StoredLetter,
    letter_row,
)
from felles.reference.components.digital_mail_register import (
    RecipientRegister,
    RegisterEntry,
    channel_for,
)
from felles.reference.components.shared import (
    Created,
    PageResult,
    Representation,
    create_idempotently,
    entity_tag,
    format_timestamp,
    json_text,
    keyset_rows,
    later,
    owned_row,
)
from felles.reference.http import render_json
from felles.reference.storage import Database, IdempotencyStore

#: Why a letter went to print at once, as the system's own sent-to-print receipt says.
PRINT_REASONS: Mapping[str, str] = {
    "reserved": "the recipient is reserved against digital communication",
    "no-mailbox": "the recipient has no digital mailbox",
}


#: A page of letters (the name the mutant tests import).
LetterPage = PageResult


class DigitalMailService:
    """The behaviour of digital-mail@1.0. Every operation is tenant-scoped."""

    receipt_transitions: ClassVar[Mapping[str, Mapping[str, str]]] = CHANNEL_RECEIPTS

    def __init__(
        self, database: Database, clock: Clock = utc_now, register: RecipientRegister | None = None
    ) -> None:
        self.database = database
        self.clock = clock
        self.register = register if register is not None else RecipientRegister.test_recipients()
        self.send_keys = IdempotencyStore(f"{NAME}@{VERSION} send")

    # ---- seams

    def caller(self, principal: Principal) -> Caller:
        return Caller(tenant=principal.municipality)

    def now(self) -> str:
        return format_timestamp(self.clock())

    def route(self, entry: RegisterEntry) -> Routing:
        return channel_for(entry)

    def read_document(self, document: Mapping[str, Any]) -> LetterDocument:
        return read_document(document)

    def fall_back_to_print(self, status: str, receipts: list[dict[str, Any]], at: str) -> str:
        """After a failed digital delivery the letter goes to print at once; returns the status."""
        if status != FAILED:
            return status
        receipts.append({"type": SENT_TO_PRINT, "at": at, "detail": "digital delivery failed"})
        return SENT_TO_PRINT

    # ---- representations

    def letter_resource(self, letter: StoredLetter) -> dict[str, Any]:
        resource: dict[str, Any] = {
            "id": letter.id,
            "municipalityNumber": letter.municipality,
            **letter.input,
            "recipientStatus": letter.routing.recipient_status,
            "channel": letter.routing.channel,
        }
        if letter.routing.mailbox is not None:
            resource["mailbox"] = letter.routing.mailbox
        resource.update(
            status=letter.status,
            receipts=letter.receipts,
            createdAt=letter.created_at,
            updatedAt=letter.updated_at,
        )
        return resource

    def represent(self, letter: StoredLetter) -> Representation:
        etag = entity_tag("letter", letter.id, letter.version)
        return Representation(letter.id, render_json(self.letter_resource(letter)), etag)

    # ---- storage

    def _insert(
        self,
        connection: sqlite3.Connection,
        tenant: str,
        letter_input: Mapping[str, Any],
        document: LetterDocument,
        routing: Routing,
    ) -> StoredLetter:
        now = self.now()
        stored_input = {**letter_input, "document": document.description()}
        receipts: list[dict[str, Any]] = []
        status = PENDING
        if routing.channel == "print":
            status = SENT_TO_PRINT
            receipts.append(
                {"type": SENT_TO_PRINT, "at": now, "detail": PRINT_REASONS[routing.recipient_status]}
            )
        letter_id = str(uuid.uuid4())
        cursor = connection.execute(
            "INSERT INTO mail_letters (id, municipality, sender_reference, input_json, recipient_status, "
            "channel, mailbox, status, receipts_json, created_at, updated_at, version) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
            (
                letter_id,
                tenant,
                str(letter_input["senderReference"]),
                json_text(stored_input),
                routing.recipient_status,
                routing.channel,
                routing.mailbox,
                status,
                json_text(receipts),
                now,
                now,
            ),
        )
        assert cursor.lastrowid is not None
        connection.execute(
            "INSERT INTO mail_documents (letter_seq, content) VALUES (?, ?)",
            (cursor.lastrowid, document.content),
        )
        return self._load(connection, tenant, letter_id)

    def _load(self, connection: sqlite3.Connection, tenant: str, letter_id: str) -> StoredLetter:
        return letter_row(owned_row(connection, "mail_letters", LETTER_COLUMNS, letter_id, tenant, "letter"))

    # ---- operations

    def send(
        self,
        caller: Caller,
        letter_input: Mapping[str, Any],
        document: LetterDocument,
        *,
        idempotency_key: str | None,
    ) -> Created[Representation]:
        """Route and store the letter once per Idempotency-Key; a repeat replays the first answer."""
        routing = self.route(self.register.lookup(letter_input["recipient"]))
        return create_idempotently(
            self.database,
            self.send_keys,
            caller.tenant,
            letter_input,
            idempotency_key,
            insert=lambda connection: self._insert(
                connection, caller.tenant, letter_input, document, routing
            ),
            represent=self.represent,
            replay=Representation.from_stored,
        )

    def get(self, caller: Caller, letter_id: str) -> Representation:
        with self.database.connection() as connection:
            return self.represent(self._load(connection, caller.tenant, letter_id))

    def list_letters(
        self, caller: Caller, *, sender_reference: str | None, after_id: str | None, limit: int
    ) -> LetterPage:
        """Keyset page in sending order, continuing after the letter ``after_id``."""
        with self.database.transaction(write=False) as connection:
            rows, has_more = keyset_rows(
                connection,
                "mail_letters",
                LETTER_COLUMNS,
                owner=("municipality", caller.tenant),
                after_id=after_id,
                limit=limit,
                equal={"sender_reference": sender_reference},
            )
        letters = [letter_row(row) for row in rows]
        return PageResult.of(letters, has_more, self.letter_resource, lambda letter: letter.id)

    def record_receipt(self, caller: Caller, letter_id: str, receipt: Mapping[str, Any]) -> Representation:
        """A channel's receipt through the status machine: 404, then 409, else the new state."""
        with self.database.transaction(write=True) as connection:
            letter = self._load(connection, caller.tenant, letter_id)
            kind = str(receipt["type"])
            status = self.receipt_transitions.get(letter.status, {}).get(kind)
            if status is None:
                raise ReceiptNotAllowedError(letter.status, kind)
            at = later(self.now(), letter.updated_at)
            entry: dict[str, Any] = {"type": kind, "at": at}
            if "detail" in receipt:
                entry["detail"] = receipt["detail"]
            receipts = [*letter.receipts, entry]
            status = self.fall_back_to_print(status, receipts, at)
            connection.execute(
                "UPDATE mail_letters SET status = ?, receipts_json = ?, updated_at = ?, "
                "version = version + 1 WHERE seq = ?",
                (status, json_text(receipts), at, letter.seq),
            )
            return self.represent(self._load(connection, caller.tenant, letter_id))
