"""Tenant isolation on every path, and scope checks on every operation of every component.

One kommune never sees, changes or learns of another's applications: not
by id, not through a list filter, a page cursor or an idempotency key, and
not by the *shape* of an answer — for another kommune's id every endpoint
answers exactly as for an id that does not exist (404, never 403).
Broken variants show the checks can fail.
"""

from __future__ import annotations

import base64
import json
import re
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from starlette.routing import Mount, Route
from tests.reference.loadgen import BASE_SUBMISSION

from felles.reference import ApplicationComponent, ApplicationService, Settings, create_app
from felles.reference.components.application import (
    STATUSES,
    TYPES,
    PageResult,
    StoredApplication,
    _filter_fingerprint,
    encode_cursor,
)
from felles.reference.storage import IdempotencyStore, StoredResponse
from felles.standard import default_catalogue

READ, WRITE, DECIDE = "application:read", "application:write", "application:decide"
PATHS = {
    "submitted": [],
    "received": ["received"],
    "under-review": ["received", "under-review"],
    "granted": ["received", "under-review", "granted"],
    "refused": ["received", "under-review", "refused"],
    "withdrawn": ["withdrawn"],
}

Auth = Callable[..., dict[str, str]]
PLACEHOLDER_ID = "00000000-0000-4000-8000-000000000000"


def _same_answer(first: httpx.Response, second: httpx.Response, *ids: str) -> None:
    """Equal status, media type and body once the ids themselves are blanked out."""

    def shape(response: httpx.Response) -> tuple[int, str | None, str, bool]:
        text = response.text
        for application_id in ids:
            text = text.replace(application_id, "<id>")
        return response.status_code, response.headers.get("content-type"), text, "etag" in response.headers

    assert shape(first) == shape(second)


def _walk(api: httpx.Client, headers: dict[str, str], query: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    url: str | None = f"/applications?{query}"
    while url is not None:
        page = api.get(url, headers=headers)
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        url = page.json()["next"]
        if url is not None:
            url = url.removeprefix("/application/1.0")
    return items


def _populate(
    api: httpx.Client, auth: Auth, kommune: str, after_school: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """One application in every status, of both types where it matters: id -> application."""
    made = {}
    for number, (status, steps) in enumerate(PATHS.items()):
        body = dict(after_school) if number % 2 else None
        created = api.post("/applications", json=body or _kindergarten(), headers=auth(kommune=kommune))
        assert created.status_code == 201, created.text
        application_id = created.json()["id"]
        for to in steps:
            moved = api.post(
                f"/applications/{application_id}/transitions", json={"to": to}, headers=auth(kommune=kommune)
            )
            assert moved.status_code == 200, moved.text
        current = api.get(f"/applications/{application_id}", headers=auth(kommune=kommune)).json()
        assert current["status"] == status
        made[application_id] = current
    return made


def _kindergarten() -> dict[str, Any]:
    return json.loads(json.dumps(BASE_SUBMISSION))


@pytest.fixture
def tenants(
    api: httpx.Client, auth: Auth, kommune: str, other_kommune: str, after_school: dict[str, Any]
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    return _populate(api, auth, kommune, after_school), _populate(api, auth, other_kommune, after_school)


# --------------------------------------------------------------------------- lists


FILTERS = [
    "",
    *(f"status={s}" for s in STATUSES),
    *(f"type={t}" for t in TYPES),
    *(f"status={s}&type={t}" for s in ("submitted", "granted") for t in TYPES),
]


def check_lists(
    api: httpx.Client,
    auth: Auth,
    mine: dict[str, dict[str, Any]],
    kommune: str,
    other_kommune: str,
    query: str,
) -> None:
    wanted = dict(pair.split("=") for pair in query.split("&") if pair)
    expected = {
        i
        for i, a in mine.items()
        if a["status"] == wanted.get("status", a["status"])
        and a["submission"]["type"] == wanted.get("type", a["submission"]["type"])
    }
    for limit in (1, 100):
        listed = _walk(api, auth(kommune=kommune), f"{query}&limit={limit}".lstrip("&"))
        assert {item["municipalityNumber"] for item in listed} <= {kommune}, query
        assert sorted(item["id"] for item in listed) == sorted(expected), (query, limit)
    assert not set(mine) & {item["id"] for item in _walk(api, auth(kommune=other_kommune), query)}


@pytest.mark.parametrize("query", FILTERS)
def test_every_list_filter_shows_only_the_callers_kommune(
    api: httpx.Client,
    auth: Auth,
    tenants: tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]],
    kommune: str,
    other_kommune: str,
    query: str,
) -> None:
    mine, theirs = tenants
    check_lists(api, auth, mine, kommune, other_kommune, query)
    check_lists(api, auth, theirs, other_kommune, kommune, query)


# --------------------------------------------------------------------------- one application


def test_another_kommunes_application_is_answered_exactly_like_a_missing_one(
    api: httpx.Client,
    auth: Auth,
    tenants: tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]],
    other_kommune: str,
    kommune: str,
) -> None:
    mine, _ = tenants
    intruder, reader_only, no_scope = (
        auth(kommune=other_kommune),
        auth([READ], other_kommune),
        auth([], other_kommune),
    )
    for application_id, before in mine.items():
        missing = str(uuid.uuid4())
        etag = api.get(f"/applications/{application_id}", headers=auth()).headers["etag"]
        for headers in (intruder, reader_only, no_scope):
            _same_answer(
                api.get(f"/applications/{application_id}", headers=headers),
                api.get(f"/applications/{missing}", headers=headers),
                application_id,
                missing,
            )
        for to in ("received", "granted"):
            for extra in ({}, {"If-Match": etag}, {"If-Match": "*"}, {"If-Match": '"stale"'}):
                for headers in (intruder, reader_only):
                    attempt = api.post(
                        f"/applications/{application_id}/transitions",
                        json={"to": to, "note": "intruder"},
                        headers={**headers, **extra},
                    )
                    control = api.post(
                        f"/applications/{missing}/transitions",
                        json={"to": to, "note": "intruder"},
                        headers={**headers, **extra},
                    )
                    _same_answer(attempt, control, application_id, missing)
                    assert attempt.status_code in (403, 404)
        invalid = api.post(f"/applications/{application_id}/transitions", json={"to": 7}, headers=intruder)
        _same_answer(
            invalid,
            api.post(f"/applications/{missing}/transitions", json={"to": 7}, headers=intruder),
            application_id,
            missing,
        )
        after = api.get(f"/applications/{application_id}", headers=auth(kommune=kommune))
        assert after.json() == before
        assert after.headers["etag"] == etag


# --------------------------------------------------------------------------- cursors


def _cursor_of(next_link: str) -> str:
    return next_link.split("cursor=")[1].split("&", maxsplit=1)[0]


def test_a_cursor_reveals_nothing_and_reaches_no_other_kommune(
    api: httpx.Client,
    auth: Auth,
    tenants: tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]],
    kommune: str,
    other_kommune: str,
) -> None:
    mine, _ = tenants
    first = api.get("/applications?limit=2", headers=auth()).json()
    cursor = _cursor_of(first["next"])
    decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    assert set(decoded) == {"i", "f"}  # no global sequence number: nothing about other kommuner' volume
    assert decoded["i"] == first["items"][-1]["id"]

    garbage = api.get("/applications?limit=2&cursor=eyJpIjoieCJ9", headers=auth(kommune=other_kommune))
    stolen = api.get(f"/applications?limit=2&cursor={cursor}", headers=auth(kommune=other_kommune))
    assert stolen.status_code == 400
    _same_answer(stolen, garbage)
    # Crafted with the intruder's own fingerprint: their cursor naming our id is no better than a random id.
    fingerprint = _filter_fingerprint(other_kommune, None, None)
    crafted = api.get(
        f"/applications?limit=2&cursor={encode_cursor(next(iter(mine)), fingerprint)}",
        headers=auth(kommune=other_kommune),
    )
    random_id = api.get(
        f"/applications?limit=2&cursor={encode_cursor(str(uuid.uuid4()), fingerprint)}",
        headers=auth(kommune=other_kommune),
    )
    assert crafted.status_code == 400
    _same_answer(crafted, random_id)


# --------------------------------------------------------------------------- idempotency keys


def check_idempotency_keys_stay_home(
    api: httpx.Client, auth: Auth, kommune: str, other_kommune: str, body: dict[str, Any], key: str
) -> None:
    first = api.post("/applications", json=body, headers={**auth(), "Idempotency-Key": key})
    assert first.status_code == 201
    same_body = api.post(
        "/applications", json=body, headers={**auth(kommune=other_kommune), "Idempotency-Key": key}
    )
    assert same_body.status_code == 201, same_body.text
    assert same_body.json()["id"] != first.json()["id"]
    assert same_body.json()["municipalityNumber"] == other_kommune
    other_body = {**body, "comment": "another body under the same key"}
    fresh = api.post(
        "/applications",
        json=other_body,
        headers={**auth(kommune=other_kommune), "Idempotency-Key": key + "-2"},
    )
    assert fresh.status_code == 201
    # A 422 here would tell the other kommune that this key was used (by us) with another body.
    reused = api.post("/applications", json=other_body, headers={**auth(), "Idempotency-Key": key})
    assert reused.status_code == 422  # our own key, another body: the conflict is ours to know
    theirs = api.post(
        "/applications",
        json={**body, "comment": "x"},
        headers={**auth(kommune=other_kommune), "Idempotency-Key": key + "-3"},
    )
    assert theirs.status_code == 201
    mine_again = api.post(
        "/applications", json={**body, "comment": "x"}, headers={**auth(), "Idempotency-Key": key + "-3"}
    )
    assert mine_again.status_code == 201, "a key used by another kommune must not bind this one"
    assert mine_again.json()["municipalityNumber"] == kommune
    replay = api.post("/applications", json=body, headers={**auth(), "Idempotency-Key": key})
    assert replay.content == first.content


def test_an_idempotency_key_never_replays_or_conflicts_across_kommuner(
    api: httpx.Client, auth: Auth, kommune: str, other_kommune: str, kindergarten: dict[str, Any]
) -> None:
    check_idempotency_keys_stay_home(api, auth, kommune, other_kommune, kindergarten, f"k-{uuid.uuid4()}")


# --------------------------------------------------------------------------- broken variants


class FilteredListsForgetTheKommune(ApplicationService):
    """The status filter query was written without the kommune condition."""

    def list_page(self, tenant: str, *, status: str | None = None, **kwargs: Any) -> PageResult:
        if status is None:
            return super().list_page(tenant, **kwargs)
        with self.database.connection() as connection:
            rows = connection.execute(
                "SELECT seq, id, municipality, type, status, submission_json, history_json, created_at,"
                " updated_at, version FROM applications WHERE status = ? AND seq > ? ORDER BY seq LIMIT ?",
                (status, kwargs.get("after_seq", 0), kwargs.get("limit", 20) + 1),
            ).fetchall()
        limit = kwargs.get("limit", 20)
        page = [
            StoredApplication(
                int(r[0]), r[1], r[2], r[3], r[4], r[5], json.loads(r[6]), r[7], r[8], int(r[9])
            )
            for r in rows[:limit]
        ]
        return PageResult(
            items=[self.to_resource(row) for row in page],
            last_seq=page[-1].seq if page else None,
            has_more=len(rows) > limit,
            last_id=page[-1].id if page else None,
        )


class KeysWithoutKommune(ApplicationService):
    """Idempotency keys looked up by key alone: one kommune's retry replays another's answer."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.idempotency = _GlobalKeys(self.idempotency.scope)


class _GlobalKeys(IdempotencyStore):
    def lookup(self, connection: sqlite3.Connection, tenant: str, key: str) -> StoredResponse | None:
        owner = connection.execute(
            "SELECT municipality FROM idempotency_keys WHERE scope = ? AND idempotency_key = ?",
            (self.scope, key),
        ).fetchone()
        return super().lookup(connection, owner[0] if owner else tenant, key)


def test_the_list_check_catches_a_filter_without_the_kommune(
    serve_app: Callable[..., httpx.Client],
    auth: Auth,
    kommune: str,
    other_kommune: str,
    after_school: dict[str, Any],
) -> None:
    api = serve_app(components=[ApplicationComponent(FilteredListsForgetTheKommune)])
    mine = _populate(api, auth, kommune, after_school)
    _populate(api, auth, other_kommune, after_school)
    check_lists(api, auth, mine, kommune, other_kommune, "")  # unfiltered lists are still right
    with pytest.raises(AssertionError):
        check_lists(api, auth, mine, kommune, other_kommune, "status=submitted")


def test_the_idempotency_check_catches_keys_shared_across_kommuner(
    serve_app: Callable[..., httpx.Client],
    auth: Auth,
    kommune: str,
    other_kommune: str,
    kindergarten: dict[str, Any],
) -> None:
    api = serve_app(components=[ApplicationComponent(KeysWithoutKommune)])
    with pytest.raises(AssertionError):
        check_idempotency_keys_stay_home(api, auth, kommune, other_kommune, kindergarten, "shared")


# --------------------------------------------------------------------------- every operation, every component


def _operations(app: Any) -> Iterator[tuple[str, str]]:
    """(method, path) of every route the reference serves, ids filled with a random UUID."""

    def walk(routes: list[Any], prefix: str) -> Iterator[tuple[str, str]]:
        for route in routes:
            if isinstance(route, Mount):
                yield from walk(list(route.routes), prefix + route.path)
            elif isinstance(route, Route) and not route.path.endswith("/conformance"):
                path = prefix + route.path
                for name in route.param_convertors:  # fixed, so every xdist worker collects the same
                    path = path.replace("{" + name + "}", PLACEHOLDER_ID)
                for method in sorted((route.methods or set()) - {"HEAD"}):
                    yield method, path

    return walk(list(app.routes), "")


def _public_operations() -> list[tuple[str, re.Pattern[str]]]:
    """Operations an OpenAPI document declares open to everyone (``security: []``), as path patterns."""
    public = []
    for component in default_catalogue().testable():
        for path, operations in component.openapi().get("paths", {}).items():
            for method, operation in operations.items():
                if isinstance(operation, dict) and operation.get("security") == [] and path != "/conformance":
                    pattern = re.sub(r"\\{[^/]+\\}", "[^/]+", re.escape(path))
                    prefix = re.escape(f"/{component.name}/{component.version}")
                    public.append((method.upper(), re.compile(f"{prefix}{pattern}")))
    return public


PUBLIC = _public_operations()
ALL_OPERATIONS = sorted(set(_operations(create_app(Settings()))))
OPEN = [(m, p) for m, p in ALL_OPERATIONS if any(m == pm and rx.fullmatch(p) for pm, rx in PUBLIC)]
OPERATIONS = [op for op in ALL_OPERATIONS if op not in OPEN]


def test_every_public_operation_of_the_specs_is_served() -> None:
    assert len(OPEN) == len(PUBLIC) > 0


@pytest.mark.parametrize(("method", "path"), OPEN, ids=[f"{m} {p}" for m, p in OPEN])
def test_public_operations_answer_without_a_token(root: httpx.Client, method: str, path: str) -> None:
    """``security: []`` in the OpenAPI document: no 401 and no 403 for an anonymous caller."""
    answer = root.request(method, path.replace(PLACEHOLDER_ID, "0301"))
    assert answer.status_code not in (401, 403), answer.text


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_every_operation_needs_a_token_and_a_scope(
    root: httpx.Client, token: Callable[..., str], method: str, path: str
) -> None:
    body = {"to": "received"} if method != "GET" else None
    anonymous = root.request(method, path, json=body)
    assert anonymous.status_code == 401, anonymous.text
    assert anonymous.headers["content-type"] == "application/problem+json"
    no_scope = root.request(method, path, json=body, headers={"Authorization": f"Bearer {token(scopes=[])}"})
    assert no_scope.status_code == 403, no_scope.text
    assert no_scope.headers["content-type"] == "application/problem+json"


def test_the_operation_walk_sees_every_application_operation() -> None:
    application = {
        (m, p.split("/application/1.0", 1)[1]) for m, p in OPERATIONS if p.startswith("/application/1.0")
    }
    shapes = {(m, "/".join("{id}" if len(s) == 36 else s for s in p.split("/"))) for m, p in application}
    assert shapes == {
        ("GET", "/applications"),
        ("POST", "/applications"),
        ("GET", "/applications/{id}"),
        ("POST", "/applications/{id}/transitions"),
    }
