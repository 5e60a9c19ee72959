"""The contact register the digital-mail reference consults, and the channel rule.

A real system asks KRR (persons: reservation, Digipost/e-Boks mailbox) and
Altinn (organisations). The reference is a test system, so its register is
the standard's own list of test recipients (``test-recipients.json``, spec
section *Test recipients*): those identities have the status given there,
every other recipient is unknown and has no mailbox.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from felles.reference.components.digital_mail_model import NAME, VERSION, Routing
from felles.standard import default_catalogue
from felles.standard.registry import load_json

TEST_RECIPIENTS_FILE = "test-recipients.json"


@dataclass(frozen=True)
class RegisterEntry:
    """What the register says about one recipient."""

    reserved: bool
    mailbox: str | None


UNKNOWN = RegisterEntry(reserved=False, mailbox=None)


def identity_of(recipient: Mapping[str, Any]) -> tuple[str, str]:
    """(kind, identifier) of a LetterInput recipient or a test-recipient entry."""
    if recipient.get("type") == "organization":
        organization = recipient.get("organization", recipient)
        return "organization", str(organization["organizationNumber"])
    person = recipient.get("person", recipient)
    return "person", str(person["nationalIdentityNumber"])


class RecipientRegister:
    """Lookups by identity; anything not listed is :data:`UNKNOWN`."""

    def __init__(self, entries: Mapping[tuple[str, str], RegisterEntry]) -> None:
        self.entries = dict(entries)

    @classmethod
    def from_records(cls, records: Iterable[Mapping[str, Any]]) -> RecipientRegister:
        return cls(
            {
                identity_of(record): RegisterEntry(bool(record["reserved"]), record.get("mailbox"))
                for record in records
            }
        )

    @classmethod
    def test_recipients(cls) -> RecipientRegister:
        """The register of the standard's test recipients."""
        path = default_catalogue().get(f"{NAME}@{VERSION}").schema_dir / TEST_RECIPIENTS_FILE
        return cls.from_records(load_json(path)["recipients"])

    def lookup(self, recipient: Mapping[str, Any]) -> RegisterEntry:
        return self.entries.get(identity_of(recipient), UNKNOWN)


def channel_for(entry: RegisterEntry) -> Routing:
    """The spec's channel rule: a reservation wins over a mailbox; no mailbox means print."""
    if entry.reserved:
        return Routing("reserved", "print", None)
    if entry.mailbox is not None:
        return Routing("mailbox", "digital", entry.mailbox)
    return Routing("no-mailbox", "print", None)
