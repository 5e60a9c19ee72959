"""The HTML report: one self-contained file a procurement officer can open and print.

Verdict first, then the claimed conformance classes, then every requirement,
then the reproduction of each failure for the vendor. No external assets and no
JavaScript: the file must render the same offline, years later, and a hostile
system under test must not be able to run code in the reader's browser through
what it sent back (Jinja2 autoescaping is on, and a Content-Security-Policy
forbids scripts even if something slipped through).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Literal, get_args

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template

from felles.errors import ReportError
from felles.report.certificate import claimed_classes, procurement_clause
from felles.report.json_report import atomic_write
from felles.report.model import (
    CheckResult,
    ClassResult,
    Exchange,
    RequirementResult,
    RunReport,
    Status,
)
from felles.report.summary import sanitize_text

__all__ = ["STRINGS", "Lang", "render_html", "write_html"]

Lang = Literal["nb", "en"]

TEMPLATE_DIR = Path(__file__).parent / "templates"
_BODY_LIMIT = 4000

# Every user-visible string, per language. Keys are the same in both.
STRINGS: dict[Lang, dict[str, str]] = {
    "nb": {
        "title": "Konformitetsrapport",
        "certified": "Sertifisert",
        "not_certified": "Ikke sertifisert",
        "certified_explain": ("Alle SKAL-krav (MUST) i alle påståtte konformitetsklasser er bestått."),
        "reason_incomplete": "Testkjøringen ble avbrutt før den var ferdig.",
        "reason_no_class": "Systemet påstår ikke samsvar med noen konformitetsklasse.",
        "reason_must": "{count} SKAL-krav (MUST) i påståtte klasser er ikke bestått.",
        "component": "Komponent",
        "classes": "Konformitetsklasser",
        "class": "Konformitetsklasse",
        "claimed": "Påstått",
        "yes": "Ja",
        "no": "Nei",
        "date": "Dato",
        "started": "Startet",
        "finished": "Ferdig",
        "suite_version": "Versjon av testverktøyet",
        "target": "Testet system",
        "seed": "Frø (seed)",
        "examples": "Eksempler per test",
        "summary": "Oppsummering",
        "count_note": "Antall krav i påståtte klasser, etter status.",
        "total": "Totalt",
        "requirements": "Krav",
        "requirement": "Krav",
        "description": "Beskrivelse",
        "keyword": "Nøkkelord",
        "status": "Status",
        "note": "Merknad",
        "not_claimed_note": "Klassen er ikke påstått og teller ikke med i vurderingen.",
        "warnings": "Advarsler",
        "warnings_explain": (
            "BØR- og KAN-krav (SHOULD/MAY) som ikke er bestått. De hindrer ikke sertifisering."
        ),
        "failures": "Detaljer om feil",
        "failures_explain": (
            "For leverandøren: hva som ble sendt, hva som kom tilbake, og hvordan feilen kan gjenskapes."
        ),
        "no_failures": "Ingen feil.",
        "check": "Test",
        "message": "Melding",
        "request": "Forespørsel",
        "response": "Svar",
        "no_response": "Intet svar fra systemet som testes.",
        "curl": "Gjenskap med curl",
        "error_note": (
            "Feil i testverktøyet eller testmiljøet. Dette er ikke en feil i leverandørens system."
        ),
        "truncated": "… ({count} tegn til er utelatt)",
        "environment": "Miljø",
        "generated_by": "Laget av Felles testverktøy {version}.",
        "none": "ingen",
        "MUST": "SKAL (MUST)",
        "SHOULD": "BØR (SHOULD)",
        "MAY": "KAN (MAY)",
        "passed": "Bestått",
        "failed": "Ikke bestått",
        "error": "Feil i testverktøyet",
        "skipped": "Hoppet over",
        "not-applicable": "Ikke relevant",
        "vendor": "Leverandør",
        "product": "Produkt",
        "authenticity": "Ekthet",
        "signed_by": "Rapporten er signert digitalt (Ed25519) med nøkkelen med fingeravtrykk",
        "verify_how": (
            "Kontroller at rapporten ikke er endret, og at den er signert av sertifiseringsorganet, "
            "ved å kjøre denne kommandoen på filene report.json og report.json.sig:"
        ),
        "html_not_proof": (
            "Denne siden er en lesevennlig visning og er ikke i seg selv et bevis: "
            "bare report.json med en gyldig signatur er det."
        ),
        "unsigned": "Rapporten er ikke signert, og er derfor ikke et sertifikat.",
        "clause": "Kravtekst for anskaffelser",
        "clause_explain": "Tekst en kommune kan bruke i kravspesifikasjonen:",
    },
    "en": {
        "title": "Conformance report",
        "certified": "Certified",
        "not_certified": "Not certified",
        "certified_explain": "Every MUST requirement of every claimed conformance class passed.",
        "reason_incomplete": "The test run was interrupted before it finished.",
        "reason_no_class": "The system does not claim any conformance class.",
        "reason_must": "{count} MUST requirement(s) of claimed classes did not pass.",
        "component": "Component",
        "classes": "Conformance classes",
        "class": "Conformance class",
        "claimed": "Claimed",
        "yes": "Yes",
        "no": "No",
        "date": "Date",
        "started": "Started",
        "finished": "Finished",
        "suite_version": "Test suite version",
        "target": "System under test",
        "seed": "Seed",
        "examples": "Examples per check",
        "summary": "Summary",
        "count_note": "Number of requirements of claimed classes, by status.",
        "total": "Total",
        "requirements": "Requirements",
        "requirement": "Requirement",
        "description": "Description",
        "keyword": "Keyword",
        "status": "Status",
        "note": "Note",
        "not_claimed_note": "This class is not claimed and does not count towards the verdict.",
        "warnings": "Warnings",
        "warnings_explain": (
            "SHOULD and MAY requirements that did not pass. They do not prevent certification."
        ),
        "failures": "Failure details",
        "failures_explain": (
            "For the vendor: what was sent, what came back, and how to reproduce the failure."
        ),
        "no_failures": "No failures.",
        "check": "Check",
        "message": "Message",
        "request": "Request",
        "response": "Response",
        "no_response": "No response from the system under test.",
        "curl": "Reproduce with curl",
        "error_note": (
            "An error of the test suite or the test environment. This is not a fault of the vendor's system."
        ),
        "truncated": "… ({count} more characters not shown)",
        "environment": "Environment",
        "generated_by": "Generated by the Felles test suite {version}.",
        "none": "none",
        "MUST": "MUST",
        "SHOULD": "SHOULD",
        "MAY": "MAY",
        "passed": "Passed",
        "failed": "Failed",
        "error": "Test suite error",
        "skipped": "Skipped",
        "not-applicable": "Not applicable",
        "vendor": "Vendor",
        "product": "Product",
        "authenticity": "Authenticity",
        "signed_by": "This report is digitally signed (Ed25519) with the key whose fingerprint is",
        "verify_how": (
            "Check that the report was not changed and that the certifier signed it by running "
            "this command on the files report.json and report.json.sig:"
        ),
        "html_not_proof": (
            "This page is a readable view and is not proof by itself: "
            "only report.json with a valid signature is."
        ),
        "unsigned": "This report is not signed and is therefore not a certificate.",
        "clause": "Procurement clause",
        "clause_explain": "Text a kommune can use in its requirements specification:",
    },
}

# Shape as well as colour carries the status (colour-blind readers, greyscale print).
STATUS_SYMBOLS: dict[Status, str] = {
    Status.PASSED: "✓",
    Status.FAILED: "✗",
    Status.ERROR: "!",
    Status.SKIPPED: "–",
    Status.NOT_APPLICABLE: "○",
}


@dataclass(frozen=True)
class _Failure:
    """One failed or errored check, with the requirement it belongs to."""

    requirement: RequirementResult
    check: CheckResult


def _finalize(value: object) -> object:
    """Show control characters (NUL, ESC...) from the target as visible escapes."""
    return sanitize_text(value) if isinstance(value, str) else value


@cache
def _environment() -> Environment:
    # autoescape=True, not select_autoescape(): the template ends in .j2, which
    # select_autoescape would not recognise as HTML.
    return Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        finalize=_finalize,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _template() -> Template:
    return _environment().get_template("report.html.j2")


def display_time(value: str) -> str:
    """RFC 3339 as a person reads it ("2025-03-01 10:00:00 UTC"); raw if unparsable."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    text = moment.strftime("%Y-%m-%d %H:%M:%S")
    offset = moment.utcoffset()
    if offset is None:
        return text
    if offset == timedelta(0):
        return f"{text} UTC"
    return f"{text} UTC{moment.strftime('%z')[:3]}:{moment.strftime('%z')[3:]}"


def _verdict_reasons(report: RunReport, strings: dict[str, str]) -> list[str]:
    if report.certified:
        return [strings["certified_explain"]]
    reasons = []
    if report.info.incomplete:
        reasons.append(strings["reason_incomplete"])
    if not any(cls.claimed for cls in report.classes):
        reasons.append(strings["reason_no_class"])
    not_passed = sum(
        1
        for cls in report.classes
        if cls.claimed
        for req in cls.requirements
        if req.requirement.keyword == "MUST" and req.status is not Status.PASSED
    )
    if not_passed:
        reasons.append(strings["reason_must"].format(count=not_passed))
    return reasons


def _failures(classes: tuple[ClassResult, ...]) -> list[_Failure]:
    return [
        _Failure(req, check)
        for cls in classes
        if cls.claimed
        for req in cls.requirements
        for check in req.checks
        if check.status in (Status.FAILED, Status.ERROR)
    ]


def _headers(headers: dict[str, str]) -> str:
    return "\n".join(f"{name}: {value}" for name, value in headers.items())


def render_html(report: RunReport, lang: Lang = "nb", *, signer: str | None = None) -> str:
    """The whole HTML document as a string, in Norwegian bokmål or English.

    ``signer`` is the fingerprint of the key that signed the JSON report, if any;
    the page then says how to verify it.
    """
    if lang not in get_args(Lang):
        raise ReportError(
            f"unknown report language {lang!r}", hint=f"choose one of {', '.join(get_args(Lang))}"
        )
    strings = STRINGS[lang]

    def clip(text: str | None) -> str:
        """Bodies can be huge; the report shows their start and says what it left out."""
        if not text:
            return ""
        if len(text) <= _BODY_LIMIT:
            return text
        omitted = strings["truncated"].format(count=len(text) - _BODY_LIMIT)
        return f"{text[:_BODY_LIMIT]}\n{omitted}"

    def status_label(status: Status) -> str:
        return f"{STATUS_SYMBOLS[status]} {strings[status.value]}"

    def exchange_request(exchange: Exchange) -> str:
        head = f"{exchange.method} {exchange.url}"
        headers = _headers(exchange.request_headers)
        parts = [head, headers] if headers else [head]
        if exchange.request_body:
            parts.extend(["", clip(exchange.request_body)])
        return "\n".join(parts)

    def exchange_response(exchange: Exchange) -> str:
        if exchange.status_code is None:
            return strings["no_response"]
        head = str(exchange.status_code)
        if exchange.elapsed_ms is not None:
            head += f" ({exchange.elapsed_ms:.0f} ms)"
        headers = _headers(exchange.response_headers)
        parts = [head, headers] if headers else [head]
        if exchange.response_body:
            parts.extend(["", clip(exchange.response_body)])
        return "\n".join(parts)

    counts = report.counts()
    return _template().render(
        lang=lang,
        s=strings,
        report=report,
        info=report.info,
        certified=report.certified,
        reasons=_verdict_reasons(report, strings),
        claimed_classes=[cls for cls in report.classes if cls.claimed],
        counts=[(status, counts[status]) for status in Status],
        total=sum(counts.values()),
        warnings=report.warnings,
        failures=_failures(report.classes),
        started=display_time(report.info.started_at),
        finished=display_time(report.info.finished_at),
        date=display_time(report.info.started_at)[:10],
        status_label=status_label,
        exchange_request=exchange_request,
        exchange_response=exchange_response,
        generated_by=strings["generated_by"].format(version=report.info.suite_version),
        Status=Status,
        signer=signer,
        clause=procurement_clause(report.info.component, report.info.version, claimed_classes(report), lang)
        if report.certified
        else None,
    )


def write_html(
    report: RunReport, path: str | os.PathLike[str], lang: Lang = "nb", *, signer: str | None = None
) -> Path:
    """Render and write the HTML report atomically; an existing file survives any failure."""
    document = render_html(report, lang) if signer is None else render_html(report, lang, signer=signer)
    return atomic_write(path, document.encode("utf-8"))
