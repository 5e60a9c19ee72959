"""Broken variants of the citizen-alert@1.0 reference, one fault each.

The faults are the ones that reach the wrong people or nobody: an alert to
the polygon's bounding box, coordinates read in the wrong CRS, a neighbour
kommune's residents alerted, a retry that sends every SMS twice, an update
or a cancellation that never reaches the recipients.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

from felles.reference.app import create_app
from felles.reference.components.base import AppContext
from felles.reference.components.citizen_alert import CitizenAlertComponent, CitizenAlertService
from felles.reference.components.citizen_alert_geo import covered, polygon_of
from felles.reference.components.citizen_alert_model import (
    ALERT_EVENT_TYPES,
    CANCELLATION,
    RESIDENT_COLUMNS,
    UPDATE,
    FieldIssue,
    StoredAlert,
    StoredResident,
    resident_row,
)
from felles.reference.components.citizen_alert_service import Delivery, PageResult
from felles.reference.components.shared import Created, Representation
from tests.mutants.kit import AnySignature, AppFactory, Mutant, lax_context

REQ = "/req/citizen-alert/"


def _service(service: type[CitizenAlertService], **component: Any) -> AppFactory:
    return lambda settings: create_app(settings, components=[CitizenAlertComponent(service, **component)])


# ------------------------------------------------------------ issuing and validation


class CountsInitialAsUpdate(CitizenAlertService):
    def alert_resource(self, alert: StoredAlert) -> dict[str, Any]:
        return {**super().alert_resource(alert), "updateCount": alert.update_count + 1}


class PeriodUnchecked(CitizenAlertService):
    def period_issues(self, valid_from: str, valid_to: str | None) -> list[FieldIssue]:
        return []


class SchemaOnlyGeometry(CitizenAlertService):
    """Trusts any polygon the schema allows; recipients of a broken one are whatever GEOS says."""

    def input_issues(self, body: Mapping[str, Any]) -> list[FieldIssue]:
        return self.period_issues(body["validFrom"], body.get("validTo"))

    def location_issues(self, entry: Mapping[str, Any]) -> list[FieldIssue]:
        return []


# ------------------------------------------------------------ recipients


class BoundingBoxRecipients(CitizenAlertService):
    """Alerts everyone in the polygon's bounding box: the notch of a U is alerted too."""

    def resolve_recipients(
        self, connection: sqlite3.Connection, tenant: str, area: Mapping[str, Any]
    ) -> list[StoredResident]:
        if area["type"] != "polygon":
            return super().resolve_recipients(connection, tenant, area)
        box = [list(xy) for xy in polygon_of(dict(area)).envelope.exterior.coords]
        envelope = {**area, "geometry": {"type": "Polygon", "coordinates": [box]}}
        return super().resolve_recipients(connection, tenant, envelope)


class IgnoresLocationCrs(CitizenAlertService):
    """Tests each entry's coordinates as given, as if they were in the area's CRS."""

    def resolve_recipients(
        self, connection: sqlite3.Connection, tenant: str, area: Mapping[str, Any]
    ) -> list[StoredResident]:
        if area["type"] != "polygon":
            return super().resolve_recipients(connection, tenant, area)
        entries = [
            resident_row(row)
            for row in connection.execute(
                f"SELECT {RESIDENT_COLUMNS} FROM alert_residents r WHERE r.municipality = ? ORDER BY r.seq",
                (tenant,),
            ).fetchall()
        ]
        points = [tuple(e.input["location"]["geometry"]["coordinates"]) for e in entries]
        inside = covered(polygon_of(dict(area)), points)
        return [e for e, hit in zip(entries, inside, strict=True) if hit]


class IgnoresHouseLetter(CitizenAlertService):
    """Matches "Storgata 12" for "Storgata 12 B" and the other way round."""

    def resolve_recipients(
        self, connection: sqlite3.Connection, tenant: str, area: Mapping[str, Any]
    ) -> list[StoredResident]:
        if area["type"] != "addresses":
            return super().resolve_recipients(connection, tenant, area)
        plain = [{k: v for k, v in target.items() if k != "houseLetter"} for target in area["addresses"]]
        return super().resolve_recipients(connection, tenant, {**area, "addresses": plain})


class NeighbourRecipients(CitizenAlertService):
    """Resolves the area in every kommune's register, not only the alert's own."""

    def resolve_recipients(
        self, connection: sqlite3.Connection, tenant: str, area: Mapping[str, Any]
    ) -> list[StoredResident]:
        kommuner = [row[0] for row in connection.execute("SELECT DISTINCT municipality FROM alert_residents")]
        found = [r for kommune in kommuner for r in super().resolve_recipients(connection, kommune, area)]
        return sorted(found, key=lambda resident: resident.seq)


# ------------------------------------------------------------ delivery


class UsesStaleContacts(CitizenAlertService):
    """Sends to whatever phone and e-mail the register holds, however old."""

    def delivery_outcome(self, entry: Mapping[str, Any], channel: str) -> tuple[str, str | None]:
        return super().delivery_outcome({**entry, "contactConfirmedAt": self.now()}, channel)


class RetrySendsAgain(CitizenAlertService):
    def issue_alert(
        self, tenant: str, body: Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> Created[Representation]:
        return super().issue_alert(tenant, body, idempotency_key=None)


class ReceiptPagesLoseOne(CitizenAlertService):
    """Every page of receipts but the last loses its last receipt."""

    def list_receipts(self, tenant: str, alert_id: str, **kwargs: Any) -> PageResult:
        page = super().list_receipts(tenant, alert_id, **kwargs)
        return PageResult(page.items[:-1], page.last_key, page.has_more) if page.has_more else page


class _LaxWrite(CitizenAlertComponent):
    def routes(self, context: AppContext) -> Sequence[Any]:
        return super().routes(lax_context(context, "citizen-alert:write"))


# ------------------------------------------------------------ lifecycle and events


class UpdateOnFirstChannel(CitizenAlertService):
    def notification_channels(self, alert: StoredAlert, notification: str) -> list[str]:
        channels = super().notification_channels(alert, notification)
        return channels[:1] if notification == UPDATE else channels


class SilentCancellation(CitizenAlertService):
    """Marks the alert cancelled and tells nobody."""

    def notification_channels(self, alert: StoredAlert, notification: str) -> list[str]:
        return [] if notification == CANCELLATION else super().notification_channels(alert, notification)


class NoUpdateEvent(CitizenAlertService):
    def record_event(
        self, connection: sqlite3.Connection, tenant: str, kind: str, subject: str, data: Mapping[str, Any]
    ) -> None:
        if kind != ALERT_EVENT_TYPES[UPDATE]:
            super().record_event(connection, tenant, kind, subject, data)


class ReceiptEventsWithPhone(CitizenAlertService):
    def receipt_event_data(self, alert: StoredAlert, receipt: Delivery) -> dict[str, Any]:
        data = super().receipt_event_data(alert, receipt)
        phone = receipt.resident.input["person"].get("phone")
        return {**data, "to": phone} if receipt.channel == "sms" and phone else data


CITIZEN_ALERT_MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        "cal-declares-no-core",
        "declares citizen-alert without class core",
        REQ + "core/conformance",
        _service(CitizenAlertService, classes=["lifecycle", "events"]),
    ),
    Mutant(
        "cal-update-count-from-one",
        "counts the initial notification as an update",
        REQ + "core/create",
        _service(CountsInitialAsUpdate),
    ),
    Mutant(
        "cal-period-unchecked",
        "an alert may end before it starts",
        REQ + "core/reject-invalid",
        _service(PeriodUnchecked),
    ),
    Mutant(
        "cal-schema-only-geometry",
        "self-intersecting polygons and positions outside Norway are accepted",
        REQ + "core/geometry-invalid",
        _service(SchemaOnlyGeometry),
    ),
    Mutant(
        "cal-bounding-box",
        "alerts everyone in the polygon's bounding box, also addresses outside the polygon",
        REQ + "core/recipients-polygon",
        _service(BoundingBoxRecipients),
    ),
    Mutant(
        "cal-no-reprojection",
        "compares EPSG:25833 metres with EPSG:4326 degrees without transforming",
        REQ + "core/recipients-polygon",
        _service(IgnoresLocationCrs),
    ),
    Mutant(
        "cal-house-letter-ignored",
        "an alert to Storgata 12 B reaches Storgata 12 and misses 12 B",
        REQ + "core/recipients-addresses",
        _service(IgnoresHouseLetter),
    ),
    Mutant(
        "cal-stale-contacts",
        "uses contact details not confirmed for 18 months",
        REQ + "core/receipts",
        _service(UsesStaleContacts),
    ),
    Mutant(
        "cal-retry-sends-again",
        "a retried POST with the same Idempotency-Key issues the alert again",
        REQ + "core/idempotency",
        _service(RetrySendsAgain),
    ),
    Mutant(
        "cal-receipt-pages-lose-one",
        "every page of receipts but the last loses one",
        REQ + "core/pagination",
        _service(ReceiptPagesLoseOne),
    ),
    Mutant(
        "cal-forged-tokens",
        "token signatures are not verified",
        REQ + "core/authentication",
        lambda s: create_app(s, components=[CitizenAlertComponent()], verifier=AnySignature(s)),
    ),
    Mutant(
        "cal-write-without-scope",
        "issuing and cancelling need no citizen-alert:write",
        REQ + "core/scopes",
        lambda s: create_app(s, components=[_LaxWrite()]),
    ),
    Mutant(
        "cal-neighbour-recipients",
        "residents registered by another kommune inside the area are alerted",
        REQ + "core/tenant-isolation",
        _service(NeighbourRecipients),
    ),
    Mutant(
        "cal-update-one-channel",
        "updates go out on the first channel only",
        REQ + "lifecycle/update",
        _service(UpdateOnFirstChannel),
    ),
    Mutant(
        "cal-silent-cancellation",
        "a cancellation tells nobody",
        REQ + "lifecycle/cancel",
        _service(SilentCancellation),
    ),
    Mutant(
        "cal-no-update-event",
        "updates publish no alert-updated event",
        REQ + "events/feed",
        _service(NoUpdateEvent),
    ),
    Mutant(
        "cal-phone-in-events",
        "receipt events carry the recipient's mobile number",
        REQ + "events/no-personal-data",
        _service(ReceiptEventsWithPhone),
    ),
)
