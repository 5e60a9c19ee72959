"""HTTP binding of service-request@1.0: the kommune's operations behind scopes, the catalogue
and the public view open to anyone, validation (schema, then catalogue and photo size).

The public routes take the kommune from the path, not from a token, and show
only what :mod:`.service_request_public` builds; an unknown kommunenummer there
is ``404`` like an unknown request.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from felles.formats import is_municipality_number
from felles.reference.components.service_request_model import (
    MAX_REQUEST_BODY_BYTES,
    NAME,
    SCOPE_READ,
    SCOPE_WRITE,
    STATUSES,
    VERSION,
    ChangeNotAllowedError,
)
from felles.reference.components.service_request_service import ServiceRequestService
from felles.reference.components.shared import (
    ComponentRoutes,
    DomainError,
    PageResult,
    cursor_after,
    enum_query,
    keyset_response,
    parse_idempotency_key,
    parse_limit,
    query_fingerprint,
    reject_field_errors,
    representation_response,
    shown_id,
)
from felles.reference.http import allowed_values_text, json_response, single_query_value
from felles.reference.problems import ProblemError, ProblemType
from felles.standard import schema_uri
from felles.standard.validation import validator_for

REQUEST_INPUT = schema_uri(NAME, VERSION, "ServiceRequestInput")
STATUS_CHANGE = schema_uri(NAME, VERSION, "StatusChange")


def validate(schema: str, body: Any) -> None:
    """422 with one pointer per invalid member (mutant tests patch ``validator_for`` here)."""
    reject_field_errors(validator_for(schema).errors(body))


class ServiceRequestRoutes(ComponentRoutes[ServiceRequestService]):
    """HTTP binding of one :class:`ServiceRequestService`."""

    #: Requests may carry three photos: the body limit is theirs, unless configured higher.
    min_body_bytes = MAX_REQUEST_BODY_BYTES

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/services", self.services, methods=["GET"], name="services"),
            Route("/service-requests", self.requests, methods=["GET", "POST"], name="service-requests"),
            Route("/service-requests/{id}", self.get_request, methods=["GET"], name="service-request"),
            Route(
                "/service-requests/{id}/status-changes",
                self.change_status,
                methods=["POST"],
                name="service-request-status-changes",
            ),
            Route(
                "/service-requests/{id}/photos/{number}",
                self.photo,
                methods=["GET"],
                name="service-request-photo",
            ),
            Route(
                "/service-requests/{id}/notifications",
                self.notifications,
                methods=["GET"],
                name="service-request-notifications",
            ),
            Route(
                "/public/{kommune}/service-requests", self.public_list, methods=["GET"], name="public-list"
            ),
            Route(
                "/public/{kommune}/service-requests/{id}",
                self.public_get,
                methods=["GET"],
                name="public-view",
            ),
        ]

    def validate_body(self, schema: str, body: Any) -> None:
        validate(schema, body)

    def problem(self, exc: DomainError) -> ProblemError:
        if isinstance(exc, ChangeNotAllowedError):
            allowed = self.service.changes.get(exc.current, frozenset())
            options = allowed_values_text(allowed) if allowed else "nothing (final status)"
            return ProblemError(
                ProblemType.CONFLICT,
                f"the request is {exc.current!r}; it can move to {options}, not {exc.to!r}",
            )
        return super().problem(exc)

    # ---- the catalogue (anyone)

    async def services(self, request: Request) -> Response:
        return json_response({"items": [dict(service) for service in self.service.catalogue]})

    # ---- the kommune's systems

    async def requests(self, request: Request) -> Response:
        """One route per path, so a 405 names every allowed method in ``Allow``."""
        if request.method == "POST":
            return await self.create(request)
        return await self.list_requests(request)

    async def create(self, request: Request) -> Response:
        tenant = self.principal(request, SCOPE_WRITE).municipality
        key = parse_idempotency_key(request)
        body = await self.valid_body(request, REQUEST_INPUT)
        reject_field_errors(await run_in_threadpool(self.service.input_errors, body))
        created = await self.call(self.service.create, tenant, body, idempotency_key=key)
        location = self.url(request, "service-requests", created.representation.resource_id)
        return representation_response(created.representation, status=201, location=location)

    async def list_requests(self, request: Request) -> Response:
        tenant = self.principal(request, SCOPE_READ).municipality
        return await self._page(request, self.service.list_requests, tenant, "service-requests")

    async def _page(self, request: Request, lister: Any, tenant: str, kind: str) -> Response:
        """A keyset page of ``lister`` for ``tenant``, with the status filter and cursor of the query."""
        status = enum_query(request, "status", STATUSES)
        limit = parse_limit(single_query_value(request, "limit"))
        fingerprint = query_fingerprint(kind, tenant, status or "")
        after = cursor_after(request, fingerprint)
        page: PageResult = await self.call(lister, tenant, status=status, after_id=after, limit=limit)
        query: dict[str, str | int] = {"limit": limit}
        if status is not None:
            query["status"] = status
        return keyset_response(request, page, query=query, fingerprint=fingerprint)

    async def get_request(self, request: Request) -> Response:
        tenant = self.principal(request, SCOPE_READ).municipality
        return representation_response(await self.call(self.service.get, tenant, request.path_params["id"]))

    async def change_status(self, request: Request) -> Response:
        tenant = self.principal(request, SCOPE_WRITE).municipality
        body = await self.valid_body(request, STATUS_CHANGE)
        representation = await self.call(
            self.service.change_status, tenant, request.path_params["id"], body["to"], note=body.get("note")
        )
        return representation_response(representation)

    async def photo(self, request: Request) -> Response:
        tenant = self.principal(request, SCOPE_READ).municipality
        request_id: str = request.path_params["id"]
        raw: str = request.path_params["number"]
        if not raw.isascii() or not raw.isdigit() or len(raw) > 3:
            raise ProblemError(
                ProblemType.NOT_FOUND, f"no photo {shown_id(raw)!r} of {shown_id(request_id)!r}"
            )
        found = await self.call(self.service.photo, tenant, request_id, int(raw))
        return Response(found.content, media_type=found.media_type)

    async def notifications(self, request: Request) -> Response:
        tenant = self.principal(request, SCOPE_READ).municipality
        return json_response(
            {"items": await self.call(self.service.notices, tenant, request.path_params["id"])}
        )

    # ---- the public view (anyone)

    @staticmethod
    def _kommune(request: Request) -> str:
        kommune: str = request.path_params["kommune"]
        if not is_municipality_number(kommune):
            raise ProblemError(ProblemType.NOT_FOUND, f"no kommune {shown_id(kommune)!r}")
        return kommune

    async def public_list(self, request: Request) -> Response:
        return await self._page(request, self.service.list_public, self._kommune(request), "public")

    async def public_get(self, request: Request) -> Response:
        view = await self.call(self.service.get_public, self._kommune(request), request.path_params["id"])
        return json_response(view)
