"""Checks for building-permit@1.0 (spec/building-permit/1.0/index.md).

One function per requirement; each may only fail when the system under test
breaks that requirement. Generated applications are fitted to the rules beyond
the schema (property in the caller's kommune, neighbours notified two weeks
ahead) by :mod:`.property_payloads`. Instants that matter for a date are chosen
just before midnight UTC, so that a system using the UTC date instead of the
Europe/Oslo date is caught.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from felles.runner.assertions import expect_problem, header
from felles.runner.checks.property_assertions import (
    expect_answer,
    expect_rejected_at,
)
from felles.runner.checks.property_payloads import (
    NEIGHBOUR_NOTICE_DAYS,
    branch,
    expected_weeks,
    fit_application,
    has_objection,
    home_kommune,
    oslo_date,
    other_kommune,
    parse_instant,
    standard_example,
    utc_text,
)
from felles.runner.checks.shared import (
    FORGED_JWT,
    expect_declaration,
    expect_exactly_once,
    expect_refused,
    expect_unauthenticated,
    json_diff,
    walk_pages,
)
from felles.runner.client import ApiClient, Response
from felles.runner.config import RunConfig
from felles.runner.failures import expect
from felles.runner.generators import Generators
from felles.runner.plugin import ExamplesDecorator as Examples
from felles.standard import Component
from felles.strategies.near_miss import NearMiss

requirement = pytest.mark.requirement

APPLICATIONS = "/applications"
MEMBERS = (
    "property",
    "measure",
    "procedure",
    "applicant",
    "dispensationRequested",
    "otherAuthorityConsentRequired",
    "neighbours",
    "attachments",
)
RESPONSIBLE = {"organizationNumber": "974760673", "name": "Ansvarlig Søker AS"}
OBJECTION = {"receivedOn": "2024-01-02", "summary": "Merknad fra nabo."}


# ------------------------------------------------------------------ instants


def before_midnight(day: datetime, summer: bool) -> datetime:
    """An instant in the last hour before midnight in Oslo that is still the previous day in UTC."""
    return day.replace(hour=22 if summer else 23, minute=30, second=0, microsecond=0, tzinfo=UTC)


def instants() -> st.SearchStrategy[datetime]:
    """Late-evening UTC instants in 2024-2025, summer and winter alike: their Oslo date is the next day."""
    return st.builds(
        lambda day, summer: before_midnight(datetime(2024, 1, 1) + timedelta(days=day), summer),
        st.integers(min_value=0, max_value=700),
        st.booleans(),
    ).filter(lambda moment: oslo_date(moment) != moment.date())


# ------------------------------------------------------------------ explicit examples

#: Explicit Hypothesis examples are instants just before midnight UTC, winter and summer.
WINTER_EVENING = datetime(2025, 1, 14, 23, 30, tzinfo=UTC)
SUMMER_EVENING = datetime(2025, 6, 30, 22, 30, tzinfo=UTC)


def extension(gen: Generators) -> dict[str, Any]:
    """The standard's richest application example: one-step, ansvarlig søker, a neighbour objection."""
    return standard_example(gen, "PermitApplicationInput", "one-step-extension-with-neighbour-objection")


def transition_example(gen: Generators, label: str) -> dict[str, Any]:
    return standard_example(gen, "PermitTransition", label)


def attachment_example(gen: Generators, label: str = "situation-plan-with-checksum") -> dict[str, Any]:
    return standard_example(gen, "PermitAttachment", label)


# ------------------------------------------------------------------ helpers


def submit(api: ApiClient, gen: Generators, payload: Any) -> tuple[Response, dict[str, Any]]:
    response = api.post(APPLICATIONS, payload)
    return response, expect_answer(response, 201, gen.validator("PermitApplication"), f"POST {APPLICATIONS}")


def submitted(api: ApiClient, gen: Generators, payload: Any) -> dict[str, Any]:
    return submit(api, gen, payload)[1]


def get_application(api: ApiClient, gen: Generators, application_id: str) -> dict[str, Any]:
    path = f"{APPLICATIONS}/{application_id}"
    return expect_answer(api.get(path), 200, gen.validator("PermitApplication"), f"GET {path}")


def step(api: ApiClient, application_id: str, body: Mapping[str, Any]) -> Response:
    return api.post(f"{APPLICATIONS}/{application_id}/transitions", body)


def step_ok(api: ApiClient, gen: Generators, application_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
    validator = gen.validator("PermitApplication")
    return expect_answer(step(api, application_id, body), 200, validator, f"the transition to {body['to']}")


def every_application(api: ApiClient, gen: Generators) -> list[dict[str, Any]]:
    return walk_pages(api, APPLICATIONS, gen.validator("PermitApplicationPage"), {"limit": 100})


def same_instant(got: Any, wanted: str) -> bool:
    return isinstance(got, str) and parse_instant(got) == parse_instant(wanted)


def with_procedure(payload: Mapping[str, Any], procedure: str) -> dict[str, Any]:
    changed = copy.deepcopy(dict(payload))
    changed["procedure"] = {"type": procedure}
    if procedure != "without-responsibility":
        changed["procedure"]["responsibleApplicant"] = dict(RESPONSIBLE)
    return changed


def marked(payload: Mapping[str, Any], marker: uuid.UUID) -> dict[str, Any]:
    """``payload`` whose measure description carries ``marker``, to find it in lists."""
    changed = copy.deepcopy(dict(payload))
    changed["measure"]["description"] = f"Felles-test {marker}"
    return changed


def neighbour_of(application: Mapping[str, Any], notified: date) -> dict[str, Any]:
    """A neighbour on the next bruksnummer, notified on ``notified``."""
    cadastral = dict(application["property"]["cadastralNumber"])
    cadastral["propertyUnitNumber"] = cadastral["propertyUnitNumber"] % 9999 + 1
    return {
        "name": "Nabo Naboesen",
        "property": {"cadastralNumber": cadastral},
        "notifiedOn": notified.isoformat(),
    }


def decided(
    api: ApiClient, gen: Generators, application_id: str, outcome: str = "approved"
) -> dict[str, Any]:
    step_ok(api, gen, application_id, {"to": "complete"})
    body = {"to": outcome} if outcome == "approved" else {"to": outcome, "justification": "Avslått."}
    return step_ok(api, gen, application_id, body)


# ------------------------------------------------------------------ core


@requirement("/req/building-permit/core/conformance")
def check_conformance_declaration(anonymous: ApiClient, component: Component, run_config: RunConfig) -> None:
    expect_declaration(anonymous, component, run_config)


@requirement("/req/building-permit/core/create")
def check_create(api: ApiClient, gen: Generators, run_config: RunConfig, examples: Examples) -> None:
    kommune = home_kommune(run_config)

    @examples
    @given(payload=gen.valid("PermitApplicationInput"), received=instants(), explicit=st.booleans())
    @example(payload=extension(gen), received=WINTER_EVENING, explicit=True)
    def attempt(payload: Any, received: datetime, explicit: bool) -> None:
        sent = fit_application(payload, kommune, received if explicit else None)
        before = datetime.now(UTC)
        response, body = submit(api, gen, sent)
        after = datetime.now(UTC)
        expect(header(response, "Location") is not None, "201 Created without a Location header")
        expect(body["status"] == "submitted", f"a new application has status {body['status']!r}")
        expect(
            body["municipalityNumber"] == kommune,
            f"the application belongs to kommune {body['municipalityNumber']}, the caller's is {kommune}",
        )
        expect(body["deadline"] is None, f"a submitted application has a deadline: {body['deadline']}")
        expect(body["decision"] is None, f"a submitted application has a decision: {body['decision']}")
        if explicit:
            expect(
                same_instant(body["receivedAt"], sent["receivedAt"]),
                f"receivedAt is {body['receivedAt']!r}, {sent['receivedAt']!r} was sent",
            )
        else:
            moment = parse_instant(body["receivedAt"])
            expect(
                before - timedelta(seconds=5) <= moment <= after + timedelta(seconds=5),
                f"receivedAt {body['receivedAt']!r} is not the time of the request ({utc_text(before)})",
            )
        history = body["history"]
        expect(
            len(history) == 1 and history[0]["status"] == "submitted",
            f"a new application's history is {history}",
        )
        expect(
            same_instant(history[0]["at"], body["receivedAt"]), "the submitted entry's at is not receivedAt"
        )

    attempt()
    future = {"receivedAt": utc_text(datetime.now(UTC) + timedelta(days=2))}

    @examples(max_examples=2)
    @given(payload=gen.valid("PermitApplicationInput"))
    @example(payload=extension(gen))
    def early(payload: Any) -> None:
        sent = {**fit_application(payload, kommune), **future}
        expect_rejected_at(api.post(APPLICATIONS, sent), "/receivedAt", "a receivedAt in the future")

    early()


@requirement("/req/building-permit/core/read-back")
def check_read_back(api: ApiClient, gen: Generators, run_config: RunConfig, examples: Examples) -> None:
    kommune = home_kommune(run_config)

    @examples
    @given(payload=gen.valid("PermitApplicationInput"))
    @example(payload=extension(gen))
    def attempt(payload: Any) -> None:
        sent = fit_application(payload, kommune)
        stored = get_application(api, gen, submitted(api, gen, sent)["id"])
        wanted = {k: sent.get(k, []) for k in MEMBERS}
        got = {k: stored.get(k) for k in MEMBERS}
        expect(got == wanted, "the stored application differs: " + json_diff(wanted, got))

    attempt()


@requirement("/req/building-permit/core/reject-invalid")
def check_rejects_invalid(api: ApiClient, gen: Generators, examples: Examples) -> None:
    @examples
    @given(miss=gen.near_miss("PermitApplicationInput"))
    @example(miss=gen.all_near_misses("PermitApplicationInput", extension(gen))[0])
    def attempt(miss: NearMiss) -> None:
        what = f"input with {miss.reason} at {miss.pointer}"
        expect_rejected_at(api.post(APPLICATIONS, miss.instance), miss.pointer, what, 400, 422)

    attempt()


@requirement("/req/building-permit/core/property-in-kommune")
def check_property_in_kommune(
    api: ApiClient, gen: Generators, run_config: RunConfig, examples: Examples
) -> None:
    kommune = home_kommune(run_config)

    @examples(max_examples=2)
    @given(payload=gen.valid("PermitApplicationInput"))
    @example(payload=extension(gen))
    def attempt(payload: Any) -> None:
        marker = uuid.uuid4()
        sent = marked(fit_application(payload, kommune), marker)
        sent["property"]["cadastralNumber"]["municipalityNumber"] = other_kommune(kommune)
        pointer = "/property/cadastralNumber/municipalityNumber"
        expect_rejected_at(api.post(APPLICATIONS, sent), pointer, "a property in another kommune")
        made = [a["id"] for a in every_application(api, gen) if str(marker) in a["measure"]["description"]]
        expect(not made, f"the application for a property in another kommune was created: {made}")

    attempt()


@requirement("/req/building-permit/core/responsible-applicant")
def check_responsible_applicant(
    api: ApiClient, gen: Generators, run_config: RunConfig, examples: Examples
) -> None:
    kommune = home_kommune(run_config)

    @examples(max_examples=2)
    @given(payload=gen.valid("PermitApplicationInput"))
    @example(payload=extension(gen))
    def attempt(payload: Any) -> None:
        base = fit_application(payload, kommune)
        for procedure in ("one-step", "framework-permit"):
            missing = with_procedure(base, procedure)
            del missing["procedure"]["responsibleApplicant"]
            pointer = "/procedure/responsibleApplicant"
            expect_rejected_at(
                api.post(APPLICATIONS, missing), pointer, f"{procedure} without ansvarlig søker"
            )
            wrong = with_procedure(base, procedure)
            wrong["procedure"]["responsibleApplicant"]["organizationNumber"] = "974760674"
            expect_rejected_at(
                api.post(APPLICATIONS, wrong),
                f"{pointer}/organizationNumber",
                f"{procedure} with an invalid organisasjonsnummer of the ansvarlig søker",
            )
        submitted(api, gen, with_procedure(base, "without-responsibility"))

    attempt()


@requirement("/req/building-permit/core/neighbour-notice")
def check_neighbour_notice(
    api: ApiClient, gen: Generators, run_config: RunConfig, examples: Examples
) -> None:
    kommune = home_kommune(run_config)

    @examples(max_examples=3)
    @given(
        payload=gen.valid("PermitApplicationInput"),
        received=instants(),
        position=st.integers(min_value=0, max_value=5),
    )
    @example(payload=extension(gen), received=SUMMER_EVENING, position=1)
    def attempt(payload: Any, received: datetime, position: int) -> None:
        sent = fit_application(payload, kommune, received)
        index = min(position, len(sent["neighbours"]))
        day = oslo_date(received) - timedelta(days=NEIGHBOUR_NOTICE_DAYS - 1)
        sent["neighbours"].insert(index, neighbour_of(sent, day))
        expect_rejected_at(
            api.post(APPLICATIONS, sent),
            f"/neighbours/{index}/notifiedOn",
            f"a neighbour notified {day} for an application received {utc_text(received)} (13 days, Oslo)",
        )
        sent["neighbours"][index]["notifiedOn"] = (day - timedelta(days=1)).isoformat()
        submitted(api, gen, sent)

    attempt()


@requirement("/req/building-permit/core/pagination")
def check_pagination(api: ApiClient, gen: Generators, run_config: RunConfig, examples: Examples) -> None:
    kommune = home_kommune(run_config)

    @examples(max_examples=1)
    @given(payload=gen.valid("PermitApplicationInput"))
    @example(payload=extension(gen))
    def attempt(payload: Any) -> None:
        made = [submitted(api, gen, fit_application(payload, kommune))["id"] for _ in range(5)]
        validator = gen.validator("PermitApplicationPage")
        queries: list[dict[str, str | int]] = [{"limit": 2}, {"limit": 3, "status": "submitted"}]
        for params in queries:
            served = [a["id"] for a in walk_pages(api, APPLICATIONS, validator, params)]
            expect_exactly_once(served, made, f"applications with {params}")

    attempt()


@requirement("/req/building-permit/core/authentication")
def check_authentication(
    anonymous: ApiClient, api: ApiClient, gen: Generators, run_config: RunConfig, examples: Examples
) -> None:
    kommune = home_kommune(run_config)

    @examples(max_examples=1)
    @given(payload=gen.valid("PermitApplicationInput"), attachment=gen.valid("PermitAttachment"))
    @example(payload=extension(gen), attachment=attachment_example(gen))
    def attempt(payload: Any, attachment: Any) -> None:
        sent = fit_application(payload, kommune)
        application_id = submitted(api, gen, sent)["id"]
        path = f"{APPLICATIONS}/{application_id}"
        probes: list[tuple[str, Callable[[], Response]]] = [
            ("list", lambda: anonymous.get(APPLICATIONS)),
            ("read", lambda: anonymous.get(path)),
            ("submit", lambda: anonymous.post(APPLICATIONS, sent)),
            ("transition", lambda: step(anonymous, application_id, {"to": "complete"})),
            ("add an attachment", lambda: anonymous.post(f"{path}/attachments", attachment)),
            ("read with a forged token", lambda: api.get(path, raw_token=FORGED_JWT)),
        ]
        expect_unauthenticated(probes)
        expect(
            get_application(api, gen, application_id)["status"] == "submitted",
            "an anonymous step took effect",
        )

    attempt()


@requirement("/req/building-permit/core/scopes")
def check_scopes(
    client_for: Callable[[str], ApiClient],
    api: ApiClient,
    gen: Generators,
    run_config: RunConfig,
    examples: Examples,
) -> None:
    kommune = home_kommune(run_config)
    reader, writer, clerk = client_for("read-only"), client_for("write-only"), client_for("no-decide")

    @examples(max_examples=1)
    @given(payload=gen.valid("PermitApplicationInput"), attachment=gen.valid("PermitAttachment"))
    @example(payload=extension(gen), attachment=attachment_example(gen))
    def attempt(payload: Any, attachment: Any) -> None:
        marker = uuid.uuid4()
        sent = fit_application(payload, kommune)
        created = submitted(api, gen, sent)
        path = f"{APPLICATIONS}/{created['id']}"
        attempts = [
            ("reading without building-permit:read", writer.get(path)),
            ("listing without building-permit:read", writer.get(APPLICATIONS)),
            ("submitting without building-permit:write", reader.post(APPLICATIONS, marked(sent, marker))),
            (
                "adding an attachment without building-permit:write",
                reader.post(f"{path}/attachments", attachment),
            ),
            ("a transition without building-permit:decide", step(clerk, created["id"], {"to": "complete"})),
        ]
        expect_refused(attempts, 403)
        now = get_application(api, gen, created["id"])
        expect(
            now["status"] == "submitted" and now["attachments"] == created["attachments"],
            "a request without the needed scope changed the application",
        )
        made = [a["id"] for a in every_application(api, gen) if str(marker) in a["measure"]["description"]]
        expect(not made, "a request without building-permit:write submitted an application")

    attempt()


@requirement("/req/building-permit/core/tenant-isolation")
def check_tenant_isolation(
    client_for: Callable[[str], ApiClient],
    api: ApiClient,
    gen: Generators,
    run_config: RunConfig,
    examples: Examples,
) -> None:
    kommune = home_kommune(run_config)
    outsider = client_for("other-tenant")

    @examples(max_examples=1)
    @given(payload=gen.valid("PermitApplicationInput"), attachment=gen.valid("PermitAttachment"))
    @example(payload=extension(gen), attachment=attachment_example(gen))
    def attempt(payload: Any, attachment: Any) -> None:
        created = submitted(api, gen, fit_application(payload, kommune))
        path = f"{APPLICATIONS}/{created['id']}"
        attempts = [
            ("another kommune reading the application", outsider.get(path)),
            ("another kommune moving it on", step(outsider, created["id"], {"to": "complete"})),
            ("another kommune adding an attachment", outsider.post(f"{path}/attachments", attachment)),
        ]
        expect_refused(attempts, 404)
        theirs = [a["id"] for a in every_application(outsider, gen)]
        expect(created["id"] not in theirs, "another kommune's list includes this application")
        now = get_application(api, gen, created["id"])
        expect(
            now["status"] == "submitted" and now["attachments"] == created["attachments"],
            "another kommune changed the application",
        )

    attempt()


# ------------------------------------------------------------------ lifecycle

#: (from, to) pairs the lifecycle forbids, reached by the path before them.
FORBIDDEN_FROM_SUBMITTED = ("approved", "refused")
FORBIDDEN_FROM_COMPLETE = ("incomplete", "complete")
AFTER_DECISION = ("incomplete", "complete", "approved", "refused")


def _attempt_forbidden(
    api: ApiClient, gen: Generators, application_id: str, targets: tuple[str, ...]
) -> None:
    before = get_application(api, gen, application_id)
    for to in targets:
        body: dict[str, Any] = {"to": to}
        if to == "refused":
            body["justification"] = "Avslått."
        if to == "incomplete":
            body["documentationRequest"] = {"items": ["Snittegning."], "replyBy": "2030-01-01"}
        response = step(api, application_id, body)
        expect(
            response.status_code == 409,
            f"a transition from {before['status']} to {to} was answered {response.status_code}, not 409",
        )
        expect_problem(response, 409)
    after = get_application(api, gen, application_id)
    expect(after == before, "a refused transition changed the application: " + json_diff(before, after))


@requirement("/req/building-permit/lifecycle/transitions")
def check_transitions(api: ApiClient, gen: Generators, run_config: RunConfig, examples: Examples) -> None:
    kommune = home_kommune(run_config)

    @examples(max_examples=2)
    @given(
        payload=gen.valid("PermitApplicationInput"),
        request=branch(gen, "PermitTransition", "to", "incomplete"),
    )
    @example(payload=extension(gen), request=transition_example(gen, "request-documentation"))
    def attempt(payload: Any, request: Any) -> None:
        request = {k: v for k, v in request.items() if k != "at"}
        first = submitted(api, gen, fit_application(payload, kommune))["id"]
        _attempt_forbidden(api, gen, first, FORBIDDEN_FROM_SUBMITTED)
        step_ok(api, gen, first, request)
        _attempt_forbidden(api, gen, first, FORBIDDEN_FROM_SUBMITTED)
        step_ok(api, gen, first, request)
        step_ok(api, gen, first, {"to": "complete"})
        _attempt_forbidden(api, gen, first, FORBIDDEN_FROM_COMPLETE)
        expect(
            step_ok(api, gen, first, {"to": "approved"})["status"] == "approved", "approving did not approve"
        )
        _attempt_forbidden(api, gen, first, AFTER_DECISION)
        second = submitted(api, gen, fit_application(payload, kommune))["id"]
        expect(decided(api, gen, second, "refused")["status"] == "refused", "refusing did not refuse")
        _attempt_forbidden(api, gen, second, AFTER_DECISION)
        received = datetime.now(UTC) - timedelta(days=1)
        third = submitted(api, gen, fit_application(payload, kommune, received))["id"]
        for at, what in (
            (received - timedelta(hours=1), "before the application was received"),
            (datetime.now(UTC) + timedelta(days=1), "in the future"),
        ):
            response = step(api, third, {"to": "complete", "at": utc_text(at)})
            expect_rejected_at(response, "/at", f"a transition dated {what}")
        expect(get_application(api, gen, third)["status"] == "submitted", "a rejected transition took effect")

    attempt()


@requirement("/req/building-permit/lifecycle/records")
def check_records(api: ApiClient, gen: Generators, run_config: RunConfig, examples: Examples) -> None:
    kommune = home_kommune(run_config)

    @examples(max_examples=2)
    @given(
        payload=gen.valid("PermitApplicationInput"),
        request=branch(gen, "PermitTransition", "to", "incomplete"),
        approval=branch(gen, "PermitTransition", "to", "approved"),
        refusal=branch(gen, "PermitTransition", "to", "refused"),
    )
    @example(
        payload=extension(gen),
        request=transition_example(gen, "request-documentation"),
        approval=transition_example(gen, "approve-with-conditions"),
        refusal=transition_example(gen, "refuse-with-justification"),
    )
    def attempt(payload: Any, request: Any, approval: Any, refusal: Any) -> None:
        received = datetime.now(UTC) - timedelta(days=10)
        moments = [utc_text(received + timedelta(days=n, minutes=7)) for n in (1, 2, 3)]
        for decision in (approval, refusal):
            created = submitted(api, gen, fit_application(payload, kommune, received))
            steps = [request, {"to": "complete"}, decision]
            for count, (body, at) in enumerate(zip(steps, moments, strict=True), start=2):
                now = step_ok(api, gen, created["id"], {**body, "at": at})
                entry = now["history"][-1]
                expect(
                    len(now["history"]) == count
                    and entry["status"] == body["to"]
                    and same_instant(entry["at"], at),
                    f"history after {body['to']} at {at} is {now['history']}",
                )
            requests = now["documentationRequests"]
            wanted = {
                "items": request["documentationRequest"]["items"],
                "replyBy": request["documentationRequest"]["replyBy"],
            }
            expect(
                len(requests) == 1
                and same_instant(requests[0]["requestedAt"], moments[0])
                and {k: requests[0].get(k) for k in wanted} == wanted,
                f"documentationRequests is {requests}, expected {wanted} requested at {moments[0]}",
            )
            recorded = now["decision"] or {}
            expect(
                recorded.get("outcome") == decision["to"]
                and same_instant(recorded.get("decidedAt"), moments[2]),
                f"the decision is {recorded}, expected {decision['to']} decided at {moments[2]}",
            )
            for member in ("conditions", "justification"):
                if member in decision:
                    expect(
                        recorded.get(member) == decision[member],
                        f"decision.{member} is {recorded.get(member)!r}, {decision[member]!r} was sent",
                    )

    attempt()


@requirement("/req/building-permit/lifecycle/attachments")
def check_attachments(api: ApiClient, gen: Generators, run_config: RunConfig, examples: Examples) -> None:
    kommune = home_kommune(run_config)

    @examples(max_examples=2)
    @given(
        payload=gen.valid("PermitApplicationInput"),
        attachments=st.lists(gen.valid("PermitAttachment"), min_size=2, max_size=2),
    )
    @example(
        payload=extension(gen),
        attachments=[attachment_example(gen), attachment_example(gen, "facade-drawing-with-title")],
    )
    def attempt(payload: Any, attachments: list[Any]) -> None:
        created = submitted(api, gen, fit_application(payload, kommune))
        path = f"{APPLICATIONS}/{created['id']}/attachments"
        validator = gen.validator("PermitApplication")
        body = expect_answer(api.post(path, attachments[0]), 201, validator, "adding an attachment")
        wanted = [*created["attachments"], attachments[0]]
        expect(
            body["attachments"] == wanted,
            "attachments after adding one: " + json_diff(wanted, body["attachments"]),
        )
        decided(api, gen, created["id"])
        refused = api.post(path, attachments[1])
        expect(refused.status_code == 409, f"adding to a decided application answered {refused.status_code}")
        expect_problem(refused, 409)
        count = len(get_application(api, gen, created["id"])["attachments"])
        expect(count == len(wanted), f"the decided application has {count} attachments; one was added anyway")

    attempt()


#: One application per row of the spec's table: (procedure, dispensation, other authority, objection).
DEADLINE_ROWS: tuple[tuple[str, bool, bool, bool], ...] = (
    ("framework-permit", False, False, False),
    ("one-step", True, False, False),
    ("one-step", False, True, False),
    ("one-step", False, False, True),
    ("one-step", False, False, False),
    ("without-responsibility", True, False, False),
    ("without-responsibility", False, True, False),
    ("without-responsibility", False, False, True),
    ("without-responsibility", False, False, False),
)


def deadline_case(
    payload: Mapping[str, Any], row: tuple[str, bool, bool, bool], kommune: str, received: datetime
) -> dict[str, Any]:
    procedure, dispensation, authority, objection = row
    fitted = with_procedure(fit_application(payload, kommune, received), procedure)
    fitted["dispensationRequested"] = dispensation
    fitted["otherAuthorityConsentRequired"] = authority
    for neighbour in fitted["neighbours"]:
        neighbour.pop("objection", None)
    if objection:
        if not fitted["neighbours"]:
            fitted["neighbours"].append(neighbour_of(fitted, oslo_date(received) - timedelta(days=30)))
        fitted["neighbours"][-1]["objection"] = dict(OBJECTION)
    return fitted


def expect_deadline(body: Mapping[str, Any], application: Mapping[str, Any], completed: datetime) -> None:
    """``deadline`` as the spec defines it for ``application`` completed at ``completed``."""
    weeks, deemed = expected_weeks(application)
    start = oslo_date(completed)
    wanted = {
        "startDate": start.isoformat(),
        "weeks": weeks,
        "dueDate": (start + timedelta(weeks=weeks)).isoformat(),
        "deemedGrantedIfMissed": deemed,
    }
    got = body["deadline"] or {}
    shown = {k: got.get(k) for k in wanted}
    row = (
        f"{application['procedure']['type']}, dispensation {application['dispensationRequested']}, "
        f"other authority {application['otherAuthorityConsentRequired']}, "
        f"objection {has_objection(application)}, complete at {utc_text(completed)}"
    )
    expect(shown == wanted, f"deadline for {row}: " + json_diff(wanted, shown))


@requirement("/req/building-permit/lifecycle/deadline-period")
def check_deadline_period(api: ApiClient, gen: Generators, run_config: RunConfig, examples: Examples) -> None:
    kommune = home_kommune(run_config)

    @examples(max_examples=2)
    @given(payload=gen.valid("PermitApplicationInput"), completed=instants(), lag=st.integers(1, 30))
    @example(payload=extension(gen), completed=WINTER_EVENING, lag=5)
    def attempt(payload: Any, completed: datetime, lag: int) -> None:
        received = completed - timedelta(days=lag)
        for row in DEADLINE_ROWS:
            application = deadline_case(payload, row, kommune, received)
            created = submitted(api, gen, application)
            body = step_ok(api, gen, created["id"], {"to": "complete", "at": utc_text(completed)})
            expect_deadline(body, application, completed)

    attempt()


@requirement("/req/building-permit/lifecycle/deadline-start")
def check_deadline_start(api: ApiClient, gen: Generators, run_config: RunConfig, examples: Examples) -> None:
    kommune = home_kommune(run_config)

    @examples(max_examples=3)
    @given(
        payload=gen.valid("PermitApplicationInput"),
        completed=instants(),
        request=branch(gen, "PermitTransition", "to", "incomplete"),
    )
    @example(
        payload=extension(gen),
        completed=SUMMER_EVENING,
        request=transition_example(gen, "request-documentation"),
    )
    def attempt(payload: Any, completed: datetime, request: Any) -> None:
        received = completed - timedelta(days=20)
        application = fit_application(payload, kommune, received)
        created = submitted(api, gen, application)
        expect(created["deadline"] is None, f"a submitted application has a deadline: {created['deadline']}")
        asked = {**request, "at": utc_text(received + timedelta(days=1))}
        waiting = step_ok(api, gen, created["id"], asked)
        expect(
            waiting["deadline"] is None, f"an incomplete application has a deadline: {waiting['deadline']}"
        )
        body = step_ok(api, gen, created["id"], {"to": "complete", "at": utc_text(completed)})
        expect_deadline(body, application, completed)
        # Decided on another Oslo day: a deadline recomputed from the decision's `at` shows.
        decided_at = completed + timedelta(days=2, hours=2)
        final = step_ok(api, gen, created["id"], {"to": "approved", "at": utc_text(decided_at)})
        expect(
            final["deadline"] == body["deadline"],
            "the decision changed the deadline: " + json_diff(body["deadline"], final["deadline"]),
        )

    attempt()
