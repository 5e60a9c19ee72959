"""Inlined schemas validate exactly like registry-resolved ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from referencing import Registry, Resource

from felles.standard.inline import RecursiveSchemaError, inline_schema
from felles.standard.registry import default_registry
from felles.standard.validation import SchemaValidator

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*/*/*/*/*.json"))


def _schema_id(path: Path) -> str:
    component, version, _, schema = path.relative_to(ROOT / "examples").parts[:4]
    return f"https://felles.example/schemas/{component}/{version}/{schema}.schema.json"


@pytest.mark.parametrize("path", EXAMPLES, ids=[str(p.relative_to(ROOT / "examples")) for p in EXAMPLES])
def test_same_verdict_and_pointers(path: Path) -> None:
    instance = json.loads(path.read_text(encoding="utf-8"))
    uri = _schema_id(path)
    inlined, resolved = SchemaValidator(uri), SchemaValidator(uri, inline=False)
    assert inlined.is_valid(instance) == resolved.is_valid(instance)
    # Pointers may only get more precise when inlined: with refs resolved the oneOf
    # discriminator can be read from the branches (e.g. an archive version's mediaType).
    resolved_pointers = {e.pointer for e in resolved.errors(instance)}
    inlined_pointers = {e.pointer for e in inlined.errors(instance)}
    assert inlined_pointers == resolved_pointers or all(
        any(p.startswith(r) for r in resolved_pointers) for p in inlined_pointers
    )


def test_inlined_schema_has_no_refs() -> None:
    text = json.dumps(
        inline_schema(
            "https://felles.example/schemas/application/1.0/Application.schema.json", default_registry()
        )
    )
    assert "$ref" not in text
    assert "nationalIdentityNumber" in text


def test_recursive_schema_falls_back_to_registry() -> None:
    uri = "https://felles.example/schemas/test/1.0/Tree.schema.json"
    tree = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": uri,
        "type": "object",
        "properties": {"children": {"type": "array", "items": {"$ref": "#"}}, "name": {"type": "string"}},
    }
    registry: Registry[object] = Registry().with_resource(uri, Resource.from_contents(tree))
    with pytest.raises(RecursiveSchemaError):
        inline_schema(uri, registry)
    validator = SchemaValidator(uri, registry)
    assert validator.is_valid({"children": [{"children": [], "name": "x"}]})
    assert [e.pointer for e in validator.errors({"children": [{"name": 1}]})] == ["/children/0/name"]
