"""Payloads and a small client for the case-archive@1.0 reference tests.

Payloads are built by hand from synthetic identities (fødselsnummer
15507600333 / 17912099997, organisasjonsnummer 974760673) so a failure shows
exactly what was sent. :class:`CaseArchive` wraps an ``httpx`` client on the
component root and mints tokens for the test's kommune.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import urljoin

import httpx

from felles.reference import ReferenceServer, Settings, create_app, mint_dev_token
from felles.standard import schema_uri
from felles.standard.validation import validator_for

BASE = "/case-archive/1.0"
READ = "case-archive:read"
WRITE = "case-archive:write"
SCREENED = "case-archive:screened"
ALL = (READ, WRITE, SCREENED)
UNSCREENED = (READ, WRITE)
MERGE_PATCH = "application/merge-patch+json"
SHA_A = "a" * 64
SHA_B = "b" * 64


def schema(name: str) -> str:
    return schema_uri("case-archive", "1.0", name)


PROBLEM = schema_uri("common", "1.0", "Problem")

CASE_FILE: dict[str, Any] = {
    "title": "Byggesak Storgata 1 - tilbygg",
    "classification": {"system": "KOMMUNEARKIV", "classId": "223", "title": "Byggesaker"},
    "responsibleUnit": "Plan- og bygningsetaten",
    "caseOfficer": "Kari Nordmann",
    "description": "Søknad om tilbygg.\nNabovarsel sendt.",
}

ENTRY: dict[str, Any] = {
    "type": "incoming",
    "title": "Søknad om tillatelse til tiltak",
    "correspondents": [
        {
            "role": "sender",
            "name": "Ola Nordmann",
            "nationalIdentityNumber": "15507600333",
            "address": {
                "streetName": "Storgata",
                "houseNumber": 1,
                "postalCode": "0150",
                "postalCity": "OSLO",
            },
        },
        {"role": "copy-recipient", "name": "Nordmann Bygg AS", "organizationNumber": "974760673"},
    ],
    "documentDate": "2026-03-02",
    "receivedDate": "2026-03-03",
}

SCREENING: dict[str, Any] = {
    "code": "offl-13",
    "legalBasis": "Offl. § 13 jf. fvl. § 13 (1) nr.1",
    "screenedMembers": ["title", "correspondents"],
}

ARCHIVE_VERSION: dict[str, Any] = {
    "variant": "archive",
    "mediaType": "application/pdf",
    "pdfaConformance": "PDF/A-2b",
    "fileName": "soknad.pdf",
    "sizeBytes": 48213,
    "sha256": SHA_A,
}

PRODUCTION_VERSION: dict[str, Any] = {
    "variant": "production",
    "mediaType": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "fileName": "soknad.docx",
    "sizeBytes": 18211,
    "sha256": SHA_B,
}


def case_file(**changes: Any) -> dict[str, Any]:
    """A fresh valid CaseFileInput (mutate freely)."""
    return {**copy.deepcopy(CASE_FILE), **changes}


def entry(*, screened: bool = False, marker: str = "", **changes: Any) -> dict[str, Any]:
    """A fresh valid RegistryEntryInput; ``screened`` adds an offl. § 13 screening.

    ``marker`` goes into the title and every correspondent name, so a test can search
    a response text for the values that must not leak.
    """
    body = copy.deepcopy(ENTRY)
    if marker:
        body["title"] = f"Skjermet tittel {marker}"
        for index, correspondent in enumerate(body["correspondents"]):
            correspondent["name"] = f"Skjermet part {index} {marker}"
    if screened:
        body["screening"] = copy.deepcopy(SCREENING)
    body.update(changes)
    return body


def version(variant: str = "archive", **changes: Any) -> dict[str, Any]:
    base = ARCHIVE_VERSION if variant == "archive" else PRODUCTION_VERSION
    return {**copy.deepcopy(base), **changes}


def document(variant: str = "archive", role: str = "main", **changes: Any) -> dict[str, Any]:
    """A fresh valid DocumentInput with a first version of ``variant``."""
    return {"title": "Søknad med vedlegg", "role": role, "version": version(variant), **changes}


def errors_of(name: str, instance: Any) -> list[Any]:
    return validator_for(schema(name)).errors(instance)


def assert_valid(name: str, instance: Any) -> None:
    assert errors_of(name, instance) == [], instance


def assert_problem(response: httpx.Response, status: int, slug: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert validator_for(PROBLEM).errors(body) == []
    assert body["status"] == status
    if slug is not None:
        assert body["type"] == f"https://felles.example/problems/{slug}"
    return body


def pointers(response: httpx.Response) -> set[str]:
    return {error["pointer"] for error in response.json().get("errors", [])}


def without_volatile(export: dict[str, Any]) -> dict[str, Any]:
    """An export minus what may differ between two exports of the same content."""
    return {k: v for k, v in export.items() if k not in ("exportedAt", "source", "audit")}


class CaseArchive:
    """A client on ``/case-archive/1.0`` acting for one kommune, with helpers that assert success."""

    def __init__(self, http: httpx.Client, settings: Settings, kommune: str) -> None:
        self.http = http
        self.settings = settings
        self.kommune = kommune

    # ---- raw requests

    def headers(
        self, scopes: Sequence[str] = ALL, kommune: str | None = None, **token_options: Any
    ) -> dict[str, str]:
        token = mint_dev_token(
            self.settings.jwt_secret,
            scopes,
            kommune or self.kommune,
            issuer=self.settings.issuer,
            audience=self.settings.audience,
            **token_options,
        )
        return {"Authorization": f"Bearer {token}"}

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        scopes: Sequence[str] = ALL,
        kommune: str | None = None,
        headers: dict[str, str] | None = None,
        content_type: str = "application/json",
    ) -> httpx.Response:
        sent = {**self.headers(scopes, kommune), **(headers or {})}
        content = None
        if body is not None:
            content = json.dumps(body, ensure_ascii=False).encode("utf-8")
            sent.setdefault("Content-Type", content_type)
        return self.http.request(method, path, content=content, headers=sent)

    def get(self, path: str, **options: Any) -> httpx.Response:
        return self.request("GET", path, **options)

    def post(self, path: str, body: Any, **options: Any) -> httpx.Response:
        return self.request("POST", path, body, **options)

    def patch(self, path: str, body: Any, **options: Any) -> httpx.Response:
        options.setdefault("content_type", MERGE_PATCH)
        return self.request("PATCH", path, body, **options)

    # ---- asserting helpers

    def create_case(self, body: dict[str, Any] | None = None, **options: Any) -> dict[str, Any]:
        response = self.post("/case-files", body if body is not None else case_file(), **options)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        assert_valid("CaseFile", created)
        return created

    def add_entry(self, case_id: str, body: dict[str, Any] | None = None, **options: Any) -> dict[str, Any]:
        response = self.post(f"/case-files/{case_id}/registry-entries", body or entry(), **options)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        assert_valid("RegistryEntry", created)
        return created

    def add_document(
        self, entry_id: str, body: dict[str, Any] | None = None, **options: Any
    ) -> dict[str, Any]:
        response = self.post(f"/registry-entries/{entry_id}/documents", body or document(), **options)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        assert_valid("Document", created)
        return created

    def add_version(self, document_id: str, body: dict[str, Any], **options: Any) -> dict[str, Any]:
        response = self.post(f"/documents/{document_id}/versions", body, **options)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        assert_valid("Document", created)
        return created

    def transition(self, case_id: str, to: str, **options: Any) -> httpx.Response:
        return self.post(f"/case-files/{case_id}/transitions", {"to": to}, **options)

    def close(self, case_id: str) -> dict[str, Any]:
        response = self.transition(case_id, "closed")
        assert response.status_code == 200, response.text
        closed: dict[str, Any] = response.json()
        return closed

    def read(self, path: str, schema_name: str, **options: Any) -> dict[str, Any]:
        response = self.get(path, **options)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        assert_valid(schema_name, body)
        return body

    def export(self, case_id: str, **options: Any) -> dict[str, Any]:
        return self.read(f"/case-files/{case_id}/export", "CaseExport", **options)

    def audit(self, case_id: str) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = self.read(f"/case-files/{case_id}/audit", "AuditTrail")["items"]
        return events

    def entries(self, case_id: str, limit: int = 100, **options: Any) -> list[dict[str, Any]]:
        return self.walk(
            f"/case-files/{case_id}/registry-entries?limit={limit}", "RegistryEntryPage", **options
        )

    def walk(self, first: str, page_schema: str, **options: Any) -> list[dict[str, Any]]:
        """Every item, following ``next`` links; each page is valid and the walk terminates."""
        items: list[dict[str, Any]] = []
        url: str | None = first
        for _ in range(100):
            if url is None:
                return items
            response = self.get(url, **options)
            assert response.status_code == 200, response.text
            page = response.json()
            assert_valid(page_schema, page)
            items.extend(page["items"])
            url = urljoin(str(response.request.url), page["next"]) if page["next"] is not None else None
        raise AssertionError("pagination does not terminate")


@contextmanager
def serve(settings: Settings, kommune: str, **create_app_options: Any) -> Iterator[CaseArchive]:
    """A server of its own (another database, clock or service variant) and a client on it."""
    with (
        ReferenceServer(settings, app=create_app(settings, **create_app_options)) as running,
        httpx.Client(base_url=running.base_url + BASE, timeout=30) as http,
    ):
        yield CaseArchive(http, settings, kommune)
