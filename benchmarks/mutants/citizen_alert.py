"""Vendor-style faults in citizen-alert@1.0 beyond the one-per-requirement catalogue
(``tests/mutants/citizen_alert_mutants.py``): geometry mistakes (longitude and
latitude swapped, *contains* for *covers*, holes ignored), KRR's 18 months counted
as 540 days, and an event feed that repeats its pivot or shows every kommune.

``kills`` names the requirement whose check is expected to fail first.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import shapely
from starlette.types import ASGIApp
from tests.mutants.kit import AppFactory, Mutant

from felles.reference.app import create_app
from felles.reference.components import citizen_alert_service
from felles.reference.components.citizen_alert import CitizenAlertComponent, CitizenAlertService
from felles.reference.components.citizen_alert_delivery import CONTACT_MEMBERS
from felles.reference.components.citizen_alert_geo import WGS84, polygon_of
from felles.reference.components.citizen_alert_model import (
    CONTACT_OUTDATED,
    DELIVERED,
    FAILED,
    StoredResident,
    UnknownEventError,
    instant,
)
from felles.reference.components.citizen_alert_recipients import RegisterColumns
from felles.reference.components.citizen_alert_service import row_id
from felles.reference.components.shared import PageResult
from felles.reference.settings import Settings

REQ = "/req/citizen-alert/"


def _service(service: type[CitizenAlertService]) -> AppFactory:
    return lambda settings: create_app(settings, components=[CitizenAlertComponent(service)])


# ------------------------------------------------------------ geometry


def _register_lat_lon(settings: Settings) -> ASGIApp:
    """The register reads an EPSG:4326 location as (latitude, longitude): every such entry is
    placed near the equator, east of Africa, and no polygon in Norway reaches it.

    Patches the module, acceptable only because every mutant runs in a process of its own.
    """
    original = citizen_alert_service.register_columns

    def swapped(entry: Mapping[str, Any]) -> RegisterColumns:
        location = entry["location"]
        if location["crs"] != WGS84:
            return original(entry)
        x, y = location["geometry"]["coordinates"]
        turned = {**location, "geometry": {**location["geometry"], "coordinates": [y, x]}}
        return original({**entry, "location": turned})

    citizen_alert_service.register_columns = swapped
    return create_app(settings, components=[CitizenAlertComponent()])


class ContainsNotCovers(CitizenAlertService):
    """``ST_Contains`` where the spec says *covers*: an address point on the polygon's boundary
    (a vertex drawn on it, an edge traced along the plot line) is not alerted."""

    def resolve_recipients(
        self, connection: sqlite3.Connection, tenant: str, area: Mapping[str, Any]
    ) -> list[StoredResident]:
        found = super().resolve_recipients(connection, tenant, area)
        if area["type"] != "polygon":
            return found
        polygon = polygon_of(dict(area))
        x, y = ("lon", "lat") if area["crs"] == WGS84 else ("easting", "northing")
        kept = []
        for resident in found:
            at = connection.execute(
                f"SELECT {x}, {y} FROM alert_residents WHERE seq = ?", (resident.seq,)
            ).fetchone()
            if polygon.contains(shapely.Point(float(at[0]), float(at[1]))):
                kept.append(resident)
        return kept


class HolesIgnored(CitizenAlertService):
    """Only the exterior ring is used: the residents of a hole (an island in the lake, the
    unaffected block) are alerted too."""

    def resolve_recipients(
        self, connection: sqlite3.Connection, tenant: str, area: Mapping[str, Any]
    ) -> list[StoredResident]:
        if area["type"] != "polygon":
            return super().resolve_recipients(connection, tenant, area)
        rings = area["geometry"]["coordinates"]
        outer = {**area, "geometry": {**area["geometry"], "coordinates": rings[:1]}}
        return super().resolve_recipients(connection, tenant, outer)


# ------------------------------------------------------------ delivery


class EighteenMonthsAs540Days(CitizenAlertService):
    """KRR's 18 months counted as 18 × 30 days: details confirmed 541–548 days ago are treated
    as outdated and the resident gets no SMS or e-mail."""

    def delivery_outcome(self, entry: Mapping[str, Any], channel: str) -> tuple[str, str | None]:
        member = CONTACT_MEMBERS.get(channel)
        if member is None or not entry["person"].get(member):
            return super().delivery_outcome(entry, channel)
        confirmed = entry.get("contactConfirmedAt")
        if confirmed is None or instant(str(confirmed)) < self.clock() - timedelta(days=18 * 30):
            return FAILED, CONTACT_OUTDATED
        return DELIVERED, None


# ------------------------------------------------------------ events


class FeedAfterInclusive(CitizenAlertService):
    """``seq >= ?`` for ``after``: the feed resumes with the event the consumer already has."""

    def list_events(self, tenant: str, *, after_id: str | None = None, limit: int = 20) -> PageResult:
        if after_id is None:
            return super().list_events(tenant, after_id=None, limit=limit)
        with self.database.connection() as connection:
            found = connection.execute(
                "SELECT seq FROM alert_events WHERE id = ? AND municipality = ?", (after_id, tenant)
            ).fetchone()
            if found is None:
                raise UnknownEventError(after_id)
            before = connection.execute(
                "SELECT id FROM alert_events WHERE municipality = ? AND seq < ? ORDER BY seq DESC LIMIT 1",
                (tenant, found[0]),
            ).fetchone()
        return super().list_events(tenant, after_id=before[0] if before else None, limit=limit)


class FeedOfEveryKommune(CitizenAlertService):
    """The feed query forgot ``municipality = ?``: every kommune's events, to every kommune."""

    def list_events(self, tenant: str, *, after_id: str | None = None, limit: int = 20) -> PageResult:
        with self.database.connection() as connection:
            after_seq = 0
            if after_id is not None:
                found = connection.execute(
                    "SELECT seq FROM alert_events WHERE id = ?", (after_id,)
                ).fetchone()
                if found is None:
                    raise UnknownEventError(after_id)
                after_seq = int(found[0])
            rows = connection.execute(
                "SELECT seq, id, type, subject, time, data_json FROM alert_events WHERE seq > ? "
                "ORDER BY seq LIMIT ?",
                (after_seq, limit + 1),
            ).fetchall()
        page = rows[:limit]
        return PageResult.of(page, len(rows) > limit, lambda row: self.event_resource(row[1:]), row_id)


def _m(name: str, fault: str, requirement: str, build: AppFactory) -> Mutant:
    return Mutant(name, fault, REQ + requirement, build)


CITIZEN_ALERT_VENDOR_MUTANTS: tuple[Mutant, ...] = (
    _m(
        "cal-register-lat-lon",
        "register entries in EPSG:4326 are read as (latitude, longitude): they are never inside an area",
        "core/recipients-polygon",
        _register_lat_lon,
    ),
    _m(
        "cal-contains-not-covers",
        "a register entry on the polygon's boundary is not alerted (contains instead of covers)",
        "core/recipients-polygon",
        _service(ContainsNotCovers),
    ),
    _m(
        "cal-holes-ignored",
        "the holes of a polygon are ignored: residents inside a hole are alerted",
        "core/recipients-polygon",
        _service(HolesIgnored),
    ),
    _m(
        "cal-18-months-as-540-days",
        "contact details confirmed 541-548 days ago (within 18 months) are treated as outdated",
        "core/receipts",
        _service(EighteenMonthsAs540Days),
    ),
    _m(
        "cal-feed-after-inclusive",
        "GET /events?after={id} starts with that event again (>= instead of >)",
        "events/feed",
        _service(FeedAfterInclusive),
    ),
    _m(
        "cal-feed-every-kommune",
        "GET /events lists the events of every kommune's alerts",
        "core/tenant-isolation",
        _service(FeedOfEveryKommune),
    ),
)
