"""The generated pages as Markdown, from a small standard in a temporary folder (no mkdocs involved)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from felles.docs_site import hook
from felles.docs_site.api_page import api_page
from felles.docs_site.coverage_page import ChecksIndex, coverage_page
from felles.docs_site.labels import LANGUAGES, keys, label
from felles.docs_site.layout import link, relative, requirement_anchor, version_page
from felles.docs_site.requirements_page import requirements_page
from felles.docs_site.schema_index import SchemaIndex
from felles.docs_site.schema_page import schema_page
from felles.docs_site.schema_text import SchemaText
from felles.docs_site.site import Standard, documented_components, load_standard, reference_nav, render
from felles.docs_site.spec_page import spec_page, spec_status, with_anchors
from felles.standard.catalogue import Catalogue
from felles.tools.markdown import anchor, code, escape, pipes_escaped, prose, table
from tests.docs import mini_standard

PACKAGE = Path(__file__).resolve().parents[2] / "conformance" / "felles" / "docs_site"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return mini_standard.write(tmp_path / "standard")


@pytest.fixture
def standard(root: Path) -> Standard:
    return load_standard(root, root / "checks")


def _page(standard: Standard, lang: str, path: str) -> str:
    pages, problems = render(standard, lang)  # type: ignore[arg-type]
    assert problems == []
    return next(p.markdown for p in pages if p.path == path)


# --- Markdown helpers and layout ----------------------------------------------------------------


def test_escape_keeps_text_literal() -> None:
    assert escape("a | b *c* <x> [l](u) {id}") == r"a \| b \*c\* &lt;x\> \[l\](u) \{id\}"
    assert escape("# not a heading") == r"\# not a heading"
    assert escape("two\nlines") == "two lines"


def test_code_survives_backticks_and_pipes_stay_in_code() -> None:
    assert code("a`b") == "``a`b``"
    assert code("`x`") == "`` `x` ``"
    assert pipes_escaped("a | `b | c` | d") == r"a \| `b | c` \| d"


def test_prose_keeps_code_spans_and_nothing_else() -> None:
    assert prose("claim `kommunenummer` | *x* <b>") == r"claim `kommunenummer` \| \*x\* &lt;b\>"
    assert prose("- not a list, `a|b`") == r"\- not a list, `a|b`"


def test_table_and_anchor() -> None:
    assert table(["a", "b"], [["1", "two\nlines"]]) == "| a | b |\n|---|---|\n| 1 | two lines |"
    assert anchor("Application", "StatusChange") == "Application-StatusChange"
    assert anchor("v", "1.0", "to", "1.1") == "v-1-0-to-1-1"


def test_links_between_pages_are_relative() -> None:
    requirements = version_page("demo", "1.0", "requirements")
    assert relative(requirements, version_page("demo", "1.0", "schemas")) == "schemas.md"
    assert (
        link(requirements, version_page("common", "1.0", "schemas"), "Person")
        == "../../common/1.0/schemas.md#Person"
    )
    assert link(requirements, requirements, "x") == "#x"
    assert requirement_anchor("/req/demo/core/create") == "req-demo-core-create"


def test_every_label_is_translated_and_used() -> None:
    source = "\n".join(p.read_text(encoding="utf-8") for p in PACKAGE.glob("*.py"))
    for key in keys():
        assert label("nb", key)
        assert label("en", key)
        uses = source.replace(f'    "{key}": (', "")
        assert f'"{key}"' in uses or f"'{key}'" in uses, f"label {key!r} is never used"
    assert LANGUAGES == ("nb", "en")


# --- schema reference ---------------------------------------------------------------------------


def test_schema_page_shows_members_types_and_constraints(root: Path) -> None:
    component = Catalogue(root).get("demo@1.0")
    markdown, problems = schema_page(component, SchemaIndex.of(Catalogue(root).components()), "en")
    assert problems == []
    assert "## Thing {#Thing}" in markdown
    assert "### Thing › Status {#Thing-Status}" in markdown
    assert r"A thing \| with a pipe and \*stars\*." in markdown
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\| (?:<del>)?`([\w.\[\]]+)`.*$", markdown, re.M)}
    for part in ("string (`uuid`)", "| yes |", "read-only"):
        assert part in rows["id"]
    assert "[Person](../../common/1.0/schemas.md#Person)" in rows["owner"]
    assert "[Channel](../../common/1.0/schemas.md#Identifiers-Channel)" in rows["channel"]
    for part in ("array of string", "≤ 3 items", "unique items"):
        assert part in rows["tags"]
    assert "[Status](#Thing-Status)" in rows["status"]
    assert "| yes |" in rows["address.street"]
    assert "pattern `^[A-Z]`" in rows["address.street"]
    assert "| no |" in rows["address"]
    assert "≥ 1; ≤ 10" in rows["size"]
    assert "default `5`" in rows["size"]
    assert "No other members are allowed." in markdown


def test_deprecated_member_is_struck_through_with_a_badge(root: Path) -> None:
    component = Catalogue(root).get("demo@1.0")
    for lang, word in (("nb", "foreldet"), ("en", "deprecated")):
        markdown, _ = schema_page(component, SchemaIndex.of(Catalogue(root).components()), lang)  # type: ignore[arg-type]
        row = next(line for line in markdown.splitlines() if "legacyCode" in line)
        assert row.startswith(
            f'| <del>`legacyCode`</del> <span class="felles-badge felles-badge--deprecated">{word}</span>'
        )


def test_schema_page_shows_one_valid_example_and_lists_the_rest(root: Path) -> None:
    component = Catalogue(root).get("demo@1.0")
    markdown, _ = schema_page(component, SchemaIndex.of(Catalogue(root).components()), "en")
    assert '??? example "Valid examples (2): small"' in markdown
    assert '        "name": "Kari"' in markdown
    assert "    - `tagged`" in markdown
    assert '??? failure "Invalid examples (1): member and why it must be rejected"' in markdown
    assert "    - `owner`: missing" in markdown


def test_extensible_enum_and_definitions_only_schema(root: Path) -> None:
    component = Catalogue(root).get("common@1.0")
    markdown, problems = schema_page(component, SchemaIndex.of(Catalogue(root).components()), "en")
    assert problems == []
    assert "### Identifiers › Channel {#Identifiers-Channel}" in markdown
    assert 'Allowed values: `"sms"`, `"email"` (may grow in later minor versions).' in markdown
    assert "length 1–100" in markdown


def test_a_dangling_ref_is_shown_and_reported(root: Path) -> None:
    path = root / "schemas/demo/1.0/Thing.schema.json"
    thing = json.loads(path.read_text(encoding="utf-8"))
    thing["properties"]["owner"] = {"$ref": "Nobody.schema.json"}
    path.write_text(json.dumps(thing), encoding="utf-8")
    catalogue = Catalogue(root)
    markdown, problems = schema_page(catalogue.get("demo@1.0"), SchemaIndex.of(catalogue.components()), "en")
    assert "`Nobody.schema.json`" in markdown
    assert problems == [
        "$ref Nobody.schema.json in Thing.schema.json/properties/owner points to no schema of the standard"
    ]


def test_type_words_for_combinators_and_constants() -> None:
    text = SchemaText(SchemaIndex(), "reference/x/1.0/schemas.md", "nb")
    schema = {"oneOf": [{"const": "a"}, {"type": ["string", "null"]}]}
    assert (
        text.type_of(schema, "https://felles.example/schemas/x/1.0/X.schema.json", "X")
        == 'én av: `"a"`, string · null'
    )
    assert text.type_of(True, "", "") == "hva som helst"
    assert text.type_of({"not": {"type": "integer"}}, "", "") == "ikke integer"


# --- API ----------------------------------------------------------------------------------------


def test_api_page_renders_operations_scopes_parameters_and_bodies(root: Path) -> None:
    catalogue = Catalogue(root)
    component = catalogue.get("demo@1.0")
    markdown, problems = api_page(
        component, component.openapi(), SchemaIndex.of(catalogue.components()), "en"
    )
    assert problems == []
    assert "### `GET` `/things` {#op-listThings}" in markdown
    assert "Needs `demo:read`." in markdown
    assert "Needs `demo:write` or `demo:admin`." in markdown
    assert "No authentication." in markdown  # GET /conformance
    assert "| `limit` | query | integer | no | ≤ 50. |" in markdown
    assert "**Request body**: `application/json`: [Thing](schemas.md#Thing)" in markdown
    assert "| `201` | Created. | `application/json`: [Thing](schemas.md#Thing) | `Location` |" in markdown
    assert "| `400` | A problem. | `application/problem+json`: object | — |" in markdown
    assert "| `id` | path | string | yes |" in markdown  # path-level parameter, via a local $ref
    assert "[ThingList](#api-schema-ThingList)" in markdown
    assert "### ThingList {#api-schema-ThingList}" in markdown
    assert 'felles-badge--deprecated">deprecated</span>' in markdown  # DELETE is deprecated
    assert "`demo:admin`: All." in markdown  # the scheme's scopes


def test_api_page_reports_a_local_ref_that_does_not_resolve(root: Path) -> None:
    catalogue = Catalogue(root)
    component = catalogue.get("demo@1.0")
    document = component.openapi()
    document["paths"]["/things"]["post"]["responses"]["400"] = {"$ref": "#/components/responses/Gone"}
    _, problems = api_page(component, document, SchemaIndex.of(catalogue.components()), "en")
    assert len(problems) == 1
    assert "$ref #/components/responses/Gone does not resolve" in problems[0]


# --- requirements, spec, coverage ----------------------------------------------------------------


def test_requirements_page_lists_ids_by_class_with_clause(root: Path, standard: Standard) -> None:
    version = next(v for v in standard.versions if v.component.key == "demo@1.0")
    markdown = requirements_page(version.component, version.requirements, standard.checks.counts(), "nb")
    assert "## Klasse `core` {#class-core}" in markdown
    assert "## Klasse `extra` {#class-extra}" in markdown
    assert (
        '<span id="req-demo-core-create"></span>[`/req/demo/core/create`](index.md#req-demo-core-create)'
        in markdown
    )
    assert "| SKAL (MUST) |" in markdown
    assert "| BØR (SHOULD) |" in markdown
    assert r"[the lifecycle](index.md#lifecycle) \| and more." in markdown  # in-page spec link, pipe escaped
    assert "[0](../../coverage.md#coverage-demo-1-0)" in markdown  # /req/demo/extra/delete has no check
    assert "> Systemet skal være sertifisert mot Felles demo@1.0, klassene core og extra." in markdown


def test_spec_page_anchors_each_requirement_and_says_it_is_normative(root: Path) -> None:
    component = Catalogue(root).get("demo@1.0")
    markdown = spec_page(component, mini_standard.SPEC, "en")
    lines = markdown.splitlines()
    assert lines[0] == "# demo 1.0 — Demonstration"
    assert lines[2] == '!!! info "Normative text"'
    block = lines.index('!!! requirement "/req/demo/core/create"')
    assert lines[block - 2 : block] == ['<a id="req-demo-core-create"></a>', ""]
    assert spec_status(mini_standard.SPEC) == "Draft for trial use"
    assert with_anchors("no blocks\n") == "no blocks\n"


def test_a_component_without_spec_gets_a_page_saying_so(root: Path) -> None:
    component = Catalogue(root).get("common@1.0")
    markdown = spec_page(component, None, "nb")
    assert '!!! warning "Ingen spesifikasjon ennå"' in markdown
    assert "`spec/common/1.0/index.md` finnes ikke" in markdown


def test_coverage_page_lists_checks_and_flags_untested_musts(root: Path, standard: Standard) -> None:
    tested = [(v.component, v.requirements) for v in standard.versions]
    markdown = coverage_page(tested, ChecksIndex.read(root / "checks"), root / "checks", "checks", "en")
    assert "| [demo@1.0](#coverage-demo-1-0) | 1 / 2 |" in markdown
    assert "`check_create` (`demo.py:9`): A valid thing is created." in markdown
    assert "`check_list` (`demo.py:17`)" in markdown
    row = next(line for line in markdown.splitlines() if "/req/demo/extra/delete" in line)
    assert 'felles-badge--warning">no check</span>' in row


def test_an_unreadable_check_module_is_a_problem(root: Path) -> None:
    (root / "checks/broken.py").write_text("def (:\n", encoding="utf-8")
    assert any("broken.py" in p for p in load_standard(root, root / "checks").problems)


# --- the whole site -----------------------------------------------------------------------------


def test_every_page_is_in_the_nav_and_both_languages_have_the_same_pages(root: Path) -> None:
    mini_standard.add_version(root, "1.1", lambda s: s["properties"].update(note={"type": "string"}))
    standard = load_standard(root, root / "checks")
    assert standard.problems == []

    def paths(entries: object) -> set[str]:
        if isinstance(entries, str):
            return {entries}
        if isinstance(entries, dict):
            return set().union(*(paths(v) for v in entries.values()))
        return set().union(*(paths(v) for v in entries)) if isinstance(entries, list) else set()

    generated = {}
    for lang in LANGUAGES:
        pages, problems = render(standard, lang)
        assert problems == []
        generated[lang] = {p.path for p in pages}
        assert paths(reference_nav(standard, lang)) == generated[lang]
    assert generated["nb"] == generated["en"]
    assert "reference/demo/1.1/api.md" in generated["nb"]
    assert "reference/common/1.0/api.md" not in generated["nb"]  # common has no OpenAPI document


def test_changelog_page_shows_the_minor_step(root: Path) -> None:
    mini_standard.add_version(root, "1.1", lambda s: s["properties"].update(note={"type": "string"}))
    markdown = _page(load_standard(root, root / "checks"), "en", "reference/demo/changelog.md")
    assert "## 1.0 → 1.1 {#v-1-0-to-1-1}" in markdown
    assert "Version step: **minor** · The changes need: **minor** · OK ✓" in markdown


def test_the_overview_is_the_general_spec_text_then_the_catalogue(root: Path, standard: Standard) -> None:
    markdown = _page(standard, "en", "reference/index.md")
    assert markdown.startswith("# The standard\n")
    assert "## Component versions in this build {#catalogue}" in markdown
    row = next(line for line in markdown.splitlines() if line.startswith("| `demo` |"))
    assert "| 1.0 | Draft for trial use | `core`, `extra` | 2 MUST, 1 SHOULD, 0 MAY |" in row
    assert "[API](demo/1.0/api.md)" in row


def test_half_built_components_render_without_problems(root: Path) -> None:
    # schemas but no spec (yet), and a spec but no schemas (yet)
    mini_standard._json(
        root / "schemas/early/1.0/Draft.schema.json",
        {"$id": f"{mini_standard.BASE}/early/1.0/Draft.schema.json", "type": "object"},
    )
    (root / "spec/later/1.0").mkdir(parents=True)
    (root / "spec/later/1.0/index.md").write_text("# later 1.0\n\nText only.\n", encoding="utf-8")
    assert {c.key for c in documented_components(Catalogue(root))} >= {"early@1.0", "later@1.0"}
    standard = load_standard(root, root / "checks")
    assert standard.problems == []
    pages, problems = render(standard, "en")
    assert problems == []
    by_path = {p.path: p.markdown for p in pages}
    assert "has schemas but no normative text yet" in by_path["reference/early/1.0/index.md"]
    assert "later@1.0 has no schemas yet." in by_path["reference/later/1.0/schemas.md"]
    assert "has only one version" in by_path["reference/early/changelog.md"]


def test_real_defects_become_problems_not_crashes(root: Path) -> None:
    (root / "schemas/demo/1.0/Broken.schema.json").write_text("{not json", encoding="utf-8")
    (root / "schemas/demo/1.0/openapi.yaml").write_text("paths: [unclosed", encoding="utf-8")
    spec = root / "spec/demo/1.0/index.md"
    spec.write_text(
        spec.read_text(encoding="utf-8") + '\n!!! requirement "/req/Bad ID"\n    MUST.\n', encoding="utf-8"
    )
    standard = load_standard(root, root / "checks")
    joined = "\n".join(standard.problems)
    assert "Broken.schema.json: invalid JSON" in joined
    assert "openapi.yaml: invalid YAML" in joined
    assert "malformed requirement ID '/req/Bad ID'" in joined
    pages, _ = render(standard, "nb")
    assert "reference/demo/1.0/schemas.md" in {p.path for p in pages}


# --- the mkdocs adapter -------------------------------------------------------------------------


def test_the_hook_expands_the_reference_entry_of_the_nav() -> None:
    nav: list[object] = ["index.md", {"Guides": ["guides/a.md"]}, {"Referanse": "reference/index.md"}]
    assert hook._expand(nav, [{"Oversikt": "reference/index.md"}], "Referanse")
    assert nav[2] == {"Referanse": [{"Oversikt": "reference/index.md"}]}
    assert not hook._expand(["index.md"], [], "Referanse")


def test_the_hook_drops_only_hreflang_links_from_the_head() -> None:
    page = (
        '<head><link rel="alternate" href="./" hreflang="nb"><link rel="icon" href="i.png"></head>'
        '<body><a href="./" hreflang="en">English</a></body>'
    )
    out = hook.on_post_page(page, None, None)  # type: ignore[arg-type]
    assert (
        out
        == '<head><link rel="icon" href="i.png"></head><body><a href="./" hreflang="en">English</a></body>'
    )
