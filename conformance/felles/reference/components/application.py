"""application@1.0 (søknad): storage, lifecycle rules and HTTP routes.

:class:`ApplicationService` holds the behaviour the spec requires, with
plain seams (``transitions``, ``transition_scopes``, ``now``, ``etag``,
``to_resource`` and one method per operation). Tests build deliberately
broken variants ("mutants") by subclassing it and passing the subclass to
:class:`ApplicationComponent` — production code has no fault flags.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import sqlite3
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, ClassVar, Protocol
from urllib.parse import quote, urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from felles.reference.auth import require_scope
from felles.reference.components.base import AppContext, Clock, ServedComponent, utc_now
from felles.reference.http import (
    IfMatch,
    allowed_values_text,
    canonical_json,
    json_response,
    read_json,
    render_json,
    single_query_value,
)
from felles.reference.migrations import Migration, statements
from felles.reference.problems import FieldProblem, ProblemError, ProblemType
from felles.reference.storage import Database, IdempotencyStore, StoredResponse
from felles.standard import schema_uri
from felles.standard.validation import validator_for

NAME = "application"
VERSION = "1.0"

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

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_CURSOR_LENGTH = 512
MAX_IDEMPOTENCY_KEY_LENGTH = 255
MAX_FIELD_ERRORS = 100
MAX_ERROR_DETAIL = 300

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


class ApplicationError(Exception):
    """An operation the service refuses; the routes map each kind to a problem."""


class ApplicationNotFoundError(ApplicationError):
    """No such application *for this kommune* (another kommune's is not found either)."""


class TransitionNotAllowedError(ApplicationError):
    def __init__(self, current: str, to: str) -> None:
        super().__init__(f"cannot move an application from {current!r} to {to!r}")
        self.current = current
        self.to = to


class PreconditionFailedError(ApplicationError):
    """``If-Match`` did not match the current entity tag."""


class IdempotencyKeyReusedError(ApplicationError):
    """The key was first used with a different request body."""


# --------------------------------------------------------------------------- service


class ETagCondition(Protocol):
    def matches(self, current: str) -> bool: ...


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


@dataclass(frozen=True)
class Representation:
    """An application as sent on the wire: exact body bytes and its entity tag."""

    application_id: str
    body: bytes
    etag: str


@dataclass(frozen=True)
class Created:
    representation: Representation
    replayed: bool


@dataclass(frozen=True)
class PageResult:
    items: list[dict[str, Any]]
    last_seq: int | None
    has_more: bool
    last_id: str | None = None


def format_timestamp(instant: datetime) -> str:
    """RFC 3339, UTC, millisecond precision, ``Z`` suffix."""
    if instant.tzinfo is None:
        raise ValueError("the clock must return timezone-aware datetimes")
    return instant.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def request_fingerprint(body: Any) -> str:
    """Same JSON value, same fingerprint (member order and whitespace do not matter)."""
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


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
    """The behaviour of application@1.0, independent of HTTP. Every method is tenant-scoped."""

    transitions: ClassVar[Mapping[str, frozenset[str]]] = ALLOWED_TRANSITIONS
    transition_scopes: ClassVar[Mapping[str, str]] = TRANSITION_SCOPES

    def __init__(self, database: Database, clock: Clock = utc_now) -> None:
        self.database = database
        self.clock = clock
        self.idempotency = IdempotencyStore(f"{NAME}@{VERSION} create")

    # ---- seams

    def now(self) -> str:
        return format_timestamp(self.clock())

    def etag(self, row: StoredApplication) -> str:
        """Strong, opaque, different after every change (the version counter is part of it)."""
        digest = hashlib.sha256(f"{row.id}:{row.version}".encode()).hexdigest()[:32]
        return f'"{digest}"'

    def to_resource(self, row: StoredApplication) -> dict[str, Any]:
        return {
            "id": row.id,
            "municipalityNumber": row.municipality,
            "status": row.status,
            "submission": json.loads(row.submission_json),
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
    ) -> Created:
        """Store a validated submission; with a key, a repeat replays the first answer."""
        fingerprint = request_fingerprint(submission)
        with self.database.transaction(write=True) as connection:
            if idempotency_key is not None:
                stored = self.idempotency.lookup(connection, tenant, idempotency_key)
                if stored is not None:
                    if stored.request_hash != fingerprint:
                        raise IdempotencyKeyReusedError(idempotency_key)
                    replay = Representation(stored.resource_id, stored.body, stored.headers["ETag"])
                    return Created(replay, replayed=True)
            row = self._insert(connection, tenant, submission)
            representation = self.represent(row)
            if idempotency_key is not None:
                self.idempotency.save(
                    connection,
                    tenant,
                    idempotency_key,
                    StoredResponse(
                        request_hash=fingerprint,
                        status=201,
                        body=representation.body,
                        headers={"ETag": representation.etag},
                        resource_id=row.id,
                    ),
                    created_at=row.created_at,
                )
        return Created(representation, replayed=False)

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
            json.dumps(submission, ensure_ascii=False, allow_nan=False),
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
    ) -> PageResult:
        """Keyset page in insertion order: items after ``after_seq``, at most ``limit``."""
        where = ["municipality = ?", "seq > ?"]
        parameters: list[Any] = [tenant, after_seq]
        if status is not None:
            where.append("status = ?")
            parameters.append(status)
        if type is not None:
            where.append("type = ?")
            parameters.append(type)
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
            at = max(now, last, key=datetime.fromisoformat)  # never before the last
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


def _filter_fingerprint(tenant: str, status: str | None, type_: str | None) -> str:
    return hashlib.sha256(f"{tenant}\x00{status or ''}\x00{type_ or ''}".encode()).hexdigest()[:16]


# Cursors name the last application of the page, not its sequence number: the sequence is
# shared by all kommuner, and a cursor showing it would tell one kommune how busy the others are.
def encode_cursor(last_id: str, fingerprint: str) -> str:
    raw = json.dumps({"i": last_id, "f": fingerprint}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def invalid_cursor() -> ProblemError:
    return ProblemError(
        ProblemType.BAD_REQUEST, "cursor is not valid for this query; take it from a next link"
    )


def decode_cursor(cursor: str, fingerprint: str) -> str:
    """The id of the application to continue after; 400 for anything not minted for this query."""
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise invalid_cursor()
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        document = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError, RecursionError):
        raise invalid_cursor() from None
    if not isinstance(document, dict) or document.get("f") != fingerprint:
        raise invalid_cursor()
    after = document.get("i")
    if not isinstance(after, str) or not after:
        raise invalid_cursor()
    return after


# --------------------------------------------------------------------------- HTTP


def _parse_limit(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_LIMIT
    if not raw.isascii() or not raw.isdigit():
        raise ProblemError(
            ProblemType.BAD_REQUEST, f"limit must be an integer 1-{MAX_LIMIT}, got {_shorten(repr(raw), 40)}"
        )
    if len(raw) > 10:  # int() of thousands of digits is slow (and refused by Python), then out of range
        raise ProblemError(ProblemType.BAD_REQUEST, f"limit must be between 1 and {MAX_LIMIT}")
    value = int(raw)
    if not 1 <= value <= MAX_LIMIT:
        raise ProblemError(ProblemType.BAD_REQUEST, f"limit must be between 1 and {MAX_LIMIT}, got {value}")
    return value


def _enum_query(request: Request, name: str, allowed: Sequence[str]) -> str | None:
    value = single_query_value(request, name)
    if value is not None and value not in allowed:
        raise ProblemError(
            ProblemType.BAD_REQUEST,
            f"{name} must be one of {allowed_values_text(allowed)}, got {value!r}",
        )
    return value


def _shorten(text: str, limit: int = MAX_ERROR_DETAIL) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def validate(schema: str, instance: Any) -> None:
    """422 with one pointer per invalid member, using the standard's own validators.

    Details are shortened and the list capped: jsonschema messages quote the
    offending value, and a 1 MiB body must not come back as a 10 MiB problem.
    """
    errors = validator_for(schema).errors(instance)
    if not errors:
        return
    shown = [FieldProblem(e.pointer, _shorten(e.detail)) for e in errors[:MAX_FIELD_ERRORS]]
    count = len(errors)
    detail = f"{count} invalid member{'s' if count != 1 else ''}; see errors"
    if count > MAX_FIELD_ERRORS:
        detail += f" (first {MAX_FIELD_ERRORS} shown)"
    raise ProblemError(ProblemType.VALIDATION, detail, errors=shown)


class ApplicationRoutes:
    """HTTP binding of one :class:`ApplicationService`: auth, parsing, problems, headers."""

    def __init__(self, service: ApplicationService, context: AppContext) -> None:
        self.service = service
        self.context = context
        self.auth = context.authenticator

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

    async def collection(self, request: Request) -> Response:
        """One route per path, so a 405 names every allowed method in ``Allow``."""
        if request.method == "POST":
            return await self.create_application(request)
        return await self.list_applications(request)

    async def _json_body(self, request: Request) -> Any:
        settings = self.context.settings
        return await read_json(request, max_bytes=settings.max_body_bytes, max_depth=settings.max_json_depth)

    @staticmethod
    def _location(request: Request, application_id: str) -> str:
        return f"{request.scope.get('root_path', '')}/applications/{quote(application_id, safe='')}"

    async def create_application(self, request: Request) -> Response:
        principal = self.auth.require(request, SCOPE_WRITE)
        key = request.headers.get("idempotency-key")
        if key is not None and not 1 <= len(key) <= MAX_IDEMPOTENCY_KEY_LENGTH:
            raise ProblemError(
                ProblemType.BAD_REQUEST,
                f"Idempotency-Key must be 1-{MAX_IDEMPOTENCY_KEY_LENGTH} characters",
            )
        body = await self._json_body(request)
        await run_in_threadpool(validate, SUBMISSION_SCHEMA, body)
        try:
            created = await run_in_threadpool(
                self.service.create, principal.municipality, body, idempotency_key=key
            )
        except IdempotencyKeyReusedError:
            raise ProblemError(
                ProblemType.IDEMPOTENCY_KEY_REUSE,
                "this Idempotency-Key was already used with a different request body",
            ) from None
        representation = created.representation
        return json_response(
            representation.body,
            201,
            {
                "Location": self._location(request, representation.application_id),
                "ETag": representation.etag,
            },
        )

    async def get_application(self, request: Request) -> Response:
        principal = self.auth.require(request, SCOPE_READ)
        application_id: str = request.path_params["id"]
        try:
            representation = await run_in_threadpool(self.service.get, principal.municipality, application_id)
        except ApplicationNotFoundError:
            raise _not_found(application_id) from None
        return json_response(representation.body, 200, {"ETag": representation.etag})

    async def list_applications(self, request: Request) -> Response:
        principal = self.auth.require(request, SCOPE_READ)
        status = _enum_query(request, "status", STATUSES)
        type_ = _enum_query(request, "type", TYPES)
        limit = _parse_limit(single_query_value(request, "limit"))
        fingerprint = _filter_fingerprint(principal.municipality, status, type_)
        cursor = single_query_value(request, "cursor")
        after = 0
        if cursor is not None:
            # Another kommune's id (or an unknown one) is the same 400 as garbage: nothing revealed.
            position = await run_in_threadpool(
                self.service.position_of, principal.municipality, decode_cursor(cursor, fingerprint)
            )
            if position is None:
                raise invalid_cursor()
            after = position
        page = await run_in_threadpool(
            self.service.list_page,
            principal.municipality,
            status=status,
            type=type_,
            after_seq=after,
            limit=limit,
        )
        next_link = None
        if page.has_more and page.last_id is not None:
            query: dict[str, str | int] = {"limit": limit}
            if status is not None:
                query["status"] = status
            if type_ is not None:
                query["type"] = type_
            query["cursor"] = encode_cursor(page.last_id, fingerprint)
            next_link = f"{request.url.path}?{urlencode(query)}"
        return json_response({"items": page.items, "next": next_link})

    async def transition_application(self, request: Request) -> Response:
        # Scope first, independent of the body: a caller with neither scope learns nothing more.
        principal = self.auth.require(request, SCOPE_WRITE, SCOPE_DECIDE)
        application_id: str = request.path_params["id"]
        if_match = IfMatch.parse(request.headers.get("if-match"))
        body = await self._json_body(request)
        await run_in_threadpool(validate, TRANSITION_SCHEMA, body)
        to: str = body["to"]
        require_scope(principal, self.service.transition_scopes[to])
        try:
            representation = await run_in_threadpool(
                self.service.transition,
                principal.municipality,
                application_id,
                to,
                note=body.get("note"),
                if_match=if_match,
            )
        except ApplicationNotFoundError:
            raise _not_found(application_id) from None
        except PreconditionFailedError:
            raise ProblemError(
                ProblemType.PRECONDITION_FAILED,
                "If-Match does not match the application's current ETag; GET it again and retry",
            ) from None
        except TransitionNotAllowedError as exc:
            allowed = self.service.transitions.get(exc.current, frozenset())
            options = allowed_values_text(allowed) if allowed else "nothing (final status)"
            raise ProblemError(
                ProblemType.CONFLICT,
                f"the application is {exc.current!r}; it can move to {options}, not {exc.to!r}",
            ) from None
        return json_response(representation.body, 200, {"ETag": representation.etag})


def _not_found(application_id: str) -> ProblemError:
    shown = application_id if len(application_id) <= 64 else application_id[:64] + "..."
    return ProblemError(ProblemType.NOT_FOUND, f"no application {shown!r}")


ServiceFactory = Callable[[Database, Clock], ApplicationService]


class ApplicationComponent(ServedComponent):
    """The application@1.0 plug-in."""

    name = NAME
    version = VERSION
    migrations: Sequence[Migration] = MIGRATIONS
    default_service = staticmethod(ApplicationService)

    def build_routes(self, service: ApplicationService, context: AppContext) -> Sequence[BaseRoute]:
        return ApplicationRoutes(service, context).routes()
