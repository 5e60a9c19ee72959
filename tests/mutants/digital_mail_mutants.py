"""Broken variants of the digital-mail@1.0 reference, one fault per requirement.

The faults are the ones that cost a kommune money or trust: a retry that
sends the letter twice, a reservation ignored, everything printed, a failed
delivery that never reaches the recipient.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from starlette.types import ASGIApp

from felles.reference.app import create_app
from felles.reference.components import digital_mail_routes
from felles.reference.components.base import AppContext
from felles.reference.components.digital_mail import DigitalMailComponent, DigitalMailService
from felles.reference.components.digital_mail_document import LetterDocument
from felles.reference.components.digital_mail_model import SCOPE_RECEIPT, Caller, Routing
from felles.reference.components.digital_mail_register import RegisterEntry
from felles.reference.components.digital_mail_service import LetterPage
from felles.reference.components.shared import Created, Representation
from felles.reference.settings import Settings
from tests.mutants.kit import AnySignature, AppFactory, Mutant, blind_validation, lax_context
from tests.mutants.rewrite import Reply, Rewriter

REQ = "/req/digital-mail/"


def _service(service: type[DigitalMailService], **component: Any) -> AppFactory:
    return lambda settings: create_app(settings, components=[DigitalMailComponent(service, **component)])


def _wrapped(**rewrites: Any) -> AppFactory:
    return lambda settings: Rewriter(create_app(settings), **rewrites)


# ------------------------------------------------------------ service faults


class TextChecksum(LetterDocument):
    """The SHA-256 of the base64 text, not of the PDF it encodes."""

    @property
    def sha256(self) -> str:
        return hashlib.sha256(base64.b64encode(self.content)).hexdigest()


class HashesTheBase64(DigitalMailService):
    def read_document(self, document: Mapping[str, Any]) -> LetterDocument:
        read = super().read_document(document)
        return TextChecksum(read.file_name, read.content)


class TrustsAnyPdf(DigitalMailService):
    """Decodes the content and looks no further: truncated, oversized or mismatched PDFs go out."""

    def read_document(self, document: Mapping[str, Any]) -> LetterDocument:
        return LetterDocument(str(document["fileName"]), base64.b64decode(str(document["content"])))


class SendsAgainOnRetry(DigitalMailService):
    def send(self, *args: Any, **kwargs: Any) -> Created[Representation]:
        return super().send(*args, **{**kwargs, "idempotency_key": None})


class IgnoresReservation(DigitalMailService):
    def route(self, entry: RegisterEntry) -> Routing:
        return super().route(RegisterEntry(reserved=False, mailbox=entry.mailbox))


class NeverLooksForAMailbox(DigitalMailService):
    """Prints everyone who is not reserved: the postage bill the component exists to cut."""

    def route(self, entry: RegisterEntry) -> Routing:
        return super().route(RegisterEntry(reserved=entry.reserved, mailbox=None))


class AssumesEveryoneHasDigipost(DigitalMailService):
    def route(self, entry: RegisterEntry) -> Routing:
        return super().route(RegisterEntry(reserved=entry.reserved, mailbox=entry.mailbox or "digipost"))


class IgnoresReferenceFilter(DigitalMailService):
    def list_letters(
        self, caller: Caller, *, sender_reference: str | None, after_id: str | None, limit: int
    ) -> LetterPage:
        return super().list_letters(caller, sender_reference=None, after_id=after_id, limit=limit)


class CrossTenantLetters(DigitalMailService):
    def _load(self, connection: Any, tenant: str, letter_id: str) -> Any:
        row = connection.execute(
            "SELECT municipality FROM mail_letters WHERE id = ?", (letter_id,)
        ).fetchone()
        return super()._load(connection, row[0] if row else tenant, letter_id)


class ReceiptsInAnyOrder(DigitalMailService):
    receipt_transitions = MappingProxyType(
        {
            status: MappingProxyType({"delivered": "delivered", "opened": "opened", "failed": "failed"})
            for status in ("pending", "delivered", "opened", "sent-to-print")
        }
    )


class FailedStaysFailed(DigitalMailService):
    def fall_back_to_print(self, status: str, receipts: list[dict[str, Any]], at: str) -> str:
        return status


# ------------------------------------------------------------ HTTP faults


def _key_made_up(scope: Any) -> Any:
    """A gateway that invents an Idempotency-Key for every POST without one: retries send twice."""
    if scope["method"] == "POST" and not any(k.lower() == b"idempotency-key" for k, _ in scope["headers"]):
        scope["headers"] = [*scope["headers"], (b"idempotency-key", b"made-up-" + str(id(scope)).encode())]
    return scope


def _receipt_replaces_history(reply: Reply) -> None:
    body = reply.json() if reply.headers.get("content-type", "").startswith("application/json") else None
    if reply.path.endswith("/receipts") and isinstance(body, dict) and body.get("receipts"):
        body["receipts"] = body["receipts"][-1:]
        reply.set_json(body)


def _blind_letters(settings: Settings) -> ASGIApp:
    blind_validation(digital_mail_routes, "/LetterInput.schema.json", lambda error: True)
    return create_app(settings)


class _LaxReceipts(DigitalMailComponent):
    def routes(self, context: AppContext) -> Sequence[Any]:
        return super().routes(lax_context(context, SCOPE_RECEIPT))


DIGITAL_MAIL_MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        "digital-mail-declares-no-core",
        "declares digital-mail without class core",
        REQ + "core/conformance",
        _service(DigitalMailService, classes=["receipts"]),
    ),
    Mutant(
        "digital-mail-checksum-of-base64",
        "document.sha256 is computed over the base64 text, not the PDF",
        REQ + "core/send",
        _service(HashesTheBase64),
    ),
    Mutant(
        "digital-mail-no-validation",
        "letters are not validated against LetterInput",
        REQ + "core/reject-invalid",
        _blind_letters,
    ),
    Mutant(
        "digital-mail-trusts-any-pdf",
        "the PDF is not checked beyond its first bytes: truncated or mismatched documents are sent",
        REQ + "core/document-pdf",
        _service(TrustsAnyPdf),
    ),
    Mutant(
        "digital-mail-key-optional",
        "a gateway makes up an Idempotency-Key when the sender gives none",
        REQ + "core/idempotency-key",
        _wrapped(on_request=_key_made_up),
    ),
    Mutant(
        "digital-mail-sends-twice",
        "a retry with the same Idempotency-Key sends the letter again",
        REQ + "core/no-double-send",
        _service(SendsAgainOnRetry),
    ),
    Mutant(
        "digital-mail-prints-everything",
        "the mailbox register is never asked: every letter not reserved is printed",
        REQ + "core/routing-digital",
        _service(NeverLooksForAMailbox),
    ),
    Mutant(
        "digital-mail-ignores-reservation",
        "a reservation against digital communication is ignored",
        REQ + "core/routing-reserved",
        _service(IgnoresReservation),
    ),
    Mutant(
        "digital-mail-assumes-digipost",
        "recipients without a mailbox are sent to Digipost anyway",
        REQ + "core/routing-no-mailbox",
        _service(AssumesEveryoneHasDigipost),
    ),
    Mutant(
        "digital-mail-ignores-reference-filter",
        "GET /letters ignores senderReference",
        REQ + "core/pagination",
        _service(IgnoresReferenceFilter),
    ),
    Mutant(
        "digital-mail-forged-tokens",
        "token signatures are not verified",
        REQ + "core/authentication",
        lambda s: create_app(s, verifier=AnySignature(s)),
    ),
    Mutant(
        "digital-mail-receipt-without-scope",
        "anyone with a token may report receipts (digital-mail:receipt is not required)",
        REQ + "core/scopes",
        lambda s: create_app(s, components=[_LaxReceipts()]),
    ),
    Mutant(
        "digital-mail-cross-tenant",
        "letters of another kommune can be read and receipted by id",
        REQ + "core/tenant-isolation",
        _service(CrossTenantLetters),
    ),
    Mutant(
        "digital-mail-receipt-replaces-history",
        "a new receipt replaces the earlier ones",
        REQ + "receipts/record",
        _wrapped(on_response=_receipt_replaces_history),
    ),
    Mutant(
        "digital-mail-receipts-any-order",
        "any receipt is accepted in any status, also for printed letters",
        REQ + "receipts/forbidden",
        _service(ReceiptsInAnyOrder),
    ),
    Mutant(
        "digital-mail-failed-stays-failed",
        "a failed digital delivery is never sent to print",
        REQ + "receipts/print-fallback",
        _service(FailedStaysFailed),
    ),
)
