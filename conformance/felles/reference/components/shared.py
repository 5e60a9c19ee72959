"""HTTP and persistence plumbing every component of the reference shares.

Not behaviour of any one component: limits, opaque pagination cursors,
request parsing, schema validation to a ``422`` problem, the idempotent
create, the domain errors every component raises and their problems, and a
routes base class that ties these together. Component specifics (schemas,
scopes, lifecycles, tables, wording of component-only problems) stay in the
component's own module.

A new component uses it like this::

    class ThingService:  # raises NotFoundError("thing", id), PreconditionFailedError, ...
        def __init__(self, database: Database, clock: Clock = utc_now) -> None:
            self.database, self.clock = database, clock
            self.idempotency = IdempotencyStore("thing@1.0 create")

        def create(self, tenant: str, body: Any, *, idempotency_key: str | None) -> Created[Representation]:
            return create_idempotently(
                self.database, self.idempotency, tenant, body, idempotency_key,
                insert=lambda connection: self._insert(connection, tenant, body),
                represent=self.represent, replay=Representation.from_stored,
            )

    class ThingRoutes(ComponentRoutes[ThingService]):
        async def create(self, request: Request) -> Response:
            principal = self.principal(request, "thing:write")  # scope first, body after
            key = parse_idempotency_key(request)
            body = await self.valid_body(request, THING_INPUT_SCHEMA)
            created = await self.call(self.service.create, principal.municipality, body, idempotency_key=key)
            location = self.url(request, "things", created.representation.resource_id)
            return representation_response(created.representation, status=201, location=location)

Lists: ``parse_limit``, ``query_fingerprint``, ``cursor_after`` (or ``decode_cursor``),
``keyset_rows`` to a :class:`PageResult`, then ``keyset_response`` (or ``page_response``). Component-only
refusals: subclass :class:`DomainError` and override :meth:`ComponentRoutes.problem`.

Keep this module small: add something only when two components need the very same thing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, Protocol, Self, TypeVar
from urllib.parse import quote, urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from felles.reference.auth import Principal
from felles.reference.components.base import AppContext
from felles.reference.http import (
    allowed_values_text,
    canonical_json,
    json_response,
    read_json,
    single_query_value,
)
from felles.reference.problems import FieldProblem, ProblemError, ProblemType
from felles.reference.storage import Database, IdempotencyStore, StoredResponse
from felles.standard.validation import FieldError, validator_for

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_CURSOR_LENGTH",
    "MAX_ERROR_DETAIL",
    "MAX_FIELD_ERRORS",
    "MAX_IDEMPOTENCY_KEY_LENGTH",
    "MAX_LIMIT",
    "ComponentRoutes",
    "Created",
    "DomainError",
    "ETagCondition",
    "IdempotencyKeyReusedError",
    "InvalidCursorError",
    "NotFoundError",
    "PageResult",
    "PreconditionFailedError",
    "Representation",
    "StoredRow",
    "common_problem",
    "create_idempotently",
    "cursor_after",
    "decode_cursor",
    "encode_cursor",
    "entity_tag",
    "enum_query",
    "format_timestamp",
    "invalid_cursor",
    "json_text",
    "keyset_response",
    "keyset_rows",
    "later",
    "owned_row",
    "page_response",
    "parse_idempotency_key",
    "parse_limit",
    "query_fingerprint",
    "reject_field_errors",
    "representation_response",
    "request_fingerprint",
    "shorten",
    "shown_id",
]

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_CURSOR_LENGTH = 512
MAX_IDEMPOTENCY_KEY_LENGTH = 255
MAX_FIELD_ERRORS = 100
MAX_ERROR_DETAIL = 300

T = TypeVar("T")
K = TypeVar("K", str, int)
S = TypeVar("S")


# --------------------------------------------------------------------------- domain errors


class DomainError(Exception):
    """An operation a service refuses. Each component's own error base derives from it, so
    :meth:`ComponentRoutes.call` maps every refusal (common or specific) in one place."""


class NotFoundError(DomainError):
    """No such object *for this kommune* (another kommune's is not found either: 404, never 403)."""

    def __init__(self, kind: str, object_id: str) -> None:
        super().__init__(f"no {kind} {object_id!r}")
        self.kind = kind
        self.object_id = object_id


class PreconditionFailedError(DomainError):
    """``If-Match`` did not match the current entity tag."""


class IdempotencyKeyReusedError(DomainError):
    """The key was first used with a different request body."""


class InvalidCursorError(DomainError):
    """A cursor names no item of this kommune (forged, or from another kommune)."""


class ETagCondition(Protocol):
    """What a service needs of ``If-Match`` (:class:`felles.reference.http.IfMatch`)."""

    def matches(self, current: str) -> bool: ...


# --------------------------------------------------------------------------- representations


@dataclass(frozen=True)
class Representation:
    """A resource as sent on the wire: exact body bytes and its entity tag.

    Bytes, not a dict, so a replayed create answers byte for byte what the first one did.
    """

    resource_id: str
    body: bytes
    etag: str

    @classmethod
    def from_stored(cls, stored: StoredResponse) -> Self:
        """The representation an idempotency record saved (see :func:`create_idempotently`)."""
        return cls(stored.resource_id, stored.body, stored.headers["ETag"])


Rep = TypeVar("Rep", bound=Representation)


@dataclass(frozen=True)
class Created(Generic[Rep]):
    """The answer to a create: ``replayed`` when an Idempotency-Key repeated an earlier one."""

    representation: Rep
    replayed: bool


class StoredRow(Protocol):
    """What :func:`create_idempotently` needs of a freshly inserted row."""

    @property
    def id(self) -> str: ...

    @property
    def created_at(self) -> str: ...


Row = TypeVar("Row", bound=StoredRow)


def format_timestamp(instant: datetime) -> str:
    """RFC 3339, UTC, millisecond precision, ``Z`` suffix: one spelling, so strings sort by time."""
    if instant.tzinfo is None:
        raise ValueError("the clock must return timezone-aware datetimes")
    return instant.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def later(first: str, second: str) -> str:
    """The later of two RFC 3339 instants, so recorded times never go backwards."""
    return max(first, second, key=datetime.fromisoformat)


def json_text(value: Any) -> str:
    """JSON as stored in a ``*_json`` column: UTF-8 kept readable, NaN refused."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


def entity_tag(*parts: object) -> str:
    """A strong, opaque ETag of ``parts`` joined by ``:``; include a version counter so it
    changes after every change."""
    digest = hashlib.sha256(":".join(str(part) for part in parts).encode()).hexdigest()[:32]
    return f'"{digest}"'


def request_fingerprint(body: Any) -> str:
    """Same JSON value, same fingerprint (member order and whitespace do not matter)."""
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


def create_idempotently(
    database: Database,
    keys: IdempotencyStore,
    tenant: str,
    body: Any,
    idempotency_key: str | None,
    *,
    insert: Callable[[sqlite3.Connection], Row],
    represent: Callable[[Row], Rep],
    replay: Callable[[StoredResponse], Rep],
) -> Created[Rep]:
    """Run ``insert`` once per (tenant, key): a repeat with the same body replays the first 201,
    a repeat with another body is :class:`IdempotencyKeyReusedError`.

    Lookup, insert and the saved record share one write transaction, so a crash never leaves
    a created resource without its record (or the other way round).
    """
    fingerprint = request_fingerprint(body)
    with database.transaction(write=True) as connection:
        if idempotency_key is not None:
            stored = keys.lookup(connection, tenant, idempotency_key)
            if stored is not None:
                if stored.request_hash != fingerprint:
                    raise IdempotencyKeyReusedError(idempotency_key)
                return Created(replay(stored), replayed=True)
        row = insert(connection)
        representation = represent(row)
        if idempotency_key is not None:
            keys.save(
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


# --------------------------------------------------------------------------- cursors


def query_fingerprint(*parts: str) -> str:
    """Binds a cursor to the query it was minted for (tenant, filters, parent)."""
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:16]


# Cursors name the page's last item (an id or a per-parent number), never a row number: row
# numbers are shared by all kommuner and would tell one kommune how busy the others are.
def encode_cursor(after: str | int, fingerprint: str, *, member: str = "k") -> str:
    """An opaque cursor: the key of the page's last item and the query's fingerprint.

    ``member`` names the key inside the cursor; application@1.0 keeps its original ``"i"``
    so cursors minted before this module existed still work.
    """
    raw = json.dumps({member: after, "f": fingerprint}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def invalid_cursor() -> ProblemError:
    """The one 400 for every bad cursor: garbage, another query's, another kommune's."""
    return ProblemError(
        ProblemType.BAD_REQUEST, "cursor is not valid for this query; take it from a next link"
    )


def decode_cursor(cursor: str, fingerprint: str, kind: type[K], *, member: str = "k") -> K:
    """The key to continue after, of type ``kind`` (non-empty str, or int >= 0); the
    :func:`invalid_cursor` problem for anything not minted for this query."""
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise invalid_cursor()
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        document = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError, RecursionError):
        raise invalid_cursor() from None
    if not isinstance(document, dict) or document.get("f") != fingerprint:
        raise invalid_cursor()
    after = document.get(member)
    if type(after) is not kind or (isinstance(after, int) and after < 0) or after == "":
        raise invalid_cursor()
    result: K = after
    return result


@dataclass(frozen=True)
class PageResult:
    """One keyset page; ``last_key`` is what the next page continues after (an id or a number)."""

    items: list[dict[str, Any]]
    last_key: str | int | None
    has_more: bool

    @classmethod
    def of(
        cls,
        rows: Sequence[T],
        has_more: bool,
        render: Callable[[T], dict[str, Any]],
        key: Callable[[T], str | int],
    ) -> PageResult:
        """The page of ``rows`` rendered, keyed by ``key`` of the last row."""
        return cls([render(row) for row in rows], key(rows[-1]) if rows else None, has_more)


def keyset_rows(
    connection: sqlite3.Connection,
    source: str,
    columns: str,
    *,
    owner: tuple[str, str | int],
    after_id: str | None,
    limit: int,
    equal: Mapping[str, Any] | None = None,
    where: Sequence[str] = (),
    parameters: Sequence[Any] = (),
    unknown: DomainError | None = None,
) -> tuple[list[Any], bool]:
    """Up to ``limit`` rows of ``source`` (a table, optionally with an alias) whose ``owner``
    column has the given value, whose ``equal`` columns have theirs (a None value is no
    filter) and that match every ``where`` condition (with ``parameters``), in insertion
    (``seq``) order after the row whose id is ``after_id``; and whether more follow.

    ``after_id`` naming no row of this owner raises ``unknown`` (default
    :class:`InvalidCursorError`): a cursor never reaches into another kommune.
    """
    table, prefix = _table_and_prefix(source)
    column, value = owner
    filters = [(name, wanted) for name, wanted in (equal or {}).items() if wanted is not None]
    where = [*(f"{name} = ?" for name, _ in filters), *where]
    parameters = [*(wanted for _, wanted in filters), *parameters]
    after_seq = 0
    if after_id is not None:
        found = connection.execute(
            f"SELECT seq FROM {table} WHERE id = ? AND {column} = ?", (after_id, value)
        ).fetchone()
        if found is None:
            raise unknown if unknown is not None else InvalidCursorError(after_id)
        after_seq = int(found[0])
    conditions = " AND ".join([f"{prefix}{column} = ?", f"{prefix}seq > ?", *where])
    rows = connection.execute(
        f"SELECT {columns} FROM {source} WHERE {conditions} ORDER BY {prefix}seq LIMIT ?",
        [value, after_seq, *parameters, limit + 1],
    ).fetchall()
    return rows[:limit], len(rows) > limit


def owned_row(
    connection: sqlite3.Connection, source: str, columns: str, object_id: str, tenant: str, kind: str
) -> Any:
    """The row of ``source`` (a table, optionally with an alias) with id ``object_id`` that
    belongs to the kommune ``tenant``; :class:`NotFoundError` of ``kind`` if there is none
    (another kommune's is not found either)."""
    _, prefix = _table_and_prefix(source)
    found = connection.execute(
        f"SELECT {columns} FROM {source} WHERE {prefix}id = ? AND {prefix}municipality = ?",
        (object_id, tenant),
    ).fetchone()
    if found is None:
        raise NotFoundError(kind, object_id)
    return found


def _table_and_prefix(source: str) -> tuple[str, str]:
    """``"things t"`` → ``("things", "t.")``; ``"things"`` → ``("things", "")``."""
    table, _, alias = source.partition(" ")
    return table, f"{alias.strip()}." if alias.strip() else ""


def page_response(
    request: Request,
    items: list[dict[str, Any]],
    *,
    has_more: bool,
    last_key: str | int | None,
    query: dict[str, str | int],
    fingerprint: str,
    member: str = "k",
) -> Response:
    """``{"items": [...], "next": link-or-null}``; ``next`` repeats ``query`` plus a cursor."""
    next_link = None
    if has_more and last_key is not None:
        query["cursor"] = encode_cursor(last_key, fingerprint, member=member)
        next_link = f"{request.url.path}?{urlencode(query)}"
    return json_response({"items": items, "next": next_link})


def cursor_after(request: Request, fingerprint: str) -> str | None:
    """The id the ``cursor`` query parameter continues after (None: the first page)."""
    cursor = single_query_value(request, "cursor")
    return decode_cursor(cursor, fingerprint, str) if cursor is not None else None


def keyset_response(
    request: Request, page: PageResult, *, query: dict[str, str | int], fingerprint: str
) -> Response:
    """:func:`page_response` of a :class:`PageResult`."""
    return page_response(
        request,
        page.items,
        has_more=page.has_more,
        last_key=page.last_key,
        query=query,
        fingerprint=fingerprint,
    )


def representation_response(
    representation: Representation, *, status: int = 200, location: str | None = None
) -> Response:
    """The exact stored bytes with their ``ETag`` (and ``Location`` for a 201)."""
    headers = {"Location": location} if location is not None else {}
    headers["ETag"] = representation.etag
    return json_response(representation.body, status, headers)


# --------------------------------------------------------------------------- request parsing


def shorten(text: str, limit: int = MAX_ERROR_DETAIL) -> str:
    """At most ``limit`` characters: problem details quote client input and must stay small."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def shown_id(value: str) -> str:
    """An id as quoted in a problem: the first 64 characters."""
    return value if len(value) <= 64 else value[:64] + "..."


def parse_limit(raw: str | None) -> int:
    """``limit`` query parameter: 1..MAX_LIMIT, never ``int()`` of thousands of digits."""
    if raw is None:
        return DEFAULT_LIMIT
    if not raw.isascii() or not raw.isdigit():
        raise ProblemError(
            ProblemType.BAD_REQUEST, f"limit must be an integer 1-{MAX_LIMIT}, got {shorten(repr(raw), 40)}"
        )
    if len(raw) > 10:  # int() of thousands of digits is slow (and refused by Python), then out of range
        raise ProblemError(ProblemType.BAD_REQUEST, f"limit must be between 1 and {MAX_LIMIT}")
    value = int(raw)
    if not 1 <= value <= MAX_LIMIT:
        raise ProblemError(ProblemType.BAD_REQUEST, f"limit must be between 1 and {MAX_LIMIT}, got {value}")
    return value


def enum_query(request: Request, name: str, allowed: Sequence[str]) -> str | None:
    """A single-valued query parameter that must be one of ``allowed`` (absent: None)."""
    value = single_query_value(request, name)
    if value is not None and value not in allowed:
        raise ProblemError(
            ProblemType.BAD_REQUEST,
            f"{name} must be one of {allowed_values_text(allowed)}, got {value!r}",
        )
    return value


def parse_idempotency_key(request: Request) -> str | None:
    """The ``Idempotency-Key`` header, 1..MAX_IDEMPOTENCY_KEY_LENGTH characters, or None."""
    key = request.headers.get("idempotency-key")
    if key is not None and not 1 <= len(key) <= MAX_IDEMPOTENCY_KEY_LENGTH:
        raise ProblemError(
            ProblemType.BAD_REQUEST, f"Idempotency-Key must be 1-{MAX_IDEMPOTENCY_KEY_LENGTH} characters"
        )
    return key


def reject_field_errors(errors: Sequence[FieldError]) -> None:
    """422 with one pointer per invalid member, if there are any.

    Details are shortened and the list capped: jsonschema messages quote the
    offending value, and a 1 MiB body must not come back as a 10 MiB problem.
    """
    if not errors:
        return
    shown = [FieldProblem(e.pointer, shorten(e.detail)) for e in errors[:MAX_FIELD_ERRORS]]
    count = len(errors)
    detail = f"{count} invalid member{'s' if count != 1 else ''}; see errors"
    if count > MAX_FIELD_ERRORS:
        detail += f" (first {MAX_FIELD_ERRORS} shown)"
    raise ProblemError(ProblemType.VALIDATION, detail, errors=shown)


# --------------------------------------------------------------------------- problems


def common_problem(exc: DomainError) -> ProblemError | None:
    """The problem for a refusal every component shares; None for a component-specific one."""
    if isinstance(exc, NotFoundError):
        return ProblemError(ProblemType.NOT_FOUND, f"no {exc.kind} {shown_id(exc.object_id)!r}")
    if isinstance(exc, PreconditionFailedError):
        return ProblemError(
            ProblemType.PRECONDITION_FAILED,
            "If-Match does not match the current ETag; GET the resource again and retry",
        )
    if isinstance(exc, InvalidCursorError):
        return invalid_cursor()
    if isinstance(exc, IdempotencyKeyReusedError):
        return ProblemError(
            ProblemType.IDEMPOTENCY_KEY_REUSE,
            "this Idempotency-Key was already used with a different request body",
        )
    return None


class ComponentRoutes(Generic[S]):
    """Base of a component's HTTP binding: authentication, bounded JSON bodies, validation,
    service calls off the event loop with refusals mapped to problems, URLs under the mount.

    Handlers check the scope first (before reading the body, so a caller without it learns
    nothing more), then read and validate the body, then :meth:`call` the service.
    """

    #: The least request body size this component accepts, whatever the configured limit
    #: (components whose bodies carry files raise it).
    min_body_bytes: int = 0

    def __init__(self, service: S, context: AppContext) -> None:
        self.service = service
        self.context = context
        self.auth = context.authenticator

    def principal(self, request: Request, *any_of: str) -> Principal:
        """The authenticated caller holding at least one of ``any_of`` (else 401/403)."""
        return self.auth.require(request, *any_of)

    async def json_body(self, request: Request) -> Any:
        """The JSON body within the configured size (at least :attr:`min_body_bytes`) and depth
        limits (else 413/400/415)."""
        settings = self.context.settings
        limit = max(settings.max_body_bytes, self.min_body_bytes)
        return await read_json(request, max_bytes=limit, max_depth=settings.max_json_depth)

    def validate_body(self, schema: str, body: Any) -> None:
        """422 unless ``body`` is valid against ``schema``. Override to route validation
        through the component's own module (the mutant tests patch ``validator_for`` there)."""
        reject_field_errors(validator_for(schema).errors(body))

    async def valid_body(self, request: Request, schema: str) -> Any:
        """The JSON body, validated against ``schema`` in a worker thread."""
        body = await self.json_body(request)
        await run_in_threadpool(self.validate_body, schema, body)
        return body

    def problem(self, exc: DomainError) -> ProblemError:
        """The problem for a refusal. Override for component-specific errors, then defer here."""
        problem = common_problem(exc)
        if problem is None:
            raise exc
        return problem

    async def call(self, operation: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a service operation off the event loop; domain refusals become problems."""
        try:
            return await run_in_threadpool(operation, *args, **kwargs)
        except DomainError as exc:
            raise self.problem(exc) from None

    @staticmethod
    def url(request: Request, *segments: str) -> str:
        """The path of ``segments`` (each percent-encoded) under the component's mount point."""
        path = "/".join(quote(segment, safe="") for segment in segments)
        return f"{request.scope.get('root_path', '')}/{path}"
