"""Checks for application@1.0 and @1.1 (spec/application/<version>/index.md).

One function per requirement; each is marked with the requirement it proves
and may only fail when the system under test breaks that requirement.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from felles.runner.assertions import (
    expect_json_body,
    expect_problem,
    expect_status,
    header,
)
from felles.runner.checks.shared import (
    FORGED_JWT,
    expect_declaration,
    json_diff,
    parse_instant,
    problem_detail,
    value_at,
    walk_pages,
)
from felles.runner.client import ApiClient, Response
from felles.runner.config import RunConfig
from felles.runner.failures import ConformanceFailure, expect
from felles.runner.generators import Generators
from felles.runner.plugin import ExamplesDecorator as Examples
from felles.standard import Component
from felles.strategies.near_miss import NearMiss

requirement = pytest.mark.requirement

SUBMISSION = "ApplicationSubmission"
COLLECTION = "/applications"
ALLOWED: dict[str, tuple[str, ...]] = {
    "submitted": ("received", "withdrawn"),
    "received": ("under-review", "withdrawn"),
    "under-review": ("granted", "refused", "withdrawn"),
    "granted": (),
    "refused": (),
    "withdrawn": (),
}
TARGETS = ("received", "under-review", "granted", "refused", "withdrawn")
# How to reach each status from "submitted".
PATHS: dict[str, tuple[str, ...]] = {
    "submitted": (),
    "received": ("received",),
    "under-review": ("received", "under-review"),
    "granted": ("received", "under-review", "granted"),
    "refused": ("received", "under-review", "refused"),
    "withdrawn": ("withdrawn",),
}
MAX_PAGES = 5000


# ------------------------------------------------------------------ helpers


def create(api: ApiClient, payload: Any, **kwargs: Any) -> Response:
    return api.post(COLLECTION, payload, **kwargs)


def create_ok(
    api: ApiClient, gen: Generators, payload: Any, **kwargs: Any
) -> tuple[Response, dict[str, Any]]:
    """Submit ``payload`` and insist it was created; returns the response and its body."""
    response = create(api, payload, **kwargs)
    expect_status(response, 201)
    body = expect_json_body(response, gen.validator("Application"))
    return response, dict(body)


def item_path(application_id: str) -> str:
    return f"{COLLECTION}/{application_id}"


def fetch(api: ApiClient, gen: Generators, application_id: str) -> tuple[Response, dict[str, Any]]:
    response = api.get(item_path(application_id))
    expect_status(response, 200)
    return response, dict(expect_json_body(response, gen.validator("Application")))


def transition(api: ApiClient, application_id: str, to: str, **kwargs: Any) -> Response:
    return api.post(f"{item_path(application_id)}/transitions", {"to": to}, **kwargs)


def walk(api: ApiClient, gen: Generators, application_id: str, steps: tuple[str, ...]) -> None:
    """Move an application along allowed transitions (lifecycle/allowed must hold)."""
    for step in steps:
        response = transition(api, application_id, step)
        expect_status(response, 200)


def all_ids(api: ApiClient, gen: Generators, params: dict[str, str | int]) -> list[str]:
    """Follow next links from the first page; every id in the order served."""
    return [str(item["id"]) for item in walk_pages(api, COLLECTION, gen.validator("ApplicationPage"), params)]


# ------------------------------------------------------------------ core


@requirement("/req/application/core/conformance")
def check_conformance_declaration(anonymous: ApiClient, component: Component, run_config: RunConfig) -> None:
    expect_declaration(anonymous, component, run_config)


@requirement("/req/application/core/create")
def check_create_accepts_valid_submissions(api: ApiClient, gen: Generators, examples: Examples) -> None:
    @examples
    @given(payload=gen.valid(SUBMISSION))
    def attempt(payload: Any) -> None:
        _, body = create_ok(api, gen, payload)
        expect(
            body["status"] == "submitted",
            f"new application has status {body['status']!r}, not 'submitted'",
        )
        statuses = [entry["status"] for entry in body["history"]]
        expect(
            statuses == ["submitted"],
            f"new application's history is {statuses}, expected ['submitted']",
        )

    attempt()


@requirement("/req/application/core/location")
def check_location_header(api: ApiClient, gen: Generators, examples: Examples) -> None:
    @examples
    @given(payload=gen.valid(SUBMISSION))
    def attempt(payload: Any) -> None:
        response, body = create_ok(api, gen, payload)
        location = header(response, "Location")
        expect(location is not None, "201 Created without a Location header")
        assert location is not None
        fetched = api.get(api.resolve(location, response.url))
        expect_status(fetched, 200)
        got = expect_json_body(fetched, gen.validator("Application"))
        expect(
            got["id"] == body["id"],
            f"Location {location} serves application {got['id']}, not {body['id']}",
        )

    attempt()


@requirement("/req/application/core/read-back")
def check_read_back_unchanged(api: ApiClient, gen: Generators, examples: Examples) -> None:
    @examples
    @given(payload=gen.valid(SUBMISSION))
    def attempt(payload: Any) -> None:
        _, created = create_ok(api, gen, payload)
        _, stored = fetch(api, gen, created["id"])
        expect(
            stored["submission"] == payload,
            f"GET {item_path(created['id'])} returned a submission that differs from the one sent: "
            + json_diff(payload, stored["submission"]),
        )

    attempt()


@requirement("/req/application/core/reject-invalid")
def check_rejects_invalid_submissions(api: ApiClient, gen: Generators, examples: Examples) -> None:
    @examples
    @given(miss=gen.near_miss(SUBMISSION))
    def attempt(miss: NearMiss) -> None:
        response = create(api, miss.instance)
        expect(
            response.status_code in (400, 422),
            f"a submission with {miss.reason} at {miss.pointer} was answered {response.status_code}, "
            "not rejected with 400 or 422",
        )
        expect_problem(response, 400, 422)
        expect(header(response, "Location") is None, "a rejected submission got a Location header")

    attempt()


@requirement("/req/application/core/reject-invalid")
def check_rejects_invalid_identifiers(api: ApiClient, gen: Generators, examples: Examples) -> None:
    """Every identifier of one submission broken in turn: check digits, dates, kommunenummer.

    Deterministic on purpose: random near-misses break a format only now and
    then, and accepting a wrong fødselsnummer is the fault this suite exists
    to catch every time.
    """

    @examples(max_examples=2)
    @given(payload=gen.valid(SUBMISSION))
    def attempt(payload: Any) -> None:
        broken = [m for m in gen.all_near_misses(SUBMISSION, payload) if m.reason == "format"]
        for miss in broken:
            response = create(api, miss.instance)
            expect(
                response.status_code in (400, 422),
                f"a submission whose {miss.pointer} has an invalid identifier "
                f"({value_at(miss.instance, miss.pointer)!r}) was answered {response.status_code}, "
                "not rejected with 400 or 422",
            )
            expect_problem(response, 400, 422)

    attempt()


@requirement("/req/application/core/error-pointer")
def check_error_pointer_names_field(api: ApiClient, gen: Generators, examples: Examples) -> None:
    @examples
    @given(miss=gen.near_miss(SUBMISSION))
    def attempt(miss: NearMiss) -> None:
        response = create(api, miss.instance)
        if response.status_code not in (400, 422):
            raise ConformanceFailure(f"invalid submission ({miss.reason} at {miss.pointer}) was not rejected")
        problem = expect_problem(response, 400, 422)
        pointers = [str(e.get("pointer")) for e in problem.get("errors", []) if isinstance(e, dict)]
        expect(
            miss.pointer in pointers,
            f"submission broken at {miss.pointer} ({miss.reason}); "
            f"problem errors point at {pointers or 'nothing'}",
        )

    attempt()


@requirement("/req/application/core/response-schema")
def check_responses_follow_schemas(api: ApiClient, gen: Generators, examples: Examples) -> None:
    @examples(max_examples=5)
    @given(payload=gen.valid(SUBMISSION), miss=gen.near_miss(SUBMISSION))
    def attempt(payload: Any, miss: NearMiss) -> None:
        _, created = create_ok(api, gen, payload)
        fetch(api, gen, created["id"])
        listed = api.get(COLLECTION, params={"limit": 5})
        expect_status(listed, 200)
        expect_json_body(listed, gen.validator("ApplicationPage"))
        expect_problem(create(api, miss.instance), 400, 422)
        expect_problem(api.get(item_path(str(uuid.uuid4()))), 404)

    attempt()


@requirement("/req/application/core/not-found")
def check_unknown_id_is_404(api: ApiClient) -> None:
    for unknown in (str(uuid.uuid4()), "does-not-exist"):
        expect_problem(api.get(item_path(unknown)), 404)


@requirement("/req/application/core/pagination")
def check_pagination_complete(api: ApiClient, gen: Generators, examples: Examples) -> None:
    @examples(max_examples=1)
    @given(payloads=st.lists(gen.valid(SUBMISSION), min_size=5, max_size=5))
    def attempt(payloads: list[Any]) -> None:
        created = [create_ok(api, gen, p)[1]["id"] for p in payloads]
        for limit in (2, 3):
            ids = all_ids(api, gen, {"limit": limit})
            duplicates = sorted({i for i in ids if ids.count(i) > 1})
            expect(
                not duplicates,
                f"with limit={limit} these ids were served more than once: {duplicates[:5]}",
            )
            missing = [i for i in created if i not in ids]
            expect(
                not missing,
                f"with limit={limit} these created applications were never served: {missing}",
            )

    attempt()


@requirement("/req/application/core/limit-bounds")
def check_limit_bounds(api: ApiClient, gen: Generators) -> None:
    for bad in ("0", "101", "-1", "abc", "2.5"):
        response = api.get(COLLECTION, params={"limit": bad})
        expect(response.status_code == 400, f"limit={bad} was answered {response.status_code}, not 400")
        expect_problem(response, 400)
    for good in (1, 100):
        response = api.get(COLLECTION, params={"limit": good})
        expect_status(response, 200)
        page = expect_json_body(response, gen.validator("ApplicationPage"))
        expect(len(page["items"]) <= good, f"limit={good} returned {len(page['items'])} items")
    page = expect_json_body(api.get(COLLECTION), gen.validator("ApplicationPage"))
    size = len(page["items"])
    expect(size <= 20, f"default page has {size} items; the default limit is 20")
    expect(
        page["next"] is None or size == 20,
        f"default page has {size} items and a next link; expected 20",
    )


@requirement("/req/application/core/filters")
def check_filters(api: ApiClient, gen: Generators, examples: Examples) -> None:
    submissions = gen.valid(SUBMISSION)
    kinds = st.tuples(
        submissions.filter(lambda p: p["type"] == "kindergarten-place"),
        submissions.filter(lambda p: p["type"] == "after-school-care"),
    )

    @examples(max_examples=1)
    @given(pair=kinds)
    def attempt(pair: tuple[Any, Any]) -> None:
        kindergarten = create_ok(api, gen, pair[0])[1]["id"]
        sfo = create_ok(api, gen, pair[1])[1]["id"]
        cases: list[tuple[dict[str, str | int], set[str], set[str]]] = [
            ({"type": "kindergarten-place"}, {kindergarten}, {sfo}),
            ({"type": "after-school-care"}, {sfo}, {kindergarten}),
            ({"status": "submitted"}, {kindergarten, sfo}, set()),
            ({"status": "granted"}, set(), {kindergarten, sfo}),
        ]
        for params, must_have, must_not in cases:
            listed = _all_items(api, gen, {**params, "limit": 100})
            ids = {str(item["id"]) for item in listed}
            key, value = next(iter(params.items()))
            wrong = [
                item["id"]
                for item in listed
                if (item["submission"]["type"] if key == "type" else item["status"]) != value
            ]
            expect(not wrong, f"filter {key}={value} returned non-matching applications {wrong[:5]}")
            expect(must_have <= ids, f"filter {key}={value} left out {sorted(must_have - ids)}")
            expect(not (must_not & ids), f"filter {key}={value} included {sorted(must_not & ids)}")
            _expect_filter_kept_on_next_page(api, gen, params)

    attempt()


def _expect_filter_kept_on_next_page(api: ApiClient, gen: Generators, params: dict[str, str | int]) -> None:
    """One page of 1 and its next link: the second page must still be filtered."""
    start = api.get(COLLECTION, params={**params, "limit": 1})
    expect_status(start, 200)
    first = expect_json_body(start, gen.validator("ApplicationPage"))
    if first["next"] is None:
        return
    response = api.get(api.resolve(first["next"], start.url))
    expect_status(response, 200)
    page = expect_json_body(response, gen.validator("ApplicationPage"))
    key, value = next(iter(params.items()))
    wrong = [
        item["id"]
        for item in page["items"]
        if (item["submission"]["type"] if key == "type" else item["status"]) != value
    ]
    expect(not wrong, f"the next link of a list filtered by {key}={value} served {wrong[:5]}, unfiltered")


def _all_items(api: ApiClient, gen: Generators, params: dict[str, str | int]) -> list[dict[str, Any]]:
    return walk_pages(api, COLLECTION, gen.validator("ApplicationPage"), params)


# Added in 1.1: run only against versions whose spec lists them (see plugin.applicable).


def draw_one(examples: Examples, strategy: st.SearchStrategy[Any]) -> Any:
    """One value of ``strategy``, drawn under the run's seed, for a check whose payload is
    incidental: the check then fails on that payload as it is, with no shrinking to replay."""
    drawn: list[Any] = []

    @examples(max_examples=1)
    @given(value=strategy)
    def draw(value: Any) -> None:
        drawn.append(value)

    draw()
    return drawn[-1]


def _instant_text(instant: datetime, hours: int = 0) -> str:
    """RFC 3339 text of ``instant`` at a UTC offset of ``hours`` (the same instant)."""
    return instant.astimezone(timezone(timedelta(hours=hours))).isoformat()


@requirement("/req/application/core/submitted-since")
def check_submitted_since(api: ApiClient, gen: Generators, examples: Examples) -> None:
    """submittedSince lists exactly the applications submitted at or after the instant, whatever
    its UTC offset, and keeps doing so across pages; a value that is no date-time is a 400."""

    # One payload submitted three times: what is filtered is the submission time, not the content.
    payload = draw_one(examples, gen.valid(SUBMISSION))
    created = [create_ok(api, gen, payload)[1] for _ in range(3)]
    when = {str(c["id"]): parse_instant(c["createdAt"], "createdAt") for c in created}
    pivot = when[str(created[1]["id"])]
    cases: list[tuple[str, str, int]] = [
        ("createdAt as served", str(created[1]["createdAt"]), 100),
        ("the same instant at +01:00", _instant_text(pivot, 1), 100),
        ("1 ms later", _instant_text(pivot + timedelta(milliseconds=1)), 100),
        ("paged 2 at a time", str(created[0]["createdAt"]), 2),
    ]
    for what, since_text, limit in cases:
        since = parse_instant(since_text, "submittedSince")
        listed = _all_items(api, gen, {"submittedSince": since_text, "limit": limit})
        query = f"submittedSince={since_text} ({what})"
        early = [i["id"] for i in listed if parse_instant(i["createdAt"], "createdAt") < since]
        expect(not early, f"{query} returned applications submitted before it: {early[:5]}")
        ids = {str(item["id"]) for item in listed}
        left_out = sorted(i for i, at in when.items() if at >= since and i not in ids)
        expect(not left_out, f"{query} left out applications submitted at or after it: {left_out}")
    combined = _all_items(api, gen, {"submittedSince": created[0]["createdAt"], "status": "granted"})
    wrong = [i["id"] for i in combined if i["status"] != "granted"]
    expect(not wrong, f"submittedSince with status=granted returned non-granted applications {wrong[:5]}")
    for bad in ("yesterday", "2027-02-30T00:00:00Z", "2027-03-01T00:00:00", "2027-03-01"):
        response = api.get(COLLECTION, params={"submittedSince": bad})
        expect(
            response.status_code == 400,
            f"submittedSince={bad} was answered {response.status_code}, not 400",
        )
        expect_problem(response, 400)


@requirement("/req/application/core/priority-bases")
def check_priority_bases_as_sent(api: ApiClient, gen: Generators, examples: Examples) -> None:
    """priorityBases comes back as sent (order and empty list kept), a deprecated priorityBasis
    beside it unchanged too."""
    kindergarten = gen.valid(SUBMISSION).filter(lambda p: p["type"] == "kindergarten-place")
    cases: list[dict[str, Any]] = [
        {"priorityBases": ["disability", "child-welfare"]},
        {"priorityBases": ["child-welfare", "disability"]},
        {"priorityBases": []},
        {"priorityBases": ["disability"], "priorityBasis": "child-welfare"},
    ]

    payload = draw_one(examples, kindergarten)
    for members in cases:
        sent = {k: v for k, v in payload.items() if k not in ("priorityBases", "priorityBasis")}
        sent.update(members)
        _, created = create_ok(api, gen, sent)
        _, stored = fetch(api, gen, created["id"])
        for where, submission in (("201 response", created["submission"]), ("GET", stored["submission"])):
            got = {k: submission[k] for k in ("priorityBases", "priorityBasis") if k in submission}
            expect(got == members, f"sent {members}; the {where} of {item_path(created['id'])} has {got}")


@requirement("/req/application/core/idempotency")
def check_idempotent_retry(api: ApiClient, gen: Generators, examples: Examples) -> None:
    @examples(max_examples=3)
    @given(payload=gen.valid(SUBMISSION))
    def attempt(payload: Any) -> None:
        key = str(uuid.uuid4())
        first = create(api, payload, headers={"Idempotency-Key": key})
        expect_status(first, 201)
        retry = create(api, payload, headers={"Idempotency-Key": key})
        expect(
            retry.status_code == first.status_code,
            f"retry with the same Idempotency-Key answered {retry.status_code}, "
            f"the first request {first.status_code}",
        )
        expect(
            header(retry, "Location") == header(first, "Location"),
            f"retry created a second resource: Location {header(retry, 'Location')} "
            f"vs {header(first, 'Location')}",
        )
        first_id = first.json().get("id")
        retry_id = retry.json().get("id")
        expect(
            first_id == retry_id,
            f"retry returned application {retry_id}, the first request {first_id}",
        )

    attempt()


@requirement("/req/application/core/idempotency-conflict")
def check_idempotency_key_reuse(api: ApiClient, gen: Generators, examples: Examples) -> None:
    @examples(max_examples=3)
    @given(first=gen.valid(SUBMISSION), second=gen.valid(SUBMISSION))
    def attempt(first: Any, second: Any) -> None:
        assume(first != second)
        key = str(uuid.uuid4())
        expect_status(create(api, first, headers={"Idempotency-Key": key}), 201)
        reused = create(api, second, headers={"Idempotency-Key": key})
        expect(
            reused.status_code == 422,
            f"reusing an Idempotency-Key with another body was answered {reused.status_code}, not 422",
        )
        expect_problem(reused, 422)

    attempt()


@requirement("/req/application/core/timestamps")
def check_timestamps_are_true(
    api: ApiClient, gen: Generators, run_config: RunConfig, examples: Examples
) -> None:
    @examples(max_examples=3)
    @given(payload=gen.valid(SUBMISSION))
    def attempt(payload: Any) -> None:
        sent = datetime.now(UTC)
        _, body = create_ok(api, gen, payload)
        stamps = [("createdAt", body["createdAt"]), ("updatedAt", body["updatedAt"])]
        stamps += [(f"history[{i}].at", entry["at"]) for i, entry in enumerate(body["history"])]
        for name, value in stamps:
            stamp = parse_instant(value, name)
            skew = abs((stamp - sent).total_seconds())
            expect(
                skew <= 300,
                f"{name} {value} is {skew:.0f} s away from the time of the request "
                f"({sent:%Y-%m-%dT%H:%M:%SZ})",
            )
        if "lifecycle" in run_config.classes_to_test:
            # updatedAt is the instant of the last change: never before the last transition.
            expect_status(transition(api, body["id"], "received"), 200)
            _, stored = fetch(api, gen, body["id"])
            last = stored["history"][-1]["at"]
            expect(
                parse_instant(stored["updatedAt"], "updatedAt") >= parse_instant(last, "history[].at"),
                f"after a transition at {last} updatedAt is still {stored['updatedAt']}",
            )

    attempt()


@requirement("/req/application/core/etag-on-create")
def check_etag_on_create(api: ApiClient, gen: Generators, examples: Examples) -> None:
    @examples(max_examples=1)
    @given(payload=gen.valid(SUBMISSION))
    def attempt(payload: Any) -> None:
        response, body = create_ok(api, gen, payload)
        created_tag = header(response, "ETag")
        expect(created_tag is not None, "201 Created without an ETag header")
        fetched, _ = fetch(api, gen, body["id"])
        expect(
            created_tag == header(fetched, "ETag"),
            f"ETag at creation {created_tag} differs from GET's {header(fetched, 'ETag')}",
        )

    attempt()


# ------------------------------------------------------------------ lifecycle


@requirement("/req/application/lifecycle/allowed")
def check_allowed_transitions(api: ApiClient, gen: Generators, examples: Examples) -> None:
    @examples(max_examples=1)
    @given(payload=gen.valid(SUBMISSION))
    def attempt(payload: Any) -> None:
        for start, targets in ALLOWED.items():
            for to in targets:
                application_id = create_ok(api, gen, payload)[1]["id"]
                walk(api, gen, application_id, PATHS[start])
                response = transition(api, application_id, to)
                expect(
                    response.status_code == 200,
                    f"allowed transition {start} → {to} was answered {response.status_code}"
                    + problem_detail(response),
                )
                body = expect_json_body(response, gen.validator("Application"))
                expect(
                    body["status"] == to,
                    f"after {start} → {to} the response says status {body['status']!r}",
                )
                _, stored = fetch(api, gen, application_id)
                expect(
                    stored["status"] == to,
                    f"after {start} → {to} GET says status {stored['status']!r}",
                )

    attempt()


@requirement("/req/application/lifecycle/forbidden")
def check_forbidden_transitions(api: ApiClient, gen: Generators, examples: Examples) -> None:
    @examples(max_examples=1)
    @given(payload=gen.valid(SUBMISSION))
    def attempt(payload: Any) -> None:
        for start, allowed in ALLOWED.items():
            application_id = create_ok(api, gen, payload)[1]["id"]
            walk(api, gen, application_id, PATHS[start])
            for to in TARGETS:
                if to in allowed:
                    continue
                response = transition(api, application_id, to)
                expect(
                    response.status_code == 409,
                    f"forbidden transition {start} → {to} was answered {response.status_code}, not 409",
                )
                expect_problem(response, 409)
                _, stored = fetch(api, gen, application_id)
                expect(
                    stored["status"] == start,
                    f"forbidden {start} → {to} changed the status to {stored['status']!r}",
                )

    attempt()


@requirement("/req/application/lifecycle/history")
def check_history_records_transitions(api: ApiClient, gen: Generators, examples: Examples) -> None:
    @examples(max_examples=1)
    @given(payload=gen.valid(SUBMISSION))
    def attempt(payload: Any) -> None:
        application_id = create_ok(api, gen, payload)[1]["id"]
        expected = ["submitted"]
        for step in PATHS["granted"]:
            expect_status(transition(api, application_id, step), 200)
            expected.append(step)
            _, stored = fetch(api, gen, application_id)
            statuses = [entry["status"] for entry in stored["history"]]
            expect(statuses == expected, f"history after {' → '.join(expected)} is {statuses}")
            instants = [parse_instant(entry["at"], "history[].at") for entry in stored["history"]]
            expect(
                instants == sorted(instants),
                f"history timestamps go backwards: {[e['at'] for e in stored['history']]}",
            )

    attempt()


@requirement("/req/application/lifecycle/etag")
def check_etag_changes(api: ApiClient, gen: Generators, examples: Examples) -> None:
    @examples(max_examples=1)
    @given(payload=gen.valid(SUBMISSION))
    def attempt(payload: Any) -> None:
        application_id = create_ok(api, gen, payload)[1]["id"]
        before = header(fetch(api, gen, application_id)[0], "ETag")
        expect(before is not None, f"GET {item_path(application_id)} has no ETag header")
        expect_status(transition(api, application_id, "received"), 200)
        after = header(fetch(api, gen, application_id)[0], "ETag")
        expect(
            after is not None and after != before,
            f"ETag stayed {before} although the status changed",
        )

    attempt()


@requirement("/req/application/lifecycle/if-match")
def check_if_match(api: ApiClient, gen: Generators, examples: Examples) -> None:
    @examples(max_examples=1)
    @given(payload=gen.valid(SUBMISSION))
    def attempt(payload: Any) -> None:
        application_id = create_ok(api, gen, payload)[1]["id"]
        etag = header(fetch(api, gen, application_id)[0], "ETag")
        expect(etag is not None, "GET has no ETag header; If-Match cannot be used")
        stale = transition(api, application_id, "received", headers={"If-Match": '"felles-stale-etag"'})
        expect(
            stale.status_code == 412,
            f"transition with a stale If-Match was answered {stale.status_code}, not 412",
        )
        expect_problem(stale, 412)
        _, stored = fetch(api, gen, application_id)
        expect(
            stored["status"] == "submitted",
            f"a 412 transition still changed the status to {stored['status']!r}",
        )
        assert etag is not None
        fresh = transition(api, application_id, "received", headers={"If-Match": etag})
        expect(
            fresh.status_code == 200,
            f"transition with the current ETag in If-Match was answered {fresh.status_code}",
        )

    attempt()


# ------------------------------------------------------------------ security


@requirement("/req/application/security/authentication")
def check_authentication_required(
    anonymous: ApiClient, api: ApiClient, gen: Generators, examples: Examples
) -> None:
    @examples(max_examples=1)
    @given(payload=gen.valid(SUBMISSION))
    def attempt(payload: Any) -> None:
        application_id = create_ok(api, gen, payload)[1]["id"]
        attempts: list[tuple[str, Callable[[], Response]]] = [
            ("list without token", lambda: anonymous.get(COLLECTION)),
            ("read without token", lambda: anonymous.get(item_path(application_id))),
            ("create without token", lambda: create(anonymous, payload)),
            ("transition without token", lambda: transition(anonymous, application_id, "received")),
            (
                "list with a malformed token",
                lambda: api.get(COLLECTION, raw_token="felles-invalid-token"),
            ),
            (
                "read with a forged token",
                lambda: api.get(item_path(application_id), raw_token=FORGED_JWT),
            ),
        ]
        for what, send in attempts:
            response = send()
            expect(response.status_code == 401, f"{what} was answered {response.status_code}, not 401")
            expect_problem(response, 401)
            challenge = header(response, "WWW-Authenticate") or ""
            expect(
                challenge.lower().startswith("bearer"),
                f"{what}: 401 without a WWW-Authenticate: Bearer challenge",
            )
        _, stored = fetch(api, gen, application_id)
        expect(stored["status"] == "submitted", "an unauthenticated transition changed the application")

    attempt()


@requirement("/req/application/security/read-scope")
def check_read_scope(
    client_for: Callable[[str], ApiClient], api: ApiClient, gen: Generators, examples: Examples
) -> None:
    writer = client_for("write-only")

    @examples(max_examples=1)
    @given(payload=gen.valid(SUBMISSION))
    def attempt(payload: Any) -> None:
        application_id = create_ok(api, gen, payload)[1]["id"]
        for what, response in (
            ("list", writer.get(COLLECTION)),
            ("read", writer.get(item_path(application_id))),
        ):
            expect(
                response.status_code == 403,
                f"{what} without application:read was answered {response.status_code}, not 403",
            )
            expect_problem(response, 403)

    attempt()


@requirement("/req/application/security/write-scope")
def check_write_scope(
    client_for: Callable[[str], ApiClient], api: ApiClient, gen: Generators, examples: Examples
) -> None:
    reader = client_for("read-only")

    @examples(max_examples=1)
    @given(payload=gen.valid(SUBMISSION))
    def attempt(payload: Any) -> None:
        created = create(reader, payload)
        expect(
            created.status_code == 403,
            f"create without application:write was answered {created.status_code}, not 403",
        )
        expect_problem(created, 403)
        application_id = create_ok(api, gen, payload)[1]["id"]
        moved = transition(reader, application_id, "received")
        expect(
            moved.status_code == 403,
            f"transition to received without application:write was answered {moved.status_code}, not 403",
        )
        expect_problem(moved, 403)
        _, stored = fetch(api, gen, application_id)
        expect(
            stored["status"] == "submitted",
            f"a refused transition changed the status to {stored['status']!r}",
        )

    attempt()


@requirement("/req/application/security/decide-scope")
def check_decide_scope(
    client_for: Callable[[str], ApiClient], api: ApiClient, gen: Generators, examples: Examples
) -> None:
    clerk = client_for("no-decide")

    @examples(max_examples=1)
    @given(payload=gen.valid(SUBMISSION))
    def attempt(payload: Any) -> None:
        for decision in ("granted", "refused"):
            application_id = create_ok(api, gen, payload)[1]["id"]
            walk(api, gen, application_id, PATHS["under-review"])
            response = transition(clerk, application_id, decision)
            expect(
                response.status_code == 403,
                f"{decision} without application:decide was answered {response.status_code}, not 403",
            )
            expect_problem(response, 403)
            _, stored = fetch(api, gen, application_id)
            expect(
                stored["status"] == "under-review",
                f"a refused {decision} changed the status to {stored['status']!r}",
            )

    attempt()


@requirement("/req/application/security/tenant-isolation")
def check_tenant_isolation(
    client_for: Callable[[str], ApiClient], api: ApiClient, gen: Generators, examples: Examples
) -> None:
    other = client_for("other-tenant")

    @examples(max_examples=1)
    @given(payload=gen.valid(SUBMISSION))
    def attempt(payload: Any) -> None:
        mine = create_ok(api, gen, payload)[1]["id"]
        theirs = create_ok(other, gen, payload)[1]["id"]
        read = other.get(item_path(mine))
        expect(
            read.status_code == 404,
            f"another kommune reading an application was answered {read.status_code}, not 404",
        )
        expect_problem(read, 404)
        moved = transition(other, mine, "withdrawn")
        expect(
            moved.status_code == 404,
            f"another kommune transitioning an application was answered {moved.status_code}, not 404",
        )
        expect(
            mine not in all_ids(other, gen, {"limit": 100}),
            "another kommune's list includes this kommune's application",
        )
        expect(
            theirs not in all_ids(api, gen, {"limit": 100}),
            "this kommune's list includes another kommune's application",
        )
        for params in ({"status": "submitted"}, {"type": payload["type"]}):
            expect(
                mine not in all_ids(other, gen, {**params, "limit": 100}),
                f"another kommune's list filtered by {params} includes this kommune's application",
            )
        # Idempotency keys are the caller's: the same key from another kommune is another request.
        key = str(uuid.uuid4())
        keyed = create_ok(api, gen, payload, headers={"Idempotency-Key": key})[1]["id"]
        retried = create(other, payload, headers={"Idempotency-Key": key})
        answer = retried.json() if retried.status_code < 300 else None
        leaked = isinstance(answer, dict) and answer.get("id") == keyed
        expect(
            not leaked,
            f"another kommune sending the same Idempotency-Key got this kommune's application {keyed} back",
        )
        _, stored = fetch(api, gen, mine)
        expect(stored["status"] == "submitted", "another kommune changed this kommune's application")

    attempt()


@requirement("/req/application/security/tenant-assignment")
def check_tenant_assignment(
    api: ApiClient, gen: Generators, run_config: RunConfig, examples: Examples
) -> None:
    if not run_config.municipality:
        pytest.skip("precondition not met: the token's kommune is unknown (use --municipality NNNN)")

    @examples(max_examples=1)
    @given(payload=gen.valid(SUBMISSION))
    def attempt(payload: Any) -> None:
        _, body = create_ok(api, gen, payload)
        expect(
            body["municipalityNumber"] == run_config.municipality,
            f"created application belongs to kommune {body['municipalityNumber']}, "
            f"the token's kommune is {run_config.municipality}",
        )

    attempt()
