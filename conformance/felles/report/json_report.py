"""The JSON report: the canonical, machine-readable record of a run.

It is the form that gets signed and verified, so it must round-trip exactly
(``from_json_dict(to_json_dict(r)) == r``) and validate against the suite's own
``report.schema.json``. The derived fields (``certified``, ``summary``,
``warnings``) are written for readers' convenience and re-checked on load, so an
edited verdict is rejected rather than believed.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from felles.errors import ReportError
from felles.report.model import (
    CheckResult,
    ClassResult,
    Exchange,
    Requirement,
    RequirementResult,
    RunInfo,
    RunReport,
    Status,
)

__all__ = [
    "REPORT_SCHEMA_ID",
    "SCHEMA_PATH",
    "atomic_write",
    "dumps",
    "from_json_dict",
    "load_report_schema",
    "read_json",
    "to_json_dict",
    "validate_json_report",
    "write_json",
]

SCHEMA_PATH = Path(__file__).parent / "report.schema.json"
REPORT_SCHEMA_ID = "https://felles.example/schemas/felles-report/1.0/report.schema.json"

# JSON summary keys are camelCase; "not-applicable" is the only status that differs.
_SUMMARY_KEYS: dict[Status, str] = {
    Status.PASSED: "passed",
    Status.FAILED: "failed",
    Status.ERROR: "error",
    Status.SKIPPED: "skipped",
    Status.NOT_APPLICABLE: "notApplicable",
}

# At most this many schema violations are named in one error message.
_MAX_REPORTED_ERRORS = 5
# ... each cut to this length: jsonschema quotes the offending instance in full.
_MAX_MESSAGE_CHARS = 300


# --------------------------------------------------------------------------- writing


def to_json_dict(report: RunReport) -> dict[str, Any]:
    """The report as plain JSON data, valid against ``report.schema.json``."""
    info = report.info
    counts = report.counts()
    summary: dict[str, int] = {"total": sum(counts.values())}
    summary.update({_SUMMARY_KEYS[status]: counts[status] for status in Status})
    # vendor and product are written only when set, so reports of ordinary runs
    # keep exactly the shape they always had.
    subject = {
        key: value for key, value in (("vendor", info.vendor), ("product", info.product)) if value is not None
    }
    return {
        "$schema": REPORT_SCHEMA_ID,
        "suiteVersion": info.suite_version,
        **subject,
        "component": info.component,
        "version": info.version,
        "target": info.target,
        "startedAt": info.started_at,
        "finishedAt": info.finished_at,
        "seed": info.seed,
        "examples": info.examples,
        "environment": dict(info.environment),
        "incomplete": info.incomplete,
        "certified": report.certified,
        "summary": summary,
        "classes": [_class_to_json(cls) for cls in report.classes],
        "warnings": [req.requirement.requirement_id for req in report.warnings],
    }


def _class_to_json(cls: ClassResult) -> dict[str, Any]:
    return {
        "name": cls.name,
        "claimed": cls.claimed,
        "status": cls.status.value,
        "requirements": [_requirement_to_json(req) for req in cls.requirements],
    }


def _requirement_to_json(result: RequirementResult) -> dict[str, Any]:
    req = result.requirement
    for check in result.checks:
        # Checks are nested under their requirement, so the id is not repeated;
        # a mismatch would be silently rewritten on load, so refuse it here.
        if check.requirement_id != req.requirement_id:
            raise ReportError(
                f"check {check.check_id!r} names requirement {check.requirement_id!r} "
                f"but is filed under {req.requirement_id!r}",
                hint="this is a bug in the runner that built the report",
            )
    return {
        "id": req.requirement_id,
        "class": req.conformance_class,
        "keyword": req.keyword,
        "title": req.title,
        "status": result.status.value,
        "reason": result.reason,
        "checks": [_check_to_json(check) for check in result.checks],
    }


def _check_to_json(check: CheckResult) -> dict[str, Any]:
    return {
        "id": check.check_id,
        "status": check.status.value,
        "durationSeconds": check.duration_s,
        "message": check.message,
        "seed": check.seed,
        "exchanges": [_exchange_to_json(exchange) for exchange in check.exchanges],
    }


def _exchange_to_json(exchange: Exchange) -> dict[str, Any]:
    return {
        "method": exchange.method,
        "url": exchange.url,
        "requestHeaders": dict(exchange.request_headers),
        "requestBody": exchange.request_body,
        "statusCode": exchange.status_code,
        "responseHeaders": dict(exchange.response_headers),
        "responseBody": exchange.response_body,
        "curl": exchange.curl,
        "elapsedMs": exchange.elapsed_ms,
    }


def dumps(report: RunReport) -> str:
    """Serialise the report as UTF-8-friendly, indented JSON text."""
    return json.dumps(to_json_dict(report), indent=2, ensure_ascii=False) + "\n"


def write_json(report: RunReport, path: str | os.PathLike[str]) -> Path:
    """Write the JSON report atomically; an existing file survives any failure.

    The data is validated first: a report our own reader would reject is never published.
    """
    data = to_json_dict(report)
    validate_json_report(data)
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return atomic_write(path, text.encode("utf-8"))


def atomic_write(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` via a temp file in the same directory and ``os.replace``.

    Shared by every report writer: a crash or a full disk half-way never leaves a
    truncated report, and never destroys the previous one.
    """
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise ReportError(f"cannot write report {target}: {exc.strerror or exc}") from exc
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp creates 0600; reports are meant to be shared and published.
        tmp.chmod(0o644)
        os.replace(tmp, target)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise ReportError(f"cannot write report {target}: {exc.strerror or exc}") from exc
        raise
    return target


# --------------------------------------------------------------------------- reading


def read_json(path: str | os.PathLike[str]) -> RunReport:
    """Load and validate a JSON report file."""
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as exc:
        raise ReportError(f"cannot read report {source}: {exc.strerror or exc}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReportError(
            f"report {source} is not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from exc
    return from_json_dict(data)


def from_json_dict(data: Any) -> RunReport:
    """Rebuild a :class:`RunReport` from JSON data, after validating it.

    Raises :class:`ReportError` when the data does not match the schema or when
    its derived fields (verdict, counts, warnings) contradict its results.
    """
    validate_json_report(data)
    report = RunReport(
        info=RunInfo(
            suite_version=data["suiteVersion"],
            component=data["component"],
            version=data["version"],
            target=data["target"],
            started_at=data["startedAt"],
            finished_at=data["finishedAt"],
            seed=data["seed"],
            examples=data["examples"],
            environment=dict(data["environment"]),
            incomplete=data["incomplete"],
            vendor=data.get("vendor"),
            product=data.get("product"),
        ),
        classes=tuple(_class_from_json(cls) for cls in data["classes"]),
    )
    _check_derived_fields(data, report)
    return report


def _class_from_json(data: Mapping[str, Any]) -> ClassResult:
    return ClassResult(
        name=data["name"],
        claimed=data["claimed"],
        status=Status(data["status"]),
        requirements=tuple(_requirement_from_json(req) for req in data["requirements"]),
    )


def _requirement_from_json(data: Mapping[str, Any]) -> RequirementResult:
    requirement_id: str = data["id"]
    return RequirementResult(
        requirement=Requirement(
            requirement_id=requirement_id,
            conformance_class=data["class"],
            keyword=data["keyword"],
            title=data["title"],
        ),
        status=Status(data["status"]),
        checks=tuple(_check_from_json(check, requirement_id) for check in data["checks"]),
        reason=data["reason"],
    )


def _check_from_json(data: Mapping[str, Any], requirement_id: str) -> CheckResult:
    return CheckResult(
        check_id=data["id"],
        requirement_id=requirement_id,
        status=Status(data["status"]),
        duration_s=data["durationSeconds"],
        message=data["message"],
        exchanges=tuple(_exchange_from_json(exchange) for exchange in data["exchanges"]),
        seed=data["seed"],
    )


def _exchange_from_json(data: Mapping[str, Any]) -> Exchange:
    return Exchange(
        method=data["method"],
        url=data["url"],
        request_headers=dict(data["requestHeaders"]),
        request_body=data["requestBody"],
        status_code=data["statusCode"],
        response_headers=dict(data["responseHeaders"]),
        response_body=data["responseBody"],
        curl=data["curl"],
        elapsed_ms=data["elapsedMs"],
    )


def _check_derived_fields(data: Mapping[str, Any], report: RunReport) -> None:
    """Reject a report whose verdict, counts or warnings were edited to disagree."""
    expected = to_json_dict(report)
    for key in ("certified", "summary", "warnings"):
        if data[key] != expected[key]:
            raise ReportError(
                f"report field /{key} is {json.dumps(data[key])} but its results give "
                f"{json.dumps(expected[key])}",
                hint="the report was edited or produced by a broken writer; do not trust it",
            )


# --------------------------------------------------------------------------- validation


@cache
def load_report_schema() -> dict[str, Any]:
    """The report schema shipped inside the package (read once)."""
    try:
        schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ReportError(f"the report schema {SCHEMA_PATH} cannot be loaded: {exc}") from exc
    return schema


@cache
def _validator() -> Any:
    return Draft202012Validator(load_report_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER)


def _json_pointer(path: Any) -> str:
    """RFC 6901 pointer for a jsonschema error path ("" is the whole document)."""
    parts = [str(part).replace("~", "~0").replace("/", "~1") for part in path]
    return "".join(f"/{part}" for part in parts)


def _shorten(message: str) -> str:
    if len(message) <= _MAX_MESSAGE_CHARS:
        return message
    return message[: _MAX_MESSAGE_CHARS - 3] + "..."


def validate_json_report(data: Any) -> None:
    """Raise :class:`ReportError` naming the JSON pointer of each schema violation."""
    errors = sorted(_validator().iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    if not errors:
        return
    lines = [
        f"at {_json_pointer(error.absolute_path) or '/ (document root)'}: {_shorten(error.message)}"
        for error in errors[:_MAX_REPORTED_ERRORS]
    ]
    more = len(errors) - _MAX_REPORTED_ERRORS
    if more > 0:
        lines.append(f"... and {more} more")
    first = _json_pointer(errors[0].absolute_path) or "/"
    raise ReportError(
        f"report is not valid against {REPORT_SCHEMA_ID} (first problem at {first}): " + "; ".join(lines)
    )
