"""HTTP binding of case-archive@1.0: auth, parsing, validation, problems, headers.

Every handler checks the scope first (before reading the body, so a caller
without it learns nothing more), then validates the body against the
standard's own schema (422 with JSON Pointers), then calls the service in a
worker thread and maps its domain errors to problems. Another kommune's
objects are ``404``, never ``403``. That plumbing is :class:`.shared.ComponentRoutes`;
this module adds the case archive's schemas, parsers and problems.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

from referencing import Resource
from referencing.jsonschema import DRAFT202012
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from felles.reference.components.case_archive_model import (
    NAME,
    SCOPE_READ,
    SCOPE_WRITE,
    STATUSES,
    VERSION,
    Caller,
    CaseClosedError,
    TransitionNotAllowedError,
    VersionImmutableError,
)
from felles.reference.components.case_archive_service import CaseArchiveService
from felles.reference.components.shared import (
    ComponentRoutes,
    Created,
    DomainError,
    cursor_after,
    decode_cursor,
    enum_query,
    keyset_response,
    parse_idempotency_key,
    parse_limit,
    query_fingerprint,
    reject_field_errors,
    representation_response,
    shown_id,
)
from felles.reference.http import IfMatch, allowed_values_text, json_response, single_query_value
from felles.reference.problems import ProblemError, ProblemType
from felles.standard import default_registry, schema_uri
from felles.standard.validation import FieldError, SchemaValidator, validator_for

CASE_FILE_INPUT = schema_uri(NAME, VERSION, "CaseFileInput")
TRANSITION = schema_uri(NAME, VERSION, "CaseFileTransition")
REGISTRY_ENTRY_INPUT = schema_uri(NAME, VERSION, "RegistryEntryInput")
DOCUMENT_INPUT = schema_uri(NAME, VERSION, "DocumentInput")
DOCUMENT_VERSION_INPUT = schema_uri(NAME, VERSION, "DocumentVersionInput")
DOCUMENT_VERSION_PATCH = schema_uri(NAME, VERSION, "DocumentVersionPatch")
CASE_EXPORT = schema_uri(NAME, VERSION, "CaseExport")

MERGE_PATCH_MEDIA_TYPE = "application/merge-patch+json"

#: ``variant`` -> the DocumentVersionInput branch (``$defs``) it selects.
VERSION_BRANCHES: Mapping[str, str] = {"production": "ProductionVersion", "archive": "ArchiveVersion"}


# --------------------------------------------------------------------------- validation


@cache
def _branch_validator(branch: str) -> SchemaValidator:
    """A validator for one ``oneOf`` branch of DocumentVersionInput, through a local wrapper schema."""
    uri = f"https://felles.example/reference/{NAME}/{VERSION}/{branch}.schema.json"
    wrapper = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": uri,
        "$ref": f"{DOCUMENT_VERSION_INPUT}#/$defs/{branch}",
    }
    registry = default_registry().with_resource(
        uri, Resource.from_contents(wrapper, default_specification=DRAFT202012)
    )
    return SchemaValidator(uri, registry)


def _version_locations(schema: str, body: Any) -> Iterator[tuple[str, Any]]:
    """Where DocumentVersionInput objects sit in a body of ``schema``, as (pointer, value)."""
    if schema == DOCUMENT_VERSION_INPUT:
        yield "", body
    elif schema == DOCUMENT_INPUT and isinstance(body, dict):
        yield "/version", body.get("version")
    elif schema == CASE_EXPORT and isinstance(body, dict):
        for i, item in _indexed(body.get("registryEntries")):
            for j, document in _indexed(item.get("documents") if isinstance(item, dict) else None):
                versions = document.get("versions") if isinstance(document, dict) else None
                for k, version in _indexed(versions):
                    yield f"/registryEntries/{i}/documents/{j}/versions/{k}", version


def _indexed(value: Any) -> Iterator[tuple[int, Any]]:
    return enumerate(value) if isinstance(value, list) else iter(())


def body_errors(schema: str, body: Any) -> list[FieldError]:
    """Schema errors of ``body``, with version errors pointing at the member that is wrong.

    The generic validator cannot tell which ``oneOf`` branch an archive version with a
    wrong ``mediaType`` was meant for (both branches fail on a ``const``) and points at the
    whole version; ``variant`` is the discriminator, so validate against its branch instead.
    """
    errors = validator_for(schema).errors(body)
    if not errors:
        return errors
    for location, version in _version_locations(schema, body):
        variant = version.get("variant") if isinstance(version, dict) else None
        branch = VERSION_BRANCHES.get(variant) if isinstance(variant, str) else None
        if branch is None or not any(e.pointer == location for e in errors):
            continue
        refined = [
            FieldError(location + e.pointer, e.detail) for e in _branch_validator(branch).errors(version)
        ]
        if refined:
            errors = [e for e in errors if e.pointer != location] + refined
    return sorted(set(errors))


def validate(schema: str, body: Any) -> None:
    """422 with one pointer per invalid member; details shortened and the list capped.

    Stays in this module: the mutant tests patch ``validator_for`` here.
    """
    reject_field_errors(body_errors(schema, body))


# --------------------------------------------------------------------------- small parsers


# --------------------------------------------------------------------------- routes


class CaseArchiveRoutes(ComponentRoutes[CaseArchiveService]):
    """HTTP binding of one :class:`CaseArchiveService`."""

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/case-files", self.case_files, methods=["GET", "POST"], name="case-files"),
            Route("/case-files/import", self.import_case, methods=["POST"], name="case-import"),
            Route("/case-files/{id}", self.get_case, methods=["GET"], name="case-file"),
            Route("/case-files/{id}/transitions", self.transition, methods=["POST"], name="case-transitions"),
            Route(
                "/case-files/{id}/registry-entries",
                self.case_entries,
                methods=["GET", "POST"],
                name="case-registry-entries",
            ),
            Route("/case-files/{id}/audit", self.audit, methods=["GET"], name="case-audit"),
            Route("/case-files/{id}/export", self.export, methods=["GET"], name="case-export"),
            Route("/registry-entries/{id}", self.get_entry, methods=["GET"], name="registry-entry"),
            Route(
                "/registry-entries/{id}/documents",
                self.create_document,
                methods=["POST"],
                name="entry-documents",
            ),
            Route("/documents/{id}", self.get_document, methods=["GET"], name="document"),
            Route("/documents/{id}/versions", self.add_version, methods=["POST"], name="document-versions"),
            Route(
                "/documents/{id}/versions/{number}",
                self.patch_version,
                methods=["PATCH"],
                name="document-version",
            ),
        ]

    # ---- plumbing

    def _caller(self, request: Request, scope: str) -> Caller:
        return self.service.caller(self.principal(request, scope))

    def validate_body(self, schema: str, body: Any) -> None:
        validate(schema, body)

    def problem(self, exc: DomainError) -> ProblemError:
        """Case-archive refusals; the common ones (404, 412, cursor, key reuse) in the base."""
        if isinstance(exc, TransitionNotAllowedError):
            allowed = self.service.transitions.get(exc.current, frozenset())
            options = allowed_values_text(allowed) if allowed else "nothing"
            return ProblemError(
                ProblemType.CONFLICT,
                f"the case file is {exc.current!r}; it can move to {options}, not {exc.to!r}",
            )
        if isinstance(exc, CaseClosedError):
            return ProblemError(
                ProblemType.CONFLICT,
                f"case file {exc.case_number} is closed; reopen it before adding or changing content",
            )
        if isinstance(exc, VersionImmutableError):
            return ProblemError(
                ProblemType.CONFLICT,
                f"archived document versions are immutable (version {exc.number} is an archive version); "
                "add a new version instead",
            )
        return super().problem(exc)

    # ---- case files

    async def case_files(self, request: Request) -> Response:
        """One route per path, so a 405 names every allowed method in ``Allow``."""
        if request.method == "POST":
            return await self.create_case(request)
        return await self.list_cases(request)

    async def create_case(self, request: Request) -> Response:
        caller = self._caller(request, SCOPE_WRITE)
        key = parse_idempotency_key(request)
        body = await self.valid_body(request, CASE_FILE_INPUT)
        created = await self.call(self.service.create_case, caller, body, idempotency_key=key)
        return self._created_case(request, created)

    def _created_case(self, request: Request, created: Created[Any]) -> Response:
        representation = created.representation
        location = self.url(request, "case-files", representation.resource_id)
        return representation_response(representation, status=201, location=location)

    async def list_cases(self, request: Request) -> Response:
        caller = self._caller(request, SCOPE_READ)
        status = enum_query(request, "status", STATUSES)
        limit = parse_limit(single_query_value(request, "limit"))
        fingerprint = query_fingerprint("case-files", caller.tenant, status or "")
        after = cursor_after(request, fingerprint)
        page = await self.call(self.service.list_cases, caller, status=status, after_id=after, limit=limit)
        query: dict[str, str | int] = {"limit": limit}
        if status is not None:
            query["status"] = status
        return keyset_response(request, page, query=query, fingerprint=fingerprint)

    async def get_case(self, request: Request) -> Response:
        caller = self._caller(request, SCOPE_READ)
        representation = await self.call(self.service.get_case, caller, request.path_params["id"])
        return representation_response(representation)

    async def transition(self, request: Request) -> Response:
        caller = self._caller(request, SCOPE_WRITE)
        if_match = IfMatch.parse(request.headers.get("if-match"))
        body = await self.valid_body(request, TRANSITION)
        representation = await self.call(
            self.service.transition,
            caller,
            request.path_params["id"],
            body["to"],
            note=body.get("note"),
            if_match=if_match,
        )
        return representation_response(representation)

    async def audit(self, request: Request) -> Response:
        caller = self._caller(request, SCOPE_READ)
        events = await self.call(self.service.audit_trail, caller, request.path_params["id"])
        return json_response({"items": events})

    async def export(self, request: Request) -> Response:
        caller = self._caller(request, SCOPE_READ)
        return json_response(await self.call(self.service.export_case, caller, request.path_params["id"]))

    async def import_case(self, request: Request) -> Response:
        caller = self._caller(request, SCOPE_WRITE)
        key = parse_idempotency_key(request)
        body = await self.valid_body(request, CASE_EXPORT)
        created = await self.call(self.service.import_case, caller, body, idempotency_key=key)
        return self._created_case(request, created)

    # ---- registry entries

    async def case_entries(self, request: Request) -> Response:
        if request.method == "POST":
            return await self.create_entry(request)
        return await self.list_entries(request)

    async def create_entry(self, request: Request) -> Response:
        caller = self._caller(request, SCOPE_WRITE)
        body = await self.valid_body(request, REGISTRY_ENTRY_INPUT)
        view = await self.call(self.service.create_entry, caller, request.path_params["id"], body)
        return json_response(
            view.body, 201, {"Location": self.url(request, "registry-entries", view.entry_id)}
        )

    async def list_entries(self, request: Request) -> Response:
        caller = self._caller(request, SCOPE_READ)
        case_id: str = request.path_params["id"]
        limit = parse_limit(single_query_value(request, "limit"))
        fingerprint = query_fingerprint("registry-entries", caller.tenant, case_id)
        cursor = single_query_value(request, "cursor")
        after = decode_cursor(cursor, fingerprint, int) if cursor is not None else 0
        page = await self.call(self.service.list_entries, caller, case_id, after_number=after, limit=limit)
        return keyset_response(request, page, query={"limit": limit}, fingerprint=fingerprint)

    async def get_entry(self, request: Request) -> Response:
        caller = self._caller(request, SCOPE_READ)
        view = await self.call(self.service.get_entry, caller, request.path_params["id"])
        return json_response(view.body)

    # ---- documents

    async def create_document(self, request: Request) -> Response:
        caller = self._caller(request, SCOPE_WRITE)
        body = await self.valid_body(request, DOCUMENT_INPUT)
        representation = await self.call(
            self.service.create_document, caller, request.path_params["id"], body
        )
        location = self.url(request, "documents", representation.resource_id)
        return representation_response(representation, status=201, location=location)

    async def get_document(self, request: Request) -> Response:
        caller = self._caller(request, SCOPE_READ)
        representation = await self.call(self.service.get_document, caller, request.path_params["id"])
        return representation_response(representation)

    async def add_version(self, request: Request) -> Response:
        caller = self._caller(request, SCOPE_WRITE)
        body = await self.valid_body(request, DOCUMENT_VERSION_INPUT)
        document_id: str = request.path_params["id"]
        representation = await self.call(self.service.add_version, caller, document_id, body)
        # The new version has no URL of its own to GET; Location names its document.
        location = self.url(request, "documents", document_id)
        return representation_response(representation, status=201, location=location)

    async def patch_version(self, request: Request) -> Response:
        caller = self._caller(request, SCOPE_WRITE)
        _require_merge_patch(request)
        if_match = IfMatch.parse(request.headers.get("if-match"))
        body = await self.valid_body(request, DOCUMENT_VERSION_PATCH)
        document_id: str = request.path_params["id"]
        raw_number: str = request.path_params["number"]
        if not raw_number.isascii() or not raw_number.isdigit() or len(raw_number) > 9:
            raise ProblemError(
                ProblemType.NOT_FOUND,
                f"no document version {shown_id(document_id)!r}/{shown_id(raw_number)!r}",
            )
        representation = await self.call(
            self.service.patch_version, caller, document_id, int(raw_number), body, if_match=if_match
        )
        return representation_response(representation)


def _require_merge_patch(request: Request) -> None:
    """PATCH bodies are JSON merge patches (RFC 7396); plain ``application/json`` is 415."""
    content_type = request.headers.get("content-type") or ""
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type != MERGE_PATCH_MEDIA_TYPE:
        shown = f"{content_type!r}" if content_type else "no Content-Type"
        raise ProblemError(
            ProblemType.UNSUPPORTED_MEDIA_TYPE,
            f"{shown} given; send {MERGE_PATCH_MEDIA_TYPE} (RFC 7396)",
            headers={"Accept-Patch": MERGE_PATCH_MEDIA_TYPE},
        )
