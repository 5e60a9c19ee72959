"""One conformance run end to end: probe, run the checks under pytest, build the report.

This module owns the run's life cycle; the CLI only parses arguments and
maps errors to exit codes, and the plugin only runs inside pytest.
"""

from __future__ import annotations

import json
import os
import platform
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

import felles
from felles.errors import FellesError, TargetUnreachableError, UsageError
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
from felles.report.summary import sanitize_text
from felles.runner import plugin
from felles.runner.client import ApiClient, Recorder, TargetGuard, http_client
from felles.runner.config import DEFAULT_MAX_BODY_BYTES, RunConfig
from felles.runner.failures import ConformanceFailure, RunStopped, UnsafeLink
from felles.runner.interrupts import reliable_sigint
from felles.runner.secrets import redact, register_secret
from felles.standard import Component

CHECKS_DIR = Path(__file__).resolve().parent / "checks"
RUNNER_INI = Path(__file__).resolve().parent / "runner.ini"


class RunInterruptedError(FellesError):
    """Ctrl-C: the run stopped; a partial report (marked incomplete) has been written."""

    exit_code = 130


@contextmanager
def sigint_deferred() -> Iterator[list[int]]:
    """Hold Ctrl-C back while reports are written; the list says whether it came.

    A report cut in half by a second Ctrl-C would be worse than none.
    """
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return
    previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    try:
        yield received
    finally:
        signal.signal(signal.SIGINT, previous)


@dataclass(frozen=True)
class Declaration:
    """What the target says it implements at GET /conformance (None: said nothing usable)."""

    classes: tuple[str, ...] | None
    problem: str = ""


def check_module(component: Component) -> Path:
    path = CHECKS_DIR / f"{component.name.replace('-', '_')}.py"
    if not path.is_file():
        raise UsageError(f"the suite has no checks for {component.key} yet")
    return path


def validate_base_url(url: str) -> str:
    example = "for example https://kommune.example/felles/application/1.0"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UsageError(f"{url!r} is not a valid URL: {exc}", hint=example) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"{url!r} is not an http(s) URL", hint=example)
    if port == 0:
        raise UsageError(f"{url!r}: port 0 is not a port a system can listen on", hint=example)
    if parts.query or parts.fragment:
        raise UsageError(f"{url!r}: a base URL has no query or fragment", hint=example)
    if parts.password:
        register_secret(parts.password)  # user:password@host: masked like a token
    return url.rstrip("/")


def probe(
    base_url: str,
    component: Component,
    *,
    timeout_s: float,
    verify_tls: bool,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    deadline_at: float | None = None,
    deadline_s: float | None = None,
) -> Declaration:
    """Reach the target once before running anything; unreachable is exit 3, not a failure.

    Goes through the same bounded client as the checks: capped body, one time
    budget per request, 429/503 retried, redirects not followed.
    """
    guard = TargetGuard(timeout_s=timeout_s, deadline_at=deadline_at, deadline_s=deadline_s)
    url = f"{base_url}/conformance"
    with http_client(timeout_s=timeout_s, verify_tls=verify_tls) as http:
        client = ApiClient(
            base_url, http=http, token=None, recorder=Recorder(), max_body_bytes=max_body_bytes, guard=guard
        )
        try:
            response = client.get("/conformance", authenticated=False)
        except RunStopped as exc:
            raise TargetUnreachableError(
                f"cannot reach {base_url}: {_one_line(exc.reason)}", hint=exc.hint
            ) from None
        except (ConformanceFailure, UnsafeLink) as exc:  # e.g. a body that cannot be decoded
            return Declaration(None, f"GET /conformance: {exc}")
    if response.is_redirect:
        location = _one_line(str(response.headers.get("location", "")))
        raise TargetUnreachableError(
            f"GET {url} answered {response.status_code}, a redirect to {location or 'nowhere'}; "
            "the suite does not follow redirects (and never sends credentials to another host)",
            hint="give the final URL as BASE_URL" if location else None,
        )
    if response.status_code != 200:
        return Declaration(None, f"GET /conformance answered {response.status_code}{response.explain()}")
    try:
        body = response.json()
        entries = [
            entry
            for entry in body["components"]
            if entry.get("name") == component.name and entry.get("version") == component.version
        ]
        classes = tuple(str(c) for entry in entries for c in entry.get("classes", []))
    except (ConformanceFailure, ValueError, KeyError, TypeError, AttributeError):
        return Declaration(None, "GET /conformance did not return a valid declaration")
    return Declaration(classes)


def _one_line(text: str, limit: int = 300) -> str:
    """Untrusted text for a one-line message: control characters escaped, cut short."""
    text = sanitize_text(text).replace("\n", " ")
    return text if len(text) <= limit else text[:limit] + "..."


def choose_classes(
    component: Component, requested: list[str], declaration: Declaration
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(classes to test, classes claimed): --class wins, else what the target declares."""
    known = component.conformance_classes
    unknown = [c for c in requested if c not in known]
    if unknown:
        raise UsageError(
            f"{component.key} has no conformance class {', '.join(unknown)}",
            hint="known: " + ", ".join(known),
        )
    if requested:
        return tuple(requested), tuple(requested)
    if declaration.classes:
        claimed = tuple(c for c in known if c in declaration.classes)
        return claimed, claimed
    return tuple(known), ()


@dataclass(frozen=True)
class Execution:
    """What a pytest run left behind: one result dict per finished check."""

    results: list[dict[str, Any]]
    interrupted: bool = False  # Ctrl-C: the results are those of the checks finished before it


def execute(
    config: RunConfig,
    component: Component,
    *,
    workers: int = 0,
    progress: Callable[[dict[str, Any]], None] | None = None,
) -> Execution:
    """Run the component's checks under pytest; one result dict per check.

    Ctrl-C does not raise here: pytest stops at once, and the checks finished
    so far come back with ``interrupted`` set, so that a partial report can be
    written.
    """
    with tempfile.TemporaryDirectory(prefix="felles-run-") as scratch:
        config_path = Path(scratch) / "run.json"
        results_path = Path(scratch) / "results.jsonl"
        results_path.touch()
        replace(config, results_path=str(results_path), workers=workers).dump(config_path)
        args = [
            str(check_module(component)),
            "-c",
            str(RUNNER_INI),
            "--rootdir",
            str(CHECKS_DIR),
            "-p",
            "felles.runner.plugin",
            "-p",
            "no:cacheprovider",
            "--capture=no",
            "--felles-config",
            str(config_path),
        ]
        # The plugin prints a line per check; pytest's own reporter would only add noise.
        # unraisableexception would print a swallowed Ctrl-C as a traceback (see interrupts.py).
        args += ["-p", "no:terminal", "-p", "no:warnings", "-p", "no:unraisableexception"]
        # Checks fail through ConformanceFailure, never a bare assert: rewriting their asserts
        # only costs parsing every rewritten module in each process (and each xdist worker).
        args += ["--assert=plain"]
        if workers:
            # worksteal: an idle worker takes checks queued for a busy one, so one long check
            # at the end does not leave the other worker idle (1.39x -> 1.53x at 2 workers).
            args += ["-p", "xdist", "-n", str(workers), "--dist", "worksteal"]
        plugin.set_progress(progress)
        try:
            with (
                _environment(
                    # The vendor's own auto-loaded pytest plugins must not change a conformance run.
                    PYTEST_DISABLE_PLUGIN_AUTOLOAD="1",
                    # Hypothesis keeps only Unicode tables there (no example database is used),
                    # and never in the directory the vendor runs from.
                    HYPOTHESIS_STORAGE_DIRECTORY=os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY")
                    or str(_cache_dir()),
                ),
                reliable_sigint() as sigint,
            ):
                code = pytest.main(args)
        finally:
            plugin.set_progress(None)
        # A Ctrl-C that came as pytest finished still ends the run as interrupted.
        interrupted = code == pytest.ExitCode.INTERRUPTED or sigint.is_set()
        if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) and not interrupted:
            raise FellesError(
                f"the suite itself could not run (pytest exit code {int(code)}); rerun with --debug"
            )
        results = []
        for line in results_path.read_text(encoding="utf-8").splitlines():
            try:
                results.append(json.loads(line))
            except ValueError:  # a line cut short by Ctrl-C
                continue
        return Execution(results, interrupted)


@contextmanager
def _environment(**values: str) -> Iterator[None]:
    previous = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "felles" / "hypothesis"


def build_report(
    config: RunConfig,
    component: Component,
    results: list[dict[str, Any]],
    *,
    started_at: datetime,
    declaration: Declaration,
    incomplete: bool = False,
    stopped: str = "",
) -> RunReport:
    """Fold check results into requirement and class results.

    ``stopped`` says why the run ended early (Ctrl-C, deadline, target down):
    requirements left without a check are then "not run", not suite errors,
    and the report is marked incomplete.
    """
    by_requirement: dict[str, list[CheckResult]] = {}
    for item in results:
        by_requirement.setdefault(item["requirementId"], []).append(_check(item))
    classes = []
    for name in component.conformance_classes:
        tested = name in config.classes_to_test
        requirement_results = []
        for spec in (r for r in component.requirements if r.conformance_class == name):
            checks = tuple(by_requirement.get(spec.requirement_id, []))
            requirement = Requirement(spec.requirement_id, name, spec.keyword or "MUST", spec.title)
            if not tested:
                status, reason = Status.SKIPPED, f"class {name} not under test in this run"
            elif config.requirements and spec.requirement_id not in config.requirements:
                status, reason = Status.SKIPPED, "not selected in this run (--requirement)"
            elif not checks and stopped:
                status, reason = Status.SKIPPED, f"not run: {stopped}"
            elif not checks:
                status, reason = Status.ERROR, "the suite has no check for this requirement"
            else:
                status, reason = worst([c.status for c in checks]), ""
            requirement_results.append(RequirementResult(requirement, status, checks, reason))
        must = [r.status for r in requirement_results if r.requirement.keyword == "MUST"]
        classes.append(
            ClassResult(
                name=name,
                claimed=name in config.claimed_classes,
                status=worst(must) if tested else Status.SKIPPED,
                requirements=tuple(requirement_results),
            )
        )
    environment = {
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "declaredClasses": ",".join(declaration.classes) if declaration.classes is not None else "",
    }
    if declaration.problem:
        environment["declarationProblem"] = declaration.problem
    environment.update(_limits_note(config, results))
    if stopped:
        environment["stopped"] = stopped
    info = RunInfo(
        suite_version=felles.__version__,
        component=component.name,
        version=component.version,
        target=redact(config.base_url),
        started_at=_rfc3339(started_at),
        finished_at=_rfc3339(datetime.now(UTC)),
        seed=config.seed,
        examples=config.examples,
        environment=environment,
        incomplete=incomplete or bool(stopped),
    )
    return RunReport(info=info, classes=tuple(classes))


def _limits_note(config: RunConfig, results: list[dict[str, Any]]) -> dict[str, str]:
    """The run's limits, and how often the target said "not now" (429/503)."""
    note = {
        "timeoutSeconds": f"{config.timeout_s:g}",
        "maxBodyBytes": str(config.max_body_bytes),
    }
    if config.rate:
        note["rateLimit"] = f"{config.rate:g} requests/s"
    if config.deadline_s:
        note["deadlineSeconds"] = f"{config.deadline_s:g}"
    retried: dict[str, int] = {}
    waited = 0.0
    for item in results:
        for status, count in dict(item.get("retried") or {}).items():
            retried[status] = retried.get(status, 0) + int(count)
        waited += float(item.get("retryWaitSeconds") or 0.0)
    if retried:
        note["retriedResponses"] = ", ".join(f"{n} x {code}" for code, n in sorted(retried.items()))
        note["retryWaitSeconds"] = f"{waited:.1f}"
    return note


def retried_summary(results: list[dict[str, Any]]) -> str:
    """'3 x 429, 1 x 503 retried after waiting 4.0 s' or ''."""
    note = _limits_note(RunConfig("", "", (), (), 0), results)
    if "retriedResponses" not in note:
        return ""
    return f"{note['retriedResponses']} retried after waiting {note['retryWaitSeconds']} s in all"


def stop_reason(config: RunConfig, results: list[dict[str, Any]], *, interrupted: bool) -> str:
    """Why the run ended before every check ran ('' if it did not)."""
    if interrupted:
        return "the run was interrupted (Ctrl-C)"
    stops = [item for item in results if item.get("stoppedBy")]
    if not stops:
        return ""
    not_run = sum(1 for item in stops if str(item.get("message", "")).startswith("not run"))
    what = f"{not_run} check{'s' if not_run != 1 else ''} not run"
    if any(item["stoppedBy"] == "deadline" for item in stops):
        shown = f" of {config.deadline_s:g} s" if config.deadline_s else ""
        return f"the --deadline{shown} was reached; {what}"
    return f"the target stopped answering; {what}"


def _check(item: dict[str, Any]) -> CheckResult:
    return CheckResult(
        check_id=item["checkId"],
        requirement_id=item["requirementId"],
        status=Status(item["status"]),
        duration_s=float(item.get("durationSeconds", 0.0)),
        message=item.get("message", ""),
        exchanges=tuple(Exchange(**x) for x in item.get("exchanges", [])),
        seed=item.get("seed"),
    )


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def exit_code(report: RunReport, results: list[dict[str, Any]]) -> int:
    """0 certified; 1 a requirement failed (or was not shown to pass); 3 nothing failed but
    the target stopped answering or the run hit its --deadline (it could not show anything)."""
    if report.certified:
        return 0
    failed = any(r.status is Status.FAILED for r in report.requirements)
    environmental = any(
        item.get("errorKind") in ("unreachable", "deadline") or item.get("stoppedBy") for item in results
    )
    if not failed and environmental:
        return 3
    return 1


def environment_note() -> str:
    return f"felles {felles.__version__} on Python {sys.version.split()[0]}"
