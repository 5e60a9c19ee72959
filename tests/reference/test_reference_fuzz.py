"""Fuzzing: malformed and hostile requests get a 4xx problem, never a 5xx, never a stack trace.

Hypothesis builds the requests: submissions with one member replaced by a
value of the wrong type, a huge string or deep nesting; raw bodies that are
not UTF-8 or not JSON; every kind of Content-Type; ids with path traversal,
SQL metacharacters, NUL and non-ASCII; odd query strings and headers. Each
goes over a real socket to the in-process reference (uvicorn included) on
127.0.0.1. Explicit cases cover what random search rarely hits: 10 MB
bodies, depth-100 000 nesting, lone UTF-16 surrogates, bytes that are not
HTTP at all.

``FELLES_FUZZ_EXAMPLES`` scales every property (default 150 each).
"""

from __future__ import annotations

import copy
import json
import logging
import os
import socket
import sqlite3
import time
import traceback
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.reference.loadgen import BASE_SUBMISSION, token_for

from felles.reference import ApplicationComponent, ApplicationService, ReferenceServer, Settings, create_app
from felles.reference.components.application import (
    ApplicationNotFoundError,
    Representation,
    StoredApplication,
)
from felles.reference.components.application import validate as real_validate
from felles.reference.problems import ProblemError, ProblemType
from felles.standard import schema_uri
from felles.standard.validation import validator_for

PROBLEM = schema_uri("common", "1.0", "Problem")
SUBMISSION = schema_uri("application", "1.0", "ApplicationSubmission")
EXAMPLES = int(os.environ.get("FELLES_FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
LEAKS = ("Traceback", 'File "', "sqlite3", "OperationalError", "site-packages", "felles/reference")

NASTY_STRINGS = [
    "../../etc/passwd",
    "..%2F..%2Fetc%2Fpasswd",
    "..\\..\\windows\\win.ini",
    "%2e%2e%2f",
    "' OR '1'='1",
    "'; DROP TABLE applications; --",
    '" OR ""="',
    "1; SELECT * FROM idempotency_keys",
    "\x00",
    "a\x00b",
    "%00",
    "\u202e\u0000\ufeff",
    "ÆØÅ æøå",
    "😀" * 50,
    "${jndi:ldap://127.0.0.1/a}",
    "<script>alert(1)</script>",
    "NaN",
    "-0",
    "1e999",
    "٣",
    " ",
    "",
    "x" * 5000,
]
nasty_text = st.one_of(st.sampled_from(NASTY_STRINGS), st.text(max_size=60))
#: Short strings dense in what breaks paths, SQL and shells.
metacharacters = st.text(
    alphabet=st.sampled_from("'\";%-/\\.\x00 *?#&=+<>`$|") | st.characters(), min_size=1, max_size=40
)
#: Header values an HTTP client can send (latin-1 bytes, no CR/LF); encoded at the call.
header_text = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=300
).map(lambda value: value.strip(" \t"))
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | nasty_text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(nasty_text, children, max_size=4),
    max_leaves=12,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for name, item in value.items():
            yield from _paths(item, (*prefix, name))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


SUBMISSION_PATHS = [p for p in _paths(BASE_SUBMISSION) if p]


@st.composite
def broken_submissions(draw: st.DrawFn) -> Any:
    """A valid submission with one member replaced, removed or added — or any JSON at all."""
    if draw(st.booleans()):
        return draw(json_values)
    body = copy.deepcopy(BASE_SUBMISSION)
    path = draw(st.sampled_from(SUBMISSION_PATHS))
    parent: Any = body
    for step in path[:-1]:
        parent = parent[step]
    action = draw(st.sampled_from(["replace", "remove", "add", "huge", "deep"]))
    if action == "replace":
        parent[path[-1]] = draw(json_values)
    elif action == "remove":
        del parent[path[-1]]
    elif action == "add" and isinstance(parent, dict):
        parent[draw(nasty_text)] = draw(json_values)
    elif action == "huge":
        parent[path[-1]] = "x" * draw(st.integers(min_value=2000, max_value=300_000))
    else:
        depth = draw(st.integers(min_value=1, max_value=70))
        nested: Any = "leaf"
        for _ in range(depth):
            nested = [nested]
        parent[path[-1]] = nested
    return body


def _at(value: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        value = value[step]
    return value


def _takes_free_text(path: tuple[Any, ...]) -> bool:
    body = copy.deepcopy(BASE_SUBMISSION)
    _at(body, path[:-1])[path[-1]] = "Åse Ødegård"
    return validator_for(SUBMISSION).errors(body) == []


#: Members where any text is valid: a lone surrogate there gets past the schema to the storage.
STRING_PATHS = [
    p for p in SUBMISSION_PATHS if isinstance(_at(BASE_SUBMISSION, p), str) and _takes_free_text(p)
]
LONE_SURROGATES = [b"\\ud800", b"\\udfff", b"x\\udbff", b"\\udc00\\ud800"]


def _with_lone_surrogate(path: tuple[Any, ...], escape: bytes) -> bytes:
    """The valid submission, one string replaced by an escape no UTF-8 text can hold."""
    body = copy.deepcopy(BASE_SUBMISSION)
    _at(body, path[:-1])[path[-1]] = "@@HERE@@"
    return json.dumps(body).encode().replace(b"@@HERE@@", escape)


def _utf8_breakers() -> st.SearchStrategy[bytes]:
    valid = json.dumps(BASE_SUBMISSION).encode()
    return st.one_of(
        st.binary(max_size=600),
        st.builds(
            lambda at, junk: valid[:at] + junk + valid[at:],
            st.integers(min_value=0, max_value=len(valid)),
            st.sampled_from(
                [b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x00", b"\xc0\xaf"]
            ),
        ),
        st.builds(lambda at: valid[:at], st.integers(min_value=0, max_value=len(valid) - 1)),
        st.sampled_from([b'{"comment": "\\ud800"}', b'{"\\udfff": 1}', b'["\\udc00\\ud800"]']),
        st.builds(_with_lone_surrogate, st.sampled_from(STRING_PATHS), st.sampled_from(LONE_SURROGATES)),
    )


JSON_TYPES = ["application/json", "application/json; charset=utf-8", "Application/JSON"]
CONTENT_TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    "application/json; charset=latin-1",
    "application/json; charset=",
    "application/json;;;",
    "APPLICATION/JSON",
    "application/problem+json",
    "application/+json",
    "application/jsonx",
    "text/plain",
    "text/json",
    "multipart/form-data; boundary=x",
    "application/x-www-form-urlencoded",
    "*/*",
    "",
]


# --------------------------------------------------------------------------- the oracle


class ServerErrors(logging.Handler):
    """Collects what the reference logs as an unhandled error (the CrashBarrier's log line)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="module")
def crashes() -> Iterator[ServerErrors]:
    handler = ServerErrors()
    logger = logging.getLogger("felles.reference")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def assert_safe(response: httpx.Response, crashes: ServerErrors | None = None) -> None:
    """The promise to any client, however it behaves: < 500, errors as problems, nothing leaked."""
    request = f"{response.request.method} {str(response.request.url)[:200]}"
    assert response.status_code < 500, f"{request} -> {response.status_code}: {response.text[:500]}"
    text = response.text
    for leak in LEAKS:
        assert leak not in text, f"{request} leaks {leak!r}: {text[:500]}"
    if response.status_code >= 400 and response.request.method != "HEAD":
        assert response.headers.get("content-type") == "application/problem+json", request
        body = response.json()
        assert validator_for(PROBLEM).errors(body) == [], (request, body)
        assert body["status"] == response.status_code, request
    if crashes is not None:
        assert not crashes.records, [r.getMessage() for r in crashes.records]


@pytest.fixture(scope="module")
def fuzz_settings() -> Settings:
    return Settings(max_body_bytes=1024 * 1024)


@pytest.fixture(scope="module")
def target(fuzz_settings: Settings) -> Iterator[ReferenceServer]:
    with ReferenceServer(fuzz_settings) as server:
        yield server


@pytest.fixture(scope="module")
def api(target: ReferenceServer, fuzz_settings: Settings) -> Iterator[httpx.Client]:
    token = token_for(fuzz_settings.jwt_secret, "0301")
    with httpx.Client(
        base_url=target.base_url + "/application/1.0",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    ) as client:
        yield client


@pytest.fixture(scope="module")
def existing_id(api: httpx.Client) -> str:
    created = api.post("/applications", json=BASE_SUBMISSION)
    assert created.status_code == 201
    return str(created.json()["id"])


# --------------------------------------------------------------------------- properties


def _budget(crashes: ServerErrors | None) -> settings:
    """The live server's run keeps Hypothesis' example database; a planted fault must be found afresh
    (and is, within a few dozen examples as a rule: the 1000 only make a miss vanishingly rare)."""
    return FUZZ if crashes is not None else settings(FUZZ, database=None, max_examples=max(EXAMPLES, 1000))


def fuzz_bodies(api: httpx.Client, application_id: str, crashes: ServerErrors | None) -> None:
    @_budget(crashes)
    @given(body=broken_submissions(), to=json_values | st.sampled_from(["received", "granted", "nonsense"]))
    def check(body: Any, to: Any) -> None:
        assert_safe(api.post("/applications", json=body), crashes)
        transition = {"to": to} if not isinstance(body, dict) else {**body, "to": to}
        assert_safe(api.post(f"/applications/{application_id}/transitions", json=transition), crashes)

    check()


def test_fuzzed_bodies_are_refused_cleanly(
    api: httpx.Client, existing_id: str, crashes: ServerErrors
) -> None:
    fuzz_bodies(api, existing_id, crashes)


def fuzz_raw(api: httpx.Client, application_id: str, crashes: ServerErrors | None) -> None:
    @_budget(crashes)
    @given(
        raw=_utf8_breakers(),
        content_type=st.sampled_from(JSON_TYPES) | st.sampled_from(CONTENT_TYPES) | header_text,
        transition=st.booleans(),
    )
    def check(raw: bytes, content_type: str, transition: bool) -> None:
        path = f"/applications/{application_id}/transitions" if transition else "/applications"
        response = api.post(path, content=raw, headers={"Content-Type": content_type.encode("latin-1")})
        assert_safe(response, crashes)
        assert response.status_code in (400, 404, 409, 412, 415, 422), response.text

    check()


def test_fuzzed_raw_bytes_and_media_types_are_refused_cleanly(
    api: httpx.Client, existing_id: str, crashes: ServerErrors
) -> None:
    fuzz_raw(api, existing_id, crashes)


def fuzz_ids(api: httpx.Client, crashes: ServerErrors | None) -> None:
    @_budget(crashes)
    @given(
        raw_id=nasty_text | st.text(min_size=1, max_size=300) | metacharacters,
        keep_slashes=st.booleans(),
        method=st.sampled_from(["GET", "POST", "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]),
        transitions=st.booleans(),
    )
    def check(raw_id: str, keep_slashes: bool, method: str, transitions: bool) -> None:
        encoded = quote(raw_id, safe="/" if keep_slashes else "")
        path = f"/applications/{encoded}" + ("/transitions" if transitions else "")
        body = {"to": "received"} if method in ("POST", "PUT", "PATCH") else None
        response = api.request(method, path, json=body)
        assert_safe(response, crashes)
        # A trailing slash is redirected to the path without it (Starlette): 307, not an error.
        allowed = {400, 404, 405, 422} | ({307} if raw_id.endswith("/") or not raw_id else set())
        assert response.status_code in allowed, (path, response.status_code, response.text)

    check()


def test_fuzzed_ids_traversal_and_sql_are_404_never_5xx(api: httpx.Client, crashes: ServerErrors) -> None:
    fuzz_ids(api, crashes)


def test_fuzzed_queries_and_headers_are_refused_cleanly(
    api: httpx.Client, crashes: ServerErrors, fuzz_settings: Settings
) -> None:
    own_id = api.post("/applications", json=BASE_SUBMISSION).json()["id"]
    names = st.sampled_from(["status", "type", "limit", "cursor", "x", "limit[]", ""]) | st.text(max_size=10)
    token = token_for(fuzz_settings.jwt_secret, "0301")

    @FUZZ
    @given(
        query=st.lists(st.tuples(names, nasty_text | st.integers().map(str)), max_size=4),
        if_match=st.none() | header_text | st.sampled_from(['"x"', "*", 'W/"x"', '"a", "b"', '"', ",,"]),
        key=st.none() | header_text,
        authorization=st.sampled_from(["valid", "none", "garbage", "basic", "empty", "huge", "fuzz"]),
        fuzzed_authorization=header_text,
    )
    def check(
        query: list[tuple[str, str]],
        if_match: str | None,
        key: str | None,
        authorization: str,
        fuzzed_authorization: str,
    ) -> None:
        headers = {
            "valid": f"Bearer {token}",
            "none": None,
            "garbage": "Bearer not.a.jwt",
            "basic": "Basic dXNlcjpwYXNz",
            "empty": "Bearer",
            "huge": "Bearer " + "a" * 20_000,
            "fuzz": fuzzed_authorization,
        }
        extra = {"Authorization": (headers[authorization] or "").encode("latin-1")}
        if if_match is not None:
            extra["If-Match"] = if_match.encode("latin-1")
        if key is not None:
            extra["Idempotency-Key"] = key.encode("latin-1")
        assert_safe(api.get("/applications", params=query, headers=extra), crashes)
        moved = api.post(f"/applications/{own_id}/transitions", json={"to": "withdrawn"}, headers=extra)
        assert_safe(moved, crashes)
        created = api.post("/applications", json={"type": "x"}, headers=extra)
        assert_safe(created, crashes)

    check()


# --------------------------------------------------------------------------- explicit nasties


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_10_mb_body_is_413_without_being_read_whole(api: httpx.Client, chunked: bool) -> None:
    ten_mb = b'{"comment": "' + b"x" * (10 * 1024 * 1024) + b'"}'

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(ten_mb), 64 * 1024):
            yield ten_mb[start : start + 64 * 1024]

    content: bytes | Iterator[bytes] = chunks() if chunked else ten_mb
    try:
        response = api.post("/applications", content=content, headers={"Content-Type": "application/json"})
    except httpx.WriteError:  # the server may answer and close before the upload ends: fine
        return
    assert_safe(response)
    assert response.status_code == 413


@pytest.mark.parametrize(
    "content",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
        b'{"comment": "\\ud800"}',
        b'{"comment": "\\udfff\\ud800"}',
        b'{"\\ud83d": "half an emoji as a member name"}',
        json.dumps({**BASE_SUBMISSION, "comment": "@"}).encode().replace(b'"@"', b'"\\ud800"'),
        b'{"type": "kindergarten-place", "careExtentPercent": ' + b"9" * 5000 + b"}",
        b'{"type": "kindergarten-place", "careExtentPercent": 1e400}',
        b'{"type": "kindergarten-place", "careExtentPercent": -0.0}',
    ],
    ids=[
        "depth-100000-arrays",
        "depth-100000-objects",
        "lone-high-surrogate",
        "reversed-pair",
        "surrogate-member-name",
        "surrogate-in-a-valid-submission",
        "5000-digit-integer",
        "float-overflow",
        "negative-zero",
    ],
)
def test_pathological_json_is_4xx(api: httpx.Client, existing_id: str, content: bytes) -> None:
    for path in ("/applications", f"/applications/{existing_id}/transitions"):
        response = api.post(path, content=content, headers={"Content-Type": "application/json"})
        assert_safe(response)
        assert response.status_code in (400, 422), response.text


def test_valid_surrogate_pairs_are_fine(api: httpx.Client) -> None:
    body = json.dumps({**BASE_SUBMISSION, "comment": "Glad 😀"}, ensure_ascii=True).encode()
    assert "\\ud83d\\ude00" in body.decode()
    created = api.post("/applications", content=body, headers={"Content-Type": "application/json"})
    assert created.status_code == 201, created.text
    assert created.json()["submission"]["comment"] == "Glad 😀"


@pytest.mark.parametrize(
    "query",
    [
        "limit=" + "9" * 5000,
        "limit=" + "0" * 5000 + "5",
        "limit=%FF",
        "status=%FF%FE",
        "cursor=%00",
        "cursor=" + "A" * 10_000,
    ],
)
def test_pathological_queries_are_400(api: httpx.Client, query: str) -> None:
    response = api.get(f"/applications?{query}")
    assert_safe(response)
    assert response.status_code == 400


def _raw(server: ReferenceServer, request: bytes) -> bytes:
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        sock.sendall(request)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
            if b"\r\n\r\n" in received and len(received) > received.index(b"\r\n\r\n") + 100:
                break
    return received


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET /application/1.0/applications/\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /application/1.0/applications?status=\xff HTTP/1.1\r\nHost: x\r\n\r\n",
        b"NOT HTTP AT ALL\r\n\r\n",
        b"POST /application/1.0/applications HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"GET /application/1.0/applications HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
    ],
    ids=["non-ascii-path", "non-ascii-query", "not-http", "bad-chunk", "bad-header-line"],
)
def test_requests_that_are_not_http_get_a_problem_too(target: ReferenceServer, request_bytes: bytes) -> None:
    response = _raw(target, request_bytes)
    head, _, body = response.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 "), response[:300]
    assert b"content-type: application/problem+json" in head.lower()
    problem = json.loads(body)
    assert validator_for(PROBLEM).errors(problem) == []
    assert problem["status"] == 400


def test_a_client_that_vanishes_mid_body_is_not_a_server_error(
    target: ReferenceServer, fuzz_settings: Settings, crashes: ServerErrors
) -> None:
    before = len(crashes.records)
    token = token_for(fuzz_settings.jwt_secret, "0301")
    request = (
        b"POST /application/1.0/applications HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Authorization: Bearer " + token.encode() + b'\r\nContent-Length: 5000\r\n\r\n{"type": '
    )
    with socket.create_connection((target.host, target.port), timeout=10) as sock:
        sock.sendall(request)
    time.sleep(0.3)  # let the server notice
    with httpx.Client(base_url=target.base_url) as client:  # the server is still fine
        assert client.get("/conformance").status_code == 200
    assert [r.getMessage() for r in crashes.records[before:]] == []


# --------------------------------------------------------------------------- the fuzzer can fail


class StringBuiltSql(ApplicationService):
    """Builds its lookup SQL by pasting the id in: a quote in the id breaks it (and worse)."""

    def _load(self, connection: sqlite3.Connection, tenant: str, application_id: str) -> StoredApplication:
        found = connection.execute(
            f"SELECT seq FROM applications WHERE id = '{application_id}' AND municipality = '{tenant}'"
        ).fetchone()
        if found is None:
            raise ApplicationNotFoundError(application_id)
        return super()._load(connection, tenant, application_id)


class LeaksTracebacks(ApplicationService):
    """Explains a miss with the stack it happened on (a debug aid left switched on)."""

    def get(self, tenant: str, application_id: str) -> Representation:
        try:
            return super().get(tenant, application_id)
        except ApplicationNotFoundError:
            raise ProblemError(ProblemType.NOT_FOUND, "".join(traceback.format_stack(limit=2))) from None


def _assumes_object_bodies(schema: str, instance: Any) -> None:
    """Looks at the body before validating it: any JSON that is not an object crashes it."""
    if instance.get("type") == "never":
        return
    real_validate(schema, instance)


@pytest.mark.parametrize(
    ("service", "patch", "fuzz"),
    [
        (StringBuiltSql, None, lambda api, application_id: fuzz_ids(api, None)),
        (LeaksTracebacks, None, lambda api, application_id: fuzz_ids(api, None)),
        (
            ApplicationService,
            ("felles.reference.http._has_lone_surrogate", lambda value: False),
            lambda api, application_id: fuzz_raw(api, application_id, None),
        ),
        (
            ApplicationService,
            ("felles.reference.components.application.validate", _assumes_object_bodies),
            lambda api, application_id: fuzz_bodies(api, application_id, None),
        ),
    ],
    ids=["sql-by-string-pasting", "traceback-in-detail", "lone-surrogates-unchecked", "assumes-object-body"],
)
def test_the_fuzzer_finds_planted_faults(
    fuzz_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    service: type[ApplicationService],
    patch: tuple[str, Callable[..., Any]] | None,
    fuzz: Callable[[httpx.Client, str], None],
) -> None:
    if patch is not None:
        monkeypatch.setattr(*patch)
    app = create_app(fuzz_settings, components=[ApplicationComponent(service)])
    token = token_for(fuzz_settings.jwt_secret, "0301")
    with (
        ReferenceServer(fuzz_settings, app=app) as server,
        httpx.Client(
            base_url=server.base_url + "/application/1.0", headers={"Authorization": f"Bearer {token}"}
        ) as api,
    ):
        application_id = api.post("/applications", json=BASE_SUBMISSION).json()["id"]
        with pytest.raises((AssertionError, ExceptionGroup)):
            fuzz(api, application_id)
