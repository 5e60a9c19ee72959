"""How check results fold into requirement and class results."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from felles.report.model import Status
from felles.runner.config import RunConfig
from felles.runner.session import (
    Declaration,
    build_report,
    choose_classes,
    exit_code,
    retried_summary,
    stop_reason,
)
from felles.standard import default_catalogue

COMPONENT = default_catalogue().get("application@1.0")
ALL = tuple(COMPONENT.conformance_classes)


def _config(**changes: Any) -> RunConfig:
    values: dict[str, Any] = {
        "base_url": "http://sut.example",
        "component": COMPONENT.key,
        "classes_to_test": ALL,
        "claimed_classes": ALL,
        "seed": 1,
    }
    values.update(changes)
    return RunConfig(**values)


def _result(requirement: str, status: str, **extra: Any) -> dict[str, Any]:
    return {
        "checkId": "check_x",
        "requirementId": requirement,
        "status": status,
        "durationSeconds": 0.1,
        **extra,
    }


def _all_passed() -> list[dict[str, Any]]:
    return [_result(r.requirement_id, "passed") for r in COMPONENT.requirements]


def _report(results: list[dict[str, Any]], **config: Any) -> Any:
    return build_report(
        _config(**config), COMPONENT, results, started_at=datetime.now(UTC), declaration=Declaration(ALL)
    )


def test_all_passed_is_certified() -> None:
    report = _report(_all_passed())
    assert report.certified
    assert exit_code(report, _all_passed()) == 0


def test_requirement_without_check_is_an_error_not_a_pass() -> None:
    results = _all_passed()[1:]
    report = _report(results)
    first = COMPONENT.requirements[0].requirement_id
    assert {r.requirement.requirement_id: r.status for r in report.requirements}[first] is Status.ERROR
    assert not report.certified


def test_one_failed_check_fails_its_requirement_and_class() -> None:
    results = _all_passed()
    target = "/req/application/lifecycle/if-match"
    results.append(_result(target, "failed", message="boom"))
    report = _report(results)
    statuses = {r.requirement.requirement_id: r.status for r in report.requirements}
    assert statuses[target] is Status.FAILED
    assert {c.name: c.status for c in report.classes}["lifecycle"] is Status.FAILED
    assert exit_code(report, results) == 1


def test_skipped_is_never_passed() -> None:
    results = [
        r if r["requirementId"] != "/req/application/security/read-scope" else {**r, "status": "skipped"}
        for r in _all_passed()
    ]
    report = _report(results)
    assert not report.certified


def test_unclaimed_class_is_skipped_and_does_not_block() -> None:
    results = [r for r in _all_passed() if "/security/" not in r["requirementId"]]
    report = _report(results, classes_to_test=("core", "lifecycle"), claimed_classes=("core", "lifecycle"))
    security = next(c for c in report.classes if c.name == "security")
    assert security.status is Status.SKIPPED
    assert not security.claimed
    assert report.certified


def test_unreachable_errors_exit_3_but_failures_win() -> None:
    results = [
        r
        if "/core/create" not in r["requirementId"]
        else {**r, "status": "error", "errorKind": "unreachable"}
        for r in _all_passed()
    ]
    report = _report(results)
    assert exit_code(report, results) == 3
    results.append(_result("/req/application/core/location", "failed"))
    assert exit_code(_report(results), results) == 1


def test_a_stopped_run_is_incomplete_and_says_what_was_not_run() -> None:
    ran = [r for r in _all_passed() if "/core/" in r["requirementId"]]
    report = build_report(
        _config(),
        COMPONENT,
        ran,
        started_at=datetime.now(UTC),
        declaration=Declaration(ALL),
        stopped="the run was interrupted (Ctrl-C)",
    )
    assert report.info.incomplete
    assert not report.certified
    lifecycle = next(c for c in report.classes if c.name == "lifecycle")
    assert {r.status for r in lifecycle.requirements} == {Status.SKIPPED}
    assert lifecycle.requirements[0].reason == "not run: the run was interrupted (Ctrl-C)"
    assert report.info.environment["stopped"] == "the run was interrupted (Ctrl-C)"


def test_deadline_and_target_down_stops_exit_3_unless_something_failed() -> None:
    results = [
        r if "/core/" in r["requirementId"] else {**r, "status": "skipped", "stoppedBy": "deadline"}
        for r in _all_passed()
    ]
    config = _config(deadline_s=30.0)
    stopped = stop_reason(config, results, interrupted=False)
    assert stopped.startswith("the --deadline of 30 s was reached")
    report = build_report(
        config,
        COMPONENT,
        results,
        started_at=datetime.now(UTC),
        declaration=Declaration(ALL),
        stopped=stopped,
    )
    assert report.info.incomplete
    assert exit_code(report, results) == 3
    results.append(_result("/req/application/core/location", "failed"))
    assert exit_code(_report(results), results) == 1
    down = [
        {**r, "status": "error", "errorKind": "unreachable", "stoppedBy": "unreachable"} for r in ran_core()
    ]
    assert stop_reason(config, down, interrupted=False).startswith("the target stopped answering")
    assert stop_reason(config, down, interrupted=True) == "the run was interrupted (Ctrl-C)"
    assert stop_reason(config, _all_passed(), interrupted=False) == ""


def ran_core() -> list[dict[str, Any]]:
    return [r for r in _all_passed() if "/core/" in r["requirementId"]]


def test_retries_are_summed_into_the_environment() -> None:
    results = _all_passed()
    results[0] = {**results[0], "retried": {"429": 2}, "retryWaitSeconds": 2.0}
    results[1] = {**results[1], "retried": {"429": 1, "503": 1}, "retryWaitSeconds": 1.5}
    environment = _report(results, rate=5.0).info.environment
    assert environment["retriedResponses"] == "3 x 429, 1 x 503"
    assert environment["retryWaitSeconds"] == "3.5"
    assert environment["rateLimit"] == "5 requests/s"
    assert retried_summary(results) == "3 x 429, 1 x 503 retried after waiting 3.5 s in all"


def test_class_choice() -> None:
    assert choose_classes(COMPONENT, ["core"], Declaration(ALL)) == (("core",), ("core",))
    assert choose_classes(COMPONENT, [], Declaration(("core", "security"))) == (("core", "security"),) * 2
    assert choose_classes(COMPONENT, [], Declaration(None)) == (ALL, ())
