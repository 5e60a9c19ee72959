"""Checks for case-archive@1.0 (spec/case-archive/1.0/index.md).

One function per requirement (a few requirements have two); each may only
fail when the system under test breaks that requirement.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from felles.runner.assertions import expect_json_body, expect_problem, expect_status, header
from felles.runner.checks.shared import (
    FORGED_JWT,
    expect_declaration,
    expect_exactly_once,
    json_diff,
    parse_instant,
    problem_detail,
    walk_pages,
)
from felles.runner.client import ApiClient, Response
from felles.runner.config import RunConfig
from felles.runner.failures import expect
from felles.runner.generators import Generators
from felles.runner.plugin import ExamplesDecorator as Examples
from felles.standard import Component
from felles.strategies.near_miss import NearMiss

requirement = pytest.mark.requirement

CASES = "/case-files"
CASE_MEMBERS = ("title", "classification", "responsibleUnit", "caseOfficer", "description")
ENTRY_MEMBERS = ("type", "title", "correspondents", "documentDate", "receivedDate", "sentDate", "screening")
EXPORT_VOLATILE = ("exportedAt", "source", "audit")


# ------------------------------------------------------------------ helpers


def create_case(api: ApiClient, gen: Generators, payload: Any) -> tuple[Response, dict[str, Any]]:
    response = api.post(CASES, payload)
    expect(
        response.status_code == 201,
        f"POST {CASES} answered {response.status_code}, not 201" + problem_detail(response),
    )
    return response, dict(expect_json_body(response, gen.validator("CaseFile")))


def get_case(api: ApiClient, gen: Generators, case_id: str) -> dict[str, Any]:
    response = api.get(f"{CASES}/{case_id}")
    expect_status(response, 200)
    return dict(expect_json_body(response, gen.validator("CaseFile")))


def add_entry(api: ApiClient, case_id: str, payload: Any) -> Response:
    return api.post(f"{CASES}/{case_id}/registry-entries", payload)


def add_entry_ok(api: ApiClient, gen: Generators, case_id: str, payload: Any) -> dict[str, Any]:
    response = add_entry(api, case_id, payload)
    expect(
        response.status_code == 201,
        f"registering an entry answered {response.status_code}, not 201" + problem_detail(response),
    )
    return dict(expect_json_body(response, gen.validator("RegistryEntry")))


def get_entry(api: ApiClient, gen: Generators, entry_id: str) -> tuple[Response, dict[str, Any]]:
    response = api.get(f"/registry-entries/{entry_id}")
    expect_status(response, 200)
    return response, dict(expect_json_body(response, gen.validator("RegistryEntry")))


def entries_of(api: ApiClient, gen: Generators, case_id: str, limit: int = 100) -> list[dict[str, Any]]:
    return walk_pages(
        api, f"{CASES}/{case_id}/registry-entries", gen.validator("RegistryEntryPage"), {"limit": limit}
    )


def transition(api: ApiClient, case_id: str, to: str) -> Response:
    return api.post(f"{CASES}/{case_id}/transitions", {"to": to})


def add_document(
    api: ApiClient, gen: Generators, entry_id: str, payload: Any
) -> tuple[Response, dict[str, Any]]:
    response = api.post(f"/registry-entries/{entry_id}/documents", payload)
    expect(
        response.status_code == 201,
        f"adding a document answered {response.status_code}, not 201" + problem_detail(response),
    )
    return response, dict(expect_json_body(response, gen.validator("Document")))


def get_document(api: ApiClient, gen: Generators, document_id: str) -> dict[str, Any]:
    response = api.get(f"/documents/{document_id}")
    expect_status(response, 200)
    return dict(expect_json_body(response, gen.validator("Document")))


def export(api: ApiClient, gen: Generators, case_id: str) -> tuple[Response, dict[str, Any]]:
    response = api.get(f"{CASES}/{case_id}/export")
    expect_status(response, 200)
    return response, dict(expect_json_body(response, gen.validator("CaseExport")))


def submitted(payload: dict[str, Any], stored: dict[str, Any], members: tuple[str, ...], what: str) -> None:
    sent = {k: payload[k] for k in members if k in payload}
    got = {k: stored[k] for k in members if k in stored}
    expect(sent == got, f"{what} differs from what was submitted: " + json_diff(sent, got))


def archive_versions(gen: Generators) -> st.SearchStrategy[dict[str, Any]]:
    return gen.valid("DocumentVersionInput").filter(lambda v: v["variant"] == "archive")


def production_versions(gen: Generators) -> st.SearchStrategy[dict[str, Any]]:
    return gen.valid("DocumentVersionInput").filter(lambda v: v["variant"] == "production")


def screened_entry(entry: dict[str, Any], marker: str) -> dict[str, Any]:
    """``entry`` with distinctive title and names, both screened under offl. § 13."""
    entry = copy.deepcopy(entry)
    entry["title"] = f"Skjermet tittel {marker}"
    for index, correspondent in enumerate(entry["correspondents"]):
        correspondent["name"] = f"Skjermet part {index} {marker}"
    entry["screening"] = {
        "code": "offl-13",
        "legalBasis": "Offl. § 13 jf. fvl. § 13 (1) nr.1",
        "screenedMembers": ["correspondents", "title"],
    }
    return entry


def secrets_in(text: str, entry: dict[str, Any]) -> list[str]:
    values = [entry["title"], *(c["name"] for c in entry["correspondents"])]
    return [value for value in values if value in text]


# ------------------------------------------------------------------ core


@requirement("/req/case-archive/core/conformance")
def check_conformance_declaration(anonymous: ApiClient, component: Component, run_config: RunConfig) -> None:
    expect_declaration(anonymous, component, run_config)


@requirement("/req/case-archive/core/create")
def check_create_case_file(api: ApiClient, gen: Generators, examples: Examples) -> None:
    @examples
    @given(payload=gen.valid("CaseFileInput"))
    def attempt(payload: Any) -> None:
        now = datetime.now(UTC)
        response, body = create_case(api, gen, payload)
        expect(header(response, "Location") is not None, "201 Created without a Location header")
        expect(body["status"] == "open", f"a new case file has status {body['status']!r}, not 'open'")
        years = {(now + timedelta(hours=h)).year for h in (-14, 0, 14)}
        expect(body["caseYear"] in years, f"caseYear {body['caseYear']} is not the current year {now.year}")
        number = f"{body['caseYear']}/{body['caseSequenceNumber']}"
        expect(
            body["caseNumber"] == number,
            f"caseNumber {body['caseNumber']!r} is not caseYear/sequence {number!r}",
        )

    attempt()


@requirement("/req/case-archive/core/read-back")
def check_case_read_back(api: ApiClient, gen: Generators, examples: Examples) -> None:
    @examples
    @given(payload=gen.valid("CaseFileInput"))
    def attempt(payload: Any) -> None:
        _, created = create_case(api, gen, payload)
        submitted(payload, get_case(api, gen, created["id"]), CASE_MEMBERS, f"case file {created['id']}")

    attempt()


@requirement("/req/case-archive/core/reject-invalid")
def check_rejects_invalid_case_files(api: ApiClient, gen: Generators, examples: Examples) -> None:
    @examples
    @given(miss=gen.near_miss("CaseFileInput"))
    def attempt(miss: NearMiss) -> None:
        _expect_rejected_at(api.post(CASES, miss.instance), miss)

    attempt()


@requirement("/req/case-archive/core/reject-invalid")
def check_rejects_invalid_entries(api: ApiClient, gen: Generators, examples: Examples) -> None:
    @examples
    @given(case=gen.valid("CaseFileInput"), miss=gen.near_miss("RegistryEntryInput"))
    def attempt(case: Any, miss: NearMiss) -> None:
        _, created = create_case(api, gen, case)
        _expect_rejected_at(add_entry(api, created["id"], miss.instance), miss)
        expect(not entries_of(api, gen, created["id"]), "a rejected registry entry was created anyway")

    attempt()


def _expect_rejected_at(response: Response, miss: NearMiss) -> None:
    expect(
        response.status_code in (400, 422),
        f"input with {miss.reason} at {miss.pointer} was answered {response.status_code}, not 400 or 422",
    )
    problem = expect_problem(response, 400, 422)
    pointers = [str(e.get("pointer")) for e in problem.get("errors", []) if isinstance(e, dict)]
    expect(
        miss.pointer in pointers,
        f"input broken at {miss.pointer} ({miss.reason}); errors point at {pointers}",
    )


@requirement("/req/case-archive/core/case-number-unique")
def check_case_numbers_unique(api: ApiClient, gen: Generators, examples: Examples) -> None:
    @examples(max_examples=1)
    @given(payload=gen.valid("CaseFileInput"))
    def attempt(payload: Any) -> None:
        sequential = [create_case(api, gen, payload)[1] for _ in range(4)]
        numbers = [(c["caseYear"], c["caseSequenceNumber"]) for c in sequential]
        expect(numbers == sorted(set(numbers)), f"case numbers of cases created one after another: {numbers}")
        with ThreadPoolExecutor(max_workers=8) as pool:
            concurrent = list(pool.map(lambda _: create_case(api, gen, payload)[1], range(16)))
        every = [c["caseNumber"] for c in sequential + concurrent]
        duplicates = sorted({n for n in every if every.count(n) > 1})
        expect(not duplicates, f"case numbers given twice under concurrent creation: {duplicates}")

    attempt()


@requirement("/req/case-archive/core/entry-create")
def check_entry_create(api: ApiClient, gen: Generators, examples: Examples) -> None:
    @examples
    @given(
        case=gen.valid("CaseFileInput"),
        entries=st.lists(gen.valid("RegistryEntryInput"), min_size=1, max_size=3),
    )
    def attempt(case: Any, entries: list[Any]) -> None:
        _, created = create_case(api, gen, case)
        for number, payload in enumerate(entries, start=1):
            entry = add_entry_ok(api, gen, created["id"], payload)
            expect(
                entry["caseFileId"] == created["id"],
                f"entry belongs to {entry['caseFileId']}, not {created['id']}",
            )
            expect(
                entry["entryNumber"] == number,
                f"entry {number} of the case got entryNumber {entry['entryNumber']}",
            )
            wanted = f"{created['caseNumber']}-{number}"
            expect(
                entry["registryEntryNumber"] == wanted,
                f"registryEntryNumber {entry['registryEntryNumber']!r}, expected {wanted!r}",
            )
            submitted(
                payload, get_entry(api, gen, entry["id"])[1], ENTRY_MEMBERS, f"registry entry {entry['id']}"
            )

    attempt()


@requirement("/req/case-archive/core/entry-single-case")
def check_entry_in_one_case(api: ApiClient, gen: Generators, examples: Examples) -> None:
    @examples(max_examples=2)
    @given(case=gen.valid("CaseFileInput"), entry=gen.valid("RegistryEntryInput"))
    def attempt(case: Any, entry: Any) -> None:
        first, second = create_case(api, gen, case)[1], create_case(api, gen, case)[1]
        created = add_entry_ok(api, gen, first["id"], entry)
        in_first = [e["id"] for e in entries_of(api, gen, first["id"])]
        in_second = [e["id"] for e in entries_of(api, gen, second["id"])]
        expect(
            in_first.count(created["id"]) == 1,
            f"the entry is listed {in_first.count(created['id'])} times under its case",
        )
        expect(created["id"] not in in_second, "the entry is also listed under another case file")
        expect(
            get_entry(api, gen, created["id"])[1]["caseFileId"] == first["id"],
            "the entry moved to another case",
        )

    attempt()


@requirement("/req/case-archive/core/case-lifecycle")
def check_close_and_reopen(api: ApiClient, gen: Generators, examples: Examples) -> None:
    @examples(max_examples=1)
    @given(case=gen.valid("CaseFileInput"))
    def attempt(case: Any) -> None:
        case_id = create_case(api, gen, case)[1]["id"]
        for to, closed in (("closed", True), ("open", False)):
            response = transition(api, case_id, to)
            expect(
                response.status_code == 200,
                f"transition to {to} answered {response.status_code}" + problem_detail(response),
            )
            body = expect_json_body(response, gen.validator("CaseFile"))
            expect(body["status"] == to, f"after the transition to {to} the status is {body['status']!r}")
            expect(
                (body.get("closedAt") is not None) == closed,
                f"closedAt is {body.get('closedAt')!r} after {to}",
            )
            again = transition(api, case_id, to)
            expect(
                again.status_code == 409,
                f"a transition to {to} when already {to} answered {again.status_code}, not 409",
            )
            expect_problem(again, 409)

    attempt()


@requirement("/req/case-archive/core/closed-case")
def check_closed_case_takes_no_entries(api: ApiClient, gen: Generators, examples: Examples) -> None:
    @examples(max_examples=2)
    @given(case=gen.valid("CaseFileInput"), entry=gen.valid("RegistryEntryInput"))
    def attempt(case: Any, entry: Any) -> None:
        case_id = create_case(api, gen, case)[1]["id"]
        add_entry_ok(api, gen, case_id, entry)
        expect_status(transition(api, case_id, "closed"), 200)
        refused = add_entry(api, case_id, entry)
        expect(
            refused.status_code == 409,
            f"registering in a closed case answered {refused.status_code}, not 409",
        )
        expect_problem(refused, 409)
        count = len(entries_of(api, gen, case_id))
        expect(count == 1, f"the closed case has {count} entries; the refused one was created")

    attempt()


@requirement("/req/case-archive/core/audit-trail")
def check_audit_trail(api: ApiClient, gen: Generators, examples: Examples) -> None:
    @examples(max_examples=1)
    @given(case=gen.valid("CaseFileInput"), entry=gen.valid("RegistryEntryInput"))
    def attempt(case: Any, entry: Any) -> None:
        sent = datetime.now(UTC)
        case_id = create_case(api, gen, case)[1]["id"]
        entry_id = add_entry_ok(api, gen, case_id, entry)["id"]
        expect_status(transition(api, case_id, "closed"), 200)
        expect_status(transition(api, case_id, "open"), 200)
        response = api.get(f"{CASES}/{case_id}/audit")
        expect_status(response, 200)
        events = expect_json_body(response, gen.validator("AuditTrail"))["items"]
        wanted = [
            ("case-created", case_id),
            ("entry-created", entry_id),
            ("case-closed", case_id),
            ("case-reopened", case_id),
        ]
        got = [(e["action"], e["objectId"]) for e in events if (e["action"], e["objectId"]) in wanted]
        expect(got == wanted, f"audit trail has {got}, expected {wanted} in this order")
        expect(all(e["actor"].strip() for e in events), "an audit event has no actor")
        instants = [parse_instant(e["at"], "audit at") for e in events]
        expect(instants == sorted(instants), "audit events are not in time order")
        # Every event here happened during this check; `at` is the true instant (common 1.0, Instants).
        skewed = [e["at"] for e in events if abs((parse_instant(e["at"], "at") - sent).total_seconds()) > 300]
        expect(
            not skewed,
            f"audit events stamped more than 5 minutes from when they happened ({sent:%H:%M:%SZ}): {skewed}",
        )

    attempt()


@requirement("/req/case-archive/core/pagination")
def check_pagination(api: ApiClient, gen: Generators, examples: Examples) -> None:
    @examples(max_examples=1)
    @given(
        case=gen.valid("CaseFileInput"),
        entries=st.lists(gen.valid("RegistryEntryInput"), min_size=5, max_size=5),
    )
    def attempt(case: Any, entries: list[Any]) -> None:
        cases = [create_case(api, gen, case)[1]["id"] for _ in range(5)]
        listed = [str(c["id"]) for c in walk_pages(api, CASES, gen.validator("CaseFilePage"), {"limit": 2})]
        expect_exactly_once(listed, cases, "case files with limit=2")
        made = [add_entry_ok(api, gen, cases[0], e)["id"] for e in entries]
        served = [str(e["id"]) for e in entries_of(api, gen, cases[0], limit=2)]
        expect_exactly_once(served, made, "registry entries with limit=2")
        expect(served == made, "registry entries are not listed in entry number order")

    attempt()


@requirement("/req/case-archive/core/authentication")
def check_authentication(anonymous: ApiClient, api: ApiClient, gen: Generators, examples: Examples) -> None:
    @examples(max_examples=1)
    @given(case=gen.valid("CaseFileInput"), entry=gen.valid("RegistryEntryInput"))
    def attempt(case: Any, entry: Any) -> None:
        case_id = create_case(api, gen, case)[1]["id"]
        probes: list[tuple[str, Callable[[], Response]]] = [
            ("list", lambda: anonymous.get(CASES)),
            ("read", lambda: anonymous.get(f"{CASES}/{case_id}")),
            ("create", lambda: anonymous.post(CASES, case)),
            ("register", lambda: add_entry(anonymous, case_id, entry)),
            ("audit", lambda: anonymous.get(f"{CASES}/{case_id}/audit")),
            ("read with a forged token", lambda: api.get(f"{CASES}/{case_id}", raw_token=FORGED_JWT)),
        ]
        for what, send in probes:
            response = send()
            expect(
                response.status_code == 401,
                f"{what} without a valid token answered {response.status_code}, not 401",
            )
            expect_problem(response, 401)
            challenge = header(response, "WWW-Authenticate") or ""
            expect(challenge.lower().startswith("bearer"), f"{what}: 401 without WWW-Authenticate: Bearer")
        expect(not entries_of(api, gen, case_id), "an unauthenticated request registered an entry")

    attempt()


@requirement("/req/case-archive/core/scopes")
def check_scopes(
    client_for: Callable[[str], ApiClient], api: ApiClient, gen: Generators, examples: Examples
) -> None:
    reader, writer = client_for("read-only"), client_for("write-only")

    @examples(max_examples=1)
    @given(case=gen.valid("CaseFileInput"), entry=gen.valid("RegistryEntryInput"))
    def attempt(case: Any, entry: Any) -> None:
        case_id = create_case(api, gen, case)[1]["id"]
        for what, response in (
            ("reading without case-archive:read", writer.get(f"{CASES}/{case_id}")),
            ("listing without case-archive:read", writer.get(CASES)),
            ("creating without case-archive:write", reader.post(CASES, case)),
            ("registering without case-archive:write", add_entry(reader, case_id, entry)),
            ("closing without case-archive:write", transition(reader, case_id, "closed")),
        ):
            expect(response.status_code == 403, f"{what} answered {response.status_code}, not 403")
            expect_problem(response, 403)
        expect(not entries_of(api, gen, case_id), "a request without write scope registered an entry")
        expect(
            get_case(api, gen, case_id)["status"] == "open", "a request without write scope closed the case"
        )

    attempt()


@requirement("/req/case-archive/core/tenant-isolation")
def check_tenant_isolation(
    client_for: Callable[[str], ApiClient],
    api: ApiClient,
    gen: Generators,
    run_config: RunConfig,
    examples: Examples,
) -> None:
    other = client_for("other-tenant")

    @examples(max_examples=1)
    @given(
        case=gen.valid("CaseFileInput"),
        entry=gen.valid("RegistryEntryInput"),
        document=gen.valid("DocumentInput"),
    )
    def attempt(case: Any, entry: Any, document: Any) -> None:
        case_id = create_case(api, gen, case)[1]["id"]
        entry_id = add_entry_ok(api, gen, case_id, entry)["id"]
        paths = [
            f"{CASES}/{case_id}",
            f"/registry-entries/{entry_id}",
            f"{CASES}/{case_id}/audit",
            f"{CASES}/{case_id}/registry-entries",
        ]
        if "documents" in run_config.classes_to_test:
            paths.append(f"/documents/{add_document(api, gen, entry_id, document)[1]['id']}")
        if "exchange" in run_config.classes_to_test:
            paths.append(f"{CASES}/{case_id}/export")
        for path in paths:
            response = other.get(path)
            expect(
                response.status_code == 404,
                f"another kommune reading {path} got {response.status_code}, not 404",
            )
            expect_problem(response, 404)
        moved = transition(other, case_id, "closed")
        expect(moved.status_code == 404, f"another kommune closing the case got {moved.status_code}, not 404")
        listed = [
            str(c["id"]) for c in walk_pages(other, CASES, gen.validator("CaseFilePage"), {"limit": 100})
        ]
        expect(case_id not in listed, "another kommune's list includes this kommune's case file")

    attempt()


# ------------------------------------------------------------------ documents


@requirement("/req/case-archive/documents/create")
def check_document_create(api: ApiClient, gen: Generators, examples: Examples) -> None:
    @examples
    @given(
        case=gen.valid("CaseFileInput"),
        entry=gen.valid("RegistryEntryInput"),
        document=gen.valid("DocumentInput"),
    )
    def attempt(case: Any, entry: Any, document: Any) -> None:
        entry_id = add_entry_ok(api, gen, create_case(api, gen, case)[1]["id"], entry)["id"]
        response, body = add_document(api, gen, entry_id, document)
        expect(header(response, "Location") is not None, "201 Created without a Location header")
        stored = get_document(api, gen, body["id"])
        submitted(document, stored, ("title", "role"), f"document {body['id']}")
        expect(len(stored["versions"]) == 1, f"a new document has {len(stored['versions'])} versions")
        first = stored["versions"][0]
        expect(first["versionNumber"] == 1, f"the first version is number {first['versionNumber']}")
        submitted(document["version"], first, tuple(document["version"]), "version 1")

    attempt()


@requirement("/req/case-archive/documents/versions")
def check_document_versions(api: ApiClient, gen: Generators, examples: Examples) -> None:
    @examples
    @given(
        case=gen.valid("CaseFileInput"),
        entry=gen.valid("RegistryEntryInput"),
        document=gen.valid("DocumentInput"),
        later=st.lists(gen.valid("DocumentVersionInput"), min_size=1, max_size=2),
    )
    def attempt(case: Any, entry: Any, document: Any, later: list[Any]) -> None:
        entry_id = add_entry_ok(api, gen, create_case(api, gen, case)[1]["id"], entry)["id"]
        document_id = add_document(api, gen, entry_id, document)[1]["id"]
        before = get_document(api, gen, document_id)["versions"]
        for number, version in enumerate(later, start=2):
            response = api.post(f"/documents/{document_id}/versions", version)
            expect(
                response.status_code == 201,
                f"adding version {number} answered {response.status_code}" + problem_detail(response),
            )
        versions = get_document(api, gen, document_id)["versions"]
        numbers = [v["versionNumber"] for v in versions]
        expect(numbers == list(range(1, len(later) + 2)), f"version numbers are {numbers}")
        expect(
            versions[0] == before[0],
            "adding a version changed version 1: " + json_diff(before[0], versions[0]),
        )
        for version, stored in zip(later, versions[1:], strict=True):
            submitted(version, stored, tuple(version), f"version {stored['versionNumber']}")

    attempt()


@requirement("/req/case-archive/documents/archive-format")
def check_archive_format(api: ApiClient, gen: Generators, examples: Examples) -> None:
    @examples(max_examples=3)
    @given(
        case=gen.valid("CaseFileInput"),
        entry=gen.valid("RegistryEntryInput"),
        document=gen.valid("DocumentInput"),
        archive=archive_versions(gen),
        media_type=st.sampled_from(["image/tiff", "application/msword", "text/plain", "image/jpeg"]),
    )
    def attempt(case: Any, entry: Any, document: Any, archive: Any, media_type: str) -> None:
        entry_id = add_entry_ok(api, gen, create_case(api, gen, case)[1]["id"], entry)["id"]
        not_pdf = {**archive, "mediaType": media_type}
        no_level = {k: v for k, v in archive.items() if k != "pdfaConformance"}
        for version, pointer in ((not_pdf, "/version/mediaType"), (no_level, "/version/pdfaConformance")):
            response = api.post(f"/registry-entries/{entry_id}/documents", {**document, "version": version})
            expect(
                response.status_code == 422,
                f"an archive version that is not PDF/A answered {response.status_code}, not 422",
            )
            problem = expect_problem(response, 422)
            pointers = [str(e.get("pointer")) for e in problem.get("errors", []) if isinstance(e, dict)]
            expect(pointer in pointers, f"the problem points at {pointers}, not {pointer}")

    attempt()


@requirement("/req/case-archive/documents/archive-immutable")
def check_archive_immutable(api: ApiClient, gen: Generators, examples: Examples) -> None:
    @examples(max_examples=2)
    @given(
        case=gen.valid("CaseFileInput"),
        entry=gen.valid("RegistryEntryInput"),
        document=gen.valid("DocumentInput"),
        archive=archive_versions(gen),
        production=production_versions(gen),
    )
    def attempt(case: Any, entry: Any, document: Any, archive: Any, production: Any) -> None:
        entry_id = add_entry_ok(api, gen, create_case(api, gen, case)[1]["id"], entry)["id"]
        document_id = add_document(api, gen, entry_id, {**document, "version": archive})[1]["id"]
        expect_status(api.post(f"/documents/{document_id}/versions", production), 201)
        before = get_document(api, gen, document_id)["versions"]
        patch = {"fileName": f"endret-{uuid.uuid4().hex[:8]}.pdf"}
        merge = {"Content-Type": "application/merge-patch+json"}
        refused = api.request("PATCH", f"/documents/{document_id}/versions/1", json_body=patch, headers=merge)
        expect(
            refused.status_code == 409, f"changing an archive version answered {refused.status_code}, not 409"
        )
        expect_problem(refused, 409)
        after = get_document(api, gen, document_id)["versions"]
        expect(after[0] == before[0], "the archive version changed: " + json_diff(before[0], after[0]))
        allowed = api.request("PATCH", f"/documents/{document_id}/versions/2", json_body=patch, headers=merge)
        expect(
            allowed.status_code == 200,
            f"changing a production version answered {allowed.status_code}" + problem_detail(allowed),
        )
        changed = get_document(api, gen, document_id)["versions"][1]
        expect(
            changed["fileName"] == patch["fileName"],
            "the merge patch was not applied to the production version",
        )

    attempt()


# ------------------------------------------------------------------ screening


@requirement("/req/case-archive/screening/withheld")
def check_screened_members_withheld(
    client_for: Callable[[str], ApiClient],
    api: ApiClient,
    gen: Generators,
    run_config: RunConfig,
    examples: Examples,
) -> None:
    outsider = client_for("unscreened")

    @examples(max_examples=2)
    @given(case=gen.valid("CaseFileInput"), entry=gen.valid("RegistryEntryInput"))
    def attempt(case: Any, entry: Any) -> None:
        secret = screened_entry(entry, uuid.uuid4().hex)
        case_id = create_case(api, gen, case)[1]["id"]
        entry_id = add_entry_ok(api, gen, case_id, secret)["id"]
        responses = [
            outsider.get(f"/registry-entries/{entry_id}"),
            outsider.get(f"{CASES}/{case_id}/registry-entries"),
        ]
        if "exchange" in run_config.classes_to_test:
            responses.append(outsider.get(f"{CASES}/{case_id}/export"))
        for response in responses:
            expect_status(response, 200)
            leaked = secrets_in(response.text, secret)
            expect(
                not leaked,
                f"{response.method} {response.url} shows screened values to a caller without "
                f"case-archive:screened: {leaked}",
            )
        view = expect_json_body(responses[0], gen.validator("RegistryEntry"))
        present = [m for m in ("title", "correspondents") if m in view]
        expect(
            not present, f"screened members {present} are present for a caller without case-archive:screened"
        )
        expect(
            sorted(view.get("screenedOut", [])) == ["correspondents", "title"],
            f"screenedOut is {view.get('screenedOut')!r}, expected the screened members",
        )

    attempt()


@requirement("/req/case-archive/screening/visible")
def check_screened_members_visible(api: ApiClient, gen: Generators, examples: Examples) -> None:
    @examples(max_examples=2)
    @given(case=gen.valid("CaseFileInput"), entry=gen.valid("RegistryEntryInput"))
    def attempt(case: Any, entry: Any) -> None:
        secret = screened_entry(entry, uuid.uuid4().hex)
        entry_id = add_entry_ok(api, gen, create_case(api, gen, case)[1]["id"], secret)["id"]
        submitted(
            secret,
            get_entry(api, gen, entry_id)[1],
            ENTRY_MEMBERS,
            "a screened entry read with the screened scope",
        )

    attempt()


@requirement("/req/case-archive/screening/legal-basis")
def check_screening_needs_legal_basis(api: ApiClient, gen: Generators, examples: Examples) -> None:
    @examples(max_examples=2)
    @given(case=gen.valid("CaseFileInput"), entry=gen.valid("RegistryEntryInput"))
    def attempt(case: Any, entry: Any) -> None:
        case_id = create_case(api, gen, case)[1]["id"]
        base = screened_entry(entry, uuid.uuid4().hex)
        no_basis = copy.deepcopy(base)
        del no_basis["screening"]["legalBasis"]
        unknown_code = copy.deepcopy(base)
        unknown_code["screening"]["code"] = "unntatt"
        for payload, pointer in ((no_basis, "/screening/legalBasis"), (unknown_code, "/screening/code")):
            response = add_entry(api, case_id, payload)
            expect(
                response.status_code == 422,
                f"screening with a bad {pointer} answered {response.status_code}, not 422",
            )
            problem = expect_problem(response, 422)
            pointers = [str(e.get("pointer")) for e in problem.get("errors", []) if isinstance(e, dict)]
            expect(pointer in pointers, f"the problem points at {pointers}, not {pointer}")
        expect(not entries_of(api, gen, case_id), "an entry with an invalid screening was created")

    attempt()


# ------------------------------------------------------------------ exchange


def _build_case(
    api: ApiClient, gen: Generators, case: Any, entries: list[Any], documents: list[Any], extra: Any
) -> str:
    case_id = create_case(api, gen, case)[1]["id"]
    for entry, document in zip(entries, documents, strict=False):
        entry_id = add_entry_ok(api, gen, case_id, entry)["id"]
        document_id = add_document(api, gen, entry_id, document)[1]["id"]
        expect_status(api.post(f"/documents/{document_id}/versions", extra), 201)
    return str(case_id)


@requirement("/req/case-archive/exchange/export")
def check_export(api: ApiClient, gen: Generators, examples: Examples) -> None:
    @examples(max_examples=2)
    @given(
        case=gen.valid("CaseFileInput"),
        entries=st.lists(gen.valid("RegistryEntryInput"), min_size=1, max_size=3),
        documents=st.lists(gen.valid("DocumentInput"), min_size=3, max_size=3),
        extra=gen.valid("DocumentVersionInput"),
    )
    def attempt(case: Any, entries: list[Any], documents: list[Any], extra: Any) -> None:
        case_id = _build_case(api, gen, case, entries, documents, extra)
        _, document = export(api, gen, case_id)
        submitted(case, document["caseFile"], CASE_MEMBERS, "the exported case file")
        exported = document["registryEntries"]
        expect(
            len(exported) == len(entries),
            f"the export holds {len(exported)} entries, the case {len(entries)}",
        )
        for index, (item, entry, doc) in enumerate(zip(exported, entries, documents, strict=False)):
            submitted(entry, item["entry"], ENTRY_MEMBERS, f"exported entry {index + 1}")
            expect(
                len(item["documents"]) == 1,
                f"exported entry {index + 1} has {len(item['documents'])} documents",
            )
            versions = item["documents"][0]["versions"]
            expect(
                versions == [doc["version"], extra],
                f"exported versions of entry {index + 1}: " + json_diff([doc["version"], extra], versions),
            )

    attempt()


@requirement("/req/case-archive/exchange/import-roundtrip")
def check_import_roundtrip(api: ApiClient, gen: Generators, examples: Examples) -> None:
    @examples(max_examples=2)
    @given(
        case=gen.valid("CaseFileInput"),
        entries=st.lists(gen.valid("RegistryEntryInput"), min_size=1, max_size=3),
        documents=st.lists(gen.valid("DocumentInput"), min_size=3, max_size=3),
        extra=gen.valid("DocumentVersionInput"),
        close=st.booleans(),
    )
    def attempt(case: Any, entries: list[Any], documents: list[Any], extra: Any, close: bool) -> None:
        case_id = _build_case(api, gen, case, entries, documents, extra)
        if close:
            expect_status(transition(api, case_id, "closed"), 200)
        _, original = export(api, gen, case_id)
        response = api.post(f"{CASES}/import", original)
        expect(
            response.status_code == 201,
            f"importing an export answered {response.status_code}" + problem_detail(response),
        )
        imported = expect_json_body(response, gen.validator("CaseFile"))
        expect(imported["id"] != case_id, "the import did not create a new case file")
        _, again = export(api, gen, imported["id"])
        before, after = _stable(original), _stable(again)
        expect(after == before, "export after import differs: " + json_diff(before, after))

    attempt()


def _stable(document: dict[str, Any]) -> dict[str, Any]:
    """An export without the members that differ between systems and runs."""
    return {k: v for k, v in document.items() if k not in EXPORT_VOLATILE}


@requirement("/req/case-archive/exchange/import-invalid")
def check_import_invalid(api: ApiClient, gen: Generators, examples: Examples) -> None:
    @examples(max_examples=3)
    @given(miss=gen.near_miss("CaseExport"), marker=st.uuids())
    def attempt(miss: NearMiss, marker: uuid.UUID) -> None:
        broken = copy.deepcopy(miss.instance)
        title = f"Import-test {marker}"
        # Mark the document so a wrongly created case can be found; never touch the broken member.
        # (A near-miss may replace the whole document, e.g. by a number: nothing to mark then.)
        case_file = broken.get("caseFile") if isinstance(broken, dict) else None
        if isinstance(case_file, dict) and not miss.pointer.startswith("/caseFile/title"):
            broken["caseFile"]["title"] = title
        response = api.post(f"{CASES}/import", broken)
        expect(
            response.status_code in (400, 422),
            f"an invalid export ({miss.reason} at {miss.pointer}) was answered {response.status_code}",
        )
        expect_problem(response, 400, 422)
        titles = [
            c.get("title") for c in walk_pages(api, CASES, gen.validator("CaseFilePage"), {"limit": 100})
        ]
        expect(title not in titles, "an invalid import created a case file")

    attempt()
    _expect_top_level_breaks_rejected(api, gen, examples)


def _expect_top_level_breaks_rejected(api: ApiClient, gen: Generators, examples: Examples) -> None:
    """Every break of the export's own members (format version, source, status, ...) is refused.

    Deterministic: a random near-miss mostly breaks a nested case file or entry,
    which an importer that skips validating the export may still catch by
    validating its parts; these breaks only validating the export itself catches.
    """

    @examples(max_examples=1)
    @given(valid=gen.valid("CaseExport"))
    def attempt(valid: Any) -> None:
        for miss in gen.all_near_misses("CaseExport", valid):
            if miss.pointer.count("/") != 1:
                continue
            response = api.post(f"{CASES}/import", miss.instance)
            expect(
                response.status_code in (400, 422),
                f"an export with {miss.reason} at {miss.pointer} was imported ({response.status_code})",
            )

    attempt()
