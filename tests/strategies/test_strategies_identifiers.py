"""Identifier strategies: valid values pass the checker, near-misses fail for the stated reason."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from felles.formats import (
    FELLES_FORMATS,
    format_checker,
    is_account_number,
    is_municipality_number,
    is_national_identity_number,
    is_organization_number,
)
from felles.formats import municipality_numbers as current_municipality_numbers
from felles.formats.national_id import birth_date, has_valid_control_digits
from felles.strategies.identifiers import (
    INVALID_FORMAT_STRATEGIES,
    VALID_FORMAT_STRATEGIES,
    NearMiss,
    account_number_near_misses,
    child_national_identity_numbers,
    municipality_number_near_misses,
    national_identity_number_near_misses,
    national_identity_numbers,
    organization_number_near_misses,
)

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
K1_WEIGHTS = (3, 7, 6, 1, 8, 9, 4, 5, 2)


def k1_remainder(number: str) -> int:
    return (sum(w * int(d) for w, d in zip(K1_WEIGHTS, number, strict=False)) + int(number[9])) % 11


def age_on(born: datetime.date, day: datetime.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def test_strategy_tables_cover_the_felles_formats() -> None:
    assert set(VALID_FORMAT_STRATEGIES) == set(FELLES_FORMATS)
    assert set(INVALID_FORMAT_STRATEGIES) == set(FELLES_FORMATS)


@pytest.mark.parametrize("name", FELLES_FORMATS)
def test_valid_strategies_are_accepted_by_the_checker(name: str) -> None:
    checker = format_checker()

    @FAST
    @given(VALID_FORMAT_STRATEGIES[name]())
    def check(value: str) -> None:
        assert checker.conforms(value, name), value

    check()


@pytest.mark.parametrize("name", FELLES_FORMATS)
def test_invalid_strategies_are_rejected_by_the_checker(name: str) -> None:
    checker = format_checker()

    @FAST
    @given(INVALID_FORMAT_STRATEGIES[name]())
    def check(value: str) -> None:
        assert not checker.conforms(value, name), value

    check()


@FAST
@given(INVALID_FORMAT_STRATEGIES["no-national-identity-number"]())
def test_a_schema_validator_rejects_person_number_near_misses(value: str) -> None:
    validator = Draft202012Validator(
        {"format": "no-national-identity-number"}, format_checker=format_checker()
    )
    assert not validator.is_valid(value)


# --- person numbers are synthetic ---------------------------------------------------------------


@FAST
@given(national_identity_numbers())
def test_person_numbers_are_synthetic_and_born_in_range(number: str) -> None:
    day, month = int(number[:2]), int(number[2:4])
    assert 41 <= month <= 52 or 81 <= month <= 92, "only month + 40 or month + 80"
    assert day <= 31 or month >= 81, "a D-nummer day only together with month + 80"
    born = birth_date(number)
    assert born is not None
    assert datetime.date(1940, 1, 1) <= born < datetime.date.today()
    assert is_national_identity_number(number)


@pytest.mark.parametrize(
    ("description", "condition"),
    [
        ("NAV month + 40", lambda n: 41 <= int(n[2:4]) <= 52),
        ("Tenor month + 80", lambda n: int(n[2:4]) >= 81 and int(n[:2]) <= 31),
        ("Tenor D-nummer", lambda n: int(n[2:4]) >= 81 and int(n[:2]) >= 41),
        ("old-rule K1", lambda n: k1_remainder(n) == 0),
        ("2032-rule K1", lambda n: k1_remainder(n) in (1, 2, 3)),
        ("born in the 1900s", lambda n: (birth_date(n) or datetime.date.min).year < 2000),
        ("born in the 2000s", lambda n: (birth_date(n) or datetime.date.min).year >= 2000),
    ],
)
def test_every_kind_of_person_number_is_generated(description: str, condition: Callable[[str], bool]) -> None:
    assert condition(
        find(
            national_identity_numbers(),
            condition,
            settings=settings(database=None, max_examples=2000, deadline=None),
        )
    ), description


@pytest.mark.parametrize(("min_age", "max_age"), [(0, 0), (1, 1), (0, 12), (5, 12), (6, 9)])
def test_child_numbers_have_the_requested_age(min_age: int, max_age: int) -> None:
    today = datetime.date.today()

    @FAST
    @given(child_national_identity_numbers(min_age, max_age))
    def check(number: str) -> None:
        born = birth_date(number)
        assert born is not None
        assert min_age <= age_on(born, today) <= max_age
        assert is_national_identity_number(number)
        assert int(number[2:4]) >= 41

    check()


@pytest.mark.parametrize(("min_age", "max_age"), [(-1, 3), (5, 4)])
def test_child_numbers_reject_bad_ages(min_age: int, max_age: int) -> None:
    with pytest.raises(ValueError, match="min_age"):
        child_national_identity_numbers(min_age, max_age)


# --- near-misses break exactly the rule they name -----------------------------------------------


def _person_rule_broken(miss: NearMiss) -> None:
    value, reason = miss.value, miss.reason
    if "digits instead of 11" in reason:
        assert len(value) in (10, 12)
        assert value.isascii()
        assert value.isdigit()
        return
    assert len(value) == 11
    if reason == "non-digit":
        assert not (value.isascii() and value.isdigit())
        return
    assert value.isascii()
    assert value.isdigit()
    born = birth_date(value)
    if reason == "control digit K2 is wrong":
        assert born is not None
        assert k1_remainder(value) in (0, 1, 2, 3)
        assert not has_valid_control_digits(value)
    elif reason == "control digit K1 is wrong (any rule)":
        assert born is not None
        assert k1_remainder(value) >= 4
        weights_k2_and_check = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2, 1)
        assert sum(w * int(d) for w, d in zip(weights_k2_and_check, value, strict=True)) % 11 == 0, "K2 fits"
    elif reason.startswith("impossible birth date"):
        assert born is None
        assert has_valid_control_digits(value)
    elif reason == "birth date in the future":
        assert born is not None
        assert born > datetime.date.today()
        assert has_valid_control_digits(value)
    else:
        pytest.fail(f"unexpected reason {reason!r}")
    assert int(value[2:4]) >= 41, "near-misses are synthetic too"


@FAST
@given(national_identity_number_near_misses())
def test_person_number_near_misses_break_the_named_rule(miss: NearMiss) -> None:
    _person_rule_broken(miss)
    assert not is_national_identity_number(miss.value)


@pytest.mark.parametrize(
    "reason",
    [
        "control digit K2 is wrong",
        "control digit K1 is wrong (any rule)",
        "10 digits instead of 11",
        "12 digits instead of 11",
        "impossible birth date (29 February)",
        "impossible birth date (day 32)",
        "birth date in the future",
        "non-digit",
    ],
)
def test_every_person_near_miss_reason_is_generated(reason: str) -> None:
    find(
        national_identity_number_near_misses(),
        lambda m: m.reason == reason,
        settings=settings(database=None, max_examples=2000, deadline=None),
    )


@pytest.mark.parametrize(
    ("near_misses", "is_valid", "length"),
    [
        (organization_number_near_misses, is_organization_number, 9),
        (account_number_near_misses, is_account_number, 11),
    ],
)
def test_check_digit_near_misses_break_the_named_rule(
    near_misses: Callable[[], st.SearchStrategy[NearMiss]],
    is_valid: Callable[[str], bool],
    length: int,
) -> None:
    seen: set[str] = set()

    @FAST
    @given(near_misses())
    def check(miss: NearMiss) -> None:
        seen.add(miss.reason)
        value = miss.value
        assert not is_valid(value)
        digits_only = value.isascii() and value.isdigit()
        if miss.reason in ("wrong control digit", "unusable base"):
            assert digits_only
            assert len(value) == length
        elif miss.reason == "too short":
            assert digits_only
            assert len(value) == length - 1
        elif miss.reason == "too long":
            assert digits_only
            assert len(value) == length + 1
        elif miss.reason == "non-digit":
            assert len(value) == length
            assert not digits_only
        else:
            assert miss.reason == "display form with separators"
            assert value.replace(".", "").replace(" ", "").isdigit()
            assert not digits_only

    check()
    assert {"wrong control digit", "unusable base", "too short", "too long", "non-digit"} <= seen


@FAST
@given(municipality_number_near_misses())
def test_municipality_near_misses_are_not_current_numbers(miss: NearMiss) -> None:
    assert miss.value not in current_municipality_numbers()
    assert not is_municipality_number(miss.value)


def test_retired_municipality_numbers_are_generated() -> None:
    miss = find(
        municipality_number_near_misses(),
        lambda m: m.reason == "number retired before 2024",
        settings=settings(database=None, max_examples=2000, deadline=None),
    )
    assert len(miss.value) == 4
    assert miss.value.isdigit()


def test_municipality_strategy_covers_the_list() -> None:
    found = find(
        VALID_FORMAT_STRATEGIES["no-municipality-number"](),
        lambda n: n.startswith("56"),
        settings=settings(database=None, max_examples=5000, deadline=None),
    )
    assert found in current_municipality_numbers()
