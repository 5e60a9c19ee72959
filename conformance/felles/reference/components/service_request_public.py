"""The public view of a service request: what anyone may see, without the reporter.

Built by *listing* the members that may be public (never by deleting the
private ones, so a member added later stays private by default), and with
every text that came from people — description, place, address, notes —
cleared of the reporter identity (spec: *Definition: reporter identity*).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from typing import Any

from felles.reference.components.service_request_model import StoredRequest

PLACEHOLDER = "[skjermet]"
#: Address members that hold text; the others are numbers and codes.
ADDRESS_TEXTS = ("streetName", "postalCity")
REPORTER_MEMBERS = ("name", "email", "phone")


def identity_of(reporter: Mapping[str, Any]) -> list[str]:
    """The reporter identity: each of name, e-mail and phone that was given."""
    return [str(reporter[m]) for m in REPORTER_MEMBERS if isinstance(reporter.get(m), str) and reporter[m]]


def redactor(identity: Iterable[str]) -> re.Pattern[str] | None:
    """One case-insensitive pattern for the whole identity, longest first (an e-mail address
    may contain the name); None when there is nothing to hide."""
    parts = sorted({part for part in identity if part}, key=len, reverse=True)
    if not parts:
        return None
    return re.compile("|".join(re.escape(part) for part in parts), re.IGNORECASE)


def redact(text: str, pattern: re.Pattern[str] | None) -> str:
    return text if pattern is None else pattern.sub(PLACEHOLDER, text)


def public_location(location: Mapping[str, Any], pattern: re.Pattern[str] | None) -> dict[str, Any]:
    shown: dict[str, Any] = {"point": copy.deepcopy(location["point"])}
    address = location.get("address")
    if isinstance(address, Mapping):
        shown["address"] = {
            name: redact(value, pattern) if name in ADDRESS_TEXTS and isinstance(value, str) else value
            for name, value in address.items()
        }
    if isinstance(location.get("description"), str):
        shown["description"] = redact(location["description"], pattern)
    return shown


def public_history(
    history: Iterable[Mapping[str, Any]], pattern: re.Pattern[str] | None
) -> list[dict[str, Any]]:
    entries = []
    for entry in history:
        shown: dict[str, Any] = {"status": entry["status"], "at": entry["at"]}
        if isinstance(entry.get("note"), str):
            shown["note"] = redact(entry["note"], pattern)
        entries.append(shown)
    return entries


def public_view(request: StoredRequest) -> dict[str, Any]:
    """The PublicServiceRequest of a stored request."""
    return public_view_redacted(request, redactor(identity_of(request.reporter)))


def public_view_redacted(request: StoredRequest, pattern: re.Pattern[str] | None) -> dict[str, Any]:
    """The PublicServiceRequest with whatever ``pattern`` matches replaced (None: nothing)."""
    return {
        "id": request.id,
        "municipalityNumber": request.municipality,
        "serviceCode": request.input["serviceCode"],
        "description": redact(str(request.input["description"]), pattern),
        "location": public_location(request.input["location"], pattern),
        "status": request.status,
        "history": public_history(request.history, pattern),
        "createdAt": request.created_at,
        "updatedAt": request.updated_at,
    }
