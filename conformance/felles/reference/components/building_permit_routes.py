"""HTTP binding of building-permit@1.0: scopes, validation, problems, headers.

The plumbing (scope first, bounded JSON bodies, schema validation to ``422``,
rule breaks to ``422``, service calls off the event loop, common problems) is
:class:`.property_routes.RuleRoutes` over :class:`.shared.ComponentRoutes`; this
module adds the component's schemas, scopes and problems.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from felles.reference.components.building_permit_model import (
    NAME,
    SCOPE_DECIDE,
    SCOPE_READ,
    SCOPE_WRITE,
    STATUSES,
    VERSION,
    TransitionNotAllowedError,
    UndecidedOnlyError,
)
from felles.reference.components.building_permit_service import BuildingPermitService
from felles.reference.components.property_routes import RuleRoutes
from felles.reference.components.shared import (
    DomainError,
    cursor_after,
    enum_query,
    keyset_response,
    parse_limit,
    query_fingerprint,
    representation_response,
)
from felles.reference.http import allowed_values_text, single_query_value
from felles.reference.problems import ProblemError, ProblemType
from felles.standard import schema_uri

APPLICATION_INPUT = schema_uri(NAME, VERSION, "PermitApplicationInput")
TRANSITION = schema_uri(NAME, VERSION, "PermitTransition")
ATTACHMENT = schema_uri(NAME, VERSION, "PermitAttachment")


class BuildingPermitRoutes(RuleRoutes[BuildingPermitService]):
    """HTTP binding of one :class:`BuildingPermitService`."""

    label = f"{NAME} {VERSION}"

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/applications", self.applications, methods=["GET", "POST"], name="applications"),
            Route("/applications/{id}", self.get_application, methods=["GET"], name="application"),
            Route("/applications/{id}/transitions", self.transition, methods=["POST"], name="transitions"),
            Route(
                "/applications/{id}/attachments", self.add_attachment, methods=["POST"], name="attachments"
            ),
        ]

    def problem(self, exc: DomainError) -> ProblemError:
        if isinstance(exc, TransitionNotAllowedError):
            allowed = self.service.transitions.get(exc.current, frozenset())
            options = allowed_values_text(allowed) if allowed else "nothing (it is decided)"
            return ProblemError(
                ProblemType.CONFLICT,
                f"the application is {exc.current!r}; it can move to {options}, not {exc.to!r}",
            )
        if isinstance(exc, UndecidedOnlyError):
            return ProblemError(
                ProblemType.CONFLICT,
                f"the application is {exc.status}; documentation can be added only until it is decided",
            )
        return super().problem(exc)

    async def applications(self, request: Request) -> Response:
        """One route per path, so a 405 names every allowed method in ``Allow``."""
        if request.method == "POST":
            return await self.submit(request)
        return await self.list_applications(request)

    async def submit(self, request: Request) -> Response:
        return await self.create_in(
            request, SCOPE_WRITE, APPLICATION_INPUT, self.service.submit, "applications"
        )

    async def list_applications(self, request: Request) -> Response:
        tenant = self.principal(request, SCOPE_READ).municipality
        status = enum_query(request, "status", STATUSES)
        limit = parse_limit(single_query_value(request, "limit"))
        fingerprint = query_fingerprint("applications", tenant, status or "")
        after = cursor_after(request, fingerprint)
        page = await self.call(
            self.service.list_applications, tenant, status=status, after_id=after, limit=limit
        )
        query: dict[str, str | int] = {"limit": limit}
        if status is not None:
            query["status"] = status
        return keyset_response(request, page, query=query, fingerprint=fingerprint)

    async def get_application(self, request: Request) -> Response:
        tenant = self.principal(request, SCOPE_READ).municipality
        return representation_response(await self.call(self.service.get, tenant, request.path_params["id"]))

    async def transition(self, request: Request) -> Response:
        tenant = self.principal(request, SCOPE_DECIDE).municipality
        body = await self.valid_body(request, TRANSITION)
        representation = await self.call(self.service.transition, tenant, request.path_params["id"], body)
        return representation_response(representation)

    async def add_attachment(self, request: Request) -> Response:
        tenant = self.principal(request, SCOPE_WRITE).municipality
        body = await self.valid_body(request, ATTACHMENT)
        application_id: str = request.path_params["id"]
        representation = await self.call(self.service.add_attachment, tenant, application_id, body)
        # An attachment has no URL of its own; Location names its application.
        location = self.url(request, "applications", application_id)
        return representation_response(representation, status=201, location=location)
