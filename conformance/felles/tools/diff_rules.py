"""Direction-aware comparison of two JSON Schemas, keyword by keyword.

A change to a schema makes it *tighter* (it accepts fewer documents),
*looser* (it accepts more), or both. Whether that breaks clients depends on
which way the documents travel:

- on the **request** side (request bodies, parameters) the client writes and
  the server validates: tighter breaks existing clients, looser does not;
- on the **response** side the server writes and the client reads: looser
  breaks clients (a removed member, a member that became optional, an enum
  value the client cannot know), tighter does not.

Each change carries an :class:`Effect` (its level on each side); the level
reported is the effect on the side(s) the schema is used on. ``$ref`` s are
resolved through each version's own registry and compared structurally, so
``application/1.0/X`` and ``application/1.1/X`` are the same schema.

An enum is *extensible* when its schema says ``"x-extensible-enum": true``
(in the old version: that is the promise clients were built on): then a new
value on the response side is not breaking, because clients must already
accept values they do not know.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Final, Literal
from urllib.parse import urljoin

from referencing import Registry
from referencing.exceptions import Unresolvable

from felles.errors import StandardError
from felles.standard.registry import SCHEMA_BASE
from felles.standard.validation import escape_token
from felles.tools.semver import Level

Side = Literal["request", "response"]
SIDES: Final[tuple[Side, ...]] = ("request", "response")

#: The marker that declares an enum open to new values in later minor versions.
EXTENSIBLE_ENUM: Final = "x-extensible-enum"


class DiffError(StandardError):
    """The versions cannot be compared (a $ref that does not resolve, an unreadable file)."""


@dataclass(frozen=True)
class Effect:
    """The level of one change when the schema is read on the request and on the response side."""

    request: Level
    response: Level

    def on(self, side: Side) -> Level:
        return self.request if side == "request" else self.response


TIGHTER: Final = Effect(Level.BREAKING, Level.NON_BREAKING)
LOOSER: Final = Effect(Level.NON_BREAKING, Level.BREAKING)
INCOMPATIBLE: Final = Effect(Level.BREAKING, Level.BREAKING)
ADDITIVE: Final = Effect(Level.NON_BREAKING, Level.NON_BREAKING)
EDITORIAL: Final = Effect(Level.PATCH, Level.PATCH)


@dataclass(frozen=True)
class Change:
    """One difference between the versions, classified (``level`` is the worst over its sides)."""

    level: Level
    kind: str
    location: str
    message: str
    #: (side, level on that side) for each side the change was seen on; empty when sides do not apply.
    sides: tuple[tuple[str, Level], ...] = ()
    via: str = ""

    def sides_text(self) -> str:
        """``request, response`` or, when the sides differ, ``request: non-breaking; response: breaking``."""
        if len({level for _, level in self.sides}) > 1:
            return "; ".join(f"{side}: {level.label}" for side, level in self.sides)
        return ", ".join(side for side, _ in self.sides)

    def as_json(self) -> dict[str, Any]:
        return {
            "level": self.level.label,
            "kind": self.kind,
            "location": self.location,
            "message": self.message,
            "sides": {side: level.label for side, level in self.sides},
            "via": self.via,
        }


@dataclass
class ChangeLog:
    """Changes, merged when the same change is reached on both sides or along several routes."""

    _changes: dict[tuple[str, str, str], Change] = field(default_factory=dict)

    def add(
        self, kind: str, location: str, message: str, effect: Effect, side: Side | None, via: str
    ) -> None:
        """Log a change; ``side`` None for changes to which the sides do not apply (a removed path)."""
        key = (kind, location, message)
        known = self._changes.get(key)
        levels = dict(known.sides) if known is not None else {}
        if side is None:
            level = max(effect.request, effect.response)
        else:
            level = effect.on(side)
            levels[side] = max(levels.get(side, Level.NONE), level)
        if known is not None:
            level = max(level, known.level)
        sides = tuple(sorted(levels.items()))
        self._changes[key] = Change(level, kind, location, message, sides, known.via if known else via)

    def changes(self) -> list[Change]:
        return sorted(self._changes.values(), key=lambda c: (-c.level, c.location, c.kind, c.message))


@dataclass(frozen=True)
class Node:
    """A schema (or OpenAPI object) and where it is: resource URI and JSON Pointer within it."""

    contents: Any
    base: str
    pointer: str = ""

    @property
    def location(self) -> str:
        return f"{self.base}#{self.pointer}"

    def child(self, *tokens: object) -> Node:
        contents = self.contents
        for token in tokens:
            if isinstance(contents, dict):
                contents = contents.get(str(token))
            elif isinstance(contents, list) and isinstance(token, int) and token < len(contents):
                contents = contents[token]
            else:
                contents = None
        pointer = self.pointer + "".join("/" + escape_token(t) for t in tokens)
        return Node(contents, self.base, pointer)


def display(location: str) -> str:
    """A location without the common schema base: ``application/1.1/X.schema.json#/properties/a``."""
    short = location.removeprefix(SCHEMA_BASE)
    return short.removesuffix("#")


def version_free(uri: str) -> str:
    """``.../application/1.0/X.schema.json#...`` → ``application/X.schema.json#...``.

    Used to match things across versions (oneOf branches by their ``$ref``, raw keyword values).
    """
    if not uri.startswith(SCHEMA_BASE):
        return uri
    parts = uri.removeprefix(SCHEMA_BASE).split("/", 2)
    return f"{parts[0]}/{parts[2]}" if len(parts) == 3 else uri


def mapping(value: object) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty one (malformed input is compared as absent)."""
    return value if isinstance(value, dict) else {}


def sequence(value: object) -> list[Any]:
    """``value`` if it is a JSON array, else an empty one."""
    return value if isinstance(value, list) else []


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _show(value: Any) -> str:
    return _json(value) if not isinstance(value, str) else repr(value)


def _listing(values: Iterable[Any]) -> str:
    return ", ".join(_show(v) for v in values)


def _normalized(value: Any) -> Any:
    """A JSON value with every schema URI made version-free, for comparing raw keyword values."""
    if isinstance(value, str):
        return version_free(value)
    if isinstance(value, list):
        return [_normalized(v) for v in value]
    if isinstance(value, dict):
        return {k: _normalized(v) for k, v in value.items()}
    return value


_LOWER_BOUNDS: Final = (
    "minimum",
    "exclusiveMinimum",
    "minLength",
    "minItems",
    "minProperties",
    "minContains",
)
_UPPER_BOUNDS: Final = (
    "maximum",
    "exclusiveMaximum",
    "maxLength",
    "maxItems",
    "maxProperties",
    "maxContains",
)
_ANNOTATIONS: Final = ("title", "description", "examples", "$comment", "contentEncoding")
_IGNORED: Final = frozenset({"$id", "$schema", "$anchor", "$dynamicAnchor", "$vocabulary"})
_HANDLED: Final = frozenset(
    {
        *_LOWER_BOUNDS,
        *_UPPER_BOUNDS,
        *_ANNOTATIONS,
        *_IGNORED,
        "$ref",
        "$defs",
        "type",
        "enum",
        "const",
        EXTENSIBLE_ENUM,
        "default",
        "deprecated",
        "readOnly",
        "writeOnly",
        "pattern",
        "format",
        "multipleOf",
        "uniqueItems",
        "properties",
        "required",
        "additionalProperties",
        "unevaluatedProperties",
        "patternProperties",
        "items",
        "prefixItems",
        "oneOf",
        "anyOf",
        "allOf",
    }
)
_MISSING: Final = object()


def _types(schema: dict[str, Any]) -> set[str] | None:
    declared = schema.get("type")
    if declared is None:
        return None
    return {declared} if isinstance(declared, str) else {str(t) for t in declared}


def _covers(types: set[str] | None, name: str) -> bool:
    return types is None or name in types or (name == "integer" and "number" in types)


def _fraction(value: object) -> Fraction | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return Fraction(str(value))


class SchemaDiff:
    """Walks two versions of a schema side by side and logs every classified change."""

    def __init__(self, old_registry: Registry[Any], new_registry: Registry[Any], log: ChangeLog) -> None:
        self._registries = (old_registry, new_registry)
        self.log = log
        self._seen: set[tuple[str, str, Side]] = set()
        #: Resource URI (new version) → the sides it was reached on.
        self.reached: dict[str, set[Side]] = {}

    # -- reporting -------------------------------------------------------------------------

    def report(
        self, kind: str, node: Node, message: str, effect: Effect, side: Side | None, via: str
    ) -> None:
        self.log.add(kind, display(node.location), message, effect, side, via)

    # -- $ref --------------------------------------------------------------------------------

    def resolve(self, node: Node, which: int) -> Node:
        """Follow ``$ref`` s (siblings of a ``$ref`` are laid over its target) to a schema without one."""
        registry = self._registries[which]
        seen: set[str] = set()
        while isinstance(node.contents, dict) and isinstance(node.contents.get("$ref"), str):
            ref = node.contents["$ref"]
            target = urljoin(node.base, ref)
            if target in seen:
                break
            seen.add(target)
            try:
                resolved = registry.resolver(base_uri=node.base).lookup(ref)
            except Unresolvable as exc:
                label = "old" if which == 0 else "new"
                raise DiffError(
                    f"{label} version: $ref {ref} at {display(node.location)} does not resolve",
                    hint="run felles lint on that version first",
                ) from exc
            uri, _, fragment = target.partition("#")
            siblings = {k: v for k, v in node.contents.items() if k != "$ref"}
            contents = resolved.contents
            if siblings and isinstance(contents, dict):
                contents = {**contents, **siblings}
            node = Node(contents, uri, fragment)
        return node

    # -- the walk -----------------------------------------------------------------------------

    def compare(self, old: Node, new: Node, side: Side, via: str) -> None:
        """Log every change from ``old`` to ``new`` as seen on ``side``."""
        key = (old.location, new.location, side)
        if key in self._seen:
            return
        self._seen.add(key)
        self.reached.setdefault(new.base, set()).add(side)
        o, n = old.contents, new.contents
        o_ref = isinstance(o, dict) and isinstance(o.get("$ref"), str)
        n_ref = isinstance(n, dict) and isinstance(n.get("$ref"), str)
        if o_ref and n_ref:
            # The annotations beside the refs where they are, then the targets where they are.
            self._keywords(
                Node({k: v for k, v in o.items() if k != "$ref"}, old.base, old.pointer),
                Node({k: v for k, v in n.items() if k != "$ref"}, new.base, new.pointer),
                side,
                via,
                siblings_only=True,
            )
            self.compare(self._target(old, 0), self._target(new, 1), side, via)
            return
        if o_ref or n_ref:
            self.compare(self.resolve(old, 0), self.resolve(new, 1), side, via)
            return
        if isinstance(o, bool) or isinstance(n, bool) or o is None or n is None:
            self._booleans(old, new, side, via)
            return
        if not isinstance(o, dict) or not isinstance(n, dict):
            if _normalized(o) != _normalized(n):
                self.report("schema-changed", new, "schema changed", INCOMPATIBLE, side, via)
            return
        self._keywords(old, new, side, via)

    def _target(self, node: Node, which: int) -> Node:
        """The node a ``$ref`` points to (without laying the siblings over it)."""
        ref_only = Node({"$ref": node.contents["$ref"]}, node.base, node.pointer)
        return self.resolve(ref_only, which)

    def _booleans(self, old: Node, new: Node, side: Side, via: str) -> None:
        """``true``/``false`` schemas (``true`` is ``{}``)."""
        o = {} if old.contents is True or old.contents is None else old.contents
        n = {} if new.contents is True or new.contents is None else new.contents
        if o is False and n is False:
            return
        if n is False:
            self.report("schema-rejects-all", new, "schema now rejects everything", TIGHTER, side, via)
        elif o is False:
            self.report("schema-accepts", new, "schema no longer rejects everything", LOOSER, side, via)
        elif isinstance(o, dict) and isinstance(n, dict):
            self._keywords(Node(o, old.base, old.pointer), Node(n, new.base, new.pointer), side, via)

    def _keywords(self, old: Node, new: Node, side: Side, via: str, *, siblings_only: bool = False) -> None:
        o: dict[str, Any] = old.contents
        n: dict[str, Any] = new.contents
        self._annotations(o, n, new, side, via)
        self._flags(o, n, new, side, via)
        self._type(o, n, new, side, via)
        self._enum(o, n, new, side, via)
        self._const(o, n, new, side, via)
        self._bounds(o, n, new, side, via)
        self._pattern_format(o, n, new, side, via)
        if siblings_only:
            return
        self._objects(old, new, side, via)
        self._arrays(old, new, side, via)
        self._combinators(old, new, side, via)
        self._definitions(old, new, side, via)
        self._others(o, n, new, side, via)

    # -- keyword families ----------------------------------------------------------------------

    def _annotations(self, o: dict[str, Any], n: dict[str, Any], at: Node, side: Side, via: str) -> None:
        for keyword in _ANNOTATIONS:
            if _normalized(o.get(keyword)) != _normalized(n.get(keyword)):
                self.report("annotation-changed", at, f"{keyword} changed", EDITORIAL, side, via)
        for keyword in sorted(set(o) | set(n)):
            if keyword.startswith("x-") and keyword != EXTENSIBLE_ENUM and o.get(keyword) != n.get(keyword):
                self.report("extension-changed", at, f"{keyword} changed", EDITORIAL, side, via)
        if "default" in o or "default" in n:
            before, after = o.get("default", _MISSING), n.get("default", _MISSING)
            if before is _MISSING or after is _MISSING or _json(before) != _json(after):
                what = (
                    f"default {_show(after)} added"
                    if before is _MISSING
                    else "default removed"
                    if after is _MISSING
                    else f"default changed from {_show(before)} to {_show(after)}"
                )
                # What the server assumes for an omitted member changes: requests mean something else.
                self.report("default-changed", at, what, Effect(Level.BREAKING, Level.PATCH), side, via)

    def _flags(self, o: dict[str, Any], n: dict[str, Any], at: Node, side: Side, via: str) -> None:
        if bool(o.get("deprecated")) != bool(n.get("deprecated")):
            if n.get("deprecated"):
                self.report("deprecated", at, "now deprecated", ADDITIVE, side, via)
            else:
                self.report("undeprecated", at, "no longer deprecated", ADDITIVE, side, via)
        if bool(o.get("readOnly")) != bool(n.get("readOnly")):
            if n.get("readOnly"):
                # Clients may no longer send it; readers see no difference.
                effect = Effect(Level.BREAKING, Level.PATCH)
                self.report("read-only-added", at, "now readOnly", effect, side, via)
            else:
                effect = Effect(Level.NON_BREAKING, Level.PATCH)
                self.report("read-only-removed", at, "no longer readOnly", effect, side, via)
        if bool(o.get("writeOnly")) != bool(n.get("writeOnly")):
            if n.get("writeOnly"):
                # The server no longer returns it.
                effect = Effect(Level.PATCH, Level.BREAKING)
                self.report("write-only-added", at, "now writeOnly", effect, side, via)
            else:
                effect = Effect(Level.PATCH, Level.NON_BREAKING)
                self.report("write-only-removed", at, "no longer writeOnly", effect, side, via)

    def _type(self, o: dict[str, Any], n: dict[str, Any], at: Node, side: Side, via: str) -> None:
        before, after = _types(o), _types(n)
        if before == after:
            return
        if before is None:
            self.report(
                "type-restricted",
                at,
                f"type restricted to {_listing(sorted(after or []))}",
                TIGHTER,
                side,
                via,
            )
            return
        if after is None:
            self.report("type-unrestricted", at, "type restriction removed", LOOSER, side, via)
            return
        removed = sorted(t for t in before if not _covers(after, t))
        added = sorted(t for t in after if not _covers(before, t))
        if removed and added:
            message = f"type changed from {_listing(sorted(before))} to {_listing(sorted(after))}"
            self.report("type-changed", at, message, INCOMPATIBLE, side, via)
        elif removed:
            self.report("type-removed", at, f"no longer accepts type {_listing(removed)}", TIGHTER, side, via)
        elif added:
            self.report("type-added", at, f"now also accepts type {_listing(added)}", LOOSER, side, via)

    def _enum(self, o: dict[str, Any], n: dict[str, Any], at: Node, side: Side, via: str) -> None:
        before, after = o.get("enum"), n.get("enum")
        was_open, is_open = o.get(EXTENSIBLE_ENUM) is True, n.get(EXTENSIBLE_ENUM) is True
        if was_open != is_open:
            if is_open:
                self.report("enum-extensible", at, "enum declared extensible", LOOSER, side, via)
            else:
                self.report("enum-closed", at, "enum no longer declared extensible", TIGHTER, side, via)
        if before is None and after is None:
            return
        if before is None:
            self.report("enum-added", at, f"values restricted to {_listing(after or [])}", TIGHTER, side, via)
            return
        if after is None:
            self.report("enum-removed", at, "enum restriction removed", LOOSER, side, via)
            return
        old_keys, new_keys = {_json(v) for v in before}, {_json(v) for v in after}
        removed = [v for v in before if _json(v) not in new_keys]
        added = [v for v in after if _json(v) not in old_keys]
        if removed:
            self.report(
                "enum-value-removed", at, f"enum value(s) removed: {_listing(removed)}", TIGHTER, side, via
            )
        if added:
            if was_open:
                message = f"enum value(s) added: {_listing(added)} (the enum is declared extensible)"
                self.report("enum-value-added", at, message, ADDITIVE, side, via)
            else:
                self.report(
                    "enum-value-added", at, f"enum value(s) added: {_listing(added)}", LOOSER, side, via
                )

    def _const(self, o: dict[str, Any], n: dict[str, Any], at: Node, side: Side, via: str) -> None:
        before, after = o.get("const", _MISSING), n.get("const", _MISSING)
        if before is _MISSING and after is _MISSING:
            return
        if before is _MISSING:
            self.report("const-added", at, f"value fixed to {_show(after)}", TIGHTER, side, via)
        elif after is _MISSING:
            self.report("const-removed", at, f"value no longer fixed to {_show(before)}", LOOSER, side, via)
        elif _json(before) != _json(after):
            message = f"const changed from {_show(before)} to {_show(after)}"
            self.report("const-changed", at, message, INCOMPATIBLE, side, via)

    def _bounds(self, o: dict[str, Any], n: dict[str, Any], at: Node, side: Side, via: str) -> None:
        for keyword in (*_LOWER_BOUNDS, *_UPPER_BOUNDS):
            before, after = o.get(keyword), n.get(keyword)
            if before == after and type(before) is type(after):
                continue
            lower = keyword in _LOWER_BOUNDS
            if before is None:
                self.report(f"{keyword}-added", at, f"{keyword} {_show(after)} added", TIGHTER, side, via)
                continue
            if after is None:
                self.report(f"{keyword}-removed", at, f"{keyword} {_show(before)} removed", LOOSER, side, via)
                continue
            a, b = _fraction(before), _fraction(after)
            if a is None or b is None:
                message = f"{keyword} changed from {_show(before)} to {_show(after)}"
                self.report(f"{keyword}-changed", at, message, INCOMPATIBLE, side, via)
                continue
            raised = b > a
            tighter = raised if lower else not raised
            verb = "raised" if raised else "lowered"
            self.report(
                f"{keyword}-{verb}",
                at,
                f"{keyword} {verb} from {_show(before)} to {_show(after)}",
                TIGHTER if tighter else LOOSER,
                side,
                via,
            )

    def _pattern_format(self, o: dict[str, Any], n: dict[str, Any], at: Node, side: Side, via: str) -> None:
        for keyword in ("pattern", "format"):
            before, after = o.get(keyword), n.get(keyword)
            if before == after:
                continue
            if before is None:
                self.report(f"{keyword}-added", at, f"{keyword} {_show(after)} added", TIGHTER, side, via)
            elif after is None:
                self.report(f"{keyword}-removed", at, f"{keyword} {_show(before)} removed", LOOSER, side, via)
            else:
                message = f"{keyword} changed from {_show(before)} to {_show(after)}"
                self.report(f"{keyword}-changed", at, message, INCOMPATIBLE, side, via)
        before, after = o.get("multipleOf"), n.get("multipleOf")
        if before != after:
            a, b = _fraction(before), _fraction(after)
            if a is None and b is not None:
                self.report("multipleOf-added", at, f"multipleOf {_show(after)} added", TIGHTER, side, via)
            elif b is None and a is not None:
                self.report(
                    "multipleOf-removed", at, f"multipleOf {_show(before)} removed", LOOSER, side, via
                )
            elif a is not None and b is not None:
                message = f"multipleOf changed from {_show(before)} to {_show(after)}"
                effect = (
                    TIGHTER
                    if (b / a).denominator == 1
                    else LOOSER
                    if (a / b).denominator == 1
                    else INCOMPATIBLE
                )
                self.report("multipleOf-changed", at, message, effect, side, via)
        if bool(o.get("uniqueItems")) != bool(n.get("uniqueItems")):
            if n.get("uniqueItems"):
                self.report("unique-items-added", at, "items must now be unique", TIGHTER, side, via)
            else:
                self.report("unique-items-removed", at, "items need no longer be unique", LOOSER, side, via)

    def _objects(self, old: Node, new: Node, side: Side, via: str) -> None:
        o: dict[str, Any] = old.contents
        n: dict[str, Any] = new.contents
        before = mapping(o.get("properties"))
        after = mapping(n.get("properties"))
        closed = n.get("additionalProperties") is False or n.get("unevaluatedProperties") is False
        for name in before:
            if name in after:
                self.compare(old.child("properties", name), new.child("properties", name), side, via)
            else:
                # Readers lose the member; writers are rejected if unknown members are.
                effect = Effect(Level.BREAKING if closed else Level.NON_BREAKING, Level.BREAKING)
                at = new.child("properties", name)
                self.report("property-removed", at, f"member {name!r} removed", effect, side, via)
        for name in after:
            if name not in before:
                at = new.child("properties", name)
                self.report("property-added", at, f"member {name!r} added", ADDITIVE, side, via)
        was = {str(r) for r in o.get("required", []) if isinstance(r, str)}
        now = {str(r) for r in n.get("required", []) if isinstance(r, str)}
        for name in sorted(now - was):
            what = (
                f"new member {name!r} is required"
                if name not in before
                else f"member {name!r} is now required"
            )
            self.report("required-added", new.child("properties", name), what, TIGHTER, side, via)
        for name in sorted(was - now):
            if name in before and name not in after:
                continue  # reported as removed
            at = new.child("properties", name)
            self.report("required-removed", at, f"member {name!r} is no longer required", LOOSER, side, via)
        for keyword in ("additionalProperties", "unevaluatedProperties"):
            self._additional(old, new, keyword, side, via)
        self._keyed_schemas(old, new, "patternProperties", side, via)

    def _additional(self, old: Node, new: Node, keyword: str, side: Side, via: str) -> None:
        before, after = old.contents.get(keyword, True), new.contents.get(keyword, True)
        if _normalized(before) == _normalized(after):
            return
        at = new.child(keyword)
        if before is False:
            self.report(f"{keyword}-allowed", at, "unknown members are now allowed", LOOSER, side, via)
        elif after is False:
            self.report(f"{keyword}-forbidden", at, "unknown members are now rejected", TIGHTER, side, via)
        else:
            self.compare(old.child(keyword), new.child(keyword), side, via)

    def _keyed_schemas(self, old: Node, new: Node, keyword: str, side: Side, via: str) -> None:
        before = mapping(old.contents.get(keyword))
        after = mapping(new.contents.get(keyword))
        for name in sorted(set(before) | set(after)):
            at = new.child(keyword, name)
            if name not in after:
                self.report(f"{keyword}-removed", at, f"{keyword} {name!r} removed", LOOSER, side, via)
            elif name not in before:
                self.report(f"{keyword}-added", at, f"{keyword} {name!r} added", TIGHTER, side, via)
            else:
                self.compare(old.child(keyword, name), new.child(keyword, name), side, via)

    def _arrays(self, old: Node, new: Node, side: Side, via: str) -> None:
        o, n = old.contents, new.contents
        if "items" in o or "items" in n:
            if "items" not in n:
                self.report("items-removed", new.child("items"), "items schema removed", LOOSER, side, via)
            elif "items" not in o:
                self.report("items-added", new.child("items"), "items schema added", TIGHTER, side, via)
            else:
                self.compare(old.child("items"), new.child("items"), side, via)
        before = sequence(o.get("prefixItems"))
        after = sequence(n.get("prefixItems"))
        for index in range(max(len(before), len(after))):
            at = new.child("prefixItems", index)
            if index >= len(after):
                self.report("prefix-item-removed", at, f"prefixItems[{index}] removed", LOOSER, side, via)
            elif index >= len(before):
                self.report("prefix-item-added", at, f"prefixItems[{index}] added", TIGHTER, side, via)
            else:
                self.compare(old.child("prefixItems", index), new.child("prefixItems", index), side, via)

    def _branch_key(self, node: Node, which: int) -> str | None:
        """What identifies a oneOf/anyOf branch across versions: its ref target, discriminator or title."""
        contents = node.contents
        if isinstance(contents, dict) and isinstance(contents.get("$ref"), str):
            return "ref:" + version_free(urljoin(node.base, contents["$ref"]))
        resolved = self.resolve(node, which).contents
        if not isinstance(resolved, dict):
            return None
        properties = resolved.get("properties")
        if isinstance(properties, dict):
            for name, schema in sorted(properties.items()):
                if isinstance(schema, dict) and "const" in schema:
                    return f"const:{name}={_json(schema['const'])}"
        title = resolved.get("title")
        return f"title:{title}" if isinstance(title, str) else None

    def _combinators(self, old: Node, new: Node, side: Side, via: str) -> None:
        for keyword in ("oneOf", "anyOf", "allOf"):
            before = old.contents.get(keyword)
            after = new.contents.get(keyword)
            if before is None and after is None:
                continue
            # A new alternative accepts more; a new allOf part demands more.
            grows, shrinks = (TIGHTER, LOOSER) if keyword == "allOf" else (LOOSER, TIGHTER)
            if not isinstance(before, list) or not isinstance(after, list):
                at = new.child(keyword)
                if before is None:
                    self.report(f"{keyword}-added", at, f"{keyword} added", TIGHTER, side, via)
                elif after is None:
                    self.report(f"{keyword}-removed", at, f"{keyword} removed", LOOSER, side, via)
                continue
            pairs, gone, new_branches = self._match(old, new, keyword, before, after)
            for i, j in pairs:
                self.compare(old.child(keyword, i), new.child(keyword, j), side, via)
            for i in gone:
                message = f"{keyword} branch {i} removed" + self._describe(old.child(keyword, i), 0)
                self.report(f"{keyword}-branch-removed", new.child(keyword), message, shrinks, side, via)
            for j in new_branches:
                message = f"{keyword} branch {j} added" + self._describe(new.child(keyword, j), 1)
                self.report(f"{keyword}-branch-added", new.child(keyword, j), message, grows, side, via)

    def _describe(self, node: Node, which: int) -> str:
        key = self._branch_key(node, which)
        return f" ({key.split(':', 1)[1]})" if key else ""

    def _match(
        self, old: Node, new: Node, keyword: str, before: list[Any], after: list[Any]
    ) -> tuple[list[tuple[int, int]], list[int], list[int]]:
        """Pair old and new branches by key (then by position among the unkeyed)."""
        old_keys = [self._branch_key(old.child(keyword, i), 0) for i in range(len(before))]
        new_keys = [self._branch_key(new.child(keyword, j), 1) for j in range(len(after))]
        pairs: list[tuple[int, int]] = []
        free_new = list(range(len(after)))
        unkeyed_old: list[int] = []
        for i, key in enumerate(old_keys):
            match = next((j for j in free_new if key is not None and new_keys[j] == key), None)
            if match is None:
                unkeyed_old.append(i)
            else:
                pairs.append((i, match))
                free_new.remove(match)
        gone: list[int] = []
        for i in unkeyed_old:
            candidates = [j for j in free_new if old_keys[i] is None and new_keys[j] is None]
            if keyword == "allOf" and not candidates:
                candidates = [j for j in free_new if j == i]
            if candidates:
                pairs.append((i, candidates[0]))
                free_new.remove(candidates[0])
            else:
                gone.append(i)
        return pairs, gone, free_new

    def _definitions(self, old: Node, new: Node, side: Side, via: str) -> None:
        before = mapping(old.contents.get("$defs"))
        after = mapping(new.contents.get("$defs"))
        for name in sorted(set(before) | set(after)):
            at = new.child("$defs", name)
            if name not in after:
                # Another schema's $ref to it no longer resolves.
                self.report("definition-removed", at, f"definition {name!r} removed", INCOMPATIBLE, side, via)
            elif name not in before:
                self.report("definition-added", at, f"definition {name!r} added", ADDITIVE, side, via)
            else:
                self.compare(old.child("$defs", name), new.child("$defs", name), side, via)

    def _others(self, o: dict[str, Any], n: dict[str, Any], at: Node, side: Side, via: str) -> None:
        """Keywords without a rule of their own: any change counts as breaking (direction unknown)."""
        for keyword in sorted((set(o) | set(n)) - _HANDLED):
            if keyword.startswith("x-"):
                continue
            if keyword in o and keyword in n and _normalized(o[keyword]) == _normalized(n[keyword]):
                continue
            message = f"{keyword} changed (felles diff cannot tell whether it is tighter or looser)"
            self.report(f"{keyword}-changed", at.child(keyword), message, INCOMPATIBLE, side, via)
