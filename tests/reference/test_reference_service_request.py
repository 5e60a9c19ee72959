"""service-request@1.0 against the live reference: catalogue, requests with photos, the
lifecycle, notices to the reporter, the public view and what it must never show."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from tests.reference.component_client import (
    ComponentClient,
    assert_problem,
    assert_schema_valid,
    serve_component,
)

from felles.reference import Settings
from felles.reference.components.service_request import ServiceRequestComponent
from felles.reference.components.service_request_model import ALLOWED_CHANGES
from felles.reference.components.service_request_public import PLACEHOLDER, redact, redactor
from felles.standard import default_catalogue, schema_uri
from felles.standard.registry import load_json
from felles.strategies.from_schema import from_schema
from felles.strategies.near_miss import NearMiss, near_misses

BASE = "/service-request/1.0"
READ, WRITE = "service-request:read", "service-request:write"
EXAMPLES = default_catalogue().get("service-request@1.0").examples_path / "valid" / "ServiceRequestInput"
POTHOLE = load_json(EXAMPLES / "pothole-with-photo-and-reporter.json")
LEAK = load_json(EXAMPLES / "water-leak-two-photos-phone-only.json")
ANONYMOUS = load_json(EXAMPLES / "anonymous-street-light.json")
REPORTER = {"name": "Kari Nordmann", "email": "kari.nordmann@example.no", "phone": "+4791234567"}
PATHS = {
    "received": (),
    "in-progress": ("in-progress",),
    "resolved": ("in-progress", "resolved"),
    "rejected": ("rejected",),
}


def fresh(body: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(body), **changes}


def assert_valid(name: str, instance: Any) -> None:
    assert_schema_valid("service-request", name, instance)


class Desk(ComponentClient):
    """A client on ``/service-request/1.0`` acting for one kommune (and anonymously)."""

    component = "service-request"
    default_scopes = (READ, WRITE)

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        response = self.post("/service-requests", body)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        assert_valid("ServiceRequest", created)
        return created

    def change(self, request_id: str, to: str, note: str | None = None, **options: Any) -> httpx.Response:
        body = {"to": to} if note is None else {"to": to, "note": note}
        return self.post(f"/service-requests/{request_id}/status-changes", body, **options)

    def public(self, request: dict[str, Any]) -> dict[str, Any]:
        response = self.http.get(f"/public/{self.kommune}/service-requests/{request['id']}")
        assert response.status_code == 200, response.text
        view: dict[str, Any] = response.json()
        assert_valid("PublicServiceRequest", view)
        return view


@pytest.fixture(scope="module")
def http(settings: Settings) -> Iterator[httpx.Client]:
    """A server with only service-request (independent of what else the reference registers)."""
    with serve_component(settings, ServiceRequestComponent(), BASE) as client:
        yield client


@pytest.fixture
def desk(http: httpx.Client, token: Callable[..., str], kommune: str) -> Desk:
    return Desk(http, token, kommune)


# --------------------------------------------------------------------------- catalogue and create


def test_conformance_and_catalogue_need_no_token(http: httpx.Client) -> None:
    classes = http.get("/conformance").json()["components"][0]["classes"]
    assert classes == ["core", "lifecycle", "public", "notifications"]
    catalogue = http.get("/services").json()
    assert_valid("ServiceCatalogue", catalogue)
    codes = [item["code"] for item in catalogue["items"]]
    assert len(codes) == len(set(codes)) == 8
    assert {"pothole", "street-light", "water-leak", "littering"} <= set(codes)


def test_create_stores_what_was_sent_and_serves_the_photos(desk: Desk) -> None:
    response = desk.post("/service-requests", LEAK)
    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["location"] == f"{BASE}/service-requests/{created['id']}"
    assert (created["status"], [h["status"] for h in created["history"]]) == ("received", ["received"])
    stored = desk.get(f"/service-requests/{created['id']}").json()
    assert stored == created
    assert {k: stored[k] for k in ("serviceCode", "description", "location", "reporter")} == {
        k: LEAK[k] for k in ("serviceCode", "description", "location", "reporter")
    }
    for number, photo in enumerate(LEAK["photos"], start=1):
        image = base64.b64decode(photo["content"])
        assert stored["photos"][number - 1] == {
            "number": number,
            "mediaType": photo["mediaType"],
            "sizeBytes": len(image),
            "sha256": hashlib.sha256(image).hexdigest(),
        }
        served = desk.get(f"/service-requests/{created['id']}/photos/{number}")
        assert (served.headers["content-type"], served.content) == (photo["mediaType"], image)
    assert_problem(desk.get(f"/service-requests/{created['id']}/photos/3"), 404)
    assert_problem(desk.get(f"/service-requests/{created['id']}/photos/x1"), 404)


def test_anonymous_requests_are_welcome(desk: Desk) -> None:
    created = desk.create(ANONYMOUS)
    assert "reporter" not in desk.get(f"/service-requests/{created['id']}").json()


def test_idempotency_key_replays_the_first_answer(desk: Desk) -> None:
    headers = desk.headers() | {"Idempotency-Key": uuid.uuid4().hex, "Content-Type": "application/json"}
    first, again = (
        desk.http.post("/service-requests", content=json.dumps(ANONYMOUS), headers=headers) for _ in range(2)
    )
    assert (again.status_code, again.content) == (201, first.content)


@pytest.mark.parametrize(
    ("change", "pointer"),
    [
        (lambda b: b.update(serviceCode="dragon-sighting"), "/serviceCode"),
        (
            lambda b: b["location"]["point"].update(coordinates=[59.9139, 10.7522]),
            "/location/point/coordinates/0",
        ),
        (lambda b: b.update(reporter={}), "/reporter"),
        (
            lambda b: b["photos"][0].update(
                content=base64.b64encode(b"\xff\xd8\xff" + bytes(1024 * 1024)).decode()
            ),
            "/photos/0/content",
        ),
        (lambda b: b["photos"][0].update(mediaType="image/png"), "/photos/0/content"),
    ],
    ids=["unknown-code", "swapped-coordinates", "empty-reporter", "photo-over-1-mib", "jpeg-called-png"],
)
def test_invalid_requests_are_422_with_the_pointer_and_not_created(
    desk: Desk, change: Any, pointer: str
) -> None:
    body = fresh(POTHOLE, description=f"Ugyldig {uuid.uuid4().hex}")
    change(body)
    problem = assert_problem(desk.post("/service-requests", body), 422)
    assert pointer in [e["pointer"] for e in problem["errors"]]
    assert all(
        r["description"] != body["description"] for r in desk.walk("/service-requests", "ServiceRequestPage")
    )


def test_three_photos_of_a_mebibyte_fit_and_more_is_413(desk: Desk) -> None:
    photo = {
        "mediaType": "image/jpeg",
        "content": base64.b64encode(b"\xff\xd8\xff" + bytes(1024 * 1024 - 3)).decode(),
    }
    assert desk.create(fresh(ANONYMOUS, photos=[photo] * 3))["photos"][2]["sizeBytes"] == 1024 * 1024
    huge = fresh(ANONYMOUS, description="x" * (7 * 1024 * 1024))
    assert_problem(desk.post("/service-requests", huge), 413)


@pytest.mark.parametrize("body", [[], "melding", None, {"serviceCode": 7}])
def test_bodies_that_are_no_request_are_refused_without_500(desk: Desk, body: Any) -> None:
    assert desk.post("/service-requests", body).status_code in (400, 422)


# --------------------------------------------------------------------------- lifecycle and notices


@pytest.mark.parametrize("start", list(PATHS))
@pytest.mark.parametrize("to", ["in-progress", "resolved", "rejected"])
def test_lifecycle_table(desk: Desk, start: str, to: str) -> None:
    request_id = desk.create(ANONYMOUS)["id"]
    for step in PATHS[start]:
        assert desk.change(request_id, step).status_code == 200
    before = desk.get(f"/service-requests/{request_id}").json()
    response = desk.change(request_id, to, "Merknad")
    after = desk.get(f"/service-requests/{request_id}").json()
    if to in ALLOWED_CHANGES[start]:
        assert response.status_code == 200, response.text
        assert after["history"][:-1] == before["history"]
        assert after["history"][-1]["status"] == to
        assert after["history"][-1]["note"] == "Merknad"
        assert after["updatedAt"] == after["history"][-1]["at"]
    else:
        assert_problem(response, 409)
        assert after == before


@pytest.mark.parametrize(
    ("reporter", "channels"),
    [
        (REPORTER, [("email", REPORTER["email"]), ("sms", REPORTER["phone"])]),
        ({"phone": "+4740000001"}, [("sms", "+4740000001")]),
        ({"name": "Ola"}, []),
        (None, []),
    ],
    ids=["email-and-phone", "phone-only", "name-only", "anonymous"],
)
def test_notices_follow_every_change(
    desk: Desk, reporter: dict[str, str] | None, channels: list[Any]
) -> None:
    body = fresh(ANONYMOUS) if reporter is None else fresh(ANONYMOUS, reporter=reporter)
    request_id = desk.create(body)["id"]
    desk.change(request_id, "in-progress", "Vi er på vei.")
    desk.change(request_id, "resolved")
    notices = desk.get(f"/service-requests/{request_id}/notifications").json()
    assert_valid("NotificationList", notices)
    got = [(n["status"], n["channel"], n["to"], n.get("note")) for n in notices["items"]]
    assert got == [("in-progress", c, t, "Vi er på vei.") for c, t in channels] + [
        ("resolved", c, t, None) for c, t in channels
    ]


# --------------------------------------------------------------------------- the public view


def test_public_view_never_shows_the_reporter(desk: Desk) -> None:
    body = fresh(POTHOLE, reporter=REPORTER)
    body["description"] = "Meldt av KARI NORDMANN (kari.nordmann@example.no, +4791234567)."
    body["location"]["description"] = "Utenfor huset til Kari Nordmann"
    body["location"]["address"]["streetName"] = "Kari Nordmanns vei"
    created = desk.create(body)
    desk.change(created["id"], "in-progress", "Takk, kari nordmann! Vi ringer +4791234567.")
    view = desk.public(created)
    listed = desk.walk(f"/public/{desk.kommune}/service-requests", "PublicServiceRequestPage", token=False)
    text = json.dumps([view, listed], ensure_ascii=False).lower()
    assert all(value.lower() not in text for value in REPORTER.values())
    assert view["description"] == f"Meldt av {PLACEHOLDER} ({PLACEHOLDER}, {PLACEHOLDER})."
    assert view["history"][-1]["note"] == f"Takk, {PLACEHOLDER}! Vi ringer {PLACEHOLDER}."
    assert view["location"]["address"]["streetName"] == f"{PLACEHOLDER}s vei"
    assert "photos" not in view
    assert "reporter" not in view
    internal = desk.get(f"/service-requests/{created['id']}").json()
    assert internal["history"][-1]["note"] == "Takk, kari nordmann! Vi ringer +4791234567."


def test_public_list_pages_and_filters_by_status(desk: Desk) -> None:
    made = [desk.create(ANONYMOUS)["id"] for _ in range(4)]
    desk.change(made[0], "rejected")
    everything = desk.walk(
        f"/public/{desk.kommune}/service-requests?limit=3", "PublicServiceRequestPage", token=False
    )
    assert [r["id"] for r in everything] == made
    rejected = desk.walk(
        f"/public/{desk.kommune}/service-requests?status=rejected", "PublicServiceRequestPage", token=False
    )
    assert [r["id"] for r in rejected] == made[:1]


@pytest.mark.parametrize("kommune", ["abcd", "9999", "0219"])
def test_public_view_of_no_kommune_is_404(http: httpx.Client, kommune: str) -> None:
    assert_problem(http.get(f"/public/{kommune}/service-requests"), 404)


def test_another_kommune_sees_nothing(desk: Desk, other_kommune: str) -> None:
    created = desk.create(POTHOLE)
    path = f"/service-requests/{created['id']}"
    for response in (
        desk.get(path, kommune=other_kommune),
        desk.get(f"{path}/photos/1", kommune=other_kommune),
        desk.get(f"{path}/notifications", kommune=other_kommune),
        desk.change(created["id"], "rejected", kommune=other_kommune),
        desk.http.get(f"/public/{other_kommune}/service-requests/{created['id']}"),
    ):
        assert_problem(response, 404)
    assert desk.get("/service-requests", kommune=other_kommune).json()["items"] == []
    assert desk.http.get(f"/public/{other_kommune}/service-requests").json()["items"] == []


def test_authentication_and_scopes(desk: Desk, http: httpx.Client) -> None:
    created = desk.create(POTHOLE)
    response = http.get(f"/service-requests/{created['id']}")
    assert_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert_problem(desk.get(f"/service-requests/{created['id']}", scopes=[WRITE]), 403)
    assert_problem(desk.post("/service-requests", POTHOLE, scopes=[READ]), 403)
    assert_problem(desk.change(created["id"], "rejected", scopes=[READ]), 403)
    assert desk.get(f"/service-requests/{created['id']}").json()["status"] == "received"


# --------------------------------------------------------------------------- redaction itself


def test_redaction_is_case_blind_longest_first_and_literal() -> None:
    pattern = redactor(["Kari", "kari@example.no", "+47 (9)"])
    assert (
        redact("kari@EXAMPLE.no og KARI ringte +47 (9)", pattern)
        == f"{PLACEHOLDER} og {PLACEHOLDER} ringte {PLACEHOLDER}"
    )
    assert redactor([]) is None
    assert redact("uendret", None) == "uendret"


# --------------------------------------------------------------------------- fuzzing: never a 5xx


def _near(name: str) -> st.SearchStrategy[NearMiss]:
    uri = schema_uri("service-request", "1.0", name)
    return from_schema(uri).flatmap(lambda valid: near_misses(uri, valid))


FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(miss=_near("ServiceRequestInput"))
def test_near_miss_requests_are_422_at_their_pointer(desk: Desk, miss: NearMiss) -> None:
    problem = assert_problem(desk.post("/service-requests", miss.instance), 422)
    assert miss.pointer in [e["pointer"] for e in problem["errors"]]


@FUZZ
@given(miss=_near("StatusChange"))
def test_near_miss_status_changes_are_422(desk: Desk, miss: NearMiss) -> None:
    problem = assert_problem(
        desk.post(f"/service-requests/{uuid.uuid4()}/status-changes", miss.instance), 422
    )
    assert miss.pointer in [e["pointer"] for e in problem["errors"]]


@FUZZ
@given(odd=st.text(min_size=1, max_size=60))
@example(odd="/")  # decoded, /service-requests/%2F once got a 307 to /service-requests/
def test_odd_ids_and_kommuner_are_refused_cleanly(desk: Desk, odd: str) -> None:
    part = quote(odd, safe="")
    for path in (
        f"/service-requests/{part}",
        f"/service-requests/{part}/photos/1",
        f"/service-requests/{part}/notifications",
    ):
        assert desk.get(path).status_code in (400, 404)
    for path in (f"/public/{part}/service-requests", f"/public/{desk.kommune}/service-requests/{part}"):
        assert desk.http.get(path).status_code in (400, 404)
