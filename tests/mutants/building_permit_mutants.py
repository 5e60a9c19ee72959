"""Broken variants of the building-permit@1.0 reference, one fault per requirement."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from datetime import UTC, date, timedelta
from typing import Any

from starlette.types import ASGIApp

from felles.reference.app import create_app
from felles.reference.components import property_routes
from felles.reference.components.base import AppContext
from felles.reference.components.building_permit import BuildingPermitComponent
from felles.reference.components.building_permit_model import StoredApplication
from felles.reference.components.building_permit_service import BuildingPermitService, has_objection
from felles.reference.components.property_calendar import oslo_date, parse_instant
from felles.reference.problems import FieldProblem
from felles.reference.settings import Settings
from tests.mutants.case_archive_mutants import _page_drops_last
from tests.mutants.kit import AnySignature, AppFactory, Mutant, blind_validation, lax_context
from tests.mutants.rewrite import Reply, Rewriter

REQ = "/req/building-permit/"


def _service(service: type[BuildingPermitService], **component: Any) -> AppFactory:
    return lambda settings: create_app(settings, components=[BuildingPermitComponent(service, **component)])


def _wrapped(**rewrites: Any) -> AppFactory:
    return lambda settings: Rewriter(create_app(settings, components=[BuildingPermitComponent()]), **rewrites)


def _blind(pointer_prefix: str) -> AppFactory:
    def build(settings: Settings) -> ASGIApp:
        # Validation of both components runs through property_routes.RuleRoutes.
        blind_validation(
            property_routes,
            "/PermitApplicationInput.schema.json",
            lambda e: e.pointer.startswith(pointer_prefix),
        )
        return create_app(settings, components=[BuildingPermitComponent()])

    return build


# ------------------------------------------------------------ service faults


class ReceivedNow(BuildingPermitService):
    """Ignores the submitted receivedAt: every application is received when it arrives."""

    def submit(self, tenant: str, body: Mapping[str, Any], **kwargs: Any) -> Any:
        return super().submit(tenant, {k: v for k, v in body.items() if k != "receivedAt"}, **kwargs)


class AnyKommune(BuildingPermitService):
    def property_errors(self, tenant: str, application: Mapping[str, Any]) -> list[FieldProblem]:
        return []


class ThirteenDays(BuildingPermitService):
    """Counts the nabovarsel period one day short."""

    def neighbour_errors(self, application: Mapping[str, Any], received_at: str) -> list[FieldProblem]:
        latest = oslo_date(parse_instant(received_at)) - timedelta(days=13)
        return [
            FieldProblem(f"/neighbours/{i}/notifiedOn", "too late")
            for i, neighbour in enumerate(application["neighbours"])
            if date.fromisoformat(neighbour["notifiedOn"]) > latest
        ]


class CrossTenantReads(BuildingPermitService):
    def _load(self, connection: sqlite3.Connection, tenant: str, application_id: str) -> Any:
        row = connection.execute(
            "SELECT municipality FROM permit_applications WHERE id = ?", (application_id,)
        ).fetchone()
        return super()._load(connection, row[0] if row else tenant, application_id)


class DecidesEarly(BuildingPermitService):
    """Approves or refuses an application that is not complete."""

    def is_allowed(self, current: str, to: str) -> bool:
        early = current in ("submitted", "incomplete") and to in ("approved", "refused")
        return early or super().is_allowed(current, to)


class DecidedNow(BuildingPermitService):
    """Stamps the decision with the time of the request, not its ``at``."""

    def record_step(self, application: StoredApplication, step: Mapping[str, Any], at: str) -> dict[str, Any]:
        record = super().record_step(application, step, at)
        if record.get("decision"):
            record["decision"] = {**record["decision"], "decidedAt": self.now()}
        return record


class AttachAfterDecision(BuildingPermitService):
    def may_add_attachment(self, application: StoredApplication) -> bool:
        return True


class ObjectionsIgnored(BuildingPermitService):
    """Gives a one-step application with neighbour objections three weeks."""

    def deadline_weeks(self, application: Mapping[str, Any]) -> int:
        if not has_objection(application):
            return super().deadline_weeks(application)
        return super().deadline_weeks({**application, "neighbours": []})


class UtcStart(BuildingPermitService):
    """Starts the deadline on the UTC date of completion instead of the Europe/Oslo date."""

    def deadline_start(self, completed_at: str) -> date:
        return parse_instant(completed_at).astimezone(UTC).date()


# ------------------------------------------------------------ HTTP faults


def _description_altered_on_read(reply: Reply) -> None:
    if reply.method != "GET" or "application/json" not in reply.headers.get("content-type", ""):
        return
    body = reply.json()
    if isinstance(body, dict) and isinstance(body.get("measure"), dict):
        body["measure"]["description"] = body["measure"]["description"].strip() + " (endret)"
        reply.set_json(body)


class _LaxDecide(BuildingPermitComponent):
    def routes(self, context: AppContext) -> Sequence[Any]:
        return super().routes(lax_context(context, "building-permit:decide"))


BUILDING_PERMIT_MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        "building-permit-declares-no-core",
        "declares building-permit without class core",
        REQ + "core/conformance",
        _service(BuildingPermitService, classes=["lifecycle"]),
    ),
    Mutant(
        "building-permit-received-now",
        "ignores the submitted receivedAt",
        REQ + "core/create",
        _service(ReceivedNow),
    ),
    Mutant(
        "building-permit-description-altered",
        "GET changes the measure's description",
        REQ + "core/read-back",
        _wrapped(on_response=_description_altered_on_read),
    ),
    Mutant(
        "building-permit-no-validation",
        "applications are not validated against the schema",
        REQ + "core/reject-invalid",
        _blind(""),
    ),
    Mutant(
        "building-permit-any-kommune",
        "accepts an application for a property in another kommune",
        REQ + "core/property-in-kommune",
        _service(AnyKommune),
    ),
    Mutant(
        "building-permit-no-responsible-applicant",
        "accepts a one-step or framework application without a valid ansvarlig søker",
        REQ + "core/responsible-applicant",
        _blind("/procedure"),
    ),
    Mutant(
        "building-permit-thirteen-days",
        "accepts a nabovarsel sent 13 days before the application",
        REQ + "core/neighbour-notice",
        _service(ThirteenDays),
    ),
    Mutant(
        "building-permit-page-drops-last",
        "every page but the last loses its last item",
        REQ + "core/pagination",
        _wrapped(on_response=_page_drops_last),
    ),
    Mutant(
        "building-permit-forged-tokens",
        "token signatures are not verified",
        REQ + "core/authentication",
        lambda s: create_app(s, components=[BuildingPermitComponent()], verifier=AnySignature(s)),
    ),
    Mutant(
        "building-permit-decide-without-scope",
        "transitions need no building-permit:decide",
        REQ + "core/scopes",
        lambda s: create_app(s, components=[_LaxDecide()]),
    ),
    Mutant(
        "building-permit-cross-tenant",
        "applications of another kommune can be read by id",
        REQ + "core/tenant-isolation",
        _service(CrossTenantReads),
    ),
    Mutant(
        "building-permit-approves-incomplete",
        "approves (or refuses) an application that is not complete",
        REQ + "lifecycle/transitions",
        _service(DecidesEarly),
    ),
    Mutant(
        "building-permit-decided-now",
        "records the decision at the time of the request, not at its at",
        REQ + "lifecycle/records",
        _service(DecidedNow),
    ),
    Mutant(
        "building-permit-attach-after-decision",
        "documentation can be added after the decision",
        REQ + "lifecycle/attachments",
        _service(AttachAfterDecision),
    ),
    Mutant(
        "building-permit-objections-ignored",
        "three weeks for a one-step application with neighbour objections",
        REQ + "lifecycle/deadline-period",
        _service(ObjectionsIgnored),
    ),
    Mutant(
        "building-permit-utc-start",
        "starts the deadline on the UTC date of completion",
        REQ + "lifecycle/deadline-start",
        _service(UtcStart),
    ),
)
