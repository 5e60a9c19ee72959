"""building-permit@1.0 (byggesøknad): submission, processing steps, the pbl. § 21-7 deadline.

:class:`BuildingPermitService` holds the behaviour the spec requires, independent
of HTTP, with plain seams (``now``, ``received_errors``, ``property_errors``,
``neighbour_errors``, ``transitions``, ``is_allowed``, ``at_errors``,
``deadline_weeks``, ``deemed_granted``, ``deadline_start``, ``due_date``,
``record_step``, ``may_add_attachment``, ``application_resource`` and one method
per operation). Tests build broken variants ("mutants") by subclassing it —
production code has no fault flags.

Every calendar date is a Europe/Oslo date (:mod:`.property_calendar`).
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any, ClassVar

from felles.reference.components.base import Clock, utc_now
from felles.reference.components.building_permit_model import (
    ALLOWED_TRANSITIONS,
    APPLICATION_COLUMNS,
    DECIDED,
    INITIAL_STATUS,
    NAME,
    NEIGHBOUR_NOTICE_DAYS,
    VERSION,
    StoredApplication,
    TransitionNotAllowedError,
    UndecidedOnlyError,
    application_row,
)
from felles.reference.components.property_calendar import (
    add_weeks,
    oslo_date,
    parse_instant,
    usable_instant,
)
from felles.reference.components.property_model import refuse_invalid
from felles.reference.components.shared import (
    Created,
    PageResult,
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
from felles.reference.problems import FieldProblem
from felles.reference.storage import Database, IdempotencyStore

#: Members of the input kept apart from the rest: attachments grow, receivedAt is a column.
_RECORD_MEMBERS = ("attachments", "receivedAt")


def has_objection(application: Mapping[str, Any]) -> bool:
    """At least one notified neighbour sent a merknad."""
    return any("objection" in neighbour for neighbour in application["neighbours"])


class BuildingPermitService:
    """The behaviour of building-permit@1.0, independent of HTTP. Every operation is tenant-scoped."""

    transitions: ClassVar[Mapping[str, frozenset[str]]] = ALLOWED_TRANSITIONS

    def __init__(self, database: Database, clock: Clock = utc_now) -> None:
        self.database = database
        self.clock = clock
        self.submit_keys = IdempotencyStore(f"{NAME}@{VERSION} submit")

    def now(self) -> str:
        return format_timestamp(self.clock())

    # ---- seams: rules beyond the schema (each returns the problems it finds)

    def received_errors(self, received_at: str, now: str) -> list[FieldProblem]:
        instant = usable_instant(received_at)
        if instant is None:
            return [
                FieldProblem(
                    "/receivedAt", f"{received_at} is outside the years this system accepts (1900-8999)"
                )
            ]
        if instant <= parse_instant(now):
            return []
        return [FieldProblem("/receivedAt", f"{received_at} is later than the time of the request ({now})")]

    def property_errors(self, tenant: str, application: Mapping[str, Any]) -> list[FieldProblem]:
        """A kommune processes applications for measures on its own land."""
        given = application["property"]["cadastralNumber"]["municipalityNumber"]
        if given == tenant:
            return []
        detail = f"the property is in kommune {given}, not in the caller's kommune {tenant}"
        return [FieldProblem("/property/cadastralNumber/municipalityNumber", detail)]

    def neighbour_errors(self, application: Mapping[str, Any], received_at: str) -> list[FieldProblem]:
        """Every neighbour was notified at least 14 days before the application was received."""
        latest = oslo_date(parse_instant(received_at)) - timedelta(days=NEIGHBOUR_NOTICE_DAYS)
        return [
            FieldProblem(
                f"/neighbours/{index}/notifiedOn",
                f"notified {neighbour['notifiedOn']}; the application was received less than "
                f"{NEIGHBOUR_NOTICE_DAYS} days later (notify on {latest.isoformat()} or earlier)",
            )
            for index, neighbour in enumerate(application["neighbours"])
            if date.fromisoformat(neighbour["notifiedOn"]) > latest
        ]

    def is_allowed(self, current: str, to: str) -> bool:
        return to in self.transitions.get(current, frozenset())

    def at_errors(self, at: str, application: StoredApplication, now: str) -> list[FieldProblem]:
        """A step takes effect after the previous one and not in the future."""
        instant = usable_instant(at)
        if instant is None:
            return [FieldProblem("/at", f"{at} is outside the years this system accepts (1900-8999)")]
        if instant < parse_instant(application.last_change):
            return [FieldProblem("/at", f"{at} is before the application's previous step")]
        if instant > parse_instant(now):
            return [FieldProblem("/at", f"{at} is later than the time of the request ({now})")]
        return []

    def may_add_attachment(self, application: StoredApplication) -> bool:
        return application.status not in DECIDED

    # ---- seams: the deadline (spec, "Case processing deadline")

    def deadline_weeks(self, application: Mapping[str, Any]) -> int:
        """pbl. § 21-7: 12 weeks is the main rule; 3 for a clean one-step or
        without-responsibility application (objections only matter with ansvarsrett)."""
        procedure = application["procedure"]["type"]
        if procedure == "framework-permit":
            return 12
        if application["dispensationRequested"] or application["otherAuthorityConsentRequired"]:
            return 12
        if procedure == "one-step" and has_objection(application):
            return 12
        return 3

    def deemed_granted(self, application: Mapping[str, Any], weeks: int) -> bool:
        """Tillatelse anses gitt (pbl. § 21-7 andre ledd): three weeks and no objection."""
        return weeks == 3 and not has_objection(application)

    def deadline_start(self, completed_at: str) -> date:
        """The Europe/Oslo date on which the application became complete."""
        return oslo_date(parse_instant(completed_at))

    def due_date(self, start: date, weeks: int) -> date:
        return add_weeks(start, weeks)

    def deadline(self, application: Mapping[str, Any], completed_at: str) -> dict[str, Any]:
        weeks = self.deadline_weeks(application)
        start = self.deadline_start(completed_at)
        return {
            "startDate": start.isoformat(),
            "weeks": weeks,
            "dueDate": self.due_date(start, weeks).isoformat(),
            "deemedGrantedIfMissed": self.deemed_granted(application, weeks),
        }

    # ---- seams: what a step records

    def record_step(self, application: StoredApplication, step: Mapping[str, Any], at: str) -> dict[str, Any]:
        """The processing record after ``step`` (history, request, deadline, decision)."""
        record = dict(application.record)
        to = step["to"]
        entry = {"status": to, "at": at}
        if "note" in step:
            entry["note"] = step["note"]
        record["history"] = [*record["history"], entry]
        if to == "incomplete":
            request = {"requestedAt": at, **step["documentationRequest"]}
            record["documentationRequests"] = [*record["documentationRequests"], request]
        elif to == "complete":
            record["deadline"] = self.deadline(application.input, at)
        else:
            decision: dict[str, Any] = {"outcome": to, "decidedAt": at}
            for member in ("conditions", "justification"):
                if member in step:
                    decision[member] = step[member]
            record["decision"] = decision
        return record

    # ---- seams: representations

    def application_resource(self, application: StoredApplication) -> dict[str, Any]:
        return {
            "id": application.id,
            "municipalityNumber": application.municipality,
            "status": application.status,
            "receivedAt": application.received_at,
            **application.input,
            **application.record,
            "createdAt": application.created_at,
            "updatedAt": application.updated_at,
        }

    def represent(self, application: StoredApplication) -> Representation:
        body = render_json(self.application_resource(application))
        return Representation(
            application.id, body, entity_tag("application", application.id, application.version)
        )

    # ---- loading (always through the tenant)

    def _load(self, connection: sqlite3.Connection, tenant: str, application_id: str) -> StoredApplication:
        found = owned_row(
            connection, "permit_applications", APPLICATION_COLUMNS, application_id, tenant, "application"
        )
        return application_row(found)

    def _save(
        self,
        connection: sqlite3.Connection,
        application: StoredApplication,
        status: str,
        record: dict[str, Any],
    ) -> None:
        connection.execute(
            "UPDATE permit_applications SET status = ?, record_json = ?, updated_at = ?, "
            "version = version + 1 WHERE seq = ?",
            (status, json_text(record), later(self.now(), application.updated_at), application.seq),
        )

    # ---- operations

    def submit(
        self, tenant: str, body: Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> Created[Representation]:
        """Innsending: the rules beyond the schema, then one insert."""
        now = self.now()
        received_at = str(body.get("receivedAt", now))
        refuse_invalid(self.received_errors(received_at, now))
        refuse_invalid([*self.property_errors(tenant, body), *self.neighbour_errors(body, received_at)])
        return create_idempotently(
            self.database,
            self.submit_keys,
            tenant,
            body,
            idempotency_key,
            insert=lambda connection: self._insert(connection, tenant, body, received_at, now),
            represent=self.represent,
            replay=Representation.from_stored,
        )

    def _insert(
        self, connection: sqlite3.Connection, tenant: str, body: Mapping[str, Any], received_at: str, now: str
    ) -> StoredApplication:
        application = {k: v for k, v in body.items() if k not in _RECORD_MEMBERS}
        record = {
            "attachments": list(body.get("attachments", [])),
            "documentationRequests": [],
            "deadline": None,
            "decision": None,
            "history": [{"status": INITIAL_STATUS, "at": received_at}],
        }
        values = (
            str(uuid.uuid4()),
            tenant,
            INITIAL_STATUS,
            received_at,
            json_text(application),
            json_text(record),
            now,
            now,
            1,
        )
        cursor = connection.execute(
            "INSERT INTO permit_applications (id, municipality, status, received_at, input_json, "
            "record_json, created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            values,
        )
        assert cursor.lastrowid is not None
        return application_row((cursor.lastrowid, *values))

    def get(self, tenant: str, application_id: str) -> Representation:
        with self.database.connection() as connection:
            return self.represent(self._load(connection, tenant, application_id))

    def list_applications(
        self, tenant: str, *, status: str | None = None, after_id: str | None = None, limit: int = 20
    ) -> PageResult:
        """Keyset page, oldest first, continuing after the application ``after_id``."""
        with self.database.transaction(write=False) as connection:
            rows, has_more = keyset_rows(
                connection,
                "permit_applications",
                APPLICATION_COLUMNS,
                owner=("municipality", tenant),
                after_id=after_id,
                limit=limit,
                equal={"status": status},
            )
        page = [application_row(values) for values in rows]
        return PageResult.of(page, has_more, self.application_resource, lambda application: application.id)

    def transition(self, tenant: str, application_id: str, step: Mapping[str, Any]) -> Representation:
        """A processing step as compare-and-set under the write lock: 404, then 409, then 422."""
        with self.database.transaction(write=True) as connection:
            application = self._load(connection, tenant, application_id)
            to = str(step["to"])
            if not self.is_allowed(application.status, to):
                raise TransitionNotAllowedError(application.status, to)
            now = self.now()
            at = str(step.get("at", now))
            refuse_invalid(self.at_errors(at, application, now))
            self._save(connection, application, to, self.record_step(application, step, at))
            return self.represent(self._load(connection, tenant, application_id))

    def add_attachment(
        self, tenant: str, application_id: str, attachment: Mapping[str, Any]
    ) -> Representation:
        """Ettersending: appended last, until the application is decided."""
        with self.database.transaction(write=True) as connection:
            application = self._load(connection, tenant, application_id)
            if not self.may_add_attachment(application):
                raise UndecidedOnlyError(application.status)
            record = {**application.record, "attachments": [*application.record["attachments"], attachment]}
            self._save(connection, application, application.status, record)
            return self.represent(self._load(connection, tenant, application_id))
