"""jsonschema-rs (the fast yes/no path) and jsonschema give the same verdict, and without
jsonschema-rs the validators still work (jsonschema alone)."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from felles.formats import format_checker
from felles.standard import default_catalogue, default_registry
from felles.standard.examples import example_files, parse_example_path
from felles.standard.validation import SchemaValidator, fast_is_valid, validator_for
from felles.strategies.from_schema import from_schema
from felles.strategies.near_miss import near_misses

pytest.importorskip("jsonschema_rs")


def _examples() -> list[tuple[str, str, Any]]:
    found = []
    catalogue = default_catalogue()
    for path in example_files():
        example = parse_example_path(path)
        uri = catalogue.get(f"{example.component}@{example.version}").schema_id(example.schema)
        found.append((str(path), uri, example.load()))
    return found


def test_same_verdict_on_every_example() -> None:
    cases = _examples()
    assert len(cases) > 100
    differing = []
    for path, uri, instance in cases:
        fast, slow = validator_for(uri).verdicts(instance)
        assert fast is not None, f"{uri}: jsonschema-rs could not compile it"
        if fast != slow:
            differing.append(f"{path}: jsonschema-rs {fast}, jsonschema {slow}")
    assert not differing, "\n".join(differing)


def _schemas() -> list[str]:
    return [
        component.schema_id(name)
        for key in ("application@1.0", "case-archive@1.0")
        for component in [default_catalogue().get(key)]
        for name in component.schema_names()
    ]


def _short(uri: str) -> str:
    return "/".join(uri.rsplit("/", 3)[-3:])


@pytest.mark.parametrize("uri", _schemas(), ids=_short)
def test_same_verdict_on_generated_payloads(uri: str) -> None:
    """Valid payloads and near-misses (one member broken) of every schema."""
    validator = validator_for(uri)

    @settings(max_examples=10, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        valid = data.draw(from_schema(uri))
        candidates = [valid]
        miss = data.draw(near_misses(uri, valid) | st.none())
        if miss is not None:
            candidates.append(miss.instance)
        for instance in candidates:
            fast, slow = validator.verdicts(instance)
            assert fast == slow, f"jsonschema-rs {fast}, jsonschema {slow}: {instance!r}"

    check()


NAME = {  # common 1.0 Name: no leading or trailing white space
    "type": "string",
    "pattern": "^[^\\u0000-\\u001f\\u007f\\s]([^\\u0000-\\u001f\\u007f]*[^\\u0000-\\u001f\\u007f\\s])?$",
}


@pytest.mark.parametrize(
    ("schema", "instance"),
    [
        (NAME, "Ola\x85"),  # U+0085 is \s to Python, not to Rust's regex engine
        (NAME, "Ola\ufeff"),  # and U+FEFF the other way round
        ({"type": "string", "pattern": "^[0-9]{4}$"}, "0150\n"),  # Python's $ matches before a final \n
        ({"multipleOf": 0.1}, 0.3),  # float division says no, exact arithmetic yes
        ({"multipleOf": 0.1}, 3.3000000000000003),
    ],
)
def test_engine_differences_get_jsonschemas_verdict(schema: dict[str, Any], instance: Any) -> None:
    """Where the engines disagree by design, the fast path defers to jsonschema."""
    from jsonschema import Draft202012Validator

    fast = fast_is_valid(schema, default_registry(), format_checker())
    assert fast is not None
    assert fast(instance) == Draft202012Validator(schema).is_valid(instance)


def test_without_jsonschema_rs_jsonschema_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "jsonschema_rs", None)  # import now raises ImportError
    uri = default_catalogue().get("application@1.0").schema_id("ApplicationSubmission")
    validator = SchemaValidator(uri)
    valid = [instance for path, u, instance in _examples() if u == uri and "/valid/" in path]
    assert validator.verdicts(valid[0])[0] is None
    assert fast_is_valid({"type": "string"}, default_registry(), format_checker()) is None
    assert validator.is_valid(valid[0])
    assert validator.errors({"type": "kindergarten-place"})  # pointers still come from jsonschema
