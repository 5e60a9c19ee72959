"""application 1.0 and 1.1 served side by side: one set of applications, a representation per
version (spec/application/1.1/index.md, *Serving 1.0 and 1.1 side by side*)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from felles.reference import ReferenceServer, Settings, create_app
from felles.reference.components.application import ApplicationComponent
from felles.reference.components.application_versions import since_bound
from felles.reference.storage import Database
from felles.standard import schema_uri
from felles.standard.validation import validator_for

Auth = Callable[..., dict[str, str]]


def _valid(version: str, schema: str, document: Any) -> bool:
    return validator_for(schema_uri("application", version, schema)).errors(document) == []


@pytest.fixture
def v11(server: ReferenceServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url + "/application/1.1", timeout=10) as client:
        yield client


def _with_bases(submission: dict[str, Any], bases: list[str], basis: str | None = None) -> dict[str, Any]:
    changed = {k: v for k, v in submission.items() if k not in ("priorityBasis", "priorityBases")}
    changed["priorityBases"] = bases
    if basis is not None:
        changed["priorityBasis"] = basis
    return changed


def test_both_versions_declare_themselves(root: httpx.Client, api: httpx.Client, v11: httpx.Client) -> None:
    declared = root.get("/conformance").json()["components"]
    assert {(c["name"], c["version"]) for c in declared} >= {("application", "1.0"), ("application", "1.1")}
    assert v11.get("/conformance").json() == {
        "components": [
            {"name": "application", "version": "1.1", "classes": ["core", "lifecycle", "security"]}
        ]
    }
    assert api.get("/conformance").json()["components"][0]["version"] == "1.0"


@pytest.mark.parametrize(
    ("bases", "basis", "shown_to_1_0"),
    [
        (["child-welfare", "disability"], None, "child-welfare"),
        ([], None, "none"),
        (["disability"], "child-welfare", "child-welfare"),  # sent: shown as sent
    ],
)
def test_a_1_1_application_is_read_through_1_0_in_1_0_terms(
    api: httpx.Client,
    v11: httpx.Client,
    auth: Auth,
    kindergarten: dict[str, Any],
    bases: list[str],
    basis: str | None,
    shown_to_1_0: str,
) -> None:
    sent = _with_bases(kindergarten, bases, basis)
    created = v11.post("/applications", json=sent, headers=auth())
    assert created.status_code == 201, created.text
    assert created.json()["submission"] == sent
    application_id = created.json()["id"]
    assert v11.get(f"/applications/{application_id}", headers=auth()).json()["submission"] == sent

    old = api.get(f"/applications/{application_id}", headers=auth()).json()
    assert _valid("1.0", "Application", old)
    expected = {k: v for k, v in sent.items() if k != "priorityBases"} | {"priorityBasis": shown_to_1_0}
    assert old["submission"] == expected
    page = api.get("/applications?limit=100", headers=auth()).json()
    assert _valid("1.0", "ApplicationPage", page)
    assert [i["submission"] for i in page["items"] if i["id"] == application_id] == [expected]


def test_1_0_refuses_what_only_1_1_defines(
    api: httpx.Client, auth: Auth, kindergarten: dict[str, Any]
) -> None:
    response = api.post("/applications", json=_with_bases(kindergarten, ["disability"]), headers=auth())
    assert response.status_code == 422
    assert {e["pointer"] for e in response.json()["errors"]} == {"/priorityBases"}


def test_a_1_0_application_is_the_same_through_1_1_and_shares_its_lifecycle(
    api: httpx.Client, v11: httpx.Client, auth: Auth, kindergarten: dict[str, Any]
) -> None:
    created = api.post("/applications", json=kindergarten, headers=auth()).json()
    through_1_1 = v11.get(f"/applications/{created['id']}", headers=auth())
    assert through_1_1.json() == created
    moved = v11.post(f"/applications/{created['id']}/transitions", json={"to": "received"}, headers=auth())
    assert moved.status_code == 200
    seen = api.get(f"/applications/{created['id']}", headers=auth())
    assert seen.json()["status"] == "received"
    assert seen.headers["etag"] == moved.headers["etag"]


def test_an_idempotency_key_belongs_to_one_version(
    api: httpx.Client, v11: httpx.Client, auth: Auth, kindergarten: dict[str, Any]
) -> None:
    headers = {**auth(), "Idempotency-Key": "same-key-both-versions"}
    first = api.post("/applications", json=kindergarten, headers=headers)
    second = v11.post("/applications", json=kindergarten, headers=headers)
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] != second.json()["id"]


def test_submitted_since_filters_by_instant_and_stays_in_next(
    v11: httpx.Client, auth: Auth, kindergarten: dict[str, Any]
) -> None:
    ids = [v11.post("/applications", json=kindergarten, headers=auth()).json()["id"] for _ in range(3)]
    second = v11.get(f"/applications/{ids[1]}", headers=auth()).json()["createdAt"]
    at = datetime.fromisoformat(second)
    plus_two = timezone(timedelta(hours=2))
    for since in (second, at.astimezone(UTC).isoformat(), at.astimezone(plus_two).isoformat()):
        listed = v11.get("/applications", params={"submittedSince": since, "limit": 100}, headers=auth())
        assert [i["id"] for i in listed.json()["items"]] == ids[1:], since
    later = (at + timedelta(milliseconds=1)).isoformat()
    listed = v11.get("/applications", params={"submittedSince": later}, headers=auth()).json()["items"]
    assert ids[1] not in [i["id"] for i in listed]
    first = v11.get("/applications", params={"submittedSince": second, "limit": 1}, headers=auth())
    next_link = first.json()["next"]
    assert "submittedSince=" in next_link
    following = v11.get(str(first.url.join(next_link)), headers=auth()).json()
    assert [i["id"] for i in following["items"]] == [ids[2]]


@pytest.mark.parametrize(
    "since", ["yesterday", "2027-02-30T00:00:00Z", "2027-03-01T00:00:00", "2027-03-01", ""]
)
def test_bad_submitted_since_is_400(v11: httpx.Client, auth: Auth, since: str) -> None:
    response = v11.get("/applications", params={"submittedSince": since}, headers=auth())
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"


def test_1_0_has_no_submitted_since(api: httpx.Client, auth: Auth) -> None:
    assert (
        api.get("/applications", params={"submittedSince": "not checked in 1.0"}, headers=auth()).status_code
        == 200
    )


@pytest.mark.parametrize(
    ("value", "bound"),
    [
        ("2027-03-01T01:00:00+01:00", "2027-03-01T00:00:00.000Z"),
        ("2027-03-01t00:00:00.25z", "2027-03-01T00:00:00.250Z"),
        ("2027-03-01T00:00:00.0001Z", "2027-03-01T00:00:00.001Z"),  # rounded up: nothing earlier passes
        ("2027-03-01T00:00:00.999999999-00:30", "2027-03-01T00:30:01.000Z"),
    ],
)
def test_since_bound_is_the_stored_form_rounded_up(value: str, bound: str) -> None:
    assert since_bound(value) == bound


def test_versions_share_one_table_whichever_is_served_first(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "felles.sqlite3"
    only_1_1 = [ApplicationComponent(version="1.1")]
    for components in (only_1_1, None):  # 1.1 alone creates the table; adding 1.0 later reuses it
        database = Database(str(path))
        try:
            create_app(settings, components=components, database=database)
            with database.connection() as connection:
                query = "SELECT owner, MAX(version) FROM schema_migrations GROUP BY owner"
                owners = dict(connection.execute(query).fetchall())
        finally:
            database.close()
        assert owners["application@1.0"] == 2
        assert "application@1.1" not in owners
