"""Every generated page of the docs site, from one standard root, in one language.

:func:`load_standard` reads the standard once (components and versions from
the catalogue, spec texts, requirements, schemas, checks, and the diff of
each consecutive version pair); :func:`render` turns that into Markdown
pages for ``nb`` or ``en``. Both are driven by what exists at build time: a
component with schemas but no spec yet gets pages saying so, never a crash.

What is a defect of the standard (a file that does not parse, a dangling
``$ref``, a malformed requirement ID) is returned in ``problems``; the
mkdocs hook logs each as a warning, so ``mkdocs build --strict`` fails and
names it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from felles.docs_site.api_page import api_page
from felles.docs_site.coverage_page import ChecksIndex, coverage_page
from felles.docs_site.labels import Lang, label
from felles.docs_site.layout import (
    COVERAGE,
    OVERVIEW,
    PageKind,
    changelog_page,
    link,
    version_page,
)
from felles.docs_site.requirements_page import counts, requirements_page
from felles.docs_site.schema_index import SchemaIndex
from felles.docs_site.schema_page import schema_page
from felles.docs_site.spec_page import spec_page, spec_status, with_anchors
from felles.errors import FellesError
from felles.standard.catalogue import Catalogue, Component, parse_version
from felles.standard.paths import spec_dir
from felles.standard.requirements import SpecRequirement
from felles.tools.changelog import Step, history, render_changelog
from felles.tools.markdown import code, escape, heading, table


@dataclass(frozen=True)
class SitePage:
    """One generated page: its path under the language root and its Markdown."""

    path: str
    markdown: str


@dataclass(frozen=True)
class DocumentedVersion:
    """One documented component version and what was read for it."""

    component: Component
    spec: str | None
    requirements: tuple[SpecRequirement, ...]
    openapi: dict[str, Any] | None = None

    @property
    def has_api(self) -> bool:
        return self.openapi is not None


@dataclass
class Standard:
    """The standard as read at build time, shared by both languages."""

    root: Path
    versions: list[DocumentedVersion]
    index: SchemaIndex
    checks: ChecksIndex
    checks_dir: Path
    changelogs: dict[str, list[Step]]
    general: str | None
    problems: list[str] = field(default_factory=list)

    def names(self) -> list[str]:
        return list(dict.fromkeys(v.component.name for v in self.versions))

    def of(self, name: str) -> list[DocumentedVersion]:
        return [v for v in self.versions if v.component.name == name]


def documented_components(catalogue: Catalogue) -> list[Component]:
    """The catalogue's component versions, plus any with a spec but no schemas yet."""
    found = {c.key: c for c in catalogue.components()}
    for path in sorted(spec_dir(catalogue.root).glob("*/*/index.md")):
        name, version = path.parent.parent.name, path.parent.name
        try:
            parse_version(version)
        except FellesError:
            continue
        found.setdefault(f"{name}@{version}", Component(name, version, catalogue.root))
    return sorted(found.values(), key=lambda c: (c.name, parse_version(c.version)))


def _read_openapi(component: Component, problems: list[str]) -> dict[str, Any] | None:
    if not component.openapi_path.is_file():
        return None
    try:
        return component.openapi()
    except FellesError as exc:
        problems.append(str(exc))
        return None


def _read_version(component: Component, problems: list[str]) -> DocumentedVersion:
    """What the pages of one version need; what cannot be read is a problem, the rest is kept."""
    openapi = _read_openapi(component, problems)
    if not component.spec_path.is_file():
        return DocumentedVersion(component, None, (), openapi)
    try:
        text = component.spec_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{component.spec_path}: cannot read: {exc}")
        return DocumentedVersion(component, None, (), openapi)
    try:
        requirements = tuple(component.requirements)
    except FellesError as exc:
        problems.append(str(exc))
        requirements = ()
    return DocumentedVersion(component, text, requirements, openapi)


def load_standard(root: Path, checks_dir: Path) -> Standard:
    """Read everything the pages need from the standard under ``root`` and the checks in ``checks_dir``."""
    catalogue = Catalogue(root)
    problems: list[str] = []
    components = documented_components(catalogue)
    versions = [_read_version(c, problems) for c in components]
    index = SchemaIndex.of(components)
    checks = ChecksIndex.read(checks_dir)
    changelogs = {}
    for name in dict.fromkeys(c.name for c in catalogue.components()):
        steps = history(catalogue, name)
        problems += [f"felles diff {name}@{s.old} {name}@{s.new}: {s.error}" for s in steps if s.error]
        changelogs[name] = steps
    general_path = spec_dir(root) / "index.md"
    general = general_path.read_text(encoding="utf-8") if general_path.is_file() else None
    problems += index.problems + list(checks.problems)
    return Standard(root, versions, index, checks, checks_dir, changelogs, general, problems)


# --- rendering ----------------------------------------------------------------------------------


def _version_links(version: DocumentedVersion, from_page: str, lang: Lang) -> str:
    c = version.component
    kinds: list[tuple[PageKind, str]] = [
        ("index", "spec"),
        ("requirements", "requirements"),
        ("schemas", "schemas"),
    ]
    if version.has_api:
        kinds.append(("api", "api"))
    shown = [
        f"[{label(lang, name)}]({link(from_page, version_page(c.name, c.version, k))})" for k, name in kinds
    ]
    shown.append(f"[{label(lang, 'changelog')}]({link(from_page, changelog_page(c.name))})")
    return " · ".join(shown)


def overview_page(standard: Standard, lang: Lang) -> str:
    """``reference/index.md``: the general text of ``spec/index.md`` (where the specs' links expect it),
    then every component version of this build with its status, classes and pages."""
    if standard.general is not None:
        lines = [with_anchors(standard.general).rstrip(), ""]
        lines += [heading(2, label(lang, "catalogue"), "catalogue"), ""]
    else:
        lines = [heading(1, label(lang, "reference")), ""]
    lines += [label(lang, "overview_intro"), ""]
    rows = []
    for version in standard.versions:
        c = version.component
        status = spec_status(version.spec) if version.spec else label(lang, "no_spec_status")
        classes = ", ".join(code(n) for n in dict.fromkeys(r.conformance_class for r in version.requirements))
        rows.append(
            [
                code(c.name),
                c.version,
                escape(status or "—"),
                classes or label(lang, "none_classes"),
                counts(version.requirements, lang) if version.requirements else "—",
                _version_links(version, OVERVIEW, lang),
            ]
        )
    headers = [label(lang, k) for k in ("component", "version", "status", "classes", "requirements", "pages")]
    lines += [table(headers, rows), ""]
    lines += [f"→ [{label(lang, 'coverage')}]({link(OVERVIEW, COVERAGE)})", ""]
    return "\n".join(lines)


def render(standard: Standard, lang: Lang) -> tuple[list[SitePage], list[str]]:
    """Every generated page in ``lang``, and the defects found while writing them."""
    problems: list[str] = []
    pages = [SitePage(OVERVIEW, overview_page(standard, lang))]
    for version in standard.versions:
        c = version.component
        pages.append(SitePage(version_page(c.name, c.version, "index"), spec_page(c, version.spec, lang)))
        pages.append(
            SitePage(
                version_page(c.name, c.version, "requirements"),
                requirements_page(c, version.requirements, standard.checks.counts(), lang),
            )
        )
        markdown, found = schema_page(c, standard.index, lang)
        pages.append(SitePage(version_page(c.name, c.version, "schemas"), markdown))
        problems += found
        if version.openapi is not None:
            markdown, found = api_page(c, version.openapi, standard.index, lang)
            pages.append(SitePage(version_page(c.name, c.version, "api"), markdown))
            problems += found
    for name in standard.names():
        versions = [v.component.version for v in standard.of(name)]
        steps = standard.changelogs.get(name, [])
        pages.append(SitePage(changelog_page(name), render_changelog(name, versions, steps, lang)))
    tested = [(v.component, v.requirements) for v in standard.versions]
    shown_dir = _shown(standard.checks_dir, standard.root)
    pages.append(
        SitePage(COVERAGE, coverage_page(tested, standard.checks, standard.checks_dir, shown_dir, lang))
    )
    return pages, problems


def _shown(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.name


def reference_nav(standard: Standard, lang: Lang) -> list[Any]:
    """The reference section of the navigation (mkdocs ``nav`` entries), titles in ``lang``."""
    nav: list[Any] = [{label(lang, "overview"): OVERVIEW}]
    for name in standard.names():
        entries: list[Any] = []
        for version in standard.of(name):
            c = version.component
            pages: list[Any] = [
                {label(lang, "spec"): version_page(c.name, c.version, "index")},
                {label(lang, "requirements"): version_page(c.name, c.version, "requirements")},
                {label(lang, "schemas"): version_page(c.name, c.version, "schemas")},
            ]
            if version.has_api:
                pages.append({label(lang, "api"): version_page(c.name, c.version, "api")})
            entries.append({c.version: pages})
        entries.append({label(lang, "changelog"): changelog_page(name)})
        nav.append({name: entries})
    nav.append({label(lang, "coverage"): COVERAGE})
    return nav
