"""Hypothesis strategies for Norwegian identifiers: valid values and near-misses.

Valid person numbers are synthetic only: month + 40 (NAV/Dolly convention)
or month + 80 (Skatteetaten/Tenor), the latter sometimes combined with the
D-nummer day + 40. No ordinary fødselsnummer (month + 0) is ever generated,
so no real person's number can come out of a test run.

Every near-miss breaks exactly one rule and is guaranteed to be rejected by
:mod:`felles.formats`; the ``*_near_misses()`` strategies also say which rule
(:class:`NearMiss`), so a conformance report can tell a vendor what it
accepted that it should not have.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from hypothesis import strategies as st
from hypothesis.strategies import DrawFn, SearchStrategy

from felles.formats import account, organization
from felles.formats import municipality as municipality_format
from felles.formats import national_id as nid
from felles.formats.checker import (
    ACCOUNT_NUMBER,
    MUNICIPALITY_NUMBER,
    NATIONAL_IDENTITY_NUMBER,
    ORGANIZATION_NUMBER,
)

#: Earliest birth date of a generated adult: old enough to cover every age a service meets.
EARLIEST_BIRTH_DATE: Final = datetime.date(1940, 1, 1)
#: The individual-number scheme covers births up to 2039 (Skatteetaten).
LATEST_ENCODABLE_BIRTH_DATE: Final = datetime.date(2039, 12, 31)

#: Characters that are not ASCII digits, including Unicode digits that ``str.isdigit()`` accepts.
NON_DIGITS: Final = ("a", "X", " ", "-", ".", "+", "/", "\u0663", "\uff11", "\u00b2")

#: Kommunenummer that existed before the 2024 reform (SSB 131) and are not in the current list.
PRE_2024_MUNICIPALITY_NUMBERS: Final = (
    "0219",  # Bærum, now 3201
    "0220",  # Asker (before 2020)
    "1201",  # Bergen, now 4601
    "1001",  # Kristiansand (before 2020), now 4204
    "1902",  # Tromsø (before 2020), now 5501
    "5401",  # Tromsø 2020-2023, now 5501
    "2012",  # Alta (before 2020), now 5601
    "5403",  # Alta 2020-2023, now 5601
    "3001",  # Halden 2020-2023, now 3101
    "3024",  # Bærum 2020-2023, now 3201
    "1507",  # Ålesund 2020-2023, split into 1508 and 1580
    "0101",  # Halden (before 2020)
)


@dataclass(frozen=True)
class NearMiss:
    """An invalid value and the one rule it breaks."""

    value: str
    reason: str


# --- person numbers -------------------------------------------------------------------------


def _years_before(day: datetime.date, years: int) -> datetime.date:
    """The same calendar day ``years`` earlier (28 February for 29 February in a common year)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


@functools.lru_cache(maxsize=64)
def _allowed_individuals(ranges: tuple[range, ...]) -> tuple[int, ...]:
    return tuple(number for numbers in ranges for number in numbers)


def _draw_individual(draw: DrawFn, ranges: tuple[range, ...]) -> int:
    """An individual number from one of ``ranges``: a range first, so each century band is met."""
    numbers = draw(st.sampled_from(ranges))
    return numbers[draw(st.integers(0, len(numbers) - 1))]


def _complete(date_part: str, individual: int, ranges: tuple[range, ...], remainder: int) -> str | None:
    """Append the first usable individual number from ``individual`` on, and K1/K2.

    K1 is taken for the preferred 2032-rule ``remainder`` (0 is the old rule)
    when that gives a usable number, else for the next remainder. Scans forward
    (wrapping inside the allowed ranges) instead of filtering, so Hypothesis
    never rejects a draw; returns None only if no number is usable.
    """
    allowed = _allowed_individuals(ranges)
    start = allowed.index(individual)
    remainders = nid.K1_REMAINDERS[remainder:] + nid.K1_REMAINDERS[:remainder]
    for offset in range(len(allowed)):
        first_nine = f"{date_part}{allowed[(start + offset) % len(allowed)]:03d}"
        for k1 in nid.k1_values(first_nine, remainders=remainders):
            k2 = nid.k2_value(f"{first_nine}{k1}")
            if k2 is not None:
                return f"{first_nine}{k1}{k2}"
    return None


@st.composite
def _synthetic_number(
    draw: DrawFn, born: SearchStrategy[datetime.date], *, old_rule_only: bool = False
) -> str:
    """A valid synthetic number for a birth date drawn from ``born``."""
    birth = draw(born)
    month_offset = draw(st.sampled_from(nid.SYNTHETIC_MONTH_OFFSETS))
    day_offset = draw(st.sampled_from(nid.DAY_OFFSETS)) if month_offset == 80 else 0
    date_part = nid.encode_birth_date(birth, day_offset=day_offset, month_offset=month_offset)
    ranges = nid.individual_number_ranges(birth.year)
    individual = _draw_individual(draw, ranges)
    remainder = 0 if old_rule_only else draw(st.sampled_from((0, 0, 0, 0, 1, 2, 3)))
    number = _complete(date_part, individual, ranges, remainder)
    if number is None:  # pragma: no cover - every date has usable individual numbers
        raise AssertionError(f"no usable individual number for {birth}")
    return number


def national_identity_numbers() -> SearchStrategy[str]:
    """Valid synthetic numbers for people born 1940-01-01 up to yesterday.

    Mostly old-rule K1, sometimes a K1 only the 2032 rule accepts.
    """
    yesterday = datetime.date.today() - datetime.timedelta(days=1)
    return _synthetic_number(st.dates(EARLIEST_BIRTH_DATE, yesterday))


def child_national_identity_numbers(min_age: int = 0, max_age: int = 12) -> SearchStrategy[str]:
    """Valid synthetic numbers of children aged ``min_age``-``max_age`` years today (inclusive)."""
    if not 0 <= min_age <= max_age:
        raise ValueError(f"need 0 <= min_age <= max_age, got {min_age}, {max_age}")
    today = datetime.date.today()
    earliest = _years_before(today, max_age + 1) + datetime.timedelta(days=1)
    latest = _years_before(today, min_age)
    return _synthetic_number(st.dates(earliest, latest))


def _replace(value: str, index: int, char: str) -> str:
    return value[:index] + char + value[index + 1 :]


@st.composite
def _wrong_k2(draw: DrawFn) -> NearMiss:
    number = draw(national_identity_numbers())
    wrong = draw(st.sampled_from([d for d in "0123456789" if d != number[10]]))
    return NearMiss(_replace(number, 10, wrong), "control digit K2 is wrong")


@st.composite
def _wrong_k1(draw: DrawFn) -> NearMiss:
    """K1 outside every remainder the 2032 rule allows, with K2 recomputed so only K1 is wrong."""
    number = draw(national_identity_numbers())
    first_nine = number[:9]
    accepted = set(nid.k1_values(first_nine))
    candidates = []
    for k1 in range(10):
        k2 = nid.k2_value(f"{first_nine}{k1}")
        if k1 not in accepted and k2 is not None:
            candidates.append(f"{first_nine}{k1}{k2}")
    return NearMiss(draw(st.sampled_from(candidates)), "control digit K1 is wrong (any rule)")


@st.composite
def _wrong_length(draw: DrawFn) -> NearMiss:
    number = draw(national_identity_numbers())
    if draw(st.booleans()):
        index = draw(st.integers(0, 10))
        return NearMiss(number[:index] + number[index + 1 :], "10 digits instead of 11")
    digit = draw(st.sampled_from("0123456789"))
    index = draw(st.integers(0, 11))
    return NearMiss(number[:index] + digit + number[index:], "12 digits instead of 11")


@st.composite
def _impossible_date(draw: DrawFn) -> NearMiss:
    """A date part that is no calendar date after removing the offsets, with valid K1 and K2."""
    month_offset = draw(st.sampled_from(nid.SYNTHETIC_MONTH_OFFSETS))
    day_offset = draw(st.sampled_from(nid.DAY_OFFSETS)) if month_offset == 80 else 0
    year = draw(st.integers(EARLIEST_BIRTH_DATE.year, datetime.date.today().year - 1))
    kind = draw(st.sampled_from(("day 32", "month 13", "30 February", "31 April", "29 February")))
    if kind == "29 February":  # in a common year (every year here divisible by 4 is a leap year)
        year = draw(st.sampled_from([y for y in range(1941, year + 2) if y % 4 != 0]))
    day, month = {
        "day 32": (32, draw(st.integers(1, 12))),
        "month 13": (draw(st.integers(1, 28)), 13),
        "30 February": (30, 2),
        "31 April": (31, 4),
        "29 February": (29, 2),
    }[kind]
    date_part = f"{day + day_offset:02d}{month + month_offset:02d}{year % 100:02d}"
    ranges = nid.individual_number_ranges(year)
    individual = _draw_individual(draw, ranges)
    number = _complete(date_part, individual, ranges, remainder=0)
    if number is None:  # pragma: no cover
        raise AssertionError(f"no usable individual number for {date_part}")
    return NearMiss(number, f"impossible birth date ({kind})")


@st.composite
def _future_birth_date(draw: DrawFn) -> NearMiss:
    """A real date at least a year ahead (so it is still future when checked), valid K1/K2."""
    earliest = datetime.date.today() + datetime.timedelta(days=366)
    return NearMiss(
        draw(_synthetic_number(st.dates(earliest, LATEST_ENCODABLE_BIRTH_DATE), old_rule_only=True)),
        "birth date in the future",
    )


@st.composite
def _non_digit(draw: DrawFn) -> NearMiss:
    number = draw(national_identity_numbers())
    index = draw(st.integers(0, 10))
    return NearMiss(_replace(number, index, draw(st.sampled_from(NON_DIGITS))), "non-digit")


def national_identity_number_near_misses() -> SearchStrategy[NearMiss]:
    """Synthetic numbers that break exactly one rule, with the rule named."""
    kinds = [_wrong_k2(), _wrong_k1(), _wrong_length(), _impossible_date(), _non_digit()]
    if datetime.date.today() + datetime.timedelta(days=366) <= LATEST_ENCODABLE_BIRTH_DATE:
        kinds.append(_future_birth_date())
    return st.one_of(kinds)


def invalid_national_identity_numbers() -> SearchStrategy[str]:
    """Values that look like synthetic person numbers but break exactly one rule."""
    return national_identity_number_near_misses().map(lambda miss: miss.value)


# --- check-digit numbers (organisasjonsnummer, kontonummer) -----------------------------------


def _with_check_digit(length: int, check_digit: Callable[[str], int | None]) -> SearchStrategy[str]:
    """``length`` digits whose last is the control digit (bases that would need 10 are bumped)."""

    def complete(base: int) -> str:
        while True:
            digits = f"{base:0{length - 1}d}"
            digit = check_digit(digits)
            if digit is not None:
                return f"{digits}{digit}"
            base = (base + 1) % 10 ** (length - 1)

    return st.integers(0, 10 ** (length - 1) - 1).map(complete)


@st.composite
def _check_digit_near_miss(
    draw: DrawFn,
    valid: SearchStrategy[str],
    check_digit: Callable[[str], int | None],
    allow_separators: bool,
) -> NearMiss:
    value = draw(valid)
    length = len(value)
    kinds = ["wrong control digit", "unusable base", "too short", "too long", "non-digit"]
    if allow_separators:
        kinds.append("display form with separators")
    kind = draw(st.sampled_from(kinds))
    if kind == "wrong control digit":
        wrong = draw(st.sampled_from([d for d in "0123456789" if d != value[-1]]))
        return NearMiss(_replace(value, length - 1, wrong), kind)
    if kind == "unusable base":  # a base whose control digit would be 10: no last digit works
        base = draw(st.integers(0, 10 ** (length - 1) - 1))
        while check_digit(f"{base:0{length - 1}d}") is not None:
            base = (base + 1) % 10 ** (length - 1)
        return NearMiss(f"{base:0{length - 1}d}{draw(st.integers(0, 9))}", kind)
    if kind == "too short":
        index = draw(st.integers(0, length - 1))
        return NearMiss(value[:index] + value[index + 1 :], kind)
    if kind == "too long":
        index = draw(st.integers(0, length))
        return NearMiss(value[:index] + draw(st.sampled_from("0123456789")) + value[index:], kind)
    if kind == "non-digit":
        index = draw(st.integers(0, length - 1))
        return NearMiss(_replace(value, index, draw(st.sampled_from(NON_DIGITS))), kind)
    separator = draw(st.sampled_from(". "))
    return NearMiss(separator.join((value[:4], value[4:6], value[6:])), kind)


def organization_numbers() -> SearchStrategy[str]:
    """Valid organisasjonsnummer (9 digits, mod-11 control digit)."""
    return _with_check_digit(9, organization.check_digit)


def organization_number_near_misses() -> SearchStrategy[NearMiss]:
    return _check_digit_near_miss(organization_numbers(), organization.check_digit, False)


def invalid_organization_numbers() -> SearchStrategy[str]:
    """Organisation-number look-alikes that break exactly one rule."""
    return organization_number_near_misses().map(lambda miss: miss.value)


def account_numbers() -> SearchStrategy[str]:
    """Valid kontonummer (11 digits, mod-11 control digit)."""
    return _with_check_digit(11, account.check_digit)


def account_number_near_misses() -> SearchStrategy[NearMiss]:
    return _check_digit_near_miss(account_numbers(), account.check_digit, True)


def invalid_account_numbers() -> SearchStrategy[str]:
    """Account-number look-alikes: bad control digit, length, non-digit or dotted form."""
    return account_number_near_misses().map(lambda miss: miss.value)


# --- kommunenummer ----------------------------------------------------------------------------


def municipality_numbers() -> SearchStrategy[str]:
    """Kommunenummer sampled from the code list valid today."""
    return st.sampled_from(municipality_format.municipality_numbers())


def municipality_number_near_misses() -> SearchStrategy[NearMiss]:
    """Pre-2024 or never-allocated 4-digit numbers, 3 or 5 digits, or a non-digit."""
    current = frozenset(municipality_format.municipality_numbers())
    retired = [number for number in PRE_2024_MUNICIPALITY_NUMBERS if number not in current]
    valid = municipality_numbers()
    return st.one_of(
        st.sampled_from(retired).map(lambda n: NearMiss(n, "number retired before 2024")),
        st.integers(0, 9999)
        .map(lambda n: f"{n:04d}")
        .filter(lambda n: n not in current)
        .map(lambda n: NearMiss(n, "not in the code list")),
        st.tuples(valid, st.integers(0, 3)).map(
            lambda pair: NearMiss(pair[0][: pair[1]] + pair[0][pair[1] + 1 :], "3 digits")
        ),
        st.tuples(valid, st.sampled_from("0123456789")).map(
            lambda pair: NearMiss(pair[0] + pair[1], "5 digits")
        ),
        st.tuples(valid, st.integers(0, 3), st.sampled_from(NON_DIGITS)).map(
            lambda t: NearMiss(_replace(t[0], t[1], t[2]), "non-digit")
        ),
    )


def invalid_municipality_numbers() -> SearchStrategy[str]:
    """Values that are not a kommunenummer valid today."""
    return municipality_number_near_misses().map(lambda miss: miss.value)


VALID_FORMAT_STRATEGIES: Final[dict[str, Callable[[], SearchStrategy[str]]]] = {
    NATIONAL_IDENTITY_NUMBER: national_identity_numbers,
    ORGANIZATION_NUMBER: organization_numbers,
    ACCOUNT_NUMBER: account_numbers,
    MUNICIPALITY_NUMBER: municipality_numbers,
}

INVALID_FORMAT_STRATEGIES: Final[dict[str, Callable[[], SearchStrategy[str]]]] = {
    NATIONAL_IDENTITY_NUMBER: invalid_national_identity_numbers,
    ORGANIZATION_NUMBER: invalid_organization_numbers,
    ACCOUNT_NUMBER: invalid_account_numbers,
    MUNICIPALITY_NUMBER: invalid_municipality_numbers,
}
