"""The standard's example payloads: where they live, what their names promise, whether they keep it.

Every example is a JSON file at one of::

    examples/<component>/<MAJOR.MINOR>/valid/<SchemaName>/<label>.json
    examples/<component>/<MAJOR.MINOR>/invalid/<SchemaName>/<field>_<reason>.json

``<label>`` is kebab-case and says what case the example shows
(``kindergarten-full-time-two-guardians``). An invalid example breaks exactly
one thing: ``<field>`` is the dotted path of the broken member from the
document root (array indexes as numbers, ``root`` for the document itself)
and ``<reason>`` one word of :data:`REASON_KEYWORDS`, which also says which
JSON Schema keyword must be the one that fails. So
``guardians.0.nationalIdentityNumber_check-digit.json`` promises that
validation fails at ``/guardians/0/nationalIdentityNumber`` on ``format``,
and nowhere else.

The tests and ``felles lint`` share these helpers, so a name means the same
thing to both.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

from jsonschema import Draft202012Validator, ValidationError
from referencing import Registry

from felles.errors import StandardError
from felles.formats import format_checker
from felles.standard.catalogue import Catalogue, default_catalogue
from felles.standard.paths import examples_dir
from felles.standard.registry import build_registry, default_registry
from felles.standard.validation import (
    SchemaValidator,
    _discriminated_branch,  # the same branch choice as the field errors
    _discriminators,
    escape_token,
    validator_for,
)

VALID: Final = "valid"
INVALID: Final = "invalid"

#: The ``<reason>`` of an invalid example's file name, and the JSON Schema
#: keywords of which at least one must fail at the named member.
REASON_KEYWORDS: Final[Mapping[str, frozenset[str]]] = {
    "missing": frozenset({"required"}),
    "wrong-type": frozenset({"type"}),
    "too-long": frozenset({"maxLength"}),
    "too-short": frozenset({"minLength"}),
    "pattern": frozenset({"pattern"}),
    # Identifier and date rules are Felles formats (common 1.0, "Formats").
    "check-digit": frozenset({"format"}),
    "impossible-date": frozenset({"format"}),
    "unknown-municipality": frozenset({"format"}),
    "format": frozenset({"format"}),
    # A oneOf discriminator (``type``) is a const in each branch.
    "not-in-enum": frozenset({"enum", "const"}),
    "const": frozenset({"const"}),
    "below-minimum": frozenset({"minimum", "exclusiveMinimum"}),
    "above-maximum": frozenset({"maximum", "exclusiveMaximum"}),
    "not-multiple-of": frozenset({"multipleOf"}),
    "too-few-items": frozenset({"minItems"}),
    "too-many-items": frozenset({"maxItems"}),
    "duplicate-items": frozenset({"uniqueItems"}),
    "too-few-members": frozenset({"minProperties"}),
    "too-many-members": frozenset({"maxProperties"}),
    "unknown-member": frozenset({"additionalProperties", "unevaluatedProperties"}),
}

#: Folders of ``examples/`` that are not components and hold no payloads: ``ci`` holds the
#: vendors' CI pipeline templates (shown in the docs site's vendor guide).
NOT_COMPONENTS: Final = frozenset({"ci"})

#: Minimum number of (valid, invalid) examples every schema with assertions needs.
MINIMUM_EXAMPLES: Final = (3, 5)

_COMPONENT: Final = re.compile(r"^[a-z][a-z0-9-]*$")
_VERSION: Final = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")
_SCHEMA_NAME: Final = re.compile(r"^[A-Z][A-Za-z0-9]*$")
_LABEL: Final = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_FIELD: Final = re.compile(r"^[A-Za-z0-9$@_-]+(?:\.[A-Za-z0-9$@_-]+)*$")
_ROOT_FIELD: Final = "root"

# Keywords that only annotate or hold definitions: a schema made of nothing
# else (Identifiers) asserts nothing about a document and needs no examples.
_NON_ASSERTING: Final = frozenset(
    {"$schema", "$id", "$comment", "$defs", "$anchor", "title", "description", "examples"}
)
_QUOTED: Final = re.compile(r"'((?:[^'\\]|\\.)*)'")


class ExampleError(StandardError):
    """An example file that is misnamed, misplaced or not JSON."""


@dataclass(frozen=True)
class Example:
    """One example file and what its path promises."""

    path: Path
    component: str
    version: str
    schema: str
    valid: bool
    label: str
    field: str | None = None
    reason: str | None = None

    @property
    def schema_key(self) -> str:
        """``component@version/SchemaName``, as ``felles validate --schema`` spells it."""
        return f"{self.component}@{self.version}/{self.schema}"

    @property
    def pointer(self) -> str | None:
        """JSON Pointer (RFC 6901) of the broken member; None for a valid example."""
        return field_to_pointer(self.field) if self.field is not None else None

    @property
    def keywords(self) -> frozenset[str]:
        """JSON Schema keywords of which one must fail; empty for a valid example."""
        return REASON_KEYWORDS[self.reason] if self.reason is not None else frozenset()

    def load(self) -> Any:
        return load_example(self.path)


def field_to_pointer(field: str) -> str:
    """The JSON Pointer of a dotted field: ``guardians.0.email`` → ``/guardians/0/email``.

    ``root`` is the whole document, ``""``.
    """
    if field == _ROOT_FIELD:
        return ""
    if not _FIELD.match(field):
        raise ExampleError(
            f"{field!r} is not a dotted member path",
            hint="member names and array indexes joined by '.', e.g. guardians.0.email, or 'root'",
        )
    return "".join("/" + escape_token(token) for token in field.split("."))


def _name_error(path: Path, problem: str, hint: str) -> ExampleError:
    return ExampleError(f"{path}: {problem}", hint=hint)


def parse_example_path(path: Path, root: Path | None = None) -> Example:
    """Read what an example's location and file name promise, or raise :class:`ExampleError`."""
    base = (root or examples_dir()).resolve()
    layout = "examples/<component>/<MAJOR.MINOR>/(valid|invalid)/<SchemaName>/<file>.json"
    try:
        parts = path.resolve().relative_to(base).parts
    except ValueError as exc:
        raise _name_error(path, f"is not under {base}", layout) from exc
    if len(parts) != 5:
        raise _name_error(path, "is not where examples go", layout)
    component, version, validity, schema, file_name = parts
    if not _COMPONENT.match(component):
        raise _name_error(path, f"component {component!r} is not lower-case kebab-case", layout)
    if not _VERSION.match(version):
        raise _name_error(path, f"version {version!r} is not MAJOR.MINOR", layout)
    if validity not in (VALID, INVALID):
        raise _name_error(path, f"{validity!r} must be 'valid' or 'invalid'", layout)
    if not _SCHEMA_NAME.match(schema):
        raise _name_error(
            path, f"{schema!r} is not a schema name", "the schema file's name without .schema.json"
        )
    if not file_name.endswith(".json"):
        raise _name_error(path, "an example must be a .json file", layout)
    stem = file_name.removesuffix(".json")
    if validity == VALID:
        if not _LABEL.match(stem):
            raise _name_error(
                path,
                f"label {stem!r} is not kebab-case",
                "name the case it shows, e.g. kindergarten-full-time-two-guardians.json",
            )
        return Example(path, component, version, schema, valid=True, label=stem)
    field, separator, reason = stem.rpartition("_")
    reasons = ", ".join(REASON_KEYWORDS)
    if not separator or not field:
        raise _name_error(
            path,
            "an invalid example is named <field>_<reason>.json",
            f"e.g. child.nationalIdentityNumber_check-digit.json; reasons: {reasons}",
        )
    if reason not in REASON_KEYWORDS:
        raise _name_error(path, f"unknown reason {reason!r}", f"use one of: {reasons}")
    if field != _ROOT_FIELD and not _FIELD.match(field):
        raise _name_error(
            path,
            f"field {field!r} is not a dotted member path",
            "member names and array indexes joined by '.', e.g. guardians.0.email, or 'root'",
        )
    if field == _ROOT_FIELD and reason == "unknown-member":
        raise _name_error(
            path,
            "root_unknown-member does not say which member is unknown",
            "name the added member instead, e.g. nickname_unknown-member.json",
        )
    return Example(path, component, version, schema, valid=False, label=stem, field=field, reason=reason)


def example_files(root: Path | None = None) -> list[Path]:
    """Every file under ``examples/``, well-named or not (misnamed files must be found too),
    except in the folders of :data:`NOT_COMPONENTS`."""
    base = root or examples_dir()
    if not base.is_dir():
        return []
    return sorted(
        path
        for path in base.rglob("*")
        if path.is_file()
        and not path.name.startswith(".")
        and path.relative_to(base).parts[0] not in NOT_COMPONENTS
    )


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate member {key!r}")
        result[key] = value
    return result


def load_example(path: Path) -> Any:
    """The JSON document of an example; duplicate member names are an error (meaning undefined)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise ExampleError(
            f"{path}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from exc
    except ValueError as exc:
        raise ExampleError(f"{path}: {exc}") from exc
    except OSError as exc:
        raise ExampleError(f"{path}: cannot read: {exc.strerror}") from exc


def has_assertions(schema: Mapping[str, Any]) -> bool:
    """True when a schema constrains documents itself (not just a bag of ``$defs``)."""
    return any(keyword not in _NON_ASSERTING for keyword in schema)


def _walk(errors: list[ValidationError]) -> Iterator[ValidationError]:
    """Every error and, for oneOf/anyOf, those of the branch the instance was meant for.

    The branch is chosen as :mod:`felles.standard.validation` chooses it (by
    the discriminator), so a keyword failing only in a branch the instance
    never meant to follow does not count; with no single branch, all do.
    """
    for error in errors:
        yield error
        context = list(error.context or [])
        if context:
            yield from _walk(_discriminated_branch(context, _discriminators(error)) or context)


def _to_pointer(path: list[object]) -> str:
    return "".join("/" + escape_token(token) for token in path)


def _error_pointers(error: ValidationError) -> list[str]:
    """The members one error is about: a missing or unknown member is its own pointer."""
    base = list(error.absolute_path)
    instance = error.instance
    if error.validator == "required" and isinstance(instance, dict):
        required = error.validator_value if isinstance(error.validator_value, list) else []
        return [_to_pointer([*base, name]) for name in required if name not in instance]
    if error.validator == "additionalProperties" and isinstance(instance, dict):
        schema = error.schema if isinstance(error.schema, dict) else {}
        known = set(schema.get("properties", {}))
        patterns = [re.compile(p) for p in schema.get("patternProperties", {})]
        return [
            _to_pointer([*base, name])
            for name in instance
            if name not in known and not any(p.search(name) for p in patterns)
        ]
    if error.validator == "unevaluatedProperties" and isinstance(instance, dict):
        names = [m.group(1) for m in _QUOTED.finditer(error.message) if m.group(1) in instance]
        if names:
            return [_to_pointer([*base, name]) for name in names]
    return [_to_pointer(base)]


@lru_cache(maxsize=8)
def _registry_for(root: Path) -> Registry[Any]:
    return build_registry(root)


def _catalogue_registry(catalogue: Catalogue) -> Registry[Any]:
    if catalogue is default_catalogue():
        return default_registry()
    return _registry_for(catalogue.root)


def failing_keywords(
    schema_uri: str, instance: object, registry: Registry[Any] | None = None
) -> dict[str, set[str]]:
    """Pointer → JSON Schema keywords that fail there, looking into every oneOf/anyOf branch."""
    reg = registry if registry is not None else default_registry()
    validator = Draft202012Validator(reg.contents(schema_uri), registry=reg, format_checker=format_checker())
    found: dict[str, set[str]] = {}
    for error in _walk(list(validator.iter_errors(instance))):
        for pointer in _error_pointers(error):
            found.setdefault(pointer, set()).add(str(error.validator))
    return found


def check_example(example: Example, catalogue: Catalogue | None = None) -> list[str]:
    """What is wrong with an example given its name; an empty list when it keeps its promise.

    A valid example must validate. An invalid one must fail, the validator's
    field errors must point at the named member and nowhere else (it breaks
    exactly one thing), and one of the reason's keywords must fail there.
    """
    cat = catalogue or default_catalogue()
    schema_uri = cat.get(f"{example.component}@{example.version}").schema_id(example.schema)
    registry = _catalogue_registry(cat)
    validator = (
        validator_for(schema_uri) if cat is default_catalogue() else SchemaValidator(schema_uri, registry)
    )
    instance = example.load()
    errors = validator.errors(instance)
    if example.valid:
        return [f"{example.path}: should be valid but {e.pointer or '(root)'}: {e.detail}" for e in errors]
    if not errors:
        promise = f"{example.reason} at {example.pointer!r}"
        return [f"{example.path}: should be invalid ({promise}) but validates"]
    problems: list[str] = []
    pointers = sorted({e.pointer for e in errors})
    if pointers != [example.pointer]:
        listed = "; ".join(f"{e.pointer or '(root)'}: {e.detail}" for e in errors)
        problems.append(
            f"{example.path}: the name promises exactly one error at {example.pointer!r}, "
            f"the validator reports {pointers}: {listed}"
        )
    keywords = failing_keywords(schema_uri, instance, registry).get(example.pointer or "", set())
    if not keywords & example.keywords:
        problems.append(
            f"{example.path}: reason {example.reason!r} means a failing "
            f"{' or '.join(sorted(example.keywords))} at {example.pointer!r}, "
            f"but what fails there is {sorted(keywords) or 'nothing'}"
        )
    return problems
