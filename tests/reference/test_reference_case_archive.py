"""case-archive@1.0 class ``core`` against the live reference: case files, numbering, entries,
closing, audit trail, pagination, authentication, scopes and tenant isolation."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import httpx
import jwt
import pytest
from tests.reference.case_archive_payloads import (
    ALL,
    BASE,
    MERGE_PATCH,
    READ,
    SCREENED,
    WRITE,
    CaseArchive,
    assert_problem,
    assert_valid,
    case_file,
    document,
    entry,
    pointers,
    serve,
    version,
)

from felles.reference import ReferenceServer, Settings
from felles.reference.components.case_archive import CaseArchiveComponent, CaseArchiveService
from felles.reference.components.case_archive_model import Caller, StoredCase


@pytest.fixture(scope="module")
def http(server: ReferenceServer) -> Iterator[httpx.Client]:
    """One connection pool per module: building an ``httpx.Client`` costs ~0.1 s."""
    with httpx.Client(base_url=server.base_url + BASE, timeout=10) as client:
        yield client


@pytest.fixture
def ca(http: httpx.Client, settings: Settings, kommune: str) -> CaseArchive:
    """A client acting for a kommune no other test uses: its archive starts empty."""
    return CaseArchive(http, settings, kommune)


# --------------------------------------------------------------------------- conformance


def test_conformance_declares_case_archive_with_every_class(server: ReferenceServer) -> None:
    declared = httpx.get(server.base_url + BASE + "/conformance")
    assert declared.status_code == 200
    expected = {
        "name": "case-archive",
        "version": "1.0",
        "classes": ["core", "documents", "screening", "exchange"],
    }
    assert declared.json() == {"components": [expected]}
    assert expected in httpx.get(server.base_url + "/conformance").json()["components"]


# --------------------------------------------------------------------------- create and read back


def test_create_answers_201_with_location_etag_and_a_numbered_open_case(ca: CaseArchive) -> None:
    sent_at = datetime.now(UTC)
    response = ca.post("/case-files", case_file())
    assert response.status_code == 201, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert_valid("CaseFile", body)
    year = datetime.fromisoformat(body["createdAt"]).year
    assert (body["caseYear"], body["caseSequenceNumber"], body["caseNumber"]) == (year, 1, f"{year}/1")
    assert body["status"] == "open"
    assert body["closedAt"] is None
    assert body["municipalityNumber"] == ca.kommune
    assert body["createdAt"] == body["updatedAt"]
    assert body["createdAt"].endswith("Z")
    assert abs(datetime.fromisoformat(body["createdAt"]) - sent_at) < timedelta(seconds=30)
    assert response.headers["location"] == f"{BASE}/case-files/{body['id']}"
    assert response.headers["etag"].startswith('"')


def test_read_back_returns_every_submitted_member_unchanged_and_adds_none(ca: CaseArchive) -> None:
    sent = case_file()
    created = ca.post("/case-files", sent)
    fetched = ca.http.get(created.headers["location"].removeprefix(BASE), headers=ca.headers())
    assert fetched.status_code == 200
    assert fetched.json() == created.json()
    assert fetched.headers["etag"] == created.headers["etag"]
    assert {k: fetched.json()[k] for k in sent} == sent
    minimal = case_file()
    del minimal["description"]
    del minimal["classification"]["title"]
    stored = ca.read(f"/case-files/{ca.create_case(minimal)['id']}", "CaseFile")
    assert "description" not in stored
    assert stored["classification"] == minimal["classification"]


def test_sequence_numbers_count_per_kommune(ca: CaseArchive, other_kommune: str) -> None:
    numbers = [ca.create_case()["caseSequenceNumber"] for _ in range(3)]
    assert numbers == [1, 2, 3]
    assert ca.create_case(kommune=other_kommune)["caseSequenceNumber"] == 1
    assert ca.create_case()["caseSequenceNumber"] == 4


def test_concurrent_creates_get_unique_numbers_in_creation_order(
    settings: Settings, kommune: str, tmp_path: Path
) -> None:
    on_file = dataclasses.replace(settings, database=str(tmp_path / "archive.db"))
    with serve(on_file, kommune) as ca:
        barrier = threading.Barrier(20)

        def create(_: int) -> dict[str, Any]:
            barrier.wait()
            return ca.create_case()

        with ThreadPoolExecutor(max_workers=20) as pool:
            created = list(pool.map(create, range(20)))
        assert sorted(c["caseSequenceNumber"] for c in created) == list(range(1, 21))
        listed = ca.walk("/case-files?limit=100", "CaseFilePage")
        assert [c["caseSequenceNumber"] for c in listed] == list(range(1, 21))  # creation order
        assert len({c["caseNumber"] for c in listed}) == 20


class SettableClock:
    """A clock a test moves by hand (the app takes any ``() -> datetime``)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def test_case_year_is_the_current_utc_year_and_numbering_restarts_each_year(
    settings: Settings, kommune: str
) -> None:
    clock = SettableClock(datetime(2030, 12, 31, 23, 59, tzinfo=UTC))
    with serve(settings, kommune, clock=clock) as ca:
        assert [ca.create_case()["caseNumber"] for _ in range(2)] == ["2030/1", "2030/2"]
        clock.now = datetime(2031, 1, 1, 0, 30, tzinfo=UTC)
        assert ca.create_case()["caseNumber"] == "2031/1"


def test_recorded_times_never_go_backwards_when_the_clock_does(settings: Settings, kommune: str) -> None:
    clock = SettableClock(datetime(2030, 6, 1, 12, 0, tzinfo=UTC))
    with serve(settings, kommune, clock=clock) as ca:
        case = ca.create_case()
        clock.now -= timedelta(hours=2)
        closed = ca.close(case["id"])
        assert closed["closedAt"] == closed["updatedAt"] == case["createdAt"]
        instants = [datetime.fromisoformat(e["at"]) for e in ca.audit(case["id"])]
        assert instants == sorted(instants)


@pytest.mark.parametrize(
    ("mutate", "pointer"),
    [
        (lambda b: b.pop("title"), "/title"),
        (lambda b: b.update(title="Bell\u0007"), "/title"),
        (lambda b: b.update(caseOfficer=""), "/caseOfficer"),
        (lambda b: b["classification"].update(system="kommunearkiv"), "/classification/system"),
        (lambda b: b["classification"].pop("classId"), "/classification/classId"),
        (lambda b: b.update(caseYear=2020), "/caseYear"),
        (lambda b: b.update(description="x" * 2001), "/description"),
    ],
)
def test_invalid_case_file_is_422_with_pointer_and_nothing_created(
    ca: CaseArchive, mutate: Callable[[dict[str, Any]], object], pointer: str
) -> None:
    body = case_file()
    mutate(body)
    response = ca.post("/case-files", body)
    assert_problem(response, 422, "validation")
    assert pointer in pointers(response)
    assert ca.walk("/case-files", "CaseFilePage") == []


def test_bodies_that_are_not_json_objects_are_refused(ca: CaseArchive) -> None:
    assert_problem(ca.post("/case-files", [1, 2]), 422, "validation")
    raw = ca.http.post(
        "/case-files", content=b"{", headers={**ca.headers(), "Content-Type": "application/json"}
    )
    assert_problem(raw, 400, "bad-request")
    plain = ca.post("/case-files", case_file(), content_type="text/plain")
    assert_problem(plain, 415, "unsupported-media-type")
    assert ca.walk("/case-files", "CaseFilePage") == []


def test_unknown_ids_are_404_problems_on_every_path(ca: CaseArchive) -> None:
    for unknown in (
        "00000000-0000-4000-8000-000000000000",
        "not-a-uuid",
        "x" * 200,
        "'; DROP TABLE case_files",
    ):
        for path in (
            f"/case-files/{unknown}",
            f"/case-files/{unknown}/registry-entries",
            f"/case-files/{unknown}/audit",
            f"/case-files/{unknown}/export",
            f"/registry-entries/{unknown}",
            f"/documents/{unknown}",
        ):
            assert_problem(ca.get(path), 404, "not-found")
        assert_problem(ca.post(f"/case-files/{unknown}/registry-entries", entry()), 404, "not-found")
        assert_problem(ca.post(f"/registry-entries/{unknown}/documents", document()), 404, "not-found")
        assert_problem(ca.post(f"/documents/{unknown}/versions", version()), 404, "not-found")
        assert_problem(ca.transition(unknown, "closed"), 404, "not-found")
        assert_problem(ca.patch(f"/documents/{unknown}/versions/1", {"fileName": "x.docx"}), 404, "not-found")


# --------------------------------------------------------------------------- listing


def test_pagination_returns_every_case_once_in_creation_order(ca: CaseArchive) -> None:
    created = [ca.create_case()["id"] for _ in range(5)]
    first = ca.read("/case-files?limit=2", "CaseFilePage")
    assert len(first["items"]) == 2
    assert "limit=2" in first["next"]
    assert [c["id"] for c in ca.walk("/case-files?limit=2", "CaseFilePage")] == created
    assert [c["id"] for c in ca.walk("/case-files?limit=5", "CaseFilePage")] == created
    assert ca.read("/case-files?limit=5", "CaseFilePage")["next"] is None


def test_status_filter_lists_matching_cases_and_survives_next(ca: CaseArchive) -> None:
    created = [ca.create_case()["id"] for _ in range(5)]
    for case_id in created[1::2]:
        ca.close(case_id)
    closed = ca.walk("/case-files?status=closed&limit=1", "CaseFilePage")
    assert [c["id"] for c in closed] == created[1::2]
    assert {c["status"] for c in closed} == {"closed"}
    assert [c["id"] for c in ca.walk("/case-files?status=open&limit=2", "CaseFilePage")] == created[::2]
    assert "status=closed" in ca.read("/case-files?status=closed&limit=1", "CaseFilePage")["next"]


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=101",
        "limit=abc",
        "limit=",
        "limit=1&limit=2",
        "limit=" + "9" * 5000,  # int() of >4300 digits raises: was a 500
        "status=pending",
        "cursor=garbage!!",
    ],
)
def test_bad_list_query_is_400(ca: CaseArchive, query: str) -> None:
    assert_problem(ca.get(f"/case-files?{query}"), 400, "bad-request")


def test_cursors_are_bound_to_their_query_and_kommune(ca: CaseArchive, other_kommune: str) -> None:
    case_id = ca.create_case()["id"]
    for _ in range(2):
        ca.create_case()
    filtered = ca.read("/case-files?status=open&limit=1", "CaseFilePage")["next"]
    cursor = filtered.split("cursor=")[1]
    assert_problem(ca.get(f"/case-files?limit=1&cursor={cursor}"), 400, "bad-request")
    plain = ca.read("/case-files?limit=1", "CaseFilePage")["next"].split("cursor=")[1]
    assert_problem(ca.get(f"/case-files?limit=1&cursor={plain}", kommune=other_kommune), 400, "bad-request")
    for _ in range(3):
        ca.add_entry(case_id)
    entries_next = ca.read(f"/case-files/{case_id}/registry-entries?limit=1", "RegistryEntryPage")["next"]
    entry_cursor = entries_next.split("cursor=")[1]
    other_case = ca.create_case()["id"]
    refused = ca.get(f"/case-files/{other_case}/registry-entries?limit=1&cursor={entry_cursor}")
    assert_problem(refused, 400, "bad-request")
    assert_problem(ca.get(f"/case-files?cursor={entry_cursor}"), 400, "bad-request")


# --------------------------------------------------------------------------- closing and reopening


def test_close_and_reopen_and_same_status_is_409(ca: CaseArchive) -> None:
    case = ca.create_case()
    response = ca.transition(case["id"], "closed")
    assert response.status_code == 200, response.text
    closed = response.json()
    assert_valid("CaseFile", closed)
    assert closed["status"] == "closed"
    assert closed["closedAt"] is not None
    assert closed["updatedAt"] == closed["closedAt"]
    assert response.headers["etag"] != ca.http.get(f"/case-files/{case['id']}").headers.get("etag", "")
    assert_problem(ca.transition(case["id"], "closed"), 409, "conflict")
    reopened = ca.transition(case["id"], "open")
    assert reopened.status_code == 200
    assert reopened.json()["status"] == "open"
    assert reopened.json()["closedAt"] is None
    problem = assert_problem(ca.transition(case["id"], "open"), 409, "conflict")
    assert "'open'" in problem["detail"]
    assert {k: reopened.json()[k] for k in case_file()} == case_file()  # content untouched


def test_transition_honours_if_match(ca: CaseArchive) -> None:
    created = ca.post("/case-files", case_file())
    case_id, etag = created.json()["id"], created.headers["etag"]
    stale = ca.post(f"/case-files/{case_id}/transitions", {"to": "closed"}, headers={"If-Match": '"nope"'})
    assert_problem(stale, 412, "precondition-failed")
    weak = ca.post(f"/case-files/{case_id}/transitions", {"to": "closed"}, headers={"If-Match": f"W/{etag}"})
    assert_problem(weak, 412, "precondition-failed")
    assert ca.read(f"/case-files/{case_id}", "CaseFile")["status"] == "open"
    closed = ca.post(f"/case-files/{case_id}/transitions", {"to": "closed"}, headers={"If-Match": etag})
    assert closed.status_code == 200
    again = ca.post(f"/case-files/{case_id}/transitions", {"to": "open"}, headers={"If-Match": etag})
    assert_problem(again, 412, "precondition-failed")
    anything = ca.post(f"/case-files/{case_id}/transitions", {"to": "open"}, headers={"If-Match": "*"})
    assert anything.status_code == 200
    garbled = ca.post(f"/case-files/{case_id}/transitions", {"to": "closed"}, headers={"If-Match": "nope"})
    assert_problem(garbled, 400, "bad-request")


@pytest.mark.parametrize(
    ("body", "pointer"),
    [({"to": "archived"}, "/to"), ({}, "/to"), ({"to": "closed", "reason": "x"}, "/reason")],
)
def test_invalid_transition_is_422(ca: CaseArchive, body: dict[str, Any], pointer: str) -> None:
    case_id = ca.create_case()["id"]
    response = ca.post(f"/case-files/{case_id}/transitions", body)
    assert_problem(response, 422, "validation")
    assert pointer in pointers(response)
    assert ca.read(f"/case-files/{case_id}", "CaseFile")["status"] == "open"


# --------------------------------------------------------------------------- registry entries


def test_entries_are_numbered_within_their_case_and_stored_unchanged(ca: CaseArchive) -> None:
    case = ca.create_case()
    sent = [entry(), entry(type="outgoing", sentDate="2026-03-10"), entry(type="note")]
    for number, body in enumerate(sent, start=1):
        response = ca.post(f"/case-files/{case['id']}/registry-entries", body)
        assert response.status_code == 201, response.text
        created = response.json()
        assert_valid("RegistryEntry", created)
        assert response.headers["location"] == f"{BASE}/registry-entries/{created['id']}"
        assert created["caseFileId"] == case["id"]
        assert created["entryNumber"] == number
        assert created["registryEntryNumber"] == f"{case['caseNumber']}-{number}"
        assert created["status"] == "registered"
        assert "screenedOut" not in created
        stored = ca.read(f"/registry-entries/{created['id']}", "RegistryEntry")
        assert stored == created
        assert {k: stored[k] for k in body} == body


def test_an_entry_belongs_to_exactly_one_case(ca: CaseArchive) -> None:
    first, second = ca.create_case(), ca.create_case()
    made = ca.add_entry(first["id"])
    assert [e["id"] for e in ca.entries(first["id"])] == [made["id"]]
    assert ca.entries(second["id"]) == []
    assert ca.add_entry(second["id"])["entryNumber"] == 1  # numbering is per case
    assert ca.read(f"/registry-entries/{made['id']}", "RegistryEntry")["caseFileId"] == first["id"]


def test_closed_case_takes_no_entries(ca: CaseArchive) -> None:
    case_id = ca.create_case()["id"]
    ca.add_entry(case_id)
    ca.close(case_id)
    problem = assert_problem(ca.post(f"/case-files/{case_id}/registry-entries", entry()), 409, "conflict")
    assert "closed" in problem["detail"]
    assert len(ca.entries(case_id)) == 1
    assert ca.transition(case_id, "open").status_code == 200
    assert ca.add_entry(case_id)["entryNumber"] == 2


def test_registry_entry_pagination_in_entry_number_order(ca: CaseArchive) -> None:
    case_id = ca.create_case()["id"]
    made = [ca.add_entry(case_id)["id"] for _ in range(5)]
    page = ca.read(f"/case-files/{case_id}/registry-entries?limit=2", "RegistryEntryPage")
    assert [e["entryNumber"] for e in page["items"]] == [1, 2]
    assert [e["id"] for e in ca.entries(case_id, limit=2)] == made
    assert [e["id"] for e in ca.entries(case_id, limit=5)] == made
    assert_problem(ca.get(f"/case-files/{case_id}/registry-entries?limit=0"), 400, "bad-request")


@pytest.mark.parametrize(
    ("mutate", "pointer"),
    [
        (lambda b: b.pop("correspondents"), "/correspondents"),
        (lambda b: b.update(correspondents=[]), "/correspondents"),
        (lambda b: b.update(type="memo"), "/type"),
        (lambda b: b.update(documentDate="2026-02-30"), "/documentDate"),
        (
            lambda b: b["correspondents"][0].update(nationalIdentityNumber="15507600334"),
            "/correspondents/0/nationalIdentityNumber",
        ),
        (
            lambda b: b["correspondents"][1].update(organizationNumber="974760674"),
            "/correspondents/1/organizationNumber",
        ),
        (
            lambda b: b.update(screening={"code": "offl-13", "screenedMembers": ["title"]}),
            "/screening/legalBasis",
        ),
        (
            lambda b: b.update(
                screening={"code": "unntatt", "legalBasis": "Offl. § 13", "screenedMembers": ["title"]}
            ),
            "/screening/code",
        ),
        (
            lambda b: b.update(
                screening={"code": "offl-13", "legalBasis": "Offl. § 13", "screenedMembers": ["description"]}
            ),
            "/screening/screenedMembers/0",
        ),
    ],
)
def test_invalid_entry_is_422_with_pointer_and_nothing_created(
    ca: CaseArchive, mutate: Callable[[dict[str, Any]], object], pointer: str
) -> None:
    case_id = ca.create_case()["id"]
    body = entry()
    mutate(body)
    response = ca.post(f"/case-files/{case_id}/registry-entries", body)
    assert_problem(response, 422, "validation")
    assert pointer in pointers(response)
    assert ca.entries(case_id) == []
    assert [e["action"] for e in ca.audit(case_id)] == ["case-created"]


# --------------------------------------------------------------------------- audit trail


def test_audit_trail_lists_every_change_oldest_first_with_the_actor(ca: CaseArchive) -> None:
    headers = ca.headers(ALL, subject="sak-klient-974760673")
    as_client = {"headers": headers}
    case = ca.create_case(**as_client)
    made = ca.add_entry(case["id"], **as_client)
    doc = ca.add_document(made["id"], document("production"), **as_client)
    ca.add_version(doc["id"], version("archive"), **as_client)
    patched = ca.patch(f"/documents/{doc['id']}/versions/1", {"fileName": "ny.docx"}, **as_client)
    assert patched.status_code == 200, patched.text
    assert ca.transition(case["id"], "closed", **as_client).status_code == 200
    assert ca.transition(case["id"], "open", **as_client).status_code == 200
    events = ca.audit(case["id"])
    assert [(e["action"], e["objectId"]) for e in events] == [
        ("case-created", case["id"]),
        ("entry-created", made["id"]),
        ("document-created", doc["id"]),
        ("version-created", doc["id"]),
        ("version-updated", doc["id"]),
        ("case-closed", case["id"]),
        ("case-reopened", case["id"]),
    ]
    assert {e["actor"] for e in events} == {"sak-klient-974760673"}
    instants = [datetime.fromisoformat(e["at"]) for e in events]
    assert instants == sorted(instants)
    assert all(e["detail"] for e in events)


def test_reads_and_refused_changes_leave_no_audit_events(ca: CaseArchive) -> None:
    case_id = ca.create_case()["id"]
    ca.get(f"/case-files/{case_id}")
    ca.get(f"/case-files/{case_id}/export")
    ca.transition(case_id, "open")  # 409
    ca.post(f"/case-files/{case_id}/registry-entries", {"type": "incoming"})  # 422
    assert [e["action"] for e in ca.audit(case_id)] == ["case-created"]


def test_audit_actor_without_a_token_subject_is_unknown_client(ca: CaseArchive, settings: Settings) -> None:
    now = int(time.time())
    claims = {
        "iss": settings.issuer,
        "aud": settings.audience,
        "iat": now,
        "exp": now + 600,
        "scope": " ".join(ALL),
        "kommunenummer": ca.kommune,
    }
    no_subject = {"Authorization": "Bearer " + jwt.encode(claims, settings.jwt_secret, algorithm="HS256")}
    case_id = ca.create_case(headers=no_subject)["id"]
    assert [e["actor"] for e in ca.audit(case_id)] == ["unknown-client"]


# --------------------------------------------------------------------------- idempotency


def test_idempotent_create_replays_the_first_answer(ca: CaseArchive, other_kommune: str) -> None:
    key = {"Idempotency-Key": "opprett-1"}
    first = ca.post("/case-files", case_file(), headers=key)
    reordered = dict(reversed(list(case_file().items())))
    second = ca.post("/case-files", reordered, headers=key)
    assert first.status_code == second.status_code == 201
    assert second.content == first.content
    assert second.headers["location"] == first.headers["location"]
    assert second.headers["etag"] == first.headers["etag"]
    assert len(ca.walk("/case-files", "CaseFilePage")) == 1
    assert len(ca.audit(first.json()["id"])) == 1
    reused = ca.post("/case-files", case_file(title="En annen sak"), headers=key)
    assert_problem(reused, 422, "idempotency-key-reuse")
    elsewhere = ca.post("/case-files", case_file(), headers=key, kommune=other_kommune)
    assert elsewhere.status_code == 201
    assert elsewhere.json()["id"] != first.json()["id"]
    assert_problem(ca.post("/case-files", case_file(), headers={"Idempotency-Key": "k" * 256}), 400)


# --------------------------------------------------------------------------- auth, scopes, tenants


@dataclasses.dataclass(frozen=True)
class World:
    """One kommune's case with an entry, a document (archive + production version)."""

    ca: CaseArchive
    case_id: str
    entry_id: str
    document_id: str

    def snapshot(self) -> dict[str, Any]:
        exported = self.ca.export(self.case_id)
        return {k: v for k, v in exported.items() if k != "exportedAt"}


@pytest.fixture(scope="module")
def world(http: httpx.Client, settings: Settings, _kommuner: Iterator[str]) -> World:
    ca = CaseArchive(http, settings, next(_kommuner))
    case_id = ca.create_case()["id"]
    entry_id = ca.add_entry(case_id, entry(screened=True))["id"]
    document_id = ca.add_document(entry_id)["id"]
    ca.add_version(document_id, version("production"))
    return World(ca, case_id, entry_id, document_id)


@pytest.fixture(scope="module")
def stranger(_kommuner: Iterator[str]) -> str:
    """Another kommune, for the module's tenant-isolation probes."""
    return next(_kommuner)


Probe = tuple[str, str, Any, str]  # method, path, valid body, the scope it needs

PROBES: Mapping[str, Probe] = {
    "list case files": ("GET", "/case-files", None, READ),
    "create case file": ("POST", "/case-files", case_file(), WRITE),
    "import": ("POST", "/case-files/import", None, WRITE),
    "read case file": ("GET", "/case-files/{case}", None, READ),
    "transition": ("POST", "/case-files/{case}/transitions", {"to": "closed"}, WRITE),
    "list entries": ("GET", "/case-files/{case}/registry-entries", None, READ),
    "register entry": ("POST", "/case-files/{case}/registry-entries", entry(), WRITE),
    "audit trail": ("GET", "/case-files/{case}/audit", None, READ),
    "export": ("GET", "/case-files/{case}/export", None, READ),
    "read entry": ("GET", "/registry-entries/{entry}", None, READ),
    "add document": ("POST", "/registry-entries/{entry}/documents", document(), WRITE),
    "read document": ("GET", "/documents/{document}", None, READ),
    "add version": ("POST", "/documents/{document}/versions", version("production"), WRITE),
    "patch version": ("PATCH", "/documents/{document}/versions/2", {"fileName": "endret.docx"}, WRITE),
}
#: Probes that name an object of the kommune (everything but the collections).
OBJECT_PROBES = [name for name, probe in PROBES.items() if "{" in probe[1]]


def _send(world: World, name: str, *, body: Any = ..., **options: Any) -> httpx.Response:
    method, template, valid, _ = PROBES[name]
    path = template.format(case=world.case_id, entry=world.entry_id, document=world.document_id)
    if name == "import":
        valid = world.ca.export(world.case_id, scopes=ALL)
    sent = valid if body is ... else body
    content_type = MERGE_PATCH if method == "PATCH" else "application/json"
    return world.ca.request(method, path, sent, content_type=content_type, **options)


@pytest.mark.parametrize("name", list(PROBES))
def test_every_operation_without_a_valid_token_is_401(world: World, name: str) -> None:
    before = world.snapshot()
    for headers in (
        {"Authorization": ""},
        {"Authorization": "Bearer not.a.jwt"},
        {"Authorization": "Basic eDp5"},
    ):
        response = _send(world, name, headers=headers)
        assert_problem(response, 401, "unauthorized")
        assert response.headers["www-authenticate"].startswith("Bearer")
    expired = world.ca.headers(ALL, ttl_seconds=-3600)
    assert_problem(_send(world, name, headers=expired), 401, "unauthorized")
    assert world.snapshot() == before


@pytest.mark.parametrize("name", list(PROBES))
def test_every_operation_without_its_scope_is_403_even_with_an_invalid_body(world: World, name: str) -> None:
    before = world.snapshot()
    needed = PROBES[name][3]
    others = tuple(s for s in ALL if s != needed)
    response = _send(world, name, scopes=others)
    problem = assert_problem(response, 403, "forbidden")
    assert needed in problem["detail"]
    assert 'error="insufficient_scope"' in response.headers["www-authenticate"]
    if PROBES[name][0] != "GET":
        assert_problem(_send(world, name, body={"not": "valid"}, scopes=others), 403, "forbidden")
    assert world.snapshot() == before


@pytest.mark.parametrize("name", OBJECT_PROBES)
def test_another_kommune_gets_404_for_every_object(world: World, stranger: str, name: str) -> None:
    before = world.snapshot()
    assert_problem(_send(world, name, kommune=stranger), 404, "not-found")
    assert world.snapshot() == before


def test_another_kommune_does_not_see_the_case_in_lists(world: World, stranger: str) -> None:
    listed = world.ca.walk("/case-files?limit=100", "CaseFilePage", kommune=stranger)
    assert world.case_id not in [c["id"] for c in listed]
    assert [c["id"] for c in world.ca.walk("/case-files?limit=100", "CaseFilePage")] == [world.case_id]


def test_screened_scope_alone_does_not_grant_reading(world: World) -> None:
    assert_problem(world.ca.get(f"/registry-entries/{world.entry_id}", scopes=(SCREENED,)), 403, "forbidden")


# --------------------------------------------------------------------------- seams


class NeverCloses(CaseArchiveService):
    """Mutant: closing is not a transition it knows (seam ``transitions``)."""

    transitions: ClassVar[Mapping[str, frozenset[str]]] = {"open": frozenset(), "closed": frozenset({"open"})}


class IgnoresClosing(CaseArchiveService):
    """Mutant: closed cases still take entries (seam ``check_open``)."""

    def check_open(self, case: StoredCase) -> None:
        return None


class ShowsEverything(CaseArchiveService):
    """Mutant: screening is ignored (seam ``screened_view``)."""

    def screened_view(self, entry: Mapping[str, Any], caller: Caller) -> tuple[dict[str, Any], list[str]]:
        return dict(entry), []


def test_service_variants_are_served_through_the_component(settings: Settings, kommune: str) -> None:
    with serve(settings, kommune, components=[CaseArchiveComponent(NeverCloses, classes=["core"])]) as ca:
        assert ca.get("/conformance").json()["components"][0]["classes"] == ["core"]
        assert_problem(ca.transition(ca.create_case()["id"], "closed"), 409)
    with serve(settings, kommune, components=[CaseArchiveComponent(IgnoresClosing)]) as ca:
        case_id = ca.create_case()["id"]
        ca.close(case_id)
        assert ca.post(f"/case-files/{case_id}/registry-entries", entry()).status_code == 201
    with serve(settings, kommune, components=[CaseArchiveComponent(ShowsEverything)]) as ca:
        made = ca.add_entry(ca.create_case()["id"], entry(screened=True))
        assert "title" in ca.read(f"/registry-entries/{made['id']}", "RegistryEntry", scopes=(READ,))
