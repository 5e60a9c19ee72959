"""service-request@1.0 (meld feil): requests with photos, their lifecycle, notices to the
reporter, and the public view.

:class:`ServiceRequestService` holds the behaviour the spec requires, independent
of HTTP, with plain seams (``catalogue``, ``changes``, ``input_errors``,
``notices_for``, ``public_view``, ``now`` and one method per operation).
Tests build deliberately broken variants ("mutants") by subclassing it —
production code has no fault flags.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import sqlite3
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from felles.reference.components.base import Clock, utc_now
from felles.reference.components.service_request_model import (
    ALLOWED_CHANGES,
    CATALOGUE,
    INITIAL_STATUS,
    MAX_PHOTO_BYTES,
    NAME,
    REQUEST_COLUMNS,
    VERSION,
    ChangeNotAllowedError,
    Photo,
    StoredRequest,
    request_row,
)
from felles.reference.components.service_request_public import public_view
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
    later,
    owned_row,
)
from felles.reference.http import render_json
from felles.reference.storage import Database, IdempotencyStore
from felles.standard.validation import FieldError

#: Notice channel per reporter member that can receive one.
NOTICE_CHANNELS: Mapping[str, str] = {"email": "email", "phone": "sms"}


def decoded_photos(photos: Sequence[Mapping[str, Any]]) -> list[Photo]:
    """The photos of a schema-valid input, numbered from 1 (the schema guarantees base64)."""
    return [
        Photo(number, str(photo["mediaType"]), base64.b64decode(str(photo["content"])))
        for number, photo in enumerate(photos, start=1)
    ]


def described(photo: Photo, caption: Any) -> dict[str, Any]:
    """A photo as the request shows it: everything but the image."""
    description: dict[str, Any] = {
        "number": photo.number,
        "mediaType": photo.media_type,
        "sizeBytes": len(photo.content),
        "sha256": hashlib.sha256(photo.content).hexdigest(),
    }
    if isinstance(caption, str):
        description["caption"] = caption
    return description


class ServiceRequestService:
    """The behaviour of service-request@1.0. Every operation is tenant-scoped; the public ones
    are scoped by the kommune named in the path."""

    catalogue: ClassVar[tuple[Mapping[str, Any], ...]] = CATALOGUE
    changes: ClassVar[Mapping[str, frozenset[str]]] = ALLOWED_CHANGES

    def __init__(self, database: Database, clock: Clock = utc_now) -> None:
        self.database = database
        self.clock = clock
        self.create_keys = IdempotencyStore(f"{NAME}@{VERSION} create")

    # ---- seams

    def now(self) -> str:
        return format_timestamp(self.clock())

    def service_codes(self) -> frozenset[str]:
        return frozenset(str(service["code"]) for service in self.catalogue)

    def input_errors(self, request_input: Mapping[str, Any]) -> list[FieldError]:
        """What the schema cannot see: a code outside the catalogue, a photo over 1 MiB."""
        errors = []
        if request_input["serviceCode"] not in self.service_codes():
            errors.append(
                FieldError("/serviceCode", "not a code of this kommune's catalogue (GET /services)")
            )
        for index, photo in enumerate(request_input.get("photos", [])):
            try:
                size = len(base64.b64decode(str(photo["content"]), validate=True))
            except (binascii.Error, ValueError):
                errors.append(FieldError(f"/photos/{index}/content", "not valid base64"))
                continue
            if size > MAX_PHOTO_BYTES:
                errors.append(
                    FieldError(
                        f"/photos/{index}/content", f"the photo is {size} bytes; at most {MAX_PHOTO_BYTES}"
                    )
                )
        return errors

    def notices_for(self, request: StoredRequest, entry: Mapping[str, Any]) -> list[dict[str, Any]]:
        """One notice per contact the reporter gave, for the history ``entry`` just added."""
        notices = []
        for member, channel in NOTICE_CHANNELS.items():
            contact = request.reporter.get(member)
            if isinstance(contact, str) and contact:
                notice = {"status": entry["status"], "channel": channel, "to": contact, "at": entry["at"]}
                if "note" in entry:
                    notice["note"] = entry["note"]
                notices.append(notice)
        return notices

    def public_view(self, request: StoredRequest) -> dict[str, Any]:
        return public_view(request)

    # ---- representations

    def request_resource(self, request: StoredRequest) -> dict[str, Any]:
        return {
            "id": request.id,
            "municipalityNumber": request.municipality,
            **request.input,
            "status": request.status,
            "history": request.history,
            "createdAt": request.created_at,
            "updatedAt": request.updated_at,
        }

    def represent(self, request: StoredRequest) -> Representation:
        etag = entity_tag("service-request", request.id, request.version)
        return Representation(request.id, render_json(self.request_resource(request)), etag)

    # ---- storage

    def _insert(
        self, connection: sqlite3.Connection, tenant: str, request_input: Mapping[str, Any]
    ) -> StoredRequest:
        now = self.now()
        photos = decoded_photos(request_input.get("photos", []))
        stored = dict(request_input)
        stored["photos"] = [
            described(p, raw.get("caption"))
            for p, raw in zip(photos, request_input.get("photos", []), strict=True)
        ]
        request_id = str(uuid.uuid4())
        cursor = connection.execute(
            "INSERT INTO sr_requests (id, municipality, input_json, status, history_json, created_at, "
            "updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, 1)",
            (
                request_id,
                tenant,
                json_text(stored),
                INITIAL_STATUS,
                json_text([{"status": INITIAL_STATUS, "at": now}]),
                now,
                now,
            ),
        )
        connection.executemany(
            "INSERT INTO sr_photos (request_seq, number, media_type, content) VALUES (?, ?, ?, ?)",
            [(cursor.lastrowid, p.number, p.media_type, p.content) for p in photos],
        )
        return self._load(connection, tenant, request_id)

    def _load(self, connection: sqlite3.Connection, tenant: str, request_id: str) -> StoredRequest:
        found = owned_row(connection, "sr_requests", REQUEST_COLUMNS, request_id, tenant, "service request")
        return request_row(found)

    def _page(
        self, tenant: str, *, status: str | None, after_id: str | None, limit: int
    ) -> tuple[list[StoredRequest], bool]:
        """Keyset page in creation order, continuing after the request ``after_id``."""
        with self.database.transaction(write=False) as connection:
            rows, has_more = keyset_rows(
                connection,
                "sr_requests",
                REQUEST_COLUMNS,
                owner=("municipality", tenant),
                after_id=after_id,
                limit=limit,
                equal={"status": status},
            )
        return [request_row(row) for row in rows], has_more

    # ---- operations (the kommune's systems)

    def create(
        self, tenant: str, request_input: Mapping[str, Any], *, idempotency_key: str | None
    ) -> Created[Representation]:
        return create_idempotently(
            self.database,
            self.create_keys,
            tenant,
            request_input,
            idempotency_key,
            insert=lambda connection: self._insert(connection, tenant, request_input),
            represent=self.represent,
            replay=Representation.from_stored,
        )

    def get(self, tenant: str, request_id: str) -> Representation:
        with self.database.connection() as connection:
            return self.represent(self._load(connection, tenant, request_id))

    def list_requests(
        self, tenant: str, *, status: str | None, after_id: str | None, limit: int
    ) -> PageResult:
        requests, has_more = self._page(tenant, status=status, after_id=after_id, limit=limit)
        return PageResult.of(requests, has_more, self.request_resource, lambda r: r.id)

    def photo(self, tenant: str, request_id: str, number: int) -> Photo:
        with self.database.connection() as connection:
            request = self._load(connection, tenant, request_id)
            found = connection.execute(
                "SELECT media_type, content FROM sr_photos WHERE request_seq = ? AND number = ?",
                (request.seq, number),
            ).fetchone()
        if found is None:
            raise NotFoundError("photo", f"{request_id}/photos/{number}")
        return Photo(number, str(found[0]), bytes(found[1]))

    def notices(self, tenant: str, request_id: str) -> list[dict[str, Any]]:
        with self.database.connection() as connection:
            request = self._load(connection, tenant, request_id)
            rows = connection.execute(
                "SELECT notification_json FROM sr_notifications WHERE request_seq = ? ORDER BY seq",
                (request.seq,),
            ).fetchall()
        return [json.loads(row[0]) for row in rows]

    def change_status(self, tenant: str, request_id: str, to: str, *, note: str | None) -> Representation:
        """One history entry and the reporter's notices in one write transaction: 404, 409, done."""
        with self.database.transaction(write=True) as connection:
            request = self._load(connection, tenant, request_id)
            if to not in self.changes.get(request.status, frozenset()):
                raise ChangeNotAllowedError(request.status, to)
            entry: dict[str, Any] = {"status": to, "at": later(self.now(), request.updated_at)}
            if note is not None:
                entry["note"] = note
            connection.execute(
                "UPDATE sr_requests SET status = ?, history_json = ?, updated_at = ?, version = version + 1 "
                "WHERE seq = ?",
                (to, json_text([*request.history, entry]), entry["at"], request.seq),
            )
            connection.executemany(
                "INSERT INTO sr_notifications (request_seq, notification_json) VALUES (?, ?)",
                [(request.seq, json_text(notice)) for notice in self.notices_for(request, entry)],
            )
            return self.represent(self._load(connection, tenant, request_id))

    # ---- operations (anyone)

    def get_public(self, municipality: str, request_id: str) -> dict[str, Any]:
        with self.database.connection() as connection:
            return self.public_view(self._load(connection, municipality, request_id))

    def list_public(
        self, municipality: str, *, status: str | None, after_id: str | None, limit: int
    ) -> PageResult:
        requests, has_more = self._page(municipality, status=status, after_id=after_id, limit=limit)
        return PageResult.of(requests, has_more, self.public_view, lambda r: r.id)
