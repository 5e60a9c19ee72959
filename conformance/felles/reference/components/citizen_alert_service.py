"""citizen-alert@1.0 (innbyggervarsling): the register, issuing, updating and cancelling alerts,
receipts and the event feed.

:class:`CitizenAlertService` holds the behaviour the spec requires, independent
of HTTP, with plain seams (``input_issues``, ``location_issues``,
``resolve_recipients``, ``delivery_outcome``, ``recipients_of``,
``notification_channels``, ``check_active``, ``event_data``,
``receipt_event_data``, ``record_event``, ``now``, the ``*_resource``
renderers and one method per operation). Tests build deliberately broken
variants ("mutants") by subclassing it — production code has no fault flags.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from felles.reference.components.base import Clock, utc_now
from felles.reference.components.citizen_alert_delivery import delivery_outcome
from felles.reference.components.citizen_alert_geo import outside_issue, outside_norway, polygon_issues
from felles.reference.components.citizen_alert_model import (
    ACTIVE,
    ALERT_COLUMNS,
    ALERT_EVENT_TYPES,
    CANCELLATION,
    CANCELLED,
    EVENT_SOURCE,
    INITIAL,
    NAME,
    RECEIPT_EVENT_TYPE,
    RESIDENT_COLUMNS,
    UPDATE,
    VERSION,
    AlertCancelledError,
    FieldIssue,
    InvalidInputError,
    StoredAlert,
    StoredResident,
    UnknownEventError,
    alert_row,
    instant,
    resident_row,
)
from felles.reference.components.citizen_alert_recipients import register_columns, resolve
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
from felles.reference.storage import Database, IdempotencyStore

#: Members of an alert an update may replace (AlertUpdate), besides the message.
UPDATABLE = ("message", "severity", "instruction", "validTo")


def row_id(row: Sequence[Any]) -> str:
    """The id of a ``seq, id, ...`` row: what the next keyset page continues after."""
    return str(row[1])


@dataclass(frozen=True)
class Delivery:
    """One notification to one recipient on one channel, as its receipt records it."""

    id: str
    resident: StoredResident
    notification: str
    channel: str
    status: str
    reason: str | None


class CitizenAlertService:
    """The behaviour of citizen-alert@1.0, independent of HTTP. Every operation is tenant-scoped."""

    def __init__(self, database: Database, clock: Clock = utc_now) -> None:
        self.database = database
        self.clock = clock
        self.issue_keys = IdempotencyStore(f"{NAME}@{VERSION} issue")

    # ---- seams: time, validation, recipients, delivery, events

    def now(self) -> str:
        return format_timestamp(self.clock())

    def input_issues(self, body: Mapping[str, Any]) -> list[FieldIssue]:
        """What the AlertInput schema cannot say: a valid polygon in Norway, validTo after validFrom."""
        issues = polygon_issues(dict(body["area"])) if body["area"]["type"] == "polygon" else []
        return issues + self.period_issues(body["validFrom"], body.get("validTo"))

    def period_issues(self, valid_from: str, valid_to: str | None) -> list[FieldIssue]:
        if valid_to is not None and instant(valid_to) <= instant(valid_from):
            return [FieldIssue("/validTo", "validTo must be after validFrom")]
        return []

    def location_issues(self, entry: Mapping[str, Any]) -> list[FieldIssue]:
        location = entry["location"]
        crs = location["crs"]
        outside = outside_norway(crs, [location["geometry"]["coordinates"]])
        return [outside_issue("/location/geometry/coordinates", crs)] if outside else []

    def resolve_recipients(
        self, connection: sqlite3.Connection, tenant: str, area: Mapping[str, Any]
    ) -> list[StoredResident]:
        return resolve(connection, tenant, area)

    def delivery_outcome(self, entry: Mapping[str, Any], channel: str) -> tuple[str, str | None]:
        return delivery_outcome(entry, channel, self.clock())

    def recipients_of(self, connection: sqlite3.Connection, alert: StoredAlert) -> list[StoredResident]:
        """The recipients resolved when the alert was issued: updates and cancellation go to them."""
        rows = connection.execute(
            f"SELECT {RESIDENT_COLUMNS} FROM alert_recipients x "
            "JOIN alert_residents r ON r.seq = x.resident_seq WHERE x.alert_seq = ? ORDER BY r.seq",
            (alert.seq,),
        ).fetchall()
        return [resident_row(row) for row in rows]

    def check_active(self, alert: StoredAlert) -> None:
        """A cancelled alert is final."""
        if alert.status != ACTIVE:
            raise AlertCancelledError(alert.id)

    def notification_channels(self, alert: StoredAlert, notification: str) -> list[str]:
        """Every notification goes out on every channel of the alert."""
        return alert.channels

    def receipt_event_data(self, alert: StoredAlert, receipt: Delivery) -> dict[str, Any]:
        """Who by register id, how and with what outcome; never the contact point itself."""
        data = {
            "alertId": alert.id,
            "receiptId": receipt.id,
            "residentId": receipt.resident.id,
            "notification": receipt.notification,
            "channel": receipt.channel,
            "deliveryStatus": receipt.status,
        }
        if receipt.reason is not None:
            data["reason"] = receipt.reason
        return data

    def event_data(self, alert: StoredAlert) -> dict[str, Any]:
        """Identifiers and statuses only: never the message, never who the recipients are."""
        return {
            "alertId": alert.id,
            "status": alert.status,
            "recipientCount": alert.recipient_count,
            "updateCount": alert.update_count,
        }

    def record_event(
        self, connection: sqlite3.Connection, tenant: str, kind: str, subject: str, data: Mapping[str, Any]
    ) -> None:
        connection.execute(
            "INSERT INTO alert_events (id, municipality, type, subject, time, data_json) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (str(uuid.uuid4()), tenant, kind, subject, self.now(), json_text(dict(data))),
        )

    # ---- seams: representations

    def resident_resource(self, resident: StoredResident) -> dict[str, Any]:
        return {
            "id": resident.id,
            "municipalityNumber": resident.municipality,
            **resident.input,
            "createdAt": resident.created_at,
        }

    def alert_resource(self, alert: StoredAlert) -> dict[str, Any]:
        return {
            "id": alert.id,
            "municipalityNumber": alert.municipality,
            "status": alert.status,
            **alert.input,
            **alert.current,
            "recipientCount": alert.recipient_count,
            "updateCount": alert.update_count,
            "createdAt": alert.created_at,
            "updatedAt": alert.updated_at,
            "cancelledAt": alert.cancelled_at,
        }

    def receipt_resource(self, row: Sequence[Any], alert_id: str) -> dict[str, Any]:
        receipt_id, resident_id, notification, sequence, channel, status, reason, status_at = row
        resource: dict[str, Any] = {
            "id": receipt_id,
            "alertId": alert_id,
            "residentId": resident_id,
            "notification": notification,
            "sequence": sequence,
            "channel": channel,
            "status": status,
        }
        if reason is not None:
            resource["reason"] = reason
        resource["statusAt"] = status_at
        return resource

    def event_resource(self, row: Sequence[Any]) -> dict[str, Any]:
        event_id, kind, subject, time, data = row
        return {
            "specversion": "1.0",
            "id": event_id,
            "source": EVENT_SOURCE,
            "type": kind,
            "subject": subject,
            "time": time,
            "datacontenttype": "application/json",
            "data": json.loads(data),
        }

    def represent_alert(self, alert: StoredAlert) -> Representation:
        body = render_json(self.alert_resource(alert))
        return Representation(alert.id, body, entity_tag("alert", alert.id, alert.version))

    def represent_resident(self, resident: StoredResident) -> Representation:
        body = render_json(self.resident_resource(resident))
        return Representation(resident.id, body, entity_tag("resident", resident.id))

    # ---- loading (always through the tenant)

    def _load_alert(self, connection: sqlite3.Connection, tenant: str, alert_id: str) -> StoredAlert:
        return alert_row(owned_row(connection, "alerts a", ALERT_COLUMNS, alert_id, tenant, "alert"))

    # ---- operations: the register

    def register_resident(self, tenant: str, entry: Mapping[str, Any]) -> Representation:
        issues = self.location_issues(entry)
        if issues:
            raise InvalidInputError(issues)
        columns = register_columns(entry)
        resident_id, now = str(uuid.uuid4()), self.now()
        with self.database.transaction(write=True) as connection:
            cursor = connection.execute(
                "INSERT INTO alert_residents (id, municipality, input_json, lon, lat, easting, northing, "
                "address_key, unit_number, cadastral_key, leasehold_number, section_number, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    resident_id,
                    tenant,
                    json_text(dict(entry)),
                    columns.lon,
                    columns.lat,
                    columns.easting,
                    columns.northing,
                    columns.address_key,
                    columns.unit_number,
                    columns.cadastral_key,
                    columns.leasehold_number,
                    columns.section_number,
                    now,
                ),
            )
            assert cursor.lastrowid is not None
        return self.represent_resident(
            StoredResident(cursor.lastrowid, resident_id, tenant, dict(entry), now)
        )

    def get_resident(self, tenant: str, resident_id: str) -> Representation:
        with self.database.connection() as connection:
            found = owned_row(
                connection, "alert_residents r", RESIDENT_COLUMNS, resident_id, tenant, "register entry"
            )
        return self.represent_resident(resident_row(found))

    # ---- operations: alerts

    def issue_alert(
        self, tenant: str, body: Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> Created[Representation]:
        """Store, resolve the recipients and send the initial notification in one transaction;
        a retry with the same Idempotency-Key replays the answer and notifies nobody again."""
        issues = self.input_issues(body)
        if issues:
            raise InvalidInputError(issues)
        return create_idempotently(
            self.database,
            self.issue_keys,
            tenant,
            body,
            idempotency_key,
            insert=lambda connection: self._issue(connection, tenant, body),
            represent=self.represent_alert,
            replay=Representation.from_stored,
        )

    def _issue(self, connection: sqlite3.Connection, tenant: str, body: Mapping[str, Any]) -> StoredAlert:
        now = self.now()
        values = (str(uuid.uuid4()), tenant, ACTIVE, json_text(dict(body)), "{}", 0, 0, now, now, None, 1)
        cursor = connection.execute(
            "INSERT INTO alerts (id, municipality, status, input_json, current_json, recipient_count, "
            "update_count, created_at, updated_at, cancelled_at, version) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            values,
        )
        assert cursor.lastrowid is not None
        recipients = self.resolve_recipients(connection, tenant, body["area"])
        connection.executemany(
            "INSERT INTO alert_recipients (alert_seq, resident_seq) VALUES (?, ?)",
            [(cursor.lastrowid, resident.seq) for resident in recipients],
        )
        connection.execute(
            "UPDATE alerts SET recipient_count = ? WHERE seq = ?", (len(recipients), cursor.lastrowid)
        )
        alert = self._load_alert(connection, tenant, str(values[0]))
        self._notify(connection, alert, INITIAL, 0, recipients)
        return alert

    def _notify(
        self,
        connection: sqlite3.Connection,
        alert: StoredAlert,
        notification: str,
        sequence: int,
        recipients: Sequence[StoredResident],
    ) -> None:
        """One event for the alert, then one delivery (receipt and event) per recipient and channel."""
        kind = ALERT_EVENT_TYPES[notification]
        self.record_event(connection, alert.municipality, kind, alert.id, self.event_data(alert))
        for resident in recipients:
            for channel in self.notification_channels(alert, notification):
                status, reason = self.delivery_outcome(resident.input, channel)
                receipt = Delivery(str(uuid.uuid4()), resident, notification, channel, status, reason)
                connection.execute(
                    "INSERT INTO alert_receipts (id, alert_seq, resident_id, notification, sequence, "
                    "channel, status, reason, status_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        receipt.id,
                        alert.seq,
                        resident.id,
                        notification,
                        sequence,
                        channel,
                        status,
                        reason,
                        self.now(),
                    ),
                )
                data = self.receipt_event_data(alert, receipt)
                self.record_event(connection, alert.municipality, RECEIPT_EVENT_TYPE, alert.id, data)

    def get_alert(self, tenant: str, alert_id: str) -> Representation:
        with self.database.connection() as connection:
            return self.represent_alert(self._load_alert(connection, tenant, alert_id))

    def list_alerts(self, tenant: str, *, after_id: str | None = None, limit: int = 20) -> PageResult:
        """Keyset page in issue order, continuing after the alert ``after_id``."""
        with self.database.transaction(write=False) as connection:
            rows, has_more = keyset_rows(
                connection,
                "alerts a",
                ALERT_COLUMNS,
                owner=("municipality", tenant),
                after_id=after_id,
                limit=limit,
            )
        return PageResult.of(rows, has_more, lambda row: self.alert_resource(alert_row(row)), row_id)

    def update_alert(self, tenant: str, alert_id: str, update: Mapping[str, Any]) -> Representation:
        """Oppdatering: replace the message (and what else is given) and tell every recipient."""

        def apply(connection: sqlite3.Connection, alert: StoredAlert) -> int:
            issues = self.period_issues(alert.input["validFrom"], update.get("validTo"))
            if issues:
                raise InvalidInputError(issues)
            current = {**alert.current, **{k: update[k] for k in UPDATABLE if k in update}}
            count = alert.update_count + 1
            connection.execute(
                "UPDATE alerts SET current_json = ?, update_count = ?, updated_at = ?, version = version + 1 "
                "WHERE seq = ?",
                (json_text(current), count, later(self.now(), alert.updated_at), alert.seq),
            )
            return count

        return self._change(tenant, alert_id, UPDATE, apply)

    def cancel_alert(self, tenant: str, alert_id: str, cancellation: Mapping[str, Any]) -> Representation:
        """Avlysning: final; the cancellation message goes to every recipient."""

        def apply(connection: sqlite3.Connection, alert: StoredAlert) -> int:
            at = later(self.now(), alert.updated_at)
            current = {**alert.current, "message": cancellation["message"]}
            connection.execute(
                "UPDATE alerts SET status = ?, current_json = ?, updated_at = ?, cancelled_at = ?, "
                "version = version + 1 WHERE seq = ?",
                (CANCELLED, json_text(current), at, at, alert.seq),
            )
            return alert.update_count + 1

        return self._change(tenant, alert_id, CANCELLATION, apply)

    def _change(
        self,
        tenant: str,
        alert_id: str,
        notification: str,
        apply: Callable[[sqlite3.Connection, StoredAlert], int],
    ) -> Representation:
        """Change an active alert with ``apply`` (which returns the notification's sequence) and
        notify the recipients, all in one write transaction."""
        with self.database.transaction(write=True) as connection:
            alert = self._load_alert(connection, tenant, alert_id)
            self.check_active(alert)
            sequence = apply(connection, alert)
            changed = self._load_alert(connection, tenant, alert_id)
            self._notify(connection, changed, notification, sequence, self.recipients_of(connection, changed))
            return self.represent_alert(changed)

    def list_receipts(
        self, tenant: str, alert_id: str, *, after_id: str | None = None, limit: int = 20
    ) -> PageResult:
        """Keyset page in sending order."""
        with self.database.transaction(write=False) as connection:
            alert = self._load_alert(connection, tenant, alert_id)
            rows, has_more = keyset_rows(
                connection,
                "alert_receipts",
                "seq, id, resident_id, notification, sequence, channel, status, reason, status_at",
                owner=("alert_seq", alert.seq),
                after_id=after_id,
                limit=limit,
            )
        return PageResult.of(rows, has_more, lambda row: self.receipt_resource(row[1:], alert.id), row_id)

    def list_events(self, tenant: str, *, after_id: str | None = None, limit: int = 20) -> PageResult:
        """The kommune's events oldest first, continuing after the event ``after_id``."""
        with self.database.transaction(write=False) as connection:
            rows, has_more = keyset_rows(
                connection,
                "alert_events",
                "seq, id, type, subject, time, data_json",
                owner=("municipality", tenant),
                after_id=after_id,
                limit=limit,
                unknown=UnknownEventError(str(after_id)),
            )
        return PageResult.of(rows, has_more, lambda row: self.event_resource(row[1:]), row_id)
