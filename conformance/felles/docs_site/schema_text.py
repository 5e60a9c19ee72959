"""Describe a JSON Schema in a few words: its type, its constraints, its members.

Shared by the schema reference and the API page. Every ``$ref`` becomes a
link to the schema or definition it names (through :class:`SchemaIndex`),
and one that names nothing is recorded as a problem, because a dangling
reference is a defect of the standard that must fail the build.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urljoin

from felles.docs_site.labels import Lang, label
from felles.docs_site.schema_index import SchemaIndex
from felles.tools.markdown import anchor, badge, code, prose

#: How deep inline objects are unfolded into dotted member rows.
MAX_DEPTH: Final = 4
_COMBINATORS: Final = (("oneOf", "one_of"), ("anyOf", "any_of"), ("allOf", "all_of"))


def mapping(value: object) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty one (a half-written schema must not crash)."""
    return value if isinstance(value, dict) else {}


def sequence(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def json_value(value: object) -> str:
    """A JSON value as inline code."""
    return code(json.dumps(value, ensure_ascii=False))


def _range(low: object, high: object) -> str | None:
    if low is None and high is None:
        return None
    if low is not None and high is not None:
        return f"{low}–{high}" if low != high else f"{low}"
    return f"≥ {low}" if low is not None else f"≤ {high}"


@dataclass(frozen=True)
class MemberRow:
    """One row of a members table: a (possibly dotted) member name and what it holds."""

    name: str
    schema: Any
    required: bool
    base: str


@dataclass
class SchemaText:
    """Renders schema fragments for one page (links are relative to ``page``)."""

    index: SchemaIndex
    page: str
    lang: Lang
    #: An OpenAPI document whose ``#/components/schemas/X`` refs link to this page's ``api-schema-X``.
    local_uri: str | None = None
    local_document: dict[str, Any] | None = None
    problems: list[str] = field(default_factory=list)

    def ref(self, ref: object, base: str, where: str) -> str:
        """A link for a ``$ref``; a dangling one is shown as code and recorded as a problem."""
        if not isinstance(ref, str):
            self.problems.append(f"{where}: $ref must be a string, found {json.dumps(ref)}")
            return json_value(ref)
        found = self.index.markdown_link(ref, base, self.page)
        if found is not None:
            return found
        uri, _, fragment = urljoin(base, ref).partition("#")
        if self.local_uri is not None and uri == self.local_uri and self.local_document is not None:
            tokens = [t for t in fragment.split("/") if t]
            declared = mapping(mapping(self.local_document.get("components")).get("schemas"))
            if len(tokens) == 3 and tokens[:2] == ["components", "schemas"] and tokens[2] in declared:
                return f"[{tokens[2]}](#{anchor('api-schema', tokens[2])})"
        self.problems.append(label("en", "dangling", ref=ref, where=where))
        return code(ref)

    def type_of(self, node: object, base: str, where: str) -> str:
        """The type in words: ``string (date)``, ``array of [Person](...)``, ``one of: A, B``."""
        if node is True or node == {}:
            return label(self.lang, "any")
        if node is False:
            return label(self.lang, "nothing")
        schema = mapping(node)
        parts: list[str] = []
        if "$ref" in schema:
            parts.append(self.ref(schema["$ref"], base, where))
        if "const" in schema:
            parts.append(json_value(schema["const"]))
        types = schema.get("type")
        names = [str(t) for t in (types if isinstance(types, list) else [types] if types else [])]
        for name in names:
            text = name
            if name == "array" and "items" in schema:
                text = label(
                    self.lang, "array_of", item=self.type_of(schema["items"], base, where + "/items")
                )
            if isinstance(schema.get("format"), str) and name != "array":
                text += f" ({code(schema['format'])})"
            parts.append(text)
        if not names and isinstance(schema.get("format"), str):
            parts.append(code(schema["format"]))
        for keyword, key in _COMBINATORS:
            branches = sequence(schema.get(keyword))
            if branches:
                items = ", ".join(
                    self.type_of(b, base, f"{where}/{keyword}/{i}") for i, b in enumerate(branches)
                )
                parts.append(label(self.lang, key, items=items))
        if "not" in schema:
            parts.append(label(self.lang, "not", item=self.type_of(schema["not"], base, where + "/not")))
        if not parts and ("properties" in schema or "additionalProperties" in schema):
            parts.append("object")
        return " · ".join(parts) or label(self.lang, "any")

    def notes(self, node: object) -> list[str]:
        """Constraints, allowed values, defaults and examples, each a short Markdown phrase."""
        schema = mapping(node)
        found: list[str] = []
        values = sequence(schema.get("enum"))
        if values:
            allowed = label(self.lang, "allowed", values=", ".join(json_value(v) for v in values))
            if schema.get("x-extensible-enum") is True:
                allowed += " " + label(self.lang, "extensible")
            found.append(allowed)
        for low, high, key in (
            ("minLength", "maxLength", "length"),
            ("minItems", "maxItems", "items_count"),
            ("minProperties", "maxProperties", "members_count"),
        ):
            shown = _range(schema.get(low), schema.get(high))
            if shown:
                found.append(label(self.lang, key, range=shown))
        for keyword, sign in (
            ("minimum", "≥"),
            ("exclusiveMinimum", ">"),
            ("maximum", "≤"),
            ("exclusiveMaximum", "<"),
        ):
            if isinstance(schema.get(keyword), int | float):
                found.append(f"{sign} {schema[keyword]}")
        if "multipleOf" in schema:
            found.append(label(self.lang, "multiple_of", value=schema["multipleOf"]))
        if schema.get("uniqueItems") is True:
            found.append(label(self.lang, "unique"))
        if isinstance(schema.get("pattern"), str):
            found.append(label(self.lang, "pattern", pattern=code(schema["pattern"])))
        if "default" in schema:
            found.append(label(self.lang, "default", value=json_value(schema["default"])))
        examples = sequence(schema.get("examples"))
        if examples:
            found.append(
                label(self.lang, "examples_keyword", values=", ".join(json_value(e) for e in examples[:3]))
            )
        return found

    def badges(self, node: object, *, deprecated: bool = False) -> list[str]:
        schema = mapping(node)
        shown = []
        if deprecated or schema.get("deprecated") is True:
            shown.append(badge(label(self.lang, "deprecated"), "deprecated"))
        if schema.get("readOnly") is True:
            shown.append(badge(label(self.lang, "read_only"), "info"))
        if schema.get("writeOnly") is True:
            shown.append(badge(label(self.lang, "write_only"), "info"))
        return shown

    def description(self, node: object) -> str:
        """The schema's description, then its notes, as one table cell."""
        schema = mapping(node)
        parts = []
        if isinstance(schema.get("description"), str):
            parts.append(prose(schema["description"]))
        notes = self.notes(schema)
        if notes:
            parts.append("; ".join(notes) + ".")
        return " ".join(parts)

    def members(self, node: object, base: str, prefix: str = "", depth: int = 0) -> list[MemberRow]:
        """An object schema's members; inline objects (and arrays of them) unfolded as ``a.b``, ``a[].b``."""
        schema = mapping(node)
        required = {str(r) for r in sequence(schema.get("required"))}
        rows: list[MemberRow] = []
        for name, member in mapping(schema.get("properties")).items():
            full = f"{prefix}{name}"
            rows.append(MemberRow(full, member, name in required, base))
            if depth >= MAX_DEPTH:
                continue
            inner = mapping(member)
            if "properties" in inner and "$ref" not in inner:
                rows.extend(self.members(inner, base, f"{full}.", depth + 1))
            items = mapping(inner.get("items"))
            if "properties" in items and "$ref" not in items:
                rows.extend(self.members(items, base, f"{full}[].", depth + 1))
        return rows

    def member_name(self, row: MemberRow) -> str:
        """The member's name; struck through and badged when deprecated."""
        name = code(row.name)
        schema = mapping(row.schema)
        if schema.get("deprecated") is True:
            name = f"<del>{name}</del>"
        return " ".join([name, *self.badges(schema)])
