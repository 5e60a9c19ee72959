"""case-archive@1.0 class ``exchange`` against the live reference: a whole case as one
export document (arkivmelding), and importing it as a new case file of the caller's kommune."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from tests.reference.case_archive_payloads import (
    BASE,
    CaseArchive,
    assert_problem,
    assert_valid,
    case_file,
    document,
    entry,
    pointers,
    version,
    without_volatile,
)

from felles.reference import ReferenceServer, Settings


@pytest.fixture(scope="module")
def http(server: ReferenceServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url + BASE, timeout=10) as client:
        yield client


@pytest.fixture
def ca(http: httpx.Client, settings: Settings, kommune: str) -> CaseArchive:
    return CaseArchive(http, settings, kommune)


def build_case(ca: CaseArchive) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A case with three entries: two documents (one with a patched production version),
    none, and one screened entry; returns the case and the entries as sent."""
    case = ca.create_case()
    sent = [entry(), entry(type="outgoing", sentDate="2026-03-10"), entry(screened=True, type="internal")]
    made = [ca.add_entry(case["id"], body) for body in sent]
    main = ca.add_document(made[0]["id"], document("production"))
    ca.add_version(main["id"], version("archive"))
    patched = ca.patch(f"/documents/{main['id']}/versions/1", {"fileName": "vedtak.docx"})
    assert patched.status_code == 200, patched.text
    ca.add_document(made[0]["id"], document("archive", role="attachment", title="Situasjonskart"))
    ca.add_document(made[2]["id"], document("archive", title="Uttalelse"))
    return case, sent


def test_export_is_valid_and_holds_the_whole_case_in_order(ca: CaseArchive) -> None:
    case, sent = build_case(ca)
    exported = ca.export(case["id"])
    assert exported["formatVersion"] == "case-archive/1.0"
    assert exported["source"] == {
        "municipalityNumber": ca.kommune,
        "system": "felles-reference",
        "caseNumber": case["caseNumber"],
    }
    assert exported["caseFile"] == case_file()
    assert exported["status"] == "open"
    assert [item["entry"] for item in exported["registryEntries"]] == sent
    first, second, third = exported["registryEntries"]
    assert first["documents"] == [
        {
            "title": "Søknad med vedlegg",
            "role": "main",
            "versions": [version("production", fileName="vedtak.docx"), version("archive")],
        },
        {"title": "Situasjonskart", "role": "attachment", "versions": [version("archive")]},
    ]
    assert second["documents"] == []
    assert third["documents"] == [{"title": "Uttalelse", "role": "main", "versions": [version("archive")]}]
    assert exported["audit"] == ca.audit(case["id"])
    assert exported["exportedAt"].endswith("Z")


def test_export_of_a_closed_case_says_so(ca: CaseArchive) -> None:
    case_id = ca.create_case()["id"]
    ca.close(case_id)
    exported = ca.export(case_id)
    assert exported["status"] == "closed"
    assert exported["registryEntries"] == []
    assert [e["action"] for e in exported["audit"]] == ["case-created", "case-closed"]


@pytest.mark.parametrize("close", [False, True], ids=["open", "closed"])
def test_import_of_an_export_round_trips(ca: CaseArchive, close: bool) -> None:
    case, _ = build_case(ca)
    if close:
        ca.close(case["id"])
    original = ca.export(case["id"])
    response = ca.post("/case-files/import", original)
    assert response.status_code == 201, response.text
    imported = response.json()
    assert_valid("CaseFile", imported)
    assert response.headers["location"] == f"{BASE}/case-files/{imported['id']}"
    assert response.headers["etag"] == ca.get(f"/case-files/{imported['id']}").headers["etag"]
    assert imported["id"] != case["id"]
    assert imported["caseSequenceNumber"] == case["caseSequenceNumber"] + 1
    assert imported["status"] == original["status"]
    assert (imported["closedAt"] is not None) == close
    again = ca.export(imported["id"])
    assert without_volatile(again) == without_volatile(original)
    assert again["source"]["caseNumber"] == imported["caseNumber"]
    [event] = again["audit"]
    assert (event["action"], event["objectId"]) == ("case-imported", imported["id"])
    assert case["caseNumber"] in event["detail"]


def test_imported_entries_and_documents_are_ordinary_objects_of_the_new_case(ca: CaseArchive) -> None:
    case, sent = build_case(ca)
    imported = ca.post("/case-files/import", ca.export(case["id"])).json()
    entries = ca.entries(imported["id"])
    assert [e["entryNumber"] for e in entries] == [1, 2, 3]
    assert [e["registryEntryNumber"] for e in entries] == [f"{imported['caseNumber']}-{n}" for n in (1, 2, 3)]
    assert {e["caseFileId"] for e in entries} == {imported["id"]}
    assert [{k: e[k] for k in body} for e, body in zip(entries, sent, strict=True)] == sent
    assert {e["status"] for e in entries} == {"registered"}
    exported_documents = ca.export(imported["id"])["registryEntries"][0]["documents"]
    assert len(exported_documents) == 2
    added = ca.add_entry(imported["id"])
    assert added["entryNumber"] == 4


def test_import_creates_the_case_in_the_importing_kommune(ca: CaseArchive, other_kommune: str) -> None:
    case, _ = build_case(ca)
    original = ca.export(case["id"])
    response = ca.post("/case-files/import", original, kommune=other_kommune)
    assert response.status_code == 201, response.text
    imported = response.json()
    assert imported["municipalityNumber"] == other_kommune
    assert imported["caseSequenceNumber"] == 1
    assert_problem(ca.get(f"/case-files/{imported['id']}"), 404, "not-found")
    assert [c["id"] for c in ca.walk("/case-files", "CaseFilePage")] == [case["id"]]
    again = ca.export(imported["id"], kommune=other_kommune)
    assert without_volatile(again) == without_volatile(original)
    assert again["source"]["municipalityNumber"] == other_kommune


def test_a_minimal_export_from_another_system_is_imported_without_added_members(ca: CaseArchive) -> None:
    foreign_case = case_file()
    del foreign_case["description"]
    foreign_entry = entry(type="note")
    del foreign_entry["receivedDate"]
    foreign = {
        "formatVersion": "case-archive/1.0",
        "exportedAt": "2026-02-01T08:00:00Z",
        "source": {"municipalityNumber": "4601", "system": "Noark-system hos Bergen kommune"},
        "caseFile": foreign_case,
        "registryEntries": [{"entry": foreign_entry, "documents": []}],
    }
    response = ca.post("/case-files/import", foreign)
    assert response.status_code == 201, response.text
    imported = response.json()
    assert imported["status"] == "open"
    assert imported["closedAt"] is None
    assert "description" not in imported
    again = ca.export(imported["id"])
    assert again["caseFile"] == foreign_case
    assert again["registryEntries"] == foreign["registryEntries"]
    assert again["status"] == "open"  # always stated in exports
    assert "Bergen" in ca.audit(imported["id"])[0]["detail"]


@pytest.mark.parametrize(
    ("mutate", "pointer"),
    [
        (lambda x: x.update(formatVersion="case-archive/2.0"), "/formatVersion"),
        (lambda x: x.pop("caseFile"), "/caseFile"),
        (lambda x: x.update(extra=True), "/extra"),
        (lambda x: x.update(status="archived"), "/status"),
        (lambda x: x["source"].update(municipalityNumber="9999"), "/source/municipalityNumber"),
        (lambda x: x["caseFile"].pop("caseOfficer"), "/caseFile/caseOfficer"),
        (lambda x: x["registryEntries"][0]["entry"].update(type="memo"), "/registryEntries/0/entry/type"),
        (
            lambda x: x["registryEntries"][0]["documents"][0]["versions"][1].update(mediaType="image/tiff"),
            "/registryEntries/0/documents/0/versions/1/mediaType",
        ),
        (
            lambda x: x["registryEntries"][0]["documents"][0].update(versions=[]),
            "/registryEntries/0/documents/0/versions",
        ),
        (lambda x: x["registryEntries"][0].pop("documents"), "/registryEntries/0/documents"),
    ],
)
def test_invalid_import_is_422_with_pointer_and_creates_nothing(
    ca: CaseArchive, mutate: Callable[[dict[str, Any]], object], pointer: str
) -> None:
    case, _ = build_case(ca)
    broken = copy.deepcopy(ca.export(case["id"]))
    mutate(broken)
    response = ca.post("/case-files/import", broken)
    assert_problem(response, 422, "validation")
    assert pointer in pointers(response)
    assert [c["id"] for c in ca.walk("/case-files", "CaseFilePage")] == [case["id"]]


def test_import_that_is_not_json_is_400_and_creates_nothing(ca: CaseArchive) -> None:
    raw = ca.http.post(
        "/case-files/import", content=b"[", headers={**ca.headers(), "Content-Type": "application/json"}
    )
    assert_problem(raw, 400, "bad-request")
    assert_problem(ca.post("/case-files/import", "arkivmelding"), 422, "validation")
    assert ca.walk("/case-files", "CaseFilePage") == []


def test_an_imported_closed_case_takes_no_entries(ca: CaseArchive) -> None:
    case_id = ca.create_case()["id"]
    ca.close(case_id)
    imported = ca.post("/case-files/import", ca.export(case_id)).json()
    assert imported["status"] == "closed"
    assert_problem(ca.post(f"/case-files/{imported['id']}/registry-entries", entry()), 409, "conflict")


def test_idempotent_import_replays_the_first_answer(ca: CaseArchive) -> None:
    case_id = ca.create_case()["id"]
    original = ca.export(case_id)
    key = {"Idempotency-Key": "import-1"}
    first = ca.post("/case-files/import", original, headers=key)
    second = ca.post("/case-files/import", original, headers=key)
    assert first.status_code == second.status_code == 201
    assert first.content == second.content
    assert len(ca.walk("/case-files", "CaseFilePage")) == 2
    changed = {**original, "status": "closed"}
    assert_problem(ca.post("/case-files/import", changed, headers=key), 422, "idempotency-key-reuse")
    assert ca.post("/case-files", case_file(), headers=key).status_code == 201  # keys are per operation
