"""Every example (in)validates as its path says, and every schema has enough examples.

The example files are discovered, not listed: a new file under ``examples/``
is tested the moment it exists, and a misnamed one fails with the reason.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from felles.errors import StandardError
from felles.formats import is_national_identity_number
from felles.standard.catalogue import default_catalogue
from felles.standard.examples import (
    MINIMUM_EXAMPLES,
    REASON_KEYWORDS,
    Example,
    ExampleError,
    check_example,
    example_files,
    failing_keywords,
    field_to_pointer,
    has_assertions,
    parse_example_path,
)
from felles.standard.paths import examples_dir

EXAMPLES_ROOT = examples_dir()
FILES = example_files(EXAMPLES_ROOT)

# Stricter minimums than MINIMUM_EXAMPLES where one schema carries most of a component.
MINIMUMS: dict[tuple[str, str, str], tuple[int, int]] = {
    ("application", "1.0", "ApplicationSubmission"): (4, 8),
    ("application", "1.1", "ApplicationSubmission"): (4, 8),
}

# Invalid cases a reviewer asked for by name: they must keep existing.
REQUIRED_INVALID: dict[tuple[str, str, str], set[str]] = {
    ("application", "1.0", "ApplicationSubmission"): {
        "child.nationalIdentityNumber_check-digit",
        "child.nationalIdentityNumber_impossible-date",
        "homeAddress.municipalityNumber_unknown-municipality",
        "guardians_missing",
        "preferredKindergartens_too-many-items",
        "grade_above-maximum",
        "attendanceDays_duplicate-items",
    },
}


def _relative(path: Path) -> str:
    return path.relative_to(EXAMPLES_ROOT).as_posix()


def _parsed() -> list[Example]:
    """The well-named examples; misnamed ones are reported by test_example_name."""
    found = []
    for path in FILES:
        try:
            found.append(parse_example_path(path, EXAMPLES_ROOT))
        except ExampleError:
            continue
    return found


def test_examples_exist() -> None:
    assert FILES, f"no example files under {EXAMPLES_ROOT}"


@pytest.mark.parametrize("path", FILES, ids=_relative)
def test_example_name(path: Path) -> None:
    try:
        example = parse_example_path(path, EXAMPLES_ROOT)
    except ExampleError as exc:
        pytest.fail(str(exc))
    try:
        default_catalogue().get(f"{example.component}@{example.version}").schema_id(example.schema)
    except StandardError as exc:
        pytest.fail(f"{_relative(path)}: the folder names no schema of the standard: {exc}")


@pytest.mark.parametrize("path", FILES, ids=_relative)
def test_example_keeps_its_promise(path: Path) -> None:
    try:
        example = parse_example_path(path, EXAMPLES_ROOT)
    except ExampleError:
        pytest.skip("misnamed; reported by test_example_name")
    problems = check_example(example)
    assert not problems, "\n".join(problems)


def _schemas_needing_examples() -> Iterator[tuple[str, str, str]]:
    for component in default_catalogue().components():
        for name in component.schema_names():
            if has_assertions(component.schema(name)):
                yield component.name, component.version, name


@pytest.mark.parametrize("key", list(_schemas_needing_examples()), ids="{0[0]}@{0[1]}/{0[2]}".format)
def test_every_schema_has_enough_examples(key: tuple[str, str, str]) -> None:
    counts = Counter((e.component, e.version, e.schema, e.valid) for e in _parsed())
    want_valid, want_invalid = MINIMUMS.get(key, MINIMUM_EXAMPLES)
    have_valid, have_invalid = counts[(*key, True)], counts[(*key, False)]
    folder = f"examples/{key[0]}/{key[1]}/{{valid,invalid}}/{key[2]}/"
    message = (
        f"{key[0]}@{key[1]}/{key[2]} has {have_valid} valid and {have_invalid} invalid examples; "
        f"it needs at least {want_valid} and {want_invalid} in {folder}"
    )
    assert have_valid >= want_valid, message
    assert have_invalid >= want_invalid, message


def test_identifiers_schema_needs_no_examples() -> None:
    identifiers = default_catalogue().get("common@1.0").schema("Identifiers")
    assert not has_assertions(identifiers)


@pytest.mark.parametrize("key", list(REQUIRED_INVALID), ids="{0[0]}@{0[1]}/{0[2]}".format)
def test_required_invalid_cases_exist(key: tuple[str, str, str]) -> None:
    have = {e.label for e in _parsed() if (e.component, e.version, e.schema) == key and not e.valid}
    assert REQUIRED_INVALID[key] <= have, f"missing: {sorted(REQUIRED_INVALID[key] - have)}"


@pytest.mark.parametrize("version", ["1.0", "1.1"])
def test_submission_examples_cover_both_kinds(version: str) -> None:
    kinds = {
        e.load().get("type")
        for e in _parsed()
        if e.valid and (e.component, e.version, e.schema) == ("application", version, "ApplicationSubmission")
    }
    assert {"kindergarten-place", "after-school-care"} <= kinds


def _national_identity_numbers(document: Any) -> Iterator[str]:
    if isinstance(document, dict):
        for key, value in document.items():
            if key == "nationalIdentityNumber" and isinstance(value, str):
                yield value
            else:
                yield from _national_identity_numbers(value)
    elif isinstance(document, list):
        for value in document:
            yield from _national_identity_numbers(value)


@pytest.mark.parametrize("path", FILES, ids=_relative)
def test_only_synthetic_national_identity_numbers(path: Path) -> None:
    """No real person's number in an example: the month must carry a test offset (+40 or +80)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        pytest.skip("not JSON; reported by test_example_keeps_its_promise")
    for number in _national_identity_numbers(document):
        if len(number) == 11 and number.isdigit():
            assert int(number[2:4]) > 40, f"{number} is not a synthetic test number (month + 40 or + 80)"


# --- the helpers themselves -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "pointer"),
    [
        ("root", ""),
        ("guardians", "/guardians"),
        ("guardians.0.nationalIdentityNumber", "/guardians/0/nationalIdentityNumber"),
        ("items.1.submission.type", "/items/1/submission/type"),
    ],
)
def test_field_to_pointer(field: str, pointer: str) -> None:
    assert field_to_pointer(field) == pointer


def test_parse_invalid_example(tmp_path: Path) -> None:
    path = tmp_path / "application/1.0/invalid/ApplicationSubmission/guardians.0.email_format.json"
    example = parse_example_path(path, tmp_path)
    assert (example.component, example.version, example.schema) == (
        "application",
        "1.0",
        "ApplicationSubmission",
    )
    assert not example.valid
    assert (example.field, example.reason) == ("guardians.0.email", "format")
    assert example.pointer == "/guardians/0/email"
    assert example.keywords == frozenset({"format"})
    assert example.schema_key == "application@1.0/ApplicationSubmission"


def test_parse_valid_example(tmp_path: Path) -> None:
    path = tmp_path / "common/1.0/valid/Person/kari-nordmann.json"
    example = parse_example_path(path, tmp_path)
    assert example.valid
    assert example.label == "kari-nordmann"
    assert example.pointer is None
    assert example.keywords == frozenset()


@pytest.mark.parametrize(
    ("relative", "message"),
    [
        ("common/1.0/valid/Person/Kari_Nordmann.json", "not kebab-case"),
        ("common/1.0/invalid/Person/givenName.json", "<field>_<reason>"),
        ("common/1.0/invalid/Person/givenName_too-big.json", "unknown reason 'too-big'"),
        ("common/1.0/invalid/Person/root_unknown-member.json", "name the added member"),
        ("common/1.0/invalid/Person/given..name_missing.json", "not a dotted member path"),
        ("common/1.0/invalid/Person/_missing.json", "<field>_<reason>"),
        ("common/1.0/broken/Person/givenName_missing.json", "'valid' or 'invalid'"),
        ("common/v1/valid/Person/kari.json", "not MAJOR.MINOR"),
        ("common/1.0/valid/person/kari.json", "not a schema name"),
        ("common/1.0/valid/Person/kari.yaml", ".json"),
        ("common/1.0/valid/kari.json", "not where examples go"),
    ],
)
def test_bad_names_are_explained(tmp_path: Path, relative: str, message: str) -> None:
    with pytest.raises(ExampleError, match=message.replace(".", r"\.").replace("(", r"\(")):
        parse_example_path(tmp_path / relative, tmp_path)


def test_every_reason_maps_to_keywords() -> None:
    assert all(REASON_KEYWORDS.values())
    assert REASON_KEYWORDS["check-digit"] == frozenset({"format"})
    assert REASON_KEYWORDS["unknown-member"] == frozenset({"additionalProperties", "unevaluatedProperties"})


def _write(root: Path, relative: str, document: object) -> Example:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document), encoding="utf-8")
    return parse_example_path(path, root)


PERSON = {"nationalIdentityNumber": "15507600333", "givenName": "Ola", "familyName": "Nordmann"}


def test_check_flags_a_valid_example_that_validates_not(tmp_path: Path) -> None:
    example = _write(
        tmp_path, "common/1.0/valid/Person/no-name.json", {"nationalIdentityNumber": "15507600333"}
    )
    problems = check_example(example)
    assert problems
    assert "should be valid" in problems[0]


def test_check_flags_an_invalid_example_that_validates(tmp_path: Path) -> None:
    example = _write(tmp_path, "common/1.0/invalid/Person/givenName_too-long.json", PERSON)
    assert "but validates" in check_example(example)[0]


def test_check_flags_the_wrong_pointer(tmp_path: Path) -> None:
    example = _write(
        tmp_path, "common/1.0/invalid/Person/givenName_missing.json", {**PERSON, "familyName": ""}
    )
    problems = check_example(example)
    assert any("exactly one error at '/givenName'" in p and "/familyName" in p for p in problems)


def test_check_flags_the_wrong_reason(tmp_path: Path) -> None:
    example = _write(
        tmp_path, "common/1.0/invalid/Person/givenName_too-long.json", {**PERSON, "givenName": 7}
    )
    problems = check_example(example)
    assert len(problems) == 1
    assert "maxLength" in problems[0]
    assert "['type']" in problems[0]


def test_check_flags_two_broken_members(tmp_path: Path) -> None:
    document = {**PERSON, "givenName": "", "phone": "12"}
    example = _write(tmp_path, "common/1.0/invalid/Person/givenName_too-short.json", document)
    assert "exactly one error" in check_example(example)[0]


def test_check_accepts_a_correct_invalid_example(tmp_path: Path) -> None:
    document = {**PERSON, "nationalIdentityNumber": "15507600334"}
    example = _write(tmp_path, "common/1.0/invalid/Person/nationalIdentityNumber_check-digit.json", document)
    assert check_example(example) == []


def test_duplicate_members_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "common/1.0/valid/Person/twice.json"
    path.parent.mkdir(parents=True)
    path.write_text('{"givenName": "Ola", "givenName": "Kari"}', encoding="utf-8")
    with pytest.raises(ExampleError, match="duplicate member 'givenName'"):
        parse_example_path(path, tmp_path).load()


def test_failing_keywords_look_into_one_of_branches() -> None:
    uri = default_catalogue().get("application@1.0").schema_id("ApplicationSubmission")
    found = failing_keywords(uri, {"type": "after-school-care", "grade": 9})
    assert "maximum" in found["/grade"]
    assert "required" in found["/child"]
    assert "/type" not in found  # the kindergarten-place branch was not meant
    found = failing_keywords(uri, {"type": "daycare"})
    assert found["/type"] == {"const"}  # no branch is meant: all are looked into


def test_synthetic_numbers_in_this_file_are_valid() -> None:
    assert is_national_identity_number(PERSON["nationalIdentityNumber"])
