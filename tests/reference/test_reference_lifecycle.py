"""Class ``lifecycle``: the transition table, history, ETags and If-Match."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from felles.reference.components.application import ALLOWED_TRANSITIONS, STATUSES
from felles.standard import schema_uri
from felles.standard.validation import validator_for

APPLICATION = schema_uri("application", "1.0", "Application")
PROBLEM = schema_uri("common", "1.0", "Problem")
TARGETS = ("received", "under-review", "granted", "refused", "withdrawn")
# The shortest path from submitted to each status.
PATHS: dict[str, list[str]] = {
    "submitted": [],
    "received": ["received"],
    "under-review": ["received", "under-review"],
    "granted": ["received", "under-review", "granted"],
    "refused": ["received", "under-review", "refused"],
    "withdrawn": ["withdrawn"],
}


def move(
    api: httpx.Client, headers: dict[str, str], application_id: str, to: str, **extra: Any
) -> httpx.Response:
    return api.post(f"/applications/{application_id}/transitions", json={"to": to, **extra}, headers=headers)


def assert_problem(response: httpx.Response, status: int, slug: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert validator_for(PROBLEM).errors(body) == []
    assert body["type"] == f"https://felles.example/problems/{slug}"


@pytest.fixture
def new_id(create: Callable[..., httpx.Response]) -> Callable[[], str]:
    return lambda: create().json()["id"]


def test_the_whole_happy_path(
    api: httpx.Client, auth: Callable[..., dict[str, str]], new_id: Callable[[], str]
) -> None:
    application_id = new_id()
    etags = {api.get(f"/applications/{application_id}", headers=auth()).headers["etag"]}
    for to in ("received", "under-review", "granted"):
        response = move(api, auth(), application_id, to, note=f"now {to}")
        assert response.status_code == 200, response.text
        body = response.json()
        assert validator_for(APPLICATION).errors(body) == []
        assert body["status"] == to
        assert body["history"][-1] == {"status": to, "at": body["updatedAt"], "note": f"now {to}"}
        fetched = api.get(f"/applications/{application_id}", headers=auth())
        assert fetched.json() == body
        assert fetched.headers["etag"] == response.headers["etag"]
        etags.add(response.headers["etag"])
    assert len(etags) == 4  # a new ETag after every change
    history = api.get(f"/applications/{application_id}", headers=auth()).json()["history"]
    assert [entry["status"] for entry in history] == [
        "submitted",
        "received",
        "under-review",
        "granted",
    ]
    instants = [datetime.fromisoformat(entry["at"]) for entry in history]
    assert instants == sorted(instants)


@pytest.mark.parametrize("start", STATUSES)
@pytest.mark.parametrize("to", TARGETS)
def test_transition_table(
    api: httpx.Client,
    auth: Callable[..., dict[str, str]],
    new_id: Callable[[], str],
    start: str,
    to: str,
) -> None:
    application_id = new_id()
    for step in PATHS[start]:
        assert move(api, auth(), application_id, step).status_code == 200
    before = api.get(f"/applications/{application_id}", headers=auth())
    response = move(api, auth(), application_id, to)
    if to in ALLOWED_TRANSITIONS[start]:
        assert response.status_code == 200, response.text
        assert response.json()["status"] == to
    else:
        assert_problem(response, 409, "conflict")
        after = api.get(f"/applications/{application_id}", headers=auth())
        assert after.json() == before.json()
        assert after.headers["etag"] == before.headers["etag"]


def test_the_table_is_the_spec() -> None:
    assert {
        "submitted": {"received", "withdrawn"},
        "received": {"under-review", "withdrawn"},
        "under-review": {"granted", "refused", "withdrawn"},
        "granted": set(),
        "refused": set(),
        "withdrawn": set(),
    } == ALLOWED_TRANSITIONS


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({}, "/to"),
        ({"to": "submitted"}, "/to"),
        ({"to": "approved"}, "/to"),
        ({"to": "received", "reason": "x"}, "/reason"),
        ({"to": "received", "note": "bad\u0007bell"}, "/note"),
        ({"to": "received", "note": 5}, "/note"),
    ],
)
def test_invalid_transition_body_is_422_with_pointer(
    api: httpx.Client,
    auth: Callable[..., dict[str, str]],
    new_id: Callable[[], str],
    body: dict[str, Any],
    pointer: str,
) -> None:
    application_id = new_id()
    response = api.post(f"/applications/{application_id}/transitions", json=body, headers=auth())
    assert_problem(response, 422, "validation")
    assert pointer in {error["pointer"] for error in response.json()["errors"]}


def test_transition_of_unknown_application_is_404(
    api: httpx.Client, auth: Callable[..., dict[str, str]]
) -> None:
    assert_problem(move(api, auth(), "00000000-0000-4000-8000-000000000000", "received"), 404, "not-found")


def test_if_match_mismatch_is_412_and_changes_nothing(
    api: httpx.Client, auth: Callable[..., dict[str, str]], new_id: Callable[[], str]
) -> None:
    application_id = new_id()
    stale = api.get(f"/applications/{application_id}", headers=auth()).headers["etag"]
    assert move(api, auth(), application_id, "received").status_code == 200
    before = api.get(f"/applications/{application_id}", headers=auth())
    response = move(api, {**auth(), "If-Match": stale}, application_id, "under-review")
    assert_problem(response, 412, "precondition-failed")
    after = api.get(f"/applications/{application_id}", headers=auth())
    assert after.json() == before.json()
    assert after.headers["etag"] == before.headers["etag"]


@pytest.mark.parametrize("header", ["{etag}", '"nope", {etag}', "*"])
def test_matching_if_match_succeeds(
    api: httpx.Client, auth: Callable[..., dict[str, str]], new_id: Callable[[], str], header: str
) -> None:
    application_id = new_id()
    etag = api.get(f"/applications/{application_id}", headers=auth()).headers["etag"]
    response = move(api, {**auth(), "If-Match": header.format(etag=etag)}, application_id, "received")
    assert response.status_code == 200, response.text
    assert response.headers["etag"] != etag


def test_weak_if_match_never_matches(
    api: httpx.Client, auth: Callable[..., dict[str, str]], new_id: Callable[[], str]
) -> None:
    application_id = new_id()
    etag = api.get(f"/applications/{application_id}", headers=auth()).headers["etag"]
    assert_problem(
        move(api, {**auth(), "If-Match": f"W/{etag}"}, application_id, "received"),
        412,
        "precondition-failed",
    )


def test_malformed_if_match_is_400(
    api: httpx.Client, auth: Callable[..., dict[str, str]], new_id: Callable[[], str]
) -> None:
    assert_problem(move(api, {**auth(), "If-Match": "no-quotes"}, new_id(), "received"), 400, "bad-request")


def test_412_wins_over_409(
    api: httpx.Client, auth: Callable[..., dict[str, str]], new_id: Callable[[], str]
) -> None:
    """A stale client must re-read before it can even learn what is allowed now."""
    application_id = new_id()
    assert_problem(
        move(api, {**auth(), "If-Match": '"stale"'}, application_id, "granted"),
        412,
        "precondition-failed",
    )


def test_concurrent_transitions_with_one_etag_let_exactly_one_win(
    api: httpx.Client, auth: Callable[..., dict[str, str]], new_id: Callable[[], str]
) -> None:
    application_id = new_id()
    etag = api.get(f"/applications/{application_id}", headers=auth()).headers["etag"]
    barrier = threading.Barrier(8)

    def send(index: int) -> int:
        barrier.wait()
        to = "received" if index % 2 else "withdrawn"
        return move(api, {**auth(), "If-Match": etag}, application_id, to).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = sorted(pool.map(send, range(8)))
    assert codes == [200] + [412] * 7
    history = api.get(f"/applications/{application_id}", headers=auth()).json()["history"]
    assert len(history) == 2


def test_history_never_goes_back_in_time_even_if_the_clock_does(
    serve_app: Callable[..., httpx.Client],
    auth: Callable[..., dict[str, str]],
    kindergarten: dict[str, Any],
) -> None:
    instants = iter([datetime(2026, 3, 1, 12, 0, tzinfo=UTC), datetime(2026, 3, 1, 11, 0, tzinfo=UTC)])
    api = serve_app(clock=lambda: next(instants))
    created = api.post("/applications", json=kindergarten, headers=auth()).json()
    moved = move(api, auth(), created["id"], "received").json()
    first, second = (datetime.fromisoformat(entry["at"]) for entry in moved["history"])
    assert second >= first
    assert second - first == timedelta(0)
