"""building-permit@1.0 against the live reference: submission rules, the lifecycle, the
pbl. § 21-7 deadline in Europe/Oslo dates, added documentation and bad input (never a 500).

The conformance suite proves the requirements; these tests pin down each row of the
deadline table, the day boundaries (14 days of nabovarsel, midnight in Oslo) and the
reference's own problem wording.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from tests.reference.test_reference_property import Tenant, pointers

from felles.reference import ReferenceServer, Settings

BASE = "/building-permit/1.0"
SCOPES = ("building-permit:read", "building-permit:write", "building-permit:decide")
ARKITEKT = {"organizationNumber": "974760673", "name": "Fjord Arkitekter AS"}
RECEIVED = "2025-03-14T23:30:00Z"  # 15 March in Oslo


def application(kommune: str, **changes: Any) -> dict[str, Any]:
    """A valid one-step application in ``kommune``, received 15 March 2025 (Oslo), one neighbour."""
    body: dict[str, Any] = {
        "property": {
            "cadastralNumber": {
                "municipalityNumber": kommune,
                "cadastralUnitNumber": 12,
                "propertyUnitNumber": 345,
            }
        },
        "measure": {"type": "tilbyggover50m2", "description": "Tilbygg mot vest."},
        "procedure": {"type": "one-step", "responsibleApplicant": ARKITEKT},
        "applicant": {
            "type": "person",
            "person": {
                "nationalIdentityNumber": "17912099997",
                "givenName": "Kari",
                "familyName": "Nordmann",
            },
        },
        "dispensationRequested": False,
        "otherAuthorityConsentRequired": False,
        "neighbours": [
            {
                "name": "Per Hansen",
                "property": {
                    "cadastralNumber": {
                        "municipalityNumber": kommune,
                        "cadastralUnitNumber": 12,
                        "propertyUnitNumber": 346,
                    }
                },
                "notifiedOn": "2025-03-01",
            }
        ],
        "attachments": [
            {
                "fileName": "situasjonsplan.pdf",
                "mediaType": "application/pdf",
                "sizeBytes": 1000,
                "category": "situation-plan",
            }
        ],
        "receivedAt": RECEIVED,
    }
    return {**body, **copy.deepcopy(changes)}


@pytest.fixture(scope="module")
def http(server: ReferenceServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url + BASE, timeout=10) as client:
        yield client


@pytest.fixture
def clerk(http: httpx.Client, settings: Settings, kommune: str) -> Tenant:
    """A caseworker with every scope, acting for a kommune no other test uses."""
    return Tenant(http, settings, kommune, SCOPES, "building-permit")


def submit(tenant: Tenant, body: dict[str, Any]) -> dict[str, Any]:
    return tenant.ok(tenant.post("/applications", body), 201, "PermitApplication")


def step(tenant: Tenant, application_id: str, body: dict[str, Any]) -> httpx.Response:
    return tenant.post(f"/applications/{application_id}/transitions", body)


def moved(tenant: Tenant, application_id: str, body: dict[str, Any]) -> dict[str, Any]:
    return tenant.ok(step(tenant, application_id, body), 200, "PermitApplication")


# --------------------------------------------------------------------------- submission


def test_submission_keeps_received_at_and_starts_the_history(clerk: Tenant) -> None:
    sent = application(clerk.kommune)
    response = clerk.post("/applications", sent)
    created = clerk.ok(response, 201, "PermitApplication")
    assert response.headers["location"] == f"{BASE}/applications/{created['id']}"
    assert (created["status"], created["receivedAt"], created["deadline"], created["decision"]) == (
        "submitted",
        RECEIVED,
        None,
        None,
    )
    assert created["history"] == [{"status": "submitted", "at": RECEIVED}]
    assert {k: created[k] for k in sent if k != "receivedAt"} == {
        k: v for k, v in sent.items() if k != "receivedAt"
    }
    now = submit(clerk, {k: v for k, v in sent.items() if k != "receivedAt"})
    assert abs(
        datetime.fromisoformat(now["receivedAt"].replace("Z", "+00:00")) - datetime.now(UTC)
    ) < timedelta(minutes=1)


def test_rules_beyond_the_schema_point_at_the_member(clerk: Tenant, other_kommune: str) -> None:
    elsewhere = application(clerk.kommune)
    elsewhere["property"]["cadastralNumber"]["municipalityNumber"] = other_kommune
    assert pointers(clerk.post("/applications", elsewhere)) == [
        "/property/cadastralNumber/municipalityNumber"
    ]
    future = application(clerk.kommune, receivedAt=(datetime.now(UTC) + timedelta(days=1)).isoformat())
    assert "/receivedAt" in pointers(clerk.post("/applications", future))
    alone = application(clerk.kommune, procedure={"type": "framework-permit"})
    assert pointers(clerk.post("/applications", alone)) == ["/procedure/responsibleApplicant"]
    assert clerk.get("/applications").json()["items"] == []


@pytest.mark.parametrize(
    ("notified", "accepted"), [("2025-03-01", True), ("2025-03-02", False), ("2025-02-28", True)]
)
def test_neighbours_get_fourteen_oslo_days(clerk: Tenant, notified: str, accepted: bool) -> None:
    """Received 23:30 UTC on 14 March = 15 March in Oslo: notified 1 March is exactly 14 days."""
    body = application(clerk.kommune)
    body["neighbours"].append({**body["neighbours"][0], "notifiedOn": notified})
    response = clerk.post("/applications", body)
    if accepted:
        assert response.status_code == 201, response.text
    else:
        assert pointers(response) == ["/neighbours/1/notifiedOn"]


# --------------------------------------------------------------------------- lifecycle


@pytest.mark.parametrize(
    ("path", "forbidden"),
    [
        ([], ("approved", "refused")),
        (["incomplete"], ("approved", "refused")),
        (["complete"], ("incomplete", "complete")),
        (["complete", "approved"], ("incomplete", "complete", "approved", "refused")),
        (["complete", "refused"], ("incomplete", "complete", "approved", "refused")),
    ],
)
def test_forbidden_steps_are_409_and_change_nothing(
    clerk: Tenant, path: list[str], forbidden: tuple[str, ...]
) -> None:
    created = submit(clerk, application(clerk.kommune))
    bodies = {
        "incomplete": {
            "to": "incomplete",
            "documentationRequest": {"items": ["Snitt."], "replyBy": "2025-04-01"},
        },
        "complete": {"to": "complete"},
        "approved": {"to": "approved"},
        "refused": {"to": "refused", "justification": "Avslått."},
    }
    for to in path:
        moved(clerk, created["id"], bodies[to])
    before = clerk.get(f"/applications/{created['id']}").json()
    for to in forbidden:
        response = step(clerk, created["id"], bodies[to])
        assert response.status_code == 409, response.text
        assert "can move to" in response.json()["detail"]
    assert clerk.get(f"/applications/{created['id']}").json() == before


def test_steps_are_recorded_with_their_at(clerk: Tenant) -> None:
    created = submit(clerk, application(clerk.kommune))
    request = {"items": ["Snittegning mangler."], "replyBy": "2025-04-10"}
    moved(
        clerk,
        created["id"],
        {
            "to": "incomplete",
            "at": "2025-03-20T08:00:00Z",
            "documentationRequest": request,
            "note": "Mangelbrev.",
        },
    )
    again = moved(
        clerk,
        created["id"],
        {"to": "incomplete", "at": "2025-03-25T08:00:00Z", "documentationRequest": request},
    )
    assert [r["requestedAt"] for r in again["documentationRequests"]] == [
        "2025-03-20T08:00:00Z",
        "2025-03-25T08:00:00Z",
    ]
    assert pointers(step(clerk, created["id"], {"to": "complete", "at": "2025-03-24T08:00:00Z"})) == ["/at"]
    complete = moved(clerk, created["id"], {"to": "complete", "at": "2025-04-02T10:00:00+02:00"})
    assert complete["deadline"] == {
        "startDate": "2025-04-02",
        "weeks": 3,
        "dueDate": "2025-04-23",
        "deemedGrantedIfMissed": True,
    }
    approved = moved(
        clerk, created["id"], {"to": "approved", "at": "2025-04-10T12:00:00Z", "conditions": ["Saltak."]}
    )
    assert approved["decision"] == {
        "outcome": "approved",
        "decidedAt": "2025-04-10T12:00:00Z",
        "conditions": ["Saltak."],
    }
    assert approved["deadline"] == complete["deadline"]
    assert [(h["status"], h.get("note")) for h in approved["history"]] == [
        ("submitted", None),
        ("incomplete", "Mangelbrev."),
        ("incomplete", None),
        ("complete", None),
        ("approved", None),
    ]
    assert (
        pointers(
            step(clerk, created["id"], {"to": "refused", "justification": "x", "at": "2999-01-01T00:00:00Z"}),
            409,
        )
        == []
    )


def test_attachments_until_the_decision(clerk: Tenant) -> None:
    created = submit(clerk, application(clerk.kommune))
    drawing = {
        "fileName": "snitt.pdf",
        "mediaType": "application/pdf",
        "sizeBytes": 2000,
        "category": "section-drawing",
    }
    response = clerk.post(f"/applications/{created['id']}/attachments", drawing)
    added = clerk.ok(response, 201, "PermitApplication")
    assert response.headers["location"] == f"{BASE}/applications/{created['id']}"
    assert added["attachments"] == [*created["attachments"], drawing]
    moved(clerk, created["id"], {"to": "complete"})
    moved(clerk, created["id"], {"to": "refused", "justification": "Avslått."})
    refused = clerk.post(f"/applications/{created['id']}/attachments", drawing)
    assert refused.status_code == 409
    assert "until it is decided" in refused.json()["detail"]


# --------------------------------------------------------------------------- the deadline


OBJECTION = {"receivedOn": "2025-03-10", "summary": "Tar utsikten."}


@pytest.mark.parametrize(
    ("procedure", "dispensation", "authority", "objection", "weeks", "deemed"),
    [
        ("framework-permit", False, False, False, 12, False),
        ("one-step", True, False, False, 12, False),
        ("one-step", False, True, False, 12, False),
        ("one-step", False, False, True, 12, False),
        ("one-step", False, False, False, 3, True),
        ("without-responsibility", True, False, False, 12, False),
        ("without-responsibility", False, True, True, 12, False),
        ("without-responsibility", False, False, True, 3, False),
        ("without-responsibility", False, False, False, 3, True),
    ],
)
def test_each_row_of_the_deadline_table(
    clerk: Tenant,
    procedure: str,
    dispensation: bool,
    authority: bool,
    objection: bool,
    weeks: int,
    deemed: bool,
) -> None:
    body = application(
        clerk.kommune, dispensationRequested=dispensation, otherAuthorityConsentRequired=authority
    )
    body["procedure"] = {"type": procedure} | (
        {} if procedure == "without-responsibility" else {"responsibleApplicant": ARKITEKT}
    )
    if objection:
        body["neighbours"][0]["objection"] = OBJECTION
    created = submit(clerk, body)
    complete = moved(clerk, created["id"], {"to": "complete", "at": "2025-03-15T12:00:00+01:00"})
    due = (datetime(2025, 3, 15) + timedelta(weeks=weeks)).date().isoformat()
    assert complete["deadline"] == {
        "startDate": "2025-03-15",
        "weeks": weeks,
        "dueDate": due,
        "deemedGrantedIfMissed": deemed,
    }


@pytest.mark.parametrize(
    ("at", "start", "due"),
    [
        ("2025-03-15T22:59:59Z", "2025-03-15", "2025-04-05"),  # 23:59:59 CET
        ("2025-03-15T23:00:00Z", "2025-03-16", "2025-04-06"),  # midnight CET
        ("2025-06-30T21:59:59Z", "2025-06-30", "2025-07-21"),  # 23:59:59 CEST
        ("2025-06-30T22:00:00Z", "2025-07-01", "2025-07-22"),  # midnight CEST
        ("2025-07-01T01:00:00+03:30", "2025-06-30", "2025-07-21"),  # 1 July at +03:30, 30 June in Oslo
    ],
)
def test_the_deadline_starts_on_the_oslo_date(clerk: Tenant, at: str, start: str, due: str) -> None:
    created = submit(clerk, application(clerk.kommune))
    complete = moved(clerk, created["id"], {"to": "complete", "at": at})
    assert (complete["deadline"]["startDate"], complete["deadline"]["dueDate"]) == (start, due)


# --------------------------------------------------------------------------- access and hostile input


def test_scopes_and_tenants(clerk: Tenant, other_kommune: str) -> None:
    created = submit(clerk, application(clerk.kommune))
    no_decide = dataclasses.replace(clerk, scopes=SCOPES[:2])
    assert step(no_decide, created["id"], {"to": "complete"}).status_code == 403
    reader = dataclasses.replace(clerk, scopes=SCOPES[:1])
    assert reader.post("/applications", "not even an object").status_code == 403
    outsider = dataclasses.replace(clerk, kommune=other_kommune)
    assert outsider.get(f"/applications/{created['id']}").status_code == 404
    assert step(outsider, created["id"], {"to": "complete"}).status_code == 404
    assert outsider.get("/applications").json()["items"] == []
    assert clerk.get(f"/applications/{created['id']}").json()["status"] == "submitted"


@pytest.mark.parametrize(
    "query", ["status=decided", "limit=101", "cursor=e30", "status=complete&status=approved"]
)
def test_bad_query_parameters_are_400_problems(clerk: Tenant, query: str) -> None:
    response = clerk.http.get(f"/applications?{query}", headers=clerk.headers())
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/applications", {"property": None}),
        ("/applications", {**application("3201"), "neighbours": [{"notifiedOn": "2025-02-30"}]}),
        ("/applications/{id}/transitions", {"to": "incomplete"}),
        ("/applications/{id}/transitions", {"to": "complete", "at": "yesterday"}),
        (
            "/applications/{id}/attachments",
            {"fileName": "../x", "mediaType": "a/b", "sizeBytes": 0, "category": "other"},
        ),
        ("/applications/not-an-id/transitions", {"to": "complete"}),
    ],
)
def test_malformed_bodies_are_problems_never_500(clerk: Tenant, path: str, body: Any) -> None:
    created = submit(clerk, application(clerk.kommune))
    response = clerk.post(path.replace("{id}", created["id"]), body)
    assert response.status_code in (404, 422), response.text
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "instant",
    [
        "0001-01-01T00:00:00+14:00",
        "0001-01-03T00:00:00Z",
        "9999-12-31T23:59:59-23:59",
        "1899-12-31T23:00:00Z",
    ],
)
def test_instants_at_the_ends_of_the_calendar_are_422_not_500(clerk: Tenant, instant: str) -> None:
    assert "/receivedAt" in pointers(
        clerk.post("/applications", application(clerk.kommune, receivedAt=instant))
    )
    created = submit(clerk, application(clerk.kommune))
    assert pointers(step(clerk, created["id"], {"to": "complete", "at": instant})) == ["/at"]
