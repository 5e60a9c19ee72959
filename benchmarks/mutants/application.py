"""Vendor-style faults in application@1.0 that the one-per-requirement catalogue
(``tests/mutants/catalogue.py``) does not have: crashes on bad input, timezone
slips, off-by-one pages, fields lost on read-back, status codes one off, and
tenant leaks through side doors (idempotency keys, filtered lists).

``kills`` names the requirement whose check is expected to fail first.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from tests.mutants.kit import AppFactory, Mutant
from tests.mutants.rewrite import Reply, Rewriter

from benchmarks.mutants import faults
from felles.reference.app import create_app
from felles.reference.components.application import (
    ALLOWED_TRANSITIONS,
    ApplicationComponent,
    ApplicationService,
    PageResult,
    StoredApplication,
)

REQ = "/req/application/"


def _service(service: type[ApplicationService]) -> AppFactory:
    return lambda settings: create_app(settings, components=[ApplicationComponent(service)])


def _wrapped(**rewrites: Any) -> AppFactory:
    return lambda settings: Rewriter(create_app(settings), **rewrites)


def _is_item(path: str) -> bool:
    parts = path.rstrip("/").split("/")
    return len(parts) == 5 and parts[3] == "applications"


# ------------------------------------------------------------ service faults


class TrimsStrings(ApplicationService):
    """Strips leading and trailing white space from every string before storing it."""

    def _insert(
        self, connection: sqlite3.Connection, tenant: str, submission: Mapping[str, Any]
    ) -> StoredApplication:
        def trim(node: Any) -> Any:
            if isinstance(node, dict):
                return {k: trim(v) for k, v in node.items()}
            if isinstance(node, list):
                return [trim(v) for v in node]
            return node.strip() if isinstance(node, str) else node

        return super()._insert(connection, tenant, trim(submission))


class PageOfLimitPlusOne(ApplicationService):
    """``LIMIT n + 1`` fetched to see if there is more, and all n + 1 rows served."""

    def list_page(self, tenant: str, *, limit: int = 20, **kwargs: Any) -> PageResult:
        page = super().list_page(tenant, limit=limit + 1, **kwargs)
        if len(page.items) <= limit:
            return page
        last = page.items[limit - 1]
        # The cursor still points after item n: item n + 1 comes again on the next page.
        return PageResult(page.items, page.last_seq, True, str(last["id"]))


class KeysAcrossKommuner(ApplicationService):
    """Idempotency keys are not scoped to the caller's kommune."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.idempotency = faults.SharedKeys(self.idempotency.scope)


class FilteredListIgnoresTenant(ApplicationService):
    """The filtered query was written separately and forgot ``municipality = ?``: the first
    page of a filtered list ends with the newest matching applications of other kommuner."""

    def list_page(
        self,
        tenant: str,
        *,
        status: str | None = None,
        type: str | None = None,
        after_seq: int = 0,
        limit: int = 20,
    ) -> PageResult:
        page = super().list_page(tenant, status=status, type=type, after_seq=after_seq, limit=limit)
        if (status is None and type is None) or after_seq:
            return page
        with self.database.connection() as connection:
            rows = connection.execute(
                "SELECT municipality, id FROM applications WHERE municipality != ?"
                " AND (? IS NULL OR status = ?) AND (? IS NULL OR type = ?) ORDER BY seq DESC LIMIT 3",
                (tenant, status, status, type, type),
            ).fetchall()
            foreign = [self.to_resource(self._load(connection, kommune, id_)) for kommune, id_ in rows]
        items = (page.items + foreign)[-limit:]
        return PageResult(items, page.last_seq, page.has_more, page.last_id)


class WithdrawnRevived(ApplicationService):
    transitions = MappingProxyType({**ALLOWED_TRANSITIONS, "withdrawn": frozenset({"received"})})


# ------------------------------------------------------------ HTTP faults


def _drop_comment_on_read(reply: Reply) -> None:
    body = faults.json_body(reply)
    if reply.method == "GET" and reply.status == 200 and _is_item(reply.path) and isinstance(body, dict):
        body.get("submission", {}).pop("comment", None)
        reply.set_json(body)


def _unknown_id_crashes(reply: Reply) -> bool:
    return reply.status == 404 and len(reply.path.rsplit("/", 1)[-1]) != 36


def _history_in_local_time(reply: Reply) -> None:
    faults.map_timestamps(faults.oslo_labelled_utc, only="at")(reply)


def _location_of_collection(reply: Reply) -> None:
    if reply.method == "POST" and reply.status == 201 and "location" in reply.headers:
        reply.headers["location"] = reply.headers["location"].rsplit("/", 1)[0]


def _next_link_drops_filter(reply: Reply) -> None:
    body = faults.json_body(reply)
    if reply.method == "GET" and isinstance(body, dict) and isinstance(body.get("next"), str):
        path, _, query = body["next"].partition("?")
        kept = [p for p in query.split("&") if not p.startswith(("status=", "type="))]
        body["next"] = path + "?" + "&".join(kept)
        reply.set_json(body)


def _frozen_updated_at(reply: Reply) -> None:
    body = faults.json_body(reply)
    if reply.status == 200 and isinstance(body, dict) and "updatedAt" in body and "createdAt" in body:
        body["updatedAt"] = body["createdAt"]
        reply.set_json(body)


def _default_limit_50(scope: dict[str, Any]) -> dict[str, Any]:
    query = scope.get("query_string", b"")
    if scope["method"] == "GET" and scope["path"].endswith("/applications") and b"limit=" not in query:
        scope["query_string"] = query + (b"&" if query else b"") + b"limit=50"
    return scope


def _m(name: str, fault: str, requirement: str, build: AppFactory) -> Mutant:
    return Mutant(name, fault, REQ + requirement, build)


APPLICATION_VENDOR_MUTANTS: tuple[Mutant, ...] = (
    _m(
        "app-500-on-wrong-type",
        "a member of the wrong JSON type (a number for a name) crashes the handler: 500 text/plain",
        "core/reject-invalid",
        _wrapped(on_response=faults.crash_when(faults.rejected_for_type)),
    ),
    _m(
        "app-500-on-malformed-id",
        "GET /applications/{id} with an id that is not a UUID crashes the database layer: 500",
        "core/not-found",
        _wrapped(on_response=faults.crash_when(_unknown_id_crashes)),
    ),
    _m(
        "app-naive-timestamps",
        "timestamps are written without an offset (2025-03-01T10:00:00.000)",
        "core/response-schema",
        _wrapped(on_response=faults.map_timestamps(faults.naive)),
    ),
    _m(
        "app-utc-labelled-oslo",
        "UTC wall-clock time sent with +01:00: every instant one hour early",
        "core/timestamps",
        _wrapped(on_response=faults.map_timestamps(faults.utc_labelled_oslo)),
    ),
    _m(
        "app-history-local-time",
        "history[].at is Oslo summer time labelled Z; createdAt and updatedAt are right",
        "core/timestamps",
        _wrapped(on_response=_history_in_local_time),
    ),
    _m(
        "app-updated-at-frozen",
        "updatedAt is never changed after creation (transitions leave it at createdAt)",
        "core/timestamps",
        _wrapped(on_response=_frozen_updated_at),
    ),
    _m(
        "app-page-limit-plus-one",
        "a page holds limit + 1 items and the cursor points after item n: one item served twice",
        "core/pagination",
        _service(PageOfLimitPlusOne),
    ),
    _m(
        "app-default-limit-50",
        "the default page size is 50, not 20",
        "core/limit-bounds",
        _wrapped(on_request=_default_limit_50),
    ),
    _m(
        "app-next-link-drops-filter",
        "the next link of a filtered list loses status/type, so page 2 is refused or unfiltered",
        "core/filters",
        _wrapped(on_response=_next_link_drops_filter),
    ),
    _m(
        "app-drops-comment",
        "GET drops the free-text comment of the submission (kept only in the vendor's own table)",
        "core/read-back",
        _wrapped(on_response=_drop_comment_on_read),
    ),
    _m(
        "app-trims-strings",
        "strings are stored trimmed: a comment's leading or trailing white space is lost",
        "core/read-back",
        _service(TrimsStrings),
    ),
    _m(
        "app-location-of-collection",
        "Location names the collection instead of the new application",
        "core/location",
        _wrapped(on_response=_location_of_collection),
    ),
    _m(
        "app-422-as-400-json",
        "invalid submissions get a problem labelled application/json",
        "core/reject-invalid",
        _wrapped(on_response=faults.problems_as_plain_json),
    ),
    _m(
        "app-409-as-400",
        "a forbidden transition is answered 400 instead of 409",
        "lifecycle/forbidden",
        _wrapped(on_response=faults.status_as(409, 400)),
    ),
    _m(
        "app-412-as-409",
        "a stale If-Match is answered 409 instead of 412",
        "lifecycle/if-match",
        _wrapped(on_response=faults.status_as(412, 409)),
    ),
    _m(
        "app-withdrawn-revived",
        "a withdrawn application can be moved to received again (a final status is not final)",
        "lifecycle/forbidden",
        _service(WithdrawnRevived),
    ),
    _m(
        "app-401-as-403",
        "a request without a token is answered 403 instead of 401",
        "security/authentication",
        _wrapped(on_response=faults.status_as(401, 403)),
    ),
    _m(
        "app-keys-across-kommuner",
        "Idempotency-Key is not scoped to the kommune: another kommune's retry gets this one's "
        "application",
        "security/tenant-isolation",
        _service(KeysAcrossKommuner),
    ),
    _m(
        "app-filtered-list-leaks",
        "lists filtered by status or type include other kommuners' applications",
        "security/tenant-isolation",
        _service(FilteredListIgnoresTenant),
    ),
)

