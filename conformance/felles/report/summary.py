"""The plain-text summary the CLI prints at the end of a run.

Written for a vendor developer reading CI logs: grouped by conformance class,
one line per requirement, then a verdict, then every failure with what it takes
to reproduce it (requirement id, message, curl command, seed).

Everything that came from the system under test is untrusted: control
characters are shown escaped, so a hostile response body cannot drive the
reader's terminal with escape sequences.
"""

from __future__ import annotations

import re

from felles.report.model import (
    CheckResult,
    ClassResult,
    Exchange,
    Requirement,
    RequirementResult,
    RunReport,
    Status,
)

__all__ = [
    "STATUS_LABELS",
    "format_check_failure",
    "render_summary",
    "sanitize_text",
    "truncate",
]

STATUS_LABELS: dict[Status, str] = {
    Status.PASSED: "PASSED",
    Status.FAILED: "FAILED",
    Status.ERROR: "ERROR",
    Status.SKIPPED: "SKIPPED",
    Status.NOT_APPLICABLE: "N/A",
}

_ANSI: dict[Status, str] = {
    Status.PASSED: "\x1b[32m",  # green
    Status.FAILED: "\x1b[31m",  # red
    Status.ERROR: "\x1b[35m",  # magenta: the suite's fault, not the vendor's
    Status.SKIPPED: "\x1b[33m",  # yellow
    Status.NOT_APPLICABLE: "\x1b[2m",  # dim
}
_BOLD = "\x1b[1m"
_RESET = "\x1b[0m"

# Response bodies can be megabytes; a log needs the start of it.
_BODY_LIMIT = 1000
_LABEL_WIDTH = max(len(label) for label in STATUS_LABELS.values())

# C0/C1 controls except tab and newline, plus DEL; also lone surrogates.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def sanitize_text(text: str) -> str:
    """Show control characters as ``\\xNN`` escapes so untrusted text stays inert."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text.replace("\r\n", "\n"))


def truncate(text: str, limit: int) -> str:
    """Cut ``text`` to ``limit`` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}\n... ({len(text) - limit} more characters not shown)"


def _paint(text: str, status: Status, color: bool) -> str:
    return f"{_ANSI[status]}{text}{_RESET}" if color else text


def _indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line if line else line for line in text.splitlines())


def _format_exchange(exchange: Exchange, number: int, total: int) -> list[str]:
    heading = "request" if total == 1 else f"request {number} of {total}"
    lines = [f"  {heading}: {sanitize_text(exchange.method)} {sanitize_text(exchange.url)}"]
    if exchange.request_body:
        lines.append(_indent(sanitize_text(truncate(exchange.request_body, _BODY_LIMIT))))
    if exchange.status_code is None:
        lines.append("  response: none (no answer from the system under test)")
    else:
        content_type = exchange.response_headers.get(
            "content-type", exchange.response_headers.get("Content-Type", "")
        )
        suffix = f" ({sanitize_text(content_type)})" if content_type else ""
        lines.append(f"  response: {exchange.status_code}{suffix}")
        if exchange.response_body:
            lines.append(_indent(sanitize_text(truncate(exchange.response_body, _BODY_LIMIT))))
    lines.append("  reproduce with:")
    lines.append(_indent(sanitize_text(exchange.curl)))
    return lines


def format_check_failure(
    check: CheckResult, *, requirement: Requirement | None = None, color: bool = False
) -> str:
    """One failure block: requirement, check, message, exchanges with curl, seed.

    Also the body of JUnit ``<failure>``/``<error>`` elements, so CI and terminal
    show the same reproduction. Pass ``requirement`` to name its keyword and title.
    """
    label = STATUS_LABELS[check.status]
    if color:
        label = f"{_BOLD}{_paint(label, check.status, color)}{_RESET}"
    head = f"{label} {check.requirement_id}"
    if requirement is not None:
        head += f" [{requirement.keyword}]"
        if requirement.title:
            head += f": {sanitize_text(requirement.title)}"
    lines = [head, f"  check: {sanitize_text(check.check_id)}"]
    if check.status is Status.ERROR:
        lines.append("  (an error of the test suite or environment, not of the system under test)")
    if check.message:
        lines.append(_indent(sanitize_text(check.message), "  "))
    seed = str(check.seed) if check.seed is not None else "none (deterministic check)"
    lines.append(f"  seed: {seed}")
    for number, exchange in enumerate(check.exchanges, start=1):
        lines.extend(_format_exchange(exchange, number, len(check.exchanges)))
    return "\n".join(lines)


def _requirement_line(result: RequirementResult, color: bool) -> str:
    label = STATUS_LABELS[result.status]
    padded = _paint(label.ljust(_LABEL_WIDTH), result.status, color)
    line = f"  {padded}  {result.requirement.keyword:<6}  {result.requirement.requirement_id}"
    if result.reason and result.status is not Status.PASSED:
        line += f"  ({sanitize_text(result.reason)})"
    return line


def _class_lines(cls: ClassResult, color: bool) -> list[str]:
    claimed = "claimed" if cls.claimed else "not claimed"
    header = f"{cls.name} [{claimed}]: {_paint(STATUS_LABELS[cls.status], cls.status, color)}"
    if not cls.claimed:
        count = len(cls.requirements)
        return [f"{header} ({count} requirement{'' if count == 1 else 's'} not counted)"]
    return [header, *(_requirement_line(req, color) for req in cls.requirements)]


def _counts_line(report: RunReport) -> str:
    counts = report.counts()
    parts = [
        f"{counts[status]} {STATUS_LABELS[status].lower()}"
        for status in (Status.PASSED, Status.FAILED, Status.ERROR, Status.SKIPPED)
    ]
    parts.append(f"{counts[Status.NOT_APPLICABLE]} not applicable")
    total = sum(counts.values())
    return f"Requirements of claimed classes: {total} ({', '.join(parts)})"


def _verdict_line(report: RunReport, color: bool) -> str:
    if report.certified:
        text = "CERTIFIED: every MUST requirement of every claimed class passed"
        return _paint(text, Status.PASSED, color)
    reasons = []
    if report.info.incomplete:
        reasons.append("the run did not complete")
    if not any(cls.claimed for cls in report.classes):
        reasons.append("no conformance class is claimed")
    not_passed = [
        req
        for cls in report.classes
        if cls.claimed
        for req in cls.requirements
        if req.requirement.keyword == "MUST" and req.status is not Status.PASSED
    ]
    if not_passed:
        by_status = {status: sum(1 for req in not_passed if req.status is status) for status in Status}
        detail = ", ".join(
            f"{count} {STATUS_LABELS[status].lower()}" for status, count in by_status.items() if count
        )
        reasons.append(f"{len(not_passed)} MUST requirement(s) did not pass ({detail})")
    text = "NOT CERTIFIED: " + "; ".join(reasons)
    return _paint(text, Status.FAILED, color)


def render_summary(report: RunReport, *, color: bool = False) -> str:
    """The end-of-run text: per-class results, counts, verdict, failure details."""
    info = report.info
    lines = [
        f"Felles conformance: {info.component}@{info.version} against {sanitize_text(info.target)}",
        f"suite {info.suite_version}, seed {info.seed}, {info.examples} examples, "
        f"started {info.started_at}, finished {info.finished_at}",
        "",
    ]
    for cls in report.classes:
        lines.extend(_class_lines(cls, color))
    lines.append("")
    lines.append(_counts_line(report))
    warnings = report.warnings
    if warnings:
        ids = ", ".join(req.requirement.requirement_id for req in warnings)
        lines.append(f"Warnings ({len(warnings)} SHOULD/MAY not passed): {ids}")
    lines.append(_verdict_line(report, color))

    problems = [
        (req.requirement, check)
        for cls in report.classes
        if cls.claimed
        for req in cls.requirements
        for check in req.checks
        if check.status in (Status.FAILED, Status.ERROR)
    ]
    if problems:
        lines.append("")
        lines.append(f"Failures and errors ({len(problems)}):")
        for requirement, check in problems:
            lines.append("")
            lines.append(format_check_failure(check, requirement=requirement, color=color))
    return "\n".join(lines) + "\n"
