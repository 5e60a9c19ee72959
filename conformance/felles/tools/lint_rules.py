"""The rules of ``felles lint``: each finds one kind of drift in a copy of the standard.

Every rule reads the standard under an explicit root (never the cached
default registry or validators), so a temporary copy with planted drift is
linted exactly as the repository is. Rules report :class:`Finding` s; a file
that cannot be parsed is reported once (``file-unreadable``) and then left
out of the rules that would need its contents.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Final
from urllib.parse import urljoin, urlsplit

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import UnknownType
from jsonschema_path import SchemaPath
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError
from openapi_spec_validator.validation.validators import OpenAPIV31SpecValidator
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource, Unresolvable
from referencing.jsonschema import DRAFT202012

from felles.errors import FellesError, StandardError
from felles.standard.catalogue import Catalogue, Component
from felles.standard.examples import (
    Example,
    ExampleError,
    example_files,
    failing_keywords,
    load_example,
    parse_example_path,
)
from felles.standard.paths import examples_dir, schemas_dir, spec_dir
from felles.standard.registry import SCHEMA_BASE, schema_uri
from felles.standard.requirements import REQUIREMENT_ID, SpecRequirement, parse_requirements
from felles.standard.validation import FieldError, SchemaValidator, escape_token, to_pointer
from felles.tools.checks_index import CheckModuleError, MarkedFunction, check_modules, read_check_module

#: Every rule: its ID and what it catches. The order is the order of ``felles lint --help``.
RULES: Final[dict[str, str]] = {
    "file-unreadable": "a schema, example, OpenAPI document, spec or check module cannot be parsed",
    "schema-metaschema": "a schema is not valid against the JSON Schema 2020-12 metaschema",
    "openapi-invalid": "an OpenAPI document is invalid (openapi-spec-validator, offline)",
    "ref-dangling": "a $ref does not resolve offline within the standard",
    "id-mismatch": "a schema's $id is not the canonical URI of its file",
    "example-misnamed": "an example's path breaks the naming grammar or names no schema",
    "example-valid-fails": "an example under valid/ does not validate",
    "example-invalid-passes": "an example under invalid/ validates",
    "example-wrong-reason": "an invalid example fails elsewhere or for another reason than its name says",
    "requirement-malformed": "a requirement block's header or ID is malformed",
    "requirement-no-keyword": "a requirement block has no RFC 2119 keyword",
    "requirement-duplicate": "a requirement ID is defined twice in one spec",
    "must-untested": "a MUST requirement has no conformance check",
    "test-unknown-requirement": "a check names a requirement ID that no spec defines",
    "check-unmarked": "a check_* function does not carry exactly one requirement marker",
    "version-mismatch": "spec, schemas, OpenAPI and folder disagree on a component's version",
    "version-breaking": "a minor version makes a breaking change against the previous one (felles diff)",
}

DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"
_VERSION: Final = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")
_VERSION_ROW: Final = re.compile(r"^\|\s*Version\s*\|\s*`?(?P<version>[^|`]*?)`?\s*\|", re.IGNORECASE)
_ANY_BLOCK: Final = re.compile(r"^\s*!!!\s*requirement\b")
_BLOCK: Final = re.compile(r'^!!! requirement "(?P<id>[^"]*)"\s*$')
_CANONICAL_ID: Final = re.compile(
    "^" + re.escape(SCHEMA_BASE) + r"(?P<component>[^/]+)/(?P<version>[^/]+)/(?P<name>[^/]+)\.schema\.json$"
)
_LINE_COLUMN: Final = re.compile(r"at line (?P<line>\d+)")
# Members of a schema object whose values are instance data, not schemas ($ref there is data).
_DATA_KEYWORDS: Final = frozenset({"enum", "const", "examples", "default"})
# Members of a schema object whose values map names to schemas.
_SCHEMA_MAPS: Final = frozenset(
    {"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"}
)


@dataclass(frozen=True, order=True)
class Finding:
    """One problem: which rule, which file, where in it (line or JSON Pointer), and what."""

    path: str
    rule: str
    message: str
    line: int | None = None
    pointer: str | None = None

    @property
    def location(self) -> str:
        """Line number, JSON Pointer (``(root)`` for the whole document) or ``""`` for a folder."""
        if self.line is not None:
            return str(self.line)
        if self.pointer is not None:
            return self.pointer or "(root)"
        return ""

    def as_text(self) -> str:
        where = f"{self.path}:{self.location}" if self.location else self.path
        return f"{where}: {self.rule}: {self.message}"

    def as_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "path": self.path,
            "location": self.location,
            "line": self.line,
            "pointer": self.pointer,
            "message": self.message,
        }


@dataclass
class SchemaFile:
    """One ``*.schema.json`` of a component version, parsed when possible."""

    path: Path
    component: Component
    name: str
    contents: Any = None
    readable: bool = True

    @property
    def expected_id(self) -> str:
        return schema_uri(self.component.name, self.component.version, self.name)

    @property
    def base_uri(self) -> str:
        """The URI relative ``$ref`` s resolve against: its ``$id``, or the canonical one."""
        declared = self.contents.get("$id") if isinstance(self.contents, dict) else None
        return declared if isinstance(declared, str) else self.expected_id


def _refuse_remote(uri: str) -> Resource[Any]:
    raise NoSuchResource(ref=uri)  # type: ignore[call-arg]


@dataclass
class LintContext:
    """The standard under one root, loaded once and shared by the rules."""

    root: Path
    checks_dir: Path
    findings: list[Finding] = field(default_factory=list)

    @cached_property
    def catalogue(self) -> Catalogue:
        return Catalogue(self.root)

    @cached_property
    def components(self) -> list[Component]:
        return self.catalogue.components()

    def relative(self, path: Path) -> str:
        """``path`` relative to the root (or the working directory), for messages."""
        for base in (self.root, Path.cwd()):
            try:
                return path.resolve().relative_to(base.resolve()).as_posix()
            except ValueError:
                continue
        return path.as_posix()

    def finding(
        self, rule: str, path: Path, message: str, *, line: int | None = None, pointer: str | None = None
    ) -> Finding:
        assert rule in RULES, rule
        return Finding(self.relative(path), rule, message, line=line, pointer=pointer)

    @cached_property
    def schema_files(self) -> list[SchemaFile]:
        """Every schema file of every component version; unreadable ones marked (and reported)."""
        found = []
        for component in self.components:
            for path in sorted(component.schema_dir.glob("*.schema.json")):
                schema = SchemaFile(path, component, path.name.removesuffix(".schema.json"))
                try:
                    schema.contents = load_example(path)  # JSON, with duplicate members refused
                except ExampleError as exc:
                    schema.readable = False
                    message = _strip(str(exc), path)
                    line = _LINE_COLUMN.search(message)
                    self.findings.append(
                        self.finding(
                            "file-unreadable",
                            path,
                            message,
                            line=int(line.group("line")) if line else None,
                            pointer=None if line else "",
                        )
                    )
                found.append(schema)
        return found

    def schema_file(self, component: str, version: str, name: str) -> SchemaFile | None:
        for schema in self.schema_files:
            if (schema.component.name, schema.component.version, schema.name) == (component, version, name):
                return schema
        return None

    @cached_property
    def registry(self) -> Registry[Any]:
        """Every readable schema by its ``$id`` (or canonical URI); nothing is ever fetched."""
        resources = [
            (s.base_uri, Resource.from_contents(s.contents, default_specification=DRAFT202012))
            for s in self.schema_files
            if s.readable and isinstance(s.contents, dict | bool)
        ]
        registry: Registry[Any] = Registry(retrieve=_refuse_remote)  # type: ignore[call-arg]
        return registry.with_resources(resources).crawl()

    @cached_property
    def unreadable_uris(self) -> set[str]:
        """Canonical URIs of schema files that cannot be parsed."""
        return {s.expected_id for s in self.schema_files if not s.readable}

    @cached_property
    def spec_files(self) -> list[Path]:
        return sorted(p for p in spec_dir(self.root).glob("*/*/index.md") if p.is_file())

    @cached_property
    def spec_requirements(self) -> dict[Path, list[SpecRequirement]]:
        """Requirements of each spec that parses (the requirements rule reports the others)."""
        parsed = {}
        for path in self.spec_files:
            if _malformed_blocks(path):
                continue
            try:
                parsed[path] = parse_requirements(path)
            except StandardError:
                continue
        return parsed

    @cached_property
    def known_requirement_ids(self) -> set[str]:
        """Every ID a spec names, including those of specs with malformed blocks."""
        known = {r.requirement_id for reqs in self.spec_requirements.values() for r in reqs}
        for path in self.spec_files:
            for line in _read_lines(path):
                match = _BLOCK.match(line)
                if match:
                    known.add(match.group("id"))
        return known

    @cached_property
    def checks(self) -> list[MarkedFunction]:
        """Every function of the check modules that parse (unparseable ones are reported)."""
        found: list[MarkedFunction] = []
        for path in check_modules(self.checks_dir):
            try:
                found += read_check_module(path)
            except CheckModuleError as exc:
                message = exc.message.removeprefix(f"{path}:{exc.line}: ").removeprefix(f"{path}: ")
                self.findings.append(self.finding("file-unreadable", path, message, line=exc.line))
        return found


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []


def _malformed_blocks(path: Path) -> list[tuple[int, str]]:
    """(line, problem) of each requirement block header that cannot be read as one."""
    component = path.parent.parent.name
    problems = []
    for number, line in enumerate(_read_lines(path), start=1):
        if not _ANY_BLOCK.match(line):
            continue
        block = _BLOCK.match(line)
        if not block:
            problems.append((number, 'a requirement block starts `!!! requirement "/req/..."` at column 0'))
            continue
        requirement_id = block.group("id")
        match = REQUIREMENT_ID.match(requirement_id)
        if not match:
            problems.append(
                (
                    number,
                    f"{requirement_id!r} is not /req/<component>/<class>/<name> in lower-case kebab-case",
                )
            )
        elif match.group("component") != component:
            problems.append(
                (
                    number,
                    f"{requirement_id} names component {match.group('component')!r} in {component}'s spec",
                )
            )
    return problems


# --- schemas ------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _metaschema_validator() -> Draft202012Validator:
    """The 2020-12 metaschema (bundled with jsonschema: resolved offline)."""
    return Draft202012Validator(
        Draft202012Validator.META_SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def _schema_refs(node: Any, pointer: str = "", names: bool = False) -> Iterator[tuple[str, str]]:
    """(pointer of the ``$ref`` member, ref) in a schema, skipping instance data (enum, examples ...)."""
    if isinstance(node, dict):
        if names:
            for key, value in node.items():
                yield from _schema_refs(value, f"{pointer}/{escape_token(key)}")
            return
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield f"{pointer}/$ref", ref
        for key, value in node.items():
            if key in _DATA_KEYWORDS:
                continue
            yield from _schema_refs(value, f"{pointer}/{escape_token(key)}", names=key in _SCHEMA_MAPS)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _schema_refs(value, f"{pointer}/{index}")


def _all_refs(node: Any, pointer: str = "") -> Iterator[tuple[str, str]]:
    """(pointer of the ``$ref`` member, ref) anywhere in a document (OpenAPI)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield f"{pointer}/$ref", ref
        for key, value in node.items():
            yield from _all_refs(value, f"{pointer}/{escape_token(key)}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _all_refs(value, f"{pointer}/{index}")


def _check_refs(
    ctx: LintContext,
    path: Path,
    component: Component,
    registry: Registry[Any],
    base_uri: str,
    refs: Iterator[tuple[str, str]],
) -> Iterator[Finding]:
    """Dangling refs, and refs into another version of the same component."""
    resolver = registry.resolver(base_uri=base_uri)
    own = f"{SCHEMA_BASE}{component.name}/"
    for pointer, ref in refs:
        target = urljoin(base_uri, ref)
        try:
            resolver.lookup(ref)
        except (Unresolvable, LookupError, TypeError, ValueError):
            if target.split("#", 1)[0] in ctx.unreadable_uris:
                continue  # the target file is reported as unreadable
            resolved = f" ({target})" if target != ref else ""
            yield ctx.finding(
                "ref-dangling",
                path,
                f"$ref {ref}{resolved} does not resolve offline in the standard",
                pointer=pointer,
            )
            continue
        if target.startswith(own):
            version = target.removeprefix(own).split("/", 1)[0]
            if version != component.version:
                yield ctx.finding(
                    "version-mismatch",
                    path,
                    f"$ref {ref} points into {component.name} {version} from {component.key}",
                    pointer=pointer,
                )


def check_schemas(ctx: LintContext) -> Iterator[Finding]:
    """schema-metaschema, id-mismatch, version-mismatch ($id), ref-dangling."""
    for schema in ctx.schema_files:
        if not schema.readable:
            continue
        contents = schema.contents
        for error in _metaschema_validator().iter_errors(contents):
            yield ctx.finding(
                "schema-metaschema", schema.path, error.message, pointer=to_pointer(error.absolute_path)
            )
        if not isinstance(contents, dict):
            yield ctx.finding(
                "id-mismatch", schema.path, f"has no $id; expected {schema.expected_id}", pointer=""
            )
            continue
        dialect = contents.get("$schema")
        if dialect is not None and dialect != DIALECT:
            yield ctx.finding(
                "schema-metaschema",
                schema.path,
                f"$schema is {dialect!r}; Felles schemas are JSON Schema 2020-12 ({DIALECT})",
                pointer="/$schema",
            )
        yield from _check_id(ctx, schema, contents.get("$id"))
        yield from _check_refs(
            ctx, schema.path, schema.component, ctx.registry, schema.base_uri, _schema_refs(contents)
        )


def _check_id(ctx: LintContext, schema: SchemaFile, declared: object) -> Iterator[Finding]:
    expected = schema.expected_id
    if not isinstance(declared, str):
        yield ctx.finding("id-mismatch", schema.path, f"has no string $id; expected {expected}", pointer="")
        return
    if declared == expected:
        return
    match = _CANONICAL_ID.match(declared)
    if match and match.group("component") == schema.component.name and match.group("name") == schema.name:
        yield ctx.finding(
            "version-mismatch",
            schema.path,
            f"$id says version {match.group('version')}, the file is in "
            f"{schema.component.name}/{schema.component.version}/ ({expected})",
            pointer="/$id",
        )
        return
    yield ctx.finding(
        "id-mismatch",
        schema.path,
        f"$id {declared} does not match its file; expected {expected}",
        pointer="/$id",
    )


# --- OpenAPI ------------------------------------------------------------------------------------


class _OfflineHandler:
    """Answers the OpenAPI validator's ``$ref`` URLs from this root's schemas or local files."""

    def __init__(self, registry: Registry[Any]) -> None:
        self._registry = registry

    def __call__(self, uri: str) -> Any:
        if uri.startswith(SCHEMA_BASE):
            try:
                return self._registry.contents(uri.split("#", 1)[0])
            except (NoSuchResource, LookupError, Unresolvable):
                raise StandardError(f"$ref {uri} is not a schema of the standard") from None
        parts = urlsplit(uri)
        if parts.scheme == "file":
            try:
                text = Path(parts.path).read_text(encoding="utf-8")
                return yaml.safe_load(text) if parts.path.endswith((".yaml", ".yml")) else json.loads(text)
            except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as exc:
                raise StandardError(f"$ref {uri} cannot be read: {exc}") from None
        raise StandardError(f"$ref {uri} points outside the standard; refusing to fetch it")


def _load_openapi(ctx: LintContext, component: Component) -> dict[str, Any] | None:
    path = component.openapi_path
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        ctx.findings.append(
            ctx.finding(
                "file-unreadable",
                path,
                f"invalid YAML: {exc.problem}",
                line=mark.line + 1 if mark is not None else None,
                pointer=None if mark is not None else "",
            )
        )
        return None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        ctx.findings.append(ctx.finding("file-unreadable", path, f"cannot read: {exc}", pointer=""))
        return None
    if not isinstance(document, dict):
        ctx.findings.append(
            ctx.finding("openapi-invalid", path, "an OpenAPI document must be a mapping", pointer="")
        )
        return None
    return document


def _validator_findings(
    ctx: LintContext, component: Component, document: dict[str, Any]
) -> Iterator[Finding]:
    path = component.openapi_path
    handler = _OfflineHandler(ctx.registry)
    handlers = {"https": handler, "http": handler, "file": handler, "<all_urls>": handler}
    base_uri = path.resolve().as_uri()
    spec = SchemaPath.from_dict(document, base_uri=base_uri, handlers=handlers)
    validator = OpenAPIV31SpecValidator(spec, base_uri=base_uri)
    try:
        for error in validator.iter_errors():
            where = list(getattr(error, "path", []) or [])
            yield ctx.finding(
                "openapi-invalid", path, str(getattr(error, "message", error)), pointer=to_pointer(where)
            )
    except (FellesError, Unresolvable, LookupError):
        # A $ref that does not resolve stops the validator; ref-dangling names it precisely.
        return
    except OpenAPIValidationError as exc:
        yield ctx.finding("openapi-invalid", path, str(exc), pointer="")


def check_openapi(ctx: LintContext) -> Iterator[Finding]:
    """openapi-invalid, ref-dangling and version-mismatch (info.version, cross-version refs)."""
    for component in ctx.components:
        path = component.openapi_path
        if not path.is_file():
            continue
        document = _load_openapi(ctx, component)
        if document is None:
            continue
        yield from _validator_findings(ctx, component, document)
        own_uri = f"{SCHEMA_BASE}{component.name}/{component.version}/openapi.yaml"
        registry = ctx.registry.with_resource(
            own_uri, Resource.from_contents(document, default_specification=DRAFT202012)
        )
        yield from _check_refs(ctx, path, component, registry, own_uri, _all_refs(document))
        info = document.get("info")
        version = info.get("version") if isinstance(info, dict) else None
        if not isinstance(version, str):
            continue  # openapi-invalid says info.version must be a string
        if version != component.version:
            yield ctx.finding(
                "version-mismatch",
                path,
                f"info.version is {version!r} but the document is in {component.name}/{component.version}/",
                pointer="/info/version",
            )


# --- examples -----------------------------------------------------------------------------------


#: What validating against a broken schema raises.
_BROKEN_SCHEMA: Final = (StandardError, Unresolvable, UnknownType, re.error)


def _strip(message: str, path: Path) -> str:
    return message.removeprefix(f"{path}: ")


def check_examples(ctx: LintContext) -> Iterator[Finding]:
    """example-misnamed, example-valid-fails, example-invalid-passes, example-wrong-reason."""
    base = examples_dir(ctx.root)
    validators: dict[str, SchemaValidator | None] = {}
    for path in example_files(base):
        try:
            example = parse_example_path(path, base)
        except ExampleError as exc:
            yield ctx.finding("example-misnamed", path, _strip(str(exc), path))
            continue
        schema = ctx.schema_file(example.component, example.version, example.schema)
        if schema is None:
            yield ctx.finding(
                "example-misnamed",
                path,
                f"names no schema of the standard: there is no "
                f"schemas/{example.component}/{example.version}/{example.schema}.schema.json",
            )
            continue
        if not schema.readable:
            continue
        try:
            instance = load_example(path)
        except ExampleError as exc:
            message = _strip(str(exc), path)
            line = _LINE_COLUMN.search(message)
            yield ctx.finding(
                "file-unreadable",
                path,
                message,
                line=int(line.group("line")) if line else None,
                pointer=None if line else "",
            )
            continue
        uri = schema.base_uri
        if uri not in validators:
            try:
                validators[uri] = SchemaValidator(uri, registry=ctx.registry)
            except _BROKEN_SCHEMA:
                validators[uri] = None
        validator = validators[uri]
        if validator is None:
            continue
        try:
            errors = validator.errors(instance)
            yield from _judge_example(ctx, example, uri, instance, errors)
        except _BROKEN_SCHEMA:
            # The schema itself is broken (dangling $ref, unknown type, bad pattern): the schema
            # rules report that; the example cannot be judged until it is fixed.
            continue


def _judge_example(
    ctx: LintContext, example: Example, uri: str, instance: object, errors: list[FieldError]
) -> Iterator[Finding]:
    if example.valid:
        for error in errors:
            yield ctx.finding(
                "example-valid-fails",
                example.path,
                f"should be valid against {example.schema_key}: {error.detail}",
                pointer=error.pointer,
            )
        return
    promise = f"{example.reason} at {example.pointer or '(root)'}"
    if not errors:
        yield ctx.finding(
            "example-invalid-passes",
            example.path,
            f"should be invalid against {example.schema_key} ({promise}) but validates",
            pointer=example.pointer,
        )
        return
    problems = []
    pointers = sorted({e.pointer for e in errors})
    if pointers != [example.pointer]:
        listed = "; ".join(f"{e.pointer or '(root)'}: {e.detail}" for e in errors)
        problems.append(f"the name promises exactly one error ({promise}), the validator reports {listed}")
    keywords = failing_keywords(uri, instance, ctx.registry).get(example.pointer or "", set())
    if not keywords & example.keywords:
        problems.append(
            f"reason {example.reason!r} means a failing {' or '.join(sorted(example.keywords))} "
            f"at {example.pointer or '(root)'}, but what fails there is {sorted(keywords) or 'nothing'}"
        )
    if problems:
        yield ctx.finding("example-wrong-reason", example.path, "; ".join(problems), pointer=example.pointer)


# --- requirements and checks --------------------------------------------------------------------


def check_requirements(ctx: LintContext) -> Iterator[Finding]:
    """requirement-malformed, requirement-no-keyword, requirement-duplicate, must-untested."""
    for path in ctx.spec_files:
        for line, problem in _malformed_blocks(path):
            yield ctx.finding("requirement-malformed", path, problem, line=line)
    tested = {rid for check in ctx.checks for rid in check.requirement_ids}
    for path, requirements in ctx.spec_requirements.items():
        first: dict[str, int] = {}
        for requirement in requirements:
            if requirement.requirement_id in first:
                yield ctx.finding(
                    "requirement-duplicate",
                    path,
                    f"{requirement.requirement_id} is already defined at line "
                    f"{first[requirement.requirement_id]}",
                    line=requirement.line,
                )
                continue
            first[requirement.requirement_id] = requirement.line
            if requirement.keyword is None:
                yield ctx.finding(
                    "requirement-no-keyword",
                    path,
                    f"{requirement.requirement_id} has no RFC 2119 keyword (MUST, SHOULD, MAY ...)",
                    line=requirement.line,
                )
            elif requirement.keyword == "MUST" and requirement.requirement_id not in tested:
                yield ctx.finding(
                    "must-untested",
                    path,
                    f"{requirement.requirement_id} is a MUST but no check in "
                    f"{ctx.relative(ctx.checks_dir)} carries @requirement({requirement.requirement_id!r})",
                    line=requirement.line,
                )


def check_checks(ctx: LintContext) -> Iterator[Finding]:
    """test-unknown-requirement and check-unmarked."""
    known = ctx.known_requirement_ids
    for check in ctx.checks:
        for requirement_id in check.requirement_ids:
            if requirement_id not in known:
                yield ctx.finding(
                    "test-unknown-requirement",
                    check.path,
                    f"{check.name} names {requirement_id}, which no spec under "
                    f"{ctx.relative(spec_dir(ctx.root))} defines",
                    line=check.line,
                )
        if not check.is_check:
            continue
        markers = len(check.requirement_ids) + check.unreadable_markers
        if check.unreadable_markers:
            yield ctx.finding(
                "check-unmarked",
                check.path,
                f"{check.name}: the requirement marker's argument must be a string literal",
                line=check.line,
            )
        elif markers == 0:
            yield ctx.finding(
                "check-unmarked",
                check.path,
                f'{check.name} has no @requirement("/req/...") marker',
                line=check.line,
            )
        elif markers > 1:
            yield ctx.finding(
                "check-unmarked",
                check.path,
                f"{check.name} has {markers} requirement markers; a check proves exactly one requirement",
                line=check.line,
            )


# --- versions -----------------------------------------------------------------------------------


def check_versions(ctx: LintContext) -> Iterator[Finding]:
    """version-mismatch between folders and the spec's header ($id and OpenAPI are checked above)."""
    for folder in sorted(schemas_dir(ctx.root).glob("*/*")):
        if folder.is_dir() and not folder.name.startswith(".") and not _VERSION.match(folder.name):
            yield ctx.finding(
                "version-mismatch",
                folder,
                f"folder name {folder.name!r} is not a MAJOR.MINOR version, so the catalogue ignores it",
            )
    known = {(c.name, c.version) for c in ctx.components}
    for path in ctx.spec_files:
        component, version = path.parent.parent.name, path.parent.name
        if (component, version) not in known:
            yield ctx.finding(
                "version-mismatch",
                path,
                f"spec of {component} {version}, but there is no schemas/{component}/{version}/",
                line=1,
            )
            continue
        stated = [
            (n, m.group("version"))
            for n, line in enumerate(_read_lines(path), 1)
            if (m := _VERSION_ROW.match(line))
        ]
        if not stated:
            yield ctx.finding(
                "version-mismatch", path, f"the header table has no `| Version | {version} |` row", line=1
            )
        for line, value in stated:
            if value != version:
                yield ctx.finding(
                    "version-mismatch",
                    path,
                    f"the header says version {value!r} but the spec is in {component}/{version}/",
                    line=line,
                )


Rule = Callable[[LintContext], Iterator[Finding]]

#: The rule functions in the order they run (each reports one or more rule IDs).
RULE_FUNCTIONS: Final[tuple[Rule, ...]] = (
    check_schemas,
    check_openapi,
    check_examples,
    check_requirements,
    check_checks,
    check_versions,
)
