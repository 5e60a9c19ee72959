"""What the generated reference of the built site says, checked against the standard it came from.

The expectations are read from the standard itself (catalogue, requirement
blocks, check markers, schemas, ``felles diff``), so the tests follow the
components that exist when they run.
"""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from felles.docs_site.layout import requirement_anchor
from felles.docs_site.site import documented_components
from felles.standard.catalogue import Catalogue, Component
from felles.tools.changelog import history
from felles.tools.checks_index import check_modules, read_check_module
from felles.tools.semver import Bump
from tests.docs.conftest import ROOT, BuiltSite
from tests.docs.site_html import parse_page

CATALOGUE = Catalogue(ROOT)
COMPONENTS = documented_components(CATALOGUE)
LANGS = ("", "en/")  # URL prefix of bokmål (the default, at the root) and English


def _requirements(component: Component) -> list[Any]:
    return list(component.requirements) if component.spec_path.is_file() else []


def _text(site: BuiltSite, url: str) -> str:
    return parse_page(site.page(url)).main_text


def _html(site: BuiltSite, url: str) -> str:
    return site.page(url).read_text(encoding="utf-8")


def test_every_component_version_has_its_pages(site: BuiltSite) -> None:
    assert COMPONENTS
    for prefix in LANGS:
        for c in COMPONENTS:
            base = f"{prefix}reference/{c.name}/{c.version}/"
            for kind in ("", "requirements/", "schemas/"):
                assert site.page(base + kind).is_file(), base + kind
            assert site.page(base + "api/").is_file() == c.openapi_path.is_file(), base + "api/"
            assert site.page(f"{prefix}reference/{c.name}/changelog/").is_file()
        assert site.page(f"{prefix}reference/coverage/").is_file()


@pytest.mark.parametrize("prefix", LANGS, ids=["nb", "en"])
def test_requirement_pages_list_every_requirement_id_and_class(site: BuiltSite, prefix: str) -> None:
    checked = 0
    for c in COMPONENTS:
        page = _html(site, f"{prefix}reference/{c.name}/{c.version}/requirements/")
        spec = parse_page(site.page(f"{prefix}reference/{c.name}/{c.version}/"))
        for requirement in _requirements(c):
            anchor = requirement_anchor(requirement.requirement_id)
            assert f">{requirement.requirement_id}</code>" in page, f"{c.key}: {requirement.requirement_id}"
            assert f'id="{anchor}"' in page, anchor
            assert anchor in spec.ids, (
                f"the spec page of {c.key} has no anchor for {requirement.requirement_id}"
            )
            assert f'id="class-{requirement.conformance_class}"' in page
            checked += 1
    assert checked > 20


def test_coverage_page_maps_each_must_to_its_checks(site: BuiltSite) -> None:
    checks: dict[str, set[str]] = {}
    for module in check_modules(ROOT / "conformance" / "felles" / "runner" / "checks"):
        for function in read_check_module(module):
            for requirement_id in function.requirement_ids:
                checks.setdefault(requirement_id, set()).add(function.name)
    for prefix, no_check in (("", "ingen test"), ("en/", "no check")):
        text = _html(site, f"{prefix}reference/coverage/")
        rows = {
            m.group(1): m.group(2)
            for m in re.finditer(r"<tr>\s*<td><a[^>]*><code>([^<]+)</code></a></td>(.*?)</tr>", text, re.S)
        }
        musts = [r for c in COMPONENTS for r in _requirements(c) if r.keyword == "MUST"]
        assert musts
        for requirement in musts:
            row = rows.get(requirement.requirement_id)
            assert row is not None, f"{requirement.requirement_id} is not on the coverage page"
            expected = checks.get(requirement.requirement_id)
            if expected:
                for name in expected:
                    assert f"<code>{name}</code>" in row, f"{requirement.requirement_id}: {name} missing"
            else:
                assert no_check in row, (
                    f"{requirement.requirement_id} has no check but the page does not say so"
                )


def _deprecated(node: Any) -> list[str]:
    """Names of the members marked ``deprecated: true`` anywhere in a schema."""
    found = []
    if isinstance(node, dict):
        properties = node.get("properties")
        if isinstance(properties, dict):
            found += [
                name
                for name, member in properties.items()
                if isinstance(member, dict) and member.get("deprecated") is True
            ]
        for value in node.values():
            found += _deprecated(value)
    elif isinstance(node, list):
        for value in node:
            found += _deprecated(value)
    return found


def _deprecated_members() -> list[tuple[Component, str, str]]:
    return [
        (c, name, member)
        for c in CATALOGUE.components()
        for name in c.schema_names()
        for member in _deprecated(c.schema(name))
    ]


def test_deprecated_members_are_struck_through_and_badged(site: BuiltSite) -> None:
    members = _deprecated_members()
    if not members:
        pytest.skip("no schema of the standard deprecates a member yet")
    for c, schema, member in members:
        for prefix, word in (("", "foreldet"), ("en/", "deprecated")):
            page = _html(site, f"{prefix}reference/{c.name}/{c.version}/schemas/")
            badge = f'<span class="felles-badge felles-badge--deprecated">{word}</span>'
            struck = f"<del><code>{member}</code></del> {badge}"
            assert struck in page, f"{c.key}/{schema}: {member} is not shown as deprecated"


def test_changelog_shows_each_step_with_its_semver_verdict(site: BuiltSite) -> None:
    names = {c.name for c in CATALOGUE.components()}
    steps_seen = 0
    for name in sorted(names):
        steps = history(CATALOGUE, name)
        text = _text(site, f"en/reference/{name}/changelog/")
        if not steps:
            assert "has only one version" in text, name
            assert "har bare én versjon" in _text(site, f"reference/{name}/changelog/")
        for step in steps:
            assert f"{step.old} → {step.new}" in text
            assert step.report is not None, step.error
            assert f"Version step: {step.report.actual_bump.label}" in text
            steps_seen += 1
    application = history(CATALOGUE, "application")
    if not application:
        pytest.skip("application has one version only")
    first = application[0]
    assert first.report is not None
    assert first.report.actual_bump is Bump.MINOR
    assert first.report.version_ok, "application's minor version needs a bigger bump"
    text = _text(site, "en/reference/application/changelog/")
    assert f"{first.old} → {first.new} ¶ Version step: minor · The changes need: minor · OK ✓" in text
    assert steps_seen


def test_the_vendor_guide_shows_the_ci_templates_as_they_are(site: BuiltSite) -> None:
    for prefix in LANGS:
        page = _html(site, f"{prefix}guides/vendors/")
        blocks = [
            html.unescape(re.sub(r"<[^>]+>", "", b)) for b in re.findall(r"<code>(.*?)</code>", page, re.S)
        ]
        for template in ("github-actions.yml", "gitlab-ci.yml"):
            content = (ROOT / "examples" / "ci" / template).read_text(encoding="utf-8")
            assert any(block.strip() == content.strip() for block in blocks), (
                f"{prefix}: {template} not shown verbatim"
            )


def test_the_language_switcher_leads_to_the_same_page(site: BuiltSite) -> None:
    page = _html(site, "reference/application/1.0/schemas/")
    assert 'href="../../../../en/reference/application/1.0/schemas/" hreflang="en"' in page
    english = _html(site, "en/reference/application/1.0/schemas/")
    assert 'href="../../../../../reference/application/1.0/schemas/" hreflang="nb"' in english
    assert "Schemas: application@1.0</h1>" in english.replace('<a class="headerlink"', "</h1>")
    assert "Skjemaer: application@1.0" in page


def test_navigation_is_translated(site: BuiltSite) -> None:
    for prefix, tabs, section in (
        (
            "",
            ("Veiledninger", "Referanse", "Ordliste"),
            ("Oversikt", "Spesifikasjon", "Krav", "Dekning: krav og tester"),
        ),
        (
            "en/",
            ("Guides", "Reference", "Glossary"),
            ("Overview", "Specification", "Requirements", "Coverage: requirements and checks"),
        ),
    ):
        home, reference = _html(site, prefix), _html(site, f"{prefix}reference/")
        for word in tabs:
            assert f"{word}\n" in home or f"{word}<" in home, f"{prefix}: tab {word}"
        for word in section:
            assert word in reference, f"{prefix}reference/: {word} not in the navigation"


def test_build_reports_no_warning(site: BuiltSite) -> None:
    assert "WARNING" not in site.log
    assert site.seconds < 120


def test_glossary_has_the_domain_terms(site: BuiltSite) -> None:
    terms = ["fødselsnummer", "D-nummer", "organisasjonsnummer", "kommunenummer", "matrikkelnummer",
             "saksmappe", "journalpost", "nabovarsel", "tiltakshaver", "SFO"]  # fmt: skip
    for prefix in LANGS:
        text = _text(site, f"{prefix}glossary/")
        missing = [t for t in terms if t not in text]
        assert not missing, f"{prefix}glossary lacks {missing}"
