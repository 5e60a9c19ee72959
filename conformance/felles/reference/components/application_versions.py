"""What differs between the application versions the reference serves side by side.

Every version shares one ``applications`` table and one service: a stored
submission is kept exactly as it was submitted, whichever version it came
through. A version is then only: the schemas a request is validated against,
how a stored submission is shown to that version's clients, and which list
filters exist (spec/application/1.1/index.md, *Serving 1.0 and 1.1 side by
side*). Serving 1.2 would be one more :class:`ApiVersion` here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from functools import cache
from types import MappingProxyType
from typing import Any, Final

from felles.formats import format_checker
from felles.reference.components.shared import format_timestamp
from felles.standard import default_catalogue, schema_uri

NAME: Final = "application"

SubmissionView = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class ApiVersion:
    """One served version of application: its schemas, its view of a submission, its filters."""

    version: str
    show: SubmissionView
    #: ``GET /applications?submittedSince=`` (added in 1.1).
    submitted_since: bool

    @property
    def key(self) -> str:
        return f"{NAME}@{self.version}"

    @property
    def submission_schema(self) -> str:
        return schema_uri(NAME, self.version, "ApplicationSubmission")

    @property
    def transition_schema(self) -> str:
        return schema_uri(NAME, self.version, "Transition")


@cache
def defined_members(version: str, kind: str) -> frozenset[str]:
    """The members ``version``'s submission schema defines for a ``type`` of application."""
    submission = default_catalogue().get(f"{NAME}@{version}").schema("ApplicationSubmission")
    for branch in submission["$defs"].values():
        properties = branch.get("properties", {}) if isinstance(branch, dict) else {}
        if properties.get("type", {}).get("const") == kind:
            return frozenset(properties)
    return frozenset()


def as_submitted(submission: dict[str, Any]) -> dict[str, Any]:
    """1.1: the submission exactly as it was sent (a 1.0 submission is valid 1.1)."""
    return submission


def as_1_0(submission: dict[str, Any]) -> dict[str, Any]:
    """1.0: members 1.0 does not define left out (its schema forbids them), and the deprecated
    ``priorityBasis`` derived from ``priorityBases`` when only that was sent."""
    known = defined_members("1.0", str(submission.get("type")))
    shown = {member: value for member, value in submission.items() if member in known}
    bases = submission.get("priorityBases")
    if "priorityBasis" in known and "priorityBasis" not in shown and isinstance(bases, list):
        shown["priorityBasis"] = bases[0] if bases else "none"
    return shown


V1_0: Final = ApiVersion("1.0", as_1_0, submitted_since=False)
V1_1: Final = ApiVersion("1.1", as_submitted, submitted_since=True)

#: Every version the reference can serve, by version string.
API_VERSIONS: Final[Mapping[str, ApiVersion]] = MappingProxyType({v.version: v for v in (V1_0, V1_1)})

_FRACTION: Final = re.compile(r"\.([0-9]+)")
_FORMATS: Final = format_checker()


def since_bound(value: str) -> str:
    """The smallest stored ``createdAt`` at or after the instant ``value`` names.

    Stored timestamps are UTC with millisecond precision (one spelling, so they
    compare as text); the instant is rounded up to the next millisecond, in
    exact arithmetic, so that no stored time before it passes the bound.
    Raises :class:`ValueError` for anything but an RFC 3339 date-time with an offset.
    """
    if not _FORMATS.conforms(value, "date-time"):
        raise ValueError(f"{value!r} is not an RFC 3339 date-time with an offset")
    text = value.upper()
    match = _FRACTION.search(text)
    digits = match.group(1) if match else ""
    whole = datetime.fromisoformat(_FRACTION.sub("", text, count=1))
    millis = math.ceil(Fraction(int(digits or "0"), 10 ** len(digits)) * 1000)
    return format_timestamp(whole + timedelta(milliseconds=millis))
