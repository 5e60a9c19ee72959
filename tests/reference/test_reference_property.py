"""property@1.0 against the live reference: registration rules, queries, the feiing/tilsyn
schedule arithmetic in Europe/Oslo dates, notices and replies, and bad input (never a 500).

The conformance suite proves the requirements; these tests pin down the reference's own
choices and the edge cases a random payload rarely hits (month ends, the Oslo midnight).
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest

from felles.reference import ReferenceServer, Settings, create_app, mint_dev_token
from felles.reference.components.property import PropertyComponent
from felles.reference.components.property_calendar import add_months, add_weeks, oslo_date
from felles.standard import schema_uri
from felles.standard.validation import validator_for

BASE = "/property/1.0"
SCOPES = ("property:read", "property:write")


@dataclasses.dataclass
class Tenant:
    """A client on one component's root acting for one kommune (all scopes unless told)."""

    http: httpx.Client
    settings: Settings
    kommune: str
    scopes: Sequence[str] = SCOPES
    component: str = "property"

    def headers(self, scopes: Sequence[str] | None = None, kommune: str | None = None) -> dict[str, str]:
        token = mint_dev_token(
            self.settings.jwt_secret,
            self.scopes if scopes is None else scopes,
            kommune or self.kommune,
            issuer=self.settings.issuer,
            audience=self.settings.audience,
        )
        return {"Authorization": f"Bearer {token}"}

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.http.get(path, params=params, headers=self.headers())

    def post(self, path: str, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
        return self.http.post(path, json=body, headers={**self.headers(), **(headers or {})})

    def ok(self, response: httpx.Response, status: int, schema: str) -> dict[str, Any]:
        """The body of a ``status`` answer, valid against ``schema`` of the component."""
        assert response.status_code == status, response.text
        body: dict[str, Any] = response.json()
        assert validator_for(schema_uri(self.component, "1.0", schema)).errors(body) == []
        return body


def pointers(response: httpx.Response, status: int = 422) -> list[str]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return [error["pointer"] for error in response.json().get("errors", [])]


def house(kommune: str, gnr: int = 12, bnr: int = 345, **cadastral: int) -> dict[str, Any]:
    """A valid PropertyInput in ``kommune``: two owners, one building with a plan, one without."""
    return {
        "cadastralNumber": {
            "municipalityNumber": kommune,
            "cadastralUnitNumber": gnr,
            "propertyUnitNumber": bnr,
        }
        | cadastral,
        "addresses": [
            {
                "streetName": "Ørneveien",
                "houseNumber": 7,
                "houseLetter": "B",
                "postalCode": "1338",
                "postalCity": "SANDVIKA",
            }
        ],
        "owners": [
            {
                "type": "person",
                "person": {
                    "nationalIdentityNumber": "17912099997",
                    "givenName": "Kari",
                    "familyName": "Nordmann",
                },
            },
            {
                "type": "organization",
                "organization": {"organizationNumber": "974760673", "name": "Solbakken Borettslag"},
            },
        ],
        "buildings": [
            {
                "buildingNumber": "80123456",
                "buildingType": "111",
                "fireSafety": {
                    "sweeping": {"intervalMonths": 6, "lastVisit": "2023-08-31"},
                    "inspection": {"intervalMonths": 48},
                },
            },
            {"buildingNumber": "80123457", "buildingType": "181"},
        ],
    }


@pytest.fixture(scope="module")
def http(server: ReferenceServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url + BASE, timeout=10) as client:
        yield client


@pytest.fixture
def owner(http: httpx.Client, settings: Settings, kommune: str) -> Tenant:
    """A client acting for a kommune no other test uses."""
    return Tenant(http, settings, kommune)


def register(tenant: Tenant, body: dict[str, Any]) -> dict[str, Any]:
    return tenant.ok(tenant.post("/properties", body), 201, "Property")


# --------------------------------------------------------------------------- calendar


@pytest.mark.parametrize(
    ("start", "months", "due"),
    [
        ("2023-08-31", 6, "2024-02-29"),
        ("2024-02-29", 12, "2025-02-28"),
        ("2024-01-31", 1, "2024-02-29"),
        ("2025-12-15", 1, "2026-01-15"),
        ("2020-05-31", 144, "2032-05-31"),
    ],
)
def test_months_are_calendar_months_clamped_to_the_month_end(start: str, months: int, due: str) -> None:
    assert add_months(date.fromisoformat(start), months) == date.fromisoformat(due)


def test_the_date_of_an_instant_is_its_date_in_oslo() -> None:
    assert oslo_date(datetime(2026, 3, 14, 23, 30, tzinfo=UTC)) == date(2026, 3, 15)  # CET
    assert oslo_date(datetime(2026, 7, 14, 22, 30, tzinfo=UTC)) == date(2026, 7, 15)  # CEST
    assert oslo_date(datetime(2026, 7, 14, 21, 59, tzinfo=UTC)) == date(2026, 7, 14)
    assert add_weeks(date(2026, 2, 21), 3) == date(2026, 3, 14)
    with pytest.raises(ValueError, match="offset"):
        oslo_date(datetime(2026, 3, 14, 23, 30))


# --------------------------------------------------------------------------- registration


def test_registration_answers_201_with_location_and_reads_back_unchanged(owner: Tenant) -> None:
    sent = house(owner.kommune)
    response = owner.post("/properties", sent)
    created = owner.ok(response, 201, "Property")
    assert response.headers["location"] == f"{BASE}/properties/{created['id']}"
    assert created["municipalityNumber"] == owner.kommune
    fetched = owner.ok(owner.get(f"/properties/{created['id']}"), 200, "Property")
    assert fetched == created
    assert {k: fetched[k] for k in sent} == sent


def test_rules_beyond_the_schema_point_at_the_member(owner: Tenant, other_kommune: str) -> None:
    elsewhere = house(other_kommune)
    assert pointers(owner.post("/properties", elsewhere)) == ["/cadastralNumber/municipalityNumber"]
    repeated = house(owner.kommune)
    repeated["buildings"].append(copy.deepcopy(repeated["buildings"][1]))
    assert pointers(owner.post("/properties", repeated)) == ["/buildings/2/buildingNumber"]
    ahead = house(owner.kommune)
    ahead["buildings"][0]["fireSafety"]["inspection"]["lastVisit"] = "2999-01-01"
    assert pointers(owner.post("/properties", ahead)) == ["/buildings/0/fireSafety/inspection/lastVisit"]
    assert owner.ok(owner.get("/properties"), 200, "PropertyPage")["items"] == []


def test_a_matrikkelnummer_is_registered_once_with_absent_fnr_snr_as_zero(owner: Tenant) -> None:
    register(owner, house(owner.kommune))
    again = owner.post("/properties", house(owner.kommune, leaseholdNumber=0, sectionNumber=0))
    assert again.status_code == 409
    assert "0/0" in again.json()["detail"]
    register(owner, house(owner.kommune, sectionNumber=1))
    assert len(owner.get("/properties").json()["items"]) == 2


def test_an_idempotency_key_replays_the_first_registration(owner: Tenant) -> None:
    key = {"Idempotency-Key": "eiendom-1"}
    first = owner.post("/properties", house(owner.kommune), headers=key)
    replay = owner.post("/properties", house(owner.kommune), headers=key)
    assert (replay.status_code, replay.content) == (201, first.content)
    other = owner.post("/properties", house(owner.kommune, bnr=346), headers=key)
    assert other.status_code == 422


# --------------------------------------------------------------------------- queries


def test_queries_match_matrikkel_and_address_case_folded(owner: Tenant) -> None:
    plain = register(owner, house(owner.kommune))
    section = register(owner, house(owner.kommune, sectionNumber=2))
    neighbour = house(owner.kommune, bnr=346)
    neighbour["addresses"] = [
        {"streetName": "Åsveien", "houseNumber": 7, "postalCode": "1338", "postalCity": "SANDVIKA"}
    ]
    other = register(owner, neighbour)

    def ids(**params: Any) -> list[str]:
        return [p["id"] for p in owner.ok(owner.get("/properties", **params), 200, "PropertyPage")["items"]]

    assert ids(cadastralUnitNumber=12) == [plain["id"], section["id"], other["id"]]
    assert ids(cadastralUnitNumber=12, propertyUnitNumber=345, sectionNumber=0) == [plain["id"]]
    assert ids(leaseholdNumber=0, sectionNumber=2) == [section["id"]]
    assert ids(streetName="ØRNEVEIEN", houseLetter="b") == [plain["id"], section["id"]]
    assert ids(streetName="åsveien", houseNumber=7, postalCode="1338") == [other["id"]]
    assert ids(streetName="Åsveien", houseLetter="B") == []
    assert ids(houseNumber=7, postalCode="0150") == []


@pytest.mark.parametrize(
    "query",
    [
        "cadastralUnitNumber=0",
        "cadastralUnitNumber=100000",
        "propertyUnitNumber=1e3",
        "sectionNumber=1000",
        "leaseholdNumber=-1",
        "houseNumber=99999999999999999999",
        "houseLetter=BB",
        "houseLetter=1",
        "postalCode=015",
        "streetName=",
        "cadastralUnitNumber=1&cadastralUnitNumber=2",
        "limit=0",
        "cursor=bm90LWEtY3Vyc29y",
    ],
)
def test_bad_query_parameters_are_400_problems(owner: Tenant, query: str) -> None:
    response = owner.http.get(f"/properties?{query}", headers=owner.headers())
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_a_cursor_only_continues_the_query_it_came_from(owner: Tenant) -> None:
    for bnr in (1, 2, 3):
        register(owner, house(owner.kommune, bnr=bnr))
    first = owner.ok(owner.get("/properties", cadastralUnitNumber=12, limit=2), 200, "PropertyPage")
    assert first["next"] is not None
    assert "cadastralUnitNumber=12" in first["next"]
    cursor = first["next"].split("cursor=")[1]
    assert owner.get("/properties", limit=2, cursor=cursor).status_code == 400
    rest = owner.http.get(
        "/properties" + first["next"].removeprefix(f"{BASE}/properties"), headers=owner.headers()
    )
    assert len(rest.json()["items"]) == 1
    assert rest.json()["next"] is None


# --------------------------------------------------------------------------- feiing og tilsyn


def test_schedule_counts_calendar_months_and_never_moves_back(owner: Tenant) -> None:
    prop = register(owner, house(owner.kommune))
    path = f"/properties/{prop['id']}/buildings/80123456/fire-safety"
    schedule = owner.ok(owner.get(path), 200, "FireSafetySchedule")
    assert schedule["sweeping"] == {"intervalMonths": 6, "lastVisit": "2023-08-31", "nextDue": "2024-02-29"}
    registered_on = oslo_date(datetime.fromisoformat(prop["createdAt"].replace("Z", "+00:00")))
    assert schedule["inspection"] == {
        "intervalMonths": 48,
        "lastVisit": None,
        "nextDue": registered_on.isoformat(),
    }
    newer = owner.ok(
        owner.post(f"{path}/visits", {"service": "inspection", "date": "2025-01-31"}),
        201,
        "FireSafetySchedule",
    )
    assert newer["inspection"]["nextDue"] == "2029-01-31"
    older = owner.ok(
        owner.post(f"{path}/visits", {"service": "inspection", "date": "2024-05-01"}),
        201,
        "FireSafetySchedule",
    )
    assert older["inspection"]["lastVisit"] == "2025-01-31"
    assert [v["date"] for v in older["visits"]] == ["2025-01-31", "2024-05-01"]
    assert pointers(owner.post(f"{path}/visits", {"service": "sweeping", "date": "2999-12-31"})) == ["/date"]


@pytest.mark.parametrize(
    "path",
    [
        "/properties/{id}/buildings/80123457/fire-safety",  # no fire-safety plan
        "/properties/{id}/buildings/1/fire-safety",  # not a building of the property
        "/properties/00000000-0000-4000-8000-000000000000/buildings/80123456/fire-safety",
        "/notices/not-a-notice",
        "/properties/{id}/buildings/%2E%2E/fire-safety",
    ],
)
def test_unknown_schedules_and_notices_are_404(owner: Tenant, path: str) -> None:
    prop = register(owner, house(owner.kommune))
    response = owner.http.get(path.replace("{id}", prop["id"]), headers=owner.headers())
    assert response.status_code == 404, response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_notices_go_to_owners_for_a_later_day_and_take_one_reply(owner: Tenant) -> None:
    prop = register(owner, house(owner.kommune))
    path = f"/properties/{prop['id']}/buildings/80123456/fire-safety/notices"
    notice = {
        "service": "sweeping",
        "plannedDate": "2999-05-12",
        "recipient": {"type": "organization", "organizationNumber": "974760673"},
    }
    stranger = {**notice, "recipient": {"type": "person", "nationalIdentityNumber": "15507600333"}}
    assert pointers(owner.post(path, stranger)) == ["/recipient/nationalIdentityNumber"]
    assert pointers(owner.post(path, {**notice, "plannedDate": "2001-01-01"})) == ["/plannedDate"]
    sent = owner.ok(owner.post(path, notice), 201, "Notice")
    assert (sent["status"], sent["reply"], sent["buildingNumber"]) == ("sent", None, "80123456")
    reply = f"/notices/{sent['id']}/reply"
    assert pointers(owner.post(reply, {"answer": "new-date", "requestedDate": "2001-01-01"})) == [
        "/requestedDate"
    ]
    moved = owner.ok(
        owner.post(reply, {"answer": "new-date", "requestedDate": "2999-05-19", "comment": "Bortreist."}),
        200,
        "Notice",
    )
    assert moved["status"] == "new-date-requested"
    assert moved["reply"]["requestedDate"] == "2999-05-19"
    assert moved["reply"]["comment"] == "Bortreist."
    assert owner.post(reply, {"answer": "accept"}).status_code == 409
    assert owner.ok(owner.get(f"/notices/{sent['id']}"), 200, "Notice") == moved
    listed = owner.ok(owner.get(path.removesuffix("/notices")), 200, "FireSafetySchedule")["notices"]
    assert listed == [moved]


def test_another_kommune_sees_and_changes_nothing(owner: Tenant, other_kommune: str) -> None:
    prop = register(owner, house(owner.kommune))
    outsider = dataclasses.replace(owner, kommune=other_kommune)
    path = f"/properties/{prop['id']}/buildings/80123456/fire-safety"
    assert outsider.get(f"/properties/{prop['id']}").status_code == 404
    assert outsider.post(f"{path}/visits", {"service": "sweeping", "date": "2025-01-01"}).status_code == 404
    assert outsider.get("/properties", cadastralUnitNumber=12).json()["items"] == []
    assert owner.get(path).json()["visits"] == []


# --------------------------------------------------------------------------- the Oslo midnight


def test_today_is_the_oslo_date_whatever_the_utc_clock_says(settings: Settings, kommune: str) -> None:
    """At 23:30 UTC on 14 March it is already 15 March in Oslo: a visit that day is not in the future."""
    clock = datetime(2026, 3, 14, 23, 30, tzinfo=UTC)
    app = create_app(settings, components=[PropertyComponent()], clock=lambda: clock)
    with (
        ReferenceServer(settings, app=app) as running,
        httpx.Client(base_url=running.base_url + BASE, timeout=10) as http,
    ):
        tenant = Tenant(http, settings, kommune)
        prop = register(tenant, house(kommune))
        path = f"/properties/{prop['id']}/buildings/80123456/fire-safety"
        assert tenant.get(path).json()["inspection"]["nextDue"] == "2026-03-15"
        assert (
            tenant.post(f"{path}/visits", {"service": "inspection", "date": "2026-03-15"}).status_code == 201
        )
        assert pointers(tenant.post(f"{path}/visits", {"service": "inspection", "date": "2026-03-16"})) == [
            "/date"
        ]
        notice = {
            "service": "sweeping",
            "plannedDate": "2026-03-15",
            "recipient": {"type": "person", "nationalIdentityNumber": "17912099997"},
        }
        assert pointers(tenant.post(f"{path}/notices", notice)) == ["/plannedDate"]
        assert tenant.post(f"{path}/notices", {**notice, "plannedDate": "2026-03-16"}).status_code == 201


# --------------------------------------------------------------------------- hostile input


@pytest.mark.parametrize(
    "body",
    [
        [],
        "text",
        {
            "cadastralNumber": {
                "municipalityNumber": "3201",
                "cadastralUnitNumber": 1e308,
                "propertyUnitNumber": 1,
            }
        },
        {"cadastralNumber": None, "addresses": None, "owners": None, "buildings": None},
        {
            "buildings": [
                {
                    "buildingNumber": "1",
                    "buildingType": "111",
                    "fireSafety": {"sweeping": {"intervalMonths": 6, "lastVisit": "2024-13-01"}},
                }
            ]
        },
    ],
)
def test_malformed_properties_are_problems_never_500(owner: Tenant, body: Any) -> None:
    response = owner.post("/properties", body)
    assert response.status_code in (400, 422), response.text
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (
            "/properties/{id}/buildings/80123456/fire-safety/visits",
            {"service": "sweeping", "date": "2025-02-30"},
        ),
        (
            "/properties/{id}/buildings/80123456/fire-safety/notices",
            {"service": "sweeping", "plannedDate": "x", "recipient": {}},
        ),
        ("/notices/{id}/reply", {"answer": "new-date"}),
    ],
)
def test_malformed_fire_safety_bodies_are_422(owner: Tenant, path: str, body: Any) -> None:
    prop = register(owner, house(owner.kommune))
    response = owner.post(path.replace("{id}", prop["id"]), body)
    assert response.status_code in (404, 422), response.text  # /notices/{property id} is no notice
    assert response.headers["content-type"] == "application/problem+json"


def test_scopes_are_checked_before_the_body(owner: Tenant) -> None:
    reader = dataclasses.replace(owner, scopes=("property:read",))
    assert reader.post("/properties", "not even an object").status_code == 403
    writer = dataclasses.replace(owner, scopes=("property:write",))
    assert writer.get("/properties").status_code == 403


def test_visits_long_ago_count_from_their_own_date(owner: Tenant) -> None:
    prop = register(owner, house(owner.kommune))
    path = f"/properties/{prop['id']}/buildings/80123456/fire-safety"
    body = {"service": "inspection", "date": "0001-01-31"}
    schedule = owner.ok(owner.post(f"{path}/visits", body), 201, "FireSafetySchedule")
    assert schedule["inspection"] == {
        "intervalMonths": 48,
        "lastVisit": "0001-01-31",
        "nextDue": "0005-01-31",
    }
