"""The JSON report: exact round-trip, schema validity, verdict rules, atomic writes."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from felles.errors import ReportError
from felles.report import json_report
from felles.report.json_report import (
    REPORT_SCHEMA_ID,
    from_json_dict,
    load_report_schema,
    read_json,
    to_json_dict,
    validate_json_report,
    write_json,
)
from felles.report.model import RunReport, Status


def test_schema_is_valid_2020_12_with_stable_id() -> None:
    schema = load_report_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$id"] == REPORT_SCHEMA_ID
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_round_trip_is_exact(any_report: RunReport) -> None:
    assert from_json_dict(to_json_dict(any_report)) == any_report


def test_round_trip_survives_serialisation(any_report: RunReport) -> None:
    text = json.dumps(to_json_dict(any_report))
    assert from_json_dict(json.loads(text)) == any_report


def test_every_produced_report_validates(any_report: RunReport) -> None:
    validate_json_report(to_json_dict(any_report))


def test_property_names_are_camel_case(mixed_report: RunReport) -> None:
    data = to_json_dict(mixed_report)
    check = data["classes"][0]["requirements"][1]["checks"][0]
    assert {"suiteVersion", "startedAt", "finishedAt"} <= data.keys()
    assert {"durationSeconds", "seed", "exchanges"} <= check.keys()
    assert {"requestHeaders", "statusCode", "responseBody", "elapsedMs"} <= check["exchanges"][0].keys()


def test_summary_counts_claimed_classes_only(mixed_report: RunReport) -> None:
    summary = to_json_dict(mixed_report)["summary"]
    # core: passed, failed, skipped, passed(SHOULD), failed(MAY); lifecycle: error, n/a, skipped.
    # The unclaimed "attachments" class (2 skipped) is not counted.
    assert summary == {
        "total": 8,
        "passed": 2,
        "failed": 2,
        "error": 1,
        "skipped": 2,
        "notApplicable": 1,
    }


def test_write_and_read_file(tmp_path: Path, mixed_report: RunReport) -> None:
    target = write_json(mixed_report, tmp_path / "out" / "report.json")
    assert target.read_text(encoding="utf-8").endswith("\n")
    assert read_json(target) == mixed_report
    assert [p.name for p in target.parent.iterdir()] == ["report.json"]  # no temp left


def test_non_ascii_is_kept_readable(tmp_path: Path, build: Any) -> None:
    report = build.report(
        [build.cls("core", [build.requirement("core", "create", title="Søknad om barnehageplass")])]
    )
    target = write_json(report, tmp_path / "report.json")
    assert "Søknad om barnehageplass" in target.read_text(encoding="utf-8")


# --------------------------------------------------------------------- the verdict


def _must(build: Any, status: Status) -> RunReport:
    report: RunReport = build.report(
        [
            build.cls(
                "core",
                [build.requirement("core", "create"), build.requirement("core", "x", status)],
            )
        ]
    )
    return report


@pytest.mark.parametrize("status", [Status.FAILED, Status.SKIPPED, Status.ERROR, Status.NOT_APPLICABLE])
def test_not_certified_when_a_must_did_not_pass(build: Any, status: Status) -> None:
    data = to_json_dict(_must(build, status))
    assert data["certified"] is False
    assert data["warnings"] == []


def test_not_certified_when_run_incomplete(build: Any, certified_report: RunReport) -> None:
    data = to_json_dict(build.with_info(certified_report, incomplete=True))
    assert data["incomplete"] is True
    assert data["certified"] is False


def test_not_certified_without_a_claimed_class(build: Any) -> None:
    report = build.report([build.unclaimed("core", "create")])
    assert to_json_dict(report)["certified"] is False


def test_certified_when_all_musts_pass_and_a_should_fails(certified_report: RunReport) -> None:
    data = to_json_dict(certified_report)
    assert data["certified"] is True
    assert data["warnings"] == ["/req/application/core/etag"]
    assert data["summary"]["failed"] == 1  # the SHOULD failure is still reported


def test_skipped_is_never_counted_as_passed(build: Any) -> None:
    report = build.report([build.cls("core", [build.requirement("core", "x", Status.SKIPPED)])])
    data = to_json_dict(report)
    assert data["summary"]["passed"] == 0
    assert data["summary"]["skipped"] == 1
    assert data["certified"] is False


def test_failures_in_unclaimed_classes_do_not_block(build: Any) -> None:
    report = build.report(
        [
            build.cls("core", [build.requirement("core", "create")]),
            build.cls("extra", [build.requirement("extra", "x", Status.FAILED)], claimed=False),
        ]
    )
    assert to_json_dict(report)["certified"] is True


# --------------------------------------------------------------------- validation


def _problem(data: Any) -> str:
    with pytest.raises(ReportError) as caught:
        validate_json_report(data)
    return str(caught.value)


def test_wrong_status_value_is_rejected_with_pointer(mixed_report: RunReport) -> None:
    data = to_json_dict(mixed_report)
    data["classes"][0]["requirements"][1]["status"] = "pass"
    message = _problem(data)
    assert "/classes/0/requirements/1/status" in message
    assert "'pass'" in message


def test_wrong_check_status_is_rejected_with_pointer(mixed_report: RunReport) -> None:
    data = to_json_dict(mixed_report)
    data["classes"][1]["requirements"][0]["checks"][0]["status"] = "broken"
    assert "/classes/1/requirements/0/checks/0/status" in _problem(data)


def test_missing_top_level_field_is_rejected(mixed_report: RunReport) -> None:
    data = to_json_dict(mixed_report)
    del data["seed"]
    message = _problem(data)
    assert "'seed' is a required property" in message
    assert "document root" in message


def test_missing_nested_field_is_rejected_with_pointer(mixed_report: RunReport) -> None:
    data = to_json_dict(mixed_report)
    del data["classes"][0]["requirements"][1]["checks"][0]["exchanges"][0]["curl"]
    message = _problem(data)
    assert "/classes/0/requirements/1/checks/0/exchanges/0" in message
    assert "'curl' is a required property" in message


@pytest.mark.parametrize(
    ("pointer", "value"),
    [
        (("startedAt",), "yesterday"),
        (("classes", 0, "requirements", 0, "keyword"), "SHALL"),
        (("examples",), -1),
        (("environment", "python"), 3.11),
        (("classes", 0, "requirements", 1, "checks", 0, "exchanges", 0, "statusCode"), 42),
    ],
)
def test_invalid_values_are_rejected(
    mixed_report: RunReport, pointer: tuple[str | int, ...], value: Any
) -> None:
    data: Any = to_json_dict(mixed_report)
    node = data
    for part in pointer[:-1]:
        node = node[part]
    node[pointer[-1]] = value
    assert "/" + "/".join(map(str, pointer)) in _problem(data)


def test_unknown_property_is_rejected(mixed_report: RunReport) -> None:
    data = to_json_dict(mixed_report)
    data["classes"][0]["passedAnyway"] = True
    message = _problem(data)
    assert "/classes/0" in message
    assert "passedAnyway" in message


def test_not_an_object_is_rejected() -> None:
    assert "document root" in _problem([])


def test_many_problems_are_capped(mixed_report: RunReport) -> None:
    data = to_json_dict(mixed_report)
    for cls in data["classes"]:
        for req in cls["requirements"]:
            req["status"] = "nope"
    assert "more" in _problem(data)


def test_from_json_dict_validates(mixed_report: RunReport) -> None:
    data = to_json_dict(mixed_report)
    data["classes"][0]["status"] = "green"
    with pytest.raises(ReportError, match="/classes/0/status"):
        from_json_dict(data)


@pytest.mark.parametrize("field", ["certified", "summary", "warnings"])
def test_edited_derived_fields_are_rejected(mixed_report: RunReport, field: str) -> None:
    data = to_json_dict(mixed_report)
    edited = copy.deepcopy(data)
    if field == "certified":
        edited["certified"] = True
    elif field == "summary":
        edited["summary"]["passed"] += 1
    else:
        edited["warnings"] = []
    validate_json_report(edited)  # structurally fine ...
    with pytest.raises(ReportError, match=f"/{field}"):
        from_json_dict(edited)  # ... but it contradicts the results


def test_check_filed_under_wrong_requirement_is_refused(build: Any) -> None:
    stray = build.check(build.req_id("core", "other"))
    report = build.report([build.cls("core", [build.requirement("core", "create", checks=(stray,))])])
    with pytest.raises(ReportError, match="filed under"):
        to_json_dict(report)


def test_read_json_reports_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="cannot read"):
        read_json(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(ReportError, match="line 1"):
        read_json(broken)


# --------------------------------------------------------------------- atomic writes


def test_existing_file_survives_a_rendering_error(
    tmp_path: Path, mixed_report: RunReport, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "report.json"
    target.write_text("previous report", encoding="utf-8")

    def explode(report: RunReport) -> dict[str, Any]:
        raise RuntimeError("renderer bug")

    monkeypatch.setattr(json_report, "to_json_dict", explode)
    with pytest.raises(RuntimeError, match="renderer bug"):
        write_json(mixed_report, target)
    assert target.read_text(encoding="utf-8") == "previous report"
    assert os.listdir(tmp_path) == ["report.json"]


def test_existing_file_survives_a_failing_replace(
    tmp_path: Path, mixed_report: RunReport, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "report.json"
    target.write_text("previous report", encoding="utf-8")

    def refuse(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(ReportError, match="No space left on device"):
        write_json(mixed_report, target)
    assert target.read_text(encoding="utf-8") == "previous report"
    assert os.listdir(tmp_path) == ["report.json"]  # temp file cleaned up


def test_invalid_report_is_never_written(tmp_path: Path, build: Any) -> None:
    report = build.report([build.cls("core", [build.requirement("core", "create", keyword="SHALL")])])
    target = tmp_path / "report.json"
    with pytest.raises(ReportError, match="keyword"):
        write_json(report, target)
    assert not target.exists()
