"""The changelog: ``felles diff`` between consecutive versions, as Markdown with the semver verdict."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.docs import mini_standard

from felles.standard.catalogue import Catalogue
from felles.tools.changelog import Step, history, render_changelog, render_step, verdict
from felles.tools.diff import DiffReport
from felles.tools.semver import Version


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return mini_standard.write(tmp_path / "standard")


def _add_optional(thing: dict[str, Any]) -> None:
    thing["properties"]["note"] = {"type": "string"}


def _require_size(thing: dict[str, Any]) -> None:
    thing["required"].append("size")


def test_one_version_says_there_is_nothing_to_compare(root: Path) -> None:
    assert history(Catalogue(root), "demo") == []
    assert "demo has only one version (1.0)" in render_changelog("demo", ["1.0"], [], "en")
    assert "demo har bare én versjon (1.0)" in render_changelog("demo", ["1.0"], [], "nb")
    assert "demo has no versions." in render_changelog("demo", [], [], "en")


def test_an_optional_member_is_a_minor_step(root: Path) -> None:
    mini_standard.add_version(root, "1.1", _add_optional)
    (step,) = history(Catalogue(root), "demo")
    assert (step.old, step.new, step.error) == ("1.0", "1.1", None)
    markdown = render_step(step, "en")
    assert markdown.startswith("## 1.0 → 1.1 {#v-1-0-to-1-1}")
    assert "Version step: **minor** · The changes need: **minor** · OK ✓" in markdown
    assert "### Breaking (0)\n\nNone." in markdown
    assert "### Non-breaking (1)" in markdown
    assert (
        "`demo/1.1/Thing.schema.json#/properties/note` \\[request, response\\]: member 'note' added"
        in markdown
    )


def test_a_breaking_change_in_a_minor_version_is_called_too_small(root: Path) -> None:
    mini_standard.add_version(root, "1.1", _require_size)
    (step,) = history(Catalogue(root), "demo")
    assert step.report is not None
    assert not step.report.version_ok
    assert (
        "Versjonssteg: **minor (ny delversjon)** · Endringene krever: **major (ny hovedversjon)**"
        in render_step(step, "nb")
    )
    assert "for lite steg ✗ (≥ 2.0)" in render_step(step, "nb")
    assert "### Bryter bakoverkompatibilitet (1)" in render_step(step, "nb")


def test_steps_are_listed_newest_first(root: Path) -> None:
    mini_standard.add_version(root, "1.1", _add_optional)
    mini_standard.add_version(root, "2.0", _require_size)
    steps = history(Catalogue(root), "demo")
    assert [(s.old, s.new) for s in steps] == [("1.0", "1.1"), ("1.1", "2.0")]
    markdown = render_changelog("demo", ["1.0", "1.1", "2.0"], steps, "en")
    assert markdown.index("## 1.1 → 2.0") < markdown.index("## 1.0 → 1.1")
    assert "Version step: **major** · The changes need: **major** · OK ✓" in markdown


def test_versions_that_cannot_be_compared_become_a_step_with_the_reason(root: Path) -> None:
    target = mini_standard.add_version(root, "1.1")
    (target / "Thing.schema.json").write_text(
        (target / "Thing.schema.json").read_text(encoding="utf-8").replace("#/$defs/Status", "#/$defs/Gone"),
        encoding="utf-8",
    )
    (step,) = history(Catalogue(root), "demo")
    assert step.report is None
    assert step.error
    assert render_step(step, "en").startswith("## 1.0 → 1.1")
    assert "The versions could not be compared:" in render_step(step, "en")


def test_identical_versions_have_no_changes(root: Path) -> None:
    mini_standard.add_version(root, "1.1")
    (step,) = history(Catalogue(root), "demo")
    markdown = render_step(step, "en")
    assert "No changes." in markdown
    assert "Version step: **minor** · The changes need: **no new version** · OK ✓" in markdown


def test_a_downgrade_is_named() -> None:
    report = DiffReport("demo@2.0", "demo@1.0", Version(2, 0), Version(1, 0), ())
    assert verdict(report, "en").endswith("· downgrade")
    assert render_step(Step("2.0", "1.0", report), "en").count("No changes.") == 1


def test_the_repository_application_changelog_is_a_minor_step() -> None:
    root = Path(__file__).resolve().parents[2]
    if not (root / "schemas" / "application" / "1.1").is_dir():
        pytest.skip("application 1.1 is not in this checkout")
    steps = history(Catalogue(root), "application")
    assert steps[0].report is not None, steps[0].error
    assert "Version step: **minor** · The changes need: **minor** · OK ✓" in render_step(steps[0], "en")
