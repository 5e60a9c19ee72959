"""JUnit XML, so that any CI (GitLab, Jenkins, GitHub, Azure) shows results natively.

One ``<testsuite>`` per conformance class, one ``<testcase>`` per check with
``classname`` = requirement id and ``name`` = check id. The status split of the
model survives the format: ``failed`` becomes ``<failure>`` (the vendor's
problem), ``error`` becomes ``<error>`` (ours), ``skipped`` and
``not-applicable`` become ``<skipped>`` with the reason; nothing that did not
pass is ever written as a bare passing test case.
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from felles.report.json_report import atomic_write
from felles.report.model import CheckResult, ClassResult, RequirementResult, RunReport, Status
from felles.report.summary import format_check_failure

__all__ = ["render_junit", "write_junit"]

# Characters XML 1.0 cannot carry at all, even escaped; a hostile body may hold them.
_XML_INVALID = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_MESSAGE_LIMIT = 300


def _xml_text(text: str) -> str:
    """Make untrusted text storable in XML 1.0 (ElementTree escapes the rest)."""
    return _XML_INVALID.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _short(text: str) -> str:
    """A one-line ``message`` attribute; the full text goes in the element body."""
    first = text.strip().splitlines()[0] if text.strip() else ""
    if len(first) > _MESSAGE_LIMIT:
        first = first[: _MESSAGE_LIMIT - 3] + "..."
    return _xml_text(first)


def _seconds(value: float) -> str:
    return f"{max(value, 0.0):.3f}"


@dataclass
class _Tally:
    tests: int = 0
    failures: int = 0
    errors: int = 0
    skipped: int = 0
    time: float = 0.0

    def add(self, status: Status, duration: float) -> None:
        self.tests += 1
        self.time += duration
        if status is Status.FAILED:
            self.failures += 1
        elif status is Status.ERROR:
            self.errors += 1
        elif status in (Status.SKIPPED, Status.NOT_APPLICABLE):
            self.skipped += 1

    def merge(self, other: _Tally) -> None:
        self.tests += other.tests
        self.failures += other.failures
        self.errors += other.errors
        self.skipped += other.skipped
        self.time += other.time

    def apply(self, element: ET.Element) -> None:
        element.set("tests", str(self.tests))
        element.set("failures", str(self.failures))
        element.set("errors", str(self.errors))
        element.set("skipped", str(self.skipped))
        element.set("time", _seconds(self.time))


def _outcome(case: ET.Element, status: Status, message: str, details: str) -> None:
    if status is Status.FAILED:
        node = ET.SubElement(case, "failure", message=_short(message), type="conformance")
        node.text = _xml_text(details)
    elif status is Status.ERROR:
        node = ET.SubElement(case, "error", message=_short(message), type="suite-error")
        node.text = _xml_text(details)
    elif status is Status.SKIPPED:
        ET.SubElement(case, "skipped", message=_short(message or "skipped"))
    elif status is Status.NOT_APPLICABLE:
        reason = f"not applicable: {message}" if message else "not applicable"
        ET.SubElement(case, "skipped", message=_short(reason))


def _check_case(suite: ET.Element, result: RequirementResult, check: CheckResult) -> None:
    case = ET.SubElement(
        suite,
        "testcase",
        classname=result.requirement.requirement_id,
        name=_xml_text(check.check_id),
        time=_seconds(check.duration_s),
    )
    message = check.message or result.reason
    details = format_check_failure(check, requirement=result.requirement)
    _outcome(case, check.status, message, details)


def _requirement_case(suite: ET.Element, result: RequirementResult) -> None:
    """A requirement with no checks still shows up: a missing MUST must not vanish."""
    req = result.requirement
    case = ET.SubElement(
        suite, "testcase", classname=req.requirement_id, name="(requirement)", time=_seconds(0.0)
    )
    details = f"{result.status.value.upper()} {req.requirement_id}\n  {result.reason}"
    _outcome(case, result.status, result.reason or result.status.value, details)


def _iso_timestamp(value: str) -> str:
    """JUnit wants a local ISO timestamp without zone; fall back to the raw value."""
    try:
        return datetime.fromisoformat(value).replace(tzinfo=None).isoformat(timespec="seconds")
    except ValueError:
        return value


def _suite(report: RunReport, cls: ClassResult) -> tuple[ET.Element, _Tally]:
    info = report.info
    suite = ET.Element(
        "testsuite",
        name=f"{info.component}@{info.version} {cls.name}",
        timestamp=_iso_timestamp(info.started_at),
        hostname=_xml_text(info.target),
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("component", info.component),
        ("version", info.version),
        ("conformanceClass", cls.name),
        ("claimed", "true" if cls.claimed else "false"),
        ("classStatus", cls.status.value),
        ("target", info.target),
        ("seed", str(info.seed)),
        ("examples", str(info.examples)),
        ("suiteVersion", info.suite_version),
    ):
        ET.SubElement(properties, "property", name=name, value=_xml_text(value))
    tally = _Tally()
    for result in cls.requirements:
        if result.checks:
            for check in result.checks:
                _check_case(suite, result, check)
                tally.add(check.status, check.duration_s)
        else:
            _requirement_case(suite, result)
            tally.add(result.status, 0.0)
    tally.apply(suite)
    return suite, tally


def render_junit(report: RunReport) -> bytes:
    """The JUnit XML document as UTF-8 bytes, with an XML declaration."""
    info = report.info
    root = ET.Element("testsuites", name=f"felles {info.component}@{info.version}")
    total = _Tally()
    for cls in report.classes:
        suite, tally = _suite(report, cls)
        root.append(suite)
        total.merge(tally)
    total.apply(root)
    ET.indent(root)
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document + b"\n"


def write_junit(report: RunReport, path: str | os.PathLike[str]) -> Path:
    """Write JUnit XML atomically; an existing file survives any failure."""
    return atomic_write(path, render_junit(report))
