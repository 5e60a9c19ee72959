"""application@1.0 and @1.1 (søknad): storage, lifecycle rules and HTTP routes.

:class:`ApplicationService` holds the behaviour the spec requires, with
plain seams (``transitions``, ``transition_scopes``, ``now``, ``etag``,
``to_resource`` and one method per operation). Tests build deliberately
broken variants ("mutants") by subclassing it and passing the subclass to
:class:`ApplicationComponent` — production code has no fault flags. The
plumbing every component shares (cursors, idempotent create, validation
problems, common errors) is in :mod:`.shared`. Both versions share this
service and its table; what differs between them is in
:mod:`.application_versions` (``ApplicationComponent(version="1.1")``).
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from felles.errors import UsageError
from felles.reference.auth import require_scope
from felles.reference.components.application_versions import API_VERSIONS, V1_0, ApiVersion, since_bound
from felles.reference.components.base import AppContext, Clock, ServedComponent, utc_now
from felles.reference.components.shared import (  # the two marked noqa: re-exported for tests
    DEFAULT_LIMIT,
    ComponentRoutes,
    Created,
    DomainError,
    ETagCondition,
    IdempotencyKeyReusedError,  # noqa: F401
    NotFoundError,
    PreconditionFailedError,
    create_idempotently,
    entity_tag,
    enum_query,
    format_timestamp,
    invalid_cursor,
    json_text,
    later,
    page_response,
    parse_idempotency_key,
    parse_limit,
    query_fingerprint,
    reject_field_errors,
    representation_response,
    request_fingerprint,  # noqa: F401
    shorten,
)
from felles.reference.components.shared import Representation as SharedRepresentation
from felles.reference.components.shared import decode_cursor as shared_decode_cursor
from felles.reference.components.shared import encode_cursor as shared_encode_cursor
from felles.reference.http import IfMatch, allowed_values_text, render_json, single_query_value
from felles.reference.migrations import Migration, statements
from felles.reference.problems import ProblemError, ProblemType
from felles.reference.storage import Database, IdempotencyStore
from felles.standard import schema_uri
from felles.standard.validation import validator_for

NAME = "application"
VERSION = "1.0"
#: Every version's tables are created and migrated under this owner (see :class:`ApplicationComponent`).
MIGRATION_OWNER = f"{NAME}@{VERSION}"

SUBMISSION_SCHEMA = schema_uri(NAME, VERSION, "ApplicationSubmission")
TRANSITION_SCHEMA = schema_uri(NAME, VERSION, "Transition")

SCOPE_READ = "application:read"
SCOPE_WRITE = "application:write"
SCOPE_DECIDE = "application:decide"

STATUSES: tuple[str, ...] = (
    "submitted",
    "received",
    "under-review",
    "granted",
    "refused",
    "withdrawn",
)
TYPES: tuple[str, ...] = ("kindergarten-place", "after-school-care")
INITIAL_STATUS = "submitted"

#: The lifecycle of spec section "Lifecycle", as data: from status -> allowed targets.
ALLOWED_TRANSITIONS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "submitted": frozenset({"received", "withdrawn"}),
        "received": frozenset({"under-review", "withdrawn"}),
        "under-review": frozenset({"granted", "refused", "withdrawn"}),
        "granted": frozenset(),
        "refused": frozenset(),
        "withdrawn": frozenset(),
    }
)

#: Scope needed to move an application *to* a status (spec class ``security``).
TRANSITION_SCOPES: Mapping[str, str] = MappingProxyType(
    {
        "received": SCOPE_WRITE,
        "under-review": SCOPE_WRITE,
        "withdrawn": SCOPE_WRITE,
        "granted": SCOPE_DECIDE,
        "refused": SCOPE_DECIDE,
    }
)


_V1_COLUMNS = (
    "seq, id, municipality, type, status, submission_json, history_json, created_at, updated_at, version"
)

#: Never edit a released migration: append the next number (a kommune's database file depends on it).
MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "applications",
        statements(
            """
            CREATE TABLE applications (
                seq INTEGER PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                municipality TEXT NOT NULL,
                type TEXT NOT NULL,
                status TEXT NOT NULL,
                submission_json TEXT NOT NULL,
                history_json TEXT NOT NULL,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                version INTEGER NOT NULL
            )
            """,
            "CREATE INDEX applications_by_tenant ON applications (municipality, seq)",
            "CREATE INDEX applications_by_tenant_status ON applications (municipality, status, seq)",
            "CREATE INDEX applications_by_tenant_type ON applications (municipality, type, seq)",
        ),
    ),
    # The database itself now refuses a row whose parts disagree (a status without its history
    # entry, a version that does not count the history, JSON that does not parse), and sequence
    # numbers are never reused. SQLite cannot add constraints in place: rebuild and copy.
    Migration(
        2,
        "applications: consistency constraints, never-reused sequence numbers",
        statements(
            f"""
            CREATE TABLE applications_v2 (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                id TEXT NOT NULL UNIQUE CHECK (length(id) BETWEEN 1 AND 64),
                municipality TEXT NOT NULL CHECK (length(municipality) = 4),
                type TEXT NOT NULL CHECK (type IN ({", ".join(f"'{t}'" for t in TYPES)})),
                status TEXT NOT NULL CHECK (status IN ({", ".join(f"'{s}'" for s in STATUSES)})),
                submission_json TEXT NOT NULL
                    CHECK (json_valid(submission_json) AND json_type(submission_json) = 'object'),
                history_json TEXT NOT NULL
                    CHECK (json_valid(history_json) AND json_type(history_json) = 'array'),
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                version INTEGER NOT NULL CHECK (version >= 1),
                CHECK (json_array_length(history_json) = version),
                CHECK (json_extract(history_json, '$[#-1].status') = status),
                CHECK (json_extract(history_json, '$[#-1].at') = updated_at),
                CHECK (json_extract(history_json, '$[0].at') = created_at)
            )
            """,
            f"INSERT INTO applications_v2 ({_V1_COLUMNS})"
            f" SELECT {_V1_COLUMNS} FROM applications ORDER BY seq",
            "DROP TABLE applications",
            "ALTER TABLE applications_v2 RENAME TO applications",
            "CREATE INDEX applications_by_tenant ON applications (municipality, seq)",
            "CREATE INDEX applications_by_tenant_status ON applications (municipality, status, seq)",
            "CREATE INDEX applications_by_tenant_type ON applications (municipality, type, seq)",
        ),
    ),
)


# --------------------------------------------------------------------------- domain errors
# (not found, If-Match, Idempotency-Key reuse: the shared ones in :mod:`.shared`)


class ApplicationError(DomainError):
    """A refusal specific to applications; the routes map each kind to a problem."""


class ApplicationNotFoundError(ApplicationError, NotFoundError):
    """No such application *for this kommune* (another kommune's is not found either)."""

    def __init__(self, application_id: str) -> None:
        super().__init__("application", application_id)


class TransitionNotAllowedError(ApplicationError):
    def __init__(self, current: str, to: str) -> None:
        super().__init__(f"cannot move an application from {current!r} to {to!r}")
        self.current = current
        self.to = to


# --------------------------------------------------------------------------- service


@dataclass(frozen=True)
class StoredApplication:
    """One row of ``applications``."""

    seq: int
    id: str
    municipality: str
    type: str
    status: str
    submission_json: str
    history: list[dict[str, Any]]
    created_at: str
    updated_at: str
    version: int


class Representation(SharedRepresentation):
    """An application as sent on the wire: exact body bytes and its entity tag."""

    @property
    def application_id(self) -> str:
        return self.resource_id


@dataclass(frozen=True)
class PageResult:
    items: list[dict[str, Any]]
    last_seq: int | None
    has_more: bool
    last_id: str | None = None


_COLUMNS = (
    "seq, id, municipality, type, status, submission_json, history_json, created_at, updated_at, version"
)


def _row(values: Sequence[Any]) -> StoredApplication:
    return StoredApplication(
        seq=int(values[0]),
        id=str(values[1]),
        municipality=str(values[2]),
        type=str(values[3]),
        status=str(values[4]),
        submission_json=str(values[5]),
        history=json.loads(values[6]),
        created_at=str(values[7]),
        updated_at=str(values[8]),
        version=int(values[9]),
    )


class ApplicationService:
    """The behaviour of application, independent of HTTP, as one version (``api``) shows it.
    Every method is tenant-scoped."""

    transitions: ClassVar[Mapping[str, frozenset[str]]] = ALLOWED_TRANSITIONS
    transition_scopes: ClassVar[Mapping[str, str]] = TRANSITION_SCOPES

    def __init__(self, database: Database, clock: Clock = utc_now, api: ApiVersion = V1_0) -> None:
        self.database = database
        self.clock = clock
        self.api = api
        # Keys belong to a version's base URL: a replay answers in the version first asked.
        self.idempotency = IdempotencyStore(f"{api.key} create")

    # ---- seams

    def now(self) -> str:
        return format_timestamp(self.clock())

    def etag(self, row: StoredApplication) -> str:
        """Strong, opaque, different after every change (the version counter is part of it)."""
        return entity_tag(row.id, row.version)

    def to_resource(self, row: StoredApplication) -> dict[str, Any]:
        return {
            "id": row.id,
            "municipalityNumber": row.municipality,
            "status": row.status,
            "submission": self.api.show(json.loads(row.submission_json)),
            "createdAt": row.created_at,
            "updatedAt": row.updated_at,
            "history": row.history,
        }

    def represent(self, row: StoredApplication) -> Representation:
        return Representation(row.id, render_json(self.to_resource(row)), self.etag(row))

    def is_allowed(self, current: str, to: str) -> bool:
        return to in self.transitions.get(current, frozenset())

    # ---- operations

    def create(
        self, tenant: str, submission: Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> Created[Representation]:
        """Store a validated submission; with a key, a repeat replays the first answer."""
        return create_idempotently(
            self.database,
            self.idempotency,
            tenant,
            submission,
            idempotency_key,
            insert=lambda connection: self._insert(connection, tenant, submission),
            represent=self.represent,
            replay=Representation.from_stored,
        )

    def _insert(
        self, connection: sqlite3.Connection, tenant: str, submission: Mapping[str, Any]
    ) -> StoredApplication:
        now = self.now()
        application_id = str(uuid.uuid4())
        history = [{"status": INITIAL_STATUS, "at": now}]
        values = (
            application_id,
            tenant,
            str(submission["type"]),
            INITIAL_STATUS,
            json_text(submission),
            json.dumps(history),
            now,
            now,
            1,
        )
        cursor = connection.execute(
            "INSERT INTO applications (id, municipality, type, status, submission_json,"
            " history_json, "
            "created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            values,
        )
        assert cursor.lastrowid is not None
        return _row((cursor.lastrowid, *values))

    def _load(self, connection: sqlite3.Connection, tenant: str, application_id: str) -> StoredApplication:
        found = connection.execute(
            f"SELECT {_COLUMNS} FROM applications WHERE id = ? AND municipality = ?",
            (application_id, tenant),
        ).fetchone()
        if found is None:
            raise ApplicationNotFoundError(application_id)
        return _row(found)

    def get(self, tenant: str, application_id: str) -> Representation:
        with self.database.connection() as connection:
            return self.represent(self._load(connection, tenant, application_id))

    def list_page(
        self,
        tenant: str,
        *,
        status: str | None = None,
        type: str | None = None,
        after_seq: int = 0,
        limit: int = DEFAULT_LIMIT,
        submitted_since: str | None = None,
    ) -> PageResult:
        """Keyset page in insertion order: items after ``after_seq``, at most ``limit``.

        ``submitted_since`` is a stored-form timestamp (:func:`.application_versions.since_bound`).
        """
        where = ["municipality = ?", "seq > ?"]
        parameters: list[Any] = [tenant, after_seq]
        if status is not None:
            where.append("status = ?")
            parameters.append(status)
        if type is not None:
            where.append("type = ?")
            parameters.append(type)
        if submitted_since is not None:
            where.append("created_at >= ?")
            parameters.append(submitted_since)
        parameters.append(limit + 1)
        with self.database.connection() as connection:
            rows = [
                _row(values)
                for values in connection.execute(
                    f"SELECT {_COLUMNS} FROM applications WHERE {' AND '.join(where)} ORDER BY seq LIMIT ?",
                    parameters,
                ).fetchall()
            ]
        page = rows[:limit]
        return PageResult(
            items=[self.to_resource(row) for row in page],
            last_seq=page[-1].seq if page else None,
            has_more=len(rows) > limit,
            last_id=page[-1].id if page else None,
        )

    def position_of(self, tenant: str, application_id: str) -> int | None:
        """Where a page that ended with this application continues; None if not the tenant's."""
        with self.database.connection() as connection:
            found = connection.execute(
                "SELECT seq FROM applications WHERE id = ? AND municipality = ?", (application_id, tenant)
            ).fetchone()
        return int(found[0]) if found is not None else None

    def transition(
        self,
        tenant: str,
        application_id: str,
        to: str,
        *,
        note: str | None = None,
        if_match: ETagCondition | None = None,
    ) -> Representation:
        """Compare-and-set in one write transaction: 404, then 412, then 409, else the new state."""
        with self.database.transaction(write=True) as connection:
            row = self._load(connection, tenant, application_id)
            if if_match is not None and not if_match.matches(self.etag(row)):
                raise PreconditionFailedError(application_id)
            if not self.is_allowed(row.status, to):
                raise TransitionNotAllowedError(row.status, to)
            now = self.now()
            last = row.history[-1]["at"] if row.history else now
            at = later(now, last)  # never before the last
            entry: dict[str, Any] = {"status": to, "at": at}
            if note is not None:
                entry["note"] = note
            history = [*row.history, entry]
            updated = connection.execute(
                "UPDATE applications SET status = ?, history_json = ?, updated_at = ?,"
                " version = version + 1 "
                "WHERE seq = ? AND version = ?",
                (to, json.dumps(history, ensure_ascii=False), at, row.seq, row.version),
            )
            # Cannot miss under BEGIN IMMEDIATE; if it ever does, refuse rather than guess.
            if updated.rowcount != 1:
                raise PreconditionFailedError(application_id)
            return self.represent(self._load(connection, tenant, application_id))


# --------------------------------------------------------------------------- cursors


def _filter_fingerprint(tenant: str, status: str | None, type_: str | None, since: str | None = None) -> str:
    # Without submittedSince the parts are those of 1.0, so its cursors stay valid.
    return query_fingerprint(tenant, status or "", type_ or "", *([since] if since is not None else []))


#: The cursor member naming the last application; ``"i"`` since 1.0, kept so cursors stay valid.
CURSOR_MEMBER = "i"


def encode_cursor(last_id: str, fingerprint: str) -> str:
    """A cursor naming the page's last application (see :func:`.shared.encode_cursor`)."""
    return shared_encode_cursor(last_id, fingerprint, member=CURSOR_MEMBER)


def decode_cursor(cursor: str, fingerprint: str) -> str:
    """The id of the application to continue after; 400 for anything not minted for this query."""
    return shared_decode_cursor(cursor, fingerprint, str, member=CURSOR_MEMBER)


# --------------------------------------------------------------------------- HTTP


def validate(schema: str, instance: Any) -> None:
    """422 with one pointer per invalid member, using the standard's own validators.

    Stays in this module: tests patch ``validate`` and ``validator_for`` here.
    """
    reject_field_errors(validator_for(schema).errors(instance))


class ApplicationRoutes(ComponentRoutes[ApplicationService]):
    """HTTP binding of one :class:`ApplicationService`: auth, parsing, problems, headers."""

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/applications", self.collection, methods=["GET", "POST"], name="applications"),
            Route("/applications/{id}", self.get_application, methods=["GET"], name="application"),
            Route(
                "/applications/{id}/transitions",
                self.transition_application,
                methods=["POST"],
                name="transitions",
            ),
        ]

    def validate_body(self, schema: str, body: Any) -> None:
        validate(schema, body)  # looked up at call time, so a patched ``validate`` takes effect

    def problem(self, exc: DomainError) -> ProblemError:
        if isinstance(exc, PreconditionFailedError):
            return ProblemError(
                ProblemType.PRECONDITION_FAILED,
                "If-Match does not match the application's current ETag; GET it again and retry",
            )
        if isinstance(exc, TransitionNotAllowedError):
            allowed = self.service.transitions.get(exc.current, frozenset())
            options = allowed_values_text(allowed) if allowed else "nothing (final status)"
            return ProblemError(
                ProblemType.CONFLICT,
                f"the application is {exc.current!r}; it can move to {options}, not {exc.to!r}",
            )
        return super().problem(exc)

    async def collection(self, request: Request) -> Response:
        """One route per path, so a 405 names every allowed method in ``Allow``."""
        if request.method == "POST":
            return await self.create_application(request)
        return await self.list_applications(request)

    async def create_application(self, request: Request) -> Response:
        principal = self.principal(request, SCOPE_WRITE)
        key = parse_idempotency_key(request)
        body = await self.valid_body(request, self.service.api.submission_schema)
        created = await self.call(self.service.create, principal.municipality, body, idempotency_key=key)
        representation = created.representation
        location = self.url(request, "applications", representation.resource_id)
        return representation_response(representation, status=201, location=location)

    async def get_application(self, request: Request) -> Response:
        principal = self.principal(request, SCOPE_READ)
        application_id: str = request.path_params["id"]
        representation = await self.call(self.service.get, principal.municipality, application_id)
        return representation_response(representation)

    async def list_applications(self, request: Request) -> Response:
        principal = self.principal(request, SCOPE_READ)
        status = enum_query(request, "status", STATUSES)
        type_ = enum_query(request, "type", TYPES)
        limit = parse_limit(single_query_value(request, "limit"))
        since = self._submitted_since(request)
        fingerprint = _filter_fingerprint(principal.municipality, status, type_, since)
        cursor = single_query_value(request, "cursor")
        after = 0
        if cursor is not None:
            # Another kommune's id (or an unknown one) is the same 400 as garbage: nothing revealed.
            position = await self.call(
                self.service.position_of, principal.municipality, decode_cursor(cursor, fingerprint)
            )
            if position is None:
                raise invalid_cursor()
            after = position
        filters: dict[str, Any] = {"status": status, "type": type_}
        if since is not None:  # only then, so services written for 1.0 keep working
            filters["submitted_since"] = since
        page = await self.call(
            self.service.list_page, principal.municipality, **filters, after_seq=after, limit=limit
        )
        query: dict[str, str | int] = {"limit": limit}
        if status is not None:
            query["status"] = status
        if type_ is not None:
            query["type"] = type_
        if since is not None:
            query["submittedSince"] = since  # normalised: the same instant, the same fingerprint
        return page_response(
            request,
            page.items,
            has_more=page.has_more,
            last_key=page.last_id,
            query=query,
            fingerprint=fingerprint,
            member=CURSOR_MEMBER,
        )

    def _submitted_since(self, request: Request) -> str | None:
        """``submittedSince`` as a stored-form bound; None where absent or not in this version."""
        raw = single_query_value(request, "submittedSince") if self.service.api.submitted_since else None
        if raw is None:
            return None
        try:
            return since_bound(raw)
        except ValueError:
            raise ProblemError(
                ProblemType.BAD_REQUEST,
                f"submittedSince must be an RFC 3339 date-time with an offset, got {shorten(repr(raw), 80)}",
            ) from None

    async def transition_application(self, request: Request) -> Response:
        # Scope first, independent of the body: a caller with neither scope learns nothing more.
        principal = self.principal(request, SCOPE_WRITE, SCOPE_DECIDE)
        application_id: str = request.path_params["id"]
        if_match = IfMatch.parse(request.headers.get("if-match"))
        body = await self.valid_body(request, self.service.api.transition_schema)
        to: str = body["to"]
        require_scope(principal, self.service.transition_scopes[to])
        representation = await self.call(
            self.service.transition,
            principal.municipality,
            application_id,
            to,
            note=body.get("note"),
            if_match=if_match,
        )
        return representation_response(representation)


ServiceFactory = Callable[[Database, Clock, ApiVersion], ApplicationService]


class ApplicationComponent(ServedComponent):
    """The application plug-in, as one version: ``ApplicationComponent(version="1.1")``.

    Every version shares the ``applications`` table, so every version migrates it under
    the owner it has had since 1.0 was the only version (``migration_owner``).
    """

    name = NAME
    version = VERSION
    migrations: Sequence[Migration] = MIGRATIONS
    migration_owner = MIGRATION_OWNER
    default_service = staticmethod(ApplicationService)

    def __init__(
        self,
        service_factory: ServiceFactory | None = None,
        *,
        classes: Sequence[str] | None = None,
        version: str = VERSION,
    ) -> None:
        if version not in API_VERSIONS:
            raise UsageError(f"the reference serves application {', '.join(API_VERSIONS)}, not {version}")
        super().__init__(classes=classes)
        self.version = version
        self.api = API_VERSIONS[version]
        self.make_service: ServiceFactory = service_factory or ApplicationService

    def routes(self, context: AppContext) -> Sequence[BaseRoute]:
        return self.build_routes(self.make_service(context.database, context.clock, self.api), context)

    def build_routes(self, service: ApplicationService, context: AppContext) -> Sequence[BaseRoute]:
        return ApplicationRoutes(service, context).routes()
