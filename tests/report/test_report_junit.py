"""JUnit XML: standard attributes, counts that add up, statuses kept apart."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from felles.report import junit
from felles.report.junit import render_junit, write_junit
from felles.report.model import RunReport, Status

COUNTED = ("tests", "failures", "errors", "skipped")


def _parse(report: RunReport) -> ET.Element:
    return ET.fromstring(render_junit(report))


def _case(root: ET.Element, classname: str) -> ET.Element:
    cases = [c for c in root.iter("testcase") if c.get("classname") == classname]
    assert len(cases) == 1, f"expected one testcase for {classname}, got {len(cases)}"
    return cases[0]


def test_document_is_utf8_xml_with_declaration(mixed_report: RunReport) -> None:
    data = render_junit(mixed_report)
    assert data.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    assert ET.fromstring(data).tag == "testsuites"


def test_one_testsuite_per_conformance_class(mixed_report: RunReport) -> None:
    suites = _parse(mixed_report).findall("testsuite")
    assert [s.get("name") for s in suites] == [
        "application@1.0 core",
        "application@1.0 lifecycle",
        "application@1.0 attachments",
    ]


def test_counts_match_the_testcases(any_report: RunReport) -> None:
    root = _parse(any_report)
    for suite in root.findall("testsuite"):
        cases = suite.findall("testcase")
        assert int(suite.get("tests", "-1")) == len(cases)
        assert int(suite.get("failures", "-1")) == sum(c.find("failure") is not None for c in cases)
        assert int(suite.get("errors", "-1")) == sum(c.find("error") is not None for c in cases)
        assert int(suite.get("skipped", "-1")) == sum(c.find("skipped") is not None for c in cases)
        assert float(suite.get("time", "x")) >= 0
    for attribute in COUNTED:
        total = sum(int(s.get(attribute, "0")) for s in root.findall("testsuite"))
        assert int(root.get(attribute, "-1")) == total
    assert float(root.get("time", "x")) == pytest.approx(
        sum(float(s.get("time", "0")) for s in root.findall("testsuite")), abs=0.01
    )


def test_counts_of_the_mixed_report(mixed_report: RunReport) -> None:
    root = _parse(mixed_report)
    # 9 checks + 1 requirement without checks; the unclaimed class adds 2 skipped.
    assert {a: root.get(a) for a in COUNTED} == {
        "tests": "10",
        "failures": "2",
        "errors": "1",
        "skipped": "5",
    }


def test_testcase_names_requirement_and_check(mixed_report: RunReport) -> None:
    case = _case(_parse(mixed_report), "/req/application/core/create")
    assert case.get("name") == "test_create"
    assert case.get("time") == "0.250"
    assert list(case) == []  # a pass has no child element


def test_failure_carries_reproduction(mixed_report: RunReport) -> None:
    failure = _case(_parse(mixed_report), "/req/application/core/read-back").find("failure")
    assert failure is not None
    assert failure.get("type") == "conformance"
    assert failure.get("message") == "expected 201 Created, got 500"
    body = failure.text or ""
    assert "curl -X POST 'https://sut.example/api/applications'" in body
    assert "seed: 424242" in body
    assert "/req/application/core/read-back" in body


def test_error_is_not_a_failure(mixed_report: RunReport) -> None:
    case = _case(_parse(mixed_report), "/req/application/lifecycle/transitions")
    assert case.find("failure") is None
    error = case.find("error")
    assert error is not None
    assert "ConnectionResetError" in (error.get("message") or "")
    assert "not of the system under test" in (error.text or "")


def test_skipped_and_not_applicable_are_skipped_with_reason(mixed_report: RunReport) -> None:
    root = _parse(mixed_report)
    skipped = _case(root, "/req/application/core/pagination").find("skipped")
    assert skipped is not None
    assert skipped.get("message") == "fewer than 2 items"
    not_applicable = _case(root, "/req/application/lifecycle/withdraw").find("skipped")
    assert not_applicable is not None
    assert (not_applicable.get("message") or "").startswith("not applicable")


def test_requirement_without_checks_still_appears(mixed_report: RunReport) -> None:
    case = _case(_parse(mixed_report), "/req/application/lifecycle/no-checks")
    skipped = case.find("skipped")
    assert skipped is not None
    assert skipped.get("message") == "no test implemented yet"


def test_suite_properties_identify_the_run(mixed_report: RunReport) -> None:
    suite = _parse(mixed_report).findall("testsuite")[2]
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties["claimed"] == "false"
    assert properties["seed"] == "1234567"
    assert properties["conformanceClass"] == "attachments"
    assert suite.get("timestamp") == "2025-03-01T10:00:00"


def test_hostile_content_stays_well_formed(hostile_report: RunReport) -> None:
    root = _parse(hostile_report)  # NUL and ESC would make naive XML unparseable
    failure = next(root.iter("failure"))
    body = failure.text or ""
    assert "<script>alert(1)</script>" in body  # as text, escaped by the serialiser
    assert "\x00" not in body
    assert "\\x00" in body
    assert "\\x1b" in body


def test_write_junit_writes_the_rendered_document(tmp_path: Path, mixed_report: RunReport) -> None:
    target = write_junit(mixed_report, tmp_path / "junit.xml")
    assert target.read_bytes() == render_junit(mixed_report)
    assert os.listdir(tmp_path) == ["junit.xml"]


def test_existing_file_survives_a_rendering_error(
    tmp_path: Path, mixed_report: RunReport, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "junit.xml"
    target.write_text("<previous/>", encoding="utf-8")

    def explode(report: Any) -> bytes:
        raise ValueError("renderer bug")

    monkeypatch.setattr(junit, "render_junit", explode)
    with pytest.raises(ValueError, match="renderer bug"):
        write_junit(mixed_report, target)
    assert target.read_text(encoding="utf-8") == "<previous/>"
    assert os.listdir(tmp_path) == ["junit.xml"]


def test_statuses_map_one_to_one(build: Any) -> None:
    """Each status yields exactly the JUnit element CI tools count for it."""
    expected = {
        Status.PASSED: None,
        Status.FAILED: "failure",
        Status.ERROR: "error",
        Status.SKIPPED: "skipped",
        Status.NOT_APPLICABLE: "skipped",
    }
    report = build.report([build.cls("core", [build.requirement("core", s.value, s) for s in Status])])
    root = _parse(report)
    for status, tag in expected.items():
        children = [c.tag for c in _case(root, f"/req/application/core/{status.value}")]
        assert children == ([] if tag is None else [tag])
