"""Norwegian national identity numbers: fødselsnummer, D-nummer and synthetic test numbers.

Layout ``DDMMYY III K1 K2`` (11 ASCII digits):

* ``DD`` day, plus 40 for a D-nummer;
* ``MM`` month, plus 40 for an H-nummer or a NAV (Dolly) synthetic number, or
  plus 80 for a Skatteetaten (Tenor) synthetic number; the day and month
  offsets combine (a Tenor D-nummer has day + 40 and month + 80);
* ``YY`` the last two digits of the birth year, ``III`` the individual
  number, which together with ``YY`` gives the century (:data:`CENTURY_TABLE`);
* ``K1`` and ``K2`` mod-11 control digits.

The 2032 rule (Skatteetaten, "Nytt fødselsnummer fra 2032"): the weighted sum
over digits 1-9 plus K1 may leave remainder 0, 1, 2 or 3 modulo 11 (before
2032 only 0), so up to four K1 values are valid; K2 is unchanged. Numbers
issued under the old rule stay valid, so a validator must accept both.

python-stdnum 2.2 (``stdnum.no.fodselsnummer``) implements the old rule only
and rejects +80 synthetic numbers, which is why this module exists. FH-nummer
(first digit 8 or 9, no birth date) is not accepted in Felles 1.0.

Everything about the birth date (offsets, century, calendar) lives here, in
:func:`birth_date` and its inverse :func:`encode_birth_date`, so the validator
and the Hypothesis strategies cannot disagree.
"""

from __future__ import annotations

import datetime
import re
from typing import Final

WEIGHTS_K1: Final = (3, 7, 6, 1, 8, 9, 4, 5, 2)
WEIGHTS_K2: Final = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)

#: Remainders of (weighted sum + K1) mod 11 that the 2032 rule accepts; 0 is the old rule.
K1_REMAINDERS: Final = (0, 1, 2, 3)

#: What may be added to the day: 0 (fødselsnummer) or 40 (D-nummer).
DAY_OFFSETS: Final = (0, 40)
#: What may be added to the month: 0, 40 (H-nummer / NAV synthetic), 80 (Tenor synthetic).
MONTH_OFFSETS: Final = (0, 40, 80)
#: The month offsets that only synthetic (test) numbers use.
SYNTHETIC_MONTH_OFFSETS: Final = (40, 80)

#: (individual numbers, two-digit years, century) per Skatteetaten's allocation rules:
#: 1854-1899 uses 749-500, 1900-1999 uses 499-000, 1940-1999 also 999-900,
#: 2000-2039 uses 999-500. The rows are disjoint, so at most one matches.
CENTURY_TABLE: Final[tuple[tuple[range, range, int], ...]] = (
    (range(0, 500), range(0, 100), 1900),
    (range(500, 750), range(54, 100), 1800),
    (range(500, 1000), range(0, 40), 2000),
    (range(900, 1000), range(40, 100), 1900),
)

_ELEVEN_DIGITS: Final = re.compile(r"[0-9]{11}")


def _weighted_sum(digits: str, weights: tuple[int, ...]) -> int:
    return sum(weight * int(digit) for weight, digit in zip(weights, digits, strict=True))


def k1_values(first_nine: str, *, remainders: tuple[int, ...] = K1_REMAINDERS) -> tuple[int, ...]:
    """Every K1 the 2032 rule accepts for these nine digits, in the order of ``remainders``.

    By default the old-rule value (remainder 0) comes first. A value that
    would have to be 10 is unusable, so fewer than four may come back.
    """
    total = _weighted_sum(first_nine, WEIGHTS_K1)
    candidates = ((remainder - total) % 11 for remainder in remainders)
    return tuple(k1 for k1 in candidates if k1 <= 9)


def k1_old_rule(first_nine: str) -> int | None:
    """K1 under the pre-2032 rule (remainder 0), or None when it would be 10."""
    k1 = (-_weighted_sum(first_nine, WEIGHTS_K1)) % 11
    return k1 if k1 <= 9 else None


def k2_value(first_ten: str) -> int | None:
    """The only valid K2 for these ten digits, or None when it would be 10 (number unusable)."""
    k2 = (-_weighted_sum(first_ten, WEIGHTS_K2)) % 11
    return k2 if k2 <= 9 else None


def century(individual_number: int, two_digit_year: int) -> int | None:
    """The century (1800, 1900, 2000) that ``III`` and ``YY`` denote, or None if none does."""
    for individuals, years, base in CENTURY_TABLE:
        if individual_number in individuals and two_digit_year in years:
            return base
    return None


def individual_number_ranges(year: int) -> tuple[range, ...]:
    """The individual numbers allocatable to someone born in ``year`` (the table, inverted)."""
    base, two_digit_year = divmod(year, 100)
    return tuple(
        individuals
        for individuals, years, row_base in CENTURY_TABLE
        if row_base == base * 100 and two_digit_year in years
    )


def _remove_offset(value: int, offsets: tuple[int, ...], upper: int) -> int | None:
    """The field value with its offset removed, or None if it is in no offset band."""
    for offset in offsets:
        if offset + 1 <= value <= offset + upper:
            return value - offset
    return None


def birth_date(value: str) -> datetime.date | None:
    """The birth date a national identity number encodes, or None if it encodes no real date.

    Removes the D-nummer day offset and the H-nummer/synthetic month offsets,
    takes the century from the individual number, and requires a real calendar
    date. Checks neither control digits nor "not in the future".
    """
    if not _ELEVEN_DIGITS.fullmatch(value):
        return None
    day = _remove_offset(int(value[0:2]), DAY_OFFSETS, 31)
    month = _remove_offset(int(value[2:4]), MONTH_OFFSETS, 12)
    two_digit_year = int(value[4:6])
    base = century(int(value[6:9]), two_digit_year)
    if day is None or month is None or base is None:
        return None
    try:
        return datetime.date(base + two_digit_year, month, day)
    except ValueError:  # 30 February, 31 April, 29 February in a common year
        return None


def encode_birth_date(date: datetime.date, *, day_offset: int = 0, month_offset: int = 0) -> str:
    """``DDMMYY`` for a birth date with the given offsets (the inverse of :func:`birth_date`)."""
    if day_offset not in DAY_OFFSETS or month_offset not in MONTH_OFFSETS:
        raise ValueError(f"unknown offsets: day +{day_offset}, month +{month_offset}")
    return f"{date.day + day_offset:02d}{date.month + month_offset:02d}{date.year % 100:02d}"


def has_valid_control_digits(value: str) -> bool:
    """K1 valid under the old or the 2032 rule, and K2 valid (value must be 11 ASCII digits)."""
    k1_ok = (_weighted_sum(value[:9], WEIGHTS_K1) + int(value[9])) % 11 in K1_REMAINDERS
    k2_ok = (_weighted_sum(value[:10], WEIGHTS_K2) + int(value[10])) % 11 == 0
    return k1_ok and k2_ok


def is_national_identity_number(value: str, *, today: datetime.date | None = None) -> bool:
    """True for a valid fødselsnummer, D-nummer, H-nummer or synthetic (NAV +40, Tenor +80) number.

    ``today`` is the reference for "not born in the future" (default: the
    current date), so callers and tests can pin it.
    """
    if not _ELEVEN_DIGITS.fullmatch(value):
        return False
    if value[0] in "89":  # FH-nummer: no birth date, not accepted in Felles 1.0
        return False
    if not has_valid_control_digits(value):
        return False
    born = birth_date(value)
    if born is None:
        return False
    return born <= (today if today is not None else datetime.date.today())
