"""HTTP binding of citizen-alert@1.0: routes, schemas, cursors and the component's problems.

The plumbing (scope first, bounded JSON, validation to 422, service calls off
the event loop, 404 for another kommune's objects) is
:class:`.shared.ComponentRoutes`; this module adds what is citizen-alert's own.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from felles.reference.components.citizen_alert_model import (
    NAME,
    SCOPE_READ,
    SCOPE_WRITE,
    VERSION,
    AlertCancelledError,
    InvalidInputError,
    UnknownEventError,
)
from felles.reference.components.citizen_alert_service import CitizenAlertService
from felles.reference.components.shared import (
    ComponentRoutes,
    DomainError,
    cursor_after,
    keyset_response,
    parse_idempotency_key,
    parse_limit,
    query_fingerprint,
    reject_field_errors,
    representation_response,
    shorten,
)
from felles.reference.http import json_response, single_query_value
from felles.reference.problems import FieldProblem, ProblemError, ProblemType
from felles.standard import schema_uri
from felles.standard.validation import validator_for

ALERT_INPUT = schema_uri(NAME, VERSION, "AlertInput")
ALERT_UPDATE = schema_uri(NAME, VERSION, "AlertUpdate")
ALERT_CANCELLATION = schema_uri(NAME, VERSION, "AlertCancellation")
RESIDENT_INPUT = schema_uri(NAME, VERSION, "ResidentInput")

#: ``after`` of the event feed: an event id, as long as the OpenAPI document allows.
MAX_EVENT_ID_LENGTH = 255


class CitizenAlertRoutes(ComponentRoutes[CitizenAlertService]):
    """HTTP binding of one :class:`CitizenAlertService`."""

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/residents", self.register, methods=["POST"], name="residents"),
            Route("/residents/{id}", self.get_resident, methods=["GET"], name="resident"),
            Route("/alerts", self.alerts, methods=["GET", "POST"], name="alerts"),
            Route("/alerts/{id}", self.get_alert, methods=["GET"], name="alert"),
            Route("/alerts/{id}/updates", self.update, methods=["POST"], name="alert-updates"),
            Route("/alerts/{id}/cancellation", self.cancel, methods=["POST"], name="alert-cancellation"),
            Route("/alerts/{id}/receipts", self.receipts, methods=["GET"], name="alert-receipts"),
            Route("/events", self.events, methods=["GET"], name="events"),
        ]

    # ---- plumbing

    def validate_body(self, schema: str, body: Any) -> None:
        """Through this module's ``validator_for``: the mutant tests patch it here."""
        reject_field_errors(validator_for(schema).errors(body))

    def problem(self, exc: DomainError) -> ProblemError:
        if isinstance(exc, InvalidInputError):
            errors = [FieldProblem(i.pointer, shorten(i.detail)) for i in exc.issues]
            count = len(errors)
            return ProblemError(
                ProblemType.VALIDATION,
                f"{count} invalid member{'s' if count != 1 else ''}; see errors",
                errors=errors,
            )
        if isinstance(exc, UnknownEventError):
            return ProblemError(
                ProblemType.BAD_REQUEST, "after must be the id of an event of this kommune's feed"
            )
        if isinstance(exc, AlertCancelledError):
            return ProblemError(
                ProblemType.CONFLICT,
                "the alert is cancelled; a cancelled alert takes no update or cancellation",
            )
        return super().problem(exc)

    def _tenant(self, request: Request, scope: str) -> str:
        return self.principal(request, scope).municipality

    # ---- the register

    async def register(self, request: Request) -> Response:
        tenant = self._tenant(request, SCOPE_WRITE)
        body = await self.valid_body(request, RESIDENT_INPUT)
        representation = await self.call(self.service.register_resident, tenant, body)
        location = self.url(request, "residents", representation.resource_id)
        return representation_response(representation, status=201, location=location)

    async def get_resident(self, request: Request) -> Response:
        tenant = self._tenant(request, SCOPE_READ)
        representation = await self.call(self.service.get_resident, tenant, request.path_params["id"])
        return representation_response(representation)

    # ---- alerts

    async def alerts(self, request: Request) -> Response:
        """One route per path, so a 405 names every allowed method in ``Allow``."""
        if request.method == "POST":
            return await self.issue(request)
        return await self.list_alerts(request)

    async def issue(self, request: Request) -> Response:
        tenant = self._tenant(request, SCOPE_WRITE)
        key = parse_idempotency_key(request)
        body = await self.valid_body(request, ALERT_INPUT)
        created = await self.call(self.service.issue_alert, tenant, body, idempotency_key=key)
        location = self.url(request, "alerts", created.representation.resource_id)
        return representation_response(created.representation, status=201, location=location)

    async def list_alerts(self, request: Request) -> Response:
        tenant = self._tenant(request, SCOPE_READ)
        limit = parse_limit(single_query_value(request, "limit"))
        fingerprint = query_fingerprint("alerts", tenant)
        after = cursor_after(request, fingerprint)
        page = await self.call(self.service.list_alerts, tenant, after_id=after, limit=limit)
        return keyset_response(request, page, query={"limit": limit}, fingerprint=fingerprint)

    async def get_alert(self, request: Request) -> Response:
        tenant = self._tenant(request, SCOPE_READ)
        return representation_response(
            await self.call(self.service.get_alert, tenant, request.path_params["id"])
        )

    async def update(self, request: Request) -> Response:
        tenant = self._tenant(request, SCOPE_WRITE)
        body = await self.valid_body(request, ALERT_UPDATE)
        alert_id: str = request.path_params["id"]
        return representation_response(await self.call(self.service.update_alert, tenant, alert_id, body))

    async def cancel(self, request: Request) -> Response:
        tenant = self._tenant(request, SCOPE_WRITE)
        body = await self.valid_body(request, ALERT_CANCELLATION)
        alert_id: str = request.path_params["id"]
        return representation_response(await self.call(self.service.cancel_alert, tenant, alert_id, body))

    async def receipts(self, request: Request) -> Response:
        tenant = self._tenant(request, SCOPE_READ)
        alert_id: str = request.path_params["id"]
        limit = parse_limit(single_query_value(request, "limit"))
        fingerprint = query_fingerprint("receipts", tenant, alert_id)
        after = cursor_after(request, fingerprint)
        page = await self.call(self.service.list_receipts, tenant, alert_id, after_id=after, limit=limit)
        return keyset_response(request, page, query={"limit": limit}, fingerprint=fingerprint)

    # ---- events

    async def events(self, request: Request) -> Response:
        """The feed pages by event id (``after``), which a consumer keeps between polls."""
        tenant = self._tenant(request, SCOPE_READ)
        limit = parse_limit(single_query_value(request, "limit"))
        after = single_query_value(request, "after")
        if after is not None and not 1 <= len(after) <= MAX_EVENT_ID_LENGTH:
            raise self.problem(UnknownEventError(after))
        page = await self.call(self.service.list_events, tenant, after_id=after, limit=limit)
        next_link = None
        if page.has_more and page.last_key is not None:
            next_link = f"{request.url.path}?{urlencode({'after': page.last_key, 'limit': limit})}"
        return json_response({"items": page.items, "next": next_link})
