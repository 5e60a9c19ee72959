"""Broken variants of the case-archive@1.0 reference, one fault per requirement."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Mapping, Sequence
from typing import Any

from starlette.types import ASGIApp

from felles.reference.app import create_app
from felles.reference.components import case_archive_routes
from felles.reference.components.base import AppContext
from felles.reference.components.case_archive import CaseArchiveComponent
from felles.reference.components.case_archive_model import ENTRY_COLUMNS, entry_row
from felles.reference.components.case_archive_service import CaseArchiveService
from felles.reference.settings import Settings
from tests.mutants.kit import AnySignature, AppFactory, Mutant, blind_validation, lax_context
from tests.mutants.rewrite import Reply, Rewriter

REQ = "/req/case-archive/"


def _service(service: type[CaseArchiveService], **component: Any) -> AppFactory:
    return lambda settings: create_app(settings, components=[CaseArchiveComponent(service, **component)])


def _wrapped(**rewrites: Any) -> AppFactory:
    return lambda settings: Rewriter(create_app(settings), **rewrites)


def _blind(schema_suffix: str, pointer_prefix: str = "") -> AppFactory:
    def build(settings: Settings) -> ASGIApp:
        blind_validation(case_archive_routes, schema_suffix, lambda e: e.pointer.startswith(pointer_prefix))
        return create_app(settings)

    return build


def _json_reply(reply: Reply) -> Any:
    return reply.json() if reply.headers.get("content-type", "").startswith("application/json") else None


# ------------------------------------------------------------ service faults


class ClockNumbering(CaseArchiveService):
    """Derives the sequence number from the clock: equal numbers for cases created close together."""

    def next_case_sequence(self, connection: sqlite3.Connection, tenant: str, year: int) -> int:
        return int(time.time() * 1000) // 250 % 100000 + 1


class ReopenTwice(CaseArchiveService):
    def is_allowed(self, current: str, to: str) -> bool:
        return True


class ClosedStaysOpen(CaseArchiveService):
    def check_open(self, case: Any) -> None:
        return None


class ForgetfulAudit(CaseArchiveService):
    def record_audit(
        self,
        connection: sqlite3.Connection,
        case_seq: int,
        caller: Any,
        action: str,
        object_id: str,
        detail: str | None = None,
    ) -> str:
        if action == "entry-created":
            return self.now()
        return super().record_audit(connection, case_seq, caller, action, object_id, detail)


class MutableArchive(CaseArchiveService):
    def version_is_mutable(self, version: Any) -> bool:
        return True


class LeakyScreening(CaseArchiveService):
    def screened_view(self, entry: Mapping[str, Any], caller: Any) -> tuple[dict[str, Any], list[str]]:
        _, withheld = super().screened_view(entry, caller)
        return dict(entry), withheld  # says it withheld, returns everything


class OverScreening(CaseArchiveService):
    def screened_view(self, entry: Mapping[str, Any], caller: Any) -> tuple[dict[str, Any], list[str]]:
        screening = entry.get("screening")
        if not isinstance(screening, Mapping):
            return dict(entry), []
        members = sorted(m for m in screening.get("screenedMembers", ()) if m in entry)
        return {k: v for k, v in entry.items() if k not in members}, members


class CrossTenantReads(CaseArchiveService):
    def _load_case(self, connection: sqlite3.Connection, tenant: str, case_id: str) -> Any:
        row = connection.execute("SELECT municipality FROM case_files WHERE id = ?", (case_id,)).fetchone()
        return super()._load_case(connection, row[0] if row else tenant, case_id)


class EntriesOfEveryCase(CaseArchiveService):
    """Lists every entry of the kommune under whichever case is asked for."""

    def _entries_of(
        self, connection: sqlite3.Connection, case: Any, *, after_number: int = 0, limit: int = -1
    ) -> Any:
        rows = connection.execute(
            f"SELECT {ENTRY_COLUMNS} FROM case_registry_entries e JOIN case_files c ON c.seq = e.case_seq "
            "WHERE c.municipality = ? AND e.entry_number > ? ORDER BY e.seq LIMIT ?",
            (case.municipality, after_number, limit),
        ).fetchall()
        return [entry_row(row, case) for row in rows]


class ImportDropsLaterVersions(CaseArchiveService):
    def restore_case(self, connection: sqlite3.Connection, caller: Any, export: Mapping[str, Any]) -> Any:
        trimmed = json.loads(json.dumps(export))
        for item in trimmed["registryEntries"]:
            for document in item["documents"]:
                document["versions"] = document["versions"][:1]
        return super().restore_case(connection, caller, trimmed)


# ------------------------------------------------------------ HTTP faults


def _case_number_without_year(reply: Reply) -> None:
    body = _json_reply(reply)
    if reply.method == "POST" and reply.status == 201 and isinstance(body, dict) and "caseNumber" in body:
        body["caseNumber"] = str(body["caseSequenceNumber"]) + "/" + str(body["caseYear"])
        reply.set_json(body)


def _title_trimmed_on_read(reply: Reply) -> None:
    body = _json_reply(reply)
    if (
        reply.method == "GET"
        and reply.path.count("/") == 4
        and "/case-files/" in reply.path
        and isinstance(body, dict)
    ):
        body["caseOfficer"] = str(body.get("caseOfficer", "")) + " (saksbehandler)"
        reply.set_json(body)


def _entry_numbers_from_zero(reply: Reply) -> None:
    body = _json_reply(reply)
    if reply.method == "POST" and reply.status == 201 and isinstance(body, dict) and "entryNumber" in body:
        body["entryNumber"] -= 1
        reply.set_json(body)


def _page_drops_last(reply: Reply) -> None:
    body = _json_reply(reply)
    if reply.method == "GET" and isinstance(body, dict) and body.get("next") and body.get("items"):
        body["items"] = body["items"][:-1]
        reply.set_json(body)


def _document_drops_checksum(reply: Reply) -> None:
    body = _json_reply(reply)
    if reply.method == "GET" and "/documents/" in reply.path and isinstance(body, dict):
        for version in body.get("versions", []):
            version["sha256"] = version["sha256"][:-1] + ("0" if version["sha256"][-1] != "0" else "1")
        reply.set_json(body)


def _only_latest_version(reply: Reply) -> None:
    body = _json_reply(reply)
    if (
        reply.method == "GET"
        and "/documents/" in reply.path
        and isinstance(body, dict)
        and body.get("versions")
    ):
        body["versions"] = body["versions"][-1:]
        reply.set_json(body)


def _export_drops_last_entry(reply: Reply) -> None:
    body = _json_reply(reply)
    if reply.path.endswith("/export") and isinstance(body, dict) and body.get("registryEntries"):
        body["registryEntries"] = body["registryEntries"][:-1]
        reply.set_json(body)


class _LaxWrite(CaseArchiveComponent):
    def routes(self, context: AppContext) -> Sequence[Any]:
        return super().routes(lax_context(context, "case-archive:write"))


CASE_ARCHIVE_MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        "ca-declares-no-core",
        "declares case-archive without class core",
        REQ + "core/conformance",
        _service(CaseArchiveService, classes=["documents", "screening", "exchange"]),
    ),
    Mutant(
        "ca-case-number-reversed",
        "caseNumber written sequence/year",
        REQ + "core/create",
        _wrapped(on_response=_case_number_without_year),
    ),
    Mutant(
        "ca-officer-altered",
        "GET changes the case officer's name",
        REQ + "core/read-back",
        _wrapped(on_response=_title_trimmed_on_read),
    ),
    Mutant(
        "ca-no-validation",
        "case file input is not validated",
        REQ + "core/reject-invalid",
        _blind("/CaseFileInput.schema.json"),
    ),
    Mutant(
        "ca-clock-numbering",
        "derives case sequence numbers from the clock, so they repeat",
        REQ + "core/case-number-unique",
        _service(ClockNumbering),
    ),
    Mutant(
        "ca-entry-numbers-from-zero",
        "entry numbers start at 0",
        REQ + "core/entry-create",
        _wrapped(on_response=_entry_numbers_from_zero),
    ),
    Mutant(
        "ca-entries-everywhere",
        "a case lists another case's entries",
        REQ + "core/entry-single-case",
        _service(EntriesOfEveryCase),
    ),
    Mutant(
        "ca-close-twice",
        "closing a closed case is accepted",
        REQ + "core/case-lifecycle",
        _service(ReopenTwice),
    ),
    Mutant(
        "ca-closed-takes-entries",
        "a closed case takes new entries",
        REQ + "core/closed-case",
        _service(ClosedStaysOpen),
    ),
    Mutant(
        "ca-audit-loses-entries",
        "the audit trail loses entry registrations",
        REQ + "core/audit-trail",
        _service(ForgetfulAudit),
    ),
    Mutant(
        "ca-page-drops-last",
        "every page but the last loses its last item",
        REQ + "core/pagination",
        _wrapped(on_response=_page_drops_last),
    ),
    Mutant(
        "ca-forged-tokens",
        "token signatures are not verified",
        REQ + "core/authentication",
        lambda s: create_app(s, verifier=AnySignature(s)),
    ),
    Mutant(
        "ca-write-without-scope",
        "changes need no case-archive:write",
        REQ + "core/scopes",
        lambda s: create_app(s, components=[_LaxWrite()]),
    ),
    Mutant(
        "ca-cross-tenant",
        "case files of another kommune can be read by id",
        REQ + "core/tenant-isolation",
        _service(CrossTenantReads),
    ),
    Mutant(
        "ca-checksum-altered",
        "GET document returns a different sha256",
        REQ + "documents/create",
        _wrapped(on_response=_document_drops_checksum),
    ),
    Mutant(
        "ca-versions-replaced",
        "a new version replaces the earlier ones",
        REQ + "documents/versions",
        _wrapped(on_response=_only_latest_version),
    ),
    Mutant(
        "ca-archive-any-format",
        "an archive version need not be PDF/A",
        REQ + "documents/archive-format",
        _blind("/DocumentInput.schema.json", "/version"),
    ),
    Mutant(
        "ca-archive-mutable",
        "archived document versions can be changed",
        REQ + "documents/archive-immutable",
        _service(MutableArchive),
    ),
    Mutant(
        "ca-screening-leak",
        "screened members are returned to everyone",
        REQ + "screening/withheld",
        _service(LeakyScreening),
    ),
    Mutant(
        "ca-over-screening",
        "screened members are hidden even with the screened scope",
        REQ + "screening/visible",
        _service(OverScreening),
    ),
    Mutant(
        "ca-screening-unchecked",
        "screening is accepted without a legal basis",
        REQ + "screening/legal-basis",
        _blind("/RegistryEntryInput.schema.json", "/screening"),
    ),
    Mutant(
        "ca-export-drops-entry",
        "the export leaves out the last registry entry",
        REQ + "exchange/export",
        _wrapped(on_response=_export_drops_last_entry),
    ),
    Mutant(
        "ca-import-loses-versions",
        "import keeps only the first version of each document",
        REQ + "exchange/import-roundtrip",
        _service(ImportDropsLaterVersions),
    ),
    Mutant(
        "ca-import-unvalidated",
        "imports are not validated",
        REQ + "exchange/import-invalid",
        _blind("/CaseExport.schema.json"),
    ),
)
