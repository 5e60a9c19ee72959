"""Hypothesis strategies for valid instances of the standard's JSON Schemas (2020-12).

hypothesis-jsonschema only knows drafts 04-07 and does not work with current
Hypothesis, so Felles has its own, deliberately small generator. It supports
exactly the keywords the standard's schemas use (see ``SUPPORTED_KEYWORDS``)
and raises :class:`UnsupportedSchemaError` for any other keyword that affects
validity: generating wrong data silently would blame vendors for the suite's
mistakes, so editors learn at once which keyword to avoid.

Every ``$ref`` resolves through the offline registry. Each subschema is
tracked by its canonical location (``<$id of its resource>#<JSON pointer>``),
which doubles as a ``$ref`` for validating against exactly that subschema:
``oneOf``/``anyOf`` branches are generated one at a time and then filtered by
the whole (sub)schema, so ``oneOf`` exclusivity always holds.

Sizes are kept small (strings up to 40 characters unless ``minLength`` needs
more, arrays up to 4 items) so HTTP payloads stay small and runs stay fast.
"""

from __future__ import annotations

import copy
import datetime
import math
import re
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote, urldefrag, urljoin

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import DrawFn, SearchStrategy
from referencing import Registry
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

from felles.errors import StandardError
from felles.formats import format_checker
from felles.standard.registry import default_registry
from felles.standard.validation import Validity
from felles.strategies.identifiers import VALID_FORMAT_STRATEGIES
from felles.strategies.regex import sized_regex_strategy, text_with_edges

if TYPE_CHECKING:
    from referencing._core import Resolver

__all__ = [
    "SUPPORTED_FORMATS",
    "SUPPORTED_KEYWORDS",
    "UnsupportedSchemaError",
    "from_schema",
]

#: Keywords that never affect validity (annotations, identifiers, containers of definitions).
ANNOTATION_KEYWORDS: Final = frozenset(
    {
        "$id",
        "$schema",
        "$comment",
        "$defs",
        "definitions",
        "$anchor",
        "$vocabulary",
        "title",
        "description",
        "examples",
        "default",
        "deprecated",
        "readOnly",
        "writeOnly",
        "contentEncoding",
        "contentMediaType",
        "contentSchema",
    }
)

#: Assertion and applicator keywords the generator understands.
SUPPORTED_KEYWORDS: Final = frozenset(
    {
        "$ref",
        "type",
        "const",
        "enum",
        "oneOf",
        "anyOf",
        "allOf",
        "properties",
        "required",
        "additionalProperties",
        "minProperties",
        "maxProperties",
        "items",
        "prefixItems",
        "minItems",
        "maxItems",
        "uniqueItems",
        "minLength",
        "maxLength",
        "pattern",
        "format",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
    }
)

#: Keywords of JSON Schema 2020-12 (and older drafts) that affect validity but are not supported.
#: Keywords outside every vocabulary are ignored, as the validator ignores them too.
UNSUPPORTED_KEYWORDS: Final = frozenset(
    {
        "if",
        "then",
        "else",
        "not",
        "dependentSchemas",
        "dependentRequired",
        "dependencies",
        "patternProperties",
        "propertyNames",
        "unevaluatedProperties",
        "unevaluatedItems",
        "contains",
        "minContains",
        "maxContains",
        "$dynamicRef",
        "$dynamicAnchor",
        "$recursiveRef",
        "$recursiveAnchor",
        "additionalItems",
    }
)

OBJECT_KEYWORDS: Final = frozenset(
    {"properties", "required", "additionalProperties", "minProperties", "maxProperties"}
)
ARRAY_KEYWORDS: Final = frozenset({"items", "prefixItems", "minItems", "maxItems", "uniqueItems"})
STRING_KEYWORDS: Final = frozenset({"minLength", "maxLength", "pattern", "format"})
NUMBER_KEYWORDS: Final = frozenset(
    {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"}
)
JSON_TYPES: Final = ("null", "boolean", "integer", "number", "string", "array", "object")

#: Longest string generated unless ``minLength`` asks for more.
STRING_CAP: Final = 40
#: Most items generated in an array unless ``minItems`` asks for more.
ARRAY_CAP: Final = 4
#: Integers stay within what every JSON parser (IEEE double) reads exactly.
SAFE_INTEGER: Final = 2**53 - 1

#: Characters of realistic Norwegian text (incl. nordsamisk letters): names and free text look
#: like names and free text, and Hypothesis rarely has to filter.
TEXT_ALPHABET: Final = (
    string.ascii_letters + string.digits + " -'.,:/()" + "æøåÆØÅéèüöäÉÜÖÄ" + "áčđŋšŧžÁČĐŊŠŦŽ"
)
_WIDE_ALPHABET: Final = st.characters(
    min_codepoint=0x20, max_codepoint=0x2FF, exclude_categories=("Cc", "Cs")
)


class UnsupportedSchemaError(StandardError):
    """A schema uses a keyword (or format) the strategies cannot generate data for."""

    def __init__(self, keyword: str, location: str, detail: str = "") -> None:
        what = detail or f"keyword {keyword!r} is not supported"
        super().__init__(
            f"{location}: {what}",
            hint="felles.strategies generates only from the keywords in "
            "felles.strategies.from_schema.SUPPORTED_KEYWORDS; rewrite the schema "
            "without it or extend the strategies",
        )
        self.keyword = keyword
        self.location = location


class UnsatisfiableSchemaError(UnsupportedSchemaError):
    """A (sub)schema admits no instance the generator can find, e.g. conflicting ``allOf``."""


# --- schema locations ----------------------------------------------------------------------


@dataclass(frozen=True)
class SchemaPart:
    """A subschema, the resolver for its ``$ref``s, and its canonical location.

    ``location`` is ``<absolute URI of the enclosing resource>#<JSON pointer>``:
    usable both in error messages and as a ``$ref`` to validate against
    exactly this subschema.
    """

    schema: Any
    resolver: Resolver[Any] = field(repr=False, compare=False)
    location: str


@dataclass(frozen=True)
class Choice:
    """A pending ``oneOf``/``anyOf``: instances satisfy (at least) one of ``branches``."""

    keyword: str
    owner: SchemaPart
    branches: tuple[SchemaPart, ...]

    @property
    def key(self) -> str:
        return f"{self.owner.location}/{self.keyword}"


@dataclass(frozen=True)
class Flattened:
    """Subschemas that all apply to one instance, with ``$ref`` and ``allOf`` expanded."""

    parts: tuple[SchemaPart, ...]
    choices: tuple[Choice, ...]
    impossible: SchemaPart | None


@dataclass(frozen=True)
class Bound:
    """A numeric bound; ``exclusive`` when the value itself is not allowed."""

    value: float
    exclusive: bool


@dataclass
class Merged:
    """The keywords of several flat parts combined into the tightest single constraint."""

    types: frozenset[str] | None = None
    consts: list[Any] = field(default_factory=list)
    enums: list[list[Any]] = field(default_factory=list)
    min_length: int = 0
    max_length: int | None = None
    patterns: list[str] = field(default_factory=list)
    formats: list[tuple[str, str]] = field(default_factory=list)  # (format, location)
    lower: Bound | None = None
    upper: Bound | None = None
    multiple_of: list[float] = field(default_factory=list)
    required: list[str] = field(default_factory=list)
    property_names: list[str] = field(default_factory=list)
    min_properties: int = 0
    max_properties: int | None = None
    min_items: int = 0
    max_items: int | None = None
    unique_items: bool = False
    prefix_length: int = 0
    keywords: frozenset[str] = frozenset()

    @property
    def allowed_values(self) -> list[Any] | None:
        """The values ``const``/``enum`` leave, or None when neither constrains."""
        if self.consts:
            pool = self.consts[:1]
        elif self.enums:
            pool = self.enums[0]
        else:
            return None
        others = [*([c] for c in self.consts[1:]), *self.enums] if self.consts else self.enums[1:]
        return [v for v in pool if all(any(json_equal(v, o) for o in other) for other in others)]


def escape_token(token: object) -> str:
    """RFC 6901 escaping of one reference token."""
    return str(token).replace("~", "~0").replace("/", "~1")


def pointer_of(path: tuple[str | int, ...]) -> str:
    """JSON Pointer of an instance path."""
    return "".join("/" + escape_token(token) for token in path)


def json_type_of(value: object) -> str:
    """The JSON type name of a Python value as ``json.loads`` produces it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    raise TypeError(f"not a JSON value: {value!r}")


def type_allowed(value: object, types: frozenset[str]) -> bool:
    """JSON Schema ``type``: integers are numbers; 1.0 is an integer."""
    kind = json_type_of(value)
    if kind in types:
        return True
    if kind == "integer" and "number" in types:
        return True
    return kind == "number" and "integer" in types and float(value).is_integer()  # type: ignore[arg-type]


def canonical(value: Any) -> Any:
    """A hashable form in which JSON-equal values are equal (1 == 1.0, but True != 1)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return (json_type_of(value), value)
    if isinstance(value, int | float):
        number = int(value) if float(value).is_integer() else value
        return ("number", number)
    if isinstance(value, list):
        return ("array", tuple(canonical(item) for item in value))
    if isinstance(value, dict):
        return ("object", tuple(sorted((key, canonical(item)) for key, item in value.items())))
    raise TypeError(f"not a JSON value: {value!r}")


def json_equal(left: Any, right: Any) -> bool:
    return bool(canonical(left) == canonical(right))


def strict_pattern(pattern: str) -> str:
    r"""The pattern with every ``$`` anchor made ``\Z``.

    Python's ``$`` also matches before a final newline, ECMA 262's does not;
    generating from the strict form gives strings that both jsonschema
    (``re.search``) and every other implementation accept.
    """
    out: list[str] = []
    index = 0
    in_class = False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            out.append(pattern[index : index + 2])
            index += 2
            continue
        if in_class:
            if char == "]":
                in_class = False
        elif char == "[":
            in_class = True
            out.append(char)
            index += 1
            if pattern[index : index + 1] == "^":
                out.append("^")
                index += 1
            if pattern[index : index + 1] == "]":  # a literal ] first in a class
                out.append("]")
                index += 1
            continue
        elif char == "$":
            out.append(r"\Z")
            index += 1
            continue
        out.append(char)
        index += 1
    return "".join(out)


# --- formats --------------------------------------------------------------------------------

_LOWER_DIGITS: Final = string.ascii_lowercase + string.digits
_OFFSETS: Final = ("Z", "Z", "+00:00", "+01:00", "+02:00", "-05:00", "+05:30")


def _label(max_size: int = 10) -> SearchStrategy[str]:
    return st.text(_LOWER_DIGITS, min_size=1, max_size=max_size)


def _dates() -> SearchStrategy[str]:
    return st.dates(datetime.date(1990, 1, 1), datetime.date(2100, 12, 31)).map(datetime.date.isoformat)


@st.composite
def _date_times(draw: DrawFn) -> str:
    moment = draw(st.datetimes(datetime.datetime(1990, 1, 1), datetime.datetime(2100, 12, 31, 23, 59, 59)))
    fraction = draw(st.sampled_from(("", "", f".{moment.microsecond // 1000:03d}")))
    offset = draw(st.sampled_from(_OFFSETS))
    return f"{moment:%Y-%m-%dT%H:%M:%S}{fraction}{offset}"


@st.composite
def _emails(draw: DrawFn) -> str:
    local = ".".join(draw(st.lists(_label(), min_size=1, max_size=2)))
    domain = ".".join(draw(st.lists(_label(), min_size=1, max_size=2)))
    tld = draw(st.sampled_from(("no", "com", "org", "example")))
    return f"{local}@{domain}.{tld}"


@st.composite
def _paths(draw: DrawFn) -> str:
    segments = draw(st.lists(st.text(_LOWER_DIGITS + "-", min_size=1, max_size=8), max_size=3))
    return "/" + "/".join(segments)


@st.composite
def _uris(draw: DrawFn) -> str:
    host = ".".join(draw(st.lists(_label(), min_size=1, max_size=2)))
    query = draw(st.sampled_from(("", "", "?limit=10", "?cursor=abc")))
    return f"https://{host}.example{draw(_paths())}{query}"


def _uri_references() -> SearchStrategy[str]:
    relative = st.lists(st.text(_LOWER_DIGITS + "-", min_size=1, max_size=8), max_size=3).map("/".join)
    return st.one_of(_uris(), _paths(), relative.filter(bool))


def _json_pointers() -> SearchStrategy[str]:
    tokens = st.lists(st.text(TEXT_ALPHABET + "~", max_size=8), max_size=4)
    return tokens.map(lambda path: "".join("/" + escape_token(token) for token in path))


_STANDARD_FORMAT_STRATEGIES: Final[dict[str, Callable[[], SearchStrategy[str]]]] = {
    "date": _dates,
    "date-time": _date_times,
    "email": _emails,
    "uuid": lambda: st.uuids().map(str),
    "uri": _uris,
    "uri-reference": _uri_references,
    "json-pointer": _json_pointers,
}

#: Formats the generator can produce valid strings for.
SUPPORTED_FORMATS: Final = frozenset(_STANDARD_FORMAT_STRATEGIES) | frozenset(VALID_FORMAT_STRATEGIES)


def format_strategy(name: str, location: str) -> SearchStrategy[str]:
    """Valid strings of a format, or :class:`UnsupportedSchemaError` for an unknown one."""
    make = _STANDARD_FORMAT_STRATEGIES.get(name) or VALID_FORMAT_STRATEGIES.get(name)
    if make is None:
        raise UnsupportedSchemaError(
            "format", location, f"format {name!r} is not supported (keyword 'format')"
        )
    return make()


# --- arbitrary JSON -------------------------------------------------------------------------


def any_json() -> SearchStrategy[Any]:
    """Small arbitrary JSON values, for members a schema does not constrain (``true``)."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-SAFE_INTEGER, SAFE_INTEGER),
        st.floats(allow_nan=False, allow_infinity=False, min_value=-1e15, max_value=1e15),
        st.text(TEXT_ALPHABET, max_size=10),
    )
    return st.recursive(
        scalars,
        lambda children: st.one_of(
            st.lists(children, max_size=3),
            st.dictionaries(st.text(TEXT_ALPHABET, max_size=8), children, max_size=3),
        ),
        max_leaves=6,
    )


# --- the compiler ---------------------------------------------------------------------------


class SchemaCompiler:
    """Walks schemas of one registry; builds strategies and validators for subschemas.

    One compiler per registry is shared (see :func:`compiler_for`), so
    strategies and validators are built once per subschema.
    """

    def __init__(self, registry: Registry[Any]) -> None:
        self.registry = registry
        self._checker = format_checker()
        self._validators: dict[tuple[str, ...], Validity] = {}
        self._strategies: dict[tuple[tuple[str, ...], frozenset[str]], SearchStrategy[Any]] = {}
        self._building: set[tuple[tuple[str, ...], frozenset[str]]] = set()
        self._flat: dict[tuple[tuple[str, ...], frozenset[str]], Flattened] = {}

    # locations

    def root(self, schema_uri: str) -> SchemaPart:
        """The schema with this ``$id`` (optionally with a ``#/json/pointer`` fragment)."""
        uri, fragment = urldefrag(schema_uri)
        if fragment and not fragment.startswith("/"):
            raise UnsupportedSchemaError("$anchor", schema_uri, "references to an anchor are not supported")
        try:
            resolved = self.registry.resolver().lookup(schema_uri)
        except Unresolvable as exc:
            raise StandardError(f"no schema {schema_uri} in the standard") from exc
        return self._located(resolved.contents, resolved.resolver, uri, fragment)

    def _located(self, contents: Any, resolver: Resolver[Any], uri: str, fragment: str) -> SchemaPart:
        if fragment and isinstance(contents, dict) and isinstance(contents.get("$id"), str):
            uri = urldefrag(urljoin(uri, contents["$id"]))[0]
            fragment = ""
        return SchemaPart(contents, resolver, f"{uri}#{fragment}")

    def child(self, part: SchemaPart, *tokens: str | int) -> SchemaPart:
        """The subschema under ``tokens`` (e.g. ``"properties", "name"``)."""
        schema = part.schema
        for token in tokens:
            schema = schema[token]
        location = part.location + "".join("/" + quote(escape_token(token), safe="$~") for token in tokens)
        resolver = part.resolver
        if isinstance(schema, dict) and isinstance(schema.get("$id"), str):
            base = urldefrag(urljoin(part.location, schema["$id"]))[0]
            resolver = resolver.in_subresource(DRAFT202012.create_resource(schema))
            location = f"{base}#"
        return SchemaPart(schema, resolver, location)

    def resolve(self, part: SchemaPart) -> SchemaPart:
        """The target of the part's ``$ref``."""
        ref = part.schema["$ref"]
        if not isinstance(ref, str):
            raise StandardError(f"{part.location}: $ref must be a string")
        uri, fragment = urldefrag(urljoin(part.location, ref))
        if fragment and not fragment.startswith("/"):
            raise UnsupportedSchemaError("$ref", part.location, f"$ref {ref!r} to an anchor is not supported")
        try:
            resolved = part.resolver.lookup(ref)
        except Unresolvable as exc:
            raise StandardError(f"{part.location}: unresolvable $ref {ref!r}") from exc
        return self._located(resolved.contents, resolved.resolver, uri, fragment)

    # structure

    def check_keywords(self, part: SchemaPart) -> None:
        """Fail loudly on a keyword that affects validity but that the strategies ignore."""
        for keyword in part.schema:
            if keyword in UNSUPPORTED_KEYWORDS:
                raise UnsupportedSchemaError(keyword, part.location)
        additional = part.schema.get("additionalProperties")
        if "items" in part.schema and isinstance(part.schema["items"], list):
            raise UnsupportedSchemaError(
                "items", part.location, "array-form 'items' (draft 2019-09) is not supported"
            )
        if additional is not None and not isinstance(additional, bool | dict):
            raise StandardError(f"{part.location}: additionalProperties must be a schema")

    def flatten(self, parts: tuple[SchemaPart, ...], decided: frozenset[str] = frozenset()) -> Flattened:
        """Expand ``$ref`` and ``allOf``; list ``oneOf``/``anyOf`` not yet ``decided``."""
        key = (tuple(part.location for part in parts), decided)
        cached = self._flat.get(key)
        if cached is not None:
            return cached
        seen: set[str] = set()
        out: list[SchemaPart] = []
        choices: list[Choice] = []
        impossible: SchemaPart | None = None
        queue = list(parts)
        while queue:
            part = queue.pop(0)
            if part.location in seen:
                continue
            seen.add(part.location)
            if part.schema is True:
                continue
            if part.schema is False:
                impossible = impossible or part
                continue
            if not isinstance(part.schema, dict):
                raise StandardError(f"{part.location}: a schema must be an object or a boolean")
            self.check_keywords(part)
            out.append(part)
            if "$ref" in part.schema:
                queue.append(self.resolve(part))
            queue.extend(self.child(part, "allOf", i) for i in range(len(part.schema.get("allOf", []))))
            for keyword in ("oneOf", "anyOf"):
                if keyword in part.schema:
                    branches = tuple(self.child(part, keyword, i) for i in range(len(part.schema[keyword])))
                    choice = Choice(keyword, part, branches)
                    if choice.key not in decided:
                        choices.append(choice)
        result = Flattened(tuple(out), tuple(choices), impossible)
        self._flat[key] = result
        return result

    def member_parts(self, parts: tuple[SchemaPart, ...], name: str) -> tuple[SchemaPart, ...]:
        """Subschemas that apply to member ``name`` of an object under ``parts`` (flat)."""
        found: list[SchemaPart] = []
        for part in parts:
            if name in part.schema.get("properties", {}):
                found.append(self.child(part, "properties", name))
            elif "additionalProperties" in part.schema:
                found.append(self.child(part, "additionalProperties"))
        return tuple(found)

    def item_parts(self, parts: tuple[SchemaPart, ...], index: int) -> tuple[SchemaPart, ...]:
        """Subschemas that apply to item ``index`` of an array under ``parts`` (flat)."""
        found: list[SchemaPart] = []
        for part in parts:
            prefix = part.schema.get("prefixItems", [])
            if index < len(prefix):
                found.append(self.child(part, "prefixItems", index))
            elif "items" in part.schema:
                found.append(self.child(part, "items"))
        return tuple(found)

    def is_impossible(self, parts: tuple[SchemaPart, ...]) -> bool:
        """True when a ``false`` schema applies (e.g. a member ``additionalProperties`` forbids)."""
        return self.flatten(parts).impossible is not None

    def select_branches(
        self, parts: tuple[SchemaPart, ...], instance: Any
    ) -> tuple[tuple[SchemaPart, ...], Flattened]:
        """Add, for every ``oneOf``/``anyOf``, the (first) branch ``instance`` satisfies."""
        decided: frozenset[str] = frozenset()
        flat = self.flatten(parts, decided)
        while flat.choices:
            choice = flat.choices[0]
            branch = next((b for b in choice.branches if self.validator((b,)).is_valid(instance)), None)
            decided = decided | {choice.key}
            if branch is not None:
                parts = (*parts, branch)
            flat = self.flatten(parts, decided)
        return parts, flat

    def validator(self, parts: tuple[SchemaPart, ...]) -> Validity:
        """A yes/no validator for instances that must satisfy every part (cached)."""
        key = tuple(part.location for part in parts)
        found = self._validators.get(key)
        if found is None:
            refs = [{"$ref": location} for location in key]
            schema: dict[str, Any] = refs[0] if len(refs) == 1 else {"allOf": refs}
            found = Validity(schema, self.registry, self._checker)
            self._validators[key] = found
        return found

    def conforms(self, value: str, format_name: str) -> bool:
        """Whether the standard's format checker accepts ``value`` (True for unchecked formats)."""
        return bool(self._checker.conforms(value, format_name))

    def checks_format(self, format_name: str) -> bool:
        return format_name in self._checker.checkers

    # strategies

    def strategy(
        self, parts: tuple[SchemaPart, ...], decided: frozenset[str] = frozenset()
    ) -> SearchStrategy[Any]:
        """Valid instances of all ``parts`` together (built once, cached)."""
        if not parts:
            return any_json()
        key = (tuple(part.location for part in parts), decided)
        cached = self._strategies.get(key)
        if cached is not None:
            return cached
        if key in self._building:
            raise UnsupportedSchemaError("$ref", parts[0].location, "recursive schemas are not supported")
        self._building.add(key)
        try:
            result = self._build(parts, decided)
        finally:
            self._building.discard(key)
        self._strategies[key] = result
        return result

    def _build(self, parts: tuple[SchemaPart, ...], decided: frozenset[str]) -> SearchStrategy[Any]:
        flat = self.flatten(parts, decided)
        if flat.impossible is not None:
            raise UnsatisfiableSchemaError(
                "false", flat.impossible.location, "the schema `false` admits no instance"
            )
        if flat.choices:
            choice = flat.choices[0]
            options: list[SearchStrategy[Any]] = []
            failures: list[UnsatisfiableSchemaError] = []
            for branch in choice.branches:
                try:
                    options.append(self.strategy((*parts, branch), decided | {choice.key}))
                except UnsatisfiableSchemaError as exc:
                    failures.append(exc)
            if not options:
                if failures:
                    raise failures[0]
                raise UnsatisfiableSchemaError(choice.keyword, choice.owner.location, "no branches")
            return st.one_of(options).filter(self.validator(parts).is_valid)
        return self._from_merged(parts, flat.parts, merge(flat.parts))

    def _from_merged(
        self, parts: tuple[SchemaPart, ...], flat: tuple[SchemaPart, ...], merged: Merged
    ) -> SearchStrategy[Any]:
        location = parts[0].location
        allowed = merged.allowed_values
        if allowed is not None:
            check = self.validator(parts)
            values = [value for value in allowed if check.is_valid(value)]
            if not values:
                raise UnsatisfiableSchemaError("enum", location, "no value of const/enum is valid")
            return st.sampled_from(values).map(copy.deepcopy)
        types = merged.types if merged.types is not None else infer_types(merged.keywords)
        if types is None:
            return any_json()
        builders: dict[str, Callable[[], SearchStrategy[Any]]] = {
            "null": st.none,
            "boolean": st.booleans,
            "integer": lambda: self._integers(merged, parts),
            "number": lambda: self._numbers(merged, parts),
            "string": lambda: self._strings(merged, location),
            "array": lambda: self._arrays(flat, merged, location),
            "object": lambda: self._objects(flat, merged, location),
        }
        if "number" in types:
            types = types - {"integer"}
        options: list[SearchStrategy[Any]] = []
        failure: UnsatisfiableSchemaError | None = None
        for kind in JSON_TYPES:
            if kind in types:
                try:
                    options.append(builders[kind]())
                except UnsatisfiableSchemaError as exc:
                    failure = failure or exc
        if not options:
            raise failure or UnsatisfiableSchemaError("type", location, "no type is allowed")
        return st.one_of(options)

    def _strings(self, merged: Merged, location: str) -> SearchStrategy[str]:
        low, high = merged.min_length, merged.max_length
        if high is not None and high < low:
            raise UnsatisfiableSchemaError("maxLength", location, "maxLength < minLength")
        cap = max(low, min(high if high is not None else STRING_CAP, STRING_CAP))
        names = sorted({name for name, _ in merged.formats})
        if len(names) > 1:
            raise UnsupportedSchemaError(
                "format",
                location,
                f"several formats at once ({', '.join(names)}) are not supported",
            )
        compiled = [compile_pattern(p, location) for p in merged.patterns]
        base: SearchStrategy[str]
        if names:
            base = format_strategy(names[0], merged.formats[0][1])
            if not compiled and low == 0 and high is None:
                return base
        elif compiled:
            sized = sized_regex_strategy(compiled[0].pattern, TEXT_ALPHABET, low, cap)
            if sized is not None and sized[1] and len(compiled) == 1:
                return sized[0]  # matches and fits by construction: nothing to filter
            base = sized[0] if sized is not None else _from_regex(compiled[0].pattern)
        else:
            return text_with_edges(TEXT_ALPHABET, low, cap)

        def fits(value: str) -> bool:
            return (
                low <= len(value)
                and (high is None or len(value) <= high)
                and all(p.search(value) for p in compiled)
            )

        return base.filter(fits)

    def _integers(self, merged: Merged, parts: tuple[SchemaPart, ...]) -> SearchStrategy[int]:
        location = parts[0].location
        low = -SAFE_INTEGER
        high = SAFE_INTEGER
        if merged.lower is not None:
            value = merged.lower.value
            low = math.floor(value) + 1 if merged.lower.exclusive else math.ceil(value)
        if merged.upper is not None:
            value = merged.upper.value
            high = math.ceil(value) - 1 if merged.upper.exclusive else math.floor(value)
        integral = [m for m in merged.multiple_of if float(m).is_integer()]
        step = math.lcm(*(int(m) for m in integral)) if integral else 1
        first, last = -(-low // step), high // step
        if first > last:
            raise UnsatisfiableSchemaError("minimum", location, "no integer within the bounds")
        result = st.integers(first, last)
        if step != 1:
            result = result.map(lambda k: k * step)
        if len(integral) < len(merged.multiple_of):
            result = result.filter(self.validator(parts).is_valid)
        return result

    def _numbers(self, merged: Merged, parts: tuple[SchemaPart, ...]) -> SearchStrategy[Any]:
        if merged.multiple_of:
            fractional = [m for m in merged.multiple_of if not float(m).is_integer()]
            if not fractional:
                return self._integers(merged, parts)
            step = fractional[0]
            low = merged.lower.value if merged.lower else -1e9
            high = merged.upper.value if merged.upper else 1e9
            check = self.validator(parts)
            return (
                st.integers(math.ceil(low / step), math.floor(high / step))
                .map(lambda k: float(round(k * step, 12)))
                .filter(check.is_valid)
            )
        integers: SearchStrategy[Any]
        try:
            integers = self._integers(merged, parts)
        except UnsatisfiableSchemaError:
            integers = st.nothing()
        floats = st.floats(
            min_value=merged.lower.value if merged.lower else -float(SAFE_INTEGER),
            max_value=merged.upper.value if merged.upper else float(SAFE_INTEGER),
            exclude_min=bool(merged.lower and merged.lower.exclusive),
            exclude_max=bool(merged.upper and merged.upper.exclusive),
            allow_nan=False,
            allow_infinity=False,
        )
        return st.one_of(integers, floats)

    def _arrays(
        self, flat: tuple[SchemaPart, ...], merged: Merged, location: str
    ) -> SearchStrategy[list[Any]]:
        low, high = merged.min_items, merged.max_items
        if high is not None and high < low:
            raise UnsatisfiableSchemaError("maxItems", location, "maxItems < minItems")
        cap = max(low, min(high if high is not None else ARRAY_CAP, ARRAY_CAP))
        positions: list[SearchStrategy[Any]] = []
        for index in range(min(merged.prefix_length, cap)):
            try:
                positions.append(self.strategy(self.item_parts(flat, index)))
            except UnsatisfiableSchemaError:
                break
        rest_parts = self.item_parts(flat, merged.prefix_length)
        rest: SearchStrategy[Any] | None
        try:
            rest = self.strategy(rest_parts)
        except UnsatisfiableSchemaError:
            rest = None
        if len(positions) < merged.prefix_length or rest is None:
            cap = min(cap, len(positions))
        if cap < low:
            raise UnsatisfiableSchemaError("minItems", location, "not enough items can be valid")
        unique_by = canonical if merged.unique_items else None
        if not positions and rest is not None:
            return st.lists(rest, min_size=low, max_size=cap, unique_by=unique_by)
        tail = rest if rest is not None else st.nothing()

        @st.composite
        def arrays(draw: DrawFn) -> list[Any]:
            size = draw(st.integers(low, cap))
            return [draw(positions[i] if i < len(positions) else tail) for i in range(size)]

        result = arrays()
        if merged.unique_items:
            result = result.filter(lambda items: len({canonical(i) for i in items}) == len(items))
        return result

    def _objects(
        self, flat: tuple[SchemaPart, ...], merged: Merged, location: str
    ) -> SearchStrategy[dict[str, Any]]:
        required: dict[str, SearchStrategy[Any]] = {}
        optional: dict[str, SearchStrategy[Any]] = {}
        for name in [*merged.property_names, *merged.required]:
            if name in required or name in optional:
                continue
            member = self.member_parts(flat, name)
            try:
                value = self.strategy(member)
            except UnsatisfiableSchemaError:
                if name in merged.required:
                    raise
                continue
            (required if name in merged.required else optional)[name] = value
        extra_parts = tuple(
            self.child(part, "additionalProperties") for part in flat if "additionalProperties" in part.schema
        )
        extra: SearchStrategy[Any] | None
        try:
            extra = self.strategy(extra_parts)
        except UnsatisfiableSchemaError:
            extra = None
        low, high = merged.min_properties, merged.max_properties
        if high is not None and len(required) > high:
            raise UnsatisfiableSchemaError("maxProperties", location, "more required than allowed")
        if extra is None and len(required) + len(optional) < low:
            raise UnsatisfiableSchemaError("minProperties", location, "too few possible members")
        known = frozenset(merged.property_names) | frozenset(merged.required)
        return _object_strategy(
            required=required, optional=optional, extra=extra, low=low, high=high, known=known
        )


@st.composite
def _object_strategy(
    draw: DrawFn,
    *,
    required: Mapping[str, SearchStrategy[Any]],
    optional: Mapping[str, SearchStrategy[Any]],
    extra: SearchStrategy[Any] | None,
    low: int,
    high: int | None,
    known: frozenset[str],
) -> dict[str, Any]:
    """Required members, each optional one with probability 1/2, then min/maxProperties.

    Which optional members appear is one integer draw (a bit per member), not
    a boolean each: draws are most of the cost of generating a payload, and
    Hypothesis's bias to the bounds still yields "none" and "all" often.
    """
    present = draw(st.integers(0, (1 << len(optional)) - 1)) if optional else 0
    chosen = [name for bit, name in enumerate(optional) if present >> bit & 1]
    missing = low - len(required) - len(chosen)
    for name in optional:
        if missing <= 0:
            break
        if name not in chosen:
            chosen.append(name)
            missing -= 1
    if high is not None:
        chosen = chosen[: max(0, high - len(required))]
    result = {name: draw(strategy) for name, strategy in required.items()}
    for name in optional:
        if name in chosen:
            result[name] = draw(optional[name])
    while len(result) < low and extra is not None:
        name = draw(
            st.text(string.ascii_letters, min_size=1, max_size=12).filter(
                lambda n: n not in result and n not in known
            )
        )
        result[name] = draw(extra)
    return result


def infer_types(keywords: frozenset[str]) -> frozenset[str] | None:
    """Without ``type``, generate the types whose keywords appear (None: any JSON)."""
    found = {
        kind
        for kind, words in (
            ("object", OBJECT_KEYWORDS),
            ("array", ARRAY_KEYWORDS),
            ("string", STRING_KEYWORDS),
            ("number", NUMBER_KEYWORDS),
        )
        if keywords & words
    }
    return frozenset(found) or None


def _intersect_types(left: frozenset[str], right: frozenset[str]) -> frozenset[str]:
    found = set(left & right)
    if ("integer" in left and "number" in right) or ("number" in left and "integer" in right):
        found.add("integer")
    return frozenset(found)


def merge(parts: tuple[SchemaPart, ...]) -> Merged:
    """Combine the keywords of flat parts (all apply to the same instance)."""
    merged = Merged()
    keywords: set[str] = set()
    for part in parts:
        schema: dict[str, Any] = part.schema
        keywords.update(schema)
        if "type" in schema:
            declared = schema["type"]
            kinds = frozenset([declared] if isinstance(declared, str) else declared)
            merged.types = kinds if merged.types is None else _intersect_types(merged.types, kinds)
        if "const" in schema:
            merged.consts.append(schema["const"])
        if "enum" in schema:
            merged.enums.append(list(schema["enum"]))
        merged.min_length = max(merged.min_length, schema.get("minLength", 0))
        merged.max_length = _smaller(merged.max_length, schema.get("maxLength"))
        if "pattern" in schema:
            merged.patterns.append(schema["pattern"])
        if "format" in schema:
            merged.formats.append((schema["format"], part.location))
        for name, exclusive in (("minimum", False), ("exclusiveMinimum", True)):
            if name in schema:
                merged.lower = _tighter(merged.lower, Bound(schema[name], exclusive), lower=True)
        for name, exclusive in (("maximum", False), ("exclusiveMaximum", True)):
            if name in schema:
                merged.upper = _tighter(merged.upper, Bound(schema[name], exclusive), lower=False)
        if "multipleOf" in schema:
            merged.multiple_of.append(schema["multipleOf"])
        for name in schema.get("required", []):
            if name not in merged.required:
                merged.required.append(name)
        for name in schema.get("properties", {}):
            if name not in merged.property_names:
                merged.property_names.append(name)
        merged.min_properties = max(merged.min_properties, schema.get("minProperties", 0))
        merged.max_properties = _smaller(merged.max_properties, schema.get("maxProperties"))
        merged.min_items = max(merged.min_items, schema.get("minItems", 0))
        merged.max_items = _smaller(merged.max_items, schema.get("maxItems"))
        merged.unique_items = merged.unique_items or bool(schema.get("uniqueItems", False))
        merged.prefix_length = max(merged.prefix_length, len(schema.get("prefixItems", [])))
    merged.keywords = frozenset(keywords)
    return merged


def _smaller(current: int | None, new: int | None) -> int | None:
    if new is None:
        return current
    return new if current is None else min(current, new)


def _tighter(current: Bound | None, new: Bound, *, lower: bool) -> Bound:
    if current is None:
        return new
    if new.value == current.value:
        return new if new.exclusive else current
    if lower:
        return new if new.value > current.value else current
    return new if new.value < current.value else current


def compile_pattern(pattern: str, location: str) -> re.Pattern[str]:
    """The ECMA-strict form of a schema ``pattern``; a bad regex is an error of the schema."""
    try:
        return re.compile(strict_pattern(pattern))
    except re.error as exc:
        raise StandardError(f"{location}: invalid pattern {pattern!r}: {exc}") from exc


def _from_regex(pattern: str) -> SearchStrategy[str]:
    """Hypothesis's general regex strategy, with realistic characters where the pattern allows."""
    for alphabet in (st.sampled_from(TEXT_ALPHABET), _WIDE_ALPHABET):
        candidate = st.from_regex(pattern, fullmatch=True, alphabet=alphabet)
        try:
            candidate.validate()
        except InvalidArgument:
            continue
        return candidate
    return st.from_regex(pattern, fullmatch=True)


# --- public API -----------------------------------------------------------------------------

_COMPILERS: dict[int, SchemaCompiler] = {}
_MAX_COMPILERS: Final = 8


def compiler_for(registry: Registry[Any] | None = None) -> SchemaCompiler:
    """The shared compiler of a registry (the installed standard when None)."""
    registry = registry if registry is not None else default_registry()
    found = _COMPILERS.get(id(registry))
    if found is None or found.registry is not registry:
        if len(_COMPILERS) >= _MAX_COMPILERS:
            _COMPILERS.pop(next(iter(_COMPILERS)))
        found = SchemaCompiler(registry)
        _COMPILERS[id(registry)] = found
    return found


def from_schema(schema_uri: str, *, registry: Registry[Any] | None = None) -> SearchStrategy[Any]:
    """Valid instances of the schema with this ``$id`` (optionally ``#/json/pointer``).

    Raises :class:`UnsupportedSchemaError` at once (not when drawing) if the
    schema uses a keyword or format the strategies do not support.
    """
    compiler = compiler_for(registry)
    root = compiler.root(schema_uri)
    return compiler.strategy((root,)).filter(compiler.validator((root,)).is_valid)
