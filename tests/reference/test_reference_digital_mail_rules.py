"""digital-mail@1.0 rules without HTTP: the channel rule, the test-recipient register and the
PDF checks, each on its own."""

from __future__ import annotations

import base64
import hashlib

import pytest
from tests.reference.test_reference_digital_mail import example_pdf, padded

from felles.formats import is_national_identity_number
from felles.formats.organization import is_organization_number
from felles.reference.components.digital_mail_document import DocumentRejectedError, read_document
from felles.reference.components.digital_mail_model import Routing
from felles.reference.components.digital_mail_register import (
    UNKNOWN,
    RecipientRegister,
    RegisterEntry,
    channel_for,
)
from felles.standard import default_catalogue
from felles.standard.registry import load_json

RECIPIENTS = load_json(default_catalogue().get("digital-mail@1.0").schema_dir / "test-recipients.json")


@pytest.mark.parametrize(
    ("entry", "routing"),
    [
        (RegisterEntry(reserved=True, mailbox="digipost"), Routing("reserved", "print", None)),
        (RegisterEntry(reserved=True, mailbox=None), Routing("reserved", "print", None)),
        (RegisterEntry(reserved=False, mailbox="e-boks"), Routing("mailbox", "digital", "e-boks")),
        (UNKNOWN, Routing("no-mailbox", "print", None)),
    ],
)
def test_channel_rule(entry: RegisterEntry, routing: Routing) -> None:
    assert channel_for(entry) == routing


def test_test_recipients_are_synthetic_valid_and_cover_every_channel() -> None:
    records = RECIPIENTS["recipients"]
    for record in records:
        if record["type"] == "person":
            number = record["nationalIdentityNumber"]
            assert is_national_identity_number(number), number
            assert int(number[2:4]) > 80, f"{number} is not a Tenor synthetic number (month + 80)"
        else:
            assert is_organization_number(record["organizationNumber"])
            assert record["organizationNumber"].startswith("3")
            assert not record["reserved"]
    register = RecipientRegister.from_records(records)
    kinds = {channel_for(register.lookup(record)).recipient_status for record in records}
    assert kinds == {"mailbox", "reserved", "no-mailbox"}


def test_register_looks_up_letter_recipients_by_identity() -> None:
    register = RecipientRegister.test_recipients()
    person = {"type": "person", "person": {"nationalIdentityNumber": "21906610032"}}
    organization = {"type": "organization", "organization": {"organizationNumber": "310000019"}}
    assert register.lookup(person) == RegisterEntry(reserved=True, mailbox="digipost")
    assert register.lookup(organization) == RegisterEntry(reserved=False, mailbox="altinn")
    assert register.lookup({"type": "person", "person": {"nationalIdentityNumber": "15507600333"}}) == UNKNOWN


def _document(content: bytes, **extra: str) -> dict[str, str]:
    return {"fileName": "brev.pdf", "content": base64.b64encode(content).decode(), **extra}


def test_an_acceptable_pdf_is_described_without_its_content() -> None:
    pdf = example_pdf()
    read = read_document(_document(pdf, sha256=hashlib.sha256(pdf).hexdigest()))
    assert read.description() == {
        "fileName": "brev.pdf",
        "mediaType": "application/pdf",
        "sizeBytes": len(pdf),
        "sha256": hashlib.sha256(pdf).hexdigest(),
    }


def test_eof_marker_may_be_followed_by_up_to_a_kilobyte() -> None:
    pdf = example_pdf() + b" " * 1000
    assert read_document(_document(pdf)).content == pdf
    with pytest.raises(DocumentRejectedError):
        read_document(_document(pdf + b" " * 100))


@pytest.mark.parametrize(
    ("content", "pointer", "words"),
    [
        (b"%PDF-1.7\n", "/document/content", "%%EOF"),
        (b"GIF89a" + example_pdf(), "/document/content", "%PDF-"),
        (padded(example_pdf(), 4 * 1024 * 1024 + 1), "/document/content", "at most"),
    ],
)
def test_unacceptable_content_points_at_the_member(content: bytes, pointer: str, words: str) -> None:
    with pytest.raises(DocumentRejectedError) as refused:
        read_document(_document(content))
    assert [(e.pointer, words in e.detail) for e in refused.value.errors] == [(pointer, True)]


def test_a_wrong_checksum_points_at_sha256() -> None:
    with pytest.raises(DocumentRejectedError) as refused:
        read_document(_document(example_pdf(), sha256="0" * 64))
    assert [e.pointer for e in refused.value.errors] == ["/document/sha256"]
