"""case-archive@1.0 classes ``documents`` and ``screening`` against the live reference:
documents with versions, PDF/A archive versions that never change, merge patches of
production versions, and screened members withheld from callers without the scope."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from tests.reference.case_archive_payloads import (
    BASE,
    MERGE_PATCH,
    READ,
    UNSCREENED,
    CaseArchive,
    assert_problem,
    assert_valid,
    document,
    entry,
    errors_of,
    pointers,
    version,
)

from felles.reference import ReferenceServer, Settings


@pytest.fixture(scope="module")
def http(server: ReferenceServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url + BASE, timeout=10) as client:
        yield client


@pytest.fixture
def ca(http: httpx.Client, settings: Settings, kommune: str) -> CaseArchive:
    return CaseArchive(http, settings, kommune)


@pytest.fixture
def entry_id(ca: CaseArchive) -> str:
    """An entry in a fresh open case."""
    return str(ca.add_entry(ca.create_case()["id"])["id"])


# --------------------------------------------------------------------------- documents


def test_document_is_created_with_its_first_version_as_number_1(ca: CaseArchive, entry_id: str) -> None:
    sent = document("archive", role="attachment")
    response = ca.post(f"/registry-entries/{entry_id}/documents", sent)
    assert response.status_code == 201, response.text
    created = response.json()
    assert_valid("Document", created)
    assert response.headers["location"] == f"{BASE}/documents/{created['id']}"
    assert response.headers["etag"].startswith('"')
    assert created["registryEntryId"] == entry_id
    assert (created["title"], created["role"]) == (sent["title"], sent["role"])
    [first] = created["versions"]
    assert first["versionNumber"] == 1
    assert first["createdAt"].endswith("Z")
    assert {k: first[k] for k in sent["version"]} == sent["version"]
    assert set(first) == {*sent["version"], "versionNumber", "createdAt"}
    fetched = ca.get(f"/documents/{created['id']}")
    assert fetched.json() == created
    assert fetched.headers["etag"] == response.headers["etag"]


def test_versions_get_the_next_number_and_earlier_ones_stay_unchanged(ca: CaseArchive, entry_id: str) -> None:
    created = ca.add_document(entry_id, document("production"))
    later = [version("archive"), version("production", fileName="soknad-v3.docx", sizeBytes=20000)]
    for number, sent in enumerate(later, start=2):
        response = ca.post(f"/documents/{created['id']}/versions", sent)
        assert response.status_code == 201, response.text
        assert response.headers["location"] == f"{BASE}/documents/{created['id']}"
        body = response.json()
        assert_valid("Document", body)
        assert body["versions"][-1]["versionNumber"] == number
        assert {k: body["versions"][-1][k] for k in sent} == sent
    stored = ca.read(f"/documents/{created['id']}", "Document")
    assert [v["versionNumber"] for v in stored["versions"]] == [1, 2, 3]
    assert stored["versions"][0] == created["versions"][0]


def test_documents_of_unknown_entries_and_versions_of_unknown_documents_are_404(ca: CaseArchive) -> None:
    assert_problem(ca.post(f"/registry-entries/{uuid.uuid4()}/documents", document()), 404, "not-found")
    assert_problem(ca.post(f"/documents/{uuid.uuid4()}/versions", version()), 404, "not-found")


@pytest.mark.parametrize(
    ("mutate", "pointer"),
    [
        (lambda v: v.update(mediaType="image/tiff"), "/version/mediaType"),
        (lambda v: v.pop("pdfaConformance"), "/version/pdfaConformance"),
        (lambda v: v.update(pdfaConformance="PDF/A-4"), "/version/pdfaConformance"),
        (lambda v: v.update(sha256="A" * 64), "/version/sha256"),
        (lambda v: v.update(fileName="mappe/soknad.pdf"), "/version/fileName"),
        (lambda v: v.update(sizeBytes=0), "/version/sizeBytes"),
    ],
)
def test_archive_versions_must_be_pdfa_with_a_pointer_at_the_member(
    ca: CaseArchive, entry_id: str, mutate: Callable[[dict[str, Any]], object], pointer: str
) -> None:
    sent = document("archive")
    mutate(sent["version"])
    response = ca.post(f"/registry-entries/{entry_id}/documents", sent)
    problem = assert_problem(response, 422, "validation")
    assert pointer in pointers(response), problem
    assert "/version" not in pointers(response)  # the member, not the whole version
    case_id = ca.read(f"/registry-entries/{entry_id}", "RegistryEntry")["caseFileId"]
    assert ca.export(case_id)["registryEntries"][0]["documents"] == []


def test_version_errors_point_at_the_member_on_every_body(ca: CaseArchive, entry_id: str) -> None:
    document_id = ca.add_document(entry_id)["id"]
    not_pdf = ca.post(f"/documents/{document_id}/versions", version("archive", mediaType="image/png"))
    assert_problem(not_pdf, 422, "validation")
    assert pointers(not_pdf) == {"/mediaType"}
    production_with_level = ca.post(
        f"/documents/{document_id}/versions", version("production", pdfaConformance="PDF/A-2b")
    )
    assert pointers(production_with_level) == {"/pdfaConformance"}
    unknown_variant = ca.post(
        f"/documents/{document_id}/versions", {**version("archive"), "variant": "draft"}
    )
    assert_problem(unknown_variant, 422, "validation")
    assert len(ca.read(f"/documents/{document_id}", "Document")["versions"]) == 1


# --------------------------------------------------------------------------- archive versions are immutable


def test_archive_version_is_immutable_and_production_version_takes_a_merge_patch(
    ca: CaseArchive, entry_id: str
) -> None:
    created = ca.add_document(entry_id, document("archive"))
    document_id = created["id"]
    ca.add_version(document_id, version("production"))
    before = ca.get(f"/documents/{document_id}")
    refused = ca.patch(f"/documents/{document_id}/versions/1", {"fileName": "endret.pdf"})
    problem = assert_problem(refused, 409, "conflict")
    assert "archived document versions are immutable" in problem["detail"]
    unchanged = ca.get(f"/documents/{document_id}")
    assert unchanged.json() == before.json()
    assert unchanged.headers["etag"] == before.headers["etag"]
    patched = ca.patch(
        f"/documents/{document_id}/versions/2", {"fileName": "endret.docx", "mediaType": "text/rtf"}
    )
    assert patched.status_code == 200, patched.text
    assert_valid("Document", patched.json())
    assert patched.headers["etag"] != before.headers["etag"]
    after = patched.json()["versions"]
    expected = {**before.json()["versions"][1], "fileName": "endret.docx", "mediaType": "text/rtf"}
    assert after[1] == expected
    assert after[0] == before.json()["versions"][0]
    assert ca.read(f"/documents/{document_id}", "Document") == patched.json()


@pytest.mark.parametrize(
    "content_type", ["application/json", "text/plain", "application/json-patch+json", None]
)
def test_patch_needs_the_merge_patch_media_type(
    ca: CaseArchive, entry_id: str, content_type: str | None
) -> None:
    document_id = ca.add_document(entry_id, document("production"))["id"]
    headers = ca.headers() | ({"Content-Type": content_type} if content_type else {})
    response = ca.http.patch(
        f"/documents/{document_id}/versions/1", content=json.dumps({"fileName": "x.docx"}), headers=headers
    )
    assert_problem(response, 415, "unsupported-media-type")
    assert response.headers["accept-patch"] == MERGE_PATCH
    assert ca.read(f"/documents/{document_id}", "Document")["versions"][0]["fileName"] == "soknad.docx"


def test_patch_accepts_a_utf8_charset_parameter(ca: CaseArchive, entry_id: str) -> None:
    document_id = ca.add_document(entry_id, document("production"))["id"]
    response = ca.patch(
        f"/documents/{document_id}/versions/1",
        {"fileName": "søknad.docx"},
        content_type=f"{MERGE_PATCH}; charset=utf-8",
    )
    assert response.status_code == 200, response.text
    assert response.json()["versions"][0]["fileName"] == "søknad.docx"


@pytest.mark.parametrize(
    ("patch", "pointer"),
    [
        ({}, ""),
        ({"sizeBytes": 5}, "/sizeBytes"),
        ({"variant": "archive"}, "/variant"),
        ({"fileName": "a/b.docx"}, "/fileName"),
        ({"fileName": None}, "/fileName"),
        ({"mediaType": "Text/Plain"}, "/mediaType"),
    ],
)
def test_invalid_patch_is_422(ca: CaseArchive, entry_id: str, patch: dict[str, Any], pointer: str) -> None:
    document_id = ca.add_document(entry_id, document("production"))["id"]
    response = ca.patch(f"/documents/{document_id}/versions/1", patch)
    assert_problem(response, 422, "validation")
    assert pointer in pointers(response)


def test_patch_of_unknown_version_is_404_and_if_match_is_honoured(ca: CaseArchive, entry_id: str) -> None:
    created = ca.post(f"/registry-entries/{entry_id}/documents", document("production"))
    document_id, etag = created.json()["id"], created.headers["etag"]
    for number in ("2", "0", "-1", "abc", "99999999999", "1.0"):
        response = ca.patch(f"/documents/{document_id}/versions/{number}", {"fileName": "x.docx"})
        assert_problem(response, 404, "not-found")
    stale = ca.patch(
        f"/documents/{document_id}/versions/1", {"fileName": "x.docx"}, headers={"If-Match": '"old"'}
    )
    assert_problem(stale, 412, "precondition-failed")
    fresh = ca.patch(
        f"/documents/{document_id}/versions/1", {"fileName": "x.docx"}, headers={"If-Match": etag}
    )
    assert fresh.status_code == 200
    assert fresh.headers["etag"] != etag


def test_closed_case_takes_no_documents_versions_or_patches(ca: CaseArchive) -> None:
    case_id = ca.create_case()["id"]
    made = ca.add_entry(case_id)
    document_id = ca.add_document(made["id"], document("production"))["id"]
    ca.close(case_id)
    before = ca.export(case_id)
    for response in (
        ca.post(f"/registry-entries/{made['id']}/documents", document()),
        ca.post(f"/documents/{document_id}/versions", version()),
        ca.patch(f"/documents/{document_id}/versions/1", {"fileName": "x.docx"}),
    ):
        problem = assert_problem(response, 409, "conflict")
        assert "closed" in problem["detail"]
    after = ca.export(case_id)
    assert after["registryEntries"] == before["registryEntries"]
    assert after["audit"] == before["audit"]
    assert ca.transition(case_id, "open").status_code == 200
    assert ca.add_version(document_id, version())["versions"][-1]["versionNumber"] == 2


# --------------------------------------------------------------------------- screening


@pytest.fixture
def screened(ca: CaseArchive) -> tuple[str, dict[str, Any], str]:
    """(case id, the screened entry as sent, its id), with a marker in every screened value."""
    case_id = ca.create_case()["id"]
    sent = entry(screened=True, marker=uuid.uuid4().hex)
    ca.add_entry(case_id)  # an unscreened neighbour
    return case_id, sent, ca.add_entry(case_id, sent)["id"]


def _secrets(sent: dict[str, Any]) -> list[str]:
    return [sent["title"], *(c["name"] for c in sent["correspondents"])]


def test_screened_members_are_withheld_from_every_response_without_the_scope(
    ca: CaseArchive, screened: tuple[str, dict[str, Any], str]
) -> None:
    case_id, sent, entry_id = screened
    responses = [
        ca.get(f"/registry-entries/{entry_id}", scopes=UNSCREENED),
        ca.get(f"/case-files/{case_id}/registry-entries", scopes=UNSCREENED),
        ca.get(f"/case-files/{case_id}/export", scopes=UNSCREENED),
        ca.get(f"/case-files/{case_id}/audit", scopes=UNSCREENED),
        ca.post(f"/case-files/{case_id}/registry-entries", sent, scopes=UNSCREENED),
    ]
    for response in responses:
        assert response.status_code in (200, 201), response.text
        leaked = [value for value in _secrets(sent) if value in response.text]
        assert not leaked, f"{response.request.method} {response.request.url} leaks {leaked}"
    view = responses[0].json()
    assert_valid("RegistryEntry", view)
    assert "title" not in view
    assert "correspondents" not in view
    assert view["screenedOut"] == ["correspondents", "title"]
    assert view["screening"] == sent["screening"]  # the legal basis is not secret
    assert {k: view[k] for k in ("type", "documentDate", "receivedDate")} == {
        k: sent[k] for k in ("type", "documentDate", "receivedDate")
    }
    listed = responses[1].json()["items"]
    assert [("screenedOut" in e) for e in listed] == [False, True]
    assert listed[1] == view
    assert responses[4].json()["screenedOut"] == ["correspondents", "title"]


def test_screened_members_are_visible_with_the_scope(
    ca: CaseArchive, screened: tuple[str, dict[str, Any], str]
) -> None:
    case_id, sent, entry_id = screened
    view = ca.read(f"/registry-entries/{entry_id}", "RegistryEntry")
    assert {k: view[k] for k in sent} == sent
    assert "screenedOut" not in view
    assert ca.entries(case_id)[1] == view
    assert ca.export(case_id)["registryEntries"][1]["entry"] == sent


def test_only_the_listed_members_are_screened(ca: CaseArchive) -> None:
    case_id = ca.create_case()["id"]
    sent = entry(screened=True)
    sent["screening"]["screenedMembers"] = ["correspondents"]
    entry_id = ca.add_entry(case_id, sent)["id"]
    view = ca.read(f"/registry-entries/{entry_id}", "RegistryEntry", scopes=(READ,))
    assert view["title"] == sent["title"]
    assert "correspondents" not in view
    assert view["screenedOut"] == ["correspondents"]


def test_export_without_the_screened_scope_is_incomplete_and_cannot_be_imported(
    ca: CaseArchive, screened: tuple[str, dict[str, Any], str]
) -> None:
    case_id, _, _ = screened
    partial = ca.get(f"/case-files/{case_id}/export", scopes=UNSCREENED).json()
    assert {e.pointer for e in errors_of("CaseExport", partial)} == {
        "/registryEntries/1/entry/title",
        "/registryEntries/1/entry/correspondents",
    }
    refused = ca.post("/case-files/import", partial)
    assert_problem(refused, 422, "validation")
    assert "/registryEntries/1/entry/title" in pointers(refused)
    assert len(ca.walk("/case-files", "CaseFilePage")) == 1
