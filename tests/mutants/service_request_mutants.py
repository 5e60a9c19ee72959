"""Broken variants of the service-request@1.0 reference, one fault per requirement.

The faults that matter most here are privacy faults (a caseworker's note that
names the reporter, shown to everyone) and a reporter left uninformed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from starlette.types import ASGIApp

from felles.reference.app import create_app
from felles.reference.components import service_request_public, service_request_routes
from felles.reference.components.base import AppContext
from felles.reference.components.service_request import ServiceRequestComponent, ServiceRequestService
from felles.reference.components.service_request_model import ALLOWED_CHANGES, SCOPE_WRITE, StoredRequest
from felles.reference.settings import Settings
from felles.standard.validation import FieldError
from tests.mutants.kit import AnySignature, AppFactory, Mutant, blind_validation, lax_context
from tests.mutants.rewrite import Reply, Rewriter

REQ = "/req/service-request/"


def _service(service: type[ServiceRequestService], **component: Any) -> AppFactory:
    return lambda settings: create_app(settings, components=[ServiceRequestComponent(service, **component)])


def _wrapped(**rewrites: Any) -> AppFactory:
    return lambda settings: Rewriter(create_app(settings), **rewrites)


# ------------------------------------------------------------ service faults


class CatalogueOutrunsIntake(ServiceRequestService):
    """The catalogue lists a service the intake no longer accepts."""

    def service_codes(self) -> frozenset[str]:
        return super().service_codes() - {str(self.catalogue[-1]["code"])}


class ReporterRequired(ServiceRequestService):
    def input_errors(self, request_input: Mapping[str, Any]) -> list[FieldError]:
        missing = (
            [] if "reporter" in request_input else [FieldError("/reporter", "required member is missing")]
        )
        return missing + super().input_errors(request_input)


class SkipsAfterCursor(ServiceRequestService):
    def _page(
        self, tenant: str, *, status: str | None, after_id: str | None, limit: int
    ) -> tuple[list[StoredRequest], bool]:
        requests, has_more = super()._page(tenant, status=status, after_id=after_id, limit=limit)
        return (requests[1:] if after_id is not None else requests), has_more


class CrossTenantRequests(ServiceRequestService):
    def _load(self, connection: Any, tenant: str, request_id: str) -> StoredRequest:
        row = connection.execute(
            "SELECT municipality FROM sr_requests WHERE id = ?", (request_id,)
        ).fetchone()
        return super()._load(connection, row[0] if row else tenant, request_id)


class NoRejectionOnArrival(ServiceRequestService):
    changes = MappingProxyType({**ALLOWED_CHANGES, "received": frozenset({"in-progress"})})


class Reopens(ServiceRequestService):
    changes = MappingProxyType({**ALLOWED_CHANGES, "resolved": frozenset({"in-progress"})})


class ForgetsNotes(ServiceRequestService):
    def change_status(self, tenant: str, request_id: str, to: str, *, note: str | None) -> Any:
        return super().change_status(tenant, request_id, to, note=None)


class EmailOnly(ServiceRequestService):
    def notices_for(self, request: StoredRequest, entry: Mapping[str, Any]) -> list[dict[str, Any]]:
        return [notice for notice in super().notices_for(request, entry) if notice["channel"] == "email"]


# ------------------------------------------------------------ other faults


def _location_is_public(reply: Reply) -> None:
    if reply.method == "POST" and reply.status == 201 and "location" in reply.headers:
        body = reply.json()
        reply.headers["location"] = re.sub(
            r"/service-requests/",
            f"/public/{body['municipalityNumber']}/service-requests/",
            reply.headers["location"],
        )


def _public_needs_a_token(reply: Reply) -> None:
    if "/public/" in reply.path:
        reply.status = 401
        reply.headers["content-type"] = "application/problem+json"
        reply.headers["www-authenticate"] = 'Bearer realm="felles"'
        reply.set_json({"type": "about:blank", "title": "Unauthorized", "status": 401})


def _blind_requests(settings: Settings) -> ASGIApp:
    blind_validation(service_request_routes, "/ServiceRequestInput.schema.json", lambda error: True)
    return create_app(settings)


def _notes_shown_as_written(settings: Settings) -> ASGIApp:
    """The public history shows notes as the caseworker wrote them, reporter's name and all.

    Patches the module, which is acceptable only because every mutant runs in a process of its own.
    """

    def unredacted(history: Any, pattern: Any) -> list[dict[str, Any]]:
        return [
            json.loads(json.dumps({k: entry[k] for k in ("status", "at", "note") if k in entry}))
            for entry in history
        ]

    service_request_public.public_history = unredacted  # type: ignore[assignment]
    return create_app(settings)


class _LaxWrite(ServiceRequestComponent):
    def routes(self, context: AppContext) -> Sequence[Any]:
        return super().routes(lax_context(context, SCOPE_WRITE))


SERVICE_REQUEST_MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        "service-request-declares-no-core",
        "declares service-request without class core",
        REQ + "core/conformance",
        _service(ServiceRequestService, classes=["lifecycle", "public", "notifications"]),
    ),
    Mutant(
        "service-request-catalogue-outruns-intake",
        "the catalogue lists a service whose requests are refused",
        REQ + "core/catalogue",
        _service(CatalogueOutrunsIntake),
    ),
    Mutant(
        "service-request-location-is-public-view",
        "Location names the public view instead of the request",
        REQ + "core/create",
        _wrapped(on_response=_location_is_public),
    ),
    Mutant(
        "service-request-no-validation",
        "requests are not validated against ServiceRequestInput",
        REQ + "core/reject-invalid",
        _blind_requests,
    ),
    Mutant(
        "service-request-reporter-required",
        "anonymous requests are refused",
        REQ + "core/anonymous",
        _service(ReporterRequired),
    ),
    Mutant(
        "service-request-page-skips-one",
        "every page after the first skips a request",
        REQ + "core/pagination",
        _service(SkipsAfterCursor),
    ),
    Mutant(
        "service-request-forged-tokens",
        "token signatures are not verified",
        REQ + "core/authentication",
        lambda s: create_app(s, verifier=AnySignature(s)),
    ),
    Mutant(
        "service-request-write-without-scope",
        "creating and changing need no service-request:write",
        REQ + "core/scopes",
        lambda s: create_app(s, components=[_LaxWrite()]),
    ),
    Mutant(
        "service-request-cross-tenant",
        "requests of another kommune can be read and changed by id",
        REQ + "core/tenant-isolation",
        _service(CrossTenantRequests),
    ),
    Mutant(
        "service-request-no-rejection-on-arrival",
        "a received request cannot be rejected",
        REQ + "lifecycle/allowed",
        _service(NoRejectionOnArrival),
    ),
    Mutant(
        "service-request-reopens",
        "a resolved request can be set in progress again",
        REQ + "lifecycle/forbidden",
        _service(Reopens),
    ),
    Mutant(
        "service-request-forgets-notes",
        "the note of a status change is not kept in the history",
        REQ + "lifecycle/history",
        _service(ForgetsNotes),
    ),
    Mutant(
        "service-request-public-needs-token",
        "the public view and list require a token",
        REQ + "public/view",
        _wrapped(on_response=_public_needs_a_token),
    ),
    Mutant(
        "service-request-notes-leak-reporter",
        "public notes are shown as written, with the reporter's name and contact",
        REQ + "public/no-reporter",
        _notes_shown_as_written,
    ),
    Mutant(
        "service-request-no-sms",
        "reporters who gave only a phone number are never told",
        REQ + "notifications/status-change",
        _service(EmailOnly),
    ),
)
