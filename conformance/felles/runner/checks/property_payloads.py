"""Payloads and calendar rules for the property and building-permit checks (no checks here).

Generated payloads are valid against the schemas but not yet against the rules
beyond them: a property must lie in the caller's kommune under a matrikkelnummer
nobody registered, visits lie in the past, neighbours are notified two weeks
ahead. ``fit_*`` make a generated payload satisfy those rules, so that a check
fails only for the requirement it proves. The calendar functions restate the
spec's definitions independently of any implementation.
"""

from __future__ import annotations

import calendar
import copy
import json
import secrets
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import strategies as st

from felles.formats import municipality_numbers
from felles.runner.config import RunConfig
from felles.runner.generators import Generators
from felles.strategies.from_schema import from_schema

OSLO = ZoneInfo("Europe/Oslo")
SERVICES = ("sweeping", "inspection")
NEIGHBOUR_NOTICE_DAYS = 14


# ------------------------------------------------------------------ calendar (the spec's rules)


def oslo_date(instant: str | datetime) -> date:
    """The Europe/Oslo date of an RFC 3339 instant."""
    moment = instant if isinstance(instant, datetime) else parse_instant(instant)
    return moment.astimezone(OSLO).date()


def parse_instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))


def oslo_today() -> date:
    return oslo_date(datetime.now(UTC))


def add_months(start: date, months: int) -> date:
    """Calendar months, clamped to the last day of a shorter month (spec: *Next due date*)."""
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(start.day, calendar.monthrange(year, month + 1)[1]))


def utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def standard_example(gen: Generators, schema: str, label: str) -> dict[str, Any]:
    """A valid example of the standard (``examples/.../valid/<schema>/<label>.json``). Checks run
    one first, as an explicit Hypothesis example: realistic data, and a failure on it is
    reported at once instead of after shrinking generated data."""
    path = gen.component.examples_path / "valid" / schema / f"{label}.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    return dict(document)


def branch(gen: Generators, schema: str, member: str, value: str) -> st.SearchStrategy[dict[str, Any]]:
    """Valid instances of the ``oneOf`` branch of ``schema`` whose ``member`` is the const ``value``:
    generated directly, since filtering the whole schema wastes most draws."""
    branches = gen.component.schema(schema)["oneOf"]
    index = next(i for i, b in enumerate(branches) if b["properties"][member].get("const") == value)
    return from_schema(f"{gen.schema_id(schema)}#/oneOf/{index}")


# ------------------------------------------------------------------ kommune and matrikkel


def home_kommune(run_config: RunConfig) -> str:
    """The kommune the default token acts for; payloads must lie in it."""
    if not run_config.municipality:
        pytest.skip("precondition not met: the token's kommune is unknown (use --municipality NNNN)")
    return run_config.municipality


def other_kommune(kommune: str) -> str:
    """A valid kommunenummer that is not ``kommune``."""
    return next(number for number in municipality_numbers() if number != kommune)


def fresh_cadastral(kommune: str) -> dict[str, Any]:
    """A matrikkelnummer no earlier run is likely to have used (random gnr and bnr)."""
    return {
        "municipalityNumber": kommune,
        "cadastralUnitNumber": 1 + secrets.randbelow(99999),
        "propertyUnitNumber": 1 + secrets.randbelow(9998),
    }


def cadastral_key(cadastral: Mapping[str, Any]) -> tuple[int, int, int, int]:
    """gnr, bnr, fnr, snr with an absent festenummer/seksjonsnummer as 0 (common 1.0)."""
    return (
        cadastral["cadastralUnitNumber"],
        cadastral["propertyUnitNumber"],
        cadastral.get("leaseholdNumber", 0),
        cadastral.get("sectionNumber", 0),
    )


# ------------------------------------------------------------------ property payloads


def fit_property(payload: Mapping[str, Any], kommune: str, *, with_plan: bool = True) -> dict[str, Any]:
    """``payload`` in ``kommune`` under a fresh matrikkelnummer, bygningsnummer unique, registered
    visits in the past; with ``with_plan`` the first building has a fire-safety plan."""
    fitted = copy.deepcopy(dict(payload))
    fitted["cadastralNumber"] = {**fitted["cadastralNumber"], **fresh_cadastral(kommune)}
    buildings: list[dict[str, Any]] = fitted["buildings"]
    if with_plan and not buildings:
        buildings.append({"buildingNumber": "1", "buildingType": "111"})
    if with_plan and "fireSafety" not in buildings[0]:
        buildings[0]["fireSafety"] = {
            "sweeping": {"intervalMonths": 48},
            "inspection": {"intervalMonths": 72},
        }
    taken: set[str] = set()
    for building in buildings:
        while building["buildingNumber"] in taken:
            building["buildingNumber"] = str(int(building["buildingNumber"]) % 999_999_999 + 1)
        taken.add(building["buildingNumber"])
        for plan in (building.get("fireSafety") or {}).values():
            if "lastVisit" in plan and date.fromisoformat(plan["lastVisit"]) >= oslo_today():
                plan["lastVisit"] = (oslo_today() - timedelta(days=400)).isoformat()
    return fitted


def planned_building(prop: Mapping[str, Any]) -> dict[str, Any]:
    """The first building with a fire-safety plan (``fit_property`` ensures there is one)."""
    return next(b for b in prop["buildings"] if "fireSafety" in b)


def owner_reference(owner: Mapping[str, Any]) -> dict[str, Any]:
    """A notice recipient naming ``owner`` (a Party)."""
    if owner["type"] == "person":
        return {"type": "person", "nationalIdentityNumber": owner["person"]["nationalIdentityNumber"]}
    return {"type": "organization", "organizationNumber": owner["organization"]["organizationNumber"]}


def address_matches(address: Mapping[str, Any], params: Mapping[str, Any]) -> bool:
    """The spec's address match: street and letter without regard to case, numbers exactly."""
    for name, wanted in params.items():
        value = address.get(name)
        if name in ("streetName", "houseLetter"):
            if value is None or str(value).casefold() != str(wanted).casefold():
                return False
        elif value != wanted:
            return False
    return True


# ------------------------------------------------------------------ building-permit payloads


def fit_application(
    payload: Mapping[str, Any], kommune: str, received: datetime | None = None
) -> dict[str, Any]:
    """``payload`` for a property in ``kommune``, received at ``received`` (default: now, and
    no ``receivedAt`` sent), with every neighbour notified at least two weeks earlier."""
    fitted = copy.deepcopy(dict(payload))
    fitted["property"]["cadastralNumber"]["municipalityNumber"] = kommune
    fitted.pop("receivedAt", None)
    if received is not None:
        fitted["receivedAt"] = utc_text(received)
    latest = oslo_date(received or datetime.now(UTC)) - timedelta(days=NEIGHBOUR_NOTICE_DAYS + 1)
    for neighbour in fitted["neighbours"]:
        if date.fromisoformat(neighbour["notifiedOn"]) > latest:
            neighbour["notifiedOn"] = latest.isoformat()
    return fitted


def has_objection(application: Mapping[str, Any]) -> bool:
    return any("objection" in neighbour for neighbour in application["neighbours"])


def expected_weeks(application: Mapping[str, Any]) -> tuple[int, bool]:
    """``weeks`` and ``deemedGrantedIfMissed`` of the spec's table (pbl. § 21-7)."""
    procedure = application["procedure"]["type"]
    twelve = (
        procedure == "framework-permit"
        or application["dispensationRequested"]
        or application["otherAuthorityConsentRequired"]
        or (procedure == "one-step" and has_objection(application))
    )
    weeks = 12 if twelve else 3
    return weeks, weeks == 3 and not has_objection(application)
