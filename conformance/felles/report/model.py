"""The result model of one conformance run: what every report writer renders.

Statuses are kept strictly apart (DESIGN.md): ``failed`` blames the system under
test, ``error`` blames the suite or the environment, ``skipped`` is never a pass.
The model is plain data so that JSON, HTML and JUnit writers cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Status(StrEnum):
    """Outcome of one check, one requirement or one conformance class."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    SKIPPED = "skipped"
    NOT_APPLICABLE = "not-applicable"


# Worst first: the status of a group is the worst status of its members.
_SEVERITY = [Status.ERROR, Status.FAILED, Status.SKIPPED, Status.PASSED, Status.NOT_APPLICABLE]


def worst(statuses: list[Status]) -> Status:
    """Aggregate member statuses; an empty group is not applicable."""
    for candidate in _SEVERITY:
        if candidate in statuses:
            return candidate
    return Status.NOT_APPLICABLE


@dataclass(frozen=True)
class Exchange:
    """One HTTP request/response pair, already redacted (no secrets)."""

    method: str
    url: str
    request_headers: dict[str, str]
    request_body: str | None
    status_code: int | None
    response_headers: dict[str, str]
    response_body: str | None
    curl: str
    elapsed_ms: float | None = None


@dataclass(frozen=True)
class CheckResult:
    """One conformance check (one pytest item) tied to one requirement."""

    check_id: str
    requirement_id: str
    status: Status
    duration_s: float
    message: str = ""
    exchanges: tuple[Exchange, ...] = ()
    seed: int | None = None


@dataclass(frozen=True)
class Requirement:
    """A numbered requirement of the spec, as the report needs it."""

    requirement_id: str
    conformance_class: str
    keyword: str  # MUST, SHOULD or MAY (RFC 2119)
    title: str


@dataclass(frozen=True)
class RequirementResult:
    requirement: Requirement
    status: Status
    checks: tuple[CheckResult, ...]
    reason: str = ""


@dataclass(frozen=True)
class ClassResult:
    """A conformance class: claimed by the target or not, and how it fared."""

    name: str
    claimed: bool
    status: Status
    requirements: tuple[RequirementResult, ...]


@dataclass(frozen=True)
class RunInfo:
    suite_version: str
    component: str
    version: str
    target: str
    started_at: str  # RFC 3339
    finished_at: str  # RFC 3339
    seed: int
    examples: int
    environment: dict[str, str] = field(default_factory=dict)
    incomplete: bool = False
    # Who the certificate is for (``felles test --certify --vendor --product``);
    # None in ordinary runs. Part of the signed report, shown in the register.
    vendor: str | None = None
    product: str | None = None


@dataclass(frozen=True)
class RunReport:
    info: RunInfo
    classes: tuple[ClassResult, ...]

    @property
    def requirements(self) -> list[RequirementResult]:
        return [r for c in self.classes for r in c.requirements]

    def counts(self) -> dict[Status, int]:
        """Requirement counts per status, over claimed classes only."""
        totals = dict.fromkeys(Status, 0)
        for cls in self.classes:
            if cls.claimed:
                for req in cls.requirements:
                    totals[req.status] += 1
        return totals

    @property
    def certified(self) -> bool:
        """Every MUST of every claimed class passed, and the run completed."""
        if self.info.incomplete or not any(c.claimed for c in self.classes):
            return False
        return all(
            req.status is Status.PASSED
            for cls in self.classes
            if cls.claimed
            for req in cls.requirements
            if req.requirement.keyword == "MUST"
        )

    @property
    def warnings(self) -> list[RequirementResult]:
        """SHOULD/MAY requirements of claimed classes that did not pass."""
        return [
            req
            for cls in self.classes
            if cls.claimed
            for req in cls.requirements
            if req.requirement.keyword != "MUST" and req.status is not Status.PASSED
        ]
