"""``felles test``: resolve what to test, start the reference if asked, run, report.

Prints a line per check as it finishes, then the summary, and writes
JSON, HTML and JUnit reports per component version tested.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from felles.errors import ReportError, UsageError
from felles.formats import is_municipality_number
from felles.report.html import write_html
from felles.report.json_report import write_json
from felles.report.junit import write_junit
from felles.report.model import RunReport
from felles.report.summary import render_summary
from felles.runner.config import DEFAULT_EXAMPLES, DEFAULT_MAX_BODY_BYTES, DEFAULT_TIMEOUT_S, RunConfig
from felles.runner.secrets import redact
from felles.runner.session import (
    Declaration,
    RunInterruptedError,
    build_report,
    choose_classes,
    execute,
    exit_code,
    probe,
    retried_summary,
    sigint_deferred,
    stop_reason,
    validate_base_url,
)
from felles.runner.tokens import TokenSource, TokenSpec, parse_token_option
from felles.runner.trace import TRACE_FILE, merge_worker_traces
from felles.standard import Component, default_catalogue

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

_SYMBOLS = {
    "passed": "PASS",
    "failed": "FAIL",
    "error": "ERROR",
    "skipped": "SKIP",
    "not-applicable": "N/A",
}


@dataclass(frozen=True)
class TestOptions:
    base_url: str | None
    reference: bool
    components: list[str]
    classes: list[str]
    requirements: list[str]
    token_env: list[str]
    token_command: list[str]
    municipality: str | None
    seed: int
    examples: int | None
    report_dir: Path
    junit: Path | None
    lang: str
    workers: int | None
    timeout_s: float | None
    insecure: bool
    started_at: datetime
    shrink: int = 0
    # Certification (`--certify --key KEYFILE --vendor --product`): sign report.json.
    certify: bool = False
    key: Path | None = None
    vendor: str | None = None
    product: str | None = None
    # Robustness against slow or hostile targets (see runner/client.py).
    rate: float | None = None  # --rate: requests per second, whole run
    deadline_s: float | None = None  # --deadline: seconds from the start for the whole run
    max_body_bytes: int | None = None  # --max-body-bytes: read cap per response body
    trace: bool = False  # --trace: every exchange to trace.jsonl beside the report


def run_tests(options: TestOptions) -> int:
    catalogue = default_catalogue()
    components = [catalogue.get(key) for key in options.components] or catalogue.testable()
    if options.classes and len(components) != 1:
        raise UsageError("--class needs exactly one --component")
    if options.municipality and not is_municipality_number(options.municipality):
        raise UsageError(
            f"--municipality {options.municipality!r} is not a kommunenummer in the 2024 code list"
        )
    for component in components:
        # Unknown classes or requirements are usage errors: report them before any I/O.
        choose_classes(component, options.classes, Declaration(None))
        _selected_requirements(component, options.requirements)
    tokens = _token_specs(options)
    if options.certify:
        _signing_key(options)  # a bad key file is a usage error now, not after the run
    codes = []
    for component in components:
        with _target(options, component, tokens) as (base_url, specs, municipality):
            report, results = run_one(options, component, base_url, specs, municipality)
        codes.append(exit_code(report, results))
    return max(codes)


@contextmanager
def _target(
    options: TestOptions, component: Component, tokens: tuple[TokenSpec, ...]
) -> Iterator[tuple[str, tuple[TokenSpec, ...], str | None]]:
    if not options.reference:
        assert options.base_url is not None
        yield (
            validate_base_url(options.base_url),
            tokens,
            options.municipality or _token_municipality(tokens),
        )
        return
    from felles.runner.reference_target import reference_target

    print(f"Starting the reference implementation for {component.key} ...", flush=True)
    with reference_target(component) as target:
        yield target.base_url(component), target.tokens, target.municipality


def run_one(
    options: TestOptions,
    component: Component,
    base_url: str,
    tokens: tuple[TokenSpec, ...],
    municipality: str | None,
) -> tuple[RunReport, list[dict[str, Any]]]:
    timeout = options.timeout_s or DEFAULT_TIMEOUT_S
    max_body = options.max_body_bytes or DEFAULT_MAX_BODY_BYTES
    deadline_at = options.started_at.timestamp() + options.deadline_s if options.deadline_s else None
    declaration = probe(
        base_url,
        component,
        timeout_s=timeout,
        verify_tls=not options.insecure,
        max_body_bytes=max_body,
        deadline_at=deadline_at,
        deadline_s=options.deadline_s,
    )
    to_test, claimed = choose_classes(component, options.classes, declaration)
    config = RunConfig(
        base_url=base_url,
        component=component.key,
        classes_to_test=to_test,
        claimed_classes=claimed,
        seed=options.seed,
        examples=options.examples or DEFAULT_EXAMPLES,
        shrink=options.shrink,
        timeout_s=timeout,
        municipality=municipality,
        tokens=tokens,
        verify_tls=not options.insecure,
        requirements=_selected_requirements(component, options.requirements),
        max_body_bytes=max_body,
        rate=options.rate,
        deadline_s=options.deadline_s,
        deadline_at=deadline_at,
        trace_path=str(_report_directory(options, component) / TRACE_FILE) if options.trace else "",
    )
    print(
        f"Testing {component.key} at {redact(base_url)}: classes {', '.join(to_test) or '-'}"
        f" (claimed: {', '.join(claimed) or 'none'}), seed {config.seed}, {config.examples} examples",
        flush=True,
    )
    if declaration.problem:
        print(f"  note: {declaration.problem}; testing every class, claiming none", flush=True)
    clock = time.perf_counter()
    execution = execute(config, component, workers=options.workers or 0, progress=_print_progress)
    elapsed = time.perf_counter() - clock
    if config.trace_path:
        merge_worker_traces(Path(config.trace_path))
    results = execution.results
    stopped = stop_reason(config, results, interrupted=execution.interrupted)
    with sigint_deferred() as interrupted_now:
        report, results = _finish(options, component, config, declaration, results, stopped, elapsed)
    if execution.interrupted or interrupted_now:
        directory = _report_directory(options, component)
        raise RunInterruptedError(
            f"interrupted; {'a partial' if execution.interrupted else 'the'} report is in {directory}"
        )
    return report, results


def _finish(
    options: TestOptions,
    component: Component,
    config: RunConfig,
    declaration: Declaration,
    results: list[dict[str, Any]],
    stopped: str,
    elapsed: float,
) -> tuple[RunReport, list[dict[str, Any]]]:
    """Summary and reports of one component's run, however it ended."""
    report = build_report(
        config, component, results, started_at=options.started_at, declaration=declaration, stopped=stopped
    )
    report = _with_subject(report, options)
    print()
    print(render_summary(report, color=sys.stdout.isatty()))
    requests = sum(int(r.get("requests", 0)) for r in results)
    print(
        f"{len(results)} checks, {requests} requests in {elapsed:.1f} s "
        f"({requests / max(elapsed, 1e-9):.0f} requests/s)"
    )
    retried = retried_summary(results)
    if retried:
        print(f"The target asked the suite to slow down or wait: {retried}")
    if stopped:
        print(f"Run stopped early: {stopped}; the report is marked incomplete")
    _write_reports(report, options, component)
    if exit_code(report, results) == 3:
        print(f"felles: error: {_environment_problem(results, stopped)}", file=sys.stderr, flush=True)
    return report, results


def _environment_problem(results: list[dict[str, Any]], stopped: str) -> str:
    """One line on why nothing could be shown (exit code 3)."""
    if stopped:
        return f"{stopped} (see the report)"
    first = next((r for r in results if r.get("errorKind") in ("unreachable", "deadline")), None)
    message = str(first.get("message", "")).splitlines()[0] if first else ""
    return (
        f"the system under test did not answer usably: {message}" if message else "the target is unreachable"
    )


def _selected_requirements(component: Component, wanted: list[str]) -> tuple[str, ...]:
    known = {r.requirement_id for r in component.requirements}
    unknown = [r for r in wanted if r not in known]
    if unknown:
        raise UsageError(
            f"{component.key} has no requirement {', '.join(unknown)}",
            hint="see the spec or `felles components`",
        )
    return tuple(wanted)


def _print_progress(result: dict[str, Any]) -> None:
    symbol = _SYMBOLS.get(str(result.get("status")), "?")
    retried = ", ".join(
        f"{n} x {code} retried" for code, n in sorted(dict(result.get("retried") or {}).items())
    )
    print(
        f"  {symbol:5} {result['requirementId']}  "
        f"({result['checkId']}, {result.get('durationSeconds', 0):.2f} s{', ' + retried if retried else ''})",
        flush=True,
    )


def _report_directory(options: TestOptions, component: Component) -> Path:
    return options.report_dir / f"{component.name}-{component.version}"


def _write_reports(report: RunReport, options: TestOptions, component: Component) -> None:
    directory = _report_directory(options, component)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create report directory {directory}: {exc.strerror}") from None
    write_json(report, directory / "report.json")
    signer = _sign(report, options, directory / "report.json")
    write_html(report, directory / "report.html", options.lang, signer=signer)  # type: ignore[arg-type]
    write_junit(report, directory / "junit.xml")
    if options.junit:
        write_junit(report, options.junit)
    print(f"Reports: {directory}/report.json, report.html, junit.xml")


def _token_specs(options: TestOptions) -> tuple[TokenSpec, ...]:
    specs = [parse_token_option(v, kind="env") for v in options.token_env]
    specs += [parse_token_option(v, kind="command") for v in options.token_command]
    roles = [s.role for s in specs]
    duplicated = sorted({r for r in roles if roles.count(r) > 1})
    if duplicated:
        raise UsageError(f"more than one token given for role {', '.join(duplicated)}")
    for spec in specs:
        if spec.env is not None:
            TokenSource(spec).token()  # fail now, with the variable's name, not in the middle of a run
    return tuple(specs)


def _token_municipality(tokens: tuple[TokenSpec, ...]) -> str | None:
    """The kommunenummer claim of the default token if it is a JWT (read, not verified)."""
    default = next((s for s in tokens if s.role == "default"), None)
    if default is None:
        return None
    try:
        payload = TokenSource(default).token().split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return None
    value = claims.get("kommunenummer") if isinstance(claims, dict) else None
    return value if isinstance(value, str) else None


# --------------------------------------------------------------------------- certification


def _signing_key(options: TestOptions) -> Ed25519PrivateKey:
    from felles.report.signing import load_private_key

    if options.key is None:
        raise UsageError("--certify needs --key KEYFILE", hint="create one with `felles keygen --out DIR`")
    try:
        return load_private_key(options.key)
    except ReportError as exc:
        raise UsageError(exc.message, hint=exc.hint) from None


def _with_subject(report: RunReport, options: TestOptions) -> RunReport:
    """Name the vendor and product in the report (they are signed with it)."""
    if options.vendor is None and options.product is None:
        return report
    info = dataclasses.replace(report.info, vendor=options.vendor, product=options.product)
    return dataclasses.replace(report, info=info)


def _sign(report: RunReport, options: TestOptions, report_path: Path) -> str | None:
    """Sign report.json when certifying (returns the key fingerprint); else drop a stale .sig."""
    from felles.report.certificate import not_certified_reasons
    from felles.report.signing import fingerprint, sign_report_file, signature_path_for

    if not options.certify:
        # A signature left by an earlier certification run would not match the new report.
        signature_path_for(report_path).unlink(missing_ok=True)
        return None
    signature_path, signed = sign_report_file(report_path, _signing_key(options))
    key = fingerprint(signed.public_key)
    print(f"Signed: {signature_path} (key {key})")
    reasons = not_certified_reasons(report)
    if reasons:
        print("Certificate: NOT issued: " + "; ".join(reasons))
        print("  (the signed report is a genuine record of this run, but not a certificate)")
    else:
        classes = ", ".join(c.name for c in report.classes if c.claimed)
        print(
            f"Certificate: issued to {report.info.vendor or '-'}, {report.info.product or '-'} for "
            f"{report.info.component}@{report.info.version}, classes {classes}"
        )
        print(f"  verify with: felles report verify {report_path} --public-key <the certifier's .pub file>")
    return key
