"""Vendor-style faults in digital-mail@1.0 beyond the one-per-requirement catalogue
(``tests/mutants/digital_mail_mutants.py``): the register answer read in the wrong
order, a printed letter without its receipt, the fallback receipts in the wrong
order, a checksum written in capitals, idempotency keys shared by every kommune,
and receipts stamped with the local clock reading.

``kills`` names the requirement whose check is expected to fail first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tests.mutants.kit import AppFactory, Mutant
from tests.mutants.rewrite import Reply, Rewriter

from benchmarks.mutants import faults
from felles.reference.app import create_app
from felles.reference.components.digital_mail import DigitalMailComponent, DigitalMailService
from felles.reference.components.digital_mail_document import LetterDocument
from felles.reference.components.digital_mail_model import FAILED, SENT_TO_PRINT, Routing
from felles.reference.components.digital_mail_register import RegisterEntry
from felles.reference.storage import Database

REQ = "/req/digital-mail/"


def _service(service: type[DigitalMailService]) -> AppFactory:
    return lambda settings: create_app(settings, components=[DigitalMailComponent(service)])


def _wrapped(**rewrites: Any) -> AppFactory:
    return lambda settings: Rewriter(create_app(settings, components=[DigitalMailComponent()]), **rewrites)


# ------------------------------------------------------------ service faults


class MailboxBeforeReservation(DigitalMailService):
    """Asks "has a mailbox?" before "is reserved?": a reserved person without a mailbox is
    recorded as ``no-mailbox`` (printed all the same, but the reservation is lost)."""

    def route(self, entry: RegisterEntry) -> Routing:
        if entry.mailbox is None:
            return Routing("no-mailbox", "print", None)
        return super().route(entry)


class FallbackBeforeFailed(DigitalMailService):
    """Records the fallback to print before the failure that caused it."""

    def fall_back_to_print(self, status: str, receipts: list[dict[str, Any]], at: str) -> str:
        if status != FAILED:
            return status
        receipts.insert(-1, {"type": SENT_TO_PRINT, "at": at, "detail": "digital delivery failed"})
        return SENT_TO_PRINT


class UpperCaseDigest(LetterDocument):
    """``printHexBinary``: the SHA-256 in upper-case hex."""

    @property
    def sha256(self) -> str:
        return super().sha256.upper()


class UpperCaseChecksum(DigitalMailService):
    def read_document(self, document: Mapping[str, Any]) -> LetterDocument:
        read = super().read_document(document)
        return UpperCaseDigest(read.file_name, read.content)


class KeysAcrossKommuner(DigitalMailService):
    """Idempotency keys are not scoped to the caller's kommune."""

    def __init__(self, database: Database, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        self.send_keys = faults.SharedKeys(self.send_keys.scope)


# ------------------------------------------------------------ HTTP faults


def _print_receipt_missing(reply: Reply) -> None:
    """A printed letter shows no receipt until the print house confirms (which never comes)."""
    body = faults.json_body(reply)
    if reply.status < 300 and isinstance(body, dict) and body.get("channel") == "print":
        body["receipts"] = [r for r in body.get("receipts", []) if r.get("type") != SENT_TO_PRINT]
        reply.set_json(body)


def _m(name: str, fault: str, requirement: str, build: AppFactory) -> Mutant:
    return Mutant(name, fault, REQ + requirement, build)


DIGITAL_MAIL_VENDOR_MUTANTS: tuple[Mutant, ...] = (
    _m(
        "digital-mail-mailbox-before-reservation",
        "a reserved person without a digital mailbox is recorded as no-mailbox, not reserved",
        "core/routing-reserved",
        _service(MailboxBeforeReservation),
    ),
    _m(
        "digital-mail-print-without-receipt",
        "a letter sent to print at once has status sent-to-print but no sent-to-print receipt",
        "core/routing-no-mailbox",
        _wrapped(on_response=_print_receipt_missing),
    ),
    _m(
        "digital-mail-fallback-before-failed",
        "after a failed delivery the receipts end sent-to-print, failed (the wrong order)",
        "receipts/print-fallback",
        _service(FallbackBeforeFailed),
    ),
    _m(
        "digital-mail-upper-case-sha256",
        "document.sha256 is written in upper-case hex",
        "core/send",
        _service(UpperCaseChecksum),
    ),
    _m(
        "digital-mail-keys-across-kommuner",
        "Idempotency-Key is not scoped to the kommune: another kommune's retry gets this one's letter",
        "core/tenant-isolation",
        _service(KeysAcrossKommuner),
    ),
    _m(
        "digital-mail-receipts-local-time",
        "receipts are stamped with Oslo summer time labelled Z (two hours ahead)",
        "receipts/record",
        _wrapped(on_response=faults.map_timestamps(faults.oslo_labelled_utc, only="at")),
    ),
)
