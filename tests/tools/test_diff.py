"""``felles diff``: OpenAPI-aware, direction-aware classification of two component versions.

A temporary standard holds application 1.0 and a copy of it as 1.1 (and
2.0); each test changes the copy and checks what diff says, from the API
and from the command line.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from felles.cli import main
from felles.errors import UsageError
from felles.tools.diff import DiffError, DiffReport, diff, render
from felles.tools.diff_rules import Change
from felles.tools.semver import Bump, Level, Version, actual_bump, next_version, required_bump

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def standard(tmp_path: Path) -> Path:
    for folder in ("spec", "schemas", "examples"):
        for part in ("common", "application/1.0"):  # not the real 1.1: these tests make their own
            shutil.copytree(ROOT / folder / part, tmp_path / folder / part)
    for version in ("1.1", "2.0"):
        _copy_version(tmp_path, version)
    return tmp_path


def _copy_version(root: Path, version: str) -> Path:
    target = root / "schemas" / "application" / version
    shutil.copytree(root / "schemas" / "application" / "1.0", target)
    for path in target.iterdir():
        text = path.read_text(encoding="utf-8").replace("application/1.0/", f"application/{version}/")
        path.write_text(text.replace('version: "1.0"', f'version: "{version}"'), encoding="utf-8")
    return target


def _schema(root: Path, version: str, name: str, change: Callable[[Any], None]) -> None:
    path = root / "schemas" / "application" / version / f"{name}.schema.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False), encoding="utf-8")


def _openapi(root: Path, version: str, change: Callable[[Any], None]) -> None:
    path = root / "schemas" / "application" / version / "openapi.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _diff(root: Path, new: str = "1.1") -> DiffReport:
    return diff("application@1.0", f"application@{new}", root=root)


def _only(report: DiffReport, kind: str) -> Change:
    found = [c for c in report.changes if c.kind == kind]
    assert len(found) == 1, render(report)
    return found[0]


def _paths(document: Any) -> dict[str, Any]:
    paths: dict[str, Any] = document["paths"]
    return paths


# --- whole versions -----------------------------------------------------------------------------


def test_identical_versions_have_no_changes(standard: Path) -> None:
    report = _diff(standard)
    assert report.changes == ()
    assert report.level is Level.NONE
    assert report.required_bump is Bump.NONE
    assert report.actual_bump is Bump.MINOR
    assert report.version_ok


def test_the_repository_version_against_itself() -> None:
    report = diff("application@1.0", "application@1.0")
    assert report.changes == ()
    assert report.version_ok


# --- paths and operations -----------------------------------------------------------------------


def test_removed_path_is_breaking(standard: Path) -> None:
    _openapi(standard, "1.1", lambda d: _paths(d).pop("/applications/{id}/transitions"))
    change = _only(_diff(standard), "path-removed")
    assert change.level is Level.BREAKING
    assert "/applications/{id}/transitions" in change.message


def test_removed_operation_is_breaking(standard: Path) -> None:
    _openapi(standard, "1.1", lambda d: _paths(d)["/applications/{id}"].pop("get"))
    report = _diff(standard)
    assert _only(report, "operation-removed").level is Level.BREAKING
    assert report.required_bump is Bump.MAJOR
    assert not report.version_ok


def test_added_path_and_operation_are_additive(standard: Path) -> None:
    def change(document: Any) -> None:
        get = _paths(document)["/applications/{id}"]["get"]
        _paths(document)["/applications/{id}/history"] = {"get": {**get, "operationId": "getHistory"}}
        _paths(document)["/applications/{id}"]["delete"] = {
            **get,
            "operationId": "deleteApplication",
            "responses": {"204": {"description": "Deleted."}},
        }

    _openapi(standard, "1.1", change)
    report = _diff(standard)
    assert {c.kind for c in report.changes} == {"path-added", "operation-added"}
    assert report.level is Level.NON_BREAKING
    assert report.required_bump is Bump.MINOR
    assert report.version_ok


def test_path_parameter_rename_is_not_a_new_path(standard: Path) -> None:
    def change(document: Any) -> None:
        paths = _paths(document)
        paths["/applications/{applicationId}"] = paths.pop("/applications/{id}")

    _openapi(standard, "1.1", change)
    assert not [c for c in _diff(standard).changes if c.kind in ("path-removed", "path-added")]


def test_deprecated_operation_and_editorial_changes(standard: Path) -> None:
    def change(document: Any) -> None:
        _paths(document)["/applications"]["get"]["deprecated"] = True
        _paths(document)["/applications"]["get"]["summary"] = "List applications (use search instead)."

    _openapi(standard, "1.1", change)
    report = _diff(standard)
    assert _only(report, "operation-deprecated").level is Level.NON_BREAKING
    assert _only(report, "annotation-changed").level is Level.PATCH


def test_editorial_only_needs_no_new_version(standard: Path) -> None:
    _schema(standard, "1.1", "Transition", lambda d: d.update(description="Move the application on."))
    report = diff("application@1.1", "application@1.1", root=standard)
    assert report.changes == ()
    edited = _diff(standard)
    assert edited.level is Level.PATCH
    assert edited.required_bump is Bump.NONE


# --- parameters ---------------------------------------------------------------------------------


def _list_parameters(document: Any) -> list[dict[str, Any]]:
    parameters: list[dict[str, Any]] = _paths(document)["/applications"]["get"]["parameters"]
    return parameters


def test_new_required_parameter_is_breaking_optional_is_not(standard: Path) -> None:
    def change(document: Any) -> None:
        _list_parameters(document).append({"name": "kommune", "in": "query", "required": True, "schema": {}})
        _list_parameters(document).append({"name": "sort", "in": "query", "schema": {"type": "string"}})

    _openapi(standard, "1.1", change)
    report = _diff(standard)
    levels = {c.message.split("new ")[1]: c.level for c in report.changes if c.kind == "parameter-added"}
    assert levels == {
        "required query parameter 'kommune'": Level.BREAKING,
        "optional query parameter 'sort'": Level.NON_BREAKING,
    }


def test_parameter_schema_is_compared_on_the_request_side(standard: Path) -> None:
    _openapi(standard, "1.1", lambda d: _list_parameters(d)[2]["schema"].update(maximum=50))
    change = _only(_diff(standard), "maximum-lowered")
    assert change.level is Level.BREAKING
    assert change.sides == (("request", Level.BREAKING),)
    assert "limit" in change.via


def test_removed_parameter_is_breaking(standard: Path) -> None:
    _openapi(standard, "1.1", lambda d: _list_parameters(d).pop(3))
    change = _only(_diff(standard), "parameter-removed")
    assert change.level is Level.BREAKING
    assert "'cursor'" in change.message


# --- request and response bodies ----------------------------------------------------------------


def test_request_body_tightened_is_breaking(standard: Path) -> None:
    _schema(standard, "1.1", "Transition", lambda d: d["properties"]["to"]["enum"].remove("refused"))
    change = _only(_diff(standard), "enum-value-removed")
    assert change.level is Level.BREAKING
    assert change.location == "application/1.1/Transition.schema.json#/properties/to"
    assert "transitions request body" in change.via


def test_request_body_loosened_is_additive(standard: Path) -> None:
    _schema(standard, "1.1", "Transition", lambda d: d["properties"].update(reason={"type": "string"}))
    report = _diff(standard)
    assert _only(report, "property-added").level is Level.NON_BREAKING
    assert report.required_bump is Bump.MINOR


def test_response_member_removed_or_optional_is_breaking(standard: Path) -> None:
    def change(document: Any) -> None:
        document["required"].remove("updatedAt")

    _schema(standard, "1.1", "Application", change)
    change_found = _only(_diff(standard), "required-removed")
    assert change_found.level is Level.BREAKING
    assert ("response", Level.BREAKING) in change_found.sides


def test_schema_used_both_ways_gets_both_rules(standard: Path) -> None:
    # Application.schema.json#/$defs/Status is a query parameter (request) and in every response.
    _schema(standard, "1.1", "Application", lambda d: d["$defs"]["Status"]["enum"].append("archived"))
    change = _only(_diff(standard), "enum-value-added")
    assert dict(change.sides) == {"request": Level.NON_BREAKING, "response": Level.BREAKING}
    assert change.level is Level.BREAKING
    assert "request: non-breaking; response: breaking" in render(_diff(standard))


def test_extensible_enum_may_grow_in_a_minor_version(standard: Path) -> None:
    for version in ("1.0", "1.1"):
        _schema(
            standard,
            version,
            "Application",
            lambda d: d["$defs"]["Status"].update({"x-extensible-enum": True}),
        )
    _schema(standard, "1.1", "Application", lambda d: d["$defs"]["Status"]["enum"].append("archived"))
    report = _diff(standard)
    assert _only(report, "enum-value-added").level is Level.NON_BREAKING
    assert report.version_ok


def test_responses_success_removed_error_added(standard: Path) -> None:
    def change(document: Any) -> None:
        responses = _paths(document)["/applications/{id}"]["get"]["responses"]
        responses["202"] = responses.pop("200")
        responses["429"] = {"description": "Too many requests."}

    _openapi(standard, "1.1", change)
    report = _diff(standard)
    removed = [c for c in report.changes if c.kind == "response-removed"]
    added = {c.message: c.level for c in report.changes if c.kind == "response-added"}
    assert [c.level for c in removed] == [Level.BREAKING]
    assert added == {
        "GET /applications/{id} response 202 added": Level.BREAKING,
        "GET /applications/{id} response 429 added": Level.NON_BREAKING,
    }


def test_response_header_removed_is_breaking(standard: Path) -> None:
    _openapi(
        standard,
        "1.1",
        lambda d: _paths(d)["/applications"]["post"]["responses"]["201"]["headers"].pop("Location"),
    )
    assert _only(_diff(standard), "header-removed").level is Level.BREAKING


def test_changed_scope_is_breaking(standard: Path) -> None:
    _openapi(
        standard,
        "1.1",
        lambda d: _paths(d)["/applications"]["post"].update(
            security=[{"maskinporten": ["application:submit"]}]
        ),
    )
    report = _diff(standard)
    assert _only(report, "security-removed").level is Level.BREAKING
    assert _only(report, "security-added").level is Level.NON_BREAKING


def test_removed_and_added_schema_files(standard: Path) -> None:
    (standard / "schemas/application/1.1/ApplicationPage.schema.json").unlink()
    _openapi(standard, "1.1", lambda d: _paths(d)["/applications"].pop("get"))
    shutil.copy(
        standard / "schemas/application/1.1/Transition.schema.json",
        standard / "schemas/application/1.1/Decision.schema.json",
    )
    _schema(
        standard,
        "1.1",
        "Decision",
        lambda d: d.update({"$id": "https://felles.example/schemas/application/1.1/Decision.schema.json"}),
    )
    report = _diff(standard)
    assert _only(report, "schema-removed").level is Level.BREAKING
    assert _only(report, "schema-added").level is Level.NON_BREAKING


def test_component_without_openapi_is_compared_both_ways(standard: Path) -> None:
    shutil.copytree(standard / "schemas/common/1.0", standard / "schemas/common/1.1")
    for path in (standard / "schemas/common/1.1").glob("*.schema.json"):
        path.write_text(
            path.read_text(encoding="utf-8").replace("common/1.0/", "common/1.1/"), encoding="utf-8"
        )
    path = standard / "schemas/common/1.1/Link.schema.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    document["properties"]["hreflangs"] = {"type": "array", "items": {"type": "string"}}
    path.write_text(json.dumps(document), encoding="utf-8")
    report = diff("common@1.0", "common@1.1", root=standard)
    change = _only(report, "property-added")
    assert {side for side, _ in change.sides} == {"request", "response"}


def test_unresolvable_ref_is_a_clear_error(standard: Path) -> None:
    _schema(
        standard,
        "1.1",
        "Transition",
        lambda d: d["properties"]["note"].update(
            {"$ref": "https://felles.example/schemas/common/1.0/Nope.schema.json"}
        ),
    )
    with pytest.raises(DiffError, match="does not resolve"):
        _diff(standard)


# --- inputs: catalogue names and folders --------------------------------------------------------


def test_folder_inside_a_standard(standard: Path) -> None:
    _schema(standard, "1.1", "Transition", lambda d: d["properties"]["to"]["enum"].remove("refused"))
    report = diff(str(standard / "schemas/application/1.0"), str(standard / "schemas/application/1.1"))
    assert (report.old, report.new) == ("application@1.0", "application@1.1")
    assert _only(report, "enum-value-removed").level is Level.BREAKING


def test_loose_folder_resolves_other_components_in_the_catalogue(standard: Path, tmp_path: Path) -> None:
    loose = tmp_path / "draft"
    shutil.copytree(standard / "schemas/application/1.1", loose)
    report = diff("application@1.0", str(loose), root=standard)
    assert report.new == "application@1.1"
    assert report.changes == ()


def test_different_components_are_refused(standard: Path) -> None:
    with pytest.raises(UsageError, match="cannot compare application with common"):
        diff("application@1.0", "common@1.0", root=standard)


# --- the command line ---------------------------------------------------------------------------


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_check_version_fails_when_bump_too_small(
    standard: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for version in ("1.1", "2.0"):
        _schema(standard, version, "Transition", lambda d: d["required"].append("note"))
    code, out, err = _run(["diff", "application@1.0", "application@1.1", "--root", str(standard)], capsys)
    assert code == 0  # without --check-version diff only reports
    assert "breaking (1):" in out
    assert "member 'note' is now required" in out
    code, out, err = _run(
        ["diff", "application@1.0", "application@1.1", "--root", str(standard), "--check-version"], capsys
    )
    assert code == 1
    assert "needs a major bump" in out or "need a major bump" in out
    assert "version check failed" in err
    assert "at least 2.0" in err
    code, _, err = _run(
        ["diff", "application@1.0", "application@2.0", "--root", str(standard), "--check-version"], capsys
    )
    assert code == 0, err


def test_cli_json(standard: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _schema(standard, "1.1", "Transition", lambda d: d["properties"]["to"]["enum"].append("archived"))
    code, out, _ = _run(
        ["diff", "application@1.0", "application@1.1", "--root", str(standard), "--format", "json"], capsys
    )
    document = json.loads(out)
    assert code == 0
    assert document["level"] == "non-breaking"
    assert document["required_bump"] == "minor"
    assert document["actual_bump"] == "minor"
    assert document["version_ok"] is True
    (change,) = document["changes"]
    assert change["kind"] == "enum-value-added"
    assert change["sides"] == {"request": "non-breaking"}


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["diff", "application@1.0"], "the following arguments are required"),
        (["diff", "application@1.0", "nope@1.0"], "unknown component 'nope'"),
        (["diff", "application@1.0", "application@9.9"], "has no version 9.9"),
        (["diff", "application@1.0", "common@1.0"], "cannot compare"),
        (["diff", "application@1.0", "./no/such/folder"], "is not a directory"),
        (["diff", "application@1.0", "application@1.0", "--format", "yaml"], "invalid choice"),
    ],
)
def test_cli_usage_errors_exit_2(argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(argv, capsys)
    assert code == 2
    assert needle in err
    assert "Traceback" not in err


def test_cli_downgrade_fails_the_check(standard: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(
        ["diff", "application@1.1", "application@1.0", "--root", str(standard), "--check-version"], capsys
    )
    assert code == 1
    assert "older than" in err


# --- semver -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "bump"),
    [
        ("1.0", "1.0", Bump.NONE),
        ("1.0", "1.1", Bump.MINOR),
        ("1.3", "2.0", Bump.MAJOR),
        ("1.0", "1.0.1", Bump.PATCH),
        ("2.0", "1.9", Bump.DOWNGRADE),
        ("1.9", "1.10", Bump.MINOR),
    ],
)
def test_actual_bump(old: str, new: str, bump: Bump) -> None:
    assert actual_bump(Version.parse(old), Version.parse(new)) is bump


@pytest.mark.parametrize(
    ("level", "old", "bump"),
    [
        (Level.BREAKING, "1.2", Bump.MAJOR),
        (Level.BREAKING, "0.3", Bump.MINOR),  # initial development: breaking in a minor
        (Level.NON_BREAKING, "1.2", Bump.MINOR),
        (Level.PATCH, "1.2", Bump.NONE),
        (Level.NONE, "1.2", Bump.NONE),
    ],
)
def test_required_bump(level: Level, old: str, bump: Bump) -> None:
    assert required_bump(level, Version.parse(old)) is bump


def test_next_version_and_parsing() -> None:
    assert str(next_version(Version.parse("1.4"), Bump.MAJOR)) == "2.0"
    assert str(next_version(Version.parse("1.4"), Bump.MINOR)) == "1.5"
    with pytest.raises(UsageError, match=r"not MAJOR\.MINOR"):
        Version.parse("v1")
