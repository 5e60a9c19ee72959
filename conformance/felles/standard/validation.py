"""Validate instances against the standard's schemas, with field-precise errors.

The same validators serve the reference implementation (to reject bad
requests), the runner (to judge responses) and the linter (to check
examples). Errors are reported as JSON Pointers to the offending member,
which is what RFC 9457 problem bodies of Felles carry in ``errors[]``.

Yes/no validity goes first through jsonschema-rs when it is installed (about
ten times faster; generating payloads validates every candidate): when it
accepts an instance, that is the verdict. When it rejects one, jsonschema
decides and says where, so every verdict and every pointer is jsonschema's
(``tests/standard/test_fast_validation.py`` proves both agree on every
example and on generated payloads). Without jsonschema-rs, jsonschema alone.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker, ValidationError
from referencing import Registry
from referencing.exceptions import Unresolvable

from felles.errors import StandardError
from felles.formats import format_checker
from felles.standard.inline import NotInlinableError, inline_schema
from felles.standard.registry import default_registry

_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'")


@dataclass(frozen=True, order=True)
class FieldError:
    """One invalid member: where it is (RFC 6901 pointer) and what is wrong."""

    pointer: str
    detail: str


def escape_token(token: object) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def to_pointer(path: Iterable[object]) -> str:
    return "".join("/" + escape_token(token) for token in path)


class SchemaValidator:
    """A compiled validator for one schema, resolved through the offline registry."""

    def __init__(
        self,
        schema_uri: str,
        registry: Registry[Any] | None = None,
        *,
        inline: bool = True,
        fast: bool = True,
    ) -> None:
        self.schema_uri = schema_uri
        self._registry = registry if registry is not None else default_registry()
        try:
            schema = self._registry.contents(schema_uri)
        except (LookupError, Unresolvable) as exc:
            raise StandardError(f"no schema with $id {schema_uri} in the standard") from exc
        if inline:
            # Same meaning, no $ref lookups while validating: about twice as fast.
            with contextlib.suppress(NotInlinableError):
                schema = inline_schema(schema_uri, self._registry)
        checker = format_checker()
        self._validator = Draft202012Validator(schema, registry=self._registry, format_checker=checker)
        self._fast = fast_is_valid(schema, self._registry, checker) if fast else None

    def is_valid(self, instance: object) -> bool:
        if self._fast is not None and self._fast(instance):
            return True
        try:
            return bool(self._validator.is_valid(instance))
        except Unresolvable as exc:
            raise StandardError(f"{self.schema_uri}: unresolvable $ref {exc}") from exc

    def verdicts(self, instance: object) -> tuple[bool | None, bool]:
        """(jsonschema-rs, jsonschema), each on its own (None: no jsonschema-rs): to prove they agree."""
        fast = self._fast(instance) if self._fast is not None else None
        return fast, bool(self._validator.is_valid(instance))

    def errors(self, instance: object) -> list[FieldError]:
        """Every invalid member, deduplicated and sorted by pointer."""
        if self._fast is not None and self._fast(instance):
            return []
        try:
            raw = list(self._validator.iter_errors(instance))
        except Unresolvable as exc:
            raise StandardError(f"{self.schema_uri}: unresolvable $ref {exc}") from exc
        found: set[FieldError] = set()
        for error in raw:
            found.update(_field_errors(error))
        return sorted(found)


class Validity:
    """Yes/no validation only (no pointers), for filters: jsonschema-rs first, then jsonschema."""

    def __init__(self, schema: dict[str, Any], registry: Registry[Any], checker: FormatChecker) -> None:
        self._slow = Draft202012Validator(schema, registry=registry, format_checker=checker)
        self._fast = fast_is_valid(schema, registry, checker)

    def is_valid(self, instance: object) -> bool:
        if self._fast is not None and self._fast(instance):
            return True
        return bool(self._slow.is_valid(instance))


def fast_is_valid(
    schema: dict[str, Any], registry: Registry[Any], checker: FormatChecker
) -> Callable[[object], bool] | None:
    """jsonschema-rs's ``is_valid`` for ``schema``, with the same format checks; None without it.

    Formats are the standard's own Python checks (called back from Rust), so a
    check digit means the same on both paths; ``$ref``s are answered from the
    offline registry, never fetched. Trust only its "valid": see the module doc.
    """
    try:
        import jsonschema_rs  # noqa: PLC0415 - optional accelerator
    except ImportError:
        return None
    formats = {name: _format_callback(checker, name) for name in checker.checkers}

    def retrieve(uri: str) -> Any:
        return registry.contents(uri)

    try:
        compiled = jsonschema_rs.Draft202012Validator(
            schema,
            formats=formats,
            validate_formats=True,
            retriever=retrieve,
            keywords=dict.fromkeys(PYTHON_KEYWORDS, _PythonKeyword),
        )
    except Exception:  # a schema it cannot compile: jsonschema alone is still right
        return None
    check: Callable[[object], bool] = compiled.is_valid
    return check


#: Keywords whose meaning differs between the engines, so jsonschema judges them on both paths:
#: ``pattern`` (Python ``re`` vs Rust regex: ``\\s`` and U+0085, ``$`` before a final newline) and
#: ``multipleOf`` (float division vs exact arithmetic: is 0.3 a multiple of 0.1?).
PYTHON_KEYWORDS = ("pattern", "multipleOf")


class _PythonKeyword:
    """A jsonschema-rs custom keyword that asks jsonschema, for exactly jsonschema's verdict."""

    def __init__(self, parent_schema: dict[str, Any], value: Any, schema_path: list[str | int]) -> None:
        keyword = str(schema_path[-1])
        self._check = Draft202012Validator({keyword: value}).is_valid

    def validate(self, instance: object) -> None:
        if not self._check(instance):
            raise ValueError("invalid")


def _format_callback(checker: FormatChecker, name: str) -> Callable[[str], bool]:
    def conforms(value: str) -> bool:
        return bool(checker.conforms(value, name))

    return conforms


def _field_errors(error: ValidationError) -> list[FieldError]:
    """Map one jsonschema error to pointers at the member that is actually wrong."""
    base = list(error.absolute_path)
    keyword = error.validator
    instance = error.instance
    if keyword in ("required", "dependentRequired") and isinstance(instance, dict):
        names = _quoted_names(error.message)[:1] or []
        return [FieldError(to_pointer([*base, name]), "required member is missing") for name in names]
    if keyword in ("additionalProperties", "unevaluatedProperties") and isinstance(instance, dict):
        extras = _unexpected_members(error)
        if extras:
            return [FieldError(to_pointer([*base, name]), "member is not allowed here") for name in extras]
    if keyword in ("oneOf", "anyOf") and error.context:
        branch = _discriminated_branch(error.context, _discriminators(error))
        if branch is not None:
            return [found for sub in branch for found in _field_errors(sub)]
        shared = _shared_errors(error.context)
        if shared:
            return shared
    return [FieldError(to_pointer(base), error.message)]


def _quoted_names(message: str) -> list[str]:
    return [match.group(1) for match in _QUOTED.finditer(message)]


def _unexpected_members(error: ValidationError) -> list[str]:
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "additionalProperties":
        known = set(schema.get("properties", {}))
        patterns = [re.compile(p) for p in schema.get("patternProperties", {})]
        instance = error.instance if isinstance(error.instance, dict) else {}
        return sorted(
            name for name in instance if name not in known and not any(p.search(name) for p in patterns)
        )
    return _quoted_names(error.message)


def _discriminators(error: ValidationError) -> set[str] | None:
    """Members that are a ``const`` in every branch (e.g. ``type``): those that say which
    branch an instance is meant for. None when the branches cannot be inspected."""
    branches = error.schema.get(str(error.validator)) if isinstance(error.schema, dict) else None
    if not isinstance(branches, list):
        return None
    names: set[str] | None = None
    for branch in branches:
        if not isinstance(branch, dict) or "$ref" in branch:
            return None
        properties = branch.get("properties", {})
        consts = {k for k, v in properties.items() if isinstance(v, dict) and "const" in v}
        names = consts if names is None else names & consts
    return names


def _discriminated_branch(
    context: list[ValidationError], discriminators: set[str] | None
) -> list[ValidationError] | None:
    """Pick the oneOf/anyOf branch the instance was meant for.

    A branch is ruled out when it fails on a ``const`` of a discriminator
    member (e.g. ``type``) or on the instance's JSON type. A ``const`` on any
    other member (an archive version's ``mediaType``) is an ordinary error of
    the intended branch. If exactly one branch remains, its errors are the real ones.
    """
    branches: dict[object, list[ValidationError]] = {}
    for sub in context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    remaining = [
        errors
        for errors in branches.values()
        if not any(
            (
                sub.validator == "const"
                and len(sub.relative_path) == 1
                and (discriminators is None or sub.relative_path[0] in discriminators)
            )
            or (sub.validator == "type" and len(sub.relative_path) == 0)
            for sub in errors
        )
    ]
    return remaining[0] if len(remaining) == 1 else None


def _shared_errors(context: list[ValidationError]) -> list[FieldError]:
    """Errors at pointers every branch finds invalid, e.g. a missing or unknown ``type``."""
    per_branch: dict[object, dict[str, FieldError]] = {}
    for sub in context:
        branch = per_branch.setdefault(sub.relative_schema_path[0], {})
        for found in _field_errors(sub):
            branch.setdefault(found.pointer, found)
    if not per_branch:
        return []
    branches = list(per_branch.values())
    shared = set(branches[0]).intersection(*branches[1:])
    return [branches[0][pointer] for pointer in sorted(shared)]


@lru_cache(maxsize=256)
def validator_for(schema_uri: str) -> SchemaValidator:
    """Cached validator for a schema of the installed standard."""
    return SchemaValidator(schema_uri)
