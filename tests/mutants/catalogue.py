"""Broken variants ("mutants") of the reference implementation, one fault each.

Every requirement of application@1.0 has at least one mutant that breaks
exactly it, as a real vendor might; ``test_mutants.py`` proves the suite
fails each one on that requirement. A check that passes against its
mutant would be worse than no check.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp, Scope

from felles.reference.app import create_app
from felles.reference.components.application import (
    ALLOWED_TRANSITIONS,
    TRANSITION_SCOPES,
    ApplicationComponent,
    ApplicationService,
    Created,
    IdempotencyKeyReusedError,
    StoredApplication,
)
from felles.reference.components.base import AppContext
from felles.reference.settings import Settings
from tests.mutants.application_1_1_mutants import APPLICATION_1_1_MUTANTS
from tests.mutants.building_permit_mutants import BUILDING_PERMIT_MUTANTS
from tests.mutants.case_archive_mutants import CASE_ARCHIVE_MUTANTS
from tests.mutants.citizen_alert_mutants import CITIZEN_ALERT_MUTANTS
from tests.mutants.digital_mail_mutants import DIGITAL_MAIL_MUTANTS
from tests.mutants.kit import AnySignature, AppFactory, Mutant, lax_context
from tests.mutants.property_mutants import PROPERTY_MUTANTS
from tests.mutants.rewrite import Reply, Rewriter, drop_request_header
from tests.mutants.service_request_mutants import SERVICE_REQUEST_MUTANTS


def _with_service(service: type[ApplicationService], **component: Any) -> AppFactory:
    return lambda settings: create_app(settings, components=[ApplicationComponent(service, **component)])


def _wrapped(**rewrites: Any) -> AppFactory:
    return lambda settings: Rewriter(create_app(settings), **rewrites)


def _is_item(path: str) -> bool:
    parts = path.rstrip("/").split("/")
    return len(parts) == 5 and parts[3] == "applications"


# ------------------------------------------------------------ service-level faults


class UppercasesFamilyName(ApplicationService):
    def _insert(
        self, connection: sqlite3.Connection, tenant: str, submission: Mapping[str, Any]
    ) -> StoredApplication:
        changed = json.loads(json.dumps(submission))
        changed["child"]["familyName"] = changed["child"]["familyName"].upper() + "X"
        return super()._insert(connection, tenant, changed)


class SkipsItemAtPageBoundary(ApplicationService):
    def list_page(self, tenant: str, *, after_seq: int = 0, **kwargs: Any) -> Any:
        return super().list_page(tenant, after_seq=after_seq + 1 if after_seq else 0, **kwargs)


class IgnoresTypeFilter(ApplicationService):
    def list_page(self, tenant: str, *, type: str | None = None, **kwargs: Any) -> Any:
        return super().list_page(tenant, **kwargs)


class ReplaysOnKeyReuse(ApplicationService):
    def create(
        self, tenant: str, submission: Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> Created:
        try:
            return super().create(tenant, submission, idempotency_key=idempotency_key)
        except IdempotencyKeyReusedError:
            return super().create(tenant, submission)


class MissingReviewStep(ApplicationService):
    transitions = MappingProxyType({**ALLOWED_TRANSITIONS, "received": frozenset({"withdrawn"})})


class GrantsStraightAway(ApplicationService):
    transitions = MappingProxyType(
        {**ALLOWED_TRANSITIONS, "submitted": frozenset({"received", "withdrawn", "granted"})}
    )


class ClerksMayDecide(ApplicationService):
    transition_scopes = MappingProxyType(
        {**TRANSITION_SCOPES, "granted": "application:write", "refused": "application:write"}
    )


class ConstantETag(ApplicationService):
    def etag(self, row: StoredApplication) -> str:
        return '"' + hashlib.sha256(row.id.encode()).hexdigest()[:16] + '"'


class LeaksOtherKommune(ApplicationService):
    def _load(self, connection: sqlite3.Connection, tenant: str, application_id: str) -> StoredApplication:
        row = connection.execute(
            "SELECT municipality FROM applications WHERE id = ?", (application_id,)
        ).fetchone()
        return super()._load(connection, row[0] if row else tenant, application_id)


class OwnerFixedToOslo(ApplicationService):
    def _insert(
        self, connection: sqlite3.Connection, tenant: str, submission: Mapping[str, Any]
    ) -> StoredApplication:
        return super()._insert(connection, "0301", submission)


def _local_time_as_utc() -> datetime:
    """Norwegian wall-clock time labelled as UTC: a classic timezone bug."""
    return datetime.now(UTC) + timedelta(hours=2)


# ------------------------------------------------------------ auth faults


class _LaxComponent(ApplicationComponent):
    def __init__(self, ignored: str) -> None:
        super().__init__()
        self.ignored = ignored

    def routes(self, context: AppContext) -> Sequence[Any]:
        return super().routes(lax_context(context, self.ignored))


# ------------------------------------------------------------ HTTP-level faults


def _created_is_200(reply: Reply) -> None:
    if reply.method == "POST" and reply.status == 201:
        reply.status = 200


def _no_location(reply: Reply) -> None:
    reply.headers.pop("location", None)


def _no_etag_on_create(reply: Reply) -> None:
    if reply.status == 201:
        reply.headers.pop("etag", None)


def _pointer_to_parent(reply: Reply) -> None:
    if reply.status == 422 and reply.headers.get("content-type", "").startswith("application/problem+json"):
        body = reply.json()
        for error in body.get("errors", []):
            error["pointer"] = error["pointer"].rsplit("/", 1)[0]
        reply.set_json(body)


def _drop_updated_at_on_read(reply: Reply) -> None:
    if reply.method == "GET" and reply.status == 200 and _is_item(reply.path):
        body = reply.json()
        body.pop("updatedAt", None)
        reply.set_json(body)


def _plain_404(reply: Reply) -> None:
    if reply.status == 404:
        reply.headers["content-type"] = "application/json"
        reply.set_json({"error": "not found"})


def _history_frozen(reply: Reply) -> None:
    if reply.status == 200 and reply.headers.get("content-type", "").startswith("application/json"):
        body = reply.json()
        if isinstance(body, dict) and isinstance(body.get("history"), list):
            body["history"] = body["history"][:1]
            reply.set_json(body)


def _clamp_limit(scope: Scope) -> Scope:
    query = dict(parse_qsl(scope.get("query_string", b"").decode()))
    if "limit" in query:
        try:
            query["limit"] = str(min(100, max(1, int(float(query["limit"])))))
        except ValueError:
            del query["limit"]
    scope["query_string"] = urlencode(query).encode()
    return scope


def _without_format_checks(settings: Settings) -> ASGIApp:
    """The app with request validation that ignores ``format``: identifiers go unchecked.

    Patches the component module's validator lookup, which is acceptable only
    because every mutant runs in a process of its own (``tests/mutants/serve.py``).
    """
    from jsonschema import Draft202012Validator

    from felles.reference.components import application as module
    from felles.standard.registry import default_registry
    from felles.standard.validation import SchemaValidator

    class FormatBlind(SchemaValidator):
        def __init__(self, schema_uri: str) -> None:
            super().__init__(schema_uri)
            registry = default_registry()
            self._validator = Draft202012Validator(registry.contents(schema_uri), registry=registry)

    cache: dict[str, SchemaValidator] = {}

    def blind(uri: str) -> SchemaValidator:
        return cache.setdefault(uri, FormatBlind(uri))

    module.validator_for = blind  # type: ignore[assignment]
    return create_app(settings)


MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        "declares-no-core",
        "GET /conformance declares the component without class core",
        "/req/application/core/conformance",
        lambda s: create_app(s, components=[ApplicationComponent(classes=["lifecycle", "security"])]),
    ),
    Mutant(
        "created-200",
        "answers 200 instead of 201 Created",
        "/req/application/core/create",
        _wrapped(on_response=_created_is_200),
    ),
    Mutant(
        "no-location",
        "201 Created without a Location header",
        "/req/application/core/location",
        _wrapped(on_response=_no_location),
    ),
    Mutant(
        "alters-name",
        "stores the child's family name upper-cased",
        "/req/application/core/read-back",
        _with_service(UppercasesFamilyName),
    ),
    Mutant(
        "accepts-invalid-identifiers",
        "does not enforce formats: accepts a fødselsnummer with a wrong "
        "check digit and an unknown kommunenummer",
        "/req/application/core/reject-invalid",
        _without_format_checks,
    ),
    Mutant(
        "pointer-to-parent",
        "problem errors point at the parent of the invalid member",
        "/req/application/core/error-pointer",
        _wrapped(on_response=_pointer_to_parent),
    ),
    Mutant(
        "read-drops-updated-at",
        "GET omits the required updatedAt",
        "/req/application/core/response-schema",
        _wrapped(on_response=_drop_updated_at_on_read),
    ),
    Mutant(
        "plain-404",
        "404 as application/json without a problem body",
        "/req/application/core/not-found",
        _wrapped(on_response=_plain_404),
    ),
    Mutant(
        "page-off-by-one",
        "cursor skips the first item of every following page",
        "/req/application/core/pagination",
        _with_service(SkipsItemAtPageBoundary),
    ),
    Mutant(
        "clamps-limit",
        "silently clamps an out-of-range limit instead of 400",
        "/req/application/core/limit-bounds",
        _wrapped(on_request=_clamp_limit),
    ),
    Mutant(
        "ignores-type-filter",
        "type filter is ignored",
        "/req/application/core/filters",
        _with_service(IgnoresTypeFilter),
    ),
    Mutant(
        "ignores-idempotency-key",
        "a retried POST creates a second application",
        "/req/application/core/idempotency",
        _wrapped(on_request=drop_request_header("Idempotency-Key")),
    ),
    Mutant(
        "key-reuse-accepted",
        "an Idempotency-Key reused with another body creates an application",
        "/req/application/core/idempotency-conflict",
        _with_service(ReplaysOnKeyReuse),
    ),
    Mutant(
        "local-time-as-utc",
        "timestamps are Norwegian local time labelled UTC",
        "/req/application/core/timestamps",
        lambda s: create_app(s, clock=_local_time_as_utc),
    ),
    Mutant(
        "no-etag-on-create",
        "201 Created without an ETag",
        "/req/application/core/etag-on-create",
        _wrapped(on_response=_no_etag_on_create),
    ),
    Mutant(
        "missing-review-step",
        "received cannot move to under-review",
        "/req/application/lifecycle/allowed",
        _with_service(MissingReviewStep),
    ),
    Mutant(
        "lifecycle-shortcut",
        "submitted can be granted directly",
        "/req/application/lifecycle/forbidden",
        _with_service(GrantsStraightAway),
    ),
    Mutant(
        "history-frozen",
        "history never grows after submission",
        "/req/application/lifecycle/history",
        _wrapped(on_response=_history_frozen),
    ),
    Mutant(
        "constant-etag",
        "the ETag never changes",
        "/req/application/lifecycle/etag",
        _with_service(ConstantETag),
    ),
    Mutant(
        "ignores-if-match",
        "If-Match is ignored (lost updates)",
        "/req/application/lifecycle/if-match",
        _wrapped(on_request=drop_request_header("If-Match")),
    ),
    Mutant(
        "accepts-forged-tokens",
        "token signatures are not verified",
        "/req/application/security/authentication",
        lambda s: create_app(s, verifier=AnySignature(s)),
    ),
    Mutant(
        "read-without-scope",
        "reading needs no application:read",
        "/req/application/security/read-scope",
        lambda s: create_app(s, components=[_LaxComponent("application:read")]),
    ),
    Mutant(
        "write-without-scope",
        "submitting needs no application:write",
        "/req/application/security/write-scope",
        lambda s: create_app(s, components=[_LaxComponent("application:write")]),
    ),
    Mutant(
        "clerks-decide",
        "application:write suffices to grant or refuse",
        "/req/application/security/decide-scope",
        _with_service(ClerksMayDecide),
    ),
    Mutant(
        "cross-tenant-read",
        "an application of another kommune can be read and changed by id",
        "/req/application/security/tenant-isolation",
        _with_service(LeaksOtherKommune),
    ),
    Mutant(
        "owner-fixed",
        "every application is filed under kommune 0301",
        "/req/application/security/tenant-assignment",
        _with_service(OwnerFixedToOslo),
    ),
)


APPLICATION_MUTANTS = MUTANTS
MUTANTS = (
    APPLICATION_MUTANTS
    + APPLICATION_1_1_MUTANTS
    + CASE_ARCHIVE_MUTANTS
    + CITIZEN_ALERT_MUTANTS
    + DIGITAL_MAIL_MUTANTS
    + SERVICE_REQUEST_MUTANTS
    + PROPERTY_MUTANTS
    + BUILDING_PERMIT_MUTANTS
)


def by_name(name: str) -> Mutant:
    for mutant in MUTANTS:
        if mutant.name == name:
            return mutant
    raise KeyError(name)
