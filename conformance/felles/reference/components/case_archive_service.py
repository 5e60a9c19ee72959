"""case-archive@1.0 (sak/arkiv): storage, numbering, screening, audit trail, export and import.

:class:`CaseArchiveService` holds the behaviour the spec requires, independent
of HTTP, with plain seams (``transitions``, ``is_allowed``,
``next_case_sequence``, ``next_entry_number``, ``next_version_number``,
``check_open``, ``version_is_mutable``, ``screened_view``, ``record_audit``,
``build_export``, ``restore_case``, ``now``, the ``*_resource`` renderers and
one method per operation). Tests build deliberately broken variants
("mutants") by subclassing it — production code has no fault flags.

Noark 5 names: a case file is a *saksmappe* (numbered saksår/sakssekvensnummer),
a registry entry a *journalpost*, a document a *dokumentbeskrivelse* with
versions (*dokumentobjekt*, variantformat P/A), the audit trail the
*endringslogg*, and the export an *arkivmelding*.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

from felles.reference.auth import Principal
from felles.reference.components.base import Clock, utc_now
from felles.reference.components.case_archive_model import (
    ALLOWED_TRANSITIONS,
    CASE_COLUMNS,
    DOCUMENT_COLUMNS,
    DOCUMENT_WIDTH,
    ENTRY_COLUMNS,
    ENTRY_STATUS,
    ENTRY_WIDTH,
    EXPORT_FORMAT,
    INITIAL_STATUS,
    NAME,
    SCOPE_SCREENED,
    SCREENABLE_MEMBERS,
    SYSTEM_NAME,
    TRANSITION_ACTIONS,
    UNKNOWN_ACTOR,
    VERSION,
    Caller,
    CaseClosedError,
    EntryView,
    StoredCase,
    StoredDocument,
    StoredEntry,
    StoredVersion,
    TransitionNotAllowedError,
    VersionImmutableError,
    case_row,
    entry_row,
)
from felles.reference.components.shared import (
    Created,
    ETagCondition,
    NotFoundError,
    PageResult,
    PreconditionFailedError,
    Representation,
    create_idempotently,
    entity_tag,
    format_timestamp,
    json_text,
    keyset_rows,
    later,
    owned_row,
)
from felles.reference.http import render_json
from felles.reference.storage import Database, IdempotencyStore

# --------------------------------------------------------------------------- service


class CaseArchiveService:
    """The behaviour of case-archive@1.0, independent of HTTP. Every operation is tenant-scoped."""

    transitions: ClassVar[Mapping[str, frozenset[str]]] = ALLOWED_TRANSITIONS
    transition_actions: ClassVar[Mapping[str, str]] = TRANSITION_ACTIONS

    def __init__(self, database: Database, clock: Clock = utc_now) -> None:
        self.database = database
        self.clock = clock
        self.create_keys = IdempotencyStore(f"{NAME}@{VERSION} create")
        self.import_keys = IdempotencyStore(f"{NAME}@{VERSION} import")

    # ---- seams: who, when, which number

    def caller(self, principal: Principal) -> Caller:
        """The audit actor is the token's subject (Maskinporten: the client); never empty."""
        return Caller(
            tenant=principal.municipality,
            actor=principal.subject or UNKNOWN_ACTOR,
            sees_screened=principal.has(SCOPE_SCREENED),
        )

    def now(self) -> str:
        return format_timestamp(self.clock())

    def next_case_sequence(self, connection: sqlite3.Connection, tenant: str, year: int) -> int:
        """Sakssekvensnummer: the counter row is written under the write lock, so concurrent
        creates wait for each other and numbers follow commit order, never reused."""
        row = connection.execute(
            "INSERT INTO case_sequence_counters (municipality, case_year, last_sequence) VALUES (?, ?, 1) "
            "ON CONFLICT (municipality, case_year) DO UPDATE SET last_sequence = last_sequence + 1 "
            "RETURNING last_sequence",
            (tenant, year),
        ).fetchone()
        return int(row[0])

    def next_entry_number(self, connection: sqlite3.Connection, case_seq: int) -> int:
        """One more than the case's previous entry; entries are never removed."""
        row = connection.execute(
            "SELECT COALESCE(MAX(entry_number), 0) + 1 FROM case_registry_entries WHERE case_seq = ?",
            (case_seq,),
        ).fetchone()
        return int(row[0])

    def next_version_number(self, connection: sqlite3.Connection, document_seq: int) -> int:
        row = connection.execute(
            "SELECT COALESCE(MAX(version_number), 0) + 1 FROM case_document_versions WHERE document_seq = ?",
            (document_seq,),
        ).fetchone()
        return int(row[0])

    # ---- seams: rules

    def is_allowed(self, current: str, to: str) -> bool:
        return to in self.transitions.get(current, frozenset())

    def check_open(self, case: StoredCase) -> None:
        """A closed case file (avsluttet saksmappe) takes no new or changed content."""
        if case.status != "open":
            raise CaseClosedError(case.case_number)

    def version_is_mutable(self, version: StoredVersion) -> bool:
        """Only production versions (produksjonsformat) may be corrected; archive ones are final."""
        return version.input.get("variant") == "production"

    def screened_view(self, entry: Mapping[str, Any], caller: Caller) -> tuple[dict[str, Any], list[str]]:
        """The entry input members this caller may see, and the screened-out member names (sorted).

        The ``screening`` object itself stays visible: it names the legal basis, not the content.
        """
        visible = dict(entry)
        screening = entry.get("screening")
        if caller.sees_screened or not isinstance(screening, Mapping):
            return visible, []
        withheld = sorted(
            member
            for member in screening.get("screenedMembers", ())
            if member in SCREENABLE_MEMBERS and member in visible
        )
        for member in withheld:
            del visible[member]
        return visible, withheld

    def record_audit(
        self,
        connection: sqlite3.Connection,
        case_seq: int,
        caller: Caller,
        action: str,
        object_id: str,
        detail: str | None = None,
    ) -> str:
        """Append one event to the case's endringslogg; ``at`` never precedes the previous event."""
        at = self.now()
        last = connection.execute(
            "SELECT at FROM case_audit_events WHERE case_seq = ? ORDER BY seq DESC LIMIT 1", (case_seq,)
        ).fetchone()
        if last is not None:
            at = later(at, str(last[0]))
        connection.execute(
            "INSERT INTO case_audit_events (case_seq, at, actor, action, object_id, detail) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (case_seq, at, caller.actor, action, object_id, detail),
        )
        return at

    # ---- seams: representations

    def case_etag(self, case: StoredCase) -> str:
        """Strong, opaque, different after every change (the version counter is part of it)."""
        return entity_tag("case", case.id, case.version)

    def document_etag(self, document: StoredDocument) -> str:
        return entity_tag("document", document.id, document.version)

    def case_resource(self, case: StoredCase) -> dict[str, Any]:
        return {
            "id": case.id,
            "municipalityNumber": case.municipality,
            "caseYear": case.case_year,
            "caseSequenceNumber": case.case_sequence,
            "caseNumber": case.case_number,
            **case.input,
            "status": case.status,
            "createdAt": case.created_at,
            "updatedAt": case.updated_at,
            "closedAt": case.closed_at,
        }

    def entry_resource(self, entry: StoredEntry, caller: Caller) -> dict[str, Any]:
        visible, withheld = self.screened_view(entry.input, caller)
        resource: dict[str, Any] = {
            "id": entry.id,
            "caseFileId": entry.case.id,
            "entryNumber": entry.entry_number,
            "registryEntryNumber": entry.registry_entry_number,
            **visible,
        }
        if withheld:
            resource["screenedOut"] = withheld
        resource["status"] = entry.status
        resource["createdAt"] = entry.created_at
        return resource

    def document_resource(self, document: StoredDocument) -> dict[str, Any]:
        return {
            "id": document.id,
            "registryEntryId": document.entry.id,
            "title": document.title,
            "role": document.role,
            "versions": [
                {"versionNumber": v.number, **v.input, "createdAt": v.created_at} for v in document.versions
            ],
        }

    def represent_case(self, case: StoredCase) -> Representation:
        return Representation(case.id, render_json(self.case_resource(case)), self.case_etag(case))

    def represent_document(self, document: StoredDocument) -> Representation:
        body = render_json(self.document_resource(document))
        return Representation(document.id, body, self.document_etag(document))

    # ---- loading (always through the tenant)

    def _load_case(self, connection: sqlite3.Connection, tenant: str, case_id: str) -> StoredCase:
        return case_row(owned_row(connection, "case_files c", CASE_COLUMNS, case_id, tenant, "case file"))

    def _load_entry(self, connection: sqlite3.Connection, tenant: str, entry_id: str) -> StoredEntry:
        found = connection.execute(
            f"SELECT {ENTRY_COLUMNS}, {CASE_COLUMNS} FROM case_registry_entries e "
            "JOIN case_files c ON c.seq = e.case_seq WHERE e.id = ? AND c.municipality = ?",
            (entry_id, tenant),
        ).fetchone()
        if found is None:
            raise NotFoundError("registry entry", entry_id)
        return entry_row(found[:ENTRY_WIDTH], case_row(found[ENTRY_WIDTH:]))

    def _load_document(self, connection: sqlite3.Connection, tenant: str, document_id: str) -> StoredDocument:
        found = connection.execute(
            f"SELECT {DOCUMENT_COLUMNS}, {ENTRY_COLUMNS}, {CASE_COLUMNS} FROM case_documents d "
            "JOIN case_registry_entries e ON e.seq = d.entry_seq JOIN case_files c ON c.seq = e.case_seq "
            "WHERE d.id = ? AND c.municipality = ?",
            (document_id, tenant),
        ).fetchone()
        if found is None:
            raise NotFoundError("document", document_id)
        case = case_row(found[DOCUMENT_WIDTH + ENTRY_WIDTH :])
        entry = entry_row(found[DOCUMENT_WIDTH : DOCUMENT_WIDTH + ENTRY_WIDTH], case)
        versions = tuple(
            StoredVersion(int(number), json.loads(raw), str(created))
            for number, raw, created in connection.execute(
                "SELECT version_number, input_json, created_at FROM case_document_versions "
                "WHERE document_seq = ? ORDER BY version_number",
                (found[0],),
            ).fetchall()
        )
        return StoredDocument(
            seq=int(found[0]),
            id=str(found[1]),
            entry=entry,
            title=str(found[2]),
            role=str(found[3]),
            created_at=str(found[4]),
            version=int(found[5]),
            versions=versions,
        )

    def _entries_of(
        self, connection: sqlite3.Connection, case: StoredCase, *, after_number: int = 0, limit: int = -1
    ) -> list[StoredEntry]:
        rows = connection.execute(
            f"SELECT {ENTRY_COLUMNS} FROM case_registry_entries e "
            "WHERE e.case_seq = ? AND e.entry_number > ? ORDER BY e.entry_number LIMIT ?",
            (case.seq, after_number, limit),
        ).fetchall()
        return [entry_row(row, case) for row in rows]

    def _documents_of(
        self, connection: sqlite3.Connection, case: StoredCase, case_entries: Sequence[StoredEntry]
    ) -> dict[int, list[StoredDocument]]:
        """Every document of the case with its versions, grouped by entry seq, in creation order."""
        entries = {entry.seq: entry for entry in case_entries}
        versions: dict[int, list[StoredVersion]] = {}
        for document_seq, number, raw, created in connection.execute(
            "SELECT v.document_seq, v.version_number, v.input_json, v.created_at "
            "FROM case_document_versions v JOIN case_documents d ON d.seq = v.document_seq "
            "JOIN case_registry_entries e ON e.seq = d.entry_seq "
            "WHERE e.case_seq = ? ORDER BY v.document_seq, v.version_number",
            (case.seq,),
        ).fetchall():
            versions.setdefault(int(document_seq), []).append(
                StoredVersion(int(number), json.loads(raw), str(created))
            )
        grouped: dict[int, list[StoredDocument]] = {}
        for row in connection.execute(
            f"SELECT {DOCUMENT_COLUMNS}, d.entry_seq FROM case_documents d "
            "JOIN case_registry_entries e ON e.seq = d.entry_seq WHERE e.case_seq = ? ORDER BY d.seq",
            (case.seq,),
        ).fetchall():
            entry_seq = int(row[DOCUMENT_WIDTH])
            grouped.setdefault(entry_seq, []).append(
                StoredDocument(
                    seq=int(row[0]),
                    id=str(row[1]),
                    entry=entries[entry_seq],
                    title=str(row[2]),
                    role=str(row[3]),
                    created_at=str(row[4]),
                    version=int(row[5]),
                    versions=tuple(versions.get(int(row[0]), ())),
                )
            )
        return grouped

    def _audit_of(self, connection: sqlite3.Connection, case_seq: int) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        for at, actor, action, object_id, detail in connection.execute(
            "SELECT at, actor, action, object_id, detail FROM case_audit_events "
            "WHERE case_seq = ? ORDER BY seq",
            (case_seq,),
        ).fetchall():
            event = {"at": at, "actor": actor, "action": action, "objectId": object_id}
            if detail is not None:
                event["detail"] = detail
            events.append(event)
        return events

    # ---- inserting (callers hold the write transaction)

    def _insert_case(
        self,
        connection: sqlite3.Connection,
        tenant: str,
        case_input: Mapping[str, Any],
        *,
        status: str = INITIAL_STATUS,
    ) -> StoredCase:
        now = self.now()
        year = int(now[:4])  # saksår: the current year in UTC
        values = (
            str(uuid.uuid4()),
            tenant,
            year,
            self.next_case_sequence(connection, tenant, year),
            status,
            json_text(case_input),
            now,
            now,
            now if status == "closed" else None,
            1,
        )
        cursor = connection.execute(
            "INSERT INTO case_files (id, municipality, case_year, case_sequence, status, input_json, "
            "created_at, updated_at, closed_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            values,
        )
        assert cursor.lastrowid is not None
        return case_row((cursor.lastrowid, *values))

    def _insert_entry(
        self, connection: sqlite3.Connection, case: StoredCase, entry_input: Mapping[str, Any]
    ) -> StoredEntry:
        values = (
            str(uuid.uuid4()),
            case.seq,
            self.next_entry_number(connection, case.seq),
            ENTRY_STATUS,
            json_text(entry_input),
            self.now(),
        )
        cursor = connection.execute(
            "INSERT INTO case_registry_entries (id, case_seq, entry_number, status, input_json, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            values,
        )
        assert cursor.lastrowid is not None
        row = (cursor.lastrowid, values[0], values[2], values[3], values[4], values[5])
        return entry_row(row, case)

    def _insert_document(
        self, connection: sqlite3.Connection, entry: StoredEntry, title: str, role: str
    ) -> tuple[int, str]:
        document_id = str(uuid.uuid4())
        cursor = connection.execute(
            "INSERT INTO case_documents (id, entry_seq, title, role, created_at, version) "
            "VALUES (?, ?, ?, ?, ?, 1)",
            (document_id, entry.seq, title, role, self.now()),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid, document_id

    def _insert_version(
        self, connection: sqlite3.Connection, document_seq: int, version_input: Mapping[str, Any]
    ) -> int:
        number = self.next_version_number(connection, document_seq)
        connection.execute(
            "INSERT INTO case_document_versions (document_seq, version_number, input_json, created_at) "
            "VALUES (?, ?, ?, ?)",
            (document_seq, number, json_text(version_input), self.now()),
        )
        return number

    def _bump_document(self, connection: sqlite3.Connection, document_seq: int) -> None:
        connection.execute("UPDATE case_documents SET version = version + 1 WHERE seq = ?", (document_seq,))

    # ---- operations: case files

    def create_case(
        self, caller: Caller, case_input: Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> Created[Representation]:
        """Opprette saksmappe: number, store and log in one write transaction."""

        def create(connection: sqlite3.Connection) -> StoredCase:
            case = self._insert_case(connection, caller.tenant, case_input)
            self.record_audit(
                connection, case.seq, caller, "case-created", case.id, f"case {case.case_number}"
            )
            return case

        return self._idempotent(self.create_keys, caller, case_input, idempotency_key, create)

    def _idempotent(
        self,
        keys: IdempotencyStore,
        caller: Caller,
        body: Any,
        idempotency_key: str | None,
        create: Callable[[sqlite3.Connection], StoredCase],
    ) -> Created[Representation]:
        """Run ``create`` once per key; a repeat with the same body replays the first answer."""
        return create_idempotently(
            self.database,
            keys,
            caller.tenant,
            body,
            idempotency_key,
            insert=create,
            represent=self.represent_case,
            replay=Representation.from_stored,
        )

    def get_case(self, caller: Caller, case_id: str) -> Representation:
        with self.database.connection() as connection:
            return self.represent_case(self._load_case(connection, caller.tenant, case_id))

    def list_cases(
        self, caller: Caller, *, status: str | None = None, after_id: str | None = None, limit: int = 20
    ) -> PageResult:
        """Keyset page in creation order, continuing after the case file ``after_id``.

        The cursor names a case file, not its row number: row numbers are shared by all
        kommuner and would tell one kommune how busy the others are.
        """
        with self.database.transaction(write=False) as connection:
            rows, has_more = keyset_rows(
                connection,
                "case_files c",
                CASE_COLUMNS,
                owner=("municipality", caller.tenant),
                after_id=after_id,
                limit=limit,
                equal={"c.status": status},
            )
        page = [case_row(values) for values in rows]
        return PageResult.of(page, has_more, self.case_resource, lambda case: case.id)

    def transition(
        self,
        caller: Caller,
        case_id: str,
        to: str,
        *,
        note: str | None = None,
        if_match: ETagCondition | None = None,
    ) -> Representation:
        """Avslutte / gjenåpne as compare-and-set: 404, then 412, then 409, else the new state."""
        with self.database.transaction(write=True) as connection:
            case = self._load_case(connection, caller.tenant, case_id)
            if if_match is not None and not if_match.matches(self.case_etag(case)):
                raise PreconditionFailedError(case_id)
            if not self.is_allowed(case.status, to):
                raise TransitionNotAllowedError(case.status, to)
            at = later(self.now(), case.updated_at)
            updated = connection.execute(
                "UPDATE case_files SET status = ?, updated_at = ?, closed_at = ?, version = version + 1 "
                "WHERE seq = ? AND version = ?",
                (to, at, at if to == "closed" else None, case.seq, case.version),
            )
            # Cannot miss under BEGIN IMMEDIATE; if it ever does, refuse rather than guess.
            if updated.rowcount != 1:
                raise PreconditionFailedError(case_id)
            detail = f"case {case.case_number} {to}" + (f": {note}" if note else "")
            self.record_audit(connection, case.seq, caller, self.transition_actions[to], case.id, detail)
            return self.represent_case(self._load_case(connection, caller.tenant, case_id))

    def audit_trail(self, caller: Caller, case_id: str) -> list[dict[str, Any]]:
        with self.database.transaction(write=False) as connection:
            case = self._load_case(connection, caller.tenant, case_id)
            return self._audit_of(connection, case.seq)

    # ---- operations: registry entries

    def create_entry(self, caller: Caller, case_id: str, entry_input: Mapping[str, Any]) -> EntryView:
        """Journalføre: the closed check and the numbering happen under the same write lock."""
        with self.database.transaction(write=True) as connection:
            case = self._load_case(connection, caller.tenant, case_id)
            self.check_open(case)
            entry = self._insert_entry(connection, case, entry_input)
            detail = f"registry entry {entry.registry_entry_number} ({entry.input.get('type')})"
            self.record_audit(connection, case.seq, caller, "entry-created", entry.id, detail)
        return EntryView(entry.id, self.entry_resource(entry, caller))

    def get_entry(self, caller: Caller, entry_id: str) -> EntryView:
        with self.database.connection() as connection:
            entry = self._load_entry(connection, caller.tenant, entry_id)
        return EntryView(entry.id, self.entry_resource(entry, caller))

    def list_entries(
        self, caller: Caller, case_id: str, *, after_number: int = 0, limit: int = 20
    ) -> PageResult:
        """Keyset page in entry number order."""
        with self.database.transaction(write=False) as connection:
            case = self._load_case(connection, caller.tenant, case_id)
            rows = self._entries_of(connection, case, after_number=after_number, limit=limit + 1)
        return PageResult.of(
            rows[:limit],
            len(rows) > limit,
            lambda entry: self.entry_resource(entry, caller),
            lambda entry: entry.entry_number,
        )

    # ---- operations: documents

    def create_document(
        self, caller: Caller, entry_id: str, document_input: Mapping[str, Any]
    ) -> Representation:
        """A dokumentbeskrivelse with its first dokumentobjekt, in an open case only."""
        with self.database.transaction(write=True) as connection:
            entry = self._load_entry(connection, caller.tenant, entry_id)
            self.check_open(entry.case)
            document_seq, document_id = self._insert_document(
                connection, entry, str(document_input["title"]), str(document_input["role"])
            )
            self._insert_version(connection, document_seq, document_input["version"])
            detail = f"{document_input['role']} document in registry entry {entry.registry_entry_number}"
            self.record_audit(connection, entry.case.seq, caller, "document-created", document_id, detail)
            return self.represent_document(self._load_document(connection, caller.tenant, document_id))

    def get_document(self, caller: Caller, document_id: str) -> Representation:
        with self.database.transaction(write=False) as connection:
            return self.represent_document(self._load_document(connection, caller.tenant, document_id))

    def add_version(
        self, caller: Caller, document_id: str, version_input: Mapping[str, Any]
    ) -> Representation:
        """A new version gets the next number; earlier versions stay as they are."""
        with self.database.transaction(write=True) as connection:
            document = self._load_document(connection, caller.tenant, document_id)
            self.check_open(document.entry.case)
            number = self._insert_version(connection, document.seq, version_input)
            self._bump_document(connection, document.seq)
            detail = f"version {number} ({version_input.get('variant')})"
            self.record_audit(
                connection, document.entry.case.seq, caller, "version-created", document.id, detail
            )
            return self.represent_document(self._load_document(connection, caller.tenant, document_id))

    def patch_version(
        self,
        caller: Caller,
        document_id: str,
        number: int,
        patch: Mapping[str, Any],
        *,
        if_match: ETagCondition | None = None,
    ) -> Representation:
        """JSON merge patch (RFC 7396) of a production version: 404, 412, 409 (closed, archive)."""
        with self.database.transaction(write=True) as connection:
            document = self._load_document(connection, caller.tenant, document_id)
            if if_match is not None and not if_match.matches(self.document_etag(document)):
                raise PreconditionFailedError(document_id)
            version = next((v for v in document.versions if v.number == number), None)
            if version is None:
                raise NotFoundError("document version", f"{document_id}/versions/{number}")
            self.check_open(document.entry.case)
            if not self.version_is_mutable(version):
                raise VersionImmutableError(number)
            merged = merge_patch(version.input, patch)
            connection.execute(
                "UPDATE case_document_versions SET input_json = ? "
                "WHERE document_seq = ? AND version_number = ?",
                (json_text(merged), document.seq, number),
            )
            self._bump_document(connection, document.seq)
            detail = f"version {number}: {', '.join(sorted(patch))} changed"
            self.record_audit(
                connection, document.entry.case.seq, caller, "version-updated", document.id, detail
            )
            return self.represent_document(self._load_document(connection, caller.tenant, document_id))

    # ---- operations: exchange (arkivmelding)

    def export_case(self, caller: Caller, case_id: str) -> dict[str, Any]:
        """The whole case from one read transaction, so the parts agree with each other."""
        with self.database.transaction(write=False) as connection:
            case = self._load_case(connection, caller.tenant, case_id)
            entries = self._entries_of(connection, case)
            documents = self._documents_of(connection, case, entries)
            audit = self._audit_of(connection, case.seq)
        return self.build_export(case, entries, documents, audit, caller)

    def build_export(
        self,
        case: StoredCase,
        entries: Sequence[StoredEntry],
        documents: Mapping[int, Sequence[StoredDocument]],
        audit: Sequence[Mapping[str, Any]],
        caller: Caller,
    ) -> dict[str, Any]:
        """A CaseExport: inputs exactly as stored (no defaults added), so import-then-export
        gives the same document back. Screened members are removed for callers without the
        screened scope, which makes such an export incomplete and not importable."""
        return {
            "formatVersion": EXPORT_FORMAT,
            "exportedAt": self.now(),
            "source": {
                "municipalityNumber": case.municipality,
                "system": SYSTEM_NAME,
                "caseNumber": case.case_number,
            },
            "caseFile": case.input,
            "status": case.status,
            "registryEntries": [
                {
                    "entry": self.screened_view(entry.input, caller)[0],
                    "documents": [
                        {
                            "title": document.title,
                            "role": document.role,
                            "versions": [version.input for version in document.versions],
                        }
                        for document in documents.get(entry.seq, ())
                    ],
                }
                for entry in entries
            ],
            "audit": list(audit),
        }

    def import_case(
        self, caller: Caller, export: Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> Created[Representation]:
        """Mottak av arkivmelding: all of it in one transaction, or nothing."""
        return self._idempotent(
            self.import_keys,
            caller,
            export,
            idempotency_key,
            lambda connection: self.restore_case(connection, caller, export),
        )

    def restore_case(
        self, connection: sqlite3.Connection, caller: Caller, export: Mapping[str, Any]
    ) -> StoredCase:
        """A new case file of the caller's kommune (new numbers) with the exported content.

        Only one audit event is written, ``case-imported``: entries, documents and versions
        arrive together as one change. The exported audit trail is another system's and is not
        copied (its object ids mean nothing here).
        """
        status = str(export.get("status", INITIAL_STATUS))
        case = self._insert_case(connection, caller.tenant, export["caseFile"], status=status)
        document_count = 0
        for item in export["registryEntries"]:
            entry = self._insert_entry(connection, case, item["entry"])
            for document in item["documents"]:
                document_seq, _ = self._insert_document(
                    connection, entry, str(document["title"]), str(document["role"])
                )
                for version in document["versions"]:
                    self._insert_version(connection, document_seq, version)
                document_count += 1
        source = export["source"]
        origin = f"{source['system']} ({source['municipalityNumber']})"
        if "caseNumber" in source:
            origin += f" case {source['caseNumber']}"
        entries = len(export["registryEntries"])
        detail = (
            f"case {case.case_number} imported from {origin}: {entries} registry "
            f"{'entry' if entries == 1 else 'entries'}, {document_count} "
            f"{'document' if document_count == 1 else 'documents'}, status {status}"
        )
        self.record_audit(connection, case.seq, caller, "case-imported", case.id, detail)
        return case


def merge_patch(target: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """RFC 7396 JSON merge patch of an object: ``null`` removes a member, objects merge."""
    result = dict(target)
    for name, value in patch.items():
        if value is None:
            result.pop(name, None)
        elif isinstance(value, Mapping):
            current = result.get(name)
            result[name] = merge_patch(current if isinstance(current, Mapping) else {}, value)
        else:
            result[name] = value
    return result
