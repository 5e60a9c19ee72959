"""Vendor-style faults in service-request@1.0 beyond the one-per-requirement catalogue
(``tests/mutants/service_request_mutants.py``): redaction that minds case, a public
list that skips redaction or the kommune, a repeated status change taken as a
no-op, photos served without their media type, and notices naming the old status.

``kills`` names the requirement whose check is expected to fail first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from tests.mutants.kit import AppFactory, Mutant
from tests.mutants.rewrite import Reply, Rewriter

from felles.reference.app import create_app
from felles.reference.components.service_request import ServiceRequestComponent, ServiceRequestService
from felles.reference.components.service_request_model import REQUEST_COLUMNS, StoredRequest, request_row
from felles.reference.components.service_request_public import identity_of, public_view_redacted
from felles.reference.components.shared import InvalidCursorError, PageResult, Representation

REQ = "/req/service-request/"


def _service(service: type[ServiceRequestService]) -> AppFactory:
    return lambda settings: create_app(settings, components=[ServiceRequestComponent(service)])


def _wrapped(**rewrites: Any) -> AppFactory:
    return lambda settings: Rewriter(create_app(settings, components=[ServiceRequestComponent()]), **rewrites)


# ------------------------------------------------------------ service faults


class RedactsCaseSensitively(ServiceRequestService):
    """The reporter identity is replaced only where it is written exactly as given: "KARI
    NORDMANN" in a description stays visible to everyone."""

    def public_view(self, request: StoredRequest) -> dict[str, Any]:
        parts = sorted(set(identity_of(request.reporter)), key=len, reverse=True)
        pattern = re.compile("|".join(re.escape(part) for part in parts)) if parts else None
        return public_view_redacted(request, pattern)


class PublicListUnredacted(ServiceRequestService):
    """The public list was built for a map and shows each description as written; only the
    single public view redacts it."""

    def list_public(
        self, municipality: str, *, status: str | None, after_id: str | None, limit: int
    ) -> PageResult:
        page = super().list_public(municipality, status=status, after_id=after_id, limit=limit)
        with self.database.connection() as connection:
            for item in page.items:
                request = self._load(connection, municipality, str(item["id"]))
                item["description"] = str(request.input["description"])
        return page


class PublicListOfEveryKommune(ServiceRequestService):
    """``/public/{kommune}/service-requests`` forgot the kommune: every kommune's requests."""

    def list_public(
        self, municipality: str, *, status: str | None, after_id: str | None, limit: int
    ) -> PageResult:
        with self.database.connection() as connection:
            after_seq = 0
            if after_id is not None:
                found = connection.execute("SELECT seq FROM sr_requests WHERE id = ?", (after_id,)).fetchone()
                if found is None:
                    raise InvalidCursorError(after_id)
                after_seq = int(found[0])
            rows = connection.execute(
                f"SELECT {REQUEST_COLUMNS} FROM sr_requests WHERE seq > ? AND (? IS NULL OR status = ?) "
                "ORDER BY seq LIMIT ?",
                (after_seq, status, status, limit + 1),
            ).fetchall()
        requests = [request_row(row) for row in rows[:limit]]
        return PageResult.of(requests, len(rows) > limit, self.public_view, lambda r: r.id)


class SameStatusIsNoOp(ServiceRequestService):
    """A change to the status the request already has answers 200 and changes nothing
    (idempotent, the vendor reasoned), instead of 409."""

    def change_status(self, tenant: str, request_id: str, to: str, *, note: str | None) -> Representation:
        with self.database.connection() as connection:
            current = self._load(connection, tenant, request_id)
        if current.status == to:
            return self.represent(current)
        return super().change_status(tenant, request_id, to, note=note)


class NoticesNameOldStatus(ServiceRequestService):
    """The notice is built from the request as loaded, before the change: it names the status
    the request had, not the new one."""

    def notices_for(self, request: StoredRequest, entry: Mapping[str, Any]) -> list[dict[str, Any]]:
        return super().notices_for(request, {**entry, "status": request.status})


# ------------------------------------------------------------ HTTP faults


def _photos_as_octet_stream(reply: Reply) -> None:
    if reply.method == "GET" and reply.status == 200 and "/photos/" in reply.path:
        reply.headers["content-type"] = "application/octet-stream"


def _m(name: str, fault: str, requirement: str, build: AppFactory) -> Mutant:
    return Mutant(name, fault, REQ + requirement, build)


SERVICE_REQUEST_VENDOR_MUTANTS: tuple[Mutant, ...] = (
    _m(
        "service-request-redacts-case-sensitively",
        "the reporter identity is hidden only where written exactly as given; in other case it is public",
        "public/no-reporter",
        _service(RedactsCaseSensitively),
    ),
    _m(
        "service-request-public-list-unredacted",
        "the public list shows descriptions as written, reporter's name and contact included",
        "public/no-reporter",
        _service(PublicListUnredacted),
    ),
    _m(
        "service-request-public-list-every-kommune",
        "the public list under one kommune's number shows every kommune's requests",
        "core/tenant-isolation",
        _service(PublicListOfEveryKommune),
    ),
    _m(
        "service-request-same-status-no-op",
        "a change to the current status answers 200 and does nothing, instead of 409",
        "lifecycle/forbidden",
        _service(SameStatusIsNoOp),
    ),
    _m(
        "service-request-photo-octet-stream",
        "photos are served as application/octet-stream instead of their image type",
        "core/create",
        _wrapped(on_response=_photos_as_octet_stream),
    ),
    _m(
        "service-request-notice-names-old-status",
        "a notice to the reporter names the status before the change, not the new one",
        "notifications/status-change",
        _service(NoticesNameOldStatus),
    ),
)
