"""Inline every ``$ref`` of a non-recursive schema, once, for fast validation.

Resolving ``$ref`` through the registry on every validation costs about as
much as validating; the standard's schemas are not recursive, so each one
can be expanded into a single self-contained schema with the same meaning.
A recursive schema raises :class:`RecursiveSchemaError` and callers fall
back to registry resolution.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

from referencing import Registry
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

from felles.errors import StandardError

# Keywords that only annotate: they may sit beside a $ref and be merged into its target.
_ANNOTATIONS = frozenset(
    {"$comment", "title", "description", "examples", "default", "deprecated", "readOnly", "writeOnly"}
)


class NotInlinableError(StandardError):
    """The schema cannot be expanded into one document; resolve its refs at validation time."""


class RecursiveSchemaError(NotInlinableError):
    """The schema refers to itself."""


def inline_schema(schema_uri: str, registry: Registry[Any]) -> dict[str, Any]:
    resolver = registry.resolver()
    try:
        resolved = resolver.lookup(schema_uri)
    except Unresolvable as exc:
        raise NotInlinableError(f"{schema_uri} cannot be looked up by URI") from exc
    result = _expand(resolved.contents, resolved.resolver, (schema_uri,), schema_uri.split("#", 1)[0])
    if not isinstance(result, dict):
        raise StandardError(f"{schema_uri} is not an object schema")
    result["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return result


def _expand(node: Any, resolver: Any, trail: tuple[str, ...], base: str = "") -> Any:
    if isinstance(node, list):
        return [_expand(item, resolver, trail, base) for item in node]
    if not isinstance(node, dict):
        return node
    if isinstance(node.get("$id"), str):
        # Entering a resource: relative refs below resolve against its $id.
        base = urljoin(base, node["$id"])
        resolver = resolver.in_subresource(DRAFT202012.create_resource(node))
    ref = node.get("$ref")
    if isinstance(ref, str):
        key = urljoin(base, ref)
        if key in trail:
            raise RecursiveSchemaError(f"recursive $ref {ref} in {trail[0]}")
        target = resolver.lookup(ref)
        expanded = _expand(target.contents, target.resolver, (*trail, key), key.split("#", 1)[0])
        siblings = {k: v for k, v in node.items() if k not in ("$ref", "$id", "$schema", "$defs")}
        if isinstance(expanded, dict) and set(siblings) <= _ANNOTATIONS:
            return {**_strip(expanded), **siblings}
        return {
            "allOf": [_strip(expanded) if isinstance(expanded, dict) else expanded],
            **_expand_all(siblings, resolver, trail, base),
        }
    return {k: v for k, v in _expand_all(node, resolver, trail, base).items() if k not in ("$id", "$defs")}


def _expand_all(node: dict[str, Any], resolver: Any, trail: tuple[str, ...], base: str) -> dict[str, Any]:
    return {key: _expand(value, resolver, trail, base) for key, value in node.items()}


def _strip(schema: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in schema.items() if k not in ("$schema", "$id", "$defs")}
