"""Every schema on the site by its ``$id``, so a ``$ref`` becomes a link to where it is documented.

A ``$ref`` is resolved against the ``$id`` of the document it is in (as JSON
Schema resolves it) and looked up here: a whole schema links to its section
on its version's schema page, ``#/$defs/Name`` (or anything inside it) to
that definition's section. A ``$ref`` that names nothing here is dangling.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

from felles.docs_site.layout import link, schema_anchor, version_page
from felles.errors import StandardError
from felles.standard.catalogue import Component
from felles.standard.registry import schema_uri


@dataclass(frozen=True)
class SchemaEntry:
    """One schema file of one component version."""

    component: str
    version: str
    name: str
    uri: str
    contents: dict[str, Any]

    @property
    def definitions(self) -> dict[str, Any]:
        defs = self.contents.get("$defs")
        return defs if isinstance(defs, dict) else {}


@dataclass(frozen=True)
class Target:
    """What a ``$ref`` points at: a schema, or one of its definitions."""

    entry: SchemaEntry
    definition: str | None

    @property
    def text(self) -> str:
        return self.definition or self.entry.name

    @property
    def anchor(self) -> str:
        return schema_anchor(self.entry.name, self.definition)

    @property
    def page(self) -> str:
        return version_page(self.entry.component, self.entry.version, "schemas")


@dataclass
class SchemaIndex:
    """Schemas by URI; built once per site and shared by the schema and API pages."""

    entries: dict[str, SchemaEntry] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, components: Iterable[Component]) -> SchemaIndex:
        """Index the schemas of ``components``; unreadable files become problems, not crashes."""
        index = cls()
        for component in components:
            for name in component.schema_names():
                try:
                    contents = component.schema(name)
                except StandardError as exc:
                    index.problems.append(str(exc))
                    continue
                declared = contents.get("$id")
                uri = (
                    declared
                    if isinstance(declared, str)
                    else schema_uri(component.name, component.version, name)
                )
                index.entries[uri] = SchemaEntry(component.name, component.version, name, uri, contents)
        return index

    def entry(self, component: str, version: str, name: str) -> SchemaEntry | None:
        for entry in self.entries.values():
            if (entry.component, entry.version, entry.name) == (component, version, name):
                return entry
        return None

    def target(self, ref: str, base: str) -> Target | None:
        """The schema or definition ``ref`` names, read in a document whose URI is ``base``."""
        uri, _, fragment = urljoin(base, ref).partition("#")
        entry = self.entries.get(uri)
        if entry is None:
            return None
        tokens = [t.replace("~1", "/").replace("~0", "~") for t in fragment.split("/") if t]
        if len(tokens) >= 2 and tokens[0] == "$defs":
            return Target(entry, tokens[1]) if tokens[1] in entry.definitions else None
        return Target(entry, None)

    def resolve(self, ref: str, base: str) -> tuple[Any, str] | None:
        """The schema ``ref`` points at and the base URI to read its own refs against."""
        uri, _, fragment = urljoin(base, ref).partition("#")
        entry = self.entries.get(uri)
        if entry is None:
            return None
        node: Any = entry.contents
        for token in (t.replace("~1", "/").replace("~0", "~") for t in fragment.split("/") if t):
            if isinstance(node, dict) and token in node:
                node = node[token]
            elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
            else:
                return None
        return node, uri

    def markdown_link(self, ref: str, base: str, from_page: str) -> str | None:
        """``[Name](../../common/1.0/schemas.md#Name)`` for ``ref``, or None when it names nothing."""
        target = self.target(ref, base)
        if target is None:
            return None
        return f"[{target.text}]({link(from_page, target.page, target.anchor)})"
