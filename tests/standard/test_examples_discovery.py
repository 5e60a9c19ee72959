"""Example discovery skips ``examples/ci`` (pipeline templates, not payloads) and nothing else."""

from __future__ import annotations

from pathlib import Path

from felles.standard.examples import NOT_COMPONENTS, example_files
from felles.standard.paths import examples_dir
from felles.tools.lint import lint


def _touch(root: Path, relative: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{}", encoding="utf-8")
    return path


def test_ci_templates_are_not_examples(tmp_path: Path) -> None:
    example = _touch(tmp_path, "demo/1.0/valid/Thing/small.json")
    misnamed = _touch(tmp_path, "demo/1.0/valid/Thing/Bad_Name.json")
    stray = _touch(tmp_path, "cix/notes.yml")  # not a reserved folder: still found, so lint reports it
    _touch(tmp_path, "ci/github-actions.yml")
    _touch(tmp_path, "ci/nested/gitlab-ci.yml")
    assert example_files(tmp_path) == sorted([example, misnamed, stray])
    assert frozenset({"ci"}) == NOT_COMPONENTS


def test_the_repository_ci_templates_are_skipped_and_exist() -> None:
    templates = sorted((examples_dir() / "ci").glob("*.yml"))
    assert [p.name for p in templates] == ["github-actions.yml", "gitlab-ci.yml"]
    found = example_files()
    assert found
    assert not [p for p in found if p.relative_to(examples_dir()).parts[0] == "ci"]


def test_lint_does_not_report_the_ci_templates(tmp_path: Path) -> None:
    _touch(tmp_path, "schemas/.keep")
    (tmp_path / "checks").mkdir()
    (tmp_path / "examples" / "ci").mkdir(parents=True)
    (tmp_path / "examples" / "ci" / "github-actions.yml").write_text("name: x\n", encoding="utf-8")
    _touch(tmp_path, "examples/misplaced.json")
    findings = lint(tmp_path, tmp_path / "checks").findings
    paths = {f.path for f in findings}
    assert "examples/misplaced.json" in paths  # discovery still finds what does not belong
    assert not any(p.startswith("examples/ci/") for p in paths)
