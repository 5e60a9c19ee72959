"""Kontonummer: the 11-digit Norwegian bank account number (4-digit bank code first).

The last digit is a mod-11 control digit over weights ``5 4 3 2 7 6 5 4 3 2``:
remainder 0 gives 0, remainder 1 would give 10 and such numbers are never
issued. Only the 11-digit form without separators is accepted (the dotted
display form ``8601.11.17947`` is not an exchange format).

The check is implemented here rather than delegated to python-stdnum's
``stdnum.no.kontonr``: that module strips a leading ``0000`` (old postgiro
bank code) and then applies the 7-digit Luhn rule, so an 11-digit value
starting with ``0000`` would be judged by a different algorithm. For every
other 11-digit value the two agree (the tests cross-check them).
"""

from __future__ import annotations

import re
from typing import Final

WEIGHTS: Final = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)

_ELEVEN_DIGITS: Final = re.compile(r"[0-9]{11}")


def check_digit(first_ten: str) -> int | None:
    """The control digit for ten digits, or None when the remainder is 1 (unusable number)."""
    total = sum(w * int(d) for w, d in zip(WEIGHTS, first_ten, strict=True))
    digit = (-total) % 11
    return digit if digit <= 9 else None


def is_account_number(value: str) -> bool:
    """True for a valid kontonummer written as exactly 11 ASCII digits."""
    if not _ELEVEN_DIGITS.fullmatch(value):
        return False
    return check_digit(value[:10]) == int(value[10])
