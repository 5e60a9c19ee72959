"""Response rewrites (and one storage fault) shared by the vendor-style mutants of every
component.

Each is a fault a gateway, framework or hand-written handler really
produces: an exception page instead of a problem, timestamps in the wrong
zone, a status code one off, an idempotency table without a kommune column.
The rewrites reuse :class:`tests.mutants.rewrite.Rewriter`.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from tests.mutants.rewrite import Reply

from felles.reference.storage import IdempotencyStore, StoredResponse

_UTC_STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z$")
ResponseRewrite = Callable[[Reply], None]


def json_body(reply: Reply) -> Any:
    """The body if it is JSON of any kind (problem+json included), else None."""
    kind = reply.headers.get("content-type", "")
    return reply.json() if "json" in kind and reply.body else None


def crash(reply: Reply) -> None:
    """What an unhandled exception looks like behind most frameworks: 500, text/plain."""
    reply.status = 500
    reply.headers["content-type"] = "text/plain; charset=utf-8"
    reply.body = b"Internal Server Error"


def crash_when(test: Callable[[Reply], bool]) -> ResponseRewrite:
    def rewrite(reply: Reply) -> None:
        if test(reply):
            crash(reply)

    return rewrite


def rejected_for_type(reply: Reply) -> bool:
    """A 422 that lists a member of the wrong JSON type: the handler would have crashed on it."""
    body = json_body(reply)
    if reply.status != 422 or not isinstance(body, dict):
        return False
    return any("is not of type" in str(e.get("detail", "")) for e in body.get("errors", []))


def map_timestamps(change: Callable[[str], str], *, only: str | None = None) -> ResponseRewrite:
    """Rewrite every UTC timestamp of a JSON body (or only members named ``only``)."""

    def walk(node: Any, name: str | None) -> Any:
        if isinstance(node, dict):
            return {k: walk(v, k) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, name) for v in node]
        if isinstance(node, str) and _UTC_STAMP.match(node) and (only is None or name == only):
            return change(node)
        return node

    def rewrite(reply: Reply) -> None:
        body = json_body(reply)
        if body is not None and reply.status < 300:
            reply.set_json(walk(body, None))

    return rewrite


def naive(stamp: str) -> str:
    """``2025-03-01T10:00:00.000Z`` → ``2025-03-01T10:00:00.000``: no offset at all."""
    return stamp[:-1]


def utc_labelled_oslo(stamp: str) -> str:
    """The UTC wall-clock time with Oslo's winter offset glued on: one hour off."""
    return stamp[:-1] + "+01:00"


def oslo_labelled_utc(stamp: str) -> str:
    """Oslo summer wall-clock time with a ``Z``: two hours off."""
    instant = datetime.fromisoformat(stamp.replace("Z", "+00:00")) + timedelta(hours=2)
    return instant.strftime("%Y-%m-%dT%H:%M:%S.") + f"{instant.microsecond // 1000:03d}Z"


def status_as(old: int, new: int) -> ResponseRewrite:
    """Answer ``new`` wherever the reference answers ``old`` (body unchanged but its status)."""

    def rewrite(reply: Reply) -> None:
        if reply.status == old:
            reply.status = new
            body = json_body(reply)
            if isinstance(body, dict) and body.get("status") == old:
                body["status"] = new
                reply.set_json(body)

    return rewrite


def problems_as_plain_json(reply: Reply) -> None:
    """Problem bodies labelled ``application/json``: clients cannot tell an error from data."""
    if reply.headers.get("content-type", "").startswith("application/problem+json"):
        reply.headers["content-type"] = "application/json"


def page_repeats_last_item(reply: Reply) -> None:
    """A page with a next link repeats its last item (a join that fans out one row twice)."""
    body = json_body(reply)
    if reply.method == "GET" and isinstance(body, dict) and body.get("next") and body.get("items"):
        body["items"] = [*body["items"], body["items"][-1]]
        reply.set_json(body)


class SharedKeys(IdempotencyStore):
    """An idempotency store keyed by the key alone, for every kommune: another kommune's retry
    with the same ``Idempotency-Key`` and body gets this kommune's answer replayed."""

    def lookup(self, connection: sqlite3.Connection, tenant: str, key: str) -> StoredResponse | None:
        return super().lookup(connection, "*", key)

    def save(self, connection: sqlite3.Connection, tenant: str, key: str, *args: Any, **kwargs: Any) -> None:
        super().save(connection, "*", key, *args, **kwargs)
