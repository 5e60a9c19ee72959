"""Organisasjonsnummer: the 9-digit number Enhetsregisteret (Brønnøysund) gives every legal entity.

The last digit is a mod-11 control digit over weights ``3 2 7 6 5 4 3 2``;
a base whose control digit would be 10 is never allocated. The check itself
is python-stdnum's ``stdnum.no.orgnr``; this module only adds the strict
form Felles exchanges (exactly nine ASCII digits, no spaces), because stdnum
would also accept the spaced display form ``974 760 673``.
"""

from __future__ import annotations

import re
from typing import Final

from stdnum.no import orgnr

WEIGHTS: Final = (3, 2, 7, 6, 5, 4, 3, 2)

_NINE_DIGITS: Final = re.compile(r"[0-9]{9}")


def check_digit(first_eight: str) -> int | None:
    """The control digit for eight base digits, or None when it would be 10 (never allocated)."""
    total = sum(w * int(d) for w, d in zip(WEIGHTS, first_eight, strict=True))
    digit = (-total) % 11
    return digit if digit <= 9 else None


def is_organization_number(value: str) -> bool:
    """True for a valid organisasjonsnummer in its exchange form (9 digits, no separators)."""
    return bool(_NINE_DIGITS.fullmatch(value)) and bool(orgnr.is_valid(value))
