"""The terminal summary: grouped by class, honest counts, reproducible failures."""

from __future__ import annotations

from typing import Any

import pytest

from felles.report.model import RunReport, Status
from felles.report.summary import format_check_failure, render_summary, sanitize_text, truncate


def _lines(report: RunReport, **kwargs: Any) -> list[str]:
    return render_summary(report, **kwargs).splitlines()


def _index(lines: list[str], fragment: str) -> int:
    matches = [i for i, line in enumerate(lines) if fragment in line]
    assert len(matches) >= 1, f"{fragment!r} not in summary"
    return matches[0]


def test_results_are_grouped_by_class(mixed_report: RunReport) -> None:
    lines = _lines(mixed_report)
    core = _index(lines, "core [claimed]: FAILED")
    lifecycle = _index(lines, "lifecycle [claimed]: ERROR")
    attachments = _index(lines, "attachments [not claimed]")
    assert core < lifecycle < attachments
    for name in ("create", "read-back", "pagination", "etag", "problem-type"):
        assert core < _index(lines, f"/req/application/core/{name}") < lifecycle
    for name in ("transitions", "withdraw", "no-checks"):
        assert lifecycle < _index(lines, f"/req/application/lifecycle/{name}") < attachments


def test_requirement_lines_show_status_keyword_and_id(mixed_report: RunReport) -> None:
    lines = _lines(mixed_report)
    assert "  PASSED   MUST    /req/application/core/create" in lines
    assert "  FAILED   MUST    /req/application/core/read-back" in lines
    assert "  PASSED   SHOULD  /req/application/core/etag" in lines
    assert "  SKIPPED  MUST    /req/application/core/pagination  (fewer than 2 items)" in lines
    assert "  N/A      MUST    /req/application/lifecycle/withdraw  (no such resource)" in lines


def test_unclaimed_classes_are_not_listed_requirement_by_requirement(
    mixed_report: RunReport,
) -> None:
    summary = render_summary(mixed_report)
    assert "attachments [not claimed]: SKIPPED (2 requirements not counted)" in summary
    assert "/req/application/attachments/upload" not in summary


def test_counts_and_verdict(mixed_report: RunReport) -> None:
    summary = render_summary(mixed_report)
    assert (
        "Requirements of claimed classes: 8 "
        "(2 passed, 2 failed, 1 error, 2 skipped, 1 not applicable)" in summary
    )
    assert "NOT CERTIFIED: 5 MUST requirement(s) did not pass" in summary
    assert "Warnings (1 SHOULD/MAY not passed): /req/application/core/problem-type" in summary


def test_certified_verdict_with_warning(certified_report: RunReport) -> None:
    summary = render_summary(certified_report)
    assert "CERTIFIED: every MUST requirement of every claimed class passed" in summary
    assert "NOT CERTIFIED" not in summary
    assert "/req/application/core/etag" in summary.split("Warnings", 1)[1]


def test_incomplete_and_unclaimed_verdicts(build: Any, certified_report: RunReport) -> None:
    incomplete = render_summary(build.with_info(certified_report, incomplete=True))
    assert "NOT CERTIFIED: the run did not complete" in incomplete
    nothing = render_summary(build.report([build.unclaimed("core", "create")]))
    assert "no conformance class is claimed" in nothing


def test_each_failure_shows_reproduction(mixed_report: RunReport) -> None:
    summary = render_summary(mixed_report)
    details = summary.split("Failures and errors (3):", 1)[1]
    assert "FAILED /req/application/core/read-back [MUST]" in details
    assert "expected 201 Created, got 500" in details
    assert "curl -X POST 'https://sut.example/api/applications'" in details
    assert "seed: 424242" in details
    assert "ERROR /req/application/lifecycle/transitions" in details
    assert "not of the system under test" in details


def test_format_check_failure(build: Any) -> None:
    req_id = build.req_id("core", "read-back")
    check = build.check(req_id, Status.FAILED, seed=7)
    block = format_check_failure(check)
    assert block.splitlines()[0] == f"FAILED {req_id}"
    assert "  check: test_read-back" in block
    assert "  seed: 7" in block
    assert "  response: 500 (text/plain)" in block
    assert "    curl -X POST" in block


def test_format_check_failure_without_seed_or_response(build: Any) -> None:
    req_id = build.req_id("core", "timeout")
    exchanges = (
        build.exchange(status_code=None, response_body=None),
        build.exchange(method="GET"),
    )
    block = format_check_failure(build.check(req_id, Status.FAILED, seed=None, exchanges=exchanges))
    assert "seed: none (deterministic check)" in block
    assert "request 1 of 2: POST" in block
    assert "request 2 of 2: GET" in block
    assert "response: none" in block


def test_long_bodies_are_truncated(build: Any) -> None:
    exchange = build.exchange(response_body="y" * 5000)
    block = format_check_failure(build.check(build.req_id("core", "x"), Status.FAILED, exchanges=(exchange,)))
    assert "y" * 1001 not in block
    assert "4000 more characters not shown" in block


def test_no_ansi_unless_asked(mixed_report: RunReport) -> None:
    assert "\x1b" not in render_summary(mixed_report)
    coloured = render_summary(mixed_report, color=True)
    assert "\x1b[31mFAILED" in coloured
    assert "\x1b[32m" in coloured


def test_hostile_terminal_escapes_are_neutralised(hostile_report: RunReport) -> None:
    summary = render_summary(hostile_report)
    assert "\x1b" not in summary
    assert "\x07" not in summary
    assert "\x00" not in summary
    assert "\\x1b]0;pwned\\x07" in summary
    # Even with colour on, the only escapes are our own colour codes.
    coloured = render_summary(hostile_report, color=True)
    assert "\x1b]" not in coloured
    assert "\x1b[2J" not in coloured


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("plain", "plain"),
        ("tab\tand\nnewline", "tab\tand\nnewline"),
        ("crlf\r\nline", "crlf\nline"),
        ("bell\x07", "bell\\x07"),
        ("csi\x9b", "csi\\x9b"),
        ("del\x7f", "del\\x7f"),
        ("ø æ å", "ø æ å"),
    ],
)
def test_sanitize_text(raw: str, shown: str) -> None:
    assert sanitize_text(raw) == shown


def test_truncate() -> None:
    assert truncate("abc", 3) == "abc"
    assert truncate("abcdef", 3) == "abc\n... (3 more characters not shown)"


def test_summary_ends_with_newline(any_report: RunReport) -> None:
    assert render_summary(any_report).endswith("\n")
