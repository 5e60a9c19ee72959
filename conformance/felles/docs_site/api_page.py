"""The OpenAPI document of one component version, rendered as static Markdown.

No viewer script and nothing fetched at run time: operations grouped by
tag, each with its security scopes, parameters, request body and responses,
and every schema linked to the schema reference. The OpenAPI document stays
the normative source; this page only makes it readable.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Any, Final

from felles.docs_site.labels import Lang, label
from felles.docs_site.layout import link, operation_anchor, version_page
from felles.docs_site.schema_index import SchemaIndex
from felles.docs_site.schema_page import schema_block
from felles.docs_site.schema_text import SchemaText, mapping, sequence
from felles.standard.catalogue import Component
from felles.standard.registry import SCHEMA_BASE
from felles.tools.markdown import anchor, code, escape, heading, prose, table

_METHODS: Final = ("get", "put", "post", "patch", "delete", "head", "options", "trace")


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    body: dict[str, Any]
    path_parameters: list[Any]

    @property
    def operation_id(self) -> str | None:
        value = self.body.get("operationId")
        return value if isinstance(value, str) else None

    @property
    def tag(self) -> str | None:
        tags = sequence(self.body.get("tags"))
        return str(tags[0]) if tags else None


def operations(document: dict[str, Any]) -> list[Operation]:
    """Every operation of the document, in the document's order."""
    found = []
    for path, item in mapping(document.get("paths")).items():
        shared = sequence(mapping(item).get("parameters"))
        for method in _METHODS:
            body = mapping(item).get(method)
            if isinstance(body, dict):
                found.append(Operation(method, str(path), body, shared))
    return found


@dataclass
class _ApiWriter:
    component: Component
    document: dict[str, Any]
    text: SchemaText

    @property
    def lang(self) -> Lang:
        return self.text.lang

    @property
    def uri(self) -> str:
        return f"{SCHEMA_BASE}{self.component.name}/{self.component.version}/openapi.yaml"

    def local(self, node: Any, where: str) -> Any:
        """``node`` with a local ``$ref`` (``#/components/...``) followed; others left as they are."""
        for _ in range(8):  # a chain of refs, never a loop
            ref = mapping(node).get("$ref")
            if not (isinstance(ref, str) and ref.startswith("#/")):
                return node
            target: Any = self.document
            for token in ref[2:].split("/"):
                key = token.replace("~1", "/").replace("~0", "~")
                if not isinstance(target, dict) or key not in target:
                    self.text.problems.append(
                        f"{self.component.openapi_path}: {where}: $ref {ref} does not resolve"
                    )
                    return {}
                target = target[key]
            node = target
        return node

    def schema_type(self, schema: Any, where: str) -> str:
        return self.text.type_of(schema, self.uri, f"openapi.yaml#{where}")

    def page(self) -> str:
        info = mapping(self.document.get("info"))
        schemas = link(self.text.page, version_page(self.component.name, self.component.version, "schemas"))
        path = f"schemas/{self.component.name}/{self.component.version}/openapi.yaml"
        lines = [heading(1, label(self.lang, "title_api", key=self.component.key)), ""]
        lines += [label(self.lang, "api_intro", path=path, schemas=schemas), ""]
        for key in ("summary", "description"):
            if isinstance(info.get(key), str):
                lines += [textwrap.dedent(info[key]).strip(), ""]
        servers = [
            str(mapping(s).get("url"))
            for s in sequence(self.document.get("servers"))
            if mapping(s).get("url")
        ]
        if servers:
            lines += [f"{label(self.lang, 'servers')}: " + ", ".join(code(s) for s in servers), ""]
        lines += self.security_schemes()
        lines += self.operation_sections()
        lines += self.component_schemas()
        return "\n".join(lines)

    def security_schemes(self) -> list[str]:
        schemes = mapping(mapping(self.document.get("components")).get("securitySchemes"))
        if not schemes:
            return []
        rows = []
        for name, scheme in schemes.items():
            body = mapping(scheme)
            scopes = {}
            for flow in mapping(body.get("flows")).values():
                scopes.update(mapping(mapping(flow).get("scopes")))
            listed = "<br>".join(f"{code(str(s))}: {prose(str(d))}" for s, d in scopes.items())
            rows.append(
                [
                    code(str(name)),
                    escape(str(body.get("type", ""))),
                    prose(str(body.get("description", ""))),
                    listed,
                ]
            )
        headers = [label(self.lang, k) for k in ("scheme", "type", "description", "scopes")]
        return [heading(2, label(self.lang, "security"), "security"), "", table(headers, rows), ""]

    def operation_sections(self) -> list[str]:
        found = operations(self.document)
        tags = [
            str(mapping(t).get("name")) for t in sequence(self.document.get("tags")) if mapping(t).get("name")
        ]
        tags += [tag for op in found if (tag := op.tag) and tag not in tags]
        lines: list[str] = []
        for tag in [*dict.fromkeys(tags), None]:
            mine = [op for op in found if op.tag == tag]
            if not mine:
                continue
            title = tag if tag is not None else label(self.lang, "other_operations")
            lines += [heading(2, escape(title), anchor("tag", title)), ""]
            for op in mine:
                lines += self.operation(op)
        if not found:
            lines += [heading(2, label(self.lang, "operations"), "operations"), "", "—", ""]
        return lines

    def operation(self, op: Operation) -> list[str]:
        where = f"/paths/{op.path.replace('~', '~0').replace('/', '~1')}/{op.method}"
        title = f"{code(op.method.upper())} {code(op.path)}"
        lines = [heading(3, title, operation_anchor(op.operation_id, op.method, op.path)), ""]
        for key in ("summary", "description"):
            if isinstance(op.body.get(key), str):
                lines += [textwrap.dedent(op.body[key]).strip(), ""]
        if op.body.get("deprecated") is True:
            lines += [*self.text.badges({"deprecated": True}), ""]
        lines += [self.security(op), ""]
        lines += self.parameters(op, where)
        lines += self.request_body(op, where)
        lines += self.responses(op, where)
        return lines

    def security(self, op: Operation) -> str:
        requirements = op.body.get("security", self.document.get("security"))
        alternatives = [mapping(r) for r in sequence(requirements)]
        if not alternatives or all(not r for r in alternatives):
            return label(self.lang, "public")
        shown = []
        for requirement in alternatives:
            scopes = [code(str(s)) for scopes in requirement.values() for s in sequence(scopes)]
            shown.append(" + ".join(scopes) if scopes else ", ".join(code(str(n)) for n in requirement))
        joined = f" {label(self.lang, 'or')} ".join(shown)
        return label(self.lang, "needs_scopes", scopes=joined)

    def parameters(self, op: Operation, where: str) -> list[str]:
        merged: dict[tuple[str, str], dict[str, Any]] = {}
        for index, raw in enumerate([*op.path_parameters, *sequence(op.body.get("parameters"))]):
            parameter = mapping(self.local(raw, f"{where}/parameters/{index}"))
            merged[(str(parameter.get("name")), str(parameter.get("in")))] = parameter
        if not merged:
            return []
        rows = []
        for (name, place), parameter in merged.items():
            schema = parameter.get("schema", {})
            required = parameter.get("required") is True
            description = " ".join(
                part
                for part in (
                    prose(str(parameter.get("description", ""))),
                    self.text.description({**mapping(schema), "description": None}),
                )
                if part
            )
            rows.append(
                [
                    " ".join([code(name), *self.text.badges(parameter)]),
                    place,
                    self.schema_type(schema, f"{where}/parameters/{name}"),
                    label(self.lang, "yes") if required else label(self.lang, "no"),
                    description,
                ]
            )
        headers = [label(self.lang, k) for k in ("name", "in", "type", "required", "description")]
        return [f"**{label(self.lang, 'parameters')}**", "", table(headers, rows), ""]

    def content(self, content: Any, where: str) -> str:
        shown = []
        for media, body in mapping(content).items():
            schema = mapping(body).get("schema")
            kind = self.schema_type(schema, f"{where}/{media}/schema") if schema is not None else "—"
            shown.append(f"{code(str(media))}: {kind}")
        return "<br>".join(shown) or "—"

    def request_body(self, op: Operation, where: str) -> list[str]:
        if "requestBody" not in op.body:
            return []
        body = mapping(self.local(op.body["requestBody"], f"{where}/requestBody"))
        optional = "" if body.get("required") is True else " " + label(self.lang, "optional_body")
        content = self.content(body.get("content"), f"{where}/requestBody/content")
        lines = [f"**{label(self.lang, 'request_body')}**{optional}: {content}", ""]
        if isinstance(body.get("description"), str):
            lines += [prose(body["description"]), ""]
        return lines

    def responses(self, op: Operation, where: str) -> list[str]:
        rows = []
        for status, raw in mapping(op.body.get("responses")).items():
            response = mapping(self.local(raw, f"{where}/responses/{status}"))
            headers = ", ".join(code(str(h)) for h in mapping(response.get("headers")))
            rows.append(
                [
                    code(str(status)),
                    prose(str(response.get("description", ""))),
                    self.content(response.get("content"), f"{where}/responses/{status}/content"),
                    headers or "—",
                ]
            )
        if not rows:
            return []
        headers_row = [label(self.lang, k) for k in ("status", "description", "body", "headers")]
        return [f"**{label(self.lang, 'responses')}**", "", table(headers_row, rows), ""]

    def component_schemas(self) -> list[str]:
        schemas = mapping(mapping(self.document.get("components")).get("schemas"))
        if not schemas:
            return []
        lines = [heading(2, label(self.lang, "api_schemas"), "api-schemas"), ""]
        for name, schema in schemas.items():
            lines += [heading(3, escape(str(name)), anchor("api-schema", str(name))), ""]
            lines += schema_block(schema, self.uri, self.text, f"openapi.yaml#/components/schemas/{name}")
        return lines


def api_page(
    component: Component, document: dict[str, Any] | None, index: SchemaIndex, lang: Lang
) -> tuple[str, list[str]]:
    """The page's Markdown and the defects found in it (dangling ``$ref`` s); None: no API."""
    page = version_page(component.name, component.version, "api")
    if document is None:
        title = heading(1, label(lang, "title_api", key=component.key))
        return f"{title}\n\n{label(lang, 'no_api', key=component.key)}\n", []
    uri = f"{SCHEMA_BASE}{component.name}/{component.version}/openapi.yaml"
    text = SchemaText(index, page, lang, local_uri=uri, local_document=document)
    markdown = _ApiWriter(component, document, text).page()
    return markdown, text.problems
