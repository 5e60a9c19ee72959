"""Checks for service-request@1.0 (spec/service-request/1.0/index.md).

One function per requirement; each may only fail when the system under test
breaks that requirement. Requests name codes of the system's own catalogue
(``GET /services``). Privacy checks give every reporter member a value that
carries a marker unique to the check, so a leak is found by searching the
public documents for it and nothing else can match by chance.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from felles.formats import municipality_numbers
from felles.runner.assertions import expect_json_body, expect_problem, expect_status, header
from felles.runner.checks.shared import (
    FORGED_JWT,
    expect_declaration,
    expect_exactly_once,
    expect_unauthenticated,
    json_diff,
    parse_instant,
    problem_detail,
    walk_pages,
)
from felles.runner.client import ApiClient, Response
from felles.runner.config import RunConfig
from felles.runner.failures import expect
from felles.runner.generators import Generators
from felles.runner.plugin import ExamplesDecorator as Examples
from felles.standard import Component
from felles.strategies.near_miss import NearMiss

requirement = pytest.mark.requirement

REQUESTS = "/service-requests"
MAX_PHOTO_BYTES = 1024 * 1024
SENT_MEMBERS = ("serviceCode", "description", "location", "reporter")
#: Reporter member sets a generated request may have, anonymous (none) included.
REPORTER_SHAPES: tuple[tuple[str, ...], ...] = (
    (),
    ("name",),
    ("email",),
    ("phone",),
    ("email", "phone"),
    ("name", "email", "phone"),
)
#: How to reach a status from received, and the changes allowed from each (spec "Lifecycle").
PATHS: dict[str, tuple[str, ...]] = {
    "received": (),
    "in-progress": ("in-progress",),
    "resolved": ("in-progress", "resolved"),
    "rejected": ("rejected",),
}
ALLOWED: dict[str, tuple[str, ...]] = {
    "received": ("in-progress", "rejected"),
    "in-progress": ("resolved", "rejected"),
    "resolved": (),
    "rejected": (),
}
TARGETS = ("in-progress", "resolved", "rejected")

# ------------------------------------------------------------------ payloads


def catalogue_codes(anonymous: ApiClient, gen: Generators) -> list[str]:
    """The codes of the system's catalogue (the suite's requests name these)."""
    response = anonymous.get("/services")
    expect_status(response, 200)
    items = expect_json_body(response, gen.validator("ServiceCatalogue"))["items"]
    return sorted({str(item["code"]) for item in items})


def requests_of(gen: Generators, codes: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Valid inputs naming a code of the catalogue."""
    return st.builds(
        lambda body, code: {**body, "serviceCode": code},
        gen.valid("ServiceRequestInput"),
        st.sampled_from(codes),
    )


def reporter_of(shape: tuple[str, ...], marker: str) -> dict[str, str]:
    """A reporter with the members of ``shape``, each value unique to ``marker``."""
    digits = int(marker[:12], 16) % 10**8
    values = {
        "name": f"Innmelder {marker[:12]}",
        "email": f"innmelder.{marker[:12]}@example.no",
        "phone": f"+479{digits:08d}",
    }
    return {member: values[member] for member in shape}


def with_reporter(body: dict[str, Any], reporter: dict[str, str]) -> dict[str, Any]:
    body = copy.deepcopy(body)
    body.pop("reporter", None)
    if reporter:
        body["reporter"] = reporter
    return body


def post_json(api: ApiClient, path: str, body: Any) -> Response:
    """POST ``body`` as JSON text, ``null`` included (``ApiClient.post`` sends no body for None)."""
    content = json.dumps(body, ensure_ascii=False).encode("utf-8")
    return api.request("POST", path, content=content, headers={"Content-Type": "application/json"})


def two_photos(gen: Generators, code: str) -> dict[str, Any]:
    """The standard's request with two photos (PNG and JPEG), naming ``code`` of the catalogue:
    photos are checked on every run, not only when generated requests happen to carry one."""
    examples = gen.component.examples_path / "valid" / "ServiceRequestInput"
    document = json.loads((examples / "water-leak-two-photos-phone-only.json").read_text(encoding="utf-8"))
    return {**document, "serviceCode": code}


# ------------------------------------------------------------------ requests


def create(api: ApiClient, gen: Generators, body: Any) -> tuple[Response, dict[str, Any]]:
    response = api.post(REQUESTS, body)
    expect(
        response.status_code == 201,
        f"POST {REQUESTS} answered {response.status_code}, not 201" + problem_detail(response),
    )
    return response, dict(expect_json_body(response, gen.validator("ServiceRequest")))


def read(api: ApiClient, gen: Generators, request_id: str) -> dict[str, Any]:
    response = api.get(f"{REQUESTS}/{request_id}")
    expect_status(response, 200)
    return dict(expect_json_body(response, gen.validator("ServiceRequest")))


def change(api: ApiClient, request_id: str, to: str, note: str | None = None) -> Response:
    body: dict[str, str] = {"to": to} if note is None else {"to": to, "note": note}
    return api.post(f"{REQUESTS}/{request_id}/status-changes", body)


def created_in(api: ApiClient, gen: Generators, body: Any, status: str) -> str:
    """A new request moved to ``status``; its id."""
    request_id = str(create(api, gen, body)[1]["id"])
    move(api, request_id, PATHS[status])
    return request_id


def move(api: ApiClient, request_id: str, steps: tuple[str, ...]) -> None:
    for step in steps:
        response = change(api, request_id, step)
        expect(
            response.status_code == 200,
            f"precondition: the change to {step} answered {response.status_code}" + problem_detail(response),
        )


def public_path(request: dict[str, Any], kommune: str | None = None) -> str:
    return f"/public/{kommune or request['municipalityNumber']}/service-requests"


def public_list(
    anonymous: ApiClient, gen: Generators, request: dict[str, Any], kommune: str | None = None
) -> list[dict[str, Any]]:
    return walk_pages(
        anonymous, public_path(request, kommune), gen.validator("PublicServiceRequestPage"), {"limit": 100}
    )


def pointers_of(response: Response) -> list[str]:
    problem = expect_problem(response, 400, 413, 422)
    return [str(e.get("pointer")) for e in problem.get("errors", []) if isinstance(e, dict)]


def strings_in(value: Any) -> Iterator[str]:
    """Every string of a JSON value, member names included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)
    elif isinstance(value, dict):
        for name, item in value.items():
            yield name
            yield from strings_in(item)


# ------------------------------------------------------------------ core


@requirement("/req/service-request/core/conformance")
def check_conformance_declaration(anonymous: ApiClient, component: Component, run_config: RunConfig) -> None:
    expect_declaration(anonymous, component, run_config)


@requirement("/req/service-request/core/catalogue")
def check_catalogue(anonymous: ApiClient, api: ApiClient, gen: Generators, examples: Examples) -> None:
    response = anonymous.get("/services")
    expect(
        response.status_code == 200, f"GET /services without a token answered {response.status_code}, not 200"
    )
    items = expect_json_body(response, gen.validator("ServiceCatalogue"))["items"]
    codes = [str(item["code"]) for item in items]
    expect(len(codes) == len(set(codes)), f"the catalogue lists a code more than once: {codes}")

    @examples(max_examples=1)
    @given(body=gen.valid("ServiceRequestInput"))
    def attempt(body: Any) -> None:
        for code in codes:
            create(api, gen, {**body, "serviceCode": code})

    attempt()


@requirement("/req/service-request/core/create")
def check_create(anonymous: ApiClient, api: ApiClient, gen: Generators, examples: Examples) -> None:
    codes = catalogue_codes(anonymous, gen)

    @examples
    @given(body=requests_of(gen, codes))
    @example(body=two_photos(gen, codes[0]))
    def attempt(body: Any) -> None:
        response, created = create(api, gen, body)
        location = header(response, "Location")
        expect(location is not None, "201 Created without a Location header")
        statuses = [entry["status"] for entry in created["history"]]
        expect(
            created["status"] == "received" and statuses == ["received"],
            f"a new request has status {created['status']!r} and history {statuses}, not received",
        )
        again = api.get(api.resolve(str(location), response.url))
        expect_status(again, 200)
        stored = dict(expect_json_body(again, gen.validator("ServiceRequest")))
        sent = {k: body[k] for k in SENT_MEMBERS if k in body}
        got = {k: stored[k] for k in SENT_MEMBERS if k in stored}
        expect(got == sent, "the request differs from what was sent: " + json_diff(sent, got))
        _expect_photos(api, stored, body.get("photos", []))

    attempt()


def _expect_photos(api: ApiClient, stored: dict[str, Any], sent: list[dict[str, Any]]) -> None:
    for number, photo in enumerate(sent, start=1):
        image = base64.b64decode(photo["content"])
        wanted = {
            "number": number,
            "mediaType": photo["mediaType"],
            "sizeBytes": len(image),
            "sha256": hashlib.sha256(image).hexdigest(),
        }
        if "caption" in photo:
            wanted["caption"] = photo["caption"]
        described = stored["photos"][number - 1] if len(stored["photos"]) >= number else {}
        got = {k: described.get(k) for k in wanted}
        expect(got == wanted, f"photo {number} is described wrongly: " + json_diff(wanted, got))
        served = api.get(f"{REQUESTS}/{stored['id']}/photos/{number}")
        expect_status(served, 200)
        expect(
            served.media_type == photo["mediaType"] and served.content == image,
            f"photo {number} is served as {served.media_type!r} with {len(served.content)} bytes, "
            f"not as the {photo['mediaType']} of {len(image)} bytes that was sent",
        )
    expect(
        len(stored["photos"]) == len(sent),
        f"{len(sent)} photos were sent, {len(stored['photos'])} are described",
    )


@requirement("/req/service-request/core/reject-invalid")
def check_rejects_invalid_requests(
    anonymous: ApiClient, api: ApiClient, gen: Generators, examples: Examples
) -> None:
    codes = catalogue_codes(anonymous, gen)

    @examples
    @given(miss=gen.near_miss("ServiceRequestInput"), code=st.sampled_from(codes))
    def attempt(miss: NearMiss, code: str) -> None:
        body = copy.deepcopy(miss.instance)
        if isinstance(body, dict) and not miss.pointer.startswith("/serviceCode"):
            body["serviceCode"] = code  # never the broken member: it stays broken
        response = post_json(api, REQUESTS, body)
        expect(
            response.status_code in (400, 422),
            f"input with {miss.reason} at {miss.pointer} was answered {response.status_code}, not 400 or 422",
        )
        pointers = pointers_of(response)
        expect(
            miss.pointer in pointers,
            f"input broken at {miss.pointer} ({miss.reason}); errors point at {pointers}",
        )

    attempt()

    @examples(max_examples=1)
    @given(body=requests_of(gen, codes))
    def semantic(body: Any) -> None:
        marker = f"Ugyldig melding {uuid.uuid4().hex}"
        unknown = {**body, "description": marker, "serviceCode": "felles-no-such-service"}
        big = {
            "mediaType": "image/jpeg",
            "content": base64.b64encode(b"\xff\xd8\xff" + bytes(MAX_PHOTO_BYTES)).decode(),
        }
        oversized = {**body, "description": marker, "photos": [big]}
        for what, sent, pointer in (
            ("a code outside the catalogue", unknown, "/serviceCode"),
            ("a photo larger than 1 MiB", oversized, "/photos/0/content"),
        ):
            response = api.post(REQUESTS, sent)
            expect(
                response.status_code in (400, 413, 422),
                f"a request with {what} was answered {response.status_code}, not 400, 413 or 422",
            )
            pointers = pointers_of(response)
            expect(
                response.status_code == 413 or pointer in pointers,
                f"{what}: errors point at {pointers}, not {pointer}",
            )
        listed = walk_pages(
            api, REQUESTS, gen.validator("ServiceRequestPage"), {"limit": 100, "status": "received"}
        )
        expect(all(item["description"] != marker for item in listed), "a refused request was created anyway")

    semantic()


@requirement("/req/service-request/core/anonymous")
def check_anonymous(anonymous: ApiClient, api: ApiClient, gen: Generators, examples: Examples) -> None:
    codes = catalogue_codes(anonymous, gen)

    @examples(max_examples=5)
    @given(body=requests_of(gen, codes))
    def attempt(body: Any) -> None:
        body = with_reporter(body, {})
        _, created = create(api, gen, body)
        for view in (created, read(api, gen, created["id"])):
            expect("reporter" not in view, f"an anonymous request shows a reporter: {view.get('reporter')!r}")

    attempt()


@requirement("/req/service-request/core/pagination")
def check_pagination(anonymous: ApiClient, api: ApiClient, gen: Generators, examples: Examples) -> None:
    codes = catalogue_codes(anonymous, gen)

    @examples(max_examples=1)
    @given(body=requests_of(gen, codes))
    def attempt(body: Any) -> None:
        made = [create(api, gen, body)[1]["id"] for _ in range(5)]
        served = walk_pages(api, REQUESTS, gen.validator("ServiceRequestPage"), {"limit": 3})
        expect_exactly_once([str(item["id"]) for item in served], made, "service requests at limit=3")
        received = walk_pages(
            api, REQUESTS, gen.validator("ServiceRequestPage"), {"limit": 100, "status": "received"}
        )
        others = sorted({item["status"] for item in received} - {"received"})
        expect(not others, f"status=received also lists requests in status {others}")
        expect_exactly_once(
            [str(item["id"]) for item in received], made, "service requests with status=received"
        )

    attempt()


@requirement("/req/service-request/core/authentication")
def check_authentication(anonymous: ApiClient, api: ApiClient, gen: Generators, examples: Examples) -> None:
    codes = catalogue_codes(anonymous, gen)

    @examples(max_examples=1)
    @given(body=requests_of(gen, codes))
    def attempt(body: Any) -> None:
        request_id = create(api, gen, body)[1]["id"]
        path = f"{REQUESTS}/{request_id}"
        probes: list[tuple[str, Callable[[], Response]]] = [
            ("list", lambda: anonymous.get(REQUESTS)),
            ("read", lambda: anonymous.get(path)),
            ("create", lambda: anonymous.post(REQUESTS, body)),
            ("change status", lambda: change(anonymous, request_id, "in-progress")),
            ("read a photo", lambda: anonymous.get(f"{path}/photos/1")),
            ("read the notices", lambda: anonymous.get(f"{path}/notifications")),
            ("read with a forged token", lambda: api.get(path, raw_token=FORGED_JWT)),
        ]
        expect_unauthenticated(probes)
        expect(
            read(api, gen, request_id)["status"] == "received", "an unauthenticated status change was applied"
        )

    attempt()


@requirement("/req/service-request/core/scopes")
def check_scopes(
    client_for: Callable[[str], ApiClient],
    anonymous: ApiClient,
    api: ApiClient,
    gen: Generators,
    examples: Examples,
) -> None:
    reader, writer = client_for("read-only"), client_for("write-only")
    codes = catalogue_codes(anonymous, gen)

    @examples(max_examples=1)
    @given(body=requests_of(gen, codes))
    def attempt(body: Any) -> None:
        request_id = create(api, gen, body)[1]["id"]
        path = f"{REQUESTS}/{request_id}"
        for what, response in (
            ("reading without service-request:read", writer.get(path)),
            ("listing without service-request:read", writer.get(REQUESTS)),
            ("reading notices without service-request:read", writer.get(f"{path}/notifications")),
            ("creating without service-request:write", reader.post(REQUESTS, body)),
            ("changing status without service-request:write", change(reader, request_id, "rejected")),
        ):
            expect(response.status_code == 403, f"{what} answered {response.status_code}, not 403")
            expect_problem(response, 403)
        expect(
            read(api, gen, request_id)["status"] == "received",
            "a change without service-request:write was applied",
        )

    attempt()


@requirement("/req/service-request/core/tenant-isolation")
def check_tenant_isolation(
    client_for: Callable[[str], ApiClient],
    anonymous: ApiClient,
    api: ApiClient,
    gen: Generators,
    examples: Examples,
) -> None:
    other = client_for("other-tenant")
    codes = catalogue_codes(anonymous, gen)

    @examples(max_examples=1)
    @given(body=requests_of(gen, codes))
    def attempt(body: Any) -> None:
        created = create(api, gen, body)[1]
        path = f"{REQUESTS}/{created['id']}"
        for what, response in (
            (f"reading {path}", other.get(path)),
            ("reading its photo", other.get(f"{path}/photos/1")),
            ("reading its notices", other.get(f"{path}/notifications")),
            ("changing its status", change(other, created["id"], "in-progress")),
        ):
            expect(response.status_code == 404, f"another kommune {what} got {response.status_code}, not 404")
            expect_problem(response, 404)
        expect(
            read(api, gen, created["id"])["status"] == "received",
            "another kommune changed the request's status",
        )
        listed = walk_pages(other, REQUESTS, gen.validator("ServiceRequestPage"), {"limit": 100})
        expect(
            created["id"] not in [item["id"] for item in listed],
            "another kommune's list includes the request",
        )
        elsewhere = next(n for n in municipality_numbers() if n != created["municipalityNumber"])
        view = anonymous.get(f"{public_path(created, elsewhere)}/{created['id']}")
        expect(
            view.status_code == 404,
            f"the public view under kommune {elsewhere} answered {view.status_code}, not 404",
        )
        foreign = public_list(anonymous, gen, created, elsewhere)
        expect(
            created["id"] not in [item["id"] for item in foreign],
            f"kommune {elsewhere}'s public list shows the request",
        )

    attempt()


# ------------------------------------------------------------------ lifecycle


@requirement("/req/service-request/lifecycle/allowed")
def check_allowed_changes(anonymous: ApiClient, api: ApiClient, gen: Generators, examples: Examples) -> None:
    codes = catalogue_codes(anonymous, gen)
    pairs = [(start, to) for start, targets in ALLOWED.items() for to in targets]

    @examples(max_examples=2)
    @given(body=requests_of(gen, codes))
    def attempt(body: Any) -> None:
        for start, to in pairs:
            request_id = created_in(api, gen, body, start)
            response = change(api, request_id, to)
            expect(
                response.status_code == 200,
                f"the change {start} -> {to} answered {response.status_code}, not 200"
                + problem_detail(response),
            )
            answered = expect_json_body(response, gen.validator("ServiceRequest"))["status"]
            stored = read(api, gen, request_id)["status"]
            expect(
                (answered, stored) == (to, to),
                f"after {start} -> {to} the request is {answered!r} (GET: {stored!r})",
            )

    attempt()


@requirement("/req/service-request/lifecycle/forbidden")
def check_forbidden_changes(
    anonymous: ApiClient, api: ApiClient, gen: Generators, examples: Examples
) -> None:
    codes = catalogue_codes(anonymous, gen)
    pairs = [(start, to) for start in PATHS for to in TARGETS if to not in ALLOWED[start]]

    @examples(max_examples=2)
    @given(body=requests_of(gen, codes))
    def attempt(body: Any) -> None:
        for start, to in pairs:
            request_id = created_in(api, gen, body, start)
            before = read(api, gen, request_id)
            response = change(api, request_id, to, "Forsøk på ulovlig statusendring")
            expect(
                response.status_code == 409,
                f"the change {start} -> {to} answered {response.status_code}, not 409",
            )
            expect_problem(response, 409)
            after = read(api, gen, request_id)
            expect(
                (after["status"], after["history"]) == (before["status"], before["history"]),
                f"a refused change {start} -> {to} changed the request: "
                + json_diff(before["history"], after["history"]),
            )

    attempt()


@requirement("/req/service-request/lifecycle/history")
def check_history(anonymous: ApiClient, api: ApiClient, gen: Generators, examples: Examples) -> None:
    codes = catalogue_codes(anonymous, gen)
    notes = gen.valid("StatusChange").map(lambda c: c.get("note") or "Arbeidet er i gang.")

    @examples(max_examples=3)
    @given(
        body=requests_of(gen, codes),
        end=st.sampled_from(["resolved", "rejected"]),
        first=notes,
        second=st.one_of(st.none(), notes),
    )
    def attempt(body: Any, end: str, first: str, second: str | None) -> None:
        request_id = create(api, gen, body)[1]["id"]
        before = read(api, gen, request_id)["history"]
        for to, note in (("in-progress", first), (end, second)):
            expect_status(change(api, request_id, to, note), 200)
            history = read(api, gen, request_id)["history"]
            expect(
                history[: len(before)] == before,
                "earlier history entries changed: " + json_diff(before, history[: len(before)]),
            )
            expect(
                len(history) == len(before) + 1,
                f"history has {len(history)} entries after one change, not {len(before) + 1}",
            )
            last = history[-1]
            expect(
                (last["status"], last.get("note")) == (to, note),
                f"the last history entry is {last['status']!r} with note {last.get('note')!r}; "
                f"the change was to {to!r} with note {note!r}",
            )
            before = history
        instants = [parse_instant(entry["at"], "history at") for entry in before]
        expect(instants == sorted(instants), "history entries are not in the order they happened")

    attempt()


# ------------------------------------------------------------------ public


@requirement("/req/service-request/public/view")
def check_public_view(anonymous: ApiClient, api: ApiClient, gen: Generators, examples: Examples) -> None:
    codes = catalogue_codes(anonymous, gen)

    @examples(max_examples=3)
    @given(body=requests_of(gen, codes), end=st.sampled_from(sorted(PATHS)))
    def attempt(body: Any, end: str) -> None:
        created = create(api, gen, with_reporter(body, {}))[1]
        move(api, created["id"], PATHS[end])
        internal = read(api, gen, created["id"])
        response = anonymous.get(f"{public_path(created)}/{created['id']}")
        expect(
            response.status_code == 200,
            f"the public view without a token answered {response.status_code}, not 200",
        )
        view = expect_json_body(response, gen.validator("PublicServiceRequest"))
        shown = (
            view["serviceCode"],
            view["location"]["point"],
            view["status"],
            [h["status"] for h in view["history"]],
        )
        wanted = (
            internal["serviceCode"],
            internal["location"]["point"],
            internal["status"],
            [h["status"] for h in internal["history"]],
        )
        expect(
            shown == wanted,
            "the public view differs from the request: " + json_diff(list(wanted), list(shown)),
        )
        listed = [str(item["id"]) for item in public_list(anonymous, gen, created)]
        expect_exactly_once(listed, [created["id"]], "the kommune's public list")

    attempt()


def publicly_shown(
    api: ApiClient, anonymous: ApiClient, gen: Generators, body: Any, note: str, identity: list[str]
) -> list[str]:
    """Create ``body``, move it on with ``note``, and return the parts of ``identity`` (in any
    case) that its public view or the public list shows."""
    created = create(api, gen, body)[1]
    expect_status(change(api, created["id"], "in-progress", note), 200)
    view = anonymous.get(f"{public_path(created)}/{created['id']}")
    expect_status(view, 200)
    documents = [
        expect_json_body(view, gen.validator("PublicServiceRequest")),
        public_list(anonymous, gen, created),
    ]
    texts = [text.lower() for text in strings_in(documents)]
    return sorted({part for part in identity for text in texts if part.lower() in text})


@requirement("/req/service-request/public/no-reporter")
def check_public_never_shows_the_reporter(
    anonymous: ApiClient, api: ApiClient, gen: Generators, examples: Examples
) -> None:
    codes = catalogue_codes(anonymous, gen)

    @examples(max_examples=3)
    @given(body=requests_of(gen, codes), shape=st.sampled_from([s for s in REPORTER_SHAPES if s]))
    def attempt(body: Any, shape: tuple[str, ...]) -> None:
        reporter = reporter_of(shape, uuid.uuid4().hex)
        identity = list(reporter.values())
        told = " / ".join(identity)
        body = with_reporter(body, reporter)
        body["description"] = f"Meldt av {told}. {body['description']}"[:2000]
        body["location"]["description"] = f"Ved huset til {told}"[:500]
        leaked = publicly_shown(api, anonymous, gen, body, f"Takk, {told}! Vi tar kontakt.", identity)
        expect(not leaked, f"the public view or list shows the reporter identity: {leaked}")

    attempt()


@requirement("/req/service-request/public/no-reporter")
def check_public_hides_the_reporter_in_any_case(
    anonymous: ApiClient, api: ApiClient, gen: Generators, examples: Examples
) -> None:
    """The identity is compared without regard to case (spec: *Definition: reporter identity*):
    a name or e-mail address written in capitals or small letters is hidden too."""
    codes = catalogue_codes(anonymous, gen)

    @examples(max_examples=1)
    @given(body=requests_of(gen, codes))
    def attempt(body: Any) -> None:
        reporter = reporter_of(("name", "email", "phone"), uuid.uuid4().hex)
        identity = list(reporter.values())
        body = with_reporter(body, reporter)
        body["description"] = f"Meldt av {' / '.join(identity).upper()}. {body['description']}"[:2000]
        body["location"]["description"] = f"Ved huset til {reporter['name'].lower()}"[:500]
        note = f"Takk, {reporter['name'].swapcase()} ({reporter['email'].upper()})!"
        leaked = publicly_shown(api, anonymous, gen, body, note, identity)
        expect(not leaked, f"the public view or list shows the reporter identity in other case: {leaked}")

    attempt()


# ------------------------------------------------------------------ notifications


@requirement("/req/service-request/notifications/status-change")
def check_reporter_is_told(anonymous: ApiClient, api: ApiClient, gen: Generators, examples: Examples) -> None:
    codes = catalogue_codes(anonymous, gen)

    @examples(max_examples=2)
    @given(
        body=requests_of(gen, codes),
        note=st.sampled_from([None, "Mannskap er på vei.", "Reparert.\nTakk for meldingen!"]),
    )
    def attempt(body: Any, note: str | None) -> None:
        for shape in REPORTER_SHAPES:
            _expect_notices(api, gen, body, shape, note)

    attempt()


def _expect_notices(
    api: ApiClient, gen: Generators, body: Any, shape: tuple[str, ...], note: str | None
) -> None:
    """Two status changes of a request whose reporter gave the members of ``shape``."""
    reporter = reporter_of(shape, uuid.uuid4().hex)
    request_id = create(api, gen, with_reporter(body, reporter))[1]["id"]
    wanted: list[tuple[str, str, str, str | None]] = []
    for to in ("in-progress", "resolved"):
        expect_status(change(api, request_id, to, note), 200)
        contacts = [("email", reporter.get("email")), ("sms", reporter.get("phone"))]
        wanted += [(to, channel, contact, note) for channel, contact in contacts if contact]
        response = api.get(f"{REQUESTS}/{request_id}/notifications")
        expect_status(response, 200)
        items = expect_json_body(response, gen.validator("NotificationList"))["items"]
        got = [(n["status"], n["channel"], n["to"], n.get("note")) for n in items]
        expect(
            sorted(got, key=str) == sorted(wanted, key=str) and [g[0] for g in got] == [w[0] for w in wanted],
            f"after the change to {to}, a reporter with {list(shape) or 'no contact'} has notices {got}; "
            f"expected {wanted}",
        )
