"""Vendor-style faults in property@1.0 beyond the one-per-requirement catalogue
(``tests/mutants/property_mutants.py``): a crash on bad input, calendar arithmetic
that overflows month ends, a date rule off by one day, address and matrikkel
queries that match too much or too little, and a notice readable by any kommune.

``kills`` names the requirement whose check is expected to fail first.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from typing import Any

from tests.mutants.kit import AppFactory, Mutant
from tests.mutants.rewrite import Rewriter

from benchmarks.mutants import faults
from felles.reference.app import create_app
from felles.reference.components.property import PropertyComponent
from felles.reference.components.property_model import PropertyFilter
from felles.reference.components.property_service import PropertyService
from felles.reference.components.shared import PageResult
from felles.reference.problems import FieldProblem

REQ = "/req/property/"


def _service(service: type[PropertyService]) -> AppFactory:
    return lambda settings: create_app(settings, components=[PropertyComponent(service)])


def _wrapped(**rewrites: Any) -> AppFactory:
    return lambda settings: Rewriter(create_app(settings, components=[PropertyComponent()]), **rewrites)


# ------------------------------------------------------------ service faults


class MonthEndOverflows(PropertyService):
    """Adds months the way ``Date.setMonth`` does: a day the target month lacks spills into the
    next month (31 August + 6 months = 2 March, not 29 February)."""

    def next_due(self, last: str | None, interval_months: int, registered_on: date) -> str:
        if last is None:
            return registered_on.isoformat()
        start = date.fromisoformat(last)
        year, month = divmod(start.year * 12 + start.month - 1 + interval_months, 12)
        first = date(year, month + 1, 1)
        return (first + timedelta(days=start.day - 1)).isoformat()


class PlannedTodayAccepted(PropertyService):
    """``>=`` where the rule says *after* today: a notice (or a new date) for today is accepted."""

    def planned_date_errors(self, pointer: str, value: str) -> list[FieldProblem]:
        today = self.today()
        if date.fromisoformat(value) >= today:
            return []
        return [FieldProblem(pointer, f"{value} is before today ({today.isoformat()})")]


def _matches(address: dict[str, Any], name: str, wanted: Any) -> bool:
    value = address.get(name)
    if name in ("streetName", "houseLetter"):
        return value is not None and str(value).casefold() == str(wanted).casefold()
    return bool(value == wanted)


class AddressPartsAcrossAddresses(PropertyService):
    """One ``EXISTS`` per address parameter instead of one for all of them: street name from one
    address and house number from another make a match."""

    def list_properties(
        self, tenant: str, query: PropertyFilter, *, after_id: str | None = None, limit: int = 20
    ) -> PageResult:
        wanted = {
            name: int(raw) if name == "houseNumber" else raw
            for name, raw in query.given.items()
            if name in ("streetName", "houseNumber", "houseLetter", "postalCode")
        }
        if not wanted:
            return super().list_properties(tenant, query, after_id=after_id, limit=limit)
        loose = dataclasses.replace(
            query, street_key=None, house_number=None, letter_key=None, postal_code=None
        )
        page = super().list_properties(tenant, loose, after_id=after_id, limit=limit)
        items = [
            prop
            for prop in page.items
            if all(any(_matches(a, n, v) for a in prop["addresses"]) for n, v in wanted.items())
        ]
        return PageResult(items, page.last_key, page.has_more)


class ZeroMissesAbsent(PropertyService):
    """Festenummer and seksjonsnummer are stored as NULL when absent, so ``leaseholdNumber=0`` or
    ``sectionNumber=0`` finds only the properties that were registered with an explicit 0."""

    def list_properties(
        self, tenant: str, query: PropertyFilter, *, after_id: str | None = None, limit: int = 20
    ) -> PageResult:
        page = super().list_properties(tenant, query, after_id=after_id, limit=limit)
        asked = [
            member
            for member, value in (("leaseholdNumber", query.leasehold), ("sectionNumber", query.section))
            if value == 0
        ]
        items = [p for p in page.items if all(m in p["cadastralNumber"] for m in asked)]
        return PageResult(items, page.last_key, page.has_more)


class NoticeReadByAnyone(PropertyService):
    """GET /notices/{id} looks the notice up by id alone (the join to its property's kommune was
    left out of that one query)."""

    def get_notice(self, tenant: str, notice_id: str) -> dict[str, Any]:
        with self.database.connection() as connection:
            row = connection.execute(
                "SELECT p.municipality FROM property_notices n JOIN properties p ON p.seq = n.property_seq "
                "WHERE n.id = ?",
                (notice_id,),
            ).fetchone()
        return super().get_notice(row[0] if row else tenant, notice_id)


def _m(name: str, fault: str, requirement: str, build: AppFactory) -> Mutant:
    return Mutant(name, fault, REQ + requirement, build)


PROPERTY_VENDOR_MUTANTS: tuple[Mutant, ...] = (
    _m(
        "property-500-on-wrong-type",
        "a body or member of the wrong JSON type (a number for the object) crashes the handler: 500",
        "core/reject-invalid",
        _wrapped(on_response=faults.crash_when(faults.rejected_for_type)),
    ),
    _m(
        "property-month-end-overflows",
        "nextDue adds months like Date.setMonth: 2023-08-31 + 6 months is 2024-03-02, not 2024-02-29",
        "fire-safety/schedule",
        _service(MonthEndOverflows),
    ),
    _m(
        "property-notice-for-today",
        "a notice planned for today is accepted (>= today instead of after today)",
        "fire-safety/notices",
        _service(PlannedTodayAccepted),
    ),
    _m(
        "property-address-parts-across-addresses",
        "address parameters may match different addresses of a property (street of one, number of another)",
        "core/query-address",
        _service(AddressPartsAcrossAddresses),
    ),
    _m(
        "property-zero-misses-absent",
        "leaseholdNumber=0 / sectionNumber=0 miss properties registered without festenummer/seksjonsnummer",
        "core/query-cadastral",
        _service(ZeroMissesAbsent),
    ),
    _m(
        "property-notice-read-by-anyone",
        "GET /notices/{id} answers another kommune's notice",
        "core/tenant-isolation",
        _service(NoticeReadByAnyone),
    ),
)
