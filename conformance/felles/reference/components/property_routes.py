"""HTTP binding of property@1.0: scopes, query parsing, validation, problems, headers.

The plumbing (scope first, bounded JSON bodies, schema validation to ``422``,
service calls off the event loop, common problems) is
:class:`.shared.ComponentRoutes`. :class:`RuleRoutes` adds what property@1.0 and
building-permit@1.0 share — rule breaks beyond the schema as ``422`` and the
create handler — and :class:`PropertyRoutes` the property schemas, the query
parameters of GET /properties and the component's own problems.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from felles.reference.components.property_model import (
    NAME,
    SCOPE_READ,
    SCOPE_WRITE,
    VERSION,
    DuplicatePropertyError,
    InvalidMembersError,
    NoticeAnsweredError,
    PropertyFilter,
)
from felles.reference.components.property_service import PropertyService
from felles.reference.components.shared import (
    ComponentRoutes,
    Created,
    DomainError,
    Representation,
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
from felles.reference.problems import ProblemError, ProblemType
from felles.standard import schema_uri
from felles.standard.validation import validator_for

S = TypeVar("S")

PROPERTY_INPUT = schema_uri(NAME, VERSION, "PropertyInput")
VISIT_INPUT = schema_uri(NAME, VERSION, "VisitInput")
NOTICE_INPUT = schema_uri(NAME, VERSION, "NoticeInput")
NOTICE_REPLY = schema_uri(NAME, VERSION, "NoticeReply")

HOUSE_LETTERS = frozenset(string.ascii_letters + "ÆØÅæøå")

#: Integer query parameters of GET /properties: (PropertyFilter field, lowest, highest).
INTEGER_PARAMETERS: dict[str, tuple[str, int, int]] = {
    "cadastralUnitNumber": ("cadastral_unit", 1, 99999),
    "propertyUnitNumber": ("property_unit", 1, 9999),
    "leaseholdNumber": ("leasehold", 0, 9999),
    "sectionNumber": ("section", 0, 999),
    "houseNumber": ("house_number", 1, 9999),
}


def _bad_parameter(name: str, raw: str, wanted: str) -> ProblemError:
    return ProblemError(ProblemType.BAD_REQUEST, f"{name} must be {wanted}, got {shorten(repr(raw), 40)}")


def parse_filter(request: Request) -> PropertyFilter:
    """The filters of GET /properties; 400 for a value out of its range or of the wrong form."""
    values: dict[str, Any] = {}
    given: dict[str, str] = {}
    for name, (target, lowest, highest) in INTEGER_PARAMETERS.items():
        raw = single_query_value(request, name)
        if raw is None:
            continue
        if not raw.isascii() or not raw.isdigit() or len(raw) > 6 or not lowest <= int(raw) <= highest:
            raise _bad_parameter(name, raw, f"an integer {lowest}-{highest}")
        values[target] = int(raw)
        given[name] = raw
    street = single_query_value(request, "streetName")
    if street is not None:
        if not 1 <= len(street) <= 100:
            raise _bad_parameter("streetName", street, "1-100 characters")
        values["street_key"] = street.casefold()
        given["streetName"] = street
    letter = single_query_value(request, "houseLetter")
    if letter is not None:
        if len(letter) != 1 or letter not in HOUSE_LETTERS:
            raise _bad_parameter("houseLetter", letter, "one letter")
        values["letter_key"] = letter.casefold()
        given["houseLetter"] = letter
    postal = single_query_value(request, "postalCode")
    if postal is not None:
        if len(postal) != 4 or not postal.isascii() or not postal.isdigit():
            raise _bad_parameter("postalCode", postal, "4 digits")
        values["postal_code"] = postal
        given["postalCode"] = postal
    return PropertyFilter(**values, given=given)


def invalid_members_problem(exc: InvalidMembersError, component: str) -> ProblemError:
    """422 for members that pass the schema but break a rule of the component's spec."""
    count = len(exc.errors)
    verb = "breaks" if count == 1 else "break"
    detail = f"{count} member{'' if count == 1 else 's'} {verb} a rule of {component}; see errors"
    return ProblemError(ProblemType.VALIDATION, detail, errors=exc.errors)


class RuleRoutes(ComponentRoutes[S]):
    """The HTTP binding of a component whose service also refuses schema-valid members that
    break a rule of its spec (:class:`InvalidMembersError`, 422): property@1.0 and
    building-permit@1.0."""

    #: The component as problem details name it, e.g. ``property 1.0``.
    label: ClassVar[str]

    def validate_body(self, schema: str, body: Any) -> None:
        """Through this module's ``validator_for`` (the mutant tests patch it here)."""
        reject_field_errors(validator_for(schema).errors(body))

    def problem(self, exc: DomainError) -> ProblemError:
        if isinstance(exc, InvalidMembersError):
            return invalid_members_problem(exc, self.label)
        return super().problem(exc)

    async def create_in(
        self, request: Request, scope: str, schema: str, operation: Callable[..., Any], collection: str
    ) -> Response:
        """A POST that creates: scope first, Idempotency-Key, valid body, then ``201`` with
        ``Location`` under ``collection``."""
        tenant = self.principal(request, scope).municipality
        key = parse_idempotency_key(request)
        body = await self.valid_body(request, schema)
        created: Created[Representation] = await self.call(operation, tenant, body, idempotency_key=key)
        representation = created.representation
        location = self.url(request, collection, representation.resource_id)
        return representation_response(representation, status=201, location=location)


class PropertyRoutes(RuleRoutes[PropertyService]):
    """HTTP binding of one :class:`PropertyService`."""

    label = f"{NAME} {VERSION}"

    def routes(self) -> list[BaseRoute]:
        schedule = "/properties/{id}/buildings/{building}/fire-safety"
        return [
            Route("/properties", self.properties, methods=["GET", "POST"], name="properties"),
            Route("/properties/{id}", self.get_property, methods=["GET"], name="property"),
            Route(schedule, self.schedule, methods=["GET"], name="fire-safety"),
            Route(f"{schedule}/visits", self.record_visit, methods=["POST"], name="fire-safety-visits"),
            Route(f"{schedule}/notices", self.send_notice, methods=["POST"], name="fire-safety-notices"),
            Route("/notices/{id}", self.get_notice, methods=["GET"], name="notice"),
            Route("/notices/{id}/reply", self.reply, methods=["POST"], name="notice-reply"),
        ]

    def problem(self, exc: DomainError) -> ProblemError:
        if isinstance(exc, DuplicatePropertyError):
            return ProblemError(
                ProblemType.CONFLICT,
                f"the kommune already has a property with matrikkelnummer {exc.display}",
            )
        if isinstance(exc, NoticeAnsweredError):
            return ProblemError(
                ProblemType.CONFLICT,
                f"the notice is already {exc.status}; a notice takes one reply, send a new notice instead",
            )
        return super().problem(exc)

    # ---- properties

    async def properties(self, request: Request) -> Response:
        """One route per path, so a 405 names every allowed method in ``Allow``."""
        if request.method == "POST":
            return await self.create(request)
        return await self.list_properties(request)

    async def create(self, request: Request) -> Response:
        return await self.create_in(request, SCOPE_WRITE, PROPERTY_INPUT, self.service.create, "properties")

    async def list_properties(self, request: Request) -> Response:
        tenant = self.principal(request, SCOPE_READ).municipality
        query = parse_filter(request)
        limit = parse_limit(single_query_value(request, "limit"))
        fingerprint = query_fingerprint(
            "properties", tenant, *(f"{k}={v}" for k, v in sorted(query.given.items()))
        )
        after = cursor_after(request, fingerprint)
        page = await self.call(self.service.list_properties, tenant, query, after_id=after, limit=limit)
        return keyset_response(request, page, query={**query.given, "limit": limit}, fingerprint=fingerprint)

    async def get_property(self, request: Request) -> Response:
        tenant = self.principal(request, SCOPE_READ).municipality
        representation = await self.call(self.service.get, tenant, request.path_params["id"])
        return representation_response(representation)

    # ---- feiing og tilsyn

    async def schedule(self, request: Request) -> Response:
        tenant = self.principal(request, SCOPE_READ).municipality
        params = request.path_params
        return json_response(await self.call(self.service.schedule, tenant, params["id"], params["building"]))

    async def record_visit(self, request: Request) -> Response:
        tenant = self.principal(request, SCOPE_WRITE).municipality
        body = await self.valid_body(request, VISIT_INPUT)
        params = request.path_params
        schedule = await self.call(self.service.record_visit, tenant, params["id"], params["building"], body)
        # A visit has no URL of its own; Location names the schedule it is part of.
        location = self.url(
            request, "properties", params["id"], "buildings", params["building"], "fire-safety"
        )
        return json_response(schedule, 201, {"Location": location})

    async def send_notice(self, request: Request) -> Response:
        tenant = self.principal(request, SCOPE_WRITE).municipality
        body = await self.valid_body(request, NOTICE_INPUT)
        params = request.path_params
        notice = await self.call(self.service.send_notice, tenant, params["id"], params["building"], body)
        return json_response(notice, 201, {"Location": self.url(request, "notices", notice["id"])})

    async def get_notice(self, request: Request) -> Response:
        tenant = self.principal(request, SCOPE_READ).municipality
        return json_response(await self.call(self.service.get_notice, tenant, request.path_params["id"]))

    async def reply(self, request: Request) -> Response:
        tenant = self.principal(request, SCOPE_WRITE).municipality
        body = await self.valid_body(request, NOTICE_REPLY)
        return json_response(await self.call(self.service.reply, tenant, request.path_params["id"], body))
