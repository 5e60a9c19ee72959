"""Class ``core`` against the live reference: create, read back, reject, list, idempotency."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest

from felles.standard import schema_uri
from felles.standard.validation import validator_for

APPLICATION = schema_uri("application", "1.0", "Application")
PAGE = schema_uri("application", "1.0", "ApplicationPage")
PROBLEM = schema_uri("common", "1.0", "Problem")
CONFORMANCE = schema_uri("common", "1.0", "Conformance")


def assert_problem(response: httpx.Response, status: int, slug: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert validator_for(PROBLEM).errors(body) == []
    assert body["status"] == status
    if slug is not None:
        assert body["type"] == f"https://felles.example/problems/{slug}"
    return body


def pointers(response: httpx.Response) -> set[str]:
    return {error["pointer"] for error in response.json().get("errors", [])}


def resolve(response: httpx.Response, reference: str) -> str:
    return urljoin(str(response.request.url), reference)


# --------------------------------------------------------------------------- conformance


def test_conformance_lists_application_without_auth(root: httpx.Client, api: httpx.Client) -> None:
    mine = {"name": "application", "version": "1.0", "classes": ["core", "lifecycle", "security"]}
    for response in (root.get("/conformance"), api.get("/conformance")):
        assert response.status_code == 200
        assert validator_for(CONFORMANCE).errors(response.json()) == []
    # The component's own declaration lists exactly it; the root one lists every component.
    assert api.get("/conformance").json() == {"components": [mine]}
    assert mine in root.get("/conformance").json()["components"]


# --------------------------------------------------------------------------- create and read back


def test_create_returns_201_with_location_etag_and_application(
    create: Callable[..., httpx.Response], kindergarten: dict[str, Any], kommune: str
) -> None:
    sent_at = datetime.now(UTC)
    response = create()
    assert response.status_code == 201, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert validator_for(APPLICATION).errors(body) == []
    assert body["status"] == "submitted"
    assert body["municipalityNumber"] == kommune
    assert body["submission"] == kindergarten
    assert [entry["status"] for entry in body["history"]] == ["submitted"]
    assert body["createdAt"] == body["updatedAt"] == body["history"][0]["at"]
    created = datetime.fromisoformat(body["createdAt"])
    assert body["createdAt"].endswith("Z")
    assert abs(created - sent_at) < timedelta(seconds=30)
    assert response.headers["location"] == f"/application/1.0/applications/{body['id']}"
    etag = response.headers["etag"]
    assert etag.startswith('"')
    assert etag.endswith('"')
    assert len(etag) > 2


def test_location_reads_back_the_same_submission_and_etag(
    api: httpx.Client, auth: Callable[..., dict[str, str]], create: Callable[..., httpx.Response]
) -> None:
    created = create()
    fetched = api.get(resolve(created, created.headers["location"]), headers=auth())
    assert fetched.status_code == 200
    assert fetched.json() == created.json()
    assert fetched.headers["etag"] == created.headers["etag"]
    assert validator_for(APPLICATION).errors(fetched.json()) == []


def test_submission_is_stored_unchanged_member_for_member(
    api: httpx.Client, auth: Callable[..., dict[str, str]], after_school: dict[str, Any]
) -> None:
    raw = json.dumps(after_school, ensure_ascii=False, indent=2).encode("utf-8")
    created = api.post(
        "/applications",
        content=raw,
        headers={**auth(), "Content-Type": "application/json; charset=utf-8"},
    )
    assert created.status_code == 201, created.text
    fetched = api.get(f"/applications/{created.json()['id']}", headers=auth())
    submission = fetched.json()["submission"]
    assert submission == after_school
    assert list(submission) == list(after_school)  # member order kept too


def test_unknown_and_malformed_ids_are_404_problems(
    api: httpx.Client, auth: Callable[..., dict[str, str]]
) -> None:
    for application_id in (
        "00000000-0000-4000-8000-000000000000",
        "not-a-uuid",
        "x" * 200,
        "'; DROP",
    ):
        assert_problem(api.get(f"/applications/{application_id}", headers=auth()), 404, "not-found")


# --------------------------------------------------------------------------- invalid submissions


@pytest.mark.parametrize(
    ("mutate", "pointer"),
    [
        (
            lambda b: b["child"].update(nationalIdentityNumber="15507600334"),
            "/child/nationalIdentityNumber",
        ),
        (lambda b: b.pop("guardians"), "/guardians"),
        (lambda b: b.update(favouriteColour="blue"), "/favouriteColour"),
        (lambda b: b["child"].update(nickname="Olle"), "/child/nickname"),
        (
            lambda b: b["guardians"][0].update(nationalIdentityNumber="123"),
            "/guardians/0/nationalIdentityNumber",
        ),
        (lambda b: b.update(careExtentPercent=55), "/careExtentPercent"),
        (
            lambda b: b["homeAddress"].update(municipalityNumber="9999"),
            "/homeAddress/municipalityNumber",
        ),
        (
            lambda b: b["preferredKindergartens"][0].update(organizationNumber="974760674"),
            "/preferredKindergartens/0/organizationNumber",
        ),
        (lambda b: b.update(wantedStartDate="2026-02-30"), "/wantedStartDate"),
    ],
)
def test_invalid_submission_is_422_with_pointer_and_nothing_created(
    api: httpx.Client,
    auth: Callable[..., dict[str, str]],
    create: Callable[..., httpx.Response],
    kindergarten: dict[str, Any],
    mutate: Callable[[dict[str, Any]], object],
    pointer: str,
) -> None:
    mutate(kindergarten)
    response = create(kindergarten)
    body = assert_problem(response, 422, "validation")
    assert pointer in pointers(response), body
    assert all(error["detail"] for error in body["errors"])
    assert api.get("/applications", headers=auth()).json()["items"] == []


def test_unknown_type_points_at_type(
    create: Callable[..., httpx.Response], kindergarten: dict[str, Any]
) -> None:
    kindergarten["type"] = "dog-licence"
    response = create(kindergarten)
    assert_problem(response, 422, "validation")
    assert "/type" in pointers(response)


def test_non_object_body_is_422(
    create: Callable[..., httpx.Response], api: httpx.Client, auth: Callable[..., dict[str, str]]
) -> None:
    response = api.post("/applications", json=[1, 2], headers=auth())
    assert_problem(response, 422, "validation")


# --------------------------------------------------------------------------- listing


def _collect(api: httpx.Client, auth: dict[str, str], first: str) -> tuple[list[str], list[int]]:
    ids: list[str] = []
    sizes: list[int] = []
    url: str | None = first
    while url is not None:
        response = api.get(url, headers=auth)
        assert response.status_code == 200, response.text
        page = response.json()
        assert validator_for(PAGE).errors(page) == []
        ids.extend(item["id"] for item in page["items"])
        sizes.append(len(page["items"]))
        url = resolve(response, page["next"]) if page["next"] is not None else None
        assert len(sizes) < 50, "pagination does not terminate"
    return ids, sizes


def test_pagination_returns_every_item_exactly_once(
    api: httpx.Client, auth: Callable[..., dict[str, str]], create: Callable[..., httpx.Response]
) -> None:
    created = [create().json()["id"] for _ in range(7)]
    ids, sizes = _collect(api, auth(), "/applications?limit=2")
    assert ids == created
    assert sizes == [2, 2, 2, 1]


def test_pagination_exact_multiple_has_no_empty_last_page(
    api: httpx.Client, auth: Callable[..., dict[str, str]], create: Callable[..., httpx.Response]
) -> None:
    created = [create().json()["id"] for _ in range(4)]
    ids, sizes = _collect(api, auth(), "/applications?limit=2")
    assert ids == created
    assert sizes == [2, 2]


def test_pagination_is_stable_while_items_are_added(
    api: httpx.Client, auth: Callable[..., dict[str, str]], create: Callable[..., httpx.Response]
) -> None:
    first = [create().json()["id"] for _ in range(3)]
    response = api.get("/applications?limit=2", headers=auth())
    page = response.json()
    later = create().json()["id"]
    rest, _ = _collect(api, auth(), resolve(response, page["next"]))
    assert [item["id"] for item in page["items"]] + rest == [*first, later]


def test_default_limit_is_20(
    api: httpx.Client, auth: Callable[..., dict[str, str]], create: Callable[..., httpx.Response]
) -> None:
    for _ in range(21):
        create()
    page = api.get("/applications", headers=auth()).json()
    assert len(page["items"]) == 20
    assert page["next"] is not None


def test_filters_by_type_and_status_and_keep_them_in_next(
    api: httpx.Client,
    auth: Callable[..., dict[str, str]],
    create: Callable[..., httpx.Response],
    after_school: dict[str, Any],
) -> None:
    kindergarten_ids = [create().json()["id"] for _ in range(3)]
    school_ids = [create(after_school).json()["id"] for _ in range(3)]
    received = api.post(f"/applications/{school_ids[1]}/transitions", json={"to": "received"}, headers=auth())
    assert received.status_code == 200
    ids, _ = _collect(api, auth(), "/applications?type=after-school-care&limit=1")
    assert ids == school_ids
    ids, _ = _collect(api, auth(), "/applications?type=kindergarten-place&limit=2")
    assert ids == kindergarten_ids
    ids, _ = _collect(api, auth(), "/applications?status=received&limit=1")
    assert ids == [school_ids[1]]
    ids, _ = _collect(api, auth(), "/applications?status=submitted&type=after-school-care&limit=1")
    assert ids == [school_ids[0], school_ids[2]]
    first = api.get("/applications?status=submitted&limit=2", headers=auth()).json()
    assert "status=submitted" in first["next"]
    assert "limit=2" in first["next"]


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=101",
        "limit=abc",
        "limit=1.5",
        "limit=-1",
        "limit=",
        "limit=%EF%BC%91",
        "limit=1&limit=2",
    ],
)
def test_bad_limit_is_400(api: httpx.Client, auth: Callable[..., dict[str, str]], query: str) -> None:
    assert_problem(api.get(f"/applications?{query}", headers=auth()), 400, "bad-request")


@pytest.mark.parametrize("query", ["limit=1", "limit=100"])
def test_limit_bounds_are_accepted(
    api: httpx.Client, auth: Callable[..., dict[str, str]], query: str
) -> None:
    assert api.get(f"/applications?{query}", headers=auth()).status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        "status=approved",
        "type=dog-licence",
        "status=",
        "cursor=garbage!!",
        "cursor=eyJhIjoxfQ",
        "cursor=" + "A" * 600,
    ],
)
def test_bad_filter_or_cursor_is_400(
    api: httpx.Client, auth: Callable[..., dict[str, str]], query: str
) -> None:
    assert_problem(api.get(f"/applications?{query}", headers=auth()), 400, "bad-request")


def test_cursor_is_bound_to_its_filters(
    api: httpx.Client, auth: Callable[..., dict[str, str]], create: Callable[..., httpx.Response]
) -> None:
    for _ in range(3):
        create()
    next_link = api.get("/applications?limit=1&status=submitted", headers=auth()).json()["next"]
    cursor = next_link.split("cursor=")[1]
    assert_problem(api.get(f"/applications?limit=1&cursor={cursor}", headers=auth()), 400, "bad-request")


# --------------------------------------------------------------------------- idempotency


def test_idempotent_retry_replays_the_first_response(
    api: httpx.Client,
    auth: Callable[..., dict[str, str]],
    create: Callable[..., httpx.Response],
    kindergarten: dict[str, Any],
) -> None:
    first = create(headers={"Idempotency-Key": "retry-1"})
    reordered = dict(reversed(list(kindergarten.items())))  # same JSON value, other member order
    second = create(reordered, headers={"Idempotency-Key": "retry-1"})
    assert first.status_code == second.status_code == 201
    assert second.content == first.content
    assert second.headers["location"] == first.headers["location"]
    assert second.headers["etag"] == first.headers["etag"]
    assert len(api.get("/applications", headers=auth()).json()["items"]) == 1


def test_replay_is_the_original_response_even_after_a_change(
    api: httpx.Client, auth: Callable[..., dict[str, str]], create: Callable[..., httpx.Response]
) -> None:
    first = create(headers={"Idempotency-Key": "k"})
    api.post(f"/applications/{first.json()['id']}/transitions", json={"to": "received"}, headers=auth())
    assert create(headers={"Idempotency-Key": "k"}).content == first.content


def test_idempotency_key_reuse_with_other_body_is_422(
    api: httpx.Client,
    auth: Callable[..., dict[str, str]],
    create: Callable[..., httpx.Response],
    after_school: dict[str, Any],
) -> None:
    assert create(headers={"Idempotency-Key": "shared"}).status_code == 201
    assert_problem(create(after_school, headers={"Idempotency-Key": "shared"}), 422, "idempotency-key-reuse")
    assert len(api.get("/applications", headers=auth()).json()["items"]) == 1


def test_idempotency_keys_are_per_kommune(create: Callable[..., httpx.Response], other_kommune: str) -> None:
    here = create(headers={"Idempotency-Key": "same"})
    there = create(kommune=other_kommune, headers={"Idempotency-Key": "same"})
    assert here.status_code == there.status_code == 201
    assert here.json()["id"] != there.json()["id"]
    assert there.json()["municipalityNumber"] == other_kommune


def test_bad_idempotency_key_is_400(create: Callable[..., httpx.Response]) -> None:
    assert_problem(create(headers={"Idempotency-Key": "k" * 256}), 400, "bad-request")


def test_concurrent_duplicates_create_exactly_one(
    api: httpx.Client, auth: Callable[..., dict[str, str]], create: Callable[..., httpx.Response]
) -> None:
    barrier = threading.Barrier(12)

    def send(_: int) -> httpx.Response:
        barrier.wait()
        return create(headers={"Idempotency-Key": "burst"})

    with ThreadPoolExecutor(max_workers=12) as pool:
        responses = list(pool.map(send, range(12)))
    assert {r.status_code for r in responses} == {201}
    assert len({r.content for r in responses}) == 1
    assert len(api.get("/applications", headers=auth()).json()["items"]) == 1


def test_posts_without_key_are_not_deduplicated(
    api: httpx.Client, auth: Callable[..., dict[str, str]], create: Callable[..., httpx.Response]
) -> None:
    assert create().json()["id"] != create().json()["id"]
    assert len(api.get("/applications", headers=auth()).json()["items"]) == 2


def test_problem_for_a_huge_invalid_body_stays_small(
    create: Callable[..., httpx.Response], kindergarten: dict[str, Any]
) -> None:
    kindergarten["comment"] = "x" * 200_000  # maxLength 2000: the message would quote it all
    kindergarten["preferredKindergartens"] = [{"name": str(i), "bad": i} for i in range(500)]
    response = create(kindergarten)
    body = assert_problem(response, 422, "validation")
    assert len(response.content) < 60_000
    assert len(body["errors"]) == 100
    assert "/comment" in pointers(response)
