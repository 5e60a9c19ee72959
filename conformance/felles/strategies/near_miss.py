"""Near-miss instances: a valid payload with exactly one member broken, and where.

The runner sends these to prove that a system rejects invalid input *and*
points at the right field (``errors[].pointer`` of the problem body). So each
:class:`NearMiss` carries the JSON Pointer of the broken member and a short
kebab-case reason, and is verified before it is handed out: the standard's
validator rejects it and reports that very pointer. A candidate the validator
would blame elsewhere is dropped rather than sent with a wrong expectation.

Breaks are derived by walking the valid instance together with its schema;
under a ``oneOf`` the branch the instance matches is used (the discriminator
``type`` of an application selects which members exist).
"""

from __future__ import annotations

import copy
import enum
import json
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

from hypothesis import strategies as st
from hypothesis.strategies import DrawFn, SearchStrategy
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from felles.errors import StandardError
from felles.standard.validation import SchemaValidator, validator_for
from felles.strategies.from_schema import (
    TEXT_ALPHABET,
    Merged,
    SchemaCompiler,
    SchemaPart,
    UnsatisfiableSchemaError,
    compiler_for,
    json_equal,
    json_type_of,
    merge,
    pointer_of,
    type_allowed,
)
from felles.strategies.identifiers import INVALID_FORMAT_STRATEGIES

__all__ = ["REASONS", "NearMiss", "all_near_misses", "near_misses"]

#: Every reason a near-miss can carry.
REASONS: Final = (
    "wrong-type",
    "const",
    "not-in-enum",
    "too-long",
    "too-short",
    "pattern",
    "format",
    "below-minimum",
    "above-maximum",
    "not-multiple-of",
    "too-few-items",
    "too-many-items",
    "duplicate-items",
    "missing-required",
    "unknown-member",
    "too-few-members",
    "too-many-members",
)

#: Name of the member added where ``additionalProperties`` forbids unknown members.
UNKNOWN_MEMBER: Final = "unknownMember"

#: Values of each JSON type, used where a member has the wrong type.
_TYPE_SAMPLES: Final[tuple[Any, ...]] = (None, True, 42, 1.5, "text", [], {})

#: Characters inserted or substituted to break a ``pattern``: whitespace that servers tend to
#: trim, punctuation, letters and digits, and control characters.
_PATTERN_BREAKERS: Final = " !aZ0-/\\øΩ\t\u0001\u007f"

#: Invalid values of the standard formats (only those the checker rejects are used).
_INVALID_FORMATS: Final[dict[str, tuple[str, ...]]] = {
    "date": ("2026-02-30", "2026-13-01", "2026-1-1", "01.02.2026", "not-a-date"),
    "date-time": (
        "not-a-date-time",
        "2026-01-01T12:00:00",
        "2026-02-30T12:00:00Z",
        "2026-01-01T25:00:00Z",
        "2026-01-01",
    ),
    "email": ("not-an-email", "ola@", "@kommune.no", "ola nordmann@kommune.no", "ola@@kommune.no"),
    "uuid": ("not-a-uuid", "1234", "0000000-0000-0000-0000-000000000000"),
    "uri": ("not a uri", "relative/path", "https://exa mple.no/"),
    "uri-reference": ("not a uri reference", "https://exa mple.no/", "%zz"),
    "json-pointer": ("no-leading-slash", "/bad~2escape", "~"),
}


@dataclass(frozen=True)
class NearMiss:
    """A payload with one member broken: where (JSON Pointer) and how (kebab-case reason)."""

    instance: Any
    pointer: str
    reason: str


class _Delete(enum.Enum):
    """Marker: the break removes the member instead of replacing it."""

    MEMBER = "delete"


_DELETE: Final = _Delete.MEMBER

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class _Break:
    """One way to break one member: a fixed example and, optionally, random variants."""

    path: Path
    reason: str
    example: Any
    variants: SearchStrategy[Any] | None = None

    @property
    def pointer(self) -> str:
        return pointer_of(self.path)

    def values(self) -> SearchStrategy[Any]:
        if self.variants is None:
            return st.just(self.example)
        return st.one_of(st.just(self.example), self.variants)


# --- public API -----------------------------------------------------------------------------


def near_misses(
    schema_uri: str, valid: Any, *, registry: Registry[Any] | None = None
) -> SearchStrategy[NearMiss]:
    """Copies of ``valid`` with exactly one member broken, each verified against the schema.

    A reason is drawn first, then a member (the root, an object member or an
    array item) where that reason applies: every kind of check gets its share
    of examples even when, say, wrong types are possible at every member and
    ``multipleOf`` at one. ``valid`` is never mutated. Raises
    :class:`~felles.errors.StandardError` if ``valid`` is not valid or nothing
    in it can be broken.
    """
    frozen = copy.deepcopy(valid)
    checker = _field_validator(schema_uri, registry)
    by_reason: dict[str, list[_Break]] = {}
    for found in _checked_breaks(schema_uri, frozen, registry, checker):
        by_reason.setdefault(found.reason, []).append(found)
    # Hypothesis prefers the first alternative (about a third of draws inside st.data()):
    # rotating by a hash of ``valid`` spreads that preference over every reason and member.
    spin = zlib.crc32(json.dumps(frozen, sort_keys=True).encode())
    reasons = _rotated([reason for reason in REASONS if reason in by_reason], spin)
    groups = {reason: _rotated(found, spin) for reason, found in by_reason.items()}

    @st.composite
    def one(draw: DrawFn) -> NearMiss:
        chosen = draw(st.sampled_from(groups[draw(st.sampled_from(reasons))]))
        value = draw(chosen.values())
        return NearMiss(_apply(frozen, chosen.path, value), chosen.pointer, chosen.reason)

    return one().filter(lambda miss: _verified(checker, miss))


def _rotated(items: list[Any], spin: int) -> list[Any]:
    shift = spin % len(items)
    return items[shift:] + items[:shift]


def all_near_misses(schema_uri: str, valid: Any, *, registry: Registry[Any] | None = None) -> list[NearMiss]:
    """Deterministically, one verified near-miss per (member, reason) of ``valid``.

    For systematic checks (every field of a payload once) and for reading what
    :func:`near_misses` draws from. Candidates the validator would blame on
    another member are left out.
    """
    frozen = copy.deepcopy(valid)
    checker = _field_validator(schema_uri, registry)
    found: list[NearMiss] = []
    for candidate in _checked_breaks(schema_uri, frozen, registry, checker):
        miss = NearMiss(
            _apply(frozen, candidate.path, candidate.example), candidate.pointer, candidate.reason
        )
        if _verified(checker, miss):
            found.append(miss)
    return found


def _checked_breaks(
    schema_uri: str, valid: Any, registry: Registry[Any] | None, checker: SchemaValidator
) -> list[_Break]:
    if not checker.is_valid(valid):
        details = "; ".join(f"{e.pointer or '/'}: {e.detail}" for e in checker.errors(valid))
        raise StandardError(f"near_misses needs a valid instance of {schema_uri}: {details}")
    compiler = compiler_for(registry)
    breaks = list(_breaks(compiler, (compiler.root(schema_uri),), valid, ()))
    if not breaks:
        raise StandardError(f"{schema_uri}: the schema constrains nothing that could be broken")
    return breaks


def _verified(checker: SchemaValidator, miss: NearMiss) -> bool:
    """Invalid, and the validator names the member the near-miss says it broke."""
    return miss.pointer in {error.pointer for error in checker.errors(miss.instance)}


def _apply(valid: Any, path: Path, value: Any) -> Any:
    if not path:
        return copy.deepcopy(value)
    result = copy.deepcopy(valid)
    target = result
    for token in path[:-1]:
        target = target[token]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = copy.deepcopy(value)
    return result


@lru_cache(maxsize=64)
def _wrapped(schema_uri: str) -> SchemaValidator:
    return _wrapping_validator(schema_uri, None)


def _field_validator(schema_uri: str, registry: Registry[Any] | None) -> SchemaValidator:
    """The standard's field-precise validator, also for ``#/$defs/...`` and custom registries."""
    if registry is None:
        return validator_for(schema_uri) if "#" not in schema_uri else _wrapped(schema_uri)
    return _wrapping_validator(schema_uri, registry)


def _wrapping_validator(schema_uri: str, registry: Registry[Any] | None) -> SchemaValidator:
    """A validator of ``{"$ref": schema_uri}``, registered under a private URN."""
    base = registry if registry is not None else compiler_for(None).registry
    wrapper = f"urn:felles:near-miss:{schema_uri}"
    contents = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$ref": schema_uri}
    resource: Resource[Any] = DRAFT202012.create_resource(contents)
    return SchemaValidator(wrapper, base.with_resource(wrapper, resource))


# --- deriving breaks ------------------------------------------------------------------------


def _breaks(
    compiler: SchemaCompiler, parts: tuple[SchemaPart, ...], instance: Any, path: Path
) -> Iterator[_Break]:
    """Every break of ``instance`` (at ``path``) and, recursively, of its members."""
    if not parts:
        return
    parts, flat = compiler.select_branches(parts, instance)
    if flat.impossible is not None or not flat.parts:
        return
    merged = merge(flat.parts)
    if merged.types is not None:
        yield from _wrong_type(instance, merged.types, path)
    allowed = merged.allowed_values
    if allowed is not None:
        yield from _not_allowed(instance, allowed, "const" if merged.consts else "not-in-enum", path)
    kind = json_type_of(instance)
    if kind == "string":
        yield from _string_breaks(compiler, instance, merged, path)
    elif kind in ("integer", "number") and allowed is None:
        yield from _number_breaks(instance, merged, path)
    elif kind == "array":
        yield from _array_breaks(compiler, flat.parts, instance, merged, path)
        for index, item in enumerate(instance):
            yield from _breaks(compiler, compiler.item_parts(flat.parts, index), item, (*path, index))
    elif kind == "object":
        yield from _object_breaks(compiler, flat.parts, instance, merged, path)
        for name, member in instance.items():
            yield from _breaks(compiler, compiler.member_parts(flat.parts, name), member, (*path, name))


def _wrong_type(instance: Any, types: frozenset[str], path: Path) -> Iterator[_Break]:
    disallowed = [v for v in _TYPE_SAMPLES if not type_allowed(v, types)]
    if not disallowed:
        return
    # The most plausible confusion first: a number or boolean sent as a string, and so on.
    plausible: Any = json.dumps(instance) if isinstance(instance, int | float) else 42
    example = plausible if not type_allowed(plausible, types) else disallowed[0]
    yield _Break(path, "wrong-type", example, st.sampled_from(disallowed))


def _not_allowed(instance: Any, allowed: list[Any], reason: str, path: Path) -> Iterator[_Break]:
    def fresh(value: Any) -> bool:
        return not any(json_equal(value, a) for a in allowed)

    candidates: list[Any]
    variants: SearchStrategy[Any] | None = None
    if isinstance(instance, str):
        candidates = [instance.upper(), instance.capitalize(), f"{instance}-x", "x"]
        variants = st.text(TEXT_ALPHABET, min_size=1, max_size=12).filter(fresh)
    elif isinstance(instance, bool):
        candidates = [not instance]
    elif isinstance(instance, int):
        candidates = [instance + 1, instance - 1, max(a for a in allowed if _is_int(a)) + 1]
        variants = st.integers(-1000, 1000).filter(fresh)
    elif isinstance(instance, float):
        candidates = [instance + 0.5]
    else:
        return
    usable = [c for c in candidates if fresh(c)]
    if usable:
        yield _Break(path, reason, usable[0], variants)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _string_breaks(compiler: SchemaCompiler, value: str, merged: Merged, path: Path) -> Iterator[_Break]:
    patterns = [re.compile(p) for p in merged.patterns]

    def matches(text: str) -> bool:
        return all(p.search(text) for p in patterns)

    def length_ok(text: str) -> bool:
        return merged.min_length <= len(text) and (
            merged.max_length is None or len(text) <= merged.max_length
        )

    if merged.max_length is not None:
        limit = merged.max_length
        yield _Break(
            path,
            "too-long",
            _lengthen(value, limit + 1, matches),
            st.integers(1, 5).map(lambda extra: _lengthen(value, limit + extra, matches)),
        )
    if merged.min_length > 0:
        low = merged.min_length
        yield _Break(path, "too-short", value[: low - 1], st.integers(0, low - 1).map(lambda n: value[:n]))
    for pattern in patterns:
        broken = [m for m in _mutations(value) if not pattern.search(m) and length_ok(m)]
        if broken:
            yield _Break(path, "pattern", broken[0], st.sampled_from(broken))
    for name in sorted({name for name, _ in merged.formats}):
        if not compiler.checks_format(name):
            continue
        rejected = [c for c in _format_candidates(value, name) if not compiler.conforms(c, name)]
        if not rejected:
            continue
        # Prefer a value that only the format check rejects: right pattern, right length.
        rejected.sort(key=lambda c: not (matches(c) and length_ok(c)))
        variants: SearchStrategy[Any] = st.sampled_from(rejected)
        if name in INVALID_FORMAT_STRATEGIES:
            variants = INVALID_FORMAT_STRATEGIES[name]()
        yield _Break(path, "format", rejected[0], variants)


def _lengthen(value: str, length: int, matches: Any) -> str:
    """``value`` padded to ``length``, still matching the patterns where a filler allows."""
    missing = length - len(value)
    candidates = [
        value[:position] + filler * missing + value[position:]
        for filler in ("a", "0", "x", " ")
        for position in (len(value), 1, 0)
    ]
    return next((c for c in candidates if matches(c)), value + "a" * missing)


def _mutations(value: str) -> list[str]:
    """Small edits of ``value``: insert, append, or substitute one character, or delete one."""
    found: list[str] = []
    for char in _PATTERN_BREAKERS:
        found.extend((char + value, value + char, value[: len(value) // 2] + char + value[len(value) // 2 :]))
        if value:
            found.append(char + value[1:])
    if value:
        found.extend((value[1:], value[:-1]))
    return list(dict.fromkeys(found))


def _format_candidates(value: str, name: str) -> list[str]:
    """Invalid values of a format: the value with its last digit changed, then fixed ones."""
    found: list[str] = []
    if value and value[-1].isdigit():
        last = int(value[-1])
        found.extend(value[:-1] + str((last + step) % 10) for step in range(1, 10))
    found.extend(_INVALID_FORMATS.get(name, ()))
    if name in INVALID_FORMAT_STRATEGIES and value.isdigit():
        found.extend(("0" * len(value), value[:-1], value + "0"))
    return found


def _number_breaks(value: float, merged: Merged, path: Path) -> Iterator[_Break]:
    integral = [m for m in merged.multiple_of if float(m).is_integer()]
    step = int(integral[0]) if integral else 1
    if merged.lower is not None:
        bound = merged.lower
        below = _edge_below(bound.value, bound.exclusive, step)
        yield _Break(path, "below-minimum", below, st.integers(0, 100).map(lambda k: below - k * step))
    if merged.upper is not None:
        bound = merged.upper
        above = _edge_above(bound.value, bound.exclusive, step)
        yield _Break(path, "above-maximum", above, st.integers(0, 100).map(lambda k: above + k * step))
    for multiple in merged.multiple_of:
        candidates = _not_multiples(value, multiple)
        inside = [c for c in candidates if _within(c, merged)]
        if inside:
            yield _Break(path, "not-multiple-of", inside[0], st.sampled_from(inside))


def _edge_below(limit: float, exclusive: bool, step: int) -> int | float:
    """The greatest multiple of ``step`` that the lower bound rejects."""
    top = (int(limit) if exclusive else int(limit) - 1) if float(limit).is_integer() else int(limit // 1)
    return (top // step) * step


def _edge_above(limit: float, exclusive: bool, step: int) -> int | float:
    """The least multiple of ``step`` that the upper bound rejects."""
    if float(limit).is_integer():
        bottom = int(limit) if exclusive else int(limit) + 1
    else:
        bottom = int(-(-limit // 1))
    return -(-bottom // step) * step


def _not_multiples(value: float, multiple: float) -> list[int | float]:
    if float(multiple).is_integer() and isinstance(value, int):
        step = int(multiple)
        if step == 1:
            return []
        return [value + d for d in (*range(1, min(step, 50)), *range(-1, -min(step, 50), -1))]
    return [value + multiple / 2, value - multiple / 2]


def _within(value: float, merged: Merged) -> bool:
    if merged.lower is not None and (
        value < merged.lower.value or (merged.lower.exclusive and value == merged.lower.value)
    ):
        return False
    return merged.upper is None or not (
        value > merged.upper.value or (merged.upper.exclusive and value == merged.upper.value)
    )


def _array_breaks(
    compiler: SchemaCompiler,
    flat: tuple[SchemaPart, ...],
    items: list[Any],
    merged: Merged,
    path: Path,
) -> Iterator[_Break]:
    if merged.min_items > 0:
        low = merged.min_items
        yield _Break(
            path,
            "too-few-items",
            items[: low - 1],
            st.integers(0, low - 1).map(lambda n: items[:n]),
        )
    high = merged.max_items
    if high is not None and items:
        missing = high + 1 - len(items)
        example = items + [items[-1]] * missing
        variants: SearchStrategy[Any] | None = None
        try:
            extra = compiler.strategy(compiler.item_parts(flat, len(items)))
            variants = st.lists(extra, min_size=missing, max_size=missing + 2).map(lambda more: items + more)
        except UnsatisfiableSchemaError:
            pass
        yield _Break(path, "too-many-items", example, variants)
    if merged.unique_items and items:
        if high is None or len(items) < high:
            yield _Break(
                path,
                "duplicate-items",
                [*items, items[0]],
                st.integers(0, len(items) - 1).map(lambda i: [*items, items[i]]),
            )
        elif len(items) >= 2:
            yield _Break(path, "duplicate-items", [*items[:-1], items[0]])


def _object_breaks(
    compiler: SchemaCompiler,
    flat: tuple[SchemaPart, ...],
    members: dict[str, Any],
    merged: Merged,
    path: Path,
) -> Iterator[_Break]:
    for name in merged.required:
        if name in members:
            yield _Break((*path, name), "missing-required", _DELETE)
    unknown = UNKNOWN_MEMBER
    while unknown in members or unknown in merged.property_names:
        unknown += "_"
    if compiler.is_impossible(compiler.member_parts(flat, unknown)):
        yield _Break(
            (*path, unknown),
            "unknown-member",
            "unexpected",
            st.sampled_from(["unexpected", 1, True, None, {}, []]),
        )
    optional = [name for name in members if name not in merged.required]
    surplus = len(members) - (merged.min_properties - 1)
    if merged.min_properties > 0 and 0 < surplus <= len(optional):
        kept = {name: v for name, v in members.items() if name not in optional[:surplus]}
        yield _Break(path, "too-few-members", kept)
    open_ended = not any("additionalProperties" in part.schema for part in flat)
    if merged.max_properties is not None and open_ended:
        extra = {f"extraMember{i}": "x" for i in range(merged.max_properties + 1 - len(members))}
        yield _Break(path, "too-many-members", {**members, **extra})
