"""from_schema: every generated value is valid, all branches and options occur, and
keywords the generator does not understand are refused instead of ignored."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from felles.errors import StandardError
from felles.standard.registry import default_registry
from felles.standard.validation import SchemaValidator, validator_for
from felles.strategies import UnsupportedSchemaError, from_schema
from felles.strategies.from_schema import compiler_for, strict_pattern

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_FILES = sorted((ROOT / "schemas").glob("*/*/*.schema.json"))
BASE = "https://felles.example/schemas/"
SUBMISSION = f"{BASE}application/1.0/ApplicationSubmission.schema.json"
PERSON = f"{BASE}common/1.0/Person.schema.json"
NAME = f"{BASE}common/1.0/Identifiers.schema.json#/$defs/Name"
TEST = "https://test.example/schemas/"
SETTINGS = settings(max_examples=50, deadline=None)


def schema_id(path: Path) -> str:
    return str(json.loads(path.read_text(encoding="utf-8"))["$id"])


def test_every_schema_file_is_covered() -> None:
    names = {path.name for path in SCHEMA_FILES}
    assert {
        "ApplicationSubmission.schema.json",
        "Application.schema.json",
        "Person.schema.json",
        "Address.schema.json",
        "Problem.schema.json",
        "Conformance.schema.json",
        "CloudEvent.schema.json",
    } <= names


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: f"{p.parent.parent.name}/{p.stem}")
def test_generated_values_are_valid_without_the_safety_net(path: Path) -> None:
    """The construction itself is right: no final filter hides a generator bug."""
    uri = schema_id(path)
    compiler = compiler_for()
    unfiltered = compiler.strategy((compiler.root(uri),))
    validator = validator_for(uri)

    @SETTINGS
    @given(unfiltered)
    def check(instance: Any) -> None:
        assert validator.errors(instance) == []
        assert json.loads(json.dumps(instance)) == instance  # plain JSON, nothing Python-only

    check()


@pytest.mark.parametrize("uri", [SUBMISSION, PERSON, NAME, f"{BASE}application/1.0/Application.schema.json"])
def test_public_strategy_is_valid(uri: str) -> None:
    validator = (
        validator_for(uri) if "#" not in uri else compiler_for().validator((compiler_for().root(uri),))
    )

    @SETTINGS
    @given(from_schema(uri))
    def check(instance: Any) -> None:
        assert validator.is_valid(instance)

    check()


def test_both_submission_branches_occur() -> None:
    kinds: set[str] = set()

    @SETTINGS
    @given(from_schema(SUBMISSION))
    def collect(submission: dict[str, Any]) -> None:
        kinds.add(submission["type"])

    collect()
    assert kinds == {"kindergarten-place", "after-school-care"}


def test_optional_members_are_sometimes_present_and_sometimes_absent() -> None:
    seen: dict[str, set[bool]] = {"email": set(), "phone": set()}

    @settings(max_examples=60, deadline=None)
    @given(from_schema(PERSON))
    def collect(person: dict[str, Any]) -> None:
        for name, present in seen.items():
            present.add(name in person)

    collect()
    assert seen == {"email": {True, False}, "phone": {True, False}}


def test_strings_stay_small_and_printable() -> None:
    """Payloads stay small for HTTP; no control characters unless a schema asks for them."""

    def strings(value: Any) -> list[str]:
        if isinstance(value, str):
            return [value]
        if isinstance(value, list):
            return [s for item in value for s in strings(item)]
        if isinstance(value, dict):
            return [s for item in value.values() for s in strings(item)]
        return []

    @SETTINGS
    @given(from_schema(SUBMISSION))
    def check(submission: dict[str, Any]) -> None:
        for text in strings(submission):
            assert len(text) <= 64
            assert text.isprintable(), repr(text)
        assert len(json.dumps(submission)) < 6000

    check()


def test_names_are_realistic_and_cheap() -> None:
    """Name's pattern must not make Hypothesis filter (default health checks are on)."""

    @settings(max_examples=100, deadline=None)
    @given(from_schema(NAME))
    def check(name: str) -> None:
        assert name
        assert name == name.strip()
        assert len(name) <= 100
        assert re.fullmatch(r"[\w \-'.,:/()]+", name), name

    check()


def test_strict_pattern_rejects_a_trailing_newline() -> None:
    pattern = "^[0-9]{4}$"
    assert re.search(pattern, "1234\n")  # what jsonschema (Python re) would accept
    assert not re.search(strict_pattern(pattern), "1234\n")
    assert strict_pattern(r"^[$]\$(a|b$)$") == r"^[$]\$(a|b\Z)\Z"
    assert strict_pattern(r"^[]$]$") == r"^[]$]\Z"


# --- hand-written schemas: every supported keyword, and refusals ------------------------------


def registry_with(*schemas: dict[str, Any]) -> Registry[Any]:
    resources = [(s["$id"], Resource.from_contents(s, default_specification=DRAFT202012)) for s in schemas]
    return default_registry().with_resources(resources)


KEYWORDS_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": f"{TEST}Keywords.schema.json",
    "type": "object",
    "required": ["tuple", "choice", "merged", "numbers", "tags", "lookup", "person", "nothing"],
    "additionalProperties": False,
    "properties": {
        "tuple": {
            "type": "array",
            "prefixItems": [{"type": "integer"}, {"type": "string", "format": "date"}],
            "items": {"type": "boolean"},
            "minItems": 2,
            "maxItems": 4,
        },
        "choice": {
            "anyOf": [
                {"type": "string", "minLength": 3, "maxLength": 3},
                {"type": ["null", "number"], "exclusiveMinimum": 0, "exclusiveMaximum": 1},
            ]
        },
        "merged": {
            "allOf": [
                {"$ref": "#/$defs/Base"},
                {"properties": {"b": {"type": "integer", "minimum": 5}}, "required": ["b"]},
            ]
        },
        "numbers": {
            "type": "array",
            "minItems": 3,
            "uniqueItems": True,
            "items": {"type": "number", "minimum": -2.5, "maximum": 2.5, "multipleOf": 0.5},
        },
        "tags": {
            "type": "object",
            "minProperties": 2,
            "maxProperties": 3,
            "additionalProperties": {"type": "string", "format": "email"},
        },
        "lookup": {"const": {"k": [1, 2]}},
        "person": {"$ref": f"{BASE}common/1.0/Person.schema.json"},
        "nothing": {"type": ["string", "integer"], "enum": ["a", 1, None, 2.5]},
        "never": False,
        "anything": True,
        "when": {"type": "string", "format": "date-time"},
        "where": {"type": "string", "format": "uri-reference"},
        "pointer": {"type": "string", "format": "json-pointer"},
        "id": {"type": "string", "format": "uuid"},
    },
    "$defs": {
        "Base": {
            "type": "object",
            "required": ["a"],
            "properties": {"a": {"type": "string", "pattern": "^[A-Z]{2}-[0-9]{3}$"}},
        }
    },
}


def test_every_supported_keyword_generates_valid_values() -> None:
    registry = registry_with(KEYWORDS_SCHEMA)
    uri = KEYWORDS_SCHEMA["$id"]
    compiler = compiler_for(registry)
    validator = SchemaValidator(uri, registry)
    seen_choice_types: set[type] = set()

    @SETTINGS
    @given(compiler.strategy((compiler.root(uri),)))
    def check(instance: dict[str, Any]) -> None:
        assert validator.errors(instance) == []
        assert "never" not in instance
        assert instance["nothing"] in ("a", 1)
        seen_choice_types.add(type(instance["choice"]))
        instance["lookup"]["k"].append(3)  # values are copies, never the schema's own objects

    check()
    assert KEYWORDS_SCHEMA["properties"]["lookup"]["const"] == {"k": [1, 2]}
    assert str in seen_choice_types
    assert seen_choice_types & {float, int, type(None)}


@pytest.mark.parametrize(
    ("schema", "keyword"),
    [
        ({"if": {"type": "string"}, "then": {"minLength": 1}}, "if"),
        ({"type": "string", "format": "ipv9"}, "format"),
        ({"type": "object", "patternProperties": {"^x-": {}}}, "patternProperties"),
        ({"properties": {"deep": {"items": {"not": {"type": "null"}}}}}, "not"),
        (
            {"$defs": {"A": {"unevaluatedProperties": False}}, "$ref": "#/$defs/A"},
            "unevaluatedProperties",
        ),
        ({"type": "array", "contains": {"const": 1}}, "contains"),
    ],
)
def test_unsupported_keywords_are_refused_and_named(schema: dict[str, Any], keyword: str) -> None:
    uri = f"{TEST}Unsupported{keyword}.schema.json"
    registry = registry_with({"$id": uri, **schema})
    with pytest.raises(UnsupportedSchemaError) as raised:
        from_schema(uri, registry=registry)
    assert raised.value.keyword == keyword
    assert repr(keyword) in str(raised.value) or keyword in str(raised.value)
    assert raised.value.location.startswith(uri)


def test_recursive_schema_is_refused() -> None:
    uri = f"{TEST}Tree.schema.json"
    tree = {
        "$id": uri,
        "type": "object",
        "required": ["child"],
        "properties": {"child": {"$ref": "#"}},
    }
    with pytest.raises(UnsupportedSchemaError, match="recursive"):
        from_schema(uri, registry=registry_with(tree))


def test_unknown_schema_is_a_standard_error() -> None:
    with pytest.raises(StandardError, match="NoSuchThing"):
        from_schema(f"{BASE}common/1.0/NoSuchThing.schema.json")


def test_strategy_does_not_share_state_between_draws() -> None:
    strategy = from_schema(f"{BASE}common/1.0/Conformance.schema.json")

    @settings(max_examples=20, deadline=None)
    @given(st.data())
    def check(data: st.DataObject) -> None:
        first = data.draw(strategy)
        snapshot = copy.deepcopy(first)
        second = data.draw(strategy)
        second["components"].clear()
        assert first == snapshot

    check()
