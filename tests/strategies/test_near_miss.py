"""near_misses: one member broken, the validator blames exactly that member, every kind
of break the schema allows occurs, and the valid input is never touched."""

from __future__ import annotations

import copy
import re
from collections import Counter
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from felles.errors import StandardError
from felles.standard.registry import default_registry
from felles.standard.validation import SchemaValidator, validator_for
from felles.strategies import REASONS, NearMiss, all_near_misses, from_schema, near_misses
from felles.strategies.from_schema import compiler_for
from felles.strategies.near_miss import _breaks

BASE = "https://felles.example/schemas/"
SUBMISSION = f"{BASE}application/1.0/ApplicationSubmission.schema.json"
PERSON = f"{BASE}common/1.0/Person.schema.json"
APPLICATION = f"{BASE}application/1.0/Application.schema.json"
NIN = f"{BASE}common/1.0/Identifiers.schema.json#/$defs/NationalIdentityNumber"
TEST = "https://test.example/schemas/"
NIN_POINTER = re.compile(r"^(/child|/guardians/\d+)?/nationalIdentityNumber$")

EXPECTED_REASONS = {
    SUBMISSION: {
        "wrong-type",
        "missing-required",
        "unknown-member",
        "not-in-enum",
        "const",
        "format",
        "pattern",
        "too-long",
        "too-short",
        "below-minimum",
        "above-maximum",
        "too-few-items",
        "too-many-items",
        "duplicate-items",
    },
    PERSON: {"wrong-type", "missing-required", "unknown-member", "format", "pattern", "too-long"},
}


def pointers(uri: str, instance: Any) -> list[str]:
    return [error.pointer for error in validator_for(uri).errors(instance)]


@pytest.mark.parametrize("uri", [SUBMISSION, PERSON], ids=["ApplicationSubmission", "Person"])
def test_near_misses_are_invalid_exactly_where_they_say(uri: str) -> None:
    validator = validator_for(uri)
    reasons: Counter[str] = Counter()
    nin_formats: list[str] = []

    @settings(max_examples=300, deadline=None)
    @given(st.data())
    def check(data: st.DataObject) -> None:
        valid = data.draw(from_schema(uri), label="valid")
        snapshot = copy.deepcopy(valid)
        miss = data.draw(near_misses(uri, valid), label="near-miss")
        assert valid == snapshot, "near_misses mutated its input"
        assert not validator.is_valid(miss.instance)
        assert miss.pointer in pointers(uri, miss.instance)
        assert miss.reason in REASONS
        reasons[miss.reason] += 1
        if miss.reason == "format" and NIN_POINTER.match(miss.pointer):
            nin_formats.append(miss.pointer)

    check()
    assert EXPECTED_REASONS[uri] <= set(reasons), f"never produced: {EXPECTED_REASONS[uri] - set(reasons)}"
    assert nin_formats, "no format near-miss on a fødselsnummer"


def kindergarten_submission() -> dict[str, Any]:
    child = {"nationalIdentityNumber": "15507600333", "givenName": "Ola", "familyName": "Nordmann"}
    return {
        "type": "kindergarten-place",
        "child": child,
        "guardians": [{**child, "givenName": "Kari", "email": "kari@example.no"}],
        "homeAddress": {
            "streetName": "Storgata",
            "houseNumber": 1,
            "postalCode": "0150",
            "postalCity": "Oslo",
        },
        "wantedStartDate": "2026-08-01",
        "careExtentPercent": 60,
        "preferredKindergartens": [{"name": "Solsikken", "organizationNumber": "974760673"}],
        "priorityBasis": "none",
    }


def after_school_submission() -> dict[str, Any]:
    child = {"nationalIdentityNumber": "15507600333", "givenName": "Ola", "familyName": "Nordmann"}
    return {
        "type": "after-school-care",
        "child": child,
        "guardians": [{**child, "givenName": "Kari"}],
        "homeAddress": {"postalCode": "0150", "postalCity": "Oslo"},
        "school": {"name": "Bakkeløkka skole"},
        "grade": 2,
        "attendanceDays": ["monday", "wednesday"],
        "startDate": "2026-08-17",
    }


@pytest.mark.parametrize("make", [kindergarten_submission, after_school_submission])
def test_all_near_misses_is_systematic_and_every_candidate_is_verified(make: Any) -> None:
    valid = make()
    assert validator_for(SUBMISSION).is_valid(valid)
    snapshot = copy.deepcopy(valid)
    misses = all_near_misses(SUBMISSION, valid)
    assert valid == snapshot
    compiler = compiler_for()
    candidates = list(_breaks(compiler, (compiler.root(SUBMISSION),), valid, ()))
    # Every break the walk derives is confirmed by the validator at the same pointer:
    # nothing had to be dropped, so the walk and the validator agree.
    assert len(misses) == len(candidates)
    seen = {(miss.pointer, miss.reason) for miss in misses}
    assert len(seen) == len(misses)  # one per (member, reason)
    for miss in misses:
        assert miss.pointer in pointers(SUBMISSION, miss.instance)
    expected = {
        ("", "wrong-type"),
        ("/type", "const"),
        ("/type", "missing-required"),
        ("/child/nationalIdentityNumber", "format"),
        ("/child/nationalIdentityNumber", "pattern"),
        ("/child/givenName", "too-short"),
        ("/child/givenName", "too-long"),
        ("/guardians", "too-few-items"),
        ("/guardians", "too-many-items"),
        ("/guardians/0/unknownMember", "unknown-member"),
        ("/homeAddress/postalCode", "pattern"),
        ("/unknownMember", "unknown-member"),
    }
    if valid["type"] == "kindergarten-place":
        expected |= {
            ("/careExtentPercent", "below-minimum"),
            ("/careExtentPercent", "above-maximum"),
            ("/careExtentPercent", "not-multiple-of"),
            ("/preferredKindergartens", "duplicate-items"),
            ("/priorityBasis", "not-in-enum"),
            ("/wantedStartDate", "format"),
            ("/guardians/0/email", "format"),
            ("/preferredKindergartens/0/organizationNumber", "format"),
        }
    else:
        expected |= {("/attendanceDays", "duplicate-items"), ("/attendanceDays/0", "not-in-enum")}
    assert expected <= seen, expected - seen


def test_format_break_keeps_the_pattern() -> None:
    """A fødselsnummer near-miss of reason format still has 11 digits: only the check fails."""
    misses = all_near_misses(PERSON, kindergarten_submission()["child"])
    (nin,) = [m for m in misses if m.pointer == "/nationalIdentityNumber" and m.reason == "format"]
    assert re.fullmatch(r"[0-9]{11}", nin.instance["nationalIdentityNumber"])


def test_removing_the_discriminator_is_blamed_on_it() -> None:
    valid = after_school_submission()
    misses = {(m.pointer, m.reason): m for m in all_near_misses(SUBMISSION, valid)}
    assert "type" not in misses[("/type", "missing-required")].instance


def test_fragment_schema_and_nested_application() -> None:
    misses = all_near_misses(NIN, "15507600333")
    assert {m.reason for m in misses} >= {"wrong-type", "pattern", "format"}
    assert {m.pointer for m in misses} == {""}

    @settings(max_examples=30, deadline=None)
    @given(st.data())
    def check(data: st.DataObject) -> None:
        valid = data.draw(from_schema(APPLICATION))
        miss = data.draw(near_misses(APPLICATION, valid))
        assert miss.pointer in pointers(APPLICATION, miss.instance)

    check()


def test_near_miss_instances_share_nothing_with_the_input() -> None:
    valid = kindergarten_submission()
    snapshot = copy.deepcopy(valid)
    for miss in all_near_misses(SUBMISSION, valid):
        if isinstance(miss.instance, dict):
            for member in miss.instance.values():
                if isinstance(member, dict):
                    member.clear()
                elif isinstance(member, list):
                    member.append("x")
    assert valid == snapshot


def test_invalid_input_is_refused() -> None:
    broken = kindergarten_submission()
    del broken["child"]
    with pytest.raises(StandardError, match="/child"):
        near_misses(SUBMISSION, broken)


# --- keywords our schemas do not (yet) use -----------------------------------------------------

NUMBERS: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": f"{TEST}Numbers.schema.json",
    "type": "object",
    "minProperties": 2,
    "maxProperties": 4,
    "properties": {
        "ratio": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
        "step": {"type": "number", "multipleOf": 0.25, "minimum": -1, "maximum": 1},
        "flag": {"const": True},
        "pair": {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}]},
    },
}


def test_numeric_and_member_count_breaks() -> None:
    registry: Registry[Any] = default_registry().with_resource(
        NUMBERS["$id"], Resource.from_contents(NUMBERS, default_specification=DRAFT202012)
    )
    valid = {"ratio": 0.5, "step": 0.75, "flag": True, "pair": ["a", 1]}
    misses = all_near_misses(NUMBERS["$id"], valid, registry=registry)
    seen = {(m.pointer, m.reason) for m in misses}
    assert {
        ("/ratio", "below-minimum"),
        ("/ratio", "above-maximum"),
        ("/step", "not-multiple-of"),
        ("/flag", "const"),
        ("/pair/1", "wrong-type"),
        ("", "too-many-members"),
    } <= seen
    small = {"ratio": 0.5, "flag": True}
    assert ("", "too-few-members") in {
        (m.pointer, m.reason) for m in all_near_misses(NUMBERS["$id"], small, registry=registry)
    }
    checker = SchemaValidator(NUMBERS["$id"], registry)

    @settings(max_examples=50, deadline=None)
    @given(near_misses(NUMBERS["$id"], valid, registry=registry))
    def check(miss: NearMiss) -> None:
        assert miss.pointer in [e.pointer for e in checker.errors(miss.instance)]

    check()
