"""Checks for digital-mail@1.0 (spec/digital-mail/1.0/index.md).

One function per requirement; each may only fail when the system under test
breaks that requirement. Letters are counted through ``GET
/letters?senderReference=`` with a reference unique to the check, so checks
running side by side never see each other's letters. Channel checks send to
the standard's test recipients (``test-recipients.json``), whose status in the
contact register the spec fixes.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

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
from felles.standard.registry import load_json
from felles.strategies.near_miss import NearMiss

requirement = pytest.mark.requirement

LETTERS = "/letters"
MAX_DOCUMENT_BYTES = 4 * 1024 * 1024
SENT_MEMBERS = ("senderReference", "title", "recipient")

# ------------------------------------------------------------------ payloads


def pdf_document(text: str, *, size: int = 0) -> bytes:
    """A one-page PDF showing ``text``; with ``size``, padded by a comment to exactly that many bytes.

    Built here (offsets and all) so the suite needs no PDF library; ``pdftotext`` reads it.
    """
    safe = "".join(c for c in text if (c.isascii() and c.isalnum()) or c == " ")
    document = _pdf(safe, 0)
    for _ in range(3):  # the padding shifts the xref offset, whose digits may grow by one
        if not size or len(document) == size:
            break
        document = _pdf(safe, max(0, size - len(document) + _padding_of(document)))
    return document


def _padding_of(document: bytes) -> int:
    first_line = document.split(b"\n", 2)[1]
    return len(first_line) + 1 if first_line.startswith(b"%0") else 0


def _pdf(text: str, padding: int) -> bytes:
    stream = f"BT /F1 12 Tf 72 770 Td (Felles {text}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.7\n")
    if padding >= 2:
        out += b"%" + b"0" * (padding - 2) + b"\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def encoded(content: bytes) -> str:
    return base64.b64encode(content).decode("ascii")


def prepared(letter: dict[str, Any], *, content: bytes | None = None) -> dict[str, Any]:
    """``letter`` with a reference of its own and a real PDF (with its sha256 if one was generated)."""
    letter = copy.deepcopy(letter)
    marker = uuid.uuid4().hex
    letter["senderReference"] = f"felles-{marker}"
    pdf = content if content is not None else pdf_document(marker)
    letter["document"]["content"] = encoded(pdf)
    if "sha256" in letter["document"]:
        letter["document"]["sha256"] = hashlib.sha256(pdf).hexdigest()
    return letter


def decoded(letter: dict[str, Any]) -> bytes:
    return base64.b64decode(letter["document"]["content"])


def test_recipients(component: Component) -> list[dict[str, Any]]:
    """The standard's test recipients, whose register status the spec fixes."""
    return list(load_json(component.schema_dir / "test-recipients.json")["recipients"])


def addressed_to(letter: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any]:
    """``letter`` sent to the test recipient ``entry`` (at the generated postal address)."""
    letter = copy.deepcopy(letter)
    address = letter["recipient"]["postalAddress"]
    if entry["type"] == "person":
        person = {
            "nationalIdentityNumber": entry["nationalIdentityNumber"],
            "givenName": "Test",
            "familyName": "Mottaker",
        }
        letter["recipient"] = {"type": "person", "person": person, "postalAddress": address}
    else:
        organization = {"organizationNumber": entry["organizationNumber"], "name": "Test Mottaker AS"}
        letter["recipient"] = {"type": "organization", "organization": organization, "postalAddress": address}
    return letter


def recipients_where(component: Component, test: Callable[[dict[str, Any]], bool]) -> st.SearchStrategy[Any]:
    return st.sampled_from([entry for entry in test_recipients(component) if test(entry)])


def digital(entry: dict[str, Any]) -> bool:
    return not entry["reserved"] and entry["mailbox"] is not None


def reserved(entry: dict[str, Any]) -> bool:
    return bool(entry["reserved"])


def without_mailbox(entry: dict[str, Any]) -> bool:
    return not entry["reserved"] and entry["mailbox"] is None


# ------------------------------------------------------------------ requests


def send(api: ApiClient, letter: Any, key: str | None = None) -> Response:
    """POST /letters with ``key`` (a fresh one unless given; pass "" for none). The body is
    always JSON text, ``null`` included."""
    chosen = uuid.uuid4().hex if key is None else key
    headers = {"Content-Type": "application/json"}
    if chosen:
        headers["Idempotency-Key"] = chosen
    content = json.dumps(letter, ensure_ascii=False).encode("utf-8")
    return api.request("POST", LETTERS, content=content, headers=headers)


def sent(response: Response, gen: Generators) -> dict[str, Any]:
    expect(
        response.status_code == 201,
        f"POST {LETTERS} answered {response.status_code}, not 201" + problem_detail(response),
    )
    return dict(expect_json_body(response, gen.validator("Letter")))


def send_ok(api: ApiClient, gen: Generators, letter: Any) -> dict[str, Any]:
    return sent(send(api, letter), gen)


def read(api: ApiClient, gen: Generators, letter_id: str) -> dict[str, Any]:
    response = api.get(f"{LETTERS}/{letter_id}")
    expect_status(response, 200)
    return dict(expect_json_body(response, gen.validator("Letter")))


def letters_with(api: ApiClient, gen: Generators, reference: str, limit: int = 100) -> list[dict[str, Any]]:
    params: dict[str, str | int] = {"senderReference": reference, "limit": limit}
    return walk_pages(api, LETTERS, gen.validator("LetterPage"), params)


def expect_none_sent(api: ApiClient, gen: Generators, reference: str, what: str) -> None:
    count = len(letters_with(api, gen, reference))
    expect(count == 0, f"{what}, yet {count} letter(s) with its senderReference exist")


def receipt(api: ApiClient, letter_id: str, kind: str, **extra: str) -> Response:
    return api.post(f"{LETTERS}/{letter_id}/receipts", {"type": kind, **extra})


def pointers_of(problem: dict[str, Any]) -> list[str]:
    return [str(e.get("pointer")) for e in problem.get("errors", []) if isinstance(e, dict)]


def expect_refused_at(response: Response, pointer: str, what: str, *codes: int) -> None:
    expect(
        response.status_code in codes,
        f"{what} was answered {response.status_code}, not {' or '.join(map(str, codes))}"
        + problem_detail(response),
    )
    problem = expect_problem(response, *codes)
    if response.status_code != 413:
        expect(
            pointer in pointers_of(problem), f"{what}: errors point at {pointers_of(problem)}, not {pointer}"
        )


# ------------------------------------------------------------------ core


@requirement("/req/digital-mail/core/conformance")
def check_conformance_declaration(anonymous: ApiClient, component: Component, run_config: RunConfig) -> None:
    expect_declaration(anonymous, component, run_config)


@requirement("/req/digital-mail/core/send")
def check_send(api: ApiClient, gen: Generators, examples: Examples) -> None:
    @examples
    @given(letter=gen.valid("LetterInput"))
    def attempt(letter: Any) -> None:
        letter = prepared(letter)
        response = send(api, letter)
        created = sent(response, gen)
        location = header(response, "Location")
        expect(location is not None, "201 Created without a Location header")
        again = api.get(api.resolve(str(location), response.url))
        expect_status(again, 200)
        stored = dict(expect_json_body(again, gen.validator("Letter")))
        expect(stored["id"] == created["id"], f"Location names letter {stored['id']}, not {created['id']}")
        sent_members = {k: letter[k] for k in SENT_MEMBERS}
        got = {k: stored.get(k) for k in SENT_MEMBERS}
        expect(got == sent_members, "the letter differs from what was sent: " + json_diff(sent_members, got))
        pdf = decoded(letter)
        wanted = {
            "fileName": letter["document"]["fileName"],
            "mediaType": "application/pdf",
            "sizeBytes": len(pdf),
            "sha256": hashlib.sha256(pdf).hexdigest(),
        }
        described = {k: stored["document"].get(k) for k in wanted}
        expect(
            described == wanted, "document does not describe the PDF sent: " + json_diff(wanted, described)
        )

    attempt()


@requirement("/req/digital-mail/core/reject-invalid")
def check_rejects_invalid_letters(api: ApiClient, gen: Generators, examples: Examples) -> None:
    @examples
    @given(miss=gen.near_miss("LetterInput"))
    def attempt(miss: NearMiss) -> None:
        letter = copy.deepcopy(miss.instance)
        reference = f"felles-{uuid.uuid4().hex}"
        if isinstance(letter, dict) and not miss.pointer.startswith("/senderReference"):
            letter["senderReference"] = reference  # never the broken member: it stays broken
        response = send(api, letter)
        expect_refused_at(response, miss.pointer, f"a letter with {miss.reason} at {miss.pointer}", 400, 422)
        if isinstance(letter, dict) and letter.get("senderReference") == reference:
            expect_none_sent(api, gen, reference, "the invalid letter was refused")

    attempt()


@requirement("/req/digital-mail/core/document-pdf")
def check_document_is_an_acceptable_pdf(api: ApiClient, gen: Generators, examples: Examples) -> None:
    @examples(max_examples=3)
    @given(letter=gen.valid("LetterInput"), cut=st.integers(min_value=6, max_value=60))
    def attempt(letter: Any, cut: int) -> None:
        truncated = prepared(letter)
        truncated["document"]["content"] = encoded(decoded(truncated)[:-cut])
        truncated["document"].pop("sha256", None)
        expect_refused_at(
            send(api, truncated), "/document/content", "a PDF cut short (no %%EOF at its end)", 422
        )
        expect_none_sent(api, gen, truncated["senderReference"], "a truncated PDF was refused")
        mismatch = prepared(letter)
        mismatch["document"]["sha256"] = hashlib.sha256(b"another document").hexdigest()
        expect_refused_at(send(api, mismatch), "/document/sha256", "a PDF whose sha256 does not match", 422)
        expect_none_sent(api, gen, mismatch["senderReference"], "a PDF with a wrong sha256 was refused")

    attempt()
    _expect_size_limit(api, gen)


def _expect_size_limit(api: ApiClient, gen: Generators) -> None:
    """One letter whose PDF is a byte over 4 MiB (about 5.6 MB of base64): sent once per run."""
    example = next(iter(gen.component.examples_path.glob("valid/LetterInput/*.json")), None)
    expect(example is not None, "the standard has no valid LetterInput example to build on")
    assert example is not None
    letter = prepared(load_json(example), content=pdf_document("too large", size=MAX_DOCUMENT_BYTES + 1))
    letter["document"].pop("sha256", None)
    expect_refused_at(send(api, letter), "/document/content", "a PDF larger than 4 MiB", 413, 422)
    expect_none_sent(api, gen, letter["senderReference"], "a PDF larger than 4 MiB was refused")


@requirement("/req/digital-mail/core/idempotency-key")
def check_idempotency_key_required(api: ApiClient, gen: Generators, examples: Examples) -> None:
    @examples(max_examples=2)
    @given(letter=gen.valid("LetterInput"))
    def attempt(letter: Any) -> None:
        letter = prepared(letter)
        response = send(api, letter, key="")
        expect(
            response.status_code == 400,
            f"a letter without Idempotency-Key was answered {response.status_code}, not 400",
        )
        expect_problem(response, 400)
        expect_none_sent(api, gen, letter["senderReference"], "a letter without Idempotency-Key was refused")

    attempt()


@requirement("/req/digital-mail/core/no-double-send")
def check_never_sent_twice(api: ApiClient, gen: Generators, examples: Examples) -> None:
    @examples(max_examples=2)
    @given(letter=gen.valid("LetterInput"))
    def attempt(letter: Any) -> None:
        letter, other = prepared(letter), prepared(letter)  # another reference and PDF: another body
        key = uuid.uuid4().hex
        first = send(api, letter, key)
        created = sent(first, gen)
        with ThreadPoolExecutor(max_workers=4) as pool:
            repeats = list(pool.map(lambda _: send(api, letter, key), range(4)))
        for repeat in repeats:
            again = sent(repeat, gen)
            expect(
                again["id"] == created["id"]
                and api.resolve(str(header(repeat, "Location")), repeat.url)
                == api.resolve(str(header(first, "Location")), first.url),
                f"a retry with the same Idempotency-Key answered letter {again['id']} at "
                f"{header(repeat, 'Location')}, not the first answer ({created['id']})",
            )
        reused = send(api, other, key)
        expect(
            reused.status_code == 422,
            f"the Idempotency-Key reused with another letter was answered {reused.status_code}, not 422",
        )
        expect_problem(reused, 422)
        count = len(letters_with(api, gen, letter["senderReference"]))
        expect(count == 1, f"one letter sent five times with one Idempotency-Key became {count} letters")
        expect_none_sent(api, gen, other["senderReference"], "a reused Idempotency-Key was refused")
        fresh = uuid.uuid4().hex
        with ThreadPoolExecutor(max_workers=4) as pool:
            racing = list(pool.map(lambda _: send(api, other, fresh), range(4)))
        ids = {sent(response, gen)["id"] for response in racing}
        count = len(letters_with(api, gen, other["senderReference"]))
        expect(
            count == 1 and len(ids) == 1,
            f"four simultaneous first sends with one Idempotency-Key became {count} letters",
        )

    attempt()


def _expect_routed(
    api: ApiClient,
    gen: Generators,
    letter: Any,
    entry: dict[str, Any],
    wanted: tuple[str, str, str | None, str],
    receipts: list[str],
    why: str,
) -> None:
    """The letter to test recipient ``entry``, as the send answered it and as a later GET shows
    it, has (recipientStatus, channel, mailbox, status) ``wanted`` and receipts of ``receipts``."""
    created = send_ok(api, gen, prepared(addressed_to(letter, entry)))
    identity = entry.get("nationalIdentityNumber") or entry.get("organizationNumber")
    for view in (created, read(api, gen, created["id"])):
        got = (view["recipientStatus"], view["channel"], view.get("mailbox"), view["status"])
        expect(
            got == wanted,
            f"test recipient {identity} {why}: (recipientStatus, channel, mailbox, status) should be "
            f"{wanted}, got {got}",
        )
        types = [r["type"] for r in view["receipts"]]
        expect(
            types == receipts, f"receipts of a letter to test recipient {identity}: {types}, not {receipts}"
        )


@requirement("/req/digital-mail/core/routing-digital")
def check_routing_digital(api: ApiClient, gen: Generators, component: Component, examples: Examples) -> None:
    @examples(max_examples=5)
    @given(letter=gen.valid("LetterInput"), entry=recipients_where(component, digital))
    def attempt(letter: Any, entry: dict[str, Any]) -> None:
        wanted = ("mailbox", "digital", entry["mailbox"], "pending")
        why = f"has a {entry['mailbox']} mailbox and is not reserved"
        _expect_routed(api, gen, letter, entry, wanted, [], why)

    attempt()


@requirement("/req/digital-mail/core/routing-reserved")
def check_routing_reserved(api: ApiClient, gen: Generators, component: Component, examples: Examples) -> None:
    @examples(max_examples=4)
    @given(letter=gen.valid("LetterInput"), entry=recipients_where(component, reserved))
    def attempt(letter: Any, entry: dict[str, Any]) -> None:
        wanted = ("reserved", "print", None, "sent-to-print")
        why = "is reserved against digital communication"
        _expect_routed(api, gen, letter, entry, wanted, ["sent-to-print"], why)

    attempt()


@requirement("/req/digital-mail/core/routing-no-mailbox")
def check_routing_no_mailbox(
    api: ApiClient, gen: Generators, component: Component, examples: Examples
) -> None:
    @examples(max_examples=4)
    @given(letter=gen.valid("LetterInput"), entry=recipients_where(component, without_mailbox))
    def attempt(letter: Any, entry: dict[str, Any]) -> None:
        wanted = ("no-mailbox", "print", None, "sent-to-print")
        _expect_routed(api, gen, letter, entry, wanted, ["sent-to-print"], "has no digital mailbox")

    attempt()


@requirement("/req/digital-mail/core/pagination")
def check_pagination(api: ApiClient, gen: Generators, examples: Examples) -> None:
    @examples(max_examples=1)
    @given(letter=gen.valid("LetterInput"))
    def attempt(letter: Any) -> None:
        reference = f"felles-{uuid.uuid4().hex}"
        made = [send_ok(api, gen, {**prepared(letter), "senderReference": reference})["id"] for _ in range(5)]
        stray = send_ok(api, gen, prepared(letter))["id"]
        served = [str(item["id"]) for item in letters_with(api, gen, reference, limit=2)]
        expect_exactly_once(served, made, f"letters with senderReference {reference} at limit=2")
        expect(stray not in served, "the senderReference filter lists a letter sent with another reference")
        everything = walk_pages(api, LETTERS, gen.validator("LetterPage"), {"limit": 100})
        expect_exactly_once(
            [str(item["id"]) for item in everything], [*made, stray], "every letter at limit=100"
        )

    attempt()


@requirement("/req/digital-mail/core/authentication")
def check_authentication(anonymous: ApiClient, api: ApiClient, gen: Generators, examples: Examples) -> None:
    @examples(max_examples=1)
    @given(letter=gen.valid("LetterInput"))
    def attempt(letter: Any) -> None:
        existing = send_ok(api, gen, prepared(letter))["id"]
        attempt_letter = prepared(letter)
        probes: list[tuple[str, Callable[[], Response]]] = [
            ("list", lambda: anonymous.get(LETTERS)),
            ("read", lambda: anonymous.get(f"{LETTERS}/{existing}")),
            ("send", lambda: send(anonymous, attempt_letter)),
            ("report a receipt", lambda: receipt(anonymous, existing, "delivered")),
            ("read with a forged token", lambda: api.get(f"{LETTERS}/{existing}", raw_token=FORGED_JWT)),
            ("send with a forged token", lambda: api.post(LETTERS, attempt_letter, raw_token=FORGED_JWT)),
        ]
        expect_unauthenticated(probes)
        expect_none_sent(api, gen, attempt_letter["senderReference"], "unauthenticated sends were refused")

    attempt()


@requirement("/req/digital-mail/core/scopes")
def check_scopes(
    client_for: Callable[[str], ApiClient],
    api: ApiClient,
    gen: Generators,
    component: Component,
    examples: Examples,
) -> None:
    reader, writer = client_for("read-only"), client_for("write-only")

    @examples(max_examples=1)
    @given(letter=gen.valid("LetterInput"), entry=recipients_where(component, digital))
    def attempt(letter: Any, entry: dict[str, Any]) -> None:
        existing = send_ok(api, gen, prepared(addressed_to(letter, entry)))
        attempt_letter = prepared(letter)
        for what, response in (
            ("reading without digital-mail:read", writer.get(f"{LETTERS}/{existing['id']}")),
            ("listing without digital-mail:read", writer.get(LETTERS)),
            ("sending without digital-mail:write", send(reader, attempt_letter)),
            (
                "reporting a receipt without digital-mail:receipt",
                receipt(writer, existing["id"], "delivered"),
            ),
            ("reporting a receipt with only digital-mail:read", receipt(reader, existing["id"], "failed")),
        ):
            expect(response.status_code == 403, f"{what} answered {response.status_code}, not 403")
            expect_problem(response, 403)
        expect_none_sent(
            api, gen, attempt_letter["senderReference"], "a send without digital-mail:write was refused"
        )
        after = read(api, gen, existing["id"])
        expect(
            (after["status"], after["receipts"]) == (existing["status"], existing["receipts"]),
            "a receipt reported without digital-mail:receipt changed the letter: "
            + json_diff(existing["receipts"], after["receipts"]),
        )

    attempt()


@requirement("/req/digital-mail/core/tenant-isolation")
def check_tenant_isolation(
    client_for: Callable[[str], ApiClient],
    api: ApiClient,
    gen: Generators,
    component: Component,
    examples: Examples,
) -> None:
    other = client_for("other-tenant")

    @examples(max_examples=1)
    @given(letter=gen.valid("LetterInput"), entry=recipients_where(component, digital))
    def attempt(letter: Any, entry: dict[str, Any]) -> None:
        letter = prepared(addressed_to(letter, entry))
        key = uuid.uuid4().hex
        created = sent(send(api, letter, key), gen)
        path = f"{LETTERS}/{created['id']}"
        for what, response in (
            (f"reading {path}", other.get(path)),
            (f"reporting a receipt for {path}", receipt(other, created["id"], "delivered")),
        ):
            expect(response.status_code == 404, f"another kommune {what} got {response.status_code}, not 404")
            expect_problem(response, 404)
        expect(
            read(api, gen, created["id"])["status"] == "pending",
            "another kommune's receipt changed the letter",
        )
        listed = [str(item["id"]) for item in letters_with(other, gen, letter["senderReference"])]
        expect(created["id"] not in listed, "another kommune's list includes this kommune's letter")
        replay = send(other, letter, key)
        leaked = replay.status_code == 201 and created["id"] in replay.text
        expect(
            not leaked, "another kommune sending with the same Idempotency-Key got this kommune's letter back"
        )

    attempt()


# ------------------------------------------------------------------ receipts


def _digital_letter(api: ApiClient, gen: Generators, letter: Any, entry: dict[str, Any]) -> dict[str, Any]:
    created = send_ok(api, gen, prepared(addressed_to(letter, entry)))
    expect(
        created["channel"] == "digital" and created["status"] == "pending",
        f"precondition: a letter to test recipient {entry} should be digital and pending, is "
        f"{created['channel']} and {created['status']} (see routing-digital)",
    )
    return created


def _expect_recorded(
    response: Response, gen: Generators, before: dict[str, Any], kind: str, status: str
) -> None:
    expect(
        response.status_code == 200,
        f"a {kind} receipt for a {before['status']} letter answered {response.status_code}, not 200"
        + problem_detail(response),
    )
    after = dict(expect_json_body(response, gen.validator("Letter")))
    expect(
        after["status"] == status, f"after a {kind} receipt the letter is {after['status']!r}, not {status!r}"
    )
    receipts = after["receipts"]
    expect(
        receipts[: len(before["receipts"])] == before["receipts"],
        "earlier receipts changed: " + json_diff(before["receipts"], receipts[: len(before["receipts"])]),
    )
    expect(
        [r["type"] for r in receipts[len(before["receipts"]) :]][:1] == [kind],
        f"the receipts do not end with the {kind} receipt: {[r['type'] for r in receipts]}",
    )
    instants = [parse_instant(r["at"], "receipt at") for r in receipts]
    expect(instants == sorted(instants), "receipts are not in the order they were recorded")


@requirement("/req/digital-mail/receipts/record")
def check_receipts_recorded(
    api: ApiClient, gen: Generators, component: Component, examples: Examples
) -> None:
    @examples(max_examples=3)
    @given(
        letter=gen.valid("LetterInput"),
        entry=recipients_where(component, digital),
        detail=st.sampled_from(["", "levert til postkassen", "åpnet i appen"]),
    )
    def attempt(letter: Any, entry: dict[str, Any], detail: str) -> None:
        created = _digital_letter(api, gen, letter, entry)
        extra = {"detail": detail} if detail else {}
        before = created
        for kind in ("delivered", "opened"):
            response = receipt(api, created["id"], kind, **extra)
            _expect_recorded(response, gen, before, kind, kind)
            before = read(api, gen, created["id"])
            last = before["receipts"][-1]
            expect(
                last.get("detail", "") == detail,
                f"the {kind} receipt's detail is {last.get('detail')!r}, not {detail!r} as reported",
            )
        expect(
            [r["type"] for r in before["receipts"]] == ["delivered", "opened"],
            f"receipts after delivered and opened: {[r['type'] for r in before['receipts']]}",
        )

    attempt()


#: How far a receipt's ``at`` may lie from the suite's clock when it was reported.
CLOCK_SKEW_SECONDS = 300


@requirement("/req/digital-mail/receipts/record")
def check_receipts_stamped_when_recorded(
    api: ApiClient, gen: Generators, component: Component, examples: Examples
) -> None:
    """Each receipt's ``at`` is the instant the system recorded it, as a true instant (common
    1.0, *Instants*): within five minutes of the report, never a local clock reading labelled Z."""

    @examples(max_examples=1)
    @given(letter=gen.valid("LetterInput"), entry=recipients_where(component, digital))
    def attempt(letter: Any, entry: dict[str, Any]) -> None:
        created = _digital_letter(api, gen, letter, entry)
        for kind in ("delivered", "opened"):
            reported = datetime.now(UTC)
            response = receipt(api, created["id"], kind)
            expect_status(response, 200)
            receipts = expect_json_body(response, gen.validator("Letter"))["receipts"]
            expect(bool(receipts), f"after a {kind} receipt the letter has no receipts")
            last = receipts[-1]
            skew = (parse_instant(last["at"], "receipt at") - reported).total_seconds()
            expect(
                abs(skew) <= CLOCK_SKEW_SECONDS,
                f"the {last['type']} receipt reported at {reported:%Y-%m-%dT%H:%M:%SZ} is stamped "
                f"{last['at']}, {skew / 60:+.0f} minutes off",
            )

    attempt()


@requirement("/req/digital-mail/receipts/forbidden")
def check_receipts_forbidden(
    api: ApiClient, gen: Generators, component: Component, examples: Examples
) -> None:
    def refused(letter_id: str, kind: str) -> None:
        before = read(api, gen, letter_id)
        response = receipt(api, letter_id, kind)
        expect(
            response.status_code == 409,
            f"a {kind} receipt for a {before['status']} letter ({before['channel']}) answered "
            f"{response.status_code}, not 409",
        )
        expect_problem(response, 409)
        after = read(api, gen, letter_id)
        expect(
            (after["status"], after["receipts"]) == (before["status"], before["receipts"]),
            f"a refused {kind} receipt changed the letter: "
            + json_diff(before["receipts"], after["receipts"]),
        )

    @examples(max_examples=2)
    @given(
        letter=gen.valid("LetterInput"),
        entry=recipients_where(component, digital),
        printed=recipients_where(component, lambda e: not digital(e)),
    )
    def attempt(letter: Any, entry: dict[str, Any], printed: dict[str, Any]) -> None:
        letter_id = _digital_letter(api, gen, letter, entry)["id"]
        refused(letter_id, "opened")
        expect_status(receipt(api, letter_id, "delivered"), 200)
        refused(letter_id, "delivered")
        expect_status(receipt(api, letter_id, "opened"), 200)
        for kind in ("delivered", "opened", "failed"):
            refused(letter_id, kind)
        paper = send_ok(api, gen, prepared(addressed_to(letter, printed)))
        for kind in ("delivered", "opened", "failed"):
            refused(paper["id"], kind)

    attempt()


@requirement("/req/digital-mail/receipts/print-fallback")
def check_failed_delivery_goes_to_print(
    api: ApiClient, gen: Generators, component: Component, examples: Examples
) -> None:
    @examples(max_examples=2)
    @given(letter=gen.valid("LetterInput"), entry=recipients_where(component, digital))
    def attempt(letter: Any, entry: dict[str, Any]) -> None:
        created = _digital_letter(api, gen, letter, entry)
        response = receipt(api, created["id"], "failed", detail="the mailbox is closed")
        expect(
            response.status_code == 200,
            f"a failed receipt for a pending letter answered {response.status_code}, not 200"
            + problem_detail(response),
        )
        answered = dict(expect_json_body(response, gen.validator("Letter")))
        for what, view in (("the answer", answered), ("a later GET", read(api, gen, created["id"]))):
            types = [r["type"] for r in view["receipts"]]
            expect(
                view["status"] == "sent-to-print" and types[-2:] == ["failed", "sent-to-print"],
                f"after a failed digital delivery {what} shows status {view['status']!r} and receipts "
                f"{types}: the letter must go to print (sent-to-print after failed)",
            )

    attempt()
