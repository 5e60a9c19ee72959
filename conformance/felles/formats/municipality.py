"""Kommunenummer: 4 digits (leading zero kept), first two the fylke, from SSB classification 131.

The valid numbers are data, not code: the standard ships the code list as
``schemas/common/1.0/codelists/municipalities.json`` with its validity period
(``validFrom`` inclusive, ``validTo`` exclusive or null), and this module only
reads it. A date outside that period has no valid numbers in this version of
the standard, so every number is rejected then.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

from felles.errors import StandardError
from felles.locations import standard_root

CODE_LIST_PATH: Final = Path("schemas", "common", "1.0", "codelists", "municipalities.json")

_FOUR_DIGITS: Final = re.compile(r"[0-9]{4}")


def _standard_root() -> Path:
    return standard_root()


@dataclass(frozen=True)
class MunicipalityCodeList:
    """One version of the kommune code list, as shipped in the standard."""

    valid_from: datetime.date
    valid_to: datetime.date | None  # exclusive; None while the list is current
    numbers: tuple[str, ...]  # sorted
    names: Mapping[str, str]  # number -> name, informative (display only)

    def is_valid_on(self, on: datetime.date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on < self.valid_to)


def _parse(document: Any, source: Path) -> MunicipalityCodeList:
    """Check the file's shape so a broken code list fails loudly, never as 'all numbers invalid'."""
    try:
        valid_from = datetime.date.fromisoformat(document["validFrom"])
        valid_to_raw = document["validTo"]
        valid_to = None if valid_to_raw is None else datetime.date.fromisoformat(valid_to_raw)
        entries = document["municipalities"]
        names = {str(entry["number"]): str(entry["name"]) for entry in entries}
    except (KeyError, TypeError, ValueError) as exc:
        raise StandardError(f"{source}: malformed municipality code list ({exc!r})") from exc
    bad = sorted(number for number in names if not _FOUR_DIGITS.fullmatch(number))
    if bad or len(names) != len(entries) or not names:
        raise StandardError(
            f"{source}: municipality numbers must be unique 4-digit strings",
            hint=f"offending: {bad[:5]}" if bad else "duplicates or empty list",
        )
    return MunicipalityCodeList(
        valid_from=valid_from,
        valid_to=valid_to,
        numbers=tuple(sorted(names)),
        names=MappingProxyType(names),
    )


@lru_cache(maxsize=1)
def code_list() -> MunicipalityCodeList:
    """The shipped code list, read once per process."""
    path = _standard_root() / CODE_LIST_PATH
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StandardError(f"cannot read the municipality code list {path}: {exc}") from exc
    return _parse(document, path)


def municipality_numbers(*, on: datetime.date | None = None) -> tuple[str, ...]:
    """The sorted kommunenummer valid on ``on`` (default today); empty outside the list's period."""
    codes = code_list()
    return codes.numbers if codes.is_valid_on(on or datetime.date.today()) else ()


def is_municipality_number(value: str, *, on: datetime.date | None = None) -> bool:
    """True if ``value`` is 4 ASCII digits and a kommunenummer valid on ``on`` (default today)."""
    if not _FOUR_DIGITS.fullmatch(value):
        return False
    codes = code_list()
    return codes.is_valid_on(on or datetime.date.today()) and value in codes.names
