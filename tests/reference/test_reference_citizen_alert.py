"""citizen-alert@1.0 against the live reference: register, recipients, receipts, lifecycle, feed.

One server with only this component serves the module; each test acts for a
kommune no other test uses (``kommune``), so its register, alerts and feed
start empty. Positions are real places: Sandvika (Bærum) in both CRSs.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.reference.component_client import serve_component

from felles.reference import Settings
from felles.reference.components.citizen_alert import CitizenAlertComponent
from felles.standard import schema_uri
from felles.standard.validation import validator_for

BASE = "/citizen-alert/1.0"
ALL = ("citizen-alert:read", "citizen-alert:write")
#: Sandvika: a U-shaped area (a notch cut into its north side) in EPSG:4326 ...
U_WGS84 = [
    [10.519, 59.8895],
    [10.5262, 59.8895],
    [10.5262, 59.894],
    [10.5238, 59.894],
    [10.5238, 59.8915],
    [10.5214, 59.8915],
    [10.5214, 59.894],
    [10.519, 59.894],
    [10.519, 59.8895],
]
INSIDE = (10.5200, 59.8900)
NOTCH = (10.5226, 59.8930)  # inside the bounding box, outside the U
OUTSIDE = (10.5300, 59.8900)
#: ... and the same places in EPSG:25833 (pyproj), to register entries in the other CRS.
INSIDE_UTM = (249413.88, 6647642.17)
NOTCH_UTM = (249581.76, 6647965.92)


def schema(name: str) -> str:
    return schema_uri("citizen-alert", "1.0", name)


def at(x: float, y: float, crs: str = "EPSG:4326") -> dict[str, Any]:
    return {"crs": crs, "geometry": {"type": "Point", "coordinates": [x, y]}}


def resident(location: dict[str, Any], **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "person": {
            "nationalIdentityNumber": "17912099997",
            "givenName": "Kari",
            "familyName": "Nordmann",
            "email": "kari@example.no",
            "phone": "+4791234567",
        },
        "address": {
            "streetName": "Storgata",
            "houseNumber": 12,
            "houseLetter": "B",
            "postalCode": "1338",
            "postalCity": "SANDVIKA",
        },
        "location": location,
        "contactConfirmedAt": (datetime.now(UTC) - timedelta(days=30)).isoformat(),
        "digitalMailbox": True,
    }
    body.update(changes)
    return body


def alert(area: dict[str, Any] | None = None, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Kokevarsel Sandvika",
        "category": "boil-water-notice",
        "severity": "moderate",
        "message": {"nb": "Kok vannet før bruk."},
        "channels": ["sms", "email"],
        "area": area
        or {
            "type": "polygon",
            "crs": "EPSG:4326",
            "geometry": {"type": "Polygon", "coordinates": [copy.deepcopy(U_WGS84)]},
        },
        "validFrom": "2026-04-14T08:00:00+02:00",
        "validTo": "2026-04-17T18:00:00+02:00",
    }
    body.update(changes)
    return body


class Client:
    """A client on the component acting for one kommune (``mint`` is conftest's ``token``)."""

    def __init__(self, http: httpx.Client, mint: Callable[..., str], kommune: str) -> None:
        self.http, self.mint, self.kommune = http, mint, kommune

    def headers(self, scopes: Sequence[str] = ALL, kommune: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.mint(scopes, kommune or self.kommune)}"}

    def post(self, path: str, body: Any, **headers: str) -> httpx.Response:
        return self.http.post(path, json=body, headers={**self.headers(), **headers})

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.http.get(path, params=params, headers=self.headers())

    def register(self, body: dict[str, Any]) -> str:
        response = self.post("/residents", body)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def issue(self, body: dict[str, Any]) -> dict[str, Any]:
        response = self.post("/alerts", body)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    def receipts(self, alert_id: str) -> list[dict[str, Any]]:
        response = self.get(f"/alerts/{alert_id}/receipts", limit=100)
        assert response.status_code == 200, response.text
        assert validator_for(schema("ReceiptPage")).errors(response.json()) == []
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    def recipients(self, alert_id: str) -> set[str]:
        return {r["residentId"] for r in self.receipts(alert_id) if r["notification"] == "initial"}

    def events(self, **params: Any) -> dict[str, Any]:
        response = self.get("/events", **params)
        assert response.status_code == 200, response.text
        assert validator_for(schema("EventPage")).errors(response.json()) == []
        page: dict[str, Any] = response.json()
        return page


@pytest.fixture(scope="module")
def http(settings: Settings) -> Iterator[httpx.Client]:
    with serve_component(settings, CitizenAlertComponent(), BASE) as client:
        yield client


@pytest.fixture
def ca(http: httpx.Client, token: Callable[..., str], kommune: str) -> Client:
    return Client(http, token, kommune)


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert validator_for(schema_uri("common", "1.0", "Problem")).errors(body) == []
    return body


def pointers(response: httpx.Response) -> list[str]:
    return [e["pointer"] for e in problem(response, 422)["errors"]]


# --------------------------------------------------------------------------- issuing


def test_declares_every_class(http: httpx.Client) -> None:
    assert http.get("/conformance").json() == {
        "components": [
            {"name": "citizen-alert", "version": "1.0", "classes": ["core", "lifecycle", "events"]}
        ]
    }


def test_issue_answers_201_with_location_and_reads_back_unchanged(ca: Client) -> None:
    sent = alert(instruction={"nb": "Kok vannet i ett minutt."})
    response = ca.post("/alerts", sent)
    assert response.status_code == 201, response.text
    body = response.json()
    assert validator_for(schema("Alert")).errors(body) == []
    assert response.headers["location"] == f"{BASE}/alerts/{body['id']}"
    assert (body["status"], body["updateCount"], body["cancelledAt"], body["municipalityNumber"]) == (
        "active",
        0,
        None,
        ca.kommune,
    )
    fetched = ca.get(f"/alerts/{body['id']}")
    assert fetched.json() == body
    assert {k: body[k] for k in sent} == sent


def test_polygon_reaches_inside_and_boundary_not_the_notch_in_either_crs(ca: Client) -> None:
    inside = ca.register(resident(at(*INSIDE)))
    inside_utm = ca.register(resident(at(*INSIDE_UTM, crs="EPSG:25833")))
    on_vertex = ca.register(resident(at(*U_WGS84[0])))
    notch = ca.register(resident(at(*NOTCH)))
    notch_utm = ca.register(resident(at(*NOTCH_UTM, crs="EPSG:25833")))
    outside = ca.register(resident(at(*OUTSIDE)))
    issued = ca.issue(alert())
    assert ca.recipients(issued["id"]) == {inside, inside_utm, on_vertex}
    assert issued["recipientCount"] == 3
    assert {notch, notch_utm, outside}.isdisjoint(ca.recipients(issued["id"]))


def test_utm33_area_reaches_wgs84_entries(ca: Client) -> None:
    inside = ca.register(resident(at(*INSIDE)))
    ring = [
        [249300.0, 6647500.0],
        [249500.0, 6647500.0],
        [249500.0, 6647700.0],
        [249300.0, 6647700.0],
        [249300.0, 6647500.0],
    ]
    issued = ca.issue(
        alert(
            {"type": "polygon", "crs": "EPSG:25833", "geometry": {"type": "Polygon", "coordinates": [ring]}}
        )
    )
    assert ca.recipients(issued["id"]) == {inside}


def test_addresses_match_case_insensitively_and_by_letter_and_unit(ca: Client) -> None:
    twelve_b = ca.register(resident(at(*INSIDE)))
    upper = ca.register(
        resident(
            at(*INSIDE),
            address={
                "streetName": "STORGATA",
                "houseNumber": 12,
                "houseLetter": "B",
                "unitNumber": "H0201",
                "postalCode": "1338",
                "postalCity": "SANDVIKA",
            },
        )
    )
    twelve = ca.register(
        resident(
            at(*INSIDE),
            address={
                "streetName": "Storgata",
                "houseNumber": 12,
                "postalCode": "1338",
                "postalCity": "SANDVIKA",
            },
        )
    )
    target = {
        "streetName": "storgata",
        "houseNumber": 12,
        "houseLetter": "B",
        "postalCode": "1338",
        "postalCity": "BÆRUM",
    }
    everyone = ca.issue(alert({"type": "addresses", "addresses": [target]}))
    assert ca.recipients(everyone["id"]) == {twelve_b, upper}
    one_unit = ca.issue(alert({"type": "addresses", "addresses": [{**target, "unitNumber": "H0201"}]}))
    assert ca.recipients(one_unit["id"]) == {upper}
    assert twelve not in ca.recipients(everyone["id"])


def test_cadastral_units_reach_every_section_unless_one_is_named(ca: Client) -> None:
    unit = {"municipalityNumber": "3201", "cadastralUnitNumber": 12, "propertyUnitNumber": 345}

    def on(**extra: int) -> str:
        address = {"postalCode": "1338", "postalCity": "SANDVIKA", "cadastralNumber": {**unit, **extra}}
        return ca.register(resident(at(*INSIDE), address=address))

    plain, section_1, section_2 = on(), on(sectionNumber=1), on(sectionNumber=2)
    neighbour = on(propertyUnitNumber=346)
    whole = ca.issue(alert({"type": "cadastral-units", "cadastralUnits": [unit]}))
    assert ca.recipients(whole["id"]) == {plain, section_1, section_2}
    one = ca.issue(alert({"type": "cadastral-units", "cadastralUnits": [{**unit, "sectionNumber": 2}]}))
    assert ca.recipients(one["id"]) == {section_2}
    assert neighbour not in ca.recipients(whole["id"])


# --------------------------------------------------------------------------- receipts


def test_receipts_fail_without_contact_point_or_with_outdated_contact(ca: Client) -> None:
    long_ago = (datetime.now(UTC) - timedelta(days=19 * 31)).isoformat()
    current = ca.register(resident(at(*INSIDE)))
    stale = ca.register(resident(at(*INSIDE), contactConfirmedAt=long_ago))
    bare = ca.register(
        resident(
            at(*INSIDE),
            person={"nationalIdentityNumber": "15507600333", "givenName": "Ola", "familyName": "Nordmann"},
            digitalMailbox=False,
        )
    )
    issued = ca.issue(alert(channels=["sms", "email", "digital-mailbox"]))
    outcome = {
        (r["residentId"], r["channel"]): (r["status"], r.get("reason")) for r in ca.receipts(issued["id"])
    }
    assert len(outcome) == 9
    assert {outcome[(current, c)] for c in ("sms", "email", "digital-mailbox")} == {("delivered", None)}
    assert outcome[(stale, "sms")] == outcome[(stale, "email")] == ("failed", "contact-outdated")
    assert outcome[(stale, "digital-mailbox")] == ("delivered", None)
    assert {outcome[(bare, c)] for c in ("sms", "email", "digital-mailbox")} == {
        ("failed", "no-contact-point")
    }


# --------------------------------------------------------------------------- invalid input


@pytest.mark.parametrize(
    ("coordinates", "where"),
    [
        (
            [[[10.519, 59.889], [10.526, 59.894], [10.526, 59.889], [10.519, 59.894], [10.519, 59.889]]],
            "/area/geometry",
        ),
        (
            [[[10.519, 59.889], [10.526, 59.889], [10.526, 59.894], [10.519, 59.894]]],
            "/area/geometry/coordinates/0",
        ),
        ([[[10.519, 59.889], [10.526, 59.889], [10.526, 59.889], [10.519, 59.889]]], "/area/geometry"),
        (
            [[[249300, 6647500], [249500, 6647500], [249500, 6647700], [249300, 6647500]]],
            "/area/geometry/coordinates/0/0",
        ),
        ([[[10**400, 1], [2, 3], [4, 5], [10**400, 1]]], "/area/geometry/coordinates/0/0"),
        ([[[1e308, -1e308], [2, 3], [4, 5], [1e308, -1e308]]], "/area/geometry/coordinates/0/0"),
    ],
    ids=["bow-tie", "unclosed", "no-area", "utm-labelled-wgs84", "huge-integer", "huge-float"],
)
def test_invalid_polygons_are_422_at_the_area_never_500(
    ca: Client, coordinates: list[Any], where: str
) -> None:
    area = {
        "type": "polygon",
        "crs": "EPSG:4326",
        "geometry": {"type": "Polygon", "coordinates": coordinates},
    }
    assert where in pointers(ca.post("/alerts", alert(area)))
    assert ca.get("/alerts").json()["items"] == []


def test_wgs84_degrees_labelled_utm33_and_far_locations_are_refused(ca: Client) -> None:
    area = {
        "type": "polygon",
        "crs": "EPSG:25833",
        "geometry": {"type": "Polygon", "coordinates": [copy.deepcopy(U_WGS84)]},
    }
    assert "/area/geometry/coordinates/0/0" in pointers(ca.post("/alerts", alert(area)))
    assert pointers(ca.post("/residents", resident(at(100.5, 13.75)))) == ["/location/geometry/coordinates"]


def test_validity_period_must_not_end_before_it_starts(ca: Client) -> None:
    assert pointers(ca.post("/alerts", alert(validTo="2026-04-14T05:59:59Z"))) == ["/validTo"]
    issued = ca.issue(alert())
    update = {"message": {"nb": "Ny slutt"}, "validTo": "2026-04-01T00:00:00Z"}
    assert pointers(ca.post(f"/alerts/{issued['id']}/updates", update)) == ["/validTo"]


# --------------------------------------------------------------------------- lifecycle


def test_update_and_cancellation_reach_the_original_recipients_only(ca: Client) -> None:
    first = ca.register(resident(at(*INSIDE)))
    issued = ca.issue(alert())
    late = ca.register(resident(at(*INSIDE)))
    updated = ca.post(
        f"/alerts/{issued['id']}/updates", {"message": {"nb": "Vannet er tilbake."}, "severity": "minor"}
    )
    assert updated.status_code == 200, updated.text
    assert (updated.json()["updateCount"], updated.json()["severity"]) == (1, "minor")
    cancelled = ca.post(f"/alerts/{issued['id']}/cancellation", {"message": {"nb": "Opphevet."}})
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["cancelledAt"] is not None
    sent = [
        (r["residentId"], r["notification"], r["sequence"], r["channel"]) for r in ca.receipts(issued["id"])
    ]
    assert sorted(sent) == sorted(
        (first, kind, number, channel)
        for kind, number in (("initial", 0), ("update", 1), ("cancellation", 2))
        for channel in ("sms", "email")
    )
    assert late not in {r[0] for r in sent}
    for path, body in (
        ("updates", {"message": {"nb": "For sent"}}),
        ("cancellation", {"message": {"nb": "Igjen"}}),
    ):
        problem(ca.post(f"/alerts/{issued['id']}/{path}", body), 409)
    assert len(ca.receipts(issued["id"])) == len(sent)


def test_retry_with_the_same_key_replays_and_notifies_nobody_again(ca: Client) -> None:
    ca.register(resident(at(*INSIDE)))
    first = ca.post("/alerts", alert(), **{"Idempotency-Key": "retry-1"})
    again = ca.post("/alerts", alert(), **{"Idempotency-Key": "retry-1"})
    assert (again.status_code, again.content, again.headers["location"]) == (
        201,
        first.content,
        first.headers["location"],
    )
    assert len(ca.receipts(first.json()["id"])) == 2
    problem(ca.post("/alerts", alert(title="Annet"), **{"Idempotency-Key": "retry-1"}), 422)


# --------------------------------------------------------------------------- events, tenants


def test_feed_pages_by_event_id_and_refuses_unknown_ids(ca: Client) -> None:
    ca.register(resident(at(*INSIDE)))
    issued = ca.issue(alert(channels=["sms"]))
    first = ca.events(limit=1)
    assert [e["type"] for e in first["items"]] == ["no.felles.citizen-alert.alert-issued"]
    assert first["items"][0]["subject"] == issued["id"]
    rest = ca.http.get(first["next"].removeprefix(BASE), headers=ca.headers()).json()
    assert [e["type"] for e in rest["items"]] == ["no.felles.citizen-alert.receipt-recorded"]
    assert rest["next"] is None
    assert ca.events(after=rest["items"][0]["id"])["items"] == []
    problem(ca.get("/events", after="no-such-event"), 400)
    problem(ca.get("/events", after="x" * 256), 400)


def test_other_kommune_sees_nothing_and_its_entries_are_never_recipients(
    ca: Client, other_kommune: str
) -> None:
    other = Client(ca.http, ca.mint, other_kommune)
    theirs = other.register(resident(at(*INSIDE)))
    ours = ca.register(resident(at(*INSIDE)))
    issued = ca.issue(alert())
    assert ca.recipients(issued["id"]) == {ours}
    for path in (f"/alerts/{issued['id']}", f"/alerts/{issued['id']}/receipts", f"/residents/{ours}"):
        problem(other.get(path), 404)
    assert other.events()["items"] == []
    assert theirs not in ca.recipients(issued["id"])
    event_id = ca.events()["items"][0]["id"]
    problem(other.get("/events", after=event_id), 400)


# --------------------------------------------------------------------------- random geometry


def _rings(x: tuple[float, float], y: tuple[float, float]) -> st.SearchStrategy[list[list[float]]]:
    """Closed rings of 3-6 random positions in a box: mostly self-intersecting, sometimes not."""
    positions = st.lists(st.tuples(st.floats(*x), st.floats(*y)).map(list), min_size=3, max_size=6)
    return positions.map(lambda ring: [*ring, ring[0]])


@settings(
    max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    crs_and_rings=st.one_of(
        st.tuples(
            st.just("EPSG:4326"), st.lists(_rings((10.50, 10.53), (59.88, 59.90)), min_size=1, max_size=3)
        ),
        st.tuples(
            st.just("EPSG:25833"),
            st.lists(_rings((249000, 250000), (6647000, 6648000)), min_size=1, max_size=3),
        ),
    )
)
def test_any_polygon_in_norway_is_201_when_valid_and_422_at_the_area_when_not(
    ca: Client, crs_and_rings: tuple[str, list[list[list[float]]]]
) -> None:
    crs, rings = crs_and_rings
    area = {"type": "polygon", "crs": crs, "geometry": {"type": "Polygon", "coordinates": rings}}
    response = ca.post("/alerts", alert(area))
    shape = shapely.Polygon(rings[0], rings[1:])
    if shape.is_valid and shape.area > 0:
        assert response.status_code == 201, response.text
    else:
        assert all(p.startswith("/area/geometry") for p in pointers(response)), response.text
