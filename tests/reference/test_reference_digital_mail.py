"""digital-mail@1.0 against the live reference: sending once, the channel rule with the test
recipients, PDF checks, receipts and their status machine, lists, auth and tenants."""

from __future__ import annotations

import base64
import copy
import dataclasses
import hashlib
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.reference.component_client import (
    ComponentClient,
    assert_problem,
    assert_schema_valid,
    serve_component,
)

from felles.reference import ReferenceServer, Settings, create_app
from felles.reference.components.digital_mail import DigitalMailComponent
from felles.standard import default_catalogue, schema_uri
from felles.standard.registry import load_json
from felles.strategies.from_schema import from_schema
from felles.strategies.near_miss import NearMiss, near_misses

BASE = "/digital-mail/1.0"
READ, WRITE, RECEIPT = "digital-mail:read", "digital-mail:write", "digital-mail:receipt"
ALL = (READ, WRITE, RECEIPT)
ADDRESS = {"streetName": "Storgata", "houseNumber": 12, "postalCode": "0155", "postalCity": "OSLO"}


def example_pdf() -> bytes:
    """The PDF of a valid LetterInput example of the standard (a real one-page PDF)."""
    folder = default_catalogue().get("digital-mail@1.0").examples_path / "valid" / "LetterInput"
    document = load_json(next(iter(sorted(folder.glob("*.json")))))["document"]
    return base64.b64decode(document["content"])


def padded(pdf: bytes, size: int) -> bytes:
    """``pdf`` grown to ``size`` bytes by a comment line after its header (offsets not kept)."""
    header, rest = pdf.split(b"\n", 1)
    return header + b"\n%" + b"0" * (size - len(pdf) - 2) + b"\n" + rest


PDF = example_pdf()
DIGIPOST, EBOKS, RESERVED_WITH_MAILBOX = "12918510026", "03897810181", "21906610032"
RESERVED, NO_MAILBOX, ALTINN_ORG, PRINT_ORG = "07859910054", "25847010013", "310000019", "311000012"


def person(number: str) -> dict[str, Any]:
    return {
        "type": "person",
        "person": {"nationalIdentityNumber": number, "givenName": "Kari", "familyName": "Nordmann"},
        "postalAddress": ADDRESS,
    }


def organization(number: str) -> dict[str, Any]:
    return {
        "type": "organization",
        "organization": {"organizationNumber": number, "name": "Fjordvik Eiendom AS"},
        "postalAddress": ADDRESS,
    }


def letter(recipient: dict[str, Any] | None = None, content: bytes = PDF, **changes: Any) -> dict[str, Any]:
    """A fresh valid LetterInput with a reference of its own."""
    body = {
        "senderReference": f"2026/{uuid.uuid4().hex[:8]}",
        "title": "Vedtak om barnehageplass",
        "recipient": copy.deepcopy(recipient or person(DIGIPOST)),
        "document": {"fileName": "vedtak.pdf", "content": base64.b64encode(content).decode()},
    }
    body.update(changes)
    return body


def assert_valid(name: str, instance: Any) -> None:
    assert_schema_valid("digital-mail", name, instance)


class Mail(ComponentClient):
    """A client on ``/digital-mail/1.0`` acting for one kommune."""

    component = "digital-mail"
    default_scopes = ALL

    def send(self, body: Any, *, key: str | None = "", **options: Any) -> httpx.Response:
        """POST /letters; ``key=""`` (default) sends a fresh Idempotency-Key, ``None`` none."""
        extra = {"Idempotency-Key": key or uuid.uuid4().hex} if key is not None else {}
        return self.post("/letters", body, extra=extra, **options)

    def sent(self, body: Any, **options: Any) -> dict[str, Any]:
        response = self.send(body, **options)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        assert_valid("Letter", created)
        return created

    def receipt(self, letter_id: str, body: Any, **options: Any) -> httpx.Response:
        return self.post(f"/letters/{letter_id}/receipts", body, **options)

    def walk(
        self, first: str, page_schema: str = "LetterPage", *, token: bool = True
    ) -> list[dict[str, Any]]:
        return super().walk(first, page_schema, token=token)


@pytest.fixture(scope="module")
def http(settings: Settings) -> Iterator[httpx.Client]:
    """A server with only digital-mail (independent of what else the reference registers)."""
    with serve_component(settings, DigitalMailComponent(), BASE) as client:
        yield client


@pytest.fixture
def mail(http: httpx.Client, token: Callable[..., str], kommune: str) -> Mail:
    return Mail(http, token, kommune)


# --------------------------------------------------------------------------- sending


def test_conformance_declares_both_classes(http: httpx.Client) -> None:
    declared = http.get("/conformance").json()
    assert declared == {
        "components": [{"name": "digital-mail", "version": "1.0", "classes": ["core", "receipts"]}]
    }


def test_send_answers_201_with_location_and_the_described_letter(mail: Mail) -> None:
    body = letter()
    response = mail.send(body)
    assert response.status_code == 201, response.text
    created = response.json()
    assert_valid("Letter", created)
    assert response.headers["location"] == f"{BASE}/letters/{created['id']}"
    assert response.headers["etag"].startswith('"')
    assert created["document"] == {
        "fileName": "vedtak.pdf",
        "mediaType": "application/pdf",
        "sizeBytes": len(PDF),
        "sha256": hashlib.sha256(PDF).hexdigest(),
    }
    assert {k: created[k] for k in ("senderReference", "title", "recipient")} == {
        k: body[k] for k in ("senderReference", "title", "recipient")
    }
    assert created["municipalityNumber"] == mail.kommune
    read = mail.get(f"/letters/{created['id']}")
    assert read.json() == created
    assert "content" not in read.text


@pytest.mark.parametrize(
    ("recipient", "routing", "status", "receipts"),
    [
        (person(DIGIPOST), ("mailbox", "digital", "digipost"), "pending", []),
        (person(EBOKS), ("mailbox", "digital", "e-boks"), "pending", []),
        (organization(ALTINN_ORG), ("mailbox", "digital", "altinn"), "pending", []),
        (person(RESERVED_WITH_MAILBOX), ("reserved", "print", None), "sent-to-print", ["sent-to-print"]),
        (person(RESERVED), ("reserved", "print", None), "sent-to-print", ["sent-to-print"]),
        (person(NO_MAILBOX), ("no-mailbox", "print", None), "sent-to-print", ["sent-to-print"]),
        (organization(PRINT_ORG), ("no-mailbox", "print", None), "sent-to-print", ["sent-to-print"]),
        (person("15507600333"), ("no-mailbox", "print", None), "sent-to-print", ["sent-to-print"]),
    ],
    ids=[
        "digipost",
        "e-boks",
        "altinn",
        "reserved-with-mailbox",
        "reserved",
        "no-mailbox",
        "org-no-inbox",
        "unknown",
    ],
)
def test_channel_follows_the_register(
    mail: Mail, recipient: dict[str, Any], routing: tuple[Any, ...], status: str, receipts: list[str]
) -> None:
    created = mail.sent(letter(recipient))
    assert (created["recipientStatus"], created["channel"], created.get("mailbox")) == routing
    assert created["status"] == status
    assert [r["type"] for r in created["receipts"]] == receipts


def test_idempotency_key_is_required(mail: Mail) -> None:
    body = letter()
    assert "Idempotency-Key" in assert_problem(mail.send(body, key=None), 400)["detail"]
    assert mail.walk(f"/letters?senderReference={body['senderReference']}") == []


def test_a_retry_replays_the_first_answer_and_sends_nothing(mail: Mail, other_kommune: str) -> None:
    body, key = letter(), uuid.uuid4().hex
    first = mail.send(body, key=key)
    with ThreadPoolExecutor(max_workers=4) as pool:
        repeats = list(pool.map(lambda _: mail.send(body, key=key), range(4)))
    assert {(r.status_code, r.headers["location"], r.content) for r in repeats} == {
        (201, first.headers["location"], first.content)
    }
    assert len(mail.walk(f"/letters?senderReference={body['senderReference']}")) == 1
    assert_problem(mail.send(letter(), key=key), 422)
    elsewhere = mail.send(body, key=key, kommune=other_kommune)
    assert elsewhere.status_code == 201
    assert elsewhere.json()["id"] != first.json()["id"]


def test_simultaneous_first_sends_with_one_key_make_one_letter(mail: Mail) -> None:
    body, key = letter(), uuid.uuid4().hex
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda _: mail.send(body, key=key), range(6)))
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["id"] for a in answers}) == 1


# --------------------------------------------------------------------------- the PDF


@pytest.mark.parametrize(
    ("content", "sha256", "pointer"),
    [
        (PDF[:-7], None, "/document/content"),
        (PDF.replace(b"%%EOF", b"%%EOX"), None, "/document/content"),
        (PDF, hashlib.sha256(b"other").hexdigest(), "/document/sha256"),
    ],
    ids=["truncated", "no-eof", "wrong-sha256"],
)
def test_unacceptable_pdfs_are_422_and_not_sent(
    mail: Mail, content: bytes, sha256: str | None, pointer: str
) -> None:
    body = letter(content=content)
    if sha256 is not None:
        body["document"]["sha256"] = sha256
    problem = assert_problem(mail.send(body), 422)
    assert [e["pointer"] for e in problem["errors"]] == [pointer]
    assert mail.walk(f"/letters?senderReference={body['senderReference']}") == []


def test_a_pdf_of_exactly_4_mib_with_its_checksum_is_sent(mail: Mail) -> None:
    content = padded(PDF, 4 * 1024 * 1024)
    body = letter(content=content)
    body["document"]["sha256"] = hashlib.sha256(content).hexdigest()
    assert mail.sent(body)["document"]["sizeBytes"] == 4 * 1024 * 1024


@pytest.mark.parametrize(
    ("change", "pointer"),
    [
        (
            lambda b: b["document"].update(content=base64.b64encode(b"\x89PNG\r\n").decode()),
            "/document/content",
        ),
        (
            lambda b: b["recipient"]["person"].update(nationalIdentityNumber="12918510027"),
            "/recipient/person/nationalIdentityNumber",
        ),
        (lambda b: b.update(channel="print"), "/channel"),
        (lambda b: b["recipient"].pop("postalAddress"), "/recipient/postalAddress"),
    ],
    ids=["not-a-pdf", "check-digit", "sender-chooses-channel", "no-postal-address"],
)
def test_invalid_letters_are_422_with_the_pointer(mail: Mail, change: Any, pointer: str) -> None:
    body = letter()
    change(body)
    problem = assert_problem(mail.send(body), 422)
    assert pointer in [e["pointer"] for e in problem["errors"]]


@pytest.mark.parametrize("body", [[], "letter", None, {"senderReference": 7}])
def test_bodies_that_are_no_letter_are_refused_without_500(mail: Mail, body: Any) -> None:
    assert mail.send(body).status_code in (400, 422)


# --------------------------------------------------------------------------- receipts


RECEIPT_CASES = [
    ([], "delivered", 200, "delivered"),
    ([], "failed", 200, "sent-to-print"),
    ([], "opened", 409, "pending"),
    (["delivered"], "opened", 200, "opened"),
    (["delivered"], "delivered", 409, "delivered"),
    (["delivered"], "failed", 409, "delivered"),
    (["delivered", "opened"], "failed", 409, "opened"),
    (["failed"], "delivered", 409, "sent-to-print"),
]


@pytest.mark.parametrize(("earlier", "kind", "code", "status"), RECEIPT_CASES)
def test_receipt_status_machine(mail: Mail, earlier: list[str], kind: str, code: int, status: str) -> None:
    letter_id = mail.sent(letter())["id"]
    for step in earlier:
        assert mail.receipt(letter_id, {"type": step}).status_code == 200
    before = mail.get(f"/letters/{letter_id}").json()
    response = mail.receipt(letter_id, {"type": kind, "detail": "fra kanalen"})
    assert response.status_code == code, response.text
    after = mail.get(f"/letters/{letter_id}").json()
    assert after["status"] == status
    if code == 409:
        assert_problem(response, 409)
        assert after == before
    else:
        assert response.json() == after
        assert after["receipts"][: len(before["receipts"])] == before["receipts"]
        assert after["receipts"][len(before["receipts"])]["detail"] == "fra kanalen"


def test_printed_letters_take_no_receipts(mail: Mail) -> None:
    letter_id = mail.sent(letter(person(RESERVED_WITH_MAILBOX)))["id"]
    for kind in ("delivered", "opened", "failed"):
        assert_problem(mail.receipt(letter_id, {"type": kind}), 409)


def test_the_system_alone_records_sent_to_print(mail: Mail) -> None:
    letter_id = mail.sent(letter())["id"]
    problem = assert_problem(mail.receipt(letter_id, {"type": "sent-to-print"}), 422)
    assert [e["pointer"] for e in problem["errors"]] == ["/type"]


# --------------------------------------------------------------------------- lists, auth, tenants


def test_pagination_and_the_reference_filter(mail: Mail) -> None:
    reference = f"2026/{uuid.uuid4().hex[:8]}"
    made = [mail.sent(letter(senderReference=reference))["id"] for _ in range(5)]
    mail.sent(letter())
    assert [item["id"] for item in mail.walk(f"/letters?senderReference={reference}&limit=2")] == made
    assert len(mail.walk("/letters?limit=3")) == 6


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=101", "limit=x", "cursor=garbage", "senderReference=" + "x" * 101]
)
def test_bad_list_queries_are_400(mail: Mail, query: str) -> None:
    assert_problem(mail.get(f"/letters?{query}"), 400)


def test_cursors_are_bound_to_their_filter(mail: Mail) -> None:
    for _ in range(2):
        mail.sent(letter(senderReference="A-1"))
    next_link = mail.get("/letters?senderReference=A-1&limit=1").json()["next"]
    cursor = next_link.split("cursor=")[1]
    assert_problem(mail.get(f"/letters?senderReference=B-2&limit=1&cursor={cursor}"), 400)


def test_authentication_and_scopes(mail: Mail, http: httpx.Client) -> None:
    letter_id = mail.sent(letter())["id"]
    assert_problem(http.get(f"/letters/{letter_id}"), 401)
    assert http.get("/letters").headers["www-authenticate"].startswith("Bearer")
    assert_problem(mail.get(f"/letters/{letter_id}", scopes=[WRITE, RECEIPT]), 403)
    assert_problem(mail.send(letter(), scopes=[READ, RECEIPT]), 403)
    assert_problem(mail.receipt(letter_id, {"type": "delivered"}, scopes=[READ, WRITE]), 403)
    assert mail.get(f"/letters/{letter_id}").json()["status"] == "pending"


def test_another_kommune_sees_nothing(mail: Mail, other_kommune: str) -> None:
    letter_id = mail.sent(letter())["id"]
    assert_problem(mail.get(f"/letters/{letter_id}", kommune=other_kommune), 404)
    assert_problem(mail.receipt(letter_id, {"type": "delivered"}, kommune=other_kommune), 404)
    assert mail.get("/letters", kommune=other_kommune).json()["items"] == []
    assert mail.get(f"/letters/{letter_id}").json()["status"] == "pending"


def test_letters_survive_a_file_database(
    settings: Settings, token: Callable[..., str], tmp_path: Any, kommune: str
) -> None:
    stored = dataclasses.replace(settings, database=str(tmp_path / "mail.sqlite3"))
    for started in (1, 2):  # the second start migrates nothing and reads what the first stored
        app = create_app(stored, components=[DigitalMailComponent()])
        with (
            ReferenceServer(stored, app=app) as running,
            httpx.Client(base_url=running.base_url + BASE) as client,
        ):
            client_mail = Mail(client, token, kommune)
            client_mail.sent(letter())
            assert len(client_mail.walk("/letters")) == started


# --------------------------------------------------------------------------- fuzzing: never a 5xx


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    miss=from_schema(schema_uri("digital-mail", "1.0", "LetterInput")).flatmap(
        lambda valid: near_misses(schema_uri("digital-mail", "1.0", "LetterInput"), valid)
    )
)
def test_near_miss_letters_are_422_at_their_pointer(mail: Mail, miss: NearMiss) -> None:
    problem = assert_problem(mail.send(miss.instance), 422)
    assert miss.pointer in [e["pointer"] for e in problem["errors"]]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    letter_id=st.text(min_size=1, max_size=80),
    body=st.recursive(
        st.none() | st.text(max_size=5),
        lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3),
        max_leaves=6,
    ),
)
def test_odd_ids_and_receipts_are_refused_cleanly(mail: Mail, letter_id: str, body: Any) -> None:
    path = f"/letters/{quote(letter_id, safe='')}"
    assert mail.get(path).status_code in (400, 404)
    assert mail.receipt(quote(letter_id, safe=""), body).status_code in (400, 404, 422)
