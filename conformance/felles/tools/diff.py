"""``felles diff OLD NEW``: classify every change between two versions of a component.

::

    from felles.tools.diff import diff, render
    report = diff("application@1.0", "application@1.1")
    print(render(report))
    report.version_ok       # is the version bump big enough for the changes?

OLD and NEW are ``name@version`` in the catalogue or directories holding a
component version's ``*.schema.json`` and ``openapi.yaml``.

The OpenAPI document says which way each schema travels: schemas reached
from request bodies and parameters are compared with the request rules,
those reached from responses with the response rules (one used both ways
gets both); schemas no operation reaches, and components without an OpenAPI
document (common), are compared both ways. The rules themselves are in
:mod:`felles.tools.diff_rules`; the version logic in :mod:`felles.tools.semver`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from felles.errors import FellesError, UsageError
from felles.standard.catalogue import Catalogue
from felles.standard.registry import SCHEMA_BASE, build_registry, default_registry, load_json
from felles.tools.diff_rules import (
    ADDITIVE,
    EDITORIAL,
    INCOMPATIBLE,
    LOOSER,
    SIDES,
    TIGHTER,
    Change,
    ChangeLog,
    DiffError,
    Effect,
    Node,
    SchemaDiff,
    Side,
    display,
    mapping,
)
from felles.tools.semver import Bump, Level, Version, actual_bump, next_version, required_bump

__all__ = [
    "ComponentVersion",
    "DiffError",
    "DiffReport",
    "diff",
    "diff_schemas",
    "diff_versions",
    "load_version",
    "render",
]

OutputFormat = Literal["text", "json"]
_METHODS: Final = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_CANONICAL: Final = re.compile(
    "^" + re.escape(SCHEMA_BASE) + r"(?P<component>[a-z][a-z0-9-]*)/(?P<version>[0-9.]+)/[^/]+\.schema\.json$"
)
_VERSION_DIR: Final = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))?$")
_TEMPLATE: Final = re.compile(r"\{[^}/]*\}")


@dataclass(frozen=True)
class ComponentVersion:
    """One side of a diff: a component version's schemas, OpenAPI document and ``$ref`` registry."""

    name: str
    version: str
    source: str
    schemas: dict[str, Node]
    openapi: Node | None
    registry: Registry[Any]

    @property
    def key(self) -> str:
        return f"{self.name}@{self.version}"


def _openapi_uri(name: str, version: str) -> str:
    return f"{SCHEMA_BASE}{name}/{version}/openapi.yaml"


def _read_openapi(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise DiffError(f"{path}: cannot read the OpenAPI document: {exc}") from exc
    if not isinstance(document, dict):
        raise DiffError(f"{path}: an OpenAPI document must be a mapping")
    return document


def _schema_files(folder: Path) -> dict[str, Any]:
    return {p.name.removesuffix(".schema.json"): load_json(p) for p in sorted(folder.glob("*.schema.json"))}


def _identify(folder: Path, schemas: dict[str, Any], openapi: dict[str, Any] | None) -> tuple[str, str]:
    """(component, version) of a folder: from its schemas' ``$id`` s, else from the folder's name."""
    for contents in schemas.values():
        match = _CANONICAL.match(str(contents.get("$id", ""))) if isinstance(contents, dict) else None
        if match:
            return match.group("component"), match.group("version")
    if _VERSION_DIR.match(folder.name):
        return folder.parent.name, folder.name
    info = openapi.get("info") if openapi else None
    if isinstance(info, dict) and isinstance(info.get("version"), str):
        return folder.name, str(info["version"])
    raise UsageError(
        f"cannot tell which component version {folder} holds",
        hint="its schemas need canonical $ids, or name the folder <component>/<MAJOR.MINOR>",
    )


def load_version(spec: str, catalogue: Catalogue) -> ComponentVersion:
    """Load ``name@version`` from the catalogue, or a component version folder."""
    folder = Path(spec)
    if "@" not in spec and folder.is_dir():
        return _load_folder(folder.resolve(), catalogue)
    if "@" not in spec and (folder.exists() or "/" in spec):
        raise UsageError(f"{spec} is not a directory", hint="give NAME@VERSION or a component version folder")
    component = catalogue.get(spec)
    openapi = _read_openapi(component.openapi_path)
    registry = _registry_with(build_registry(catalogue.root), component.name, component.version, {}, openapi)
    schemas = {
        name: Node(registry.contents(component.schema_id(name)), component.schema_id(name))
        for name in component.schema_names()
    }
    return _version(component.name, component.version, spec, schemas, openapi, registry)


def _load_folder(folder: Path, catalogue: Catalogue) -> ComponentVersion:
    try:
        contents = _schema_files(folder)
    except FellesError as exc:
        raise DiffError(str(exc)) from exc
    openapi = _read_openapi(folder / "openapi.yaml")
    if not contents and openapi is None:
        raise UsageError(f"{folder} holds no *.schema.json and no openapi.yaml")
    name, version = _identify(folder, contents, openapi)
    # A folder inside a standard (<root>/schemas/<c>/<v>) resolves refs in that standard;
    # a loose folder resolves the other components' schemas in the catalogue's.
    inside = folder.parent.parent
    base = build_registry(inside.parent) if inside.name == "schemas" else build_registry(catalogue.root)
    registry = _registry_with(base, name, version, contents, openapi)
    schemas = {}
    for schema_name, schema in contents.items():
        declared = schema.get("$id") if isinstance(schema, dict) else None
        uri = (
            declared
            if isinstance(declared, str)
            else f"{SCHEMA_BASE}{name}/{version}/{schema_name}.schema.json"
        )
        schemas[schema_name] = Node(schema, uri)
    return _version(name, version, str(folder), schemas, openapi, registry)


def _registry_with(
    base: Registry[Any], name: str, version: str, schemas: dict[str, Any], openapi: dict[str, Any] | None
) -> Registry[Any]:
    resources = []
    for schema_name, schema in schemas.items():
        declared = schema.get("$id") if isinstance(schema, dict) else None
        uri = (
            declared
            if isinstance(declared, str)
            else f"{SCHEMA_BASE}{name}/{version}/{schema_name}.schema.json"
        )
        resources.append((uri, Resource.from_contents(schema, default_specification=DRAFT202012)))
    if openapi is not None:
        resources.append(
            (_openapi_uri(name, version), Resource.from_contents(openapi, default_specification=DRAFT202012))
        )
    return base.with_resources(resources).crawl() if resources else base


def _version(
    name: str,
    version: str,
    source: str,
    schemas: dict[str, Node],
    openapi: dict[str, Any] | None,
    registry: Registry[Any],
) -> ComponentVersion:
    root = Node(openapi, _openapi_uri(name, version)) if openapi is not None else None
    return ComponentVersion(name, version, source, schemas, root, registry)


# --- the report ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DiffReport:
    """Every classified change from ``old`` to ``new``, and what they mean for the version."""

    old: str
    new: str
    old_version: Version
    new_version: Version
    changes: tuple[Change, ...]

    @property
    def level(self) -> Level:
        return max((c.level for c in self.changes), default=Level.NONE)

    @property
    def required_bump(self) -> Bump:
        return required_bump(self.level, self.old_version)

    @property
    def actual_bump(self) -> Bump:
        return actual_bump(self.old_version, self.new_version)

    @property
    def version_ok(self) -> bool:
        return self.actual_bump is not Bump.DOWNGRADE and self.actual_bump >= self.required_bump

    def counts(self) -> dict[str, int]:
        counts = {level.label: 0 for level in (Level.BREAKING, Level.NON_BREAKING, Level.PATCH)}
        for change in self.changes:
            counts[change.level.label] += 1
        return counts

    def verdict(self) -> str:
        """One sentence on the version bump."""
        old, new = self.old_version, self.new_version
        actual, required = self.actual_bump, self.required_bump
        if actual is Bump.DOWNGRADE:
            return f"{new} is older than {old}: compare OLD NEW in that order"
        needed = "no new version" if required is Bump.NONE else f"a {required.label} bump"
        at_least = "" if required is Bump.NONE else f" (at least {next_version(old, required)})"
        step = "the same version" if actual is Bump.NONE else f"a {actual.label} bump"
        if self.version_ok:
            return f"{old} → {new} is {step}; the changes need {needed}: OK"
        return f"{old} → {new} is {step}, but the changes need {needed}{at_least}"


def diff_versions(old: ComponentVersion, new: ComponentVersion) -> DiffReport:
    """Compare two loaded versions of one component."""
    if old.name != new.name:
        raise UsageError(f"cannot compare {old.name} with {new.name}: give two versions of one component")
    log = ChangeLog()
    schemas = SchemaDiff(old.registry, new.registry, log)
    _OpenApiDiff(schemas, log).run(old.openapi, new.openapi)
    for name in sorted(set(old.schemas) | set(new.schemas)):
        if name not in new.schemas:
            # Other schemas' $refs to it no longer resolve.
            location = f"{new.name}/{new.version}/{name}.schema.json"
            log.add("schema-removed", location, f"schema {name} removed", INCOMPATIBLE, None, "")
        elif name not in old.schemas:
            location = display(new.schemas[name].location)
            log.add("schema-added", location, f"schema {name} added", ADDITIVE, None, "")
        else:
            reached = schemas.reached.get(new.schemas[name].base) or set(SIDES)
            for side in sorted(reached):
                schemas.compare(old.schemas[name], new.schemas[name], side, f"{name}.schema.json")
    return DiffReport(
        old.key,
        new.key,
        Version.parse(old.version),
        Version.parse(new.version),
        tuple(log.changes()),
    )


def diff_schemas(
    old: Any, new: Any, sides: Iterable[Side] = SIDES, *, registry: Registry[Any] | None = None
) -> list[Change]:
    """Classify the changes between two bare schemas read on ``sides``.

    Each schema may ``$ref`` its own ``#/$defs/...`` and the schemas of the
    standard (``registry``, default: the installed standard's).
    """
    base = registry if registry is not None else default_registry()
    old_uri, new_uri = (f"{SCHEMA_BASE}schema-diff/{v}/Schema.schema.json" for v in ("1.0", "2.0"))
    old_registry = base.with_resource(old_uri, Resource.from_contents(old, default_specification=DRAFT202012))
    new_registry = base.with_resource(new_uri, Resource.from_contents(new, default_specification=DRAFT202012))
    log = ChangeLog()
    schemas = SchemaDiff(old_registry.crawl(), new_registry.crawl(), log)
    for side in sides:
        schemas.compare(Node(old, old_uri), Node(new, new_uri), side, "")
    return log.changes()


def diff(old: str, new: str, root: Path | None = None) -> DiffReport:
    """Compare ``old`` and ``new`` (``name@version`` or folders) in the standard under ``root``."""
    catalogue = Catalogue(root.resolve() if root else None)
    return diff_versions(load_version(old, catalogue), load_version(new, catalogue))


# --- OpenAPI ------------------------------------------------------------------------------------


def _success(status: str) -> bool:
    return status[:1] in ("2", "3") or status == "default"


@dataclass
class _OpenApiDiff:
    """Walks paths, operations, parameters, bodies and responses; hands schemas to SchemaDiff."""

    schemas: SchemaDiff
    log: ChangeLog
    _old_doc: Node | None = field(default=None, init=False)
    _new_doc: Node | None = field(default=None, init=False)

    def report(self, kind: str, at: Node, message: str, effect: Effect, side: Side | None, via: str) -> None:
        self.schemas.report(kind, at, message, effect, side, via)

    def run(self, old: Node | None, new: Node | None) -> None:
        if old is None and new is None:
            return
        if old is None or new is None:
            present = new if new is not None else old
            assert present is not None
            removed = new is None
            self.log.add(
                "openapi-removed" if removed else "openapi-added",
                display(present.location),
                "OpenAPI document " + ("removed" if removed else "added"),
                INCOMPATIBLE if removed else ADDITIVE,
                None,
                "",
            )
            return
        self._old_doc, self._new_doc = old, new
        self._paths(old, new)

    def _resolve(self, node: Node, which: int) -> Node:
        return self.schemas.resolve(node, which)

    def _paths(self, old: Node, new: Node) -> None:
        before = self._templates(old.contents.get("paths"))
        after = self._templates(new.contents.get("paths"))
        for key in sorted(set(before) | set(after)):
            if key not in after:
                at = new.child("paths", before[key])
                message = f"path {before[key]} removed"
                self.report("path-removed", at, message, INCOMPATIBLE, None, before[key])
            elif key not in before:
                at = new.child("paths", after[key])
                self.report("path-added", at, f"path {after[key]} added", ADDITIVE, None, after[key])
            else:
                self._path_item(
                    self._resolve(old.child("paths", before[key]), 0),
                    self._resolve(new.child("paths", after[key]), 1),
                    after[key],
                )

    @staticmethod
    def _templates(paths: object) -> dict[str, str]:
        """Normalised template (parameter names do not matter) → template as written."""
        if not isinstance(paths, dict):
            return {}
        return {_TEMPLATE.sub("{}", str(template)): str(template) for template in paths}

    def _path_item(self, old: Node, new: Node, template: str) -> None:
        if not isinstance(old.contents, dict) or not isinstance(new.contents, dict):
            return
        for method in _METHODS:
            label = f"{method.upper()} {template}"
            if method in old.contents and method not in new.contents:
                self.report(
                    "operation-removed", new.child(method), f"{label} removed", INCOMPATIBLE, None, label
                )
            elif method in new.contents and method not in old.contents:
                self.report("operation-added", new.child(method), f"{label} added", ADDITIVE, None, label)
            elif method in old.contents:
                self._operation(old, new, method, label)

    def _operation(self, old_item: Node, new_item: Node, method: str, label: str) -> None:
        old, new = self._resolve(old_item.child(method), 0), self._resolve(new_item.child(method), 1)
        o, n = old.contents, new.contents
        if not isinstance(o, dict) or not isinstance(n, dict):
            return
        if bool(o.get("deprecated")) != bool(n.get("deprecated")):
            what = "now deprecated" if n.get("deprecated") else "no longer deprecated"
            self.report("operation-deprecated", new, f"{label} {what}", ADDITIVE, None, label)
        for keyword in ("summary", "description", "operationId", "tags"):
            if o.get(keyword) != n.get(keyword):
                self.report("annotation-changed", new, f"{label}: {keyword} changed", EDITORIAL, None, label)
        self._security(old, new, label)
        self._parameters(old_item, new_item, old, new, label)
        self._request_body(old, new, label)
        self._responses(old, new, label)

    # -- security --------------------------------------------------------------------------------

    def _security(self, old: Node, new: Node, label: str) -> None:
        before = self._alternatives(old.contents, self._old_doc)
        after = self._alternatives(new.contents, self._new_doc)
        at = new.child("security")
        for alternative in sorted(before - after):
            message = f"{label}: callers authorised by {alternative} are no longer"
            self.report("security-removed", at, message, TIGHTER, "request", label)
        for alternative in sorted(after - before):
            message = f"{label}: callers authorised by {alternative} are now accepted too"
            self.report("security-added", at, message, LOOSER, "request", label)

    @staticmethod
    def _alternatives(operation: dict[str, Any], document: Node | None) -> set[str]:
        requirements = operation.get("security")
        if requirements is None and document is not None:
            requirements = document.contents.get("security")
        if not requirements:
            return {"anonymous"}
        found = set()
        for requirement in requirements:
            if isinstance(requirement, dict):
                parts = [
                    f"{scheme}[{' '.join(sorted(scopes or []))}]"
                    for scheme, scopes in sorted(requirement.items())
                ]
                found.add(" + ".join(parts) or "anonymous")
        return found

    # -- parameters ------------------------------------------------------------------------------

    def _parameter_map(self, item: Node, operation: Node, which: int) -> dict[tuple[str, str], Node]:
        found: dict[tuple[str, str], Node] = {}
        for owner in (item, operation):
            parameters = owner.contents.get("parameters") if isinstance(owner.contents, dict) else None
            for index in range(len(parameters) if isinstance(parameters, list) else 0):
                parameter = self._resolve(owner.child("parameters", index), which)
                contents = parameter.contents
                if isinstance(contents, dict) and isinstance(contents.get("name"), str):
                    where = str(contents.get("in", ""))
                    name = contents["name"].lower() if where == "header" else contents["name"]
                    found[(where, name)] = parameter
        return found

    def _parameters(self, old_item: Node, new_item: Node, old: Node, new: Node, label: str) -> None:
        before = self._parameter_map(old_item, old, 0)
        after = self._parameter_map(new_item, new, 1)
        for key in sorted(set(before) | set(after)):
            where, name = key
            what = f"{where} parameter {name!r}"
            via = f"{label} {what}"
            if key not in after:
                message = f"{label}: {what} removed"
                self.report("parameter-removed", new, message, TIGHTER, "request", via)
                continue
            p_new = after[key]
            required = bool(p_new.contents.get("required")) or where == "path"
            if key not in before:
                effect = TIGHTER if required else ADDITIVE
                message = f"{label}: new {'required' if required else 'optional'} {what}"
                self.report("parameter-added", p_new, message, effect, "request", via)
                continue
            p_old = before[key]
            was_required = bool(p_old.contents.get("required")) or where == "path"
            if required != was_required:
                kind, effect, state = (
                    ("parameter-required", TIGHTER, "now required")
                    if required
                    else ("parameter-optional", LOOSER, "now optional")
                )
                self.report(kind, p_new, f"{label}: {what} is {state}", effect, "request", via)
            for keyword in ("style", "explode", "allowReserved"):
                if p_old.contents.get(keyword) != p_new.contents.get(keyword):
                    message = f"{label}: {what}: {keyword} changed"
                    self.report(
                        "parameter-serialisation-changed", p_new, message, INCOMPATIBLE, "request", via
                    )
            if p_old.contents.get("description") != p_new.contents.get("description"):
                message = f"{label}: {what}: description changed"
                self.report("annotation-changed", p_new, message, EDITORIAL, "request", via)
            if "schema" in p_old.contents or "schema" in p_new.contents:
                self.schemas.compare(p_old.child("schema"), p_new.child("schema"), "request", via)

    # -- bodies ----------------------------------------------------------------------------------

    def _request_body(self, old: Node, new: Node, label: str) -> None:
        via = f"{label} request body"
        if "requestBody" not in old.contents and "requestBody" not in new.contents:
            return
        if "requestBody" not in new.contents:
            self.report("request-body-removed", new, f"{via} removed", INCOMPATIBLE, "request", via)
            return
        body_new = self._resolve(new.child("requestBody"), 1)
        required = bool(body_new.contents.get("required")) if isinstance(body_new.contents, dict) else False
        if "requestBody" not in old.contents:
            effect = TIGHTER if required else ADDITIVE
            message = f"{via} added ({'required' if required else 'optional'})"
            self.report("request-body-added", body_new, message, effect, "request", via)
            return
        body_old = self._resolve(old.child("requestBody"), 0)
        was_required = (
            bool(body_old.contents.get("required")) if isinstance(body_old.contents, dict) else False
        )
        if required != was_required:
            kind, effect, state = (
                ("request-body-required", TIGHTER, "now required")
                if required
                else ("request-body-optional", LOOSER, "now optional")
            )
            self.report(kind, body_new, f"{via} is {state}", effect, "request", via)
        self._content(body_old, body_new, "request", via)

    def _content(self, old: Node, new: Node, side: Side, via: str) -> None:
        before = old.contents.get("content") if isinstance(old.contents, dict) else None
        after = new.contents.get("content") if isinstance(new.contents, dict) else None
        before, after = mapping(before), mapping(after)
        for media in sorted(set(before) | set(after)):
            at = new.child("content", media)
            if media not in after:
                # A client sending it is refused / a client expecting it does not get it.
                self.report("media-type-removed", at, f"{via}: {media} removed", INCOMPATIBLE, side, via)
            elif media not in before:
                self.report("media-type-added", at, f"{via}: {media} added", ADDITIVE, side, via)
            elif "schema" in before[media] or "schema" in after[media]:
                self.schemas.compare(
                    old.child("content", media, "schema"),
                    new.child("content", media, "schema"),
                    side,
                    f"{via} ({media})",
                )

    # -- responses -------------------------------------------------------------------------------

    def _responses(self, old: Node, new: Node, label: str) -> None:
        before = mapping(old.contents.get("responses"))
        after = mapping(new.contents.get("responses"))
        for status in sorted(set(map(str, before)) | set(map(str, after))):
            via = f"{label} response {status}"
            at = new.child("responses", status)
            if status not in map(str, after):
                # Clients relying on a success answer break; a problem no longer sent harms no one.
                effect = INCOMPATIBLE if _success(status) else ADDITIVE
                self.report("response-removed", at, f"{via} removed", effect, "response", via)
            elif status not in map(str, before):
                # A success answer existing clients cannot handle; any client handles a new problem.
                effect = LOOSER if _success(status) else ADDITIVE
                self.report("response-added", at, f"{via} added", effect, "response", via)
            else:
                self._response(
                    self._resolve(self._status(old, before, status), 0),
                    self._resolve(self._status(new, after, status), 1),
                    via,
                )

    @staticmethod
    def _status(operation: Node, responses: dict[Any, Any], status: str) -> Node:
        key = next(k for k in responses if str(k) == status)
        return operation.child("responses", key)

    def _response(self, old: Node, new: Node, via: str) -> None:
        if not isinstance(old.contents, dict) or not isinstance(new.contents, dict):
            return
        if old.contents.get("description") != new.contents.get("description"):
            self.report("annotation-changed", new, f"{via}: description changed", EDITORIAL, "response", via)
        before = mapping(old.contents.get("headers"))
        after = mapping(new.contents.get("headers"))
        for name in sorted(set(before) | set(after)):
            at = new.child("headers", name)
            if name not in after:
                self.report("header-removed", at, f"{via}: header {name} removed", LOOSER, "response", via)
            elif name not in before:
                self.report("header-added", at, f"{via}: header {name} added", ADDITIVE, "response", via)
            else:
                h_old = self._resolve(old.child("headers", name), 0)
                h_new = self._resolve(new.child("headers", name), 1)
                was = bool(h_old.contents.get("required")) if isinstance(h_old.contents, dict) else False
                now = bool(h_new.contents.get("required")) if isinstance(h_new.contents, dict) else False
                if was != now:
                    kind, effect = ("header-required", TIGHTER) if now else ("header-optional", LOOSER)
                    state = "now always sent" if now else "no longer always sent"
                    self.report(kind, h_new, f"{via}: header {name} is {state}", effect, "response", via)
                if ("schema" in mapping(h_old.contents)) or ("schema" in mapping(h_new.contents)):
                    self.schemas.compare(
                        h_old.child("schema"), h_new.child("schema"), "response", f"{via} header {name}"
                    )
        self._content(old, new, "response", via)


# --- output -------------------------------------------------------------------------------------


def render(report: DiffReport, output: OutputFormat = "text") -> str:
    """The report for people (grouped by level) or as JSON."""
    if output == "json":
        document = {
            "old": report.old,
            "new": report.new,
            "level": report.level.label,
            "counts": report.counts(),
            "required_bump": report.required_bump.label,
            "actual_bump": report.actual_bump.label,
            "version_ok": report.version_ok,
            "verdict": report.verdict(),
            "changes": [c.as_json() for c in report.changes],
        }
        return json.dumps(document, indent=2, ensure_ascii=False)
    lines = [f"felles diff {report.old} → {report.new}"]
    if not report.changes:
        lines.append("no changes")
    for level in (Level.BREAKING, Level.NON_BREAKING, Level.PATCH):
        changes = [c for c in report.changes if c.level is level]
        if not changes:
            continue
        lines.append(f"{level.label} ({len(changes)}):")
        for change in changes:
            sides = f" [{change.sides_text()}]" if change.sides else ""
            via = f"  (via {change.via})" if change.via and change.via not in change.message else ""
            lines.append(f"  {change.location}{sides}: {change.message}{via}")
    counts = report.counts()
    lines.append(
        f"{counts['breaking']} breaking, {counts['non-breaking']} non-breaking, "
        f"{counts['patch']} patch-level change(s)"
    )
    lines.append(f"version: {report.verdict()}")
    return "\n".join(lines)
