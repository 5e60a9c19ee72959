"""The format checker: Felles formats, strictly checked standard formats, JSON Schema semantics."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from felles.formats import FELLES_FORMATS, format_checker

IDENTIFIERS_SCHEMA = Path(__file__).resolve().parents[2] / "schemas/common/1.0/Identifiers.schema.json"

FELLES_CASES = {
    "no-national-identity-number": (
        ["15507600333", "17912099997", "57912075186", "17912099830"],
        ["15507600334", "17912099849", "1550760033", "155076003330", "15507600333 ", "8"],
    ),
    "no-organization-number": (
        ["974760673", "938801363"],
        ["974760674", "974 760 673", "97476067", "NO974760673MVA"],
    ),
    "no-account-number": (
        ["86011117947"],
        ["86011117948", "8601.11.17947", "8601111794"],
    ),
    "no-municipality-number": (
        ["0301", "3201", "5601"],
        ["0219", "1201", "2100", "301", "03010"],
    ),
}

STANDARD_CASES = {
    "date": (
        ["2024-02-29", "1976-10-15"],
        ["2023-02-29", "2024-13-01", "2024-1-01", "20240101", "2024-01-01T00:00:00Z"],
    ),
    "date-time": (
        ["2024-01-01T12:00:00Z", "2024-01-01T12:00:00.5+01:00", "2024-01-01t12:00:00z"],
        ["2024-01-01T12:00:00", "2024-01-01 12:00", "2024-02-30T00:00:00Z", "2024-01-01"],
    ),
    "email": (
        [
            "ola.nordmann@example.no",
            "post+tag@kommune.example",
            '"a b"@example.no',
            "x@[192.0.2.1]",
        ],
        [
            "ola",
            "ola@",
            "@example.no",
            "a@b@c",
            "ola nordmann@example.no",
            "a..b@example.no",
            "a@-x.no",
            "x@[999.0.0.1]",
        ],
    ),
    "uuid": (
        ["123e4567-e89b-12d3-a456-426614174000", "123E4567-E89B-12D3-A456-426614174000"],
        [
            "123e4567e89b12d3a456426614174000",
            "{123e4567-e89b-12d3-a456-426614174000}",
            "urn:uuid:123e4567-e89b-12d3-a456-426614174000",
            "12345678-1234-1234-1234-1234-56789abc",
            "123e4567-e89b-12d3-a456-42661417400g",
        ],
    ),
    "uri": (
        [
            "https://felles.example/a/b?c=d#e",
            "urn:isbn:0451450523",
            "mailto:post@example.no",
            "https://[2001:db8::1]:8443/",
        ],
        [
            "felles.example/a",
            "/relative/path",
            "https://exa mple.no",
            "https://example.no/%zz",
            "1http://x",
            "",
            "https://[not-ipv6]/",
        ],
    ),
    "uri-reference": (
        ["https://felles.example/a", "/relative/path", "../up?x=1", "#fragment", "", "a/b:c"],
        ["a b", "/%zz", "http://exa mple.no", ":no-scheme", "\\\\server\\share"],
    ),
    "json-pointer": (
        ["", "/", "/a/b", "/a~0b/c~1d", "/0/1"],
        ["a/b", "/a~2", "/a~", "#/a"],
    ),
}


def cases(table: dict[str, tuple[list[str], list[str]]], valid: bool) -> list[tuple[str, str]]:
    return [(name, value) for name, (good, bad) in table.items() for value in (good if valid else bad)]


def test_felles_format_names() -> None:
    assert FELLES_FORMATS == (
        "no-national-identity-number",
        "no-organization-number",
        "no-account-number",
        "no-municipality-number",
    )


def test_it_is_a_format_checker_with_every_format_it_promises() -> None:
    checker = format_checker()
    assert isinstance(checker, FormatChecker)
    assert set(FELLES_FORMATS) | set(STANDARD_CASES) <= set(checker.checkers)
    # Everything the stock Draft 2020-12 checker had is still there.
    assert set(Draft202012Validator.FORMAT_CHECKER.checkers) <= set(checker.checkers)


def test_each_call_returns_an_independent_checker() -> None:
    first = format_checker()
    first.checks("only-in-first")(lambda instance: False)
    assert "only-in-first" not in format_checker().checkers
    assert "only-in-first" not in Draft202012Validator.FORMAT_CHECKER.checkers
    assert "no-account-number" not in Draft202012Validator.FORMAT_CHECKER.checkers


@pytest.mark.parametrize(
    ("name", "value"), cases(FELLES_CASES, valid=True) + cases(STANDARD_CASES, valid=True)
)
def test_valid_values_conform(name: str, value: str) -> None:
    assert format_checker().conforms(value, name)


@pytest.mark.parametrize(
    ("name", "value"), cases(FELLES_CASES, valid=False) + cases(STANDARD_CASES, valid=False)
)
def test_invalid_values_do_not_conform(name: str, value: str) -> None:
    assert not format_checker().conforms(value, name)


@pytest.mark.parametrize("name", [*FELLES_FORMATS, *STANDARD_CASES])
@pytest.mark.parametrize("instance", [5, 1.5, True, None, [], {}, ["15507600333"]])
def test_non_strings_are_not_constrained(name: str, instance: Any) -> None:
    assert format_checker().conforms(instance, name)


@pytest.mark.parametrize(("name", "value"), cases(FELLES_CASES, valid=False))
def test_a_validator_reports_the_format_error(name: str, value: str) -> None:
    validator = Draft202012Validator({"format": name}, format_checker=format_checker())
    errors = list(validator.iter_errors(value))
    assert [error.validator for error in errors] == ["format"]


def test_without_the_checker_formats_are_only_annotations() -> None:
    """Validators must pass format_checker(): Draft 2020-12 does not assert formats by default."""
    schema = {"format": "no-national-identity-number"}
    assert Draft202012Validator(schema).is_valid("15507600334")
    assert not Draft202012Validator(schema, format_checker=format_checker()).is_valid("15507600334")


@pytest.mark.skipif(not IDENTIFIERS_SCHEMA.is_file(), reason="Identifiers schema not present")
def test_identifier_schema_examples_conform() -> None:
    schema = json.loads(IDENTIFIERS_SCHEMA.read_text(encoding="utf-8"))
    checked = 0
    for definition in schema["$defs"].values():
        if definition.get("format") in FELLES_FORMATS:
            validator = Draft202012Validator(definition, format_checker=format_checker())
            for example in definition.get("examples", []):
                assert validator.is_valid(example), (definition["format"], example)
                checked += 1
    assert checked > 0
