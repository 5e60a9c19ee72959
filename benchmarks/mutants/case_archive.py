"""Vendor-style faults in case-archive@1.0 beyond the one-per-requirement catalogue
(``tests/mutants/case_archive_mutants.py``): crashes, timezone slips, status codes
one off, duplicated pages, screened data leaking through a side door, lifecycle
shortcuts.

``kills`` names the requirement whose check is expected to fail first.
"""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType
from typing import Any

from tests.mutants.kit import AppFactory, Mutant
from tests.mutants.rewrite import Reply, Rewriter

from benchmarks.mutants import faults
from felles.reference.app import create_app
from felles.reference.components.case_archive import CaseArchiveComponent
from felles.reference.components.case_archive_model import Caller
from felles.reference.components.case_archive_service import CaseArchiveService

REQ = "/req/case-archive/"


def _service(service: type[CaseArchiveService]) -> AppFactory:
    return lambda settings: create_app(settings, components=[CaseArchiveComponent(service)])


def _wrapped(**rewrites: Any) -> AppFactory:
    return lambda settings: Rewriter(create_app(settings), **rewrites)


# ------------------------------------------------------------ service faults


class NoReopening(CaseArchiveService):
    """A closed case file can never be reopened (the vendor treats closing as final)."""

    transitions = MappingProxyType({"open": frozenset({"closed"}), "closed": frozenset()})


class ListSkipsScreening(CaseArchiveService):
    """The entry list was added later and builds entries for a caller who sees everything."""

    def list_entries(self, caller: Caller, case_id: str, **kwargs: Any) -> Any:
        return super().list_entries(replace(caller, sees_screened=True), case_id, **kwargs)


# ------------------------------------------------------------ HTTP faults


def _is_case_item(reply: Reply) -> bool:
    parts = reply.path.rstrip("/").split("/")
    return len(parts) == 5 and parts[3] == "case-files"


def _drop_description_on_read(reply: Reply) -> None:
    body = faults.json_body(reply)
    if reply.method == "GET" and reply.status == 200 and _is_case_item(reply) and isinstance(body, dict):
        body.pop("description", None)
        reply.set_json(body)


def _created_200(reply: Reply) -> None:
    if reply.method == "POST" and reply.status == 201:
        reply.status = 200


def _no_location(reply: Reply) -> None:
    if reply.method == "POST" and reply.status == 201:
        reply.headers.pop("location", None)


def _foreign_is_403(reply: Reply) -> None:
    """Another kommune's case answered 403 'not yours' instead of 404: it exists, and it shows."""
    body = faults.json_body(reply)
    if reply.status == 404 and isinstance(body, dict) and len(reply.path.rsplit("/", 1)[-1]) == 36:
        faults.status_as(404, 403)(reply)


def _closed_at_kept(reply: Reply) -> None:
    body = faults.json_body(reply)
    reopened = isinstance(body, dict) and body.get("status") == "open" and body.get("closedAt") is None
    if reopened and body.get("createdAt") != body.get("updatedAt"):
        body["closedAt"] = body["updatedAt"]
        reply.set_json(body)


def _m(name: str, fault: str, requirement: str, build: AppFactory) -> Mutant:
    return Mutant(name, fault, REQ + requirement, build)


CASE_ARCHIVE_VENDOR_MUTANTS: tuple[Mutant, ...] = (
    _m(
        "ca-500-on-wrong-type",
        "a member of the wrong JSON type crashes the handler: 500 text/plain",
        "core/reject-invalid",
        _wrapped(on_response=faults.crash_when(faults.rejected_for_type)),
    ),
    _m(
        "ca-naive-timestamps",
        "createdAt/updatedAt/closedAt without an offset",
        "core/create",
        _wrapped(on_response=faults.map_timestamps(faults.naive)),
    ),
    _m(
        "ca-audit-local-time",
        "audit events stamped in Oslo summer time labelled Z (two hours ahead)",
        "core/audit-trail",
        _wrapped(on_response=faults.map_timestamps(faults.oslo_labelled_utc, only="at")),
    ),
    _m(
        "ca-created-200",
        "POST answers 200 instead of 201 Created",
        "core/create",
        _wrapped(on_response=_created_200),
    ),
    _m(
        "ca-no-location",
        "201 Created without a Location header",
        "core/create",
        _wrapped(on_response=_no_location),
    ),
    _m(
        "ca-drops-description",
        "GET of a case file drops its description",
        "core/read-back",
        _wrapped(on_response=_drop_description_on_read),
    ),
    _m(
        "ca-problem-as-json",
        "problem bodies are labelled application/json",
        "core/reject-invalid",
        _wrapped(on_response=faults.problems_as_plain_json),
    ),
    _m(
        "ca-409-as-400",
        "a closed case's new entry and a repeated transition are answered 400, not 409",
        "core/closed-case",
        _wrapped(on_response=faults.status_as(409, 400)),
    ),
    _m(
        "ca-page-repeats-item",
        "every page with a next link repeats its last item",
        "core/pagination",
        _wrapped(on_response=faults.page_repeats_last_item),
    ),
    _m(
        "ca-no-reopening",
        "a closed case file cannot be reopened (409)",
        "core/case-lifecycle",
        _service(NoReopening),
    ),
    _m(
        "ca-reopened-keeps-closed-at",
        "a reopened case file still shows closedAt",
        "core/case-lifecycle",
        _wrapped(on_response=_closed_at_kept),
    ),
    _m(
        "ca-foreign-case-403",
        "another kommune's case file is answered 403, revealing that it exists",
        "core/tenant-isolation",
        _wrapped(on_response=_foreign_is_403),
    ),
    _m(
        "ca-list-skips-screening",
        "the case's registry-entry list returns screened members to everyone",
        "screening/withheld",
        _service(ListSkipsScreening),
    ),
    _m(
        "ca-401-as-403",
        "a request without a token is answered 403 instead of 401",
        "core/authentication",
        _wrapped(on_response=faults.status_as(401, 403)),
    ),
)
