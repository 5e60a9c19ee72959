"""The schema reference of one component version: every schema and definition, member by member.

For each schema: its description, type, members (name, type, required,
description with constraints), whether other members are allowed, the
``examples`` it declares, and the example files of ``examples/`` that must
validate (shown) or must be rejected (listed by member and reason).
Deprecated members are struck through and badged, so readers see them before
they are removed in the next major version.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from felles.docs_site.labels import Lang, label
from felles.docs_site.layout import schema_anchor, version_page
from felles.docs_site.schema_index import SchemaEntry, SchemaIndex
from felles.docs_site.schema_text import SchemaText, mapping, sequence
from felles.standard.catalogue import Component
from felles.standard.examples import INVALID, VALID, ExampleError, parse_example_path
from felles.tools.markdown import code, escape, heading, prose, table


def schema_page(component: Component, index: SchemaIndex, lang: Lang) -> tuple[str, list[str]]:
    """The page's Markdown and the defects found while writing it (dangling ``$ref`` s)."""
    page = version_page(component.name, component.version, "schemas")
    text = SchemaText(index, page, lang)
    lines = [heading(1, label(lang, "title_schemas", key=component.key)), ""]
    entries = [
        e for n in component.schema_names() if (e := index.entry(component.name, component.version, n))
    ]
    if not entries:
        return "\n".join([*lines, label(lang, "no_schemas", key=component.key), ""]), []
    path = f"schemas/{component.name}/{component.version}/"
    lines += [label(lang, "schemas_intro", path=path, key=component.key), ""]
    for entry in entries:
        lines += _schema_section(entry, text, component)
    return "\n".join(lines), text.problems


def _schema_section(entry: SchemaEntry, text: SchemaText, component: Component) -> list[str]:
    lines = [heading(2, entry.name, schema_anchor(entry.name)), ""]
    lines += schema_block(entry.contents, entry.uri, text, f"{entry.name}.schema.json")
    lines += _example_files(component, entry.name, text.lang)
    for name, definition in entry.definitions.items():
        lines += [heading(3, f"{entry.name} › {name}", schema_anchor(entry.name, name)), ""]
        lines += schema_block(definition, entry.uri, text, f"{entry.name}.schema.json#/$defs/{name}")
    return lines


def schema_block(node: Any, base: str, text: SchemaText, where: str) -> list[str]:
    """One schema's badges, description, type, constraints, members table and declared examples."""
    lang = text.lang
    schema = mapping(node)
    lines: list[str] = []
    badges = text.badges(schema)
    if badges:
        lines += [" ".join(badges), ""]
    if isinstance(schema.get("description"), str):
        lines += [prose(schema["description"]), ""]
    if "properties" not in schema or any(k in schema for k in ("$ref", "oneOf", "anyOf", "allOf")):
        shape = {k: v for k, v in schema.items() if k != "properties"}
        lines += [label(lang, "type_line", type=text.type_of(shape, base, where)), ""]
    notes = text.notes(schema)
    if notes:
        lines += ["; ".join(notes) + ".", ""]
    rows = text.members(schema, base)
    if rows:
        headers = [label(lang, key) for key in ("property", "type", "required", "description")]
        body = [
            [
                text.member_name(row),
                text.type_of(row.schema, row.base, f"{where}/properties/{row.name}"),
                label(lang, "yes") if row.required else label(lang, "no"),
                text.description(row.schema),
            ]
            for row in rows
        ]
        lines += [table(headers, body), ""]
    if schema.get("additionalProperties") is False or schema.get("unevaluatedProperties") is False:
        lines += [label(lang, "closed"), ""]
    for example in sequence(schema.get("examples")):
        lines += ["```json", json.dumps(example, indent=2, ensure_ascii=False), "```", ""]
    return lines


def _example_files(component: Component, schema: str, lang: Lang) -> list[str]:
    """The first valid example shown (collapsed), the others and the invalid ones listed by name:
    the files ``felles lint`` checks. One shown is enough to read; all of them would make the
    pages (and the build) many times bigger."""
    lines: list[str] = []
    valid = sorted((component.examples_path / VALID / schema).glob("*.json"))
    if valid:
        lines += [f'??? example "{label(lang, "valid_examples", count=len(valid))}: {valid[0].stem}"', ""]
        lines += ["    ```json", *(f"    {line}" for line in _read(valid[0]).splitlines()), "    ```", ""]
        lines += [f"    - {code(path.stem)}" for path in valid[1:]]
        lines.append("")
    invalid = []
    for path in sorted((component.examples_path / INVALID / schema).glob("*.json")):
        try:
            example = parse_example_path(path, component.examples_path.parent.parent)
        except ExampleError:
            continue  # misnamed: felles lint reports it
        invalid.append(f"    - {code(example.field or '')}: {escape(example.reason or '')}")
    if invalid:
        lines += [f'??? failure "{label(lang, "invalid_examples", count=len(invalid))}"', "", *invalid, ""]
    return lines


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return f"// cannot read {path.name}: {exc.__class__.__name__}"
