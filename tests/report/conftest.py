"""Builders for RunReports: every report writer test starts from these.

Exposed as fixtures (not importable helpers) so that conftest files of other
test directories can never shadow them.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from felles.report.model import (
    CheckResult,
    ClassResult,
    Exchange,
    Requirement,
    RequirementResult,
    RunInfo,
    RunReport,
    Status,
    worst,
)

HOSTILE = "<script>alert(1)</script>"


class ReportBuilder:
    """Small factory methods with sensible defaults; override only what a test is about."""

    component = "application"

    def exchange(self, **overrides: Any) -> Exchange:
        values: dict[str, Any] = {
            "method": "POST",
            "url": "https://sut.example/api/applications",
            "request_headers": {"Content-Type": "application/json", "Authorization": "[redacted]"},
            "request_body": '{"kind": "barnehageplass", "kommunenummer": "0301"}',
            "status_code": 500,
            "response_headers": {"Content-Type": "text/plain"},
            "response_body": "Internal Server Error",
            "curl": (
                "curl -X POST 'https://sut.example/api/applications' "
                "-H 'Content-Type: application/json' -d '{\"kind\": \"barnehageplass\"}'"
            ),
            "elapsed_ms": 12.5,
        }
        values.update(overrides)
        return Exchange(**values)

    def req_id(self, cls: str, name: str) -> str:
        return f"/req/{self.component}/{cls}/{name}"

    def check(self, requirement_id: str, status: Status = Status.PASSED, **overrides: Any) -> CheckResult:
        values: dict[str, Any] = {
            "check_id": f"test_{requirement_id.rsplit('/', 1)[-1]}",
            "requirement_id": requirement_id,
            "status": status,
            "duration_s": 0.25,
            "message": "",
            "exchanges": (),
            "seed": None,
        }
        if status is Status.FAILED:
            values.update(
                message="expected 201 Created, got 500",
                exchanges=(self.exchange(),),
                seed=424242,
            )
        elif status is Status.ERROR:
            values.update(message="ConnectionResetError in the suite's HTTP client")
        elif status is Status.SKIPPED:
            values.update(message="precondition not met: no attachment support", duration_s=0.0)
        values.update(overrides)
        return CheckResult(**values)

    def requirement(
        self,
        cls: str,
        name: str,
        status: Status = Status.PASSED,
        *,
        keyword: str = "MUST",
        reason: str = "",
        checks: tuple[CheckResult, ...] | None = None,
        title: str | None = None,
    ) -> RequirementResult:
        requirement_id = self.req_id(cls, name)
        if checks is None:
            checks = (self.check(requirement_id, status),)
        if not reason and status in (Status.SKIPPED, Status.NOT_APPLICABLE):
            reason = "precondition not met" if status is Status.SKIPPED else "no such resource"
        return RequirementResult(
            requirement=Requirement(
                requirement_id=requirement_id,
                conformance_class=cls,
                keyword=keyword,
                title=title if title is not None else f"The system {name.replace('-', ' ')}",
            ),
            status=status,
            checks=checks,
            reason=reason,
        )

    def cls(
        self,
        name: str,
        requirements: list[RequirementResult],
        *,
        claimed: bool = True,
        status: Status | None = None,
    ) -> ClassResult:
        if status is None:
            status = worst([req.status for req in requirements])
        return ClassResult(name=name, claimed=claimed, status=status, requirements=tuple(requirements))

    def report(self, classes: list[ClassResult], **info: Any) -> RunReport:
        values: dict[str, Any] = {
            "suite_version": "0.1.0",
            "component": self.component,
            "version": "1.0",
            "target": "https://sut.example/api",
            "started_at": "2025-03-01T10:00:00Z",
            "finished_at": "2025-03-01T10:02:30Z",
            "seed": 1234567,
            "examples": 100,
            "environment": {"python": "3.11.7", "platform": "linux"},
            "incomplete": False,
        }
        values.update(info)
        return RunReport(info=RunInfo(**values), classes=tuple(classes))

    def unclaimed(self, name: str, *requirement_names: str) -> ClassResult:
        """A class the target does not claim: everything in it skipped."""
        return self.cls(
            name,
            [
                self.requirement(name, req, Status.SKIPPED, reason="class not claimed")
                for req in requirement_names
            ],
            claimed=False,
        )

    def certified(self) -> RunReport:
        """All MUSTs pass; one SHOULD fails (a warning, still certified)."""
        return self.report(
            [
                self.cls(
                    "core",
                    [
                        self.requirement("core", "create"),
                        self.requirement("core", "read-back"),
                        self.requirement("core", "etag", Status.FAILED, keyword="SHOULD"),
                    ],
                ),
                self.cls("lifecycle", [self.requirement("lifecycle", "transitions")]),
                self.unclaimed("attachments", "upload"),
            ]
        )

    def mixed(self) -> RunReport:
        """Every status at least once, in claimed classes, plus an unclaimed class."""
        core_skip = self.req_id("core", "pagination")
        return self.report(
            [
                self.cls(
                    "core",
                    [
                        self.requirement("core", "create"),
                        self.requirement("core", "read-back", Status.FAILED),
                        self.requirement(
                            "core",
                            "pagination",
                            Status.SKIPPED,
                            reason="fewer than 2 items",
                            checks=(self.check(core_skip, Status.SKIPPED, message="fewer than 2 items"),),
                        ),
                        self.requirement("core", "etag", Status.PASSED, keyword="SHOULD"),
                        self.requirement("core", "problem-type", Status.FAILED, keyword="MAY"),
                    ],
                ),
                self.cls(
                    "lifecycle",
                    [
                        self.requirement("lifecycle", "transitions", Status.ERROR),
                        self.requirement("lifecycle", "withdraw", Status.NOT_APPLICABLE),
                        self.requirement(
                            "lifecycle",
                            "no-checks",
                            Status.SKIPPED,
                            reason="no test implemented yet",
                            checks=(),
                        ),
                    ],
                ),
                self.unclaimed("attachments", "upload", "size-limit"),
            ]
        )

    def hostile(self) -> RunReport:
        """A target that answers with markup, control characters and terminal escapes."""
        req_id = self.req_id("core", "read-back")
        exchange = self.exchange(
            url=f"https://sut.example/api/x?q={HOSTILE}",
            response_headers={"Content-Type": "text/html", "X-Evil": HOSTILE},
            response_body=f"<html>{HOSTILE}<img src=x onerror=alert(2)>\x00\x1b[2J\x07</html>",
            curl=f"curl 'https://sut.example/api/x?q={HOSTILE}'",
        )
        check = self.check(
            req_id,
            Status.FAILED,
            message=f"body was not JSON: {HOSTILE}\x1b]0;pwned\x07",
            exchanges=(exchange,),
        )
        return self.report(
            [self.cls("core", [self.requirement("core", "read-back", Status.FAILED, checks=(check,))])]
        )

    @staticmethod
    def with_info(report: RunReport, **info: Any) -> RunReport:
        return replace(report, info=replace(report.info, **info))


@pytest.fixture
def build() -> ReportBuilder:
    return ReportBuilder()


@pytest.fixture
def mixed_report(build: ReportBuilder) -> RunReport:
    return build.mixed()


@pytest.fixture
def certified_report(build: ReportBuilder) -> RunReport:
    return build.certified()


@pytest.fixture
def hostile_report(build: ReportBuilder) -> RunReport:
    return build.hostile()


@pytest.fixture(params=["mixed", "certified", "hostile", "empty", "incomplete"])
def any_report(request: pytest.FixtureRequest, build: ReportBuilder) -> RunReport:
    """Each shape of report, for properties every writer must hold on all of them."""
    if request.param == "empty":
        return build.report([])
    if request.param == "incomplete":
        return build.with_info(build.certified(), incomplete=True)
    report: RunReport = getattr(build, request.param)()
    return report
