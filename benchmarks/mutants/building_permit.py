"""Vendor-style faults in building-permit@1.0 beyond the one-per-requirement catalogue
(``tests/mutants/building_permit_mutants.py``): deadline arithmetic that counts the
first day, a deemed-granted flag read off the length alone, a deadline recomputed
by the decision, the nabovarsel period counted in UTC days, and a lifecycle that
forbids a second documentation request.

``kills`` names the requirement whose check is expected to fail first.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, timedelta
from types import MappingProxyType
from typing import Any

from tests.mutants.kit import AppFactory, Mutant

from felles.reference.app import create_app
from felles.reference.components.building_permit import BuildingPermitComponent
from felles.reference.components.building_permit_model import (
    ALLOWED_TRANSITIONS,
    NEIGHBOUR_NOTICE_DAYS,
    StoredApplication,
)
from felles.reference.components.building_permit_service import BuildingPermitService
from felles.reference.components.property_calendar import parse_instant
from felles.reference.problems import FieldProblem

REQ = "/req/building-permit/"


def _service(service: type[BuildingPermitService]) -> AppFactory:
    return lambda settings: create_app(settings, components=[BuildingPermitComponent(service)])


class DueDateCountsFirstDay(BuildingPermitService):
    """Counts the day of completeness as day one: due one day early (Friday, not Saturday)."""

    def due_date(self, start: date, weeks: int) -> date:
        return super().due_date(start, weeks) - timedelta(days=1)


class DeemedGrantedByLength(BuildingPermitService):
    """Deemed granted whenever the track is three weeks, objections or not (pbl. § 21-7 tredje
    ledd without the second sentence)."""

    def deemed_granted(self, application: Mapping[str, Any], weeks: int) -> bool:
        return weeks == 3


class DeadlineFromLastStep(BuildingPermitService):
    """Recomputes ``deadline`` at every step from that step's ``at``: the decision moves the
    start date to the day of the decision."""

    def record_step(self, application: StoredApplication, step: Mapping[str, Any], at: str) -> dict[str, Any]:
        record = super().record_step(application, step, at)
        if record.get("deadline") is not None:
            record["deadline"] = self.deadline(application.input, at)
        return record


class NeighbourPeriodInUtc(BuildingPermitService):
    """Counts the two weeks back from the UTC date of receivedAt: an application received late
    in the evening (already the next day in Norway) is refused for a neighbour notified in time."""

    def neighbour_errors(self, application: Mapping[str, Any], received_at: str) -> list[FieldProblem]:
        received_on = parse_instant(received_at).astimezone(UTC).date()
        latest = received_on - timedelta(days=NEIGHBOUR_NOTICE_DAYS)
        return [
            FieldProblem(f"/neighbours/{index}/notifiedOn", f"notify on {latest.isoformat()} or earlier")
            for index, neighbour in enumerate(application["neighbours"])
            if date.fromisoformat(neighbour["notifiedOn"]) > latest
        ]


class OneDocumentationRequest(BuildingPermitService):
    """A mangelbrev may be sent once: incomplete → incomplete (a further request) is refused."""

    transitions = MappingProxyType({**ALLOWED_TRANSITIONS, "incomplete": frozenset({"complete"})})


def _m(name: str, fault: str, requirement: str, build: AppFactory) -> Mutant:
    return Mutant(name, fault, REQ + requirement, build)


BUILDING_PERMIT_VENDOR_MUTANTS: tuple[Mutant, ...] = (
    _m(
        "building-permit-due-counts-first-day",
        "dueDate is startDate + 7 × weeks − 1: the day of completeness is counted as the first day",
        "lifecycle/deadline-period",
        _service(DueDateCountsFirstDay),
    ),
    _m(
        "building-permit-deemed-granted-by-length",
        "deemedGrantedIfMissed is true for every three-week deadline, also with neighbour objections",
        "lifecycle/deadline-period",
        _service(DeemedGrantedByLength),
    ),
    _m(
        "building-permit-deadline-from-last-step",
        "the deadline is recomputed at every step: the decision moves startDate to its own day",
        "lifecycle/deadline-start",
        _service(DeadlineFromLastStep),
    ),
    _m(
        "building-permit-neighbour-period-utc",
        "the 14 days are counted back from the UTC date of receivedAt, not the Europe/Oslo date",
        "core/neighbour-notice",
        _service(NeighbourPeriodInUtc),
    ),
    _m(
        "building-permit-one-documentation-request",
        "a second documentation request (incomplete → incomplete) is refused with 409",
        "lifecycle/transitions",
        _service(OneDocumentationRequest),
    ),
)
