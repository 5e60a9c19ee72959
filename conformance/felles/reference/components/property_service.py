"""property@1.0 (eiendom): registration, queries, feiing/tilsyn schedules, notices and replies.

:class:`PropertyService` holds the behaviour the spec requires, independent of
HTTP, with plain seams (``today``, ``cadastral_key``, ``kommune_errors``,
``building_errors``, ``future_date_errors``, ``last_visit``, ``next_due``,
``recipient_errors``, ``planned_date_errors``, ``can_reply``, the
``*_resource`` renderers and one method per operation). Tests build broken
variants ("mutants") by subclassing it — production code has no fault flags.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from felles.reference.components.base import Clock, utc_now
from felles.reference.components.property_calendar import add_months, oslo_date, parse_instant
from felles.reference.components.property_model import (
    NAME,
    NOTICE_COLUMNS,
    PROPERTY_COLUMNS,
    REPLY_STATUSES,
    SENT,
    SERVICES,
    VERSION,
    DuplicatePropertyError,
    NoticeAnsweredError,
    PropertyFilter,
    StoredNotice,
    StoredProperty,
    notice_row,
    property_row,
    refuse_invalid,
)
from felles.reference.components.shared import (
    Created,
    NotFoundError,
    PageResult,
    Representation,
    create_idempotently,
    entity_tag,
    format_timestamp,
    json_text,
    keyset_rows,
    owned_row,
)
from felles.reference.http import render_json
from felles.reference.problems import FieldProblem
from felles.reference.storage import Database, IdempotencyStore

CadastralKey = tuple[int, int, int, int]


def display_number(cadastral: Mapping[str, Any]) -> str:
    """The common display form knr-gnr/bnr/fnr/snr, for messages only."""
    return (
        f"{cadastral['municipalityNumber']}-{cadastral['cadastralUnitNumber']}/"
        f"{cadastral['propertyUnitNumber']}/{cadastral.get('leaseholdNumber', 0)}/"
        f"{cadastral.get('sectionNumber', 0)}"
    )


class PropertyService:
    """The behaviour of property@1.0, independent of HTTP. Every operation is tenant-scoped."""

    def __init__(self, database: Database, clock: Clock = utc_now) -> None:
        self.database = database
        self.clock = clock
        self.create_keys = IdempotencyStore(f"{NAME}@{VERSION} create")

    # ---- seams: time and keys

    def now(self) -> str:
        return format_timestamp(self.clock())

    def today(self) -> date:
        """Today in Europe/Oslo: every date rule of the component counts in Norwegian days."""
        return oslo_date(self.clock())

    def cadastral_key(self, cadastral: Mapping[str, Any]) -> CadastralKey:
        """gnr, bnr, fnr, snr with an absent festenummer/seksjonsnummer as 0 (common 1.0)."""
        return (
            int(cadastral["cadastralUnitNumber"]),
            int(cadastral["propertyUnitNumber"]),
            int(cadastral.get("leaseholdNumber", 0)),
            int(cadastral.get("sectionNumber", 0)),
        )

    # ---- seams: rules beyond the schema (each returns the problems it finds)

    def kommune_errors(self, tenant: str, body: Mapping[str, Any]) -> list[FieldProblem]:
        """A kommune registers only the properties within it."""
        given = body["cadastralNumber"]["municipalityNumber"]
        if given == tenant:
            return []
        detail = f"kommunenummer {given} is not the caller's kommune {tenant}"
        return [FieldProblem("/cadastralNumber/municipalityNumber", detail)]

    def building_errors(self, body: Mapping[str, Any]) -> list[FieldProblem]:
        """A bygningsnummer appears once per property; the repeat is the error."""
        seen: set[str] = set()
        errors = []
        for index, building in enumerate(body["buildings"]):
            number = building["buildingNumber"]
            if number in seen:
                detail = f"bygningsnummer {number} is given twice"
                errors.append(FieldProblem(f"/buildings/{index}/buildingNumber", detail))
            seen.add(number)
        return errors

    def future_date_errors(self, dates: Iterable[tuple[str, str]]) -> list[FieldProblem]:
        """Visits cannot lie after today (Europe/Oslo); ``dates`` is (pointer, date) pairs."""
        today = self.today()
        return [
            FieldProblem(pointer, f"{value} is after today ({today.isoformat()}, Europe/Oslo)")
            for pointer, value in dates
            if date.fromisoformat(value) > today
        ]

    def registered_visit_dates(self, body: Mapping[str, Any]) -> list[tuple[str, str]]:
        return [
            (f"/buildings/{index}/fireSafety/{service}/lastVisit", plan[service]["lastVisit"])
            for index, building in enumerate(body["buildings"])
            if (plan := building.get("fireSafety")) is not None
            for service in SERVICES
            if "lastVisit" in plan[service]
        ]

    def recipient_errors(self, prop: StoredProperty, recipient: Mapping[str, Any]) -> list[FieldProblem]:
        """A notice goes to one of the property's owners."""
        member = "nationalIdentityNumber" if recipient["type"] == "person" else "organizationNumber"
        if recipient[member] in prop.owner_numbers():
            return []
        return [FieldProblem(f"/recipient/{member}", "the recipient is not an owner of the property")]

    def planned_date_errors(self, pointer: str, value: str) -> list[FieldProblem]:
        """A planned or requested visit lies after today (Europe/Oslo)."""
        today = self.today()
        if date.fromisoformat(value) > today:
            return []
        return [FieldProblem(pointer, f"{value} is not after today ({today.isoformat()}, Europe/Oslo)")]

    def can_reply(self, notice: StoredNotice) -> bool:
        return notice.status == SENT

    # ---- seams: the schedule

    def last_visit(self, registered: str | None, recorded: list[str]) -> str | None:
        """The latest of the registered last visit and the recorded ones."""
        dates = [d for d in (registered, *recorded) if d is not None]
        return max(dates, key=date.fromisoformat) if dates else None

    def next_due(self, last: str | None, interval_months: int, registered_on: date) -> str:
        """Last visit plus the interval in calendar months; never visited: due at registration."""
        if last is None:
            return registered_on.isoformat()
        return add_months(date.fromisoformat(last), interval_months).isoformat()

    # ---- seams: representations

    def property_resource(self, prop: StoredProperty) -> dict[str, Any]:
        return {
            "id": prop.id,
            "municipalityNumber": prop.municipality,
            **prop.input,
            "createdAt": prop.created_at,
        }

    def represent(self, prop: StoredProperty) -> Representation:
        return Representation(
            prop.id, render_json(self.property_resource(prop)), entity_tag("property", prop.id)
        )

    def notice_resource(self, notice: StoredNotice) -> dict[str, Any]:
        return {
            "id": notice.id,
            "propertyId": notice.property_id,
            "buildingNumber": notice.building_number,
            **notice.input,
            "sentAt": notice.sent_at,
            "status": notice.status,
            "reply": notice.reply,
        }

    def schedule_resource(
        self,
        prop: StoredProperty,
        building: Mapping[str, Any],
        visits: list[dict[str, Any]],
        notices: list[StoredNotice],
    ) -> dict[str, Any]:
        plan = building["fireSafety"]
        registered_on = oslo_date(parse_instant(prop.created_at))
        services = {}
        for service in SERVICES:
            recorded = [v["date"] for v in visits if v["service"] == service]
            last = self.last_visit(plan[service].get("lastVisit"), recorded)
            interval = int(plan[service]["intervalMonths"])
            services[service] = {
                "intervalMonths": interval,
                "lastVisit": last,
                "nextDue": self.next_due(last, interval, registered_on),
            }
        return {
            "propertyId": prop.id,
            "buildingNumber": building["buildingNumber"],
            **services,
            "visits": visits,
            "notices": [self.notice_resource(n) for n in notices],
        }

    # ---- loading (always through the tenant)

    def _load(self, connection: sqlite3.Connection, tenant: str, property_id: str) -> StoredProperty:
        return property_row(
            owned_row(connection, "properties p", PROPERTY_COLUMNS, property_id, tenant, "property")
        )

    def _planned_building(self, prop: StoredProperty, number: str) -> Mapping[str, Any]:
        """A building of the property in the feiing scheme; others have no schedule (404)."""
        building = prop.building(number)
        if building is None or "fireSafety" not in building:
            raise NotFoundError("fire-safety schedule of building", number)
        return building

    def _load_planned(
        self, connection: sqlite3.Connection, tenant: str, property_id: str, number: str
    ) -> StoredProperty:
        """The property, provided the building ``number`` has a schedule (else 404)."""
        prop = self._load(connection, tenant, property_id)
        self._planned_building(prop, number)
        return prop

    def _load_notice(self, connection: sqlite3.Connection, tenant: str, notice_id: str) -> StoredNotice:
        found = connection.execute(
            f"SELECT {NOTICE_COLUMNS} FROM property_notices n JOIN properties p ON p.seq = n.property_seq "
            "WHERE n.id = ? AND p.municipality = ?",
            (notice_id, tenant),
        ).fetchone()
        if found is None:
            raise NotFoundError("notice", notice_id)
        return notice_row(found)

    def _schedule(self, connection: sqlite3.Connection, prop: StoredProperty, number: str) -> dict[str, Any]:
        building = self._planned_building(prop, number)
        visits = [
            {"id": visit_id, **json.loads(raw), "recordedAt": recorded_at}
            for visit_id, raw, recorded_at in connection.execute(
                "SELECT id, input_json, recorded_at FROM property_visits "
                "WHERE property_seq = ? AND building_number = ? ORDER BY seq",
                (prop.seq, number),
            ).fetchall()
        ]
        notices = [
            notice_row(values)
            for values in connection.execute(
                f"SELECT {NOTICE_COLUMNS} FROM property_notices n "
                "JOIN properties p ON p.seq = n.property_seq "
                "WHERE n.property_seq = ? AND n.building_number = ? ORDER BY n.seq",
                (prop.seq, number),
            ).fetchall()
        ]
        return self.schedule_resource(prop, building, visits, notices)

    # ---- operations: properties

    def create(
        self, tenant: str, body: Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> Created[Representation]:
        """Registrere eiendom: rule checks, then the uniqueness check and insert under one lock."""
        refuse_invalid(
            [
                *self.kommune_errors(tenant, body),
                *self.building_errors(body),
                *self.future_date_errors(self.registered_visit_dates(body)),
            ]
        )
        return create_idempotently(
            self.database,
            self.create_keys,
            tenant,
            body,
            idempotency_key,
            insert=lambda connection: self._insert(connection, tenant, body),
            represent=self.represent,
            replay=Representation.from_stored,
        )

    def _insert(self, connection: sqlite3.Connection, tenant: str, body: Mapping[str, Any]) -> StoredProperty:
        key = self.cadastral_key(body["cadastralNumber"])
        taken = connection.execute(
            "SELECT 1 FROM properties WHERE municipality = ? AND cadastral_unit = ? AND property_unit = ? "
            "AND leasehold = ? AND section = ?",
            (tenant, *key),
        ).fetchone()
        if taken is not None:
            raise DuplicatePropertyError(display_number(body["cadastralNumber"]))
        values = (str(uuid.uuid4()), tenant, *key, json_text(body), self.now())
        cursor = connection.execute(
            "INSERT INTO properties (id, municipality, cadastral_unit, property_unit, leasehold, section, "
            "input_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            values,
        )
        assert cursor.lastrowid is not None
        for address in body["addresses"]:
            connection.execute(
                "INSERT INTO property_addresses "
                "(property_seq, street_key, house_number, letter_key, postal_code) VALUES (?, ?, ?, ?, ?)",
                (
                    cursor.lastrowid,
                    _folded(address.get("streetName")),
                    address.get("houseNumber"),
                    _folded(address.get("houseLetter")),
                    address["postalCode"],
                ),
            )
        return property_row((cursor.lastrowid, values[0], tenant, values[6], values[7]))

    def get(self, tenant: str, property_id: str) -> Representation:
        with self.database.connection() as connection:
            return self.represent(self._load(connection, tenant, property_id))

    def list_properties(
        self, tenant: str, query: PropertyFilter, *, after_id: str | None = None, limit: int = 20
    ) -> PageResult:
        """Keyset page in registration order, continuing after the property ``after_id``."""
        equal = {
            "p.cadastral_unit": query.cadastral_unit,
            "p.property_unit": query.property_unit,
            "p.leasehold": query.leasehold,
            "p.section": query.section,
        }
        where: list[str] = []
        parameters: list[Any] = []
        address = [
            (column, value)
            for column, value in (
                ("a.street_key", query.street_key),
                ("a.house_number", query.house_number),
                ("a.letter_key", query.letter_key),
                ("a.postal_code", query.postal_code),
            )
            if value is not None
        ]
        if address:
            matches = " AND ".join(f"{column} = ?" for column, _ in address)
            where.append(
                f"EXISTS (SELECT 1 FROM property_addresses a WHERE a.property_seq = p.seq AND {matches})"
            )
            parameters.extend(value for _, value in address)
        with self.database.transaction(write=False) as connection:
            rows, has_more = keyset_rows(
                connection,
                "properties p",
                PROPERTY_COLUMNS,
                owner=("municipality", tenant),
                after_id=after_id,
                limit=limit,
                equal=equal,
                where=where,
                parameters=parameters,
            )
        page = [property_row(values) for values in rows]
        return PageResult.of(page, has_more, self.property_resource, lambda prop: prop.id)

    # ---- operations: feiing og tilsyn

    def schedule(self, tenant: str, property_id: str, building_number: str) -> dict[str, Any]:
        with self.database.transaction(write=False) as connection:
            return self._schedule(connection, self._load(connection, tenant, property_id), building_number)

    def record_visit(
        self, tenant: str, property_id: str, building_number: str, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        """A feiing or tilsyn carried out: stored, and the schedule as it now stands."""
        with self.database.transaction(write=True) as connection:
            prop = self._load_planned(connection, tenant, property_id, building_number)
            refuse_invalid(self.future_date_errors([("/date", body["date"])]))
            connection.execute(
                "INSERT INTO property_visits (id, property_seq, building_number, input_json, recorded_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (str(uuid.uuid4()), prop.seq, building_number, json_text(body), self.now()),
            )
            return self._schedule(connection, prop, building_number)

    def send_notice(
        self, tenant: str, property_id: str, building_number: str, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Varsel om feiing/tilsyn to one of the owners, for a day after today."""
        with self.database.transaction(write=True) as connection:
            prop = self._load_planned(connection, tenant, property_id, building_number)
            refuse_invalid(
                [
                    *self.recipient_errors(prop, body["recipient"]),
                    *self.planned_date_errors("/plannedDate", body["plannedDate"]),
                ]
            )
            notice_id = str(uuid.uuid4())
            connection.execute(
                "INSERT INTO property_notices "
                "(id, property_seq, building_number, input_json, sent_at, status) VALUES (?, ?, ?, ?, ?, ?)",
                (notice_id, prop.seq, building_number, json_text(body), self.now(), SENT),
            )
            return self.notice_resource(self._load_notice(connection, tenant, notice_id))

    def get_notice(self, tenant: str, notice_id: str) -> dict[str, Any]:
        with self.database.connection() as connection:
            return self.notice_resource(self._load_notice(connection, tenant, notice_id))

    def reply(self, tenant: str, notice_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """The owner's one answer: accept the date, or ask for a later one."""
        with self.database.transaction(write=True) as connection:
            notice = self._load_notice(connection, tenant, notice_id)
            if not self.can_reply(notice):
                raise NoticeAnsweredError(notice.status)
            if body["answer"] == "new-date":
                refuse_invalid(self.planned_date_errors("/requestedDate", body["requestedDate"]))
            reply = {**body, "repliedAt": self.now()}
            connection.execute(
                "UPDATE property_notices SET status = ?, reply_json = ? WHERE seq = ?",
                (REPLY_STATUSES[body["answer"]], json_text(reply), notice.seq),
            )
            return self.notice_resource(self._load_notice(connection, tenant, notice_id))


def _folded(value: str | None) -> str | None:
    """Case-insensitive key (Unicode case folding): Storgata = STORGATA = storgata."""
    return value.casefold() if value is not None else None
