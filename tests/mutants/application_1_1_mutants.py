"""Mutants of the requirements application@1.1 adds, served and tested as version 1.1.

The requirements 1.1 shares with 1.0 run the same checks in both versions, so
their 1.0 mutants (``catalogue.py``) prove them for 1.1 too.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.types import Scope

from felles.reference.app import create_app
from felles.reference.components.application import (
    ApplicationComponent,
    ApplicationService,
    StoredApplication,
)
from tests.mutants.kit import AppFactory, Mutant
from tests.mutants.rewrite import Rewriter

VERSION = "1.1"
_OFFSET = re.compile(r"([+-][0-9]{2}:[0-9]{2}|[Zz])$")


def _served_as_1_1(service: type[ApplicationService]) -> AppFactory:
    return lambda settings: create_app(settings, components=[ApplicationComponent(service, version=VERSION)])


class IgnoresSubmittedSince(ApplicationService):
    def list_page(self, tenant: str, *, submitted_since: str | None = None, **kwargs: Any) -> Any:
        return super().list_page(tenant, **kwargs)


class SortsPriorityBases(ApplicationService):
    """Keeps the grounds as a set would: the applicant's main ground is no longer first."""

    def _insert(
        self, connection: sqlite3.Connection, tenant: str, submission: Mapping[str, Any]
    ) -> StoredApplication:
        changed = json.loads(json.dumps(submission))
        if isinstance(changed.get("priorityBases"), list):
            changed["priorityBases"] = sorted(changed["priorityBases"])
        return super()._insert(connection, tenant, changed)


def _offset_read_as_utc(scope: Scope) -> Scope:
    """``submittedSince`` with its UTC offset replaced by ``Z``: local time taken for UTC."""
    query = dict(parse_qsl(scope.get("query_string", b"").decode()))
    if "submittedSince" in query:
        query["submittedSince"] = _OFFSET.sub("Z", query["submittedSince"])
    scope["query_string"] = urlencode(query).encode()
    return scope


APPLICATION_1_1_MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        "ignores-submitted-since",
        "the submittedSince filter is ignored",
        "/req/application/core/submitted-since",
        _served_as_1_1(IgnoresSubmittedSince),
        VERSION,
    ),
    Mutant(
        "submitted-since-offset-ignored",
        "submittedSince is read as UTC whatever its offset says",
        "/req/application/core/submitted-since",
        lambda settings: Rewriter(create_app(settings), on_request=_offset_read_as_utc),
        VERSION,
    ),
    Mutant(
        "sorts-priority-bases",
        "priorityBases is stored sorted, losing which ground is the main one",
        "/req/application/core/priority-bases",
        _served_as_1_1(SortsPriorityBases),
        VERSION,
    ),
)
