"""National identity numbers: known vectors, the 2032 K1 rule, dates, century table, stdnum parity.

Every literal number here is synthetic (month + 40 or month + 80), so no real
person's number appears in the tests. Control digits are computed with a
small independent implementation (weights copied from DOMAIN.md), never with
the module under test.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.no import fodselsnummer

from felles.formats import is_national_identity_number
from felles.formats.national_id import birth_date, century

K1_WEIGHTS = (3, 7, 6, 1, 8, 9, 4, 5, 2)
K2_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)

# DOMAIN.md vectors: NAV (+40), Tenor (+80), Tenor D-nummer (+40 day, +80 month).
NAV_SYNTHETIC = "15507600333"
TENOR_SYNTHETIC = "17912099997"
TENOR_D_NUMBER = "57912075186"
KNOWN_VALID = (NAV_SYNTHETIC, TENOR_SYNTHETIC, TENOR_D_NUMBER)

# Tenor, 17 November 2020, individual number 998; K1 chosen for remainder 0..5, K2 correct.
K1_BY_REMAINDER = {
    0: "17912099806",
    1: "17912099814",
    2: "17912099822",
    3: "17912099830",
    4: "17912099849",
    5: "17912099857",
}

A_LATER_DAY = datetime.date(2030, 1, 1)


def weighted(digits: str, weights: tuple[int, ...]) -> int:
    return sum(w * int(d) for w, d in zip(weights, digits, strict=False))


def complete(first_nine: str, k1_remainder: int = 0) -> str | None:
    """Append K1 (for the given remainder) and K2, or None if either would be 10."""
    k1 = (k1_remainder - weighted(first_nine, K1_WEIGHTS)) % 11
    if k1 == 10:
        return None
    k2 = (-weighted(f"{first_nine}{k1}", K2_WEIGHTS)) % 11
    return None if k2 == 10 else f"{first_nine}{k1}{k2}"


def make(date_part: str, individual_numbers: Iterable[int], k1_remainder: int = 0) -> str:
    """The first number with usable control digits for this date part."""
    for individual in individual_numbers:
        number = complete(f"{date_part}{individual:03d}", k1_remainder)
        if number is not None:
            return number
    raise AssertionError(f"no usable individual number for {date_part}")


def k1_remainder(number: str) -> int:
    return (weighted(number[:9], K1_WEIGHTS) + int(number[9])) % 11


# --- known vectors ----------------------------------------------------------------------------


@pytest.mark.parametrize("number", KNOWN_VALID)
def test_domain_vectors_are_valid(number: str) -> None:
    assert is_national_identity_number(number)
    assert is_national_identity_number(number, today=A_LATER_DAY)


def test_domain_vectors_decode_to_their_birth_dates() -> None:
    assert birth_date(NAV_SYNTHETIC) == datetime.date(1976, 10, 15)
    assert birth_date(TENOR_SYNTHETIC) == datetime.date(2020, 11, 17)
    assert birth_date(TENOR_D_NUMBER) == datetime.date(2020, 11, 17)


@pytest.mark.parametrize("number", KNOWN_VALID)
def test_every_single_digit_change_is_rejected(number: str) -> None:
    """K2 weighs every digit by a non-zero weight mod 11, so no single changed digit passes."""
    for index in range(11):
        for digit in "0123456789":
            if digit != number[index]:
                changed = number[:index] + digit + number[index + 1 :]
                assert not is_national_identity_number(changed), changed


@pytest.mark.parametrize(
    "value",
    [
        "",
        "1550760033",  # 10 digits
        "155076003330",  # 12 digits
        " 15507600333",
        "15507600333 ",
        "15507600333\n",
        "155076 00333",
        "155076-00333",
        "1550760033\uff13",  # fullwidth digit three
        "1550760033\u0663",  # Arabic-Indic digit three
        "1550760033\u00b3",  # superscript three (str.isdigit() is True)
        "abcdefghijk",
    ],
)
def test_only_eleven_ascii_digits_are_accepted(value: str) -> None:
    assert not is_national_identity_number(value)


def test_stdnum_accepts_nav_but_rejects_tenor_numbers() -> None:
    """Why Felles has its own implementation: python-stdnum 2.2 rejects the +80 convention."""
    assert fodselsnummer.is_valid(NAV_SYNTHETIC)
    assert not fodselsnummer.is_valid(TENOR_SYNTHETIC)
    assert not fodselsnummer.is_valid(TENOR_D_NUMBER)


# --- the 2032 K1 rule ---------------------------------------------------------------------------


def test_vectors_have_the_remainders_they_claim() -> None:
    for remainder, number in K1_BY_REMAINDER.items():
        assert k1_remainder(number) == remainder
        assert (weighted(number[:10], K2_WEIGHTS) + int(number[10])) % 11 == 0


@pytest.mark.parametrize("remainder", [0, 1, 2, 3])
def test_k1_with_remainder_0_to_3_is_accepted(remainder: int) -> None:
    assert is_national_identity_number(K1_BY_REMAINDER[remainder])


@pytest.mark.parametrize("remainder", [4, 5])
def test_k1_with_remainder_4_or_more_is_rejected(remainder: int) -> None:
    assert not is_national_identity_number(K1_BY_REMAINDER[remainder])


def test_only_the_old_rule_value_is_accepted_by_stdnum() -> None:
    """The remainder-0 number is an ordinary old-rule number; 1-3 are new (stdnum would reject)."""
    old_rule_nav = make("155076", range(0, 500))
    new_rule_nav = make("155076", range(0, 500), k1_remainder=2)
    assert fodselsnummer.is_valid(old_rule_nav)
    assert not fodselsnummer.is_valid(new_rule_nav)
    assert is_national_identity_number(old_rule_nav)
    assert is_national_identity_number(new_rule_nav)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 999), st.integers(0, 10))
def test_k1_rule_for_every_remainder(individual: int, remainder: int) -> None:
    """Remainders 0-3 are valid, 4-10 are not, whatever the individual number."""
    number = complete(f"179120{individual:03d}", remainder) if individual >= 500 else None
    if number is None:
        number = complete(f"155076{individual % 500:03d}", remainder)
    if number is not None:
        assert is_national_identity_number(number) is (remainder <= 3)


# --- birth dates ---------------------------------------------------------------------------------


def test_future_birth_date_is_rejected() -> None:
    born = datetime.date(2020, 11, 17)
    assert not is_national_identity_number(TENOR_SYNTHETIC, today=born - datetime.timedelta(days=1))
    assert is_national_identity_number(TENOR_SYNTHETIC, today=born)  # born today is fine


def test_default_today_rejects_a_number_born_next_year() -> None:
    next_year = datetime.date.today().year + 1
    if next_year > 2039:
        pytest.skip("the individual-number scheme ends in 2039")
    number = make(f"0181{next_year % 100:02d}", range(999, 499, -1))
    assert birth_date(number) == datetime.date(next_year, 1, 1)
    assert not is_national_identity_number(number)
    assert is_national_identity_number(number, today=datetime.date(next_year, 1, 1))


def test_29_february_in_a_leap_year_is_accepted() -> None:
    leap = make("298224", range(999, 499, -1))  # 29 Feb 2024, Tenor
    assert birth_date(leap) == datetime.date(2024, 2, 29)
    assert is_national_identity_number(leap, today=A_LATER_DAY)


def test_29_february_2023_is_rejected() -> None:
    common = make("298223", range(999, 499, -1))  # 29 Feb 2023, Tenor
    assert birth_date(common) is None
    assert not is_national_identity_number(common, today=A_LATER_DAY)


def test_29_february_depends_on_the_century_the_individual_number_gives() -> None:
    born_2000 = make("298200", range(999, 499, -1))  # 2000 is a leap year
    born_1900 = make("298200", range(499, -1, -1))  # 1900 is not
    assert is_national_identity_number(born_2000, today=A_LATER_DAY)
    assert not is_national_identity_number(born_1900, today=A_LATER_DAY)


@pytest.mark.parametrize(
    ("date_part", "why"),
    [
        ("308224", "30 February"),
        ("317124", "31 April (month 4 + 80)"),
        ("328124", "day 32"),
        ("729124", "day 72 = D-nummer day 32"),
        ("009124", "day 0"),
        ("159324", "month 93 = month 13 + 80"),
        ("155324", "month 53 = month 13 + 40"),
        ("151324", "month 13"),
        ("158024", "month 80 = month 0 + 80"),
        ("154024", "month 40 = month 0 + 40"),
        ("150024", "month 0"),
        ("156124", "month 61: no offset band"),
    ],
)
def test_impossible_dates_are_rejected(date_part: str, why: str) -> None:
    number = make(date_part, range(999, 499, -1))
    assert not is_national_identity_number(number, today=A_LATER_DAY), why


@pytest.mark.parametrize(
    ("date_part", "born"),
    [
        ("014176", datetime.date(1976, 1, 1)),  # H-nummer layout / NAV synthetic
        ("415276", datetime.date(1976, 12, 1)),  # D-nummer day combined with month + 40
        ("318176", datetime.date(1976, 1, 31)),  # Tenor synthetic
        ("718176", datetime.date(1976, 1, 31)),  # Tenor D-nummer
        ("319276", datetime.date(1976, 12, 31)),  # Tenor, December
    ],
)
def test_offsets_are_removed(date_part: str, born: datetime.date) -> None:
    number = make(date_part, range(0, 500))
    assert birth_date(number) == born
    assert is_national_identity_number(number)


@settings(max_examples=200, deadline=None, database=None)
@given(st.integers(80, 99), st.integers(0, 99), st.integers(0, 99), st.integers(0, 999))
def test_fh_layout_has_no_birth_date_and_is_rejected(
    first_two: int, month: int, year: int, individual: int
) -> None:
    """First digit 8 or 9 (FH-nummer) is never a date. K2 is made wrong on purpose so that no
    generated value can be a real FH-nummer; the date rule alone rejects the layout."""
    first_ten = f"{first_two:02d}{month:02d}{year:02d}{individual:03d}0"
    wrong_k2 = (1 - weighted(first_ten, K2_WEIGHTS)) % 11 % 10
    number = f"{first_ten}{wrong_k2}"
    assert birth_date(number) is None
    assert not is_national_identity_number(number)


# --- century table ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("individual", "two_digit_year", "expected"),
    [
        (0, 0, 1900),
        (499, 99, 1900),
        (499, 0, 1900),
        (500, 99, 1800),
        (749, 54, 1800),  # Skatteetaten: 1854-1899 uses 749-500
        (749, 53, None),
        (500, 40, None),
        (750, 54, None),
        (899, 99, None),
        (899, 39, 2000),
        (750, 0, 2000),
        (500, 0, 2000),
        (500, 39, 2000),
        (999, 39, 2000),
        (900, 40, 1900),
        (999, 99, 1900),
        (900, 39, 2000),
    ],
)
def test_century_table_boundaries(individual: int, two_digit_year: int, expected: int | None) -> None:
    assert century(individual, two_digit_year) == expected


@pytest.mark.parametrize(
    ("individual", "two_digit_year", "born_year"),
    [(499, 99, 1999), (500, 99, 1899), (900, 40, 1940), (750, 0, 2000), (999, 39, 2039)],
)
def test_century_decides_the_birth_year(individual: int, two_digit_year: int, born_year: int) -> None:
    step = -1 if individual % 100 else 1  # stay inside the boundary's row when skipping unusable
    number = make(f"0181{two_digit_year:02d}", range(individual, individual + 40 * step, step))
    born = birth_date(number)
    assert born is not None
    assert born.year == born_year


def test_a_number_outside_the_century_table_is_rejected() -> None:
    number = make("018145", range(500, 750))  # 500-749 with YY 45: no rule covers it
    assert birth_date(number) is None
    assert not is_national_identity_number(number)


# --- parity with python-stdnum where it applies -------------------------------------------------


# Month fields stdnum and Felles read alike: +40 (NAV/H-nummer) and invalid ones. Months 1-12
# are left out so no generated value can be a real person's fødselsnummer or D-nummer, and
# +80 is left out because stdnum does not know it.
_SHARED_MONTHS = [0, *range(13, 81), *range(93, 100)]


@settings(max_examples=500, deadline=None, database=None)
@given(
    st.integers(0, 79),
    st.sampled_from(_SHARED_MONTHS),
    st.integers(0, 99),
    st.integers(0, 999),
    st.one_of(st.none(), st.integers(0, 99)),
)
def test_agrees_with_stdnum_on_old_rule_numbers_without_plus_80(
    day: int, month: int, year: int, individual: int, control: int | None
) -> None:
    """Same verdict as stdnum for layouts it knows: K1 remainder 0 (or invalid), no +80 month.

    Control digits are either computed (so the date rules get exercised) or random.
    """
    first_nine = f"{day:02d}{month:02d}{year:02d}{individual:03d}"
    number = complete(first_nine) if control is None else f"{first_nine}{control:02d}"
    if number is None or k1_remainder(number) in (1, 2, 3):
        return
    assert is_national_identity_number(number) == fodselsnummer.is_valid(number)
