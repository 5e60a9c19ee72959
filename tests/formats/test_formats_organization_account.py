"""Organisasjonsnummer and kontonummer: known vectors, strict form, parity with python-stdnum."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.no import kontonr, orgnr

from felles.formats import is_account_number, is_organization_number

ORG_WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2)
ACCOUNT_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)

VALID_ORGANIZATION_NUMBERS = (
    "974760673",  # Brønnøysundregistrene
    "938801363",
    "971526920",  # Statistisk sentralbyrå
    "923609016",  # Equinor ASA
)
VALID_ACCOUNT_NUMBERS = ("86011117947",)


def single_digit_changes(value: str) -> list[str]:
    return [value[:i] + d + value[i + 1 :] for i in range(len(value)) for d in "0123456789" if d != value[i]]


def control_digit(digits: str, weights: tuple[int, ...]) -> int | None:
    """Independent mod-11 control digit (DOMAIN.md): remainder 0 -> 0, remainder 1 -> unusable."""
    digit = 11 - sum(w * int(d) for w, d in zip(weights, digits, strict=True)) % 11
    return 0 if digit == 11 else None if digit == 10 else digit


# --- organisasjonsnummer ----------------------------------------------------------------------


@pytest.mark.parametrize("number", VALID_ORGANIZATION_NUMBERS)
def test_known_organization_numbers_are_valid(number: str) -> None:
    assert is_organization_number(number)
    assert control_digit(number[:8], ORG_WEIGHTS) == int(number[8])


@pytest.mark.parametrize("number", VALID_ORGANIZATION_NUMBERS)
def test_every_single_digit_change_of_an_organization_number_is_rejected(number: str) -> None:
    for changed in single_digit_changes(number):
        assert not is_organization_number(changed), changed


@pytest.mark.parametrize(
    "value",
    [
        "974760674",  # last digit changed
        "97476067",  # 8 digits
        "9747606730",  # 10 digits
        "974 760 673",  # display form: stdnum accepts it, the exchange format does not
        "NO974760673MVA",  # MVA number, a different identifier
        " 974760673",
        "974760673\n",
        "97476067\uff13",
        "",
    ],
)
def test_malformed_organization_numbers_are_rejected(value: str) -> None:
    assert not is_organization_number(value)


def test_a_base_that_needs_control_digit_10_is_never_valid() -> None:
    base = "97476007"
    assert control_digit(base, ORG_WEIGHTS) is None
    assert not any(is_organization_number(f"{base}{d}") for d in range(10))


@settings(max_examples=500, deadline=None)
@given(st.integers(0, 99_999_999), st.one_of(st.none(), st.integers(0, 9)))
def test_organization_number_agrees_with_stdnum(base: int, last: int | None) -> None:
    digits = f"{base:08d}"
    check = control_digit(digits, ORG_WEIGHTS) if last is None else last
    value = f"{digits}{check if check is not None else 0}"
    assert is_organization_number(value) == orgnr.is_valid(value)


# --- kontonummer --------------------------------------------------------------------------------


@pytest.mark.parametrize("number", VALID_ACCOUNT_NUMBERS)
def test_known_account_numbers_are_valid(number: str) -> None:
    assert is_account_number(number)
    assert kontonr.is_valid(number)


@pytest.mark.parametrize("number", VALID_ACCOUNT_NUMBERS)
def test_every_single_digit_change_of_an_account_number_is_rejected(number: str) -> None:
    for changed in single_digit_changes(number):
        assert not is_account_number(changed), changed


@pytest.mark.parametrize(
    "value",
    [
        "86011117948",  # last digit changed
        "8601111794",  # 10 digits
        "860111179470",  # 12 digits
        "8601.11.17947",  # display form: stdnum accepts it, the exchange format does not
        "8601 11 17947",
        "NO9386011117947",  # IBAN
        "8601111794\u0667",
        "",
    ],
)
def test_malformed_account_numbers_are_rejected(value: str) -> None:
    assert not is_account_number(value)


def test_remainder_1_makes_every_last_digit_invalid() -> None:
    base = "8601111705"
    assert sum(w * int(d) for w, d in zip(ACCOUNT_WEIGHTS, base, strict=True)) % 11 == 1
    assert not any(is_account_number(f"{base}{d}") for d in range(10))


def test_remainder_0_gives_control_digit_0() -> None:
    base = next(
        f"{n:010d}"
        for n in range(8601111700, 8601111800)
        if sum(w * int(d) for w, d in zip(ACCOUNT_WEIGHTS, f"{n:010d}", strict=True)) % 11 == 0
    )
    assert is_account_number(f"{base}0")


def test_leading_0000_is_checked_with_mod_11_not_the_postgiro_luhn_rule() -> None:
    """stdnum strips a 0000 bank code and applies Luhn; an 11-digit kontonummer is always mod 11."""
    luhn_only, mod11_only = "00000000018", "00000000019"
    assert kontonr.is_valid(luhn_only)
    assert not is_account_number(luhn_only)
    assert not kontonr.is_valid(mod11_only)
    assert is_account_number(mod11_only)


@settings(max_examples=500, deadline=None)
@given(st.integers(1_000_000_000, 9_999_999_999), st.one_of(st.none(), st.integers(0, 9)))
def test_account_number_agrees_with_stdnum_without_postgiro_prefix(base: int, last: int | None) -> None:
    digits = f"{base:010d}"
    check = control_digit(digits, ACCOUNT_WEIGHTS) if last is None else last
    value = f"{digits}{check if check is not None else 0}"
    assert is_account_number(value) == kontonr.is_valid(value)
