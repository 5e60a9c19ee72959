"""Broken variants of the property@1.0 reference, one fault per requirement."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from starlette.types import ASGIApp

from felles.reference.app import create_app
from felles.reference.components import property_routes
from felles.reference.components.base import AppContext
from felles.reference.components.property import PropertyComponent
from felles.reference.components.property_model import PropertyFilter, StoredNotice
from felles.reference.components.property_service import CadastralKey, PropertyService
from felles.reference.problems import FieldProblem
from felles.reference.settings import Settings
from tests.mutants.case_archive_mutants import _page_drops_last
from tests.mutants.kit import AnySignature, AppFactory, Mutant, blind_validation, lax_context
from tests.mutants.rewrite import Reply, Rewriter

REQ = "/req/property/"


def _service(service: type[PropertyService], **component: Any) -> AppFactory:
    return lambda settings: create_app(settings, components=[PropertyComponent(service, **component)])


def _wrapped(**rewrites: Any) -> AppFactory:
    return lambda settings: Rewriter(create_app(settings, components=[PropertyComponent()]), **rewrites)


def _blind(schema_suffix: str, pointer_prefix: str) -> AppFactory:
    def build(settings: Settings) -> ASGIApp:
        blind_validation(property_routes, schema_suffix, lambda e: e.pointer.startswith(pointer_prefix))
        return create_app(settings, components=[PropertyComponent()])

    return build


# ------------------------------------------------------------ service faults


class RepeatedBuildings(PropertyService):
    def building_errors(self, body: Mapping[str, Any]) -> list[FieldProblem]:
        return []


class ZeroIsNotAbsent(PropertyService):
    """Stores an absent festenummer/seksjonsnummer as -1, so 208/163 and 208/163/0/0 differ."""

    def cadastral_key(self, cadastral: Mapping[str, Any]) -> CadastralKey:
        return (
            int(cadastral["cadastralUnitNumber"]),
            int(cadastral["propertyUnitNumber"]),
            int(cadastral.get("leaseholdNumber", -1)),
            int(cadastral.get("sectionNumber", -1)),
        )


class QueryIgnoresBruksnummer(PropertyService):
    def list_properties(self, tenant: str, query: PropertyFilter, **kwargs: Any) -> Any:
        return super().list_properties(tenant, dataclasses.replace(query, property_unit=None), **kwargs)


class CaseSensitiveStreets(PropertyService):
    """Compares the street name as sent, not case-folded."""

    def list_properties(self, tenant: str, query: PropertyFilter, **kwargs: Any) -> Any:
        raw = query.given.get("streetName")
        return super().list_properties(tenant, dataclasses.replace(query, street_key=raw), **kwargs)


class CrossTenantReads(PropertyService):
    def _load(self, connection: sqlite3.Connection, tenant: str, property_id: str) -> Any:
        row = connection.execute(
            "SELECT municipality FROM properties WHERE id = ?", (property_id,)
        ).fetchone()
        return super()._load(connection, row[0] if row else tenant, property_id)


class ThirtyDayMonths(PropertyService):
    def next_due(self, last: str | None, interval_months: int, registered_on: date) -> str:
        if last is None:
            return registered_on.isoformat()
        return (date.fromisoformat(last) + timedelta(days=30 * interval_months)).isoformat()


class LatestRecordedVisit(PropertyService):
    """Takes the visit recorded last as the last visit, even when it is older."""

    def last_visit(self, registered: str | None, recorded: list[str]) -> str | None:
        return recorded[-1] if recorded else registered


class NoticeToAnyone(PropertyService):
    def recipient_errors(self, prop: Any, recipient: Mapping[str, Any]) -> list[FieldProblem]:
        return []


class ReplyTwice(PropertyService):
    def can_reply(self, notice: StoredNotice) -> bool:
        return True


# ------------------------------------------------------------ HTTP faults


def _no_location(reply: Reply) -> None:
    if reply.method == "POST" and reply.status == 201 and reply.path.endswith("/properties"):
        reply.headers.pop("location", None)


def _matrikkel_normalised_on_read(reply: Reply) -> None:
    """GET writes out festenummer and seksjonsnummer 0 where none was given."""
    if reply.method != "GET" or "application/json" not in reply.headers.get("content-type", ""):
        return
    body = reply.json()
    if isinstance(body, dict) and isinstance(body.get("cadastralNumber"), dict):
        body["cadastralNumber"] = {"leaseholdNumber": 0, "sectionNumber": 0, **body["cadastralNumber"]}
        reply.set_json(body)


class _LaxWrite(PropertyComponent):
    def routes(self, context: AppContext) -> Sequence[Any]:
        return super().routes(lax_context(context, "property:write"))


PROPERTY_MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        "property-declares-no-core",
        "declares property without class core",
        REQ + "core/conformance",
        _service(PropertyService, classes=["fire-safety"]),
    ),
    Mutant(
        "property-no-location",
        "201 Created without a Location header",
        REQ + "core/create",
        _wrapped(on_response=_no_location),
    ),
    Mutant(
        "property-matrikkel-normalised",
        "GET adds festenummer and seksjonsnummer 0 that were never sent",
        REQ + "core/read-back",
        _wrapped(on_response=_matrikkel_normalised_on_read),
    ),
    Mutant(
        "property-repeated-building",
        "a property may list the same bygningsnummer twice",
        REQ + "core/reject-invalid",
        _service(RepeatedBuildings),
    ),
    Mutant(
        "property-matrikkel-unchecked",
        "accepts an invalid matrikkelnummer (gnr 0, bnr out of range)",
        REQ + "core/cadastral-number",
        _blind("/PropertyInput.schema.json", "/cadastralNumber"),
    ),
    Mutant(
        "property-zero-is-not-absent",
        "treats festenummer/seksjonsnummer 0 and absent as different, so a property is registered twice",
        REQ + "core/unique",
        _service(ZeroIsNotAbsent),
    ),
    Mutant(
        "property-query-ignores-bnr",
        "the matrikkel query ignores bruksnummer",
        REQ + "core/query-cadastral",
        _service(QueryIgnoresBruksnummer),
    ),
    Mutant(
        "property-street-case-sensitive",
        "the address query compares street names case-sensitively",
        REQ + "core/query-address",
        _service(CaseSensitiveStreets),
    ),
    Mutant(
        "property-page-drops-last",
        "every page but the last loses its last item",
        REQ + "core/pagination",
        _wrapped(on_response=_page_drops_last),
    ),
    Mutant(
        "property-forged-tokens",
        "token signatures are not verified",
        REQ + "core/authentication",
        lambda s: create_app(s, components=[PropertyComponent()], verifier=AnySignature(s)),
    ),
    Mutant(
        "property-write-without-scope",
        "changes need no property:write",
        REQ + "core/scopes",
        lambda s: create_app(s, components=[_LaxWrite()]),
    ),
    Mutant(
        "property-cross-tenant",
        "properties of another kommune can be read by id",
        REQ + "core/tenant-isolation",
        _service(CrossTenantReads),
    ),
    Mutant(
        "property-thirty-day-months",
        "counts a month as 30 days when computing the next due date",
        REQ + "fire-safety/schedule",
        _service(ThirtyDayMonths),
    ),
    Mutant(
        "property-older-visit-wins",
        "an older visit recorded later moves lastVisit back",
        REQ + "fire-safety/visits",
        _service(LatestRecordedVisit),
    ),
    Mutant(
        "property-notice-to-anyone",
        "a notice may go to someone who does not own the property",
        REQ + "fire-safety/notices",
        _service(NoticeToAnyone),
    ),
    Mutant(
        "property-reply-twice",
        "an owner can answer the same notice twice",
        REQ + "fire-safety/replies",
        _service(ReplyTwice),
    ),
)
